// Reconnect delays for the WebSocket: exponential with full jitter, capped.

export interface BackoffOptions {
  baseMs?: number;
  maxMs?: number;
  random?: () => number;
}

/** Delay before reconnect attempt `attempt` (0 = the first retry). */
export function backoffDelay(attempt: number, opts: BackoffOptions = {}): number {
  const base = opts.baseMs ?? 500;
  const max = opts.maxMs ?? 15_000;
  const ceiling = Math.min(max, base * 2 ** Math.min(attempt, 20));
  const random = opts.random ?? Math.random;
  // Half fixed, half jitter: never hammers, never waits for nothing.
  return Math.round(ceiling / 2 + (random() * ceiling) / 2);
}
