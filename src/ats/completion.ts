// Distinct stored values of one field that start with a prefix, for completion: a loose index
// scan on the field index's folded keys (one seek per distinct key, however many rows share it),
// so the cost is the number of values returned, not the rows holding them. Matching ignores case
// as queries do; each key is offered in one of its stored spellings.
import { sql } from '../db/kysely.js';
import type { Database } from '../db/database.js';
import { fold } from './fold.js';
import { FIELD_CODE, type FieldName } from './types.js';

export const MAX_COMPLETIONS = 50;

/**
 * Values from the prefix's key on in key order, kept while their keys start with it. The keys
 * are compared in byte order on both databases (PostgreSQL: collate "C").
 */
export async function valuesByPrefix(database: Database, field: FieldName, prefix: string, limit = 20): Promise<string[]> {
  const n = Math.max(1, Math.min(MAX_COMPLETIONS, Math.floor(limit)));
  const code = FIELD_CODE[field];
  const key = fold(prefix);
  const chars = [...key].length; // SQL's substr counts characters (code points)
  // Each step seeks the next distinct key after the last one; it stops after n keys or at the
  // first that no longer starts with the prefix. The spelling is the first row of the key.
  const result = await sql<{ k: string | null; v: string | null }>`
    with recursive walk(k, n) as (
      select (select folded from attestation_fields where field = ${code} and folded >= ${key} order by folded limit 1), 1
      union all
      select (select folded from attestation_fields where field = ${code} and folded > walk.k order by folded limit 1), walk.n + 1
      from walk
      where walk.k is not null and walk.n < ${n} and substr(walk.k, 1, ${chars}) = ${key}
    )
    select k, (select value from attestation_fields where field = ${code} and folded = walk.k order by timestamp, seq limit 1) as v
    from walk`.execute(database.db);
  const out: string[] = [];
  for (const r of result.rows) {
    if (r.k === null || r.v === null || !r.k.startsWith(key)) break;
    out.push(r.v);
  }
  return out;
}
