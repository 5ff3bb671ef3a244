// The worker: claims due jobs up to its concurrency (and, while jobs are short, a few ahead),
// runs them under a lease that one heartbeat renews, reaps leases of dead workers, stops cleanly.
import { DEFAULT_BACKOFF, type BackoffPolicy } from '../backoff.js';
import { jobUpdate, publishSettled } from './events.js';
import { cancelledError } from './job-ops.js';
import { JobRun, type AbortReason, type RunDeps } from './job-run.js';
import type { JobRow } from './rows.js';
import { Waker, realDelay } from './waker.js';

export type { AbortReason } from './job-run.js';

export interface WorkerOptions
  extends Pick<RunDeps, 'jobs' | 'catalog' | 'stateStore' | 'events' | 'clock' | 'logger' | 'workerId'> {
  concurrency: number;
  leaseMs: number;
  /** Longest idle sleep between claims when nothing wakes the worker, ms (default 1000). */
  pollMs?: number;
  /** Jobs claimed ahead of free slots while jobs are short (default: max(8, concurrency)). */
  prefetch?: number;
  /** Jobs count as short below this average duration, wall ms (default 50). */
  prefetchBelowMs?: number;
  /** A job claimed ahead and not started within this time goes back to the queue, ms (default 1000). */
  bufferMaxMs?: number;
  backoff?: BackoffPolicy;
  random?: () => number;
  /** Claim only these handlers (default: every handler). */
  handlers?: readonly string[];
  /** Wall time a handler gets to stop after its abort signal before it is abandoned, ms. */
  abortGraceMs?: number;
  /** Minimum time between two progress writes of one job, ms (default 250: ≤ 4/s). */
  progressEveryMs?: number;
  /**
   * SQLite (one host): this host's name. Worker ids are "host:pid:…"; at start, running jobs of a
   * worker of this host whose process is gone (kill -9, then restart) go back to the queue at once
   * instead of after their lease.
   */
  localHost?: string;
}

export class Worker {
  private readonly o: Required<Omit<WorkerOptions, 'handlers' | 'localHost'>> & Pick<WorkerOptions, 'handlers' | 'localHost'>;
  private readonly deps: RunDeps;
  private readonly running = new Map<string, JobRun>();
  /** Claimed ahead, not started yet: leased (heartbeats cover them), started as slots free up. */
  private buffer: Array<{ job: JobRow; at: number }> = [];
  private readonly tasks = new Set<Promise<void>>();
  private readonly waker: Waker;
  private readonly beat: Waker;
  private stopping = false;
  private beating = true;
  /** When a heartbeat last reached the database (null: none needed yet). */
  private lastBeatOk: number | null = null;
  private loops: Promise<void>[] = [];
  private lastReap = Number.NEGATIVE_INFINITY;
  private dueMisses = 0;
  /** Moving average of job durations, wall ms (null until a job ran). */
  private avgMs: number | null = null;

  constructor(opts: WorkerOptions) {
    this.o = {
      pollMs: 1000,
      prefetch: Math.max(8, opts.concurrency),
      prefetchBelowMs: 50,
      bufferMaxMs: 1000,
      backoff: DEFAULT_BACKOFF,
      random: Math.random,
      abortGraceMs: 10_000,
      progressEveryMs: 250,
      ...opts,
    };
    const { jobs, catalog, stateStore, events, clock, logger, workerId, backoff, random, abortGraceMs, progressEveryMs } = this.o;
    this.deps = { jobs, catalog, stateStore, events, clock, logger, workerId, backoff, random, abortGraceMs, progressEveryMs };
    this.waker = new Waker(opts.clock);
    this.beat = new Waker(opts.clock);
  }

  get runningCount(): number {
    return this.running.size;
  }

  start(): void {
    if (this.loops.length || this.o.concurrency <= 0) return;
    this.loops = [this.claimLoop(), this.heartbeatLoop()];
  }

  /** A job was enqueued or a slot freed up: claim now instead of at the next poll. */
  wake(): void {
    this.waker.wake();
  }

  /** Aborts a job this worker runs (a cancel made in this process); false when not here. */
  abort(jobId: string, reason: AbortReason): boolean {
    const run = this.running.get(jobId);
    if (run) run.abort(reason);
    else if (reason === 'cancel' && this.buffer.some((b) => b.job.id === jobId)) void this.cancelBuffered([jobId]);
    else return false;
    return true;
  }

  /**
   * Stops claiming, lets running jobs finish for up to `graceMs` (wall time), then gives the
   * leases of the rest back (they run again elsewhere, without counting an attempt) and aborts them.
   */
  async stop(graceMs = 10_000): Promise<void> {
    if (this.stopping) return;
    this.stopping = true;
    this.waker.wake();
    await this.loops[0];
    await this.releaseJobs(this.buffer.splice(0).map((b) => b.job.id));
    await this.settleWithin(graceMs);
    const left = [...this.running.values()].filter((r) => !r.finishing);
    if (left.length) {
      for (const r of left) r.reason = 'shutdown';
      await this.releaseJobs(left.map((r) => r.job.id));
      for (const r of left) r.ac.abort(new Error('worker shutting down'));
      await this.settleWithin(this.o.abortGraceMs);
    }
    this.beating = false;
    this.beat.wake();
    await this.loops[1];
  }

