// Picks the store implementation that fits the open database.
import type { Database } from '../db/database.js';
import { PostgresAttestationStore } from './postgres-store.js';
import { SqliteAttestationStore } from './sqlite-store.js';
import type { AttestationStore } from './store.js';

export function createAttestationStore(database: Database): AttestationStore {
  if (database.sqlite && database.walCheckpointer) return new SqliteAttestationStore(database.db, database.sqlite, database.walCheckpointer, database.sqliteReader);
  if (database.pool && database.reads) return new PostgresAttestationStore(database.db, database.pool, database.reads);
  throw new Error(`no driver handle for ${database.kind} database`);
}
