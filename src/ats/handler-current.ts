// The handler lookup as a primary-key read (migration 009): ix_handler_current holds, per ix type,
// the id of the `ix_handler` attestation in force (null after a removal) and the last version
// given. The attestation is then read by its unique id. Neither read depends on how many
// attestations share the type's context, nor on the planner's statistics. Shared by both stores.
import type { CompiledQuery, Kysely } from 'kysely';
import { sql } from '../db/kysely.js';
import type { Schema } from '../db/schema.js';
import { ROW_COLUMNS, type AttestationRowOut } from './query.js';
import type { Attestation, NewAttestation } from './types.js';

/** A type's pointer as the registry reads it before a change. */
export interface HandlerPointer {
  /** The attestation in force, if any. */
  current: Attestation | undefined;
  /** The last version number given (0: none yet). */
  version: number;
}

/** What a register or remove stores: the attestation, and where the pointer goes. */
export interface HandlerChange {
  attestation: NewAttestation;
  /** The id in force afterwards: the new version's, or null for a removal. */
  currentId: string | null;
  version: number;
}

const TYPE_MARK = '\u0000type';

export interface HandlerSql {
  /** The attestation in force for a type: `$type` bound by params(). */
  current: { sql: string; params(type: string): unknown[] };
  /** The pointer row's version (the attestation is read with `current`). */
  version: { sql: string; params(type: string): unknown[] };
  /** Every type's attestation in force, by type. */
  list: CompiledQuery<AttestationRowOut & { script_type: string }>;
  upsert(type: string, change: HandlerChange, now: number): CompiledQuery;
}

function marked(q: CompiledQuery): { sql: string; params(type: string): unknown[] } {
  const slots = q.parameters as unknown[];
  return { sql: q.sql, params: (type) => slots.map((v) => (v === TYPE_MARK ? type : v)) };
}

export function handlerSql(db: Kysely<Schema>): HandlerSql {
  // A scalar subquery on the primary key, then the unique id index: two index probes, whatever
  // the statistics say (a join could be planned otherwise).
  const current = db
    .selectFrom('attestations as a')
    .select(ROW_COLUMNS)
    .where(
      'a.id',
      '=',
      db.selectFrom('ix_handler_current as h').select('h.attestation_id').where('h.script_type', '=', TYPE_MARK),
    )
    .compile();
  const version = db.selectFrom('ix_handler_current as h').select('h.version').where('h.script_type', '=', TYPE_MARK).compile();
  const list = db
    .selectFrom('ix_handler_current as h')
    .innerJoin('attestations as a', 'a.id', 'h.attestation_id')
    .select([...ROW_COLUMNS, 'h.script_type'])
    .orderBy('h.script_type')
    .compile();
  return {
    current: marked(current),
    version: marked(version),
    list: list as unknown as CompiledQuery<AttestationRowOut & { script_type: string }>,
    upsert: (type, change, now) =>
      db
        .insertInto('ix_handler_current')
        .values({ script_type: type, attestation_id: change.currentId, version: change.version, updated_at: now })
        .onConflict((oc) =>
          oc.column('script_type').doUpdateSet({
            attestation_id: change.currentId,
            version: change.version,
            updated_at: now,
          }),
        )
        .compile(),
  };
}

/** The PostgreSQL advisory lock key that queues the writers of one type. */
export function handlerLockSql(type: string) {
  return sql`select pg_advisory_xact_lock(hashtext(${`qntx:handler:${type}`}))`;
}
