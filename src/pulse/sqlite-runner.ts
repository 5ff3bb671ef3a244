// Drives Pulse operations on SQLite: synchronous prepared statements (compiled by Kysely) inside
// raw.transaction().immediate(), so a claim or a tick holds the write lock from its first read.
import type BetterSqlite3 from 'better-sqlite3';
import type { CompiledQuery } from 'kysely';
import { SqliteStatements } from '../db/sqlite-statements.js';
import type { Op, QueryResult, TxRunner } from './tx.js';

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
