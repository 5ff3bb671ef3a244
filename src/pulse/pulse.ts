// The Pulse facade: builds the stores, the worker and the ticker from one options object and is
// all the HTTP routes, WebSocket layer and CLI need (they never touch the stores directly).
import { randomBytes } from 'node:crypto';
import os from 'node:os';
import { z } from 'zod';
import type { Clock } from '../clock.js';
import type { Database } from '../db/database.js';
import { createTxRunner, type TxRunner } from '../db/tx.js';
import { NotFoundError, ValidationError, issuesToDetails } from '../errors.js';
import type { Logger } from '../logger.js';
import type { ExecutionDto, JobDto, ScheduleDto, ScheduleStatsDto } from '../protocol.js';
import type { BackoffPolicy } from '../backoff.js';
import type { Catalog } from './catalog.js';
import { ClockCheck } from './clock-check.js';
import { DEFAULT_JOB_RETENTION, JobPruner, type JobRetention } from './job-retention.js';
import { PulseEvents, jobUpdate, publishSettled } from './events.js';
import { PulseIds } from './ids.js';
import { newJobRow } from './job-ops.js';
import { SqlJobStore, type JobFilter, type JobStore, type Paging } from './job-store.js';
import { jobToDto, type Page } from './rows.js';
import type { JobDefaults } from './schedule-ops.js';
import { SqlScheduleStore, type ScheduleFilter, type ScheduleStore } from './schedule-store.js';
import { ScheduleService, type CreateScheduleInput, type PatchScheduleInput, type ScheduleResolver } from './schedules.js';
import { ScheduleStateStore } from './state-store.js';
import { Ticker } from './ticker.js';
import { PgAdvisoryLock, alwaysHeld } from './ticker-lock.js';
import { Worker } from './worker.js';
import { WatchLoop, pendingMatches, type WatchSource } from './watcher.js';

export interface PulseOptions {
  database: Database;
  clock: Clock;
  logger: Logger;
  catalog: Catalog;
  resolver: ScheduleResolver;
  /** Lease owner name (default host:pid:random). */
  workerId?: string;
  /** Jobs run at once by this process; 0 = no worker (default 2). */
  concurrency?: number;
  /** Lease length, ms: a dead worker's job runs again this long after its last heartbeat (default 30 s). */
  leaseMs?: number;
  /** Executions kept per schedule (default 100). */
  executionsKept?: number;
  /** Run the ticker in this process (default true). */
  ticker?: boolean;
  /** Only run these handlers (default all). */
  handlers?: readonly string[];
  pollMs?: number;
  /** Jobs claimed ahead of free slots while jobs are short (default: max(16, 2 × concurrency); 0 = never). */
  prefetch?: number;
  backoff?: BackoffPolicy;
  random?: () => number;
  tickerBatch?: number;
  tickerMaxSleepMs?: number;
  events?: PulseEvents;
  /** Active schedules at most (unset: no cap). */
  maxActiveSchedules?: number;
  /** Pruning of finished jobs, in processes with a ticker (default: 10,000 kept, 7 days). */
  jobRetention?: JobRetention;
  /** Watchers' matching (the AX layer's); without it `watch: true` schedules cannot be made. */
  watch?: WatchSource;
  /** Longest sleep of the watch loop, ms (default 1000). */
  watchMaxSleepMs?: number;
  /** Wraps the transaction runner of the job and schedule stores (tests inject faults with it). */
  runner?: (base: TxRunner) => TxRunner;
}

export interface EnqueueOptions {
  /** De-duplication key: while a job of this source is queued or running, it is returned instead. */
  source?: string | null;
  maxRetries?: number;
  /** Not before this time, ms (default now). */
  runAt?: number;
  timeoutMs?: number;
}

const enqueueOptions = z.object({
  source: z.string().min(1).max(500).nullish(),
  maxRetries: z.number().int().min(0).max(100).optional(),
  runAt: z.number().int().min(0).optional(),
  timeoutMs: z.number().int().min(1).max(7 * 24 * 3600_000).optional(),
});

const DEFAULT_TIMEOUT_MS = 60 * 60_000;

export class Pulse {
  readonly events: PulseEvents;
  /** Per-schedule handler state, with saveWith() for "last batch + state" in one transaction. */
  readonly stateStore: ScheduleStateStore;
  /** Storage, for tests and benchmarks; routes go through the methods below. */
  readonly jobStore: JobStore;
  readonly scheduleStore: ScheduleStore;
  readonly workerId: string;
  private readonly worker: Worker | null;
  private readonly ticker: Ticker | null;
  /** Hands watchers their new matches (in processes with a ticker). */
  readonly watchLoop: WatchLoop | null;
  private readonly schedules: ScheduleService;
  private readonly ids: PulseIds;
  private readonly clockCheck: ClockCheck;
  private readonly pruner: JobPruner | null;
  private readonly retention: JobRetention;
  private started = false;

