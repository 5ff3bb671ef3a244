// Distinct stored values of one field that start with a prefix, for completion: a loose index
// scan on attestation_fields' primary key (one seek per distinct value, however many rows share
// it), so the cost is the number of values returned, not the rows holding them.
import { sql } from 'kysely';
import type { Database } from '../db/database.js';
import { FIELD_CODE, type FieldName } from './types.js';

export const MAX_COMPLETIONS = 50;

/**
 * Values in index order from the prefix on, kept while they start with it. Exact wherever the
 * index orders by code point (SQLite always; PostgreSQL with the C or C.UTF-8 collation); under a
 * linguistic collation values that start with the prefix may sort apart and some be missed.
 */
export async function valuesByPrefix(database: Database, field: FieldName, prefix: string, limit = 20): Promise<string[]> {
  const n = Math.max(1, Math.min(MAX_COMPLETIONS, Math.floor(limit)));
  const code = FIELD_CODE[field];
  const chars = [...prefix].length; // SQL's substr counts characters (code points)
  // Each step seeks the next distinct value after the last one; it stops after n values or at
  // the first that no longer starts with the prefix.
  const result = await sql<{ v: string | null }>`
    with recursive walk(v, n) as (
      select (select value from attestation_fields where field = ${code} and value >= ${prefix} order by value limit 1), 1
      union all
      select (select value from attestation_fields where field = ${code} and value > walk.v order by value limit 1), walk.n + 1
      from walk
      where walk.v is not null and walk.n < ${n} and substr(walk.v, 1, ${chars}) = ${prefix}
    )
    select v from walk`.execute(database.db);
  const out: string[] = [];
  for (const r of result.rows) {
    if (r.v === null || !r.v.startsWith(prefix)) break;
    out.push(r.v);
  }
  return out;
}
