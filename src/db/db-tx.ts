// A transaction another module opened, handed to a store so its writes join it. On SQLite the
// work must be synchronous (it runs inside raw.transaction()); on PostgreSQL it is a Kysely trx.
import type BetterSqlite3 from 'better-sqlite3';
import type { Transaction } from 'kysely';
import type { Schema } from './schema.js';

export type DbTx = { kind: 'sqlite'; raw: BetterSqlite3.Database } | { kind: 'postgres'; trx: Transaction<Schema> };
