// The worker: claims due jobs up to its concurrency (and, while jobs are short, a few ahead),
// runs them under a lease that one heartbeat renews, reaps leases of dead workers, stops cleanly.
// What it holds (claims, buffer, leases) is kept by holdings.ts.
import { DEFAULT_BACKOFF, backoffDelay, type BackoffPolicy } from '../backoff.js';
import { jobUpdate, publishSettled } from './events.js';
import { Holdings, type Held } from './holdings.js';
import { cancelledError, type Outcome } from './job-ops.js';
import { JobRun, type AbortReason, type RunDeps } from './job-run.js';
import { Waker, realDelay } from './waker.js';

export type { AbortReason } from './job-run.js';

export interface WorkerOptions
  extends Pick<RunDeps, 'jobs' | 'catalog' | 'stateStore' | 'events' | 'clock' | 'logger' | 'workerId'> {
  concurrency: number;
  leaseMs: number;
  /** Longest idle sleep between claims when nothing wakes the worker, ms (default 1000). */
  pollMs?: number;
  /** Jobs claimed ahead of free slots while jobs are short (default: max(16, 2 × concurrency)). */
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

/** Outcome writes in flight, as a multiple of max(concurrency, prefetch), before claiming waits. */
const OUTCOMES_IN_FLIGHT = 4;

/** Outcome writes that failed: 100 ms, 200 ms… up to 5 s, half of each at random. */
const WRITE_RETRY: BackoffPolicy = { baseMs: 100, maxMs: 5000, jitter: 0.5 };

export class Worker {
  private readonly o: Required<Omit<WorkerOptions, 'handlers' | 'localHost'>> & Pick<WorkerOptions, 'handlers' | 'localHost'>;
  private readonly deps: RunDeps;
  /** Every job leased to this worker, from claim to outcome written or lease given back. */
  private readonly holdings: Holdings;
  /** Handlers running now (a slot each), by job id. */
  private readonly runs = new Map<string, JobRun>();
  private readonly tasks = new Set<Promise<void>>();
  private readonly waker: Waker;
  private readonly beat: Waker;
  private stopping = false;
  private beating = true;
  /** Aborted when the worker has stopped: outcome writes still retrying give up. */
  private readonly closing = new AbortController();
  private loops: Promise<void>[] = [];
  private lastReap = Number.NEGATIVE_INFINITY;
  private dueMisses = 0;
  /** Moving average of job durations, wall ms (null until a job ran). */
  private avgMs: number | null = null;

  constructor(opts: WorkerOptions) {
    this.o = {
      pollMs: 1000,
      prefetch: Math.max(16, 2 * opts.concurrency),
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
    this.holdings = new Holdings({ jobs, clock, workerId, leaseMs: opts.leaseMs, handlers: opts.handlers });
    this.waker = new Waker(opts.clock);
    this.beat = new Waker(opts.clock);
  }

  get runningCount(): number {
    return this.runs.size;
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
    const run = this.runs.get(jobId);
    if (run) run.abort(reason);
    else if (reason === 'cancel' && this.holdings.get(jobId)?.state === 'buffered') this.track(this.cancelBuffered([this.holdings.get(jobId)!]));
    else return false;
    return true;
  }

  /**
   * Stops claiming (jobs claimed ahead go back at once), lets running jobs finish for up to
   * `graceMs` (wall time), then aborts the rest and waits for their handlers to stop; only then
   * are their leases given back (they run again elsewhere, without counting an attempt), so that
   * no job is claimed elsewhere while its handler still runs here. A handler that ignores its
   * abort keeps its lease (renewed until this returns), which then runs out.
   */
  async stop(graceMs = 10_000): Promise<void> {
    if (this.stopping) return;
    this.stopping = true;
    this.waker.wake();
    await this.loops[0];
    this.holdings.releaseBuffered();
    await this.flushReleases();
    await this.settleWithin(graceMs);
    const left = [...this.runs.values()].filter((r) => !r.finishing);
    for (const r of left) r.abort('shutdown');
    // execute() marks the lease of each handler that stopped for release.
    if (left.length) await this.settleWithin(this.o.abortGraceMs + 1000);
    await this.flushReleases();
    this.beating = false;
    this.beat.wake();
    await this.loops[1];
    this.closing.abort();
  }

  /** Gives back the leases marked for it; a failure leaves them for the next heartbeat (or their expiry). */
  private async flushReleases(): Promise<void> {
    try {
      for (const job of await this.holdings.flushReleases(this.o.clock.now())) this.o.events.emit(jobUpdate(job));
    } catch (err) {
      this.o.logger.error({ err }, 'could not give leases back; trying again at the next heartbeat');
    }
  }

  private async settleWithin(ms: number): Promise<void> {
    if (!this.tasks.size) return;
    const d = realDelay(ms);
    await Promise.race([Promise.allSettled([...this.tasks]), d.promise]);
    d.cancel();
  }

  /** Keeps a background task until it ends (shutdown waits for it); its failure is logged. */
  private track(p: Promise<unknown>): void {
    const task: Promise<void> = p
      .then(() => undefined)
      .catch((err: unknown) => this.o.logger.error({ err }, 'worker task failed'))
      .finally(() => this.tasks.delete(task));
    this.tasks.add(task);
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

  /**
   * Starts buffered jobs, claims when the buffer ran dry, then reaps when due (after the claim, so
   * that a job just queued never waits behind the reaper); true: claim again now.
   */
  private async claimOnce(): Promise<boolean> {
    const now = this.o.clock.now();
    this.startBuffered();
    let again = false;
    if (this.hasSlot() && !this.holdings.count('buffered') && !this.stopping) {
      const short = this.avgMs !== null && this.avgMs < this.o.prefetchBelowMs;
      const want = this.o.concurrency - this.runs.size + (short ? this.o.prefetch : 0);
      const claimed = await this.holdings.claim(now, want);
      if (claimed.length) this.dueMisses = 0;
      this.startBuffered();
      again = claimed.length === want && this.hasSlot();
    }
    if (now - this.lastReap >= Math.min(1000, this.o.leaseMs / 2)) {
      this.lastReap = now;
      const reaped = await this.o.jobs.reapExpired(now);
      for (const s of reaped) publishSettled(this.o.events, s);
      // Jobs claimed ahead that waited too long (a long job came first) go back to the queue.
      this.holdings.releaseBuffered((h) => now - h.claimedAt >= this.o.bufferMaxMs);
      await this.flushReleases();
      if (reaped.length) again = true;
    }
    return again;
  }

  /**
   * Slots are held while handlers run; a finished job's write does not hold one, up to a bound:
   * while outcomes of short jobs are being written (in group commits), the next claim is already
   * on its way, so claims and commits overlap instead of taking turns.
   */
  private hasSlot(): boolean {
    return this.runs.size < this.o.concurrency && this.tasks.size < this.o.concurrency + OUTCOMES_IN_FLIGHT * Math.max(this.o.concurrency, this.o.prefetch);
  }

  private startBuffered(): void {
    while (this.hasSlot() && !this.stopping) {
      const h = this.holdings.startNext();
      if (!h) return;
      this.begin(h);
    }
  }

  private async idleDelay(): Promise<number> {
    if (!this.hasSlot() || this.holdings.count('buffered')) return this.o.pollMs;
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

  private begin(held: Held): void {
    const { job } = held;
    const run = new JobRun(job, this.deps);
    run.held = held;
    // Our own earlier attempt may still be stuck in its handler after its lease was lost.
    this.runs.get(job.id)?.abort('lost');
    this.runs.set(job.id, run);
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
    this.track(
      this.execute(run).finally(() => {
        this.freeSlot(run);
        this.waker.wake();
      }),
    );
  }

  /** The handler is done: its slot goes to the next job while the outcome is being written. */
  private freeSlot(run: JobRun): void {
    if (this.runs.get(run.job.id) !== run) return;
    this.runs.delete(run.job.id);
    this.waker.wake();
  }

  private async execute(run: JobRun): Promise<void> {
    const held = run.held!;
    const t0 = performance.now();
    const outcome = await run.attempt();
    const ms = performance.now() - t0;
    this.avgMs = this.avgMs === null ? ms : this.avgMs * 0.8 + ms * 0.2;
    // After a lost lease or a shutdown, a failure (the abort) is not the job's: give the lease back
    // (if the database still has it for us) — unless the handler may still be running. A success
    // is written as any other (conditioned on the lease, it counts only if the lease is still ours).
    if ((run.reason === 'lost' || run.reason === 'shutdown') && outcome.kind !== 'completed') {
      this.holdings.set(held, run.abandoned ? 'abandoned' : 'releasing');
      return;
    }
    run.finishing = true;
    this.freeSlot(run);
    await this.writeOutcome(held, outcome);
  }

  /**
   * Writes an attempt's outcome, retried with backoff while the lease surely lasts (heartbeats
   * keep renewing it meanwhile). If it cannot be written in time, the lease is left to run out
   * and the job runs again: said loudly, since the attempt may have done its work.
   */
  private async writeOutcome(held: Held, outcome: Outcome): Promise<void> {
    this.holdings.set(held, 'finishing');
    const { job } = held;
    for (let attempt = 1; ; attempt++) {
      try {
        const settled = await this.o.jobs.finish({
          jobId: job.id,
          attempt: job.retry_count,
          executionId: job.execution_id,
          workerId: this.o.workerId,
          outcome,
          now: this.o.clock.now(),
        });
        this.holdings.forget(held);
        if (settled) publishSettled(this.o.events, settled);
        else this.o.logger.warn({ job_id: job.id }, 'lease lost before the job finished; outcome dropped');
        return;
      } catch (err) {
        const delay = backoffDelay(attempt, WRITE_RETRY, this.o.random);
        const left = this.holdings.leaseUntil(held) - this.o.clock.now();
        if (this.closing.signal.aborted || this.holdings.get(job.id) !== held || delay >= left) {
          this.holdings.set(held, 'abandoned');
          this.o.logger.error(
            { err, job_id: job.id, outcome: outcome.kind, attempts: attempt },
            'the outcome of the job could not be recorded before its lease ends: the job is lost and will run again',
          );
          return;
        }
        this.o.logger.warn({ err, job_id: job.id, attempt, retry_in_ms: delay }, 'could not write the outcome of the job; retrying');
        await this.o.clock.sleep(delay, this.closing.signal);
      }
    }
  }

  private async heartbeatLoop(): Promise<void> {
    while (this.beating) {
      await this.beat.wait(this.o.leaseMs / 3);
      if (!this.beating || !this.holdings.size) continue;
      try {
        const { lost, cancel } = await this.holdings.heartbeat();
        for (const h of lost) this.lost(h);
        for (const h of cancel) {
          const run = this.runs.get(h.job.id);
          if (run?.held === h) run.abort('cancel');
        }
        const buffered = cancel.filter((h) => h.state === 'buffered');
        if (buffered.length) this.track(this.cancelBuffered(buffered));
        await this.flushReleases();
      } catch (err) {
        this.o.logger.warn({ err }, 'heartbeat failed');
      }
      this.protectLeases();
      this.holdings.expire();
    }
  }

  /** The database says the lease is no longer ours (it ran out and was reaped): stop the handler. */
  private lost(h: Held): void {
    const run = this.runs.get(h.job.id);
    if (run?.held !== h || run.finishing) return;
    this.o.logger.warn({ job_id: h.job.id }, 'lease lost: abandoning the job');
    run.abort('lost');
  }

  /**
   * Leases that could not be renewed for a while (the database unreachable): before they can run
   * out (and another worker take the jobs), stop the handlers, so that no job ever runs twice at
   * once; jobs claimed ahead are given back instead of started.
   */
  private protectLeases(): void {
    for (const h of this.holdings.entries()) {
      if (!this.holdings.atRisk(h)) continue;
      if (h.state === 'buffered') this.holdings.set(h, 'releasing');
      const run = this.runs.get(h.job.id);
      if (h.state === 'running' && run?.held === h && !run.finishing && !run.ac.signal.aborted) {
        this.o.logger.warn({ job_id: h.job.id }, 'database unreachable: abandoning the job before its lease runs out');
        run.abort('lost');
      }
    }
  }

  /** Jobs claimed ahead and cancelled before they started: finished as cancelled, never run. */
  private async cancelBuffered(batch: Held[]): Promise<void> {
    for (const h of batch) {
      if (this.holdings.get(h.job.id) !== h || h.state !== 'buffered') continue;
      await this.writeOutcome(h, { kind: 'cancelled', error: cancelledError() });
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
