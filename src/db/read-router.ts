// Where attestation reads run on PostgreSQL. Queries, lists and counts that need not
// see the caller's own writes go to a streaming replica when one is configured
// (--read-database-url / QNTX_READ_DATABASE_URL), else to the primary. Writes, Pulse and
// read-your-writes reads never come here: they use the primary's pool.
//
// Both read pools run with planner settings of their own: bitmap scans off, so that a filtered
// page is an ordered walk of the field index that stops at its limit, whatever the statistics
// say (without them the planner takes every match of a value for a handful of rows and sorts
// them all; see docs/architecture.md "Plans without statistics"). The connections are read-only.
//
// A replica that cannot be reached (down, refusing, restarting) is not an error for the caller:
// the read runs on the primary and a warning is logged, once per outage.
import type pg from 'pg';
import { QueryTimeLimitError } from '../errors.js';
import type { Logger } from '../logger.js';
import { StatementNames } from './statement-names.js';

/** Options every read connection gets (added to the search_path option, if any). */
export const READ_OPTIONS = '-c enable_bitmapscan=off -c default_transaction_read_only=on';

/** Errors that mean the server is unreachable or going away, not that the query is wrong. */
const CONNECTION_CODES = new Set(['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EHOSTUNREACH', 'ENOTFOUND', 'EPIPE', '57P01', '57P02', '57P03', '08000', '08001', '08003', '08006']);

export function isConnectionError(err: unknown): boolean {
  const e = err as { code?: string; message?: string };
  if (e.code && CONNECTION_CODES.has(e.code)) return true;
  return /Connection terminated|connection timeout|Client has encountered a connection error/i.test(e.message ?? '');
}

export type ReadSource = 'replica' | 'primary';

export class ReadRouter {
  private replicaDown = false;
  /** Reads served by each side since start (tests and diagnostics). */
  readonly served: Record<ReadSource, number> = { replica: 0, primary: 0 };
  /** Hot statement texts run prepared (statement-names.ts). */
  readonly names = new StatementNames();

  constructor(
    private readonly primary: pg.Pool,
    private readonly replica: pg.Pool | undefined,
    private readonly logger: Logger | undefined,
    /** The read connections' statement_timeout, ms (0: none): a read cancelled by it is a QueryTimeLimitError. */
    private readonly timeLimitMs = 0,
  ) {}

  get hasReplica(): boolean {
    return this.replica !== undefined;
  }

  /**
   * Runs one read. `allMatches`: the query reads every match anyway (a count), so bitmap scans are
   * allowed again for it (SET LOCAL in a transaction of its own; never prepared: a kept plan
   * would outlive the setting). Other reads whose text recurs run as prepared statements, unless
   * `prepare: false` (EXPLAIN: planned afresh each time).
   */
  async query<R extends pg.QueryResultRow>(text: string, values: readonly unknown[], opts: { allMatches?: boolean; prepare?: false } = {}): Promise<pg.QueryResult<R>> {
    try {
      return await this.route<R>(text, values, opts);
    } catch (err) {
      // 57014 query_canceled: statement_timeout (nothing else cancels a read here).
      if (this.timeLimitMs > 0 && (err as { code?: string }).code === '57014') throw new QueryTimeLimitError(this.timeLimitMs, { cause: err });
      throw err;
    }
  }

  private async route<R extends pg.QueryResultRow>(text: string, values: readonly unknown[], opts: { allMatches?: boolean; prepare?: false }): Promise<pg.QueryResult<R>> {
    const name = opts.allMatches || opts.prepare === false ? undefined : this.names.nameFor(text);
    const run = (pool: pg.Pool) =>
      opts.allMatches ? withBitmaps<R>(pool, text, values) : pool.query<R>({ text, values: values as unknown[], ...(name ? { name } : {}) });
    if (this.replica) {
      try {
        const res = await run(this.replica);
        if (this.replicaDown) {
          this.replicaDown = false;
          this.logger?.info('read replica reachable again: reads go to it');
        }
        this.served.replica++;
        return res;
      } catch (err) {
        if (!isConnectionError(err)) throw err;
        if (!this.replicaDown) {
          this.replicaDown = true;
          this.logger?.warn(
            { err: { message: (err as Error).message, code: (err as { code?: string }).code } },
            'read replica unavailable: reading from the primary',
          );
        }
      }
    }
    const res = await run(this.primary);
    this.served.primary++;
    return res;
  }

  /** A connection of the primary's read pool, with the read settings (tests and diagnostics). */
  connect(): Promise<pg.PoolClient> {
    return this.primary.connect();
  }

  async close(): Promise<void> {
    await Promise.all([this.primary.end(), this.replica?.end()]);
  }
}

async function withBitmaps<R extends pg.QueryResultRow>(pool: pg.Pool, text: string, values: readonly unknown[]): Promise<pg.QueryResult<R>> {
  const client = await pool.connect();
  let broken: Error | undefined;
  try {
    await client.query('begin');
    try {
      await client.query('set local enable_bitmapscan = on');
      const res = await client.query<R>(text, values as unknown[]);
      await client.query('commit');
      return res;
    } catch (err) {
      await client.query('rollback').catch((e: Error) => {
        broken = e;
      });
      throw err;
    }
  } finally {
    client.release(broken);
  }
}
