// Slots of the runner, kept apart by kind of work: scheduled runs (Pulse jobs, the CLI) and ad-hoc
// runs (the editor's Run button) each have their own, so ad-hoc work cannot starve schedules. An
// ad-hoc lane also bounds how many wait, and how long each may run.
import { QueueFullError } from './errors.js';

export type LaneName = 'scheduled' | 'adhoc';

export interface LaneOptions {
  /** Runs of this lane at the same time. */
  slots: number;
  /** Runs that may wait for a slot; one more is refused (QueueFullError). Default: no bound. */
  queue?: number;
  /** The longest timeoutMs a run of this lane may ask for (and its default, if lower). */
  maxTimeoutMs?: number;
}

interface Waiter {
  wake: (ok: boolean) => void;
}

export class Lane {
  private readonly waiting: Waiter[] = [];
  /** Slots taken, including one being handed from a finished run to a waiting one. */
  private used = 0;
  /** Deadline (ms) of each running run: when a slot frees up at the latest. */
  private readonly running = new Set<{ deadline: number }>();

  constructor(
    readonly name: LaneName,
    readonly options: Readonly<LaneOptions>,
    private readonly now: () => number = Date.now,
  ) {}

  get active(): number {
    return this.used;
  }

  get queued(): number {
    return this.waiting.length;
  }

  /**
   * A slot for a run that may last `timeoutMs`: resolves to a release function, or null when the
   * signal aborted (or the lane was closed) while waiting; throws QueueFullError when full.
   */
  async acquire(timeoutMs: number, signal?: AbortSignal): Promise<(() => void) | null> {
    if (this.used < this.options.slots) this.used++;
    else {
      const bound = this.options.queue ?? Infinity;
      if (this.waiting.length >= bound) throw this.full(bound);
      if (!(await this.wait(signal))) return null; // else a releasing run handed its slot over
    }
    const entry = { deadline: this.now() + timeoutMs };
    this.running.add(entry);
    let released = false;
    return () => {
      if (released) return;
      released = true;
      this.running.delete(entry);
      const next = this.waiting.shift();
      if (next) next.wake(true);
      else this.used--;
    };
  }

  /** Wakes every waiter with "no slot" (the runner is closing). */
  close(): void {
    for (const w of this.waiting.splice(0)) w.wake(false);
  }

  private wait(signal: AbortSignal | undefined): Promise<boolean> {
    if (signal?.aborted) return Promise.resolve(false);
    return new Promise((resolve) => {
      const waiter: Waiter = {
        wake: (ok) => {
          signal?.removeEventListener('abort', onAbort);
          resolve(ok);
        },
      };
      const onAbort = (): void => {
        const i = this.waiting.indexOf(waiter);
        if (i >= 0) this.waiting.splice(i, 1);
        resolve(false);
      };
      signal?.addEventListener('abort', onAbort, { once: true });
      this.waiting.push(waiter);
    });
  }

  private full(bound: number): QueueFullError {
    // The earliest a slot frees up for sure: when the first running run reaches its time limit.
    let first = Infinity;
    for (const r of this.running) first = Math.min(first, r.deadline);
    const retryAfterS = Math.max(1, Math.ceil((first - this.now()) / 1000));
    return new QueueFullError(`too many ${this.name} runs waiting (${bound}); try again in ${retryAfterS} s`, {
      retryAfterS,
      details: ['queue=full', `lane=${this.name}`, `running=${this.running.size}`, `queued=${this.waiting.length}`],
    });
  }
}
