// Retry delays: exponential backoff with full jitter, capped. Pure: the random source is injected.

export interface BackoffPolicy {
  /** Delay before the first retry, ms. */
  baseMs: number;
  /** Upper bound of any delay, ms. */
  maxMs: number;
  /** Share of the delay that is random, 0..1 (0 = deterministic). */
  jitter: number;
}

export const DEFAULT_BACKOFF: BackoffPolicy = { baseMs: 1000, maxMs: 5 * 60_000, jitter: 0.5 };

/**
 * The delay before retry number `retry` (1 = first retry): base * 2^(retry-1), capped at maxMs,
 * of which a `jitter` share is drawn at random so that retries of many jobs spread out.
 */
export function backoffDelay(retry: number, policy: BackoffPolicy = DEFAULT_BACKOFF, random: () => number = Math.random): number {
  const exp = Math.min(policy.maxMs, policy.baseMs * 2 ** Math.max(0, retry - 1));
  const fixed = exp * (1 - policy.jitter);
  return Math.round(fixed + exp * policy.jitter * random());
}
