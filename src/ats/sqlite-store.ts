// The attestation store on SQLite: synchronous prepared statements inside raw transactions.
import type BetterSqlite3 from 'better-sqlite3';
import type { Kysely } from 'kysely';
import type { DbTx } from '../db/tx.js';
import type { Schema } from '../db/schema.js';
import { SqliteStatements } from '../db/sqlite-statements.js';
import type { WalCheckpointer } from '../db/wal-checkpoint.js';
import type { SqliteReads } from '../db/sqlite-reader.js';
import { compileNewest, type CompiledNewest } from './newest.js';
import { handlerSql, type HandlerChange, type HandlerPointer, type HandlerSql } from './handler-current.js';
import { SqliteBatchInsert } from './sqlite-batch-insert.js';
import { claimKey } from './claim-key.js';
import { buildAttestationQuery, buildCountQuery, ROW_COLUMNS, type AttestationRowOut } from './query.js';
import { budgetPage, duplicateIdError, ROW_OVERHEAD, rowToAttestation, toPage } from './rows.js';
import type { AttestationStore } from './store.js';
import { type Attestation, type AttestationFilter, type InsertResult, type NewAttestation } from './types.js';

const NOTHING: InsertResult = { created: 0, alreadyKnown: 0 };

export class SqliteAttestationStore implements AttestationStore {
  readonly kind = 'sqlite' as const;
  private readonly st: SqliteStatements;
  private readonly insertTx: (items: readonly NewAttestation[]) => InsertResult;
  private readonly newestSql: CompiledNewest;
  private readonly handlerSql: HandlerSql;
  private readonly writeHandlerTx: (type: string, make: (p: HandlerPointer) => HandlerChange) => NewAttestation;

  constructor(
    private readonly db: Kysely<Schema>,
    raw: BetterSqlite3.Database,
    /** Bulk loads hold checkpoints back, then one runs in the background. */
    private readonly wal: WalCheckpointer,
    /**
     * Where queries and counts run: off the main thread, under the time limit (sqlite-reader.ts).
     * Without it they run on `raw`. Point reads by key stay on `raw` either way.
     */
    private readonly reads?: SqliteReads,
  ) {
    this.st = new SqliteStatements(raw);
    const batch = new SqliteBatchInsert(raw);
    const tx = raw.transaction((items: readonly NewAttestation[]) => batch.insert(items));
    // IMMEDIATE: the write lock from the start, as the batch assigns seq itself.
    this.insertTx = (items) => (raw.inTransaction ? tx(items) : tx.immediate(items));
    this.newestSql = compileNewest(db, 'sqlite');
    this.handlerSql = handlerSql(db);
    // IMMEDIATE: the write lock is held from the read on, so no other writer gets between.
    const writeHandler = raw.transaction((type: string, make: (p: HandlerPointer) => HandlerChange) => {
      const h = this.handlerSql;
      const row = this.st.prepare(h.current.sql).get(...h.current.params(type)) as AttestationRowOut | undefined;
      const ver = this.st.prepare(h.version.sql).get(...h.version.params(type)) as { version: number } | undefined;
      const change = make({ current: row ? rowToAttestation(row) : undefined, version: Number(ver?.version ?? 0) });
      batch.insert([change.attestation]);
      this.st.run(h.upsert(type, change, change.attestation.created_at));
      return change.attestation;
    });
    this.writeHandlerTx = (type, make) => writeHandler.immediate(type, make);
  }

  async writeHandler(type: string, make: (p: HandlerPointer) => HandlerChange): Promise<NewAttestation> {
    return this.writeHandlerTx(type, make);
  }

  async currentHandler(type: string): Promise<Attestation | undefined> {
    const h = this.handlerSql.current;
    const row = this.st.prepare(h.sql).get(...h.params(type)) as AttestationRowOut | undefined;
    return row ? rowToAttestation(row) : undefined;
  }

  async currentHandlers(): Promise<Array<{ type: string; attestation: Attestation }>> {
    return this.st.all(this.handlerSql.list).map((r) => ({ type: r.script_type, attestation: rowToAttestation(r) }));
  }

  async insertMany(items: readonly NewAttestation[]): Promise<InsertResult> {
    if (items.length === 0) return NOTHING;
    try {
      return this.insertTx(items);
    } catch (err) {
      throw this.mapInsertError(err, items);
    }
  }

  insertBulk(items: readonly NewAttestation[]): Promise<InsertResult> {
    return this.insertMany(items);
  }

  async analyze(): Promise<void> {}

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
    if (this.reads) {
      const params = compiled.parameters as unknown[];
      if (filter.maxBytes === undefined) return toPage(await this.reads.read<AttestationRowOut>(compiled.sql, params, { kind: 'all' }), limit);
      // The read process stops at the first row past the budget (or at limit + 1); the page is cut here.
      const mode = { kind: 'page', maxRows: limit + 1, maxBytes: filter.maxBytes, rowOverhead: ROW_OVERHEAD } as const;
      return budgetPage((await this.reads.read<AttestationRowOut>(compiled.sql, params, mode)).values(), limit, filter.maxBytes);
    }
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
    this.wal.hold();
    try {
      return await fn();
    } finally {
      // What piled up in the WAL is written back on a thread of its own (wal-checkpoint.ts).
      this.wal.release();
    }
  }

  async count(filter: AttestationFilter = {}): Promise<number> {
    const compiled = buildCountQuery(this.db, filter, this.kind);
    if (this.reads) {
      const [row] = await this.reads.read<{ n: number | string }>(compiled.sql, compiled.parameters as unknown[], { kind: 'get' });
      return Number(row?.n ?? 0);
    }
    return Number(this.st.get(compiled)?.n ?? 0);
  }

  async explainCount(filter: AttestationFilter): Promise<string[]> {
    const compiled = buildCountQuery(this.db, filter, this.kind);
    const rows = this.st.raw.prepare(`explain query plan ${compiled.sql}`).all(...(compiled.parameters as unknown[]));
    return (rows as Array<{ detail: string }>).map((r) => r.detail);
  }
}