  constructor(private readonly o: PulseOptions) {
    const { database, clock, logger, catalog } = o;
    this.events = o.events ?? new PulseEvents(logger);
    this.ids = new PulseIds(() => clock.now());
    // host:pid:random — the worker recovers leases of dead processes of its host (SQLite) by it.
    this.workerId = o.workerId ?? `${os.hostname()}:${process.pid}:${randomBytes(3).toString('hex')}`;
    const base = createTxRunner(database);
    const sqlite = base.dialect === 'sqlite' ? base : undefined;
    const runner = o.runner ? o.runner(base) : base;
    this.jobStore = new SqlJobStore(database.db, runner, clock);
    this.scheduleStore = new SqlScheduleStore(database.db, runner, o.executionsKept ?? 100);
    this.stateStore = new ScheduleStateStore(database.db, sqlite, () => clock.now());
    const jobDefaults: JobDefaults = (name) => {
      const def = catalog.get(name);
      return { timeoutMs: def?.timeoutMs ?? DEFAULT_TIMEOUT_MS, maxRetries: def?.maxRetries ?? 0 };
    };
    const concurrency = o.concurrency ?? 2;
    this.worker =
      concurrency > 0
        ? new Worker({
            jobs: this.jobStore,
            catalog,
            stateStore: this.stateStore,
            events: this.events,
            clock,
            logger: logger.child({ component: 'pulse-worker' }),
            workerId: this.workerId,
            concurrency,
            leaseMs: o.leaseMs ?? 30_000,
            ...(o.pollMs === undefined ? {} : { pollMs: o.pollMs }),
            ...(o.prefetch === undefined ? {} : { prefetch: o.prefetch }),
            ...(o.backoff === undefined ? {} : { backoff: o.backoff }),
            ...(o.random === undefined ? {} : { random: o.random }),
            ...(o.handlers === undefined ? {} : { handlers: o.handlers }),
            // A SQLite file is shared by processes of one host only: a dead one can be told from its pid.
            ...(database.kind === 'sqlite' && !o.workerId ? { localHost: os.hostname() } : {}),
          })
        : null;
    const lock =
      database.kind === 'postgres' && database.pgConfig
        ? new PgAdvisoryLock(database.pgConfig as object, logger.child({ component: 'pulse-ticker' }))
        : alwaysHeld;
    this.ticker =
      o.ticker === false
        ? null
        : new Ticker({
            schedules: this.scheduleStore,
            clock,
            logger: logger.child({ component: 'pulse-ticker' }),
            events: this.events,
            ids: this.ids,
            jobDefaults,
            lock,
            onFired: () => this.worker?.wake(),
            ...(o.tickerBatch === undefined ? {} : { batch: o.tickerBatch }),
            ...(o.tickerMaxSleepMs === undefined ? {} : { maxSleepMs: o.tickerMaxSleepMs }),
          });
    this.watchLoop =
      o.ticker === false || !o.watch
        ? null
        : new WatchLoop({
            db: database.db,
            runner,
            schedules: this.scheduleStore,
            source: o.watch,
            clock,
            logger: logger.child({ component: 'pulse-watch' }),
            events: this.events,
            ids: this.ids,
            jobDefaults,
            keep: o.executionsKept ?? 100,
            onFired: () => this.worker?.wake(),
            ...(o.watchMaxSleepMs === undefined ? {} : { maxSleepMs: o.watchMaxSleepMs }),
          });
    this.clockCheck = new ClockCheck({
      clock,
      logger,
      dbNow: () => (database.kind === 'postgres' ? this.jobStore.leaseClockNow() : Promise.resolve(null)),
    });
    this.retention = o.jobRetention ?? DEFAULT_JOB_RETENTION;
    this.pruner =
      o.ticker === false
        ? null
        : new JobPruner({ clock, logger, everyMs: this.retention.everyMs ?? 60_000, prune: () => this.pruneJobs() });
    this.schedules = new ScheduleService({
      schedules: this.scheduleStore,
      catalog,
      resolver: o.resolver,
      clock,
      ids: this.ids,
      events: this.events,
      jobDefaults,
      onChange: () => this.ticker?.wake(),
      onFired: () => this.worker?.wake(),
      abortJob: (id) => this.worker?.abort(id, 'cancel'),
      ...(o.watch ? { watchStart: (payload: unknown, now: number) => o.watch!.start(payload, now) } : {}),
      ...(o.maxActiveSchedules === undefined ? {} : { maxActive: o.maxActiveSchedules }),
    });
  }

  /** Starts the worker and the ticker (each when configured). */
  async start(): Promise<void> {
    if (this.started) return;
    this.started = true;
    this.clockCheck.start();
    this.worker?.start();
    this.ticker?.start();
    this.watchLoop?.start();
    this.pruner?.start();
  }

  /** Stops the ticker, then the worker: running jobs get `graceMs` to finish, then their leases go back. */
  async stop(graceMs = 10_000): Promise<void> {
    if (!this.started) return;
    this.started = false;
    await this.clockCheck.stop();
    await this.pruner?.stop();
    await this.ticker?.stop();
    await this.watchLoop?.stop();
    await this.worker?.stop(graceMs);
  }

  /** Deletes finished jobs past the retention (also done every minute by a process with a ticker); returns how many. */
  pruneJobs(): Promise<number> {
    return this.jobStore.prune(this.retention, this.o.clock.now());
  }