  private async releaseJobs(ids: string[]): Promise<void> {
    if (!ids.length) return;
    try {
      for (const job of await this.o.jobs.release(this.o.workerId, ids, this.o.clock.now())) this.o.events.emit(jobUpdate(job));
    } catch (err) {
      this.o.logger.error({ err }, 'could not give leases back; they will expire');
    }
  }

  private async settleWithin(ms: number): Promise<void> {
    if (!this.tasks.size) return;
    const d = realDelay(ms);
    await Promise.race([Promise.allSettled([...this.tasks]), d.promise]);
    d.cancel();
  }

  private async claimLoop(): Promise<void> {
    await this.recoverLocal().catch((err: unknown) => this.o.logger.warn({ err }, 'could not recover local leases'));
    while (!this.stopping) {
      try {
        if (await this.claimOnce()) continue;
        await this.waker.wait(await this.idleDelay());
      } catch (err) {
        this.o.logger.error({ err }, 'worker claim failed');
        await this.waker.wait(this.o.pollMs);
      }
    }
  }

  /** Jobs held by dead processes of this host go back to the queue now (see localHost). */
  private async recoverLocal(): Promise<void> {
    const host = this.o.localHost;
    if (!host) return;
    const dead = (await this.o.jobs.runningOwners()).filter((owner) => {
      const [h, pid] = owner.split(':');
      return h === host && Number(pid) > 0 && Number(pid) !== process.pid && !processAlive(Number(pid));
    });
    if (!dead.length) return;
    this.o.logger.warn({ workers: dead }, 'recovering the jobs of dead workers of this host');
    for (const s of await this.o.jobs.reapOwners(dead, this.o.clock.now())) publishSettled(this.o.events, s);
  }

  /** Reaps when due, starts buffered jobs, claims when the buffer ran dry; true: claim again now. */
  private async claimOnce(): Promise<boolean> {
    const now = this.o.clock.now();
    if (now - this.lastReap >= Math.min(1000, this.o.leaseMs / 2)) {
      this.lastReap = now;
      for (const s of await this.o.jobs.reapExpired(now)) publishSettled(this.o.events, s);
      await this.releaseStale(now);
    }
    this.startBuffered();
    const free = this.o.concurrency - this.running.size;
    if (!this.hasSlot() || this.buffer.length || this.stopping) return false;
    const short = this.avgMs !== null && this.avgMs < this.o.prefetchBelowMs;
    const want = free + (short ? this.o.prefetch : 0);
    const jobs = await this.o.jobs.claim({ workerId: this.o.workerId, now, leaseMs: this.o.leaseMs, limit: want, handlers: this.o.handlers });
    if (jobs.length) this.dueMisses = 0;
    for (const job of jobs) this.buffer.push({ job, at: now });
    this.startBuffered();
    return jobs.length === want && this.hasSlot();
  }

  /** Slots are held while handlers run; a finished job's write does not hold one, up to a bound. */
  private hasSlot(): boolean {
    return this.running.size < this.o.concurrency && this.tasks.size < this.o.concurrency + Math.max(this.o.concurrency, this.o.prefetch);
  }

  private startBuffered(): void {
    while (this.buffer.length && this.hasSlot() && !this.stopping) this.begin(this.buffer.shift()!.job);
  }

  /** Jobs claimed ahead that waited too long (a long job came first) go back to the queue. */
  private async releaseStale(now: number): Promise<void> {
    const stale = this.buffer.filter((b) => now - b.at >= this.o.bufferMaxMs);
    if (!stale.length) return;
    this.buffer = this.buffer.filter((b) => !stale.includes(b));
    await this.releaseJobs(stale.map((b) => b.job.id));
  }

  private async idleDelay(): Promise<number> {
    if (!this.hasSlot() || this.buffer.length) return this.o.pollMs;
    const next = await this.o.jobs.nextRunAt();
    if (next === null) return this.o.pollMs;
    const wait = next - this.o.clock.now();
    if (wait > 0) {
      this.dueMisses = 0;
      return Math.min(this.o.pollMs, wait);
    }
    // Due already: it became due since the claim (look again at once), or it cannot be claimed
    // here (locked by another worker, or not one of our handlers): then do not spin on it.
    return this.dueMisses++ === 0 ? 0 : Math.min(this.o.pollMs, 25 * this.dueMisses);
  }

