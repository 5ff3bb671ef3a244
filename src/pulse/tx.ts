// Transactions written once for both databases: an operation is a generator that yields the
// queries Kysely compiled and receives their results. The SQLite runner drives it synchronously
// inside raw.transaction() (nothing can interleave on the one connection); the PostgreSQL runner
// drives it with awaits inside a Kysely transaction.
import type { CompiledQuery } from 'kysely';
import type { Dialect } from '../db/migrations.js';

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
