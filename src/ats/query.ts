// Builds the SQL of an attestation query with Kysely (shared by both dialects).
// One term drives the query through the (field, value, timestamp, seq) index (exact values, or a
// prefix as a value range); every other exact term is an EXISTS probe on the same primary key;
// a prefix that does not drive, and unindexed attributes, are checked on the row. No table is
// scanned. `subjects_from` drives by the subjects of another filter's matches.
import { sql, type CompiledQuery, type Expression, type ExpressionBuilder, type Kysely, type SelectQueryBuilder, type SqlBool } from 'kysely';
import type { Schema } from '../db/schema.js';
import type { Dialect } from '../db/migrations.js';
import { ValidationError } from '../errors.js';
import { decodeCursor } from './cursor.js';
import { RESERVED_PREDICATES } from './reserved.js';
import { filterTerms, prefixEnd, type JsonAttr, type Term } from './filter-terms.js';
import { DEFAULT_LIMIT, FIELD_CODE, FIELD_NAMES, MAX_LIMIT, type AttestationFilter } from './types.js';

export interface BuiltQuery {
  compiled: CompiledQuery<AttestationRowOut>;
  limit: number;
}

export interface AttestationRowOut {
  seq: number;
  id: string;
  subjects: string;
  predicates: string;
  contexts: string;
  actors: string;
  timestamp: number;
  source: string;
  attributes: string;
  created_at: number;
  handler_version: number | null;
}

/** The columns an attestation is read back from (the content key stays in the database). */
export const ROW_COLUMNS = [
  'a.seq', 'a.id', 'a.subjects', 'a.predicates', 'a.contexts', 'a.actors', 'a.timestamp', 'a.source', 'a.attributes',
  'a.created_at', 'a.handler_version',
] as const;

export function effectiveLimit(limit: number | undefined): number {
  if (limit === undefined) return DEFAULT_LIMIT;
  return Math.max(1, Math.min(MAX_LIMIT, Math.floor(limit)));
}

// Used on the driving alias d and on probe aliases o alike: the column is named by string.
// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Eb = ExpressionBuilder<any, any>;
const COLUMN_OF: Record<number, string> = Object.fromEntries(FIELD_NAMES.map((n) => [FIELD_CODE[n], n]));

/** `alias.value` matches the term's exact values or prefixes. */
function valueMatch(eb: Eb, alias: string, t: Term): Expression<SqlBool> {
  const col = `${alias}.value`;
  const parts: Expression<SqlBool>[] = [];
  if (t.exact.length === 1) parts.push(eb(col, '=', t.exact[0]!));
  else if (t.exact.length > 1) parts.push(eb(col, 'in', t.exact));
  for (const p of t.prefixes) parts.push(eb.and([eb(col, '>=', p), eb(col, '<', prefixEnd(p))]));
  return parts.length === 1 ? parts[0]! : eb.or(parts);
}

/** The subjects of the rows another filter matches, as a one-column subquery. */
function subjectsOf(db: Kysely<Schema>, f: AttestationFilter, dialect: Dialect) {
  const m = matching(db, { ...f, subjects_from: undefined }, dialect, false);
  if (!m.driven) {
    throw new ValidationError('subjects_from needs a filter', {
      details: ['subjects_from=empty'],
      hint: 'e.g. subjects_from=predicates%3Dmodifies%26contexts%3DMakefile',
    });
  }
  const inner = m.q.select('d.seq');
  return dialect === 'sqlite'
    ? sql`(select j.value from attestations s, json_each(s.subjects) j where s.seq in (${inner}))`
    : sql`(select jsonb_array_elements_text(s.subjects::jsonb) from attestations s where s.seq in (${inner}))`;
}

