// Builds the SQL of an attestation query with Kysely (shared by both dialects).
// One field drives the query through the (field, value, timestamp, seq) index; every other
// given field is an EXISTS probe on the same primary key; no table is scanned.
import { sql, type CompiledQuery, type Kysely, type SelectQueryBuilder } from 'kysely';
import type { Schema } from '../db/schema.js';
import { decodeCursor } from './cursor.js';
import {
  DEFAULT_LIMIT,
  FIELD_CODE,
  MAX_LIMIT,
  type AttestationFilter,
  type FieldName,
} from './types.js';

/** Most selective first: subjects and contexts are usually rare, predicates common. */
const DRIVE_ORDER: readonly FieldName[] = ['subjects', 'contexts', 'actors', 'predicates'];

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
}

export function effectiveLimit(limit: number | undefined): number {
  if (limit === undefined) return DEFAULT_LIMIT;
  return Math.max(1, Math.min(MAX_LIMIT, Math.floor(limit)));
}

/** What a sizes query returns per row: its key and roughly how many bytes it serialises to. */
export interface AttestationSizeRow {
  seq: number;
  timestamp: number;
  bytes: number;
}

/**
 * The same query selecting only each row's key and the bytes of its stored text (for a page held
 * to a byte budget): octet_length() reads the record header, so large values are not loaded.
 */
export function buildAttestationSizesQuery(db: Kysely<Schema>, f: AttestationFilter): { compiled: CompiledQuery<AttestationSizeRow>; limit: number } {
  const { compiled, limit } = buildAttestationQuery(db, f, (q) =>
    q
      .clearSelect()
      .select(['a.seq', 'a.timestamp'])
      .select(
        sql<number>`octet_length(a.id) + octet_length(a.subjects) + octet_length(a.predicates) + octet_length(a.contexts)
          + octet_length(a.actors) + octet_length(a.source) + octet_length(a.attributes)`.as('bytes'),
      )
      .compile(),
  );
  return { compiled: compiled as unknown as CompiledQuery<AttestationSizeRow>, limit };
}

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- either of the two query shapes below
type AnySelect = SelectQueryBuilder<any, 'a', AttestationRowOut>;

/** Builds the query; it asks for limit + 1 rows so the caller knows whether a next page exists. */
// The limit is inlined as a literal (a validated integer): with a bound LIMIT, SQLite cannot stop
// the ordered index walk early and the handler lookup gets 5× slower.
export function buildAttestationQuery(
  db: Kysely<Schema>,
  f: AttestationFilter,
  compile: (q: AnySelect) => CompiledQuery<unknown> = (q) => q.compile(),
): BuiltQuery {
  const done = (q: AnySelect) => compile(q) as CompiledQuery<AttestationRowOut>;
  const limit = effectiveLimit(f.limit);
  const desc = (f.order ?? 'desc') === 'desc';
  const dir = desc ? 'desc' : 'asc';
  const cmp = desc ? '<' : '>';
  const cursor = f.cursor ? decodeCursor(f.cursor) : undefined;
  const given = DRIVE_ORDER.filter((k) => (f[k]?.length ?? 0) > 0);

  if (given.length === 0) {
    let q = db.selectFrom('attestations as a').selectAll('a');
    if (f.time_start !== undefined) q = q.where('a.timestamp', '>=', f.time_start);
    if (f.time_end !== undefined) q = q.where('a.timestamp', '<=', f.time_end);
    if (cursor) {
      q = q.where((eb) => eb(eb.refTuple('a.timestamp', 'a.seq'), cmp, eb.tuple(cursor.t, cursor.s)));
    }
    return { compiled: done(q.orderBy('a.timestamp', dir).orderBy('a.seq', dir).limit(sql.lit(limit + 1)) as unknown as AnySelect), limit };
  }

  const [drive, ...probes] = given as [FieldName, ...FieldName[]];
  const driveValues = f[drive]!;
  let q = db
    .selectFrom('attestation_fields as d')
    .innerJoin('attestations as a', 'a.seq', 'd.seq')
    .selectAll('a')
    .where('d.field', '=', FIELD_CODE[drive]);
  q = driveValues.length === 1 ? q.where('d.value', '=', driveValues[0]!) : q.where('d.value', 'in', driveValues);
  if (f.time_start !== undefined) q = q.where('d.timestamp', '>=', f.time_start);
  if (f.time_end !== undefined) q = q.where('d.timestamp', '<=', f.time_end);
  if (cursor) {
    q = q.where((eb) => eb(eb.refTuple('d.timestamp', 'd.seq'), cmp, eb.tuple(cursor.t, cursor.s)));
  }
  for (const field of probes) {
    const vs = f[field]!;
    q = q.where((eb) =>
      eb.exists(
        eb
          .selectFrom('attestation_fields as o')
          .select(sql.lit(1).as('one'))
          .where('o.field', '=', FIELD_CODE[field])
          .where((e) => (vs.length === 1 ? e('o.value', '=', vs[0]!) : e('o.value', 'in', vs)))
          .whereRef('o.timestamp', '=', 'd.timestamp')
          .whereRef('o.seq', '=', 'd.seq'),
      ),
    );
  }
  if (driveValues.length > 1) {
    // One attestation can hold several of the driving values: keep it once.
    return {
      compiled: done(q.distinct().orderBy('a.timestamp', dir).orderBy('a.seq', dir).limit(sql.lit(limit + 1)) as unknown as AnySelect),
      limit,
    };
  }
  return { compiled: done(q.orderBy('d.timestamp', dir).orderBy('d.seq', dir).limit(sql.lit(limit + 1)) as unknown as AnySelect), limit };
}