  /** Measures this process's clock against the database's now (PostgreSQL; null on SQLite). */
  checkClock(): Promise<number | null> {
    return this.clockCheck.check();
  }

  /** This process's clock minus the database's, ms, as last measured (null on SQLite). */
  get clockOffsetMs(): number | null {
    return this.clockCheck.offsetMs;
  }

  /** Wakes this process's worker (a job was queued elsewhere: NOTIFY from another process). */
  wake(): void {
    this.worker?.wake();
  }

  /** Whether this process's ticker holds the one-ticker lock (false without a ticker). */
  get tickerActive(): boolean {
    return this.ticker?.holding ?? false;
  }

  /** Whether this process claims and runs jobs. */
  get workerEnabled(): boolean {
    return this.worker !== null;
  }

  /** Number of jobs this process runs right now. */
  get runningJobs(): number {
    return this.worker?.runningCount ?? 0;
  }

  // ---- jobs

  /** Queues a job; with a `source` held by a queued or running job, returns that job instead. */
  async enqueue(handler: string, payload: unknown, opts: EnqueueOptions = {}): Promise<JobDto> {
    const def = this.o.catalog.require(handler);
    this.o.catalog.parse(handler, payload);
    const r = enqueueOptions.safeParse(opts);
    if (!r.success) throw new ValidationError('invalid job options', { details: issuesToDetails(r.error.issues) });
    const now = this.o.clock.now();
    const row = newJobRow({
      id: this.ids.next('JB'),
      handler_name: handler,
      payload,
      source: r.data.source ?? null,
      max_retries: r.data.maxRetries ?? def.maxRetries,
      timeout_ms: r.data.timeoutMs ?? def.timeoutMs,
      run_at: r.data.runAt ?? now,
      schedule_id: null,
      execution_id: null,
      now,
    });
    const { row: saved, created } = await this.jobStore.enqueue(row);
    if (created) {
      this.events.emit(jobUpdate(saved));
      this.worker?.wake();
    }
    return jobToDto(saved);
  }

  /** A queued job never starts; a running one is aborted by its worker (here or in another process). */
  async cancelJob(id: string): Promise<JobDto> {
    const res = await this.jobStore.cancel(id, this.o.clock.now());
    if (!res) throw jobNotFound(id);
    if (res.requested) this.worker?.abort(id, 'cancel');
    if (res.changed && res.requested) this.events.emit(jobUpdate(res.job));
    else if (res.changed) publishSettled(this.events, res);
    return jobToDto(res.job);
  }

  async getJob(id: string): Promise<JobDto> {
    const row = await this.jobStore.get(id);
    if (!row) throw jobNotFound(id);
    return jobToDto(row);
  }

  async listJobs(filter: JobFilter = {}, paging: Paging = {}): Promise<Page<JobDto>> {
    const page = await this.jobStore.list(filter, paging);
    return { items: page.items.map(jobToDto), next_cursor: page.next_cursor };
  }

  // ---- schedules

  createSchedule(input: CreateScheduleInput): Promise<ScheduleDto> {
    return this.schedules.create(input);
  }
  /** Creates, or updates the schedule its `owner` already keeps (`created: false`). */
  upsertSchedule(input: CreateScheduleInput): Promise<{ schedule: ScheduleDto; created: boolean }> {
    return this.schedules.upsert(input);
  }
  /** One schedule; a watcher's shows its pending matches (counted up to its max_pending + 1). */
  async getSchedule(id: string): Promise<ScheduleDto> {
    const dto = await this.schedules.get(id);
    if (dto.watcher && this.o.watch) {
      const row = await this.scheduleStore.get(id);
      if (row) dto.watcher.pending = await pendingMatches(this.o.watch, row);
    }
    return dto;
  }
  listSchedules(filter: ScheduleFilter = {}, paging: Paging = {}): Promise<Page<ScheduleDto>> {
    return this.schedules.list(filter, paging);
  }
  updateSchedule(id: string, patch: PatchScheduleInput): Promise<ScheduleDto> {
    return this.schedules.update(id, patch);
  }
  pauseSchedule(id: string): Promise<ScheduleDto> {
    return this.schedules.pause(id);
  }
  resumeSchedule(id: string): Promise<ScheduleDto> {
    return this.schedules.resume(id);
  }
  triggerSchedule(id: string): Promise<ExecutionDto> {
    return this.schedules.trigger(id);
  }
  deleteSchedule(id: string): Promise<void> {
    return this.schedules.delete(id);
  }

  // ---- executions

  scheduleStats(id: string): Promise<ScheduleStatsDto> {
    return this.schedules.stats(id);
  }
  getExecution(id: string): Promise<ExecutionDto> {
    return this.schedules.getExecution(id);
  }
  listExecutions(scheduleId: string, paging: Paging = {}): Promise<Page<ExecutionDto>> {
    return this.schedules.listExecutions(scheduleId, paging);
  }
}

function jobNotFound(id: string): NotFoundError {
  return new NotFoundError(`job ${id} not found`, { details: [`job_id=${id}`] });
}
