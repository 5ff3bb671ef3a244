// The handler lookup (newest attestation for a predicate and a context), compiled once per store.
import type { Kysely } from 'kysely';
import type { Dialect } from '../db/migrations.js';
import type { Schema } from '../db/schema.js';
import { fold } from './fold.js';
import { buildAttestationQuery } from './query.js';

const P_MARK = '\u0000predicate';
const C_MARK = '\u0000context';

export interface CompiledNewest {
  sql: string;
  params(predicate: string, context: string): unknown[];
}

/** The handler lookup is compiled once; predicate and context are put in place by marker. */
export function compileNewest(db: Kysely<Schema>, dialect: Dialect): CompiledNewest {
  const { compiled } = buildAttestationQuery(db, { predicates: [P_MARK], contexts: [C_MARK], limit: 1 }, dialect);
  const slots = compiled.parameters as unknown[];
  return {
    sql: compiled.sql,
    // The query compares folded keys: the values are folded as the filter's would be.
    params: (p, c) => slots.map((v) => (v === P_MARK ? fold(p) : v === C_MARK ? fold(c) : v)),
  };
}
