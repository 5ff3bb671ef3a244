// Where lease times come from. PostgreSQL: the database's own clock, inside the SQL, since
// processes on several hosts share one database but not one clock (a worker whose clock runs
// ahead must not reap live leases, nor write leases that outlive it). SQLite (one host): the
// store's clock. Due times (run_at, next_run_at) stay on the injected clock.
import type { RawBuilder } from 'kysely';
import { sql } from '../db/kysely.js';
import type { Clock } from '../clock.js';
import type { Dialect } from '../db/migrations.js';

export interface LeaseTime {
  /** Now, for a lease being set or renewed: the statement's own time. */
  set(): RawBuilder<number>;
  /** Now, for comparing with leases: on PostgreSQL the transaction's start (stable, so index-friendly, and never later than the truth). */
  compare(): RawBuilder<number>;
}

const PG_CLOCK = sql<number>`(extract(epoch from clock_timestamp()) * 1000)::bigint`;
const PG_TX_START = sql<number>`(extract(epoch from now()) * 1000)::bigint`;

export function leaseTime(dialect: Dialect, clock: Clock): LeaseTime {
  if (dialect === 'postgres') return { set: () => PG_CLOCK, compare: () => PG_TX_START };
  const now = () => sql<number>`${clock.now()}`;
  return { set: now, compare: now };
}

/** The database's clock, ms since the epoch (PostgreSQL; on SQLite the store's clock is the process's). */
export function dbClockQuery() {
  return sql<{ t: number }>`select ${PG_CLOCK} as t`;
}
