// The attestation store on SQLite: synchronous prepared statements inside raw transactions.
import type BetterSqlite3 from 'better-sqlite3';
import type { Kysely } from 'kysely';
import type { DbTx } from '../db/tx.js';
import type { Schema } from '../db/schema.js';
import { SqliteStatements } from '../db/sqlite-statements.js';
import { compileNewest, type CompiledNewest } from './newest.js';
import { SqliteBatchInsert } from './sqlite-batch-insert.js';
import { claimKey } from './claim-key.js';
import { buildAttestationQuery, buildCountQuery, ROW_COLUMNS, type AttestationRowOut } from './query.js';
import { budgetPage, duplicateIdError, rowToAttestation, toPage } from './rows.js';
import type { AttestationStore } from './store.js';
import { type Attestation, type AttestationFilter, type InsertResult, type NewAttestation } from './types.js';

const NOTHING: InsertResult = { created: 0, alreadyKnown: 0 };

export class SqliteAttestationStore implements AttestationStore {
  readonly kind = 'sqlite' as const;
  private readonly st: SqliteStatements;
  private readonly insertTx: (items: readonly NewAttestation[]) => InsertResult;
  private readonly newestSql: CompiledNewest;
  private readonly afterNewestTx: (p: string, c: string, make: (n: Attestation | undefined) => NewAttestation) => NewAttestation;

  constructor(
    private readonly db: Kysely<Schema>,
    raw: BetterSqlite3.Database,
  ) {
    this.st = new SqliteStatements(raw);
    const batch = new SqliteBatchInsert(raw);
    const tx = raw.transaction((items: readonly NewAttestation[]) => batch.insert(items));
    // IMMEDIATE: the write lock from the start, as the batch assigns seq itself.
    this.insertTx = (items) => (raw.inTransaction ? tx(items) : tx.immediate(items));
    this.newestSql = compileNewest(db, 'sqlite');
    // IMMEDIATE: the write lock is held from the read on, so no other writer gets between.
    const afterNewest = raw.transaction((p: string, c: string, make: (n: Attestation | undefined) => NewAttestation) => {
      const row = this.st.prepare(this.newestSql.sql).get(...this.newestSql.params(p, c)) as AttestationRowOut | undefined;
      const next = make(row ? rowToAttestation(row) : undefined);
      batch.insert([next]);
      return next;
    });
    this.afterNewestTx = (p, c, make) => afterNewest.immediate(p, c, make);
  }

  async insertAfterNewest(predicate: string, context: string, make: (newest: Attestation | undefined) => NewAttestation): Promise<NewAttestation> {
    return this.afterNewestTx(predicate, context, make);
  }

  async insertMany(items: readonly NewAttestation[]): Promise<InsertResult> {
    if (items.length === 0) return NOTHING;
    try {
      return this.insertTx(items);
    } catch (err) {
      throw this.mapInsertError(err, items);
    }
  }

  insertManyIn(tx: DbTx, items: readonly NewAttestation[]): InsertResult {
    if (tx.kind !== 'sqlite') throw new Error('SQLite store given a PostgreSQL transaction');
    if (items.length === 0) return NOTHING;
    try {
      return this.insertTx(items); // nested in the caller's transaction: a savepoint
    } catch (err) {
      throw this.mapInsertError(err, items);
    }
  }

  async query(filter: AttestationFilter) {
    const { compiled, limit } = buildAttestationQuery(this.db, filter, this.kind);
    if (filter.maxBytes === undefined) return toPage(this.st.all(compiled), limit);
    // Rows are read one at a time and the walk stops at the first that does not fit: a page of
    // large rows never loads more than one row past its budget.
    const rows = this.st.prepare(compiled.sql).iterate(...(compiled.parameters as unknown[])) as IterableIterator<AttestationRowOut>;
    return budgetPage(rows, limit, filter.maxBytes);
  }

  async get(id: string): Promise<Attestation | undefined> {
    const row = this.st.get(this.db.selectFrom('attestations as a').select(ROW_COLUMNS).where('a.id', '=', id).compile());
    return row ? rowToAttestation(row as AttestationRowOut) : undefined;
  }

  async findClaim(a: NewAttestation): Promise<Attestation | undefined> {
    const q = this.db.selectFrom('attestations as a').select(ROW_COLUMNS).where('a.claim_key', '=', claimKey(a)).compile();
    const row = this.st.get(q);
    return row ? rowToAttestation(row as AttestationRowOut) : undefined;
  }

  async newest(predicate: string, context: string): Promise<Attestation | undefined> {
    const row = this.st.prepare(this.newestSql.sql).get(...this.newestSql.params(predicate, context)) as
      | AttestationRowOut
      | undefined;
    return row ? rowToAttestation(row) : undefined;
  }

  async explain(filter: AttestationFilter): Promise<string[]> {
    const { compiled } = buildAttestationQuery(this.db, filter, this.kind);
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

  async count(filter: AttestationFilter = {}): Promise<number> {
    return Number(this.st.get(buildCountQuery(this.db, filter, this.kind))?.n ?? 0);
  }

  async explainCount(filter: AttestationFilter): Promise<string[]> {
    const compiled = buildCountQuery(this.db, filter, this.kind);
    const rows = this.st.raw.prepare(`explain query plan ${compiled.sql}`).all(...(compiled.parameters as unknown[]));
    return (rows as Array<{ detail: string }>).map((r) => r.detail);
  }
}

