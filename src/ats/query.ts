// Builds the SQL of an attestation query with Kysely (shared by both dialects).
// One field drives the query through the (field, value, timestamp, seq) index; every other
// given field is an EXISTS probe on the same primary key; no table is scanned.
import { sql, type CompiledQuery, type Kysely } from 'kysely';
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

/** Builds the query; it asks for limit + 1 rows so the caller knows whether a next page exists. */
// The limit is inlined as a literal (a validated integer): with a bound LIMIT, SQLite cannot stop
// the ordered index walk early and the handler lookup gets 5× slower.
export function buildAttestationQuery(db: Kysely<Schema>, f: AttestationFilter): BuiltQuery {
  const limit = effectiveLimit(f.limit);
  const desc = (f.order ?? 'desc') === 'desc';
  const dir = desc ? 'desc' : 'asc';
  const cmp = desc ? '<' : '>';
  const cursor = f.cursor ? decodeCursor(f.cursor) : undefined;
  const given = DRIVE_ORDER.filter((k) => (f[k]?.length ?? 0) > 0);

  if (given.length === 0) {
    let q = db.selectFrom('attestations as a').select(ROW_COLUMNS);
    if (f.time_start !== undefined) q = q.where('a.timestamp', '>=', f.time_start);
    if (f.time_end !== undefined) q = q.where('a.timestamp', '<=', f.time_end);
    if (cursor) {
      q = q.where((eb) => eb(eb.refTuple('a.timestamp', 'a.seq'), cmp, eb.tuple(cursor.t, cursor.s)));
    }
    return { compiled: q.orderBy('a.timestamp', dir).orderBy('a.seq', dir).limit(sql.lit(limit + 1)).compile(), limit };
  }

  const [drive, ...probes] = given as [FieldName, ...FieldName[]];
  const driveValues = f[drive]!;
  let q = db
    .selectFrom('attestation_fields as d')
    .innerJoin('attestations as a', 'a.seq', 'd.seq')
    .select(ROW_COLUMNS)
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
      compiled: q.distinct().orderBy('a.timestamp', dir).orderBy('a.seq', dir).limit(sql.lit(limit + 1)).compile(),
      limit,
    };
  }
  return { compiled: q.orderBy('d.timestamp', dir).orderBy('d.seq', dir).limit(sql.lit(limit + 1)).compile(), limit };
}
