// Transactions written once for both databases, used by Pulse, the attestation stores and the
// canvas store. An operation (Op) is a generator that yields the queries Kysely compiled and
// receives their results. SQLite drives it synchronously inside raw.transaction() (nothing can
// interleave on the one connection, and SQLite never sees an async Kysely transaction);
// PostgreSQL drives it with awaits inside a Kysely transaction, run again on a deadlock.
import type BetterSqlite3 from 'better-sqlite3';
import type { CompiledQuery, Kysely, Transaction } from 'kysely';
import type { Database } from './database.js';
import type { Dialect } from './migrations.js';
import type { Schema } from './schema.js';
import { SqliteStatements } from './sqlite-statements.js';

export interface QueryResult<R> {
  rows: R[];
  /** Rows written (for statements with RETURNING: rows returned). */
  changes: number;
}

/** A transaction body: yields queries, gets their results back, returns T. */
export type Op<T> = Generator<CompiledQuery, T, QueryResult<unknown>>;

/** Runs one query inside an Op: `const { rows } = yield* query(db.selectFrom(...).compile())`. */
export function* query<R>(q: CompiledQuery<R>): Generator<CompiledQuery, QueryResult<R>, QueryResult<unknown>> {
  return (yield q) as QueryResult<R>;
}

/**
 * A transaction another module opened, handed to a store so its writes join it. On SQLite the
 * work must be synchronous (it runs inside raw.transaction()); on PostgreSQL it is a Kysely trx.
 */
export type DbTx = { kind: 'sqlite'; raw: BetterSqlite3.Database } | { kind: 'postgres'; trx: Transaction<Schema> };

export interface TxRunner {
  readonly dialect: Dialect;
  /** Runs `op()` in one transaction (SQLite: BEGIN IMMEDIATE; PostgreSQL: retried on deadlock). */
  transaction<T>(op: () => Op<T>): Promise<T>;
  /**
   * Runs `op()` without a transaction, each statement on its own: only for ops that yield a single
   * write (atomic by itself), to save the BEGIN/COMMIT round trips.
   */
  autocommit<T>(op: () => Op<T>): Promise<T>;
  /** Runs one statement on its own: it is atomic by itself, and saves BEGIN/COMMIT round trips. */
  run<R>(q: CompiledQuery<R>): Promise<QueryResult<R>>;
}

/** The runner that fits the open database. */
export function createTxRunner(database: Pick<Database, 'db' | 'sqlite'>): SqliteRunner | PostgresRunner {
  return database.sqlite ? new SqliteRunner(database.sqlite) : new PostgresRunner(database.db);
}

/** SQLite: synchronous prepared statements inside raw.transaction().immediate(), so an op holds the write lock from its first read. */
export class SqliteRunner implements TxRunner {
  readonly dialect = 'sqlite' as const;
  private readonly st: SqliteStatements;
  private readonly tx: BetterSqlite3.Transaction<(op: Op<unknown>) => unknown>;

  constructor(readonly raw: BetterSqlite3.Database) {
    this.st = new SqliteStatements(raw);
    this.tx = raw.transaction((op: Op<unknown>) => this.drive(op));
  }

  async transaction<T>(op: () => Op<T>): Promise<T> {
    return this.transactionSync(op);
  }

  /** The synchronous form, for callers that are themselves inside a raw transaction. */
  transactionSync<T>(op: () => Op<T>): T {
    return this.tx.immediate(op()) as T;
  }

  async autocommit<T>(op: () => Op<T>): Promise<T> {
    return this.drive(op()) as T;
  }

  async run<R>(q: CompiledQuery<R>): Promise<QueryResult<R>> {
    return this.exec(q) as QueryResult<R>;
  }

  private drive(op: Op<unknown>): unknown {
    let step = op.next();
    while (!step.done) step = op.next(this.exec(step.value));
    return step.value;
  }

  private exec(q: CompiledQuery): QueryResult<unknown> {
    const st = this.st.prepare(q.sql);
    const params = q.parameters as unknown[];
    if (st.reader) {
      const rows = st.all(...params);
      return { rows, changes: rows.length };
    }
    return { rows: [], changes: st.run(...params).changes };
  }
}

const RETRY_CODES = new Set(['40P01', '40001']);
const MAX_ATTEMPTS = 4;

/** PostgreSQL: a deadlock or serialization failure rolls the op back; it runs again from the start (at most 4 times). */
export class PostgresRunner implements TxRunner {
  readonly dialect = 'postgres' as const;

  constructor(private readonly db: Kysely<Schema>) {}

  async transaction<T>(op: () => Op<T>): Promise<T> {
    for (let attempt = 1; ; attempt++) {
      try {
        return await this.db.transaction().execute(async (trx) => {
          const gen = op();
          let step = gen.next();
          while (!step.done) {
            const res = await trx.executeQuery(step.value);
            step = gen.next({ rows: res.rows, changes: changes(res) });
          }
          return step.value;
        });
      } catch (err) {
        if (attempt >= MAX_ATTEMPTS || !RETRY_CODES.has((err as { code?: string }).code ?? '')) throw err;
      }
    }
  }

  async autocommit<T>(op: () => Op<T>): Promise<T> {
    const gen = op();
    let step = gen.next();
    while (!step.done) step = gen.next(await this.run(step.value));
    return step.value;
  }

  async run<R>(q: CompiledQuery<R>): Promise<QueryResult<R>> {
    const res = await this.db.executeQuery(q);
    return { rows: res.rows, changes: changes(res) };
  }
}

function changes(res: { rows: unknown[]; numAffectedRows?: bigint }): number {
  return res.numAffectedRows === undefined ? res.rows.length : Number(res.numAffectedRows);
}