/** A prefix on a field that does not drive: checked on the row's own values. */
function rowPrefix(t: Term, dialect: Dialect): Expression<SqlBool> {
  const col = sql.ref(`a.${COLUMN_OF[t.code]}`);
  // PostgreSQL compares in byte order, like the index column (collate "C", migration 007).
  const v = dialect === 'sqlite' ? sql.raw('j.value') : sql.raw('(j.v collate "C")');
  const ranges = t.prefixes.map((p) => sql`(${v} >= ${p} and ${v} < ${prefixEnd(p)})`);
  const exact = t.exact.length ? [sql`${v} in (${sql.join(t.exact)})`] : [];
  const any = sql.join([...exact, ...ranges], sql` or `);
  return dialect === 'sqlite'
    ? sql<SqlBool>`exists (select 1 from json_each(${col}) as j where ${any})`
    : sql<SqlBool>`exists (select 1 from jsonb_array_elements_text(${col}::jsonb) as j(v) where ${any})`;
}

function jsonAttr(j: JsonAttr, dialect: Dialect) {
  return dialect === 'sqlite'
    ? sql<SqlBool>`(a.attributes -> ${`$."${j.key}"`}) in (${sql.join(j.texts)})`
    : sql<SqlBool>`((a.attributes::jsonb -> ${j.key})::text) in (${sql.join(j.texts)})`;
}

/**
 * FROM attestation_fields d (JOIN attestations a when rows are read or checked), with every
 * condition of the filter but paging.
 */
function matching(db: Kysely<Schema>, f: AttestationFilter, dialect: Dialect, rows = true) {
  const { terms, json } = filterTerms(f);
  const [drive, ...probes] = terms;
  const join = rows || json.length > 0 || probes.some((t) => t.prefixes.length > 0);
  // Without the join the builder is typed as joined all the same: no condition below reads `a` then.
  let q = join ? joined(db) : (db.selectFrom('attestation_fields as d') as unknown as ReturnType<typeof joined>);
  if (!drive) return { q, ordered: false, driven: false, json };
  q = q.where('d.field', '=', drive.code);
  q = drive.from ? q.where('d.value', 'in', subjectsOf(db, drive.from, dialect) as never) : q.where((eb) => valueMatch(eb, 'd', drive));
  if (f.time_start !== undefined) q = q.where('d.timestamp', '>=', f.time_start);
  if (f.time_end !== undefined) q = q.where('d.timestamp', '<=', f.time_end);
  for (const t of probes) {
    if (t.prefixes.length) {
      q = q.where(rowPrefix(t, dialect));
      continue;
    }
    q = q.where((eb) =>
      eb.exists(
        eb
          .selectFrom('attestation_fields as o')
          .select(sql.lit(1).as('one'))
          .where('o.field', '=', t.code)
          .where((e) => valueMatch(e, 'o', t))
          .whereRef('o.timestamp', '=', 'd.timestamp')
          .whereRef('o.seq', '=', 'd.seq'),
      ),
    );
  }
  for (const j of json) q = q.where(jsonAttr(j, dialect));
  if (f.exclude_system) q = q.where((eb) => notSystem(eb, 'd'));
  // One exact driving value: its index range is already in (timestamp, seq) order, one row each.
  const ordered = !drive.from && drive.prefixes.length === 0 && drive.exact.length === 1;
  return { q, ordered, driven: true, json };
}

/**
 * No reserved predicate on the row (alias.timestamp, alias.seq): a primary-key probe of the field
 * index per row, as the other probes are.
 */
function notSystem(eb: Eb, alias: 'a' | 'd'): Expression<SqlBool> {
  return eb.not(
    eb.exists(
      eb
        .selectFrom('attestation_fields as x')
        .select(sql.lit(1).as('one'))
        .where('x.field', '=', FIELD_CODE.predicates)
        .where('x.value', 'in', [...RESERVED_PREDICATES])
        .whereRef('x.timestamp', '=', `${alias}.timestamp`)
        .whereRef('x.seq', '=', `${alias}.seq`),
    ),
  );
}

function joined(db: Kysely<Schema>) {
  return db.selectFrom('attestation_fields as d').innerJoin('attestations as a', 'a.seq', 'd.seq');
}

/** What a sizes query returns per row: its key and roughly how many bytes it serialises to. */
export interface AttestationSizeRow {
  seq: number;
  timestamp: number;
  bytes: number;
}

