// The attestation store on SQLite: synchronous prepared statements inside raw transactions.
import type BetterSqlite3 from 'better-sqlite3';
import type { Kysely } from 'kysely';
import type { DbTx } from '../db/tx.js';
import type { Schema } from '../db/schema.js';
import { SqliteStatements } from '../db/sqlite-statements.js';
import { compileNewest, type CompiledNewest } from './newest.js';
import { SqliteBatchInsert } from './sqlite-batch-insert.js';
import { buildAttestationQuery, type AttestationRowOut } from './query.js';
import { duplicateIdError, rowToAttestation, toPage } from './rows.js';
import type { AttestationStore } from './store.js';
import { type Attestation, type AttestationFilter, type NewAttestation } from './types.js';

export class SqliteAttestationStore implements AttestationStore {
  readonly kind = 'sqlite' as const;
  private readonly st: SqliteStatements;
  private readonly insertTx: (items: readonly NewAttestation[]) => void;
  private readonly newestSql: CompiledNewest;

  constructor(
    private readonly db: Kysely<Schema>,
    raw: BetterSqlite3.Database,
  ) {
    this.st = new SqliteStatements(raw);
    const batch = new SqliteBatchInsert(raw);
    const tx = raw.transaction((items: readonly NewAttestation[]) => batch.insert(items));
    // IMMEDIATE: the write lock from the start, as the batch assigns seq itself.
    this.insertTx = (items) => (raw.inTransaction ? tx(items) : tx.immediate(items));
    this.newestSql = compileNewest(db);
  }

  async insertMany(items: readonly NewAttestation[]): Promise<void> {
    if (items.length === 0) return;
    try {
      this.insertTx(items);
    } catch (err) {
      throw this.mapInsertError(err, items);
    }
  }

  insertManyIn(tx: DbTx, items: readonly NewAttestation[]): void {
    if (tx.kind !== 'sqlite') throw new Error('SQLite store given a PostgreSQL transaction');
    if (items.length === 0) return;
    try {
      this.insertTx(items); // nested in the caller's transaction: a savepoint
    } catch (err) {
      throw this.mapInsertError(err, items);
    }
  }

  async query(filter: AttestationFilter) {
    const { compiled, limit } = buildAttestationQuery(this.db, filter);
    return toPage(this.st.all(compiled), limit);
  }

  async get(id: string): Promise<Attestation | undefined> {
    const row = this.st.get(this.db.selectFrom('attestations').selectAll().where('id', '=', id).compile());
    return row ? rowToAttestation(row as AttestationRowOut) : undefined;
  }

  async newest(predicate: string, context: string): Promise<Attestation | undefined> {
    const row = this.st.prepare(this.newestSql.sql).get(...this.newestSql.params(predicate, context)) as
      | AttestationRowOut
      | undefined;
    return row ? rowToAttestation(row) : undefined;
  }

  async explain(filter: AttestationFilter): Promise<string[]> {
    const { compiled } = buildAttestationQuery(this.db, filter);
    const rows = this.st.raw.prepare(`explain query plan ${compiled.sql}`).all(...(compiled.parameters as unknown[]));
    return (rows as Array<{ detail: string }>).map((r) => r.detail);
  }

  private mapInsertError(err: unknown, items: readonly NewAttestation[]): unknown {
    const code = (err as { code?: string }).code;
    if (code !== 'SQLITE_CONSTRAINT_UNIQUE' && code !== 'SQLITE_CONSTRAINT_PRIMARYKEY') return err;
    const ids = items.map((a) => a.id);
    const existing = this.st.all(this.db.selectFrom('attestations').select('id').where('id', 'in', ids.slice(0, 500)).compile());
    return duplicateIdError(ids, existing.map((r) => r.id), err);
  }

  async bulk<T>(fn: () => Promise<T>): Promise<T> {
    const raw = this.st.raw;
    const previous = raw.pragma('wal_autocheckpoint', { simple: true }) as number;
    raw.pragma('wal_autocheckpoint = 0');
    try {
      return await fn();
    } finally {
      // The next commit (or closing the connection) checkpoints what piled up; a checkpoint now
      // lets the next write start the WAL over, cut back to its size limit (journal_size_limit).
      raw.pragma(`wal_autocheckpoint = ${Number(previous) || 1000}`);
      raw.pragma('wal_checkpoint(PASSIVE)');
    }
  }

  async count(): Promise<number> {
    return (this.st.raw.prepare('select count(*) as n from attestations').get() as { n: number }).n;
  }
}

