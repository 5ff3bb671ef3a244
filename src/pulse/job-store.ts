// The job queue's storage: one interface, one implementation over a TxRunner (SQLite or
// PostgreSQL); the worker receives it and never builds SQL itself.
import type { CompiledQuery, Kysely } from 'kysely';
import { sql } from '../db/kysely.js';
import type { Dialect } from '../db/migrations.js';
import type { Schema } from '../db/schema.js';
import type { JobStatus } from '../protocol.js';
import {
  activeBySourceQuery,
  cancelOp,
  claimQuery,
  finishJobOp,
  heartbeatQuery,
  insertJobQuery,
  nextRunAtQuery,
  progressQuery,
  reapOp,
  releaseQuery,
  runningOwnersQuery,
  type CancelResult,
  type ClaimRequest,
  type FinishRequest,
  type LeaseRef,
  type ProgressUpdate,
  type Settled,
} from './job-ops.js';
import type { JobRow, Page } from './rows.js';
import type { Clock } from '../clock.js';
import { Batcher } from './batcher.js';
import { checkpointQuery, keepBoundaryQuery, pruneBatchQuery, type JobRetention } from './job-retention.js';
import { dbClockQuery, leaseTime, type LeaseTime } from './lease-time.js';
import { completeManyOp } from './complete-many.js';
import type { TxRunner } from '../db/tx.js';

export interface JobFilter {
  status?: JobStatus | undefined;
  handler_name?: string | undefined;
  schedule_id?: string | undefined;
  source?: string | undefined;
}

export interface Paging {
  limit?: number | undefined;
  /** The next_cursor of the previous page. */
  cursor?: string | undefined;
}

export const DEFAULT_PAGE = 50;
export const MAX_PAGE = 500;

export interface JobStore {
  readonly kind: Dialect;
  /** Inserts a job, or returns the queued/running job holding the same source. */
  enqueue(row: JobRow): Promise<{ row: JobRow; created: boolean }>;
  claim(req: ClaimRequest): Promise<JobRow[]>;
  /** Renews leases (on the lease clock); a job missing from the answer is no longer ours. */
  heartbeat(workerId: string, ids: readonly string[], leaseMs: number): Promise<Array<{ id: string; cancel_requested: number }>>;
  progress(f: ProgressUpdate): Promise<void>;
  /** Ends an attempt (and its execution when final); null when the lease was lost. */
  finish(f: FinishRequest): Promise<Settled | null>;
  /** Gives leases back (no attempt counted); only those still held with that attempt. */
  release(workerId: string, leases: readonly LeaseRef[], now: number): Promise<JobRow[]>;
  /** Jobs whose lease ran out by the lease clock go back to the queue; `now` stamps the rows. */
  reapExpired(now: number, limit?: number): Promise<Settled[]>;
  /** Treats these workers as dead: their jobs go back to the queue (counting an attempt) now. */
  reapOwners(owners: readonly string[], now: number): Promise<Settled[]>;
  /** Lease owners of running jobs. */
  runningOwners(): Promise<string[]>;
  cancel(id: string, now: number): Promise<CancelResult | null>;
  /** The earliest run_at of a queued job. */
  nextRunAt(): Promise<number | null>;
  /** The lease clock now, ms (PostgreSQL: the database's clock). */
  leaseClockNow(): Promise<number>;
  /** Deletes finished jobs past the retention, in batches; returns how many. */
  prune(retention: JobRetention, now: number): Promise<number>;
  get(id: string): Promise<JobRow | undefined>;
  list(filter: JobFilter, paging: Paging): Promise<Page<JobRow>>;
}

export class SqlJobStore implements JobStore {
  readonly kind: Dialect;
  /**
   * PostgreSQL: finishes share transactions (group commit), since every commit waits for a WAL
   * flush. SQLite commits cost no flush (WAL, synchronous=NORMAL): each is written at once.
   */
  private readonly finishes: Batcher<FinishRequest, Settled | null> | null;

  private readonly lt: LeaseTime;

  constructor(
    private readonly db: Kysely<Schema>,
    private readonly runner: TxRunner,
    /** SQLite: the lease clock (one host). PostgreSQL leases use the database's clock. */
    private readonly clock: Clock,
  ) {
    this.kind = runner.dialect;
    this.lt = leaseTime(this.kind, clock);
    this.finishes = this.kind === 'postgres' ? new Batcher((reqs) => this.finishMany(reqs)) : null;
  }

  async enqueue(row: JobRow): Promise<{ row: JobRow; created: boolean }> {
    // The insert and the lookup are two statements: the holder of the source may finish in
    // between, so try again (a handful of rounds is plenty).
    for (let round = 0; round < 5; round++) {
      const inserted = (await this.runner.run(insertJobQuery(this.db, row))).rows[0];
      if (inserted) return { row: inserted, created: true };
      const existing = (await this.runner.run(activeBySourceQuery(this.db, row.source!))).rows[0];
      if (existing) return { row: existing, created: false };
    }
    throw new Error(`could not enqueue job with source ${row.source}`);
  }

  async claim(req: ClaimRequest): Promise<JobRow[]> {
    const q = this.kind === 'postgres' ? pgClaimQuery(this.db, req) : claimQuery(this.db, req, this.lt);
    const { rows } = await this.runner.run(q);
    return rows.sort((a, b) => a.run_at - b.run_at || (a.id < b.id ? -1 : 1));
  }