/** The bytes of a row's stored text: octet_length() reads the record header, so large values are not loaded. */
const ROW_BYTES = sql<number>`octet_length(a.id) + octet_length(a.subjects) + octet_length(a.predicates) + octet_length(a.contexts)
  + octet_length(a.actors) + octet_length(a.source) + octet_length(a.attributes)`;

/** Builds the query; it asks for limit + 1 rows so the caller knows whether a next page exists. */
// The limit is inlined as a literal (a validated integer): with a bound LIMIT, SQLite cannot stop
// the ordered index walk early and the handler lookup gets 5× slower.
export function buildAttestationQuery(db: Kysely<Schema>, f: AttestationFilter, dialect: Dialect): BuiltQuery {
  return buildPaged(db, f, dialect, 'rows') as BuiltQuery;
}

/** The same query selecting only each row's key and size (for a page held to a byte budget). */
export function buildAttestationSizesQuery(
  db: Kysely<Schema>,
  f: AttestationFilter,
  dialect: Dialect,
): { compiled: CompiledQuery<AttestationSizeRow>; limit: number } {
  return buildPaged(db, f, dialect, 'sizes') as { compiled: CompiledQuery<AttestationSizeRow>; limit: number };
}

function buildPaged(db: Kysely<Schema>, f: AttestationFilter, dialect: Dialect, what: 'rows' | 'sizes') {
  const limit = effectiveLimit(f.limit);
  const desc = (f.order ?? 'desc') === 'desc';
  const dir = desc ? 'desc' : 'asc';
  const cmp = desc ? '<' : '>';
  const cursor = f.cursor ? decodeCursor(f.cursor) : undefined;
  const m = matching(db, f, dialect);
  const lim = sql.lit(limit + 1);
  // Sizes: the same walk, selecting each row's key and size instead of the row.
  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- either of the two builders below
  const done = (q: SelectQueryBuilder<any, any, any>) =>
    (what === 'rows' ? q : q.clearSelect().select(['a.seq', 'a.timestamp', ROW_BYTES.as('bytes')])).compile();

  if (!m.driven) {
    let q = db.selectFrom('attestations as a').select(ROW_COLUMNS);
    if (f.time_start !== undefined) q = q.where('a.timestamp', '>=', f.time_start);
    if (f.time_end !== undefined) q = q.where('a.timestamp', '<=', f.time_end);
    if (cursor) q = q.where((eb) => eb(eb.refTuple('a.timestamp', 'a.seq'), cmp, eb.tuple(cursor.t, cursor.s)));
    if (f.exclude_system) q = q.where((eb) => notSystem(eb, 'a'));
    return { compiled: done(q.orderBy('a.timestamp', dir).orderBy('a.seq', dir).limit(lim)), limit };
  }
  let q = m.q.select(ROW_COLUMNS);
  if (cursor) q = q.where((eb) => eb(eb.refTuple('d.timestamp', 'd.seq'), cmp, eb.tuple(cursor.t, cursor.s)));
  if (m.ordered) return { compiled: done(q.orderBy('d.timestamp', dir).orderBy('d.seq', dir).limit(lim)), limit };
  // Several driving values (or a range): one attestation may match more than once; keep it once.
  return { compiled: done(q.distinct().orderBy('a.timestamp', dir).orderBy('a.seq', dir).limit(lim)), limit };
}

/** How many attestations match (paging fields are ignored). */
export function buildCountQuery(db: Kysely<Schema>, f: AttestationFilter, dialect: Dialect): CompiledQuery<{ n: number | string }> {
  const m = matching(db, f, dialect, false);
  if (!m.driven) {
    let q = db.selectFrom('attestations as a').select((eb) => eb.fn.countAll().as('n'));
    if (f.time_start !== undefined) q = q.where('a.timestamp', '>=', f.time_start);
    if (f.time_end !== undefined) q = q.where('a.timestamp', '<=', f.time_end);
    if (f.exclude_system) q = q.where((eb) => notSystem(eb, 'a'));
    return q.compile() as CompiledQuery<{ n: number | string }>;
  }
  const n = m.ordered ? sql<number>`count(*)` : sql<number>`count(distinct d.seq)`;
  return m.q.select(n.as('n')).compile() as CompiledQuery<{ n: number | string }>;
}
