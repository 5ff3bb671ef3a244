// The store of an open database, loading only its own implementation: a short-lived command on
// SQLite (`qntx ax`) does not load the PostgreSQL store and its COPY stream.
import type { Database } from '../db/database.js';
import type { AttestationStore } from './store.js';

export async function openAttestationStore(database: Database): Promise<AttestationStore> {
  if (database.sqlite && database.walCheckpointer) {
    const { SqliteAttestationStore } = await import('./sqlite-store.js');
    return new SqliteAttestationStore(database.db, database.sqlite, database.walCheckpointer, database.sqliteReader);
  }
  return (await import('./open-store.js')).createAttestationStore(database);
}