  async heartbeat(workerId: string, ids: readonly string[], leaseMs: number) {
    if (!ids.length) return [];
    return (await this.runner.run(heartbeatQuery(this.db, workerId, ids, leaseMs, this.lt))).rows;
  }

  async progress(f: ProgressUpdate): Promise<void> {
    await this.runner.run(progressQuery(this.db, f));
  }

  finish(f: FinishRequest): Promise<Settled | null> {
    if (this.finishes) return this.finishes.submit(f);
    const op = () => finishJobOp(this.db, this.kind, f);
    // Without an execution to finish, or on a retry, only the job row changes: one statement.
    const single = !f.executionId || (f.outcome.kind === 'failed' && f.outcome.retryAt !== null);
    return single ? this.runner.autocommit(op) : this.runner.transaction(op);
  }

  /** A batch of finishes in one commit: completions in three statements, the rest one by one. */
  private finishMany(reqs: FinishRequest[]): Promise<Array<Settled | null>> {
    const completed = reqs.filter((r) => r.outcome.kind === 'completed');
    const rest = reqs.filter((r) => r.outcome.kind !== 'completed');
    const { db, kind } = this;
    const op = function* () {
      const out = completed.length ? yield* completeManyOp(db, completed) : new Map<FinishRequest, Settled | null>();
      for (const r of rest) out.set(r, yield* finishJobOp(db, kind, r));
      return reqs.map((r) => out.get(r) ?? null);
    };
    const single = !rest.length && completed.every((r) => !r.executionId);
    return single ? this.runner.autocommit(op) : this.runner.transaction(op);
  }

  async release(workerId: string, leases: readonly LeaseRef[], now: number): Promise<JobRow[]> {
    if (!leases.length) return [];
    return (await this.runner.run(releaseQuery(this.db, workerId, leases, now))).rows;
  }

  reapExpired(now: number, limit = 100): Promise<Settled[]> {
    return this.runner.transaction(() => reapOp(this.db, this.kind, { now, limit, lt: this.lt }));
  }

  reapOwners(owners: readonly string[], now: number): Promise<Settled[]> {
    if (!owners.length) return Promise.resolve([]);
    return this.runner.transaction(() => reapOp(this.db, this.kind, { now, limit: 1000, owners, lt: this.lt }));
  }

  async runningOwners(): Promise<string[]> {
    const { rows } = await this.runner.run(runningOwnersQuery(this.db));
    return rows.map((r) => r.lease_owner).filter((o): o is string => o !== null);
  }

  cancel(id: string, now: number): Promise<CancelResult | null> {
    return this.runner.transaction(() => cancelOp(this.db, this.kind, { id, now }));
  }

  async nextRunAt(): Promise<number | null> {
    const row = (await this.runner.run(nextRunAtQuery(this.db))).rows[0];
    return row?.t === null || row?.t === undefined ? null : Number(row.t);
  }

  async prune(r: JobRetention, now: number): Promise<number> {
    const boundary = (await this.runner.run(keepBoundaryQuery(this.db, r.keep))).rows[0]?.id ?? null;
    const batch = r.batch ?? 500;
    let total = 0;
    for (;;) {
      const n = (await this.runner.run(pruneBatchQuery(this.db, this.kind, { cutoff: now - r.maxAgeMs, boundary, batch }))).changes;
      total += n;
      if (n < batch) break;
      // Let what waits for the database (a tick, a claim) go between two batches.
      await new Promise((resolve) => setImmediate(resolve));
    }
    if (total && this.kind === 'sqlite') await this.runner.run(checkpointQuery.compile(this.db));
    return total;
  }

  async leaseClockNow(): Promise<number> {
    if (this.kind === 'sqlite') return this.clock.now();
    return Number((await this.runner.run(dbClockQuery().compile(this.db))).rows[0]!.t);
  }

  async get(id: string): Promise<JobRow | undefined> {
    return (await this.runner.run(this.db.selectFrom('pulse_jobs').selectAll().where('id', '=', id).compile())).rows[0];
  }

  async list(filter: JobFilter, paging: Paging): Promise<Page<JobRow>> {
    const limit = pageLimit(paging);
    let q = this.db.selectFrom('pulse_jobs').selectAll();
    if (filter.status) q = q.where('status', '=', filter.status);
    if (filter.handler_name) q = q.where('handler_name', '=', filter.handler_name);
    if (filter.schedule_id) q = q.where('schedule_id', '=', filter.schedule_id);
    if (filter.source) q = q.where('source', '=', filter.source);
    if (paging.cursor) q = q.where('id', '<', paging.cursor);
    const { rows } = await this.runner.run(q.orderBy('id', 'desc').limit(limit + 1).compile());
    return toPage(rows, limit);
  }
}

/** PostgreSQL: the claim in one call of the function of migration 006c (see there). */
function pgClaimQuery(db: Kysely<Schema>, req: ClaimRequest): CompiledQuery<JobRow> {
  const handlers = req.handlers ? [...req.handlers] : null;
  return sql<JobRow>`select * from pulse_claim(${req.workerId}, ${req.now}, ${req.leaseMs}, ${req.limit}, ${handlers}::text[])`.compile(db);
}

export function pageLimit(paging: Paging): number {
  return Math.min(MAX_PAGE, Math.max(1, Math.trunc(paging.limit ?? DEFAULT_PAGE)));
}

export function toPage<R extends { id: string }>(rows: R[], limit: number): Page<R> {
  const items = rows.slice(0, limit);
  return { items, next_cursor: rows.length > limit ? items[items.length - 1]!.id : null };
}
