// Builds the SQL of an attestation query with Kysely (shared by both dialects).
// Values are compared by their case fold (src/ats/fold.ts): one term drives the query through the
// (field, folded, timestamp, seq) index (exact keys, or a prefix as a key range); every other exact
// term is an EXISTS probe on the same index; a prefix that does not drive is checked on the row's
// values (each one's key a primary-key probe), unindexed attributes on the row. No table is
// scanned. `subjects_from` drives by the subjects of another filter's matches.
import type { CompiledQuery, Expression, ExpressionBuilder, Kysely, SelectQueryBuilder, SqlBool } from 'kysely';
import { sql } from '../db/kysely.js';
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

/** The page size: absent or 0 is the default (as the original QNTX reads `limit: 0`), at most MAX_LIMIT. */
export function effectiveLimit(limit: number | undefined): number {
  if (limit === undefined || limit === 0) return DEFAULT_LIMIT;
  return Math.max(1, Math.min(MAX_LIMIT, Math.floor(limit)));
}

// Used on the driving alias d and on probe aliases o alike: the column is named by string.
// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Eb = ExpressionBuilder<any, any>;
const COLUMN_OF: Record<number, string> = Object.fromEntries(FIELD_NAMES.map((n) => [FIELD_CODE[n], n]));

/** `alias.folded` matches the term's exact keys or prefixes. */
function valueMatch(eb: Eb, alias: string, t: Term): Expression<SqlBool> {
  const col = `${alias}.folded`;
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
  // Each subject's key: a primary-key probe of its field row.
  return dialect === 'sqlite'
    ? sql`(select k.folded from attestations s, json_each(s.subjects) j, attestation_fields k
        where s.seq in (${inner}) and k.field = ${FIELD_CODE.subjects} and k.value = j.value and k.timestamp = s.timestamp and k.seq = s.seq)`
    : // OFFSET 0 keeps each part as written: the matches first, then one probe per subject (not a join over the table).
      sql`(select k.folded from (select s.timestamp, s.seq, s.subjects from attestations s where s.seq in (${inner}) offset 0) s
        cross join lateral jsonb_array_elements_text(s.subjects::jsonb) j(v)
        cross join lateral (select o.folded from attestation_fields o where o.field = ${FIELD_CODE.subjects}
          and o.value = (j.v collate "C") and o.timestamp = s.timestamp and o.seq = s.seq offset 0) k)`;
}

/**
 * A prefix on a field that does not drive: checked on the row's own values, each one's key read
 * by a primary-key probe of its field row (the key is computed in code, never by SQL).
 */
function rowPrefix(t: Term, dialect: Dialect): Expression<SqlBool> {
  const col = sql.ref(`a.${COLUMN_OF[t.code]}`);
  // The keys compare in byte order on both databases (collate "C" on PostgreSQL, migration 013).
  // SQLite: `+k.folded` keeps the key's own index out (a walk of every key in the range); the
  // probe is the primary key's (field, value, timestamp, seq).
  const v = sql.raw(dialect === 'sqlite' ? '+k.folded' : 'k.folded');
  const ranges = t.prefixes.map((p) => sql`(${v} >= ${p} and ${v} < ${prefixEnd(p)})`);
  const exact = t.exact.length ? [sql`${v} in (${sql.join(t.exact)})`] : [];
  const any = sql.join([...exact, ...ranges], sql` or `);
  return dialect === 'sqlite'
    ? sql<SqlBool>`exists (select 1 from json_each(${col}) as j, attestation_fields k
        where k.field = ${t.code} and k.value = j.value and k.timestamp = a.timestamp and k.seq = a.seq and (${any}))`
    : // OFFSET 0: the key is read by one primary-key probe per value, never joined by hash or range.
      sql<SqlBool>`exists (select 1 from jsonb_array_elements_text(${col}::jsonb) as j(v)
        cross join lateral (select o.folded from attestation_fields o where o.field = ${t.code} and o.value = (j.v collate "C")
          and o.timestamp = a.timestamp and o.seq = a.seq offset 0) k
        where ${any})`;
}

function jsonAttr(j: JsonAttr, dialect: Dialect) {
  return dialect === 'sqlite'
    ? sql<SqlBool>`(a.attributes -> ${`$."${j.key}"`}) in (${sql.join(j.texts)})`
    : sql<SqlBool>`((a.attributes::jsonb -> ${j.key})::text) in (${sql.join(j.texts)})`;
}

/**
 * FROM attestation_fields d (JOIN attestations a when rows are read or checked), with every
 * condition of the filter but paging.
 *
 * PostgreSQL (plans that hold without statistics): `d` is never joined here. Each probe
 * is an EXISTS with OFFSET 0, which the planner cannot flatten into a (hash) semi-join: it stays a
 * correlated probe of one primary-key entry per walked row. Conditions on the row (a prefix that
 * does not drive, unindexed attributes) are one such probe of attestations by seq. The page's rows
 * are read afterwards, see buildPaged.
 */