  private begin(job: JobRow): void {
    // The lease was taken (or renewed) no earlier than now: the outage clock starts here at worst.
    this.lastBeatOk ??= this.o.clock.now();
    const run = new JobRun(job, this.deps);
    // Our own earlier attempt may still be stuck in its handler after its lease was lost.
    this.running.get(job.id)?.abort('lost');
    this.running.set(job.id, run);
    this.o.events.emit(jobUpdate(job));
    if (job.execution_id) {
      this.o.events.emit({
        type: 'pulse_execution_started',
        execution_id: job.execution_id,
        schedule_id: job.schedule_id,
        async_job_id: job.id,
        started_at: this.o.clock.now(),
      });
    }
    const task: Promise<void> = this.execute(run)
      .catch((err: unknown) => this.o.logger.error({ err, job_id: job.id }, 'job bookkeeping failed'))
      .finally(() => {
        this.release(run);
        this.tasks.delete(task);
        this.waker.wake();
      });
    this.tasks.add(task);
  }

  /** The handler is done: its slot goes to the next job while the outcome is being written. */
  private release(run: JobRun): void {
    if (this.running.get(run.job.id) !== run) return;
    this.running.delete(run.job.id);
    this.waker.wake();
  }

  private async execute(run: JobRun): Promise<void> {
    const t0 = performance.now();
    const outcome = await run.attempt();
    const ms = performance.now() - t0;
    this.avgMs = this.avgMs === null ? ms : this.avgMs * 0.8 + ms * 0.2;
    // A lost lease or a shutdown means the job is no longer ours to finish.
    if (run.reason === 'lost' || run.reason === 'shutdown') return;
    run.finishing = true;
    this.release(run);
    const { job } = run;
    const settled = await this.o.jobs.finish({
      jobId: job.id,
      attempt: job.retry_count,
      executionId: job.execution_id,
      workerId: this.o.workerId,
      outcome,
      now: this.o.clock.now(),
    });
    if (!settled) {
      this.o.logger.warn({ job_id: job.id }, 'lease lost before the job finished; outcome dropped');
      return;
    }
    publishSettled(this.o.events, settled);
  }

  private async heartbeatLoop(): Promise<void> {
    while (this.beating) {
      await this.beat.wait(this.o.leaseMs / 3);
      if (!this.beating || (!this.running.size && !this.buffer.length)) {
        this.lastBeatOk = null;
        continue;
      }
      try {
        await this.heartbeat();
        this.lastBeatOk = this.o.clock.now();
      } catch (err) {
        this.o.logger.warn({ err }, 'heartbeat failed');
        this.abandonIfLeaseAtRisk();
      }
    }
  }

  /**
   * The database cannot be reached: before our leases can have run out (and another worker may
   * take the jobs), stop running them, so that no job ever runs twice at once. Buffered jobs are
   * dropped from the buffer; their leases expire and they run elsewhere.
   */
  private abandonIfLeaseAtRisk(): void {
    const since = this.lastBeatOk ?? this.o.clock.now();
    if (this.o.clock.now() - since < this.o.leaseMs * 0.6) return;
    for (const run of this.running.values()) {
      if (run.finishing) continue;
      this.o.logger.warn({ job_id: run.job.id }, 'database unreachable: abandoning the job before its lease runs out');
      run.abort('lost');
    }
    this.buffer = [];
  }

  /** Renews every lease; a job no longer ours is abandoned, a requested cancel aborts it. */
  private async heartbeat(): Promise<void> {
    const runs = [...this.running.values()].filter((r) => !r.finishing);
    const ids = [...runs.map((r) => r.job.id), ...this.buffer.map((b) => b.job.id)];
    const held = new Map((await this.o.jobs.heartbeat(this.o.workerId, ids, this.o.leaseMs)).map((h) => [h.id, h]));
    for (const run of runs) {
      const h = held.get(run.job.id);
      if (!h) {
        this.o.logger.warn({ job_id: run.job.id }, 'lease lost: abandoning the job');
        run.abort('lost');
      } else if (h.cancel_requested === 1) run.abort('cancel');
    }
    this.buffer = this.buffer.filter((b) => held.has(b.job.id));
    const cancelled = this.buffer.filter((b) => held.get(b.job.id)!.cancel_requested === 1).map((b) => b.job.id);
    await this.cancelBuffered(cancelled);
  }

  /** A job claimed ahead and cancelled before it started: finished as cancelled, never run. */
  private async cancelBuffered(ids: string[]): Promise<void> {
    for (const id of ids) {
      const entry = this.buffer.find((b) => b.job.id === id);
      if (!entry) continue;
      this.buffer = this.buffer.filter((b) => b !== entry);
      const settled = await this.o.jobs.finish({
        jobId: id,
        attempt: entry.job.retry_count,
        executionId: entry.job.execution_id,
        workerId: this.o.workerId,
        outcome: { kind: 'cancelled', error: cancelledError() },
        now: this.o.clock.now(),
      });
      if (settled) publishSettled(this.o.events, settled);
    }
  }
}

function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as { code?: string }).code === 'EPERM';
  }
}
