// The ticker: sleeps until the earliest next_run_at (at most maxSleepMs, so that changes made by
// other processes are seen) or until woken, then fires due schedules in batches. Never polls busily.
import type { Clock } from '../clock.js';
import type { Logger } from '../logger.js';
import { jobUpdate, scheduleUpdate, type PulseEvents } from './events.js';
import type { PulseIds } from './ids.js';
import type { JobDefaults, TickResult } from './schedule-ops.js';
import type { ScheduleStore } from './schedule-store.js';
import type { TickerLock } from './ticker-lock.js';
import { Waker } from './waker.js';

export interface TickerOptions {
  schedules: ScheduleStore;
  clock: Clock;
  logger: Logger;
  events: PulseEvents;
  ids: PulseIds;
  jobDefaults: JobDefaults;
  lock: TickerLock;
  /** Called after a tick created jobs (the local worker claims them at once). */
  onFired?: () => void;
  /** Longest sleep, ms (default 1000). */
  maxSleepMs?: number;
  /** Schedules fired per transaction (default 500). */
  batch?: number;
  /** Wait between two attempts to take the lock, ms (default 3000). */
  lockRetryMs?: number;
}

export class Ticker {
  /** Whether this process held the ticker lock at its last attempt. */
  holding = false;
  private readonly waker: Waker;
  private stopped = false;
  private loop: Promise<void> | null = null;
  private readonly maxSleepMs: number;
  private readonly batch: number;
  private readonly lockRetryMs: number;

  constructor(private readonly o: TickerOptions) {
    this.waker = new Waker(o.clock);
    this.maxSleepMs = o.maxSleepMs ?? 1000;
    this.batch = o.batch ?? 500;
    this.lockRetryMs = o.lockRetryMs ?? 3000;
  }

  start(): void {
    this.loop ??= this.run();
  }

  /** A schedule changed in this process: look again now. */
  wake(): void {
    this.waker.wake();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    this.waker.wake();
    await this.loop;
    await this.o.lock.release();
  }

  private async run(): Promise<void> {
    while (!this.stopped) {
      try {
        this.holding = await this.o.lock.acquire();
        if (!this.holding) {
          await this.waker.wait(this.lockRetryMs);
          continue;
        }
        const res = await this.tickOnce();
        if (res.claimed >= this.batch) continue;
        const next = await this.o.schedules.nextDueAt();
        const delay = next === null ? this.maxSleepMs : Math.min(this.maxSleepMs, next - this.o.clock.now());
        if (delay > 0) await this.waker.wait(delay);
      } catch (err) {
        this.o.logger.error({ err }, 'tick failed');
        await this.waker.wait(this.maxSleepMs);
      }
    }
  }

  /** Fires what is due now; exposed for tests and benchmarks. */
  async tickOnce(): Promise<TickResult> {
    const now = this.o.clock.now();
    const res = await this.o.schedules.tick({ now, limit: this.batch, ids: this.o.ids, jobDefaults: this.o.jobDefaults });
    for (const f of res.fired) {
      this.o.events.emit(scheduleUpdate(f.schedule));
      this.o.events.emit(jobUpdate(f.job));
    }
    for (const s of res.skipped) {
      this.o.events.emit({ type: 'pulse_execution_skipped', schedule_id: s.id, reason: 'previous execution still running', at: now });
      this.o.events.emit(scheduleUpdate(s));
    }
    if (res.fired.length) this.o.onFired?.();
    return res;
  }
}
