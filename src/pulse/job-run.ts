// One attempt of a job inside a worker: builds the handler's context, enforces the timeout,
// forwards aborts (cancel, timeout, lost lease, shutdown), throttles progress and turns the
// handler's return or throw into an Outcome (retry with backoff, or final).
import type { Clock } from '../clock.js';
import { ValidationError, issuesToDetails } from '../errors.js';
import type { Logger } from '../logger.js';
import { backoffDelay, type BackoffPolicy } from '../backoff.js';
import { UnknownHandlerError, type Catalog, type HandlerContext, type HandlerDef, type HandlerResult } from './catalog.js';
import { jobUpdate, type PulseEvents } from './events.js';
import { errorRecord, failureResult, isRetryable } from './job-errors.js';
import { cancelledError, type Outcome } from './job-ops.js';
import type { Held } from './holdings.js';
import type { JobStore } from './job-store.js';
import { jobToDto, type JobRow } from './rows.js';
import type { ScheduleStateStore } from './state-store.js';

export type AbortReason = 'cancel' | 'timeout' | 'lost' | 'shutdown';

export interface RunDeps {
  jobs: JobStore;
  catalog: Catalog;
  stateStore: ScheduleStateStore;
  events: PulseEvents;
  clock: Clock;
  logger: Logger;
  workerId: string;
  backoff: BackoffPolicy;
  random: () => number;
  abortGraceMs: number;
  progressEveryMs: number;
}

export class JobRun {
  readonly ac = new AbortController();
  reason: AbortReason | null = null;
  /** Set once the outcome is being written: heartbeats and aborts leave the job alone. */
  finishing = false;
  /** The worker's entry for this attempt's lease. */
  held: Held | null = null;
  /** The handler ignored its abort past the grace: it may still run, so its lease is not given back. */
  abandoned = false;
  private lastProgressAt = Number.NEGATIVE_INFINITY;
  private pendingProgress: { current: number; total: number | null } | null = null;
  private progressScheduled = false;

  constructor(
    public job: JobRow,
    private readonly d: RunDeps,
  ) {}

  abort(reason: AbortReason): void {
    if (this.ac.signal.aborted || this.finishing) return;
    this.reason = reason;
    const text = reason === 'cancel' ? 'job cancelled' : reason === 'timeout' ? 'job timed out' : `job aborted: ${reason}`;
    this.ac.abort(new Error(text));
  }

  /** Runs the handler once; never throws. */
  async attempt(): Promise<Outcome> {
    const def = this.d.catalog.get(this.job.handler_name);
    if (!def) return this.failure(new UnknownHandlerError(this.job.handler_name, this.d.catalog.names()));
    const parsed = def.payload.safeParse(JSON.parse(this.job.payload));
    if (!parsed.success) {
      return this.failure(
        new ValidationError(`invalid payload for handler '${def.name}'`, {
          details: [`handler=${def.name}`, ...issuesToDetails(parsed.error.issues)],
        }),
      );
    }
    const timer = new AbortController();
    void this.d.clock.sleep(this.job.timeout_ms, timer.signal).then(() => {
      if (!timer.signal.aborted) this.abort('timeout');
    });
    try {
      const result = await this.untilSettled(this.invoke(def, parsed.data));
      return { kind: 'completed', result: result ?? {} };
    } catch (err) {
      return this.failure(err);
    } finally {
      timer.abort();
    }
  }

  private invoke(def: HandlerDef, payload: unknown): Promise<HandlerResult | void> {
    const { job } = this;
    const ctx: HandlerContext = {
      job: jobToDto(job),
      payload,
      signal: this.ac.signal,
      progress: (current, total) => this.progress(current, total ?? null),
      executionId: job.execution_id,
      scheduleId: job.schedule_id,
      log: this.d.logger.child({ job_id: job.id, handler: job.handler_name }),
      getState: () =>
        job.schedule_id ? this.d.stateStore.get(job.schedule_id) : Promise.resolve({ state: null, lastSuccessAt: null }),
      saveState: async (state, work) => {
        await this.d.stateStore.saveWith(job.schedule_id, state, { succeededAt: job.created_at }, work);
      },
      source: (key) => ({
        get: () => this.d.stateStore.sources.get(key),
        commit: (c, work) =>
          this.d.stateStore.sources.commit(key, job.execution_id, { state: c.state, succeededAt: c.final ? job.created_at : null }, work),
      }),
    };
    try {
      return Promise.resolve(def.run(ctx));
    } catch (err) {
      return Promise.reject(err as Error);
    }
  }

  /** The handler's promise, or a rejection when it ignores its abort signal past the grace. */
  private untilSettled<T>(p: Promise<T>): Promise<T> {
    const signal = this.ac.signal;
    return new Promise<T>((resolve, reject) => {
      let timer: NodeJS.Timeout | undefined;
      const onAbort = () => {
        const ms = this.d.abortGraceMs;
        timer = setTimeout(() => {
          this.abandoned = true;
          reject(new Error(`handler did not stop within ${ms} ms of its abort`));
        }, ms);
      };
      signal.addEventListener('abort', onAbort, { once: true });
      const done = () => {
        clearTimeout(timer);
        signal.removeEventListener('abort', onAbort);
      };
      p.then(
        (v) => (done(), resolve(v)),
        (e: unknown) => (done(), reject(e as Error)),
      );
    });
  }

  private failure(err: unknown): Outcome {
    const result = failureResult(err);
    if (this.reason === 'cancel') return { kind: 'cancelled', error: cancelledError(), result };
    const { job } = this;
    const timedOut = this.reason === 'timeout';
    const error = timedOut
      ? { error: `timed out after ${job.timeout_ms} ms`, error_details: [`handler=${job.handler_name}`, `timeout_ms=${job.timeout_ms}`] }
      : errorRecord(err);
    const retry = (timedOut || isRetryable(err)) && job.retry_count < job.max_retries;
    const retryAt = retry ? this.d.clock.now() + backoffDelay(job.retry_count + 1, this.d.backoff, this.d.random) : null;
    this.d.logger.debug({ err, job_id: job.id, retry }, 'job attempt failed');
    return { kind: 'failed', error, retryAt, result };
  }

  private progress(current: number, total: number | null): void {
    if (!Number.isFinite(current) || (total !== null && !Number.isFinite(total)) || this.finishing) return;
    this.pendingProgress = { current, total };
    const wait = this.lastProgressAt + this.d.progressEveryMs - this.d.clock.now();
    if (wait <= 0) return this.flushProgress();
    if (this.progressScheduled) return;
    this.progressScheduled = true;
    void this.d.clock.sleep(wait, this.ac.signal).then(() => {
      this.progressScheduled = false;
      if (!this.finishing && !this.ac.signal.aborted) this.flushProgress();
    });
  }

  private flushProgress(): void {
    const p = this.pendingProgress;
    if (!p) return;
    this.pendingProgress = null;
    const now = this.d.clock.now();
    this.lastProgressAt = now;
    this.job = { ...this.job, progress_current: p.current, progress_total: p.total, updated_at: now };
    this.d.events.emit(jobUpdate(this.job));
    this.d.jobs
      .progress({ id: this.job.id, attempt: this.job.retry_count, workerId: this.d.workerId, current: p.current, total: p.total, now })
      .catch((err: unknown) => this.d.logger.warn({ err, job_id: this.job.id }, 'progress write failed'));
  }
}
