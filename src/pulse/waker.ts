// Sleep on the injected clock until a deadline or until woken; a wake() that comes while nobody
// sleeps is kept, so the next wait() returns at once and no wake-up is ever lost.
import type { Clock } from '../clock.js';

export class Waker {
  private pending = false;
  private current: AbortController | null = null;

  constructor(private readonly clock: Clock) {}

  wake(): void {
    this.pending = true;
    this.current?.abort();
  }

  async wait(ms: number): Promise<void> {
    if (this.pending) {
      this.pending = false;
      return;
    }
    const ac = new AbortController();
    this.current = ac;
    try {
      await this.clock.sleep(ms, ac.signal);
    } finally {
      if (this.current === ac) this.current = null;
      this.pending = false;
    }
  }
}

/** A wall-clock delay that can be cancelled (shutdown grace periods are wall time). */
export function realDelay(ms: number): { promise: Promise<void>; cancel(): void } {
  let timer: NodeJS.Timeout | undefined;
  let resolve!: () => void;
  const promise = new Promise<void>((r) => {
    resolve = r;
    timer = setTimeout(r, ms);
  });
  return {
    promise,
    cancel() {
      clearTimeout(timer);
      resolve();
    },
  };
}