function matching(db: Kysely<Schema>, f: AttestationFilter, dialect: Dialect, rows = true, perValue = false) {
  const { terms, json } = filterTerms(f);
  const [drive, ...probes] = terms;
  const pg = dialect === 'postgres';
  const join = !pg && (rows || json.length > 0 || probes.some((t) => t.prefixes.length > 0));
  // Without the join the builder is typed as joined all the same: no condition below reads `a` then.
  let q = join ? joined(db) : (db.selectFrom('attestation_fields as d') as unknown as ReturnType<typeof joined>);
  if (!drive) return { q, ordered: false, driven: false, json, values: [] as string[] };
  q = q.where('d.field', '=', drive.code);
  // PostgreSQL, several exact driving values: one ordered walk per value (`u.v`, see buildPaged).
  const values = pg && !drive.from && drive.prefixes.length === 0 && drive.exact.length > 1 ? drive.exact : [];
  q = perValue && values.length ? q.where('d.folded', '=', sql.ref('u.v') as never) : drive.from ? q.where('d.folded', 'in', subjectsOf(db, drive.from, dialect) as never) : q.where((eb) => valueMatch(eb, 'd', drive));
  if (f.time_start !== undefined) q = q.where('d.timestamp', '>=', f.time_start);
  if (f.time_end !== undefined) q = q.where('d.timestamp', '<=', f.time_end);
  const rowChecks: Expression<SqlBool>[] = [];
  for (const t of probes) {
    if (t.prefixes.length) {
      rowChecks.push(rowPrefix(t, dialect));
      continue;
    }
    q = q.where((eb) => {
      let probe = eb
        .selectFrom('attestation_fields as o')
        .select(sql.lit(1).as('one'))
        .where('o.field', '=', t.code)
        .where((e) => valueMatch(e, 'o', t))
        .whereRef('o.timestamp', '=', 'd.timestamp')
        .whereRef('o.seq', '=', 'd.seq');
      if (pg) probe = probe.offset(sql.lit(0));
      return eb.exists(probe);
    });
  }
  for (const j of json) rowChecks.push(jsonAttr(j, dialect));
  if (rowChecks.length && pg) {
    q = q.where(sql<SqlBool>`exists (select 1 from attestations a where a.seq = d.seq and ${sql.join(rowChecks, sql` and `)} offset 0)`);
  } else {
    for (const c of rowChecks) q = q.where(c);
  }
  if (f.exclude_system) q = q.where((eb) => notSystem(eb, 'd', pg));
  // One exact driving value: its index range is already in (timestamp, seq) order, one row each.
  const ordered = !drive.from && drive.prefixes.length === 0 && drive.exact.length === 1;
  return { q, ordered, driven: true, json, values };
}

/**
 * No reserved predicate on the row (alias.timestamp, alias.seq): a primary-key probe of the field
 * index per row, as the other probes are.
 */
function notSystem(eb: Eb, alias: 'a' | 'd', pg: boolean): Expression<SqlBool> {
  let probe = eb
    .selectFrom('attestation_fields as x')
    .select(sql.lit(1).as('one'))
    .where('x.field', '=', FIELD_CODE.predicates)
    .where('x.folded', 'in', [...RESERVED_PREDICATES])
    .whereRef('x.timestamp', '=', `${alias}.timestamp`)
    .whereRef('x.seq', '=', `${alias}.seq`);
  // As for the other probes: OFFSET 0 keeps PostgreSQL from planning it as an anti-join over the table.
  if (pg) probe = probe.offset(sql.lit(0));
  return eb.not(eb.exists(probe));
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
    if (f.exclude_system) q = q.where((eb) => notSystem(eb, 'a', dialect === 'postgres'));
    return { compiled: done(q.orderBy('a.timestamp', dir).orderBy('a.seq', dir).limit(lim)), limit };
  }
  if (dialect === 'postgres') {
    // The page's keys first, from the field index alone (ordered walk, or the distinct matches of
    // several values sorted); then each key's row by primary key through a LATERAL probe that
    // cannot be planned as a join over the whole table.
    // Several exact values: each value's ordered walk stops at the page size, then the walks are
    // merged (LATERAL over the values): the cost follows the page, not the values' matches.
    const perValue = m.values.length > 0;
    let k = (perValue ? matching(db, f, dialect, false, true).q : m.q).select(['d.timestamp', 'd.seq']);
    if (cursor) k = k.where((eb) => eb(eb.refTuple('d.timestamp', 'd.seq'), cmp, eb.tuple(cursor.t, cursor.s)));
    if (!m.ordered && !perValue) k = k.distinct();
    k = k.orderBy('d.timestamp', dir).orderBy('d.seq', dir).limit(lim);
    const keys = perValue
      ? sql`select distinct w.timestamp, w.seq from unnest(${m.values}::text[]) as u(v) cross join lateral (${k}) as w
          order by w.timestamp ${sql.raw(dir)}, w.seq ${sql.raw(dir)} limit ${lim}`
      : k;
    const cols = what === 'rows' ? sql.join(ROW_COLUMNS.map((c) => sql.ref(c))) : sql`a.seq, a.timestamp, ${ROW_BYTES} as bytes`;
    const compiled = sql`select ${cols} from (${keys}) as k
      cross join lateral (select * from attestations r where r.seq = k.seq offset 0) as a
      order by k.timestamp ${sql.raw(dir)}, k.seq ${sql.raw(dir)}`.compile(db);
    return { compiled, limit };
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
    if (f.exclude_system) q = q.where((eb) => notSystem(eb, 'a', dialect === 'postgres'));
    return q.compile() as CompiledQuery<{ n: number | string }>;
  }
  const n = m.ordered ? sql<number>`count(*)` : sql<number>`count(distinct d.seq)`;
  return m.q.select(n.as('n')).compile() as CompiledQuery<{ n: number | string }>;
}
