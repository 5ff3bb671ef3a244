// Retry delays, the one module for every retry loop (job retries, database writes, reconnects of
// the event bridge and of the web app's socket): exponential, capped, with a random share. Pure:
// no imports, the random source injected, so the browser bundle can use it too.

export interface BackoffPolicy {
  /** Ceiling of the first retry's delay, ms. */
  baseMs: number;
  /** Upper bound of any delay, ms. */
  maxMs: number;
  /**
   * Share of the ceiling drawn at random, 0..1. 0: no jitter (the ceiling itself); 0.5: "equal
   * jitter" (at least half the ceiling); 1: "full jitter" (anywhere from 0 to the ceiling).
   */
  jitter: number;
}

/** Job retries: 1 s, 2 s, 4 s… up to 5 min, half of each drawn at random. */
export const DEFAULT_BACKOFF: BackoffPolicy = { baseMs: 1000, maxMs: 5 * 60_000, jitter: 0.5 };

/**
 * The delay before retry number `retry` (1 = the first retry): the ceiling min(maxMs,
 * baseMs · 2^(retry-1)), of which the `jitter` share is drawn at random so that many retrying
 * clients spread out instead of arriving together.
 */
export function backoffDelay(retry: number, policy: BackoffPolicy = DEFAULT_BACKOFF, random: () => number = Math.random): number {
  const ceiling = Math.min(policy.maxMs, policy.baseMs * 2 ** Math.min(60, Math.max(0, retry - 1)));
  return Math.round(ceiling * (1 - policy.jitter) + ceiling * policy.jitter * random());
}
