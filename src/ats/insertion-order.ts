// The store's insertion order, for readers that follow new attestations (watchers): `seq` grows
// with every stored attestation. On SQLite one writer at a time means seqs become visible in
// order. On PostgreSQL a transaction may commit after another that drew a larger seq, so a reader
// must not pass a seq that is still being written: every transaction inserting attestations holds
// a shared advisory lock (`insertionLockSql`), and the horizon is read under the exclusive one,
// which waits for those in flight; any later insert draws a larger seq.
import type { Kysely, Transaction } from 'kysely';
import { sql } from '../db/kysely.js';
import type { Database } from '../db/database.js';
import type { Schema } from '../db/schema.js';
import { rowToAttestation } from './rows.js';
import type { AttestationRowOut } from './query.js';
import type { Attestation } from './types.js';

/** Any number: the advisory lock (with the schema's hash) that orders inserts against the horizon. */
const INSERTION_LOCK = 0x71_6e_69_6f; // "qnio"

/** PostgreSQL: the first statement of a transaction that inserts attestations. */
export function insertionLockSql(): string {
  return `select pg_advisory_xact_lock_shared(${INSERTION_LOCK}, hashtext(current_schema()))`;
}

export async function lockInsertion(trx: Transaction<Schema>): Promise<void> {
  await sql.raw(insertionLockSql()).execute(trx);
}

/** The seq up to which every attestation is committed: none with a smaller or equal seq can appear later. */
export async function insertionHorizon(database: Pick<Database, 'kind' | 'db'>): Promise<number> {
  const max = (db: Kysely<Schema>) => sql<{ m: number | string | null }>`select max(seq) as m from attestations`.execute(db);
  if (database.kind === 'sqlite') return Number((await max(database.db)).rows[0]?.m ?? 0);
  return database.db.transaction().execute(async (trx) => {
    await sql.raw(`select pg_advisory_xact_lock(${INSERTION_LOCK}, hashtext(current_schema()))`).execute(trx);
    return Number((await max(trx)).rows[0]?.m ?? 0);
  });
}

export interface SeqAttestation {
  seq: number;
  attestation: Attestation;
}

/** Up to `limit` attestations with seq in (after, through], in insertion order (a primary-key range). */
export async function readInsertionRange(db: Kysely<Schema>, after: number, through: number, limit: number): Promise<SeqAttestation[]> {
  const rows = await db
    .selectFrom('attestations')
    .selectAll()
    .where('seq', '>', after)
    .where('seq', '<=', through)
    .orderBy('seq')
    .limit(limit)
    .execute();
  return rows.map((r) => ({ seq: Number(r.seq), attestation: rowToAttestation(r as unknown as AttestationRowOut) }));
}
