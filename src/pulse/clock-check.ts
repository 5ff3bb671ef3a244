// Compares this process's clock with the database's (PostgreSQL), at start and every few minutes.
// Leases never depend on it (they use the database's clock); due times do, so an offset over a
// second is logged, and shown in /health.
import type { Clock } from '../clock.js';
import type { Logger } from '../logger.js';

export const CLOCK_WARN_MS = 1000;

export class ClockCheck {
  /** This process's clock minus the database's, ms; null until measured (always on SQLite). */
  offsetMs: number | null = null;
  private stopper: AbortController | null = null;
  private loop: Promise<void> | null = null;

  constructor(
    private readonly o: {
      clock: Clock;
      logger: Logger;
      /** The database's clock now, ms; null when there is nothing to compare with (SQLite). */
      dbNow: () => Promise<number | null>;
      everyMs?: number;
    },
  ) {}

  /** One measurement: the database's time against the middle of the round trip. */
  async check(): Promise<number | null> {
    const t0 = this.o.clock.now();
    const db = await this.o.dbNow();
    if (db === null) return null;
    const offset = Math.round((t0 + this.o.clock.now()) / 2 - db);
    this.offsetMs = offset;
    if (Math.abs(offset) > CLOCK_WARN_MS) {
      this.o.logger.warn(
        { offset_ms: offset },
        "this process's clock is off from the database's by more than a second: leases are safe (database time), but job and schedule due times use this clock",
      );
    }
    return offset;
  }

  start(): void {
    if (this.loop) return;
    const stopper = (this.stopper = new AbortController());
    this.loop = (async () => {
      while (!stopper.signal.aborted) {
        await this.check().catch((err: unknown) => this.o.logger.warn({ err }, 'could not read the database clock'));
        await this.o.clock.sleep(this.o.everyMs ?? 5 * 60_000, stopper.signal);
      }
    })();
  }

  async stop(): Promise<void> {
    this.stopper?.abort();
    await this.loop;
    this.loop = null;
  }
}
