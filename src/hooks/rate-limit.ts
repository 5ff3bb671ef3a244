// A token bucket per hook, in this process: `perMinute` deliveries a minute on average, bursts up
// to the same number. Pure apart from the injected clock.

export class RateLimiter {
  private readonly buckets = new Map<string, { tokens: number; at: number }>();

  constructor(private readonly now: () => number) {}

  /** Takes one token; false when the bucket is empty. Also says when to retry, s. */
  take(key: string, perMinute: number): { ok: boolean; retryAfterS: number } {
    const t = this.now();
    const rate = perMinute / 60_000;
    const b = this.buckets.get(key) ?? { tokens: perMinute, at: t };
    b.tokens = Math.min(perMinute, b.tokens + (t - b.at) * rate);
    b.at = t;
    this.buckets.set(key, b);
    if (this.buckets.size > 10_000) this.buckets.delete(this.buckets.keys().next().value!);
    if (b.tokens >= 1) {
      b.tokens -= 1;
      return { ok: true, retryAfterS: 0 };
    }
    return { ok: false, retryAfterS: Math.max(1, Math.ceil((1 - b.tokens) / rate / 1000)) };
  }

  forget(key: string): void {
    this.buckets.delete(key);
  }
}
