// What a worker holds: every job leased to it, from the claim until the database no longer has
// it leased to this worker — claimed ahead (buffered), running, having its outcome written,
// being given back. Claims, heartbeats and releases go through here, so that no answer that
// arrives late can make the worker forget a lease it still has (a forgotten lease is a job nobody
// runs until the lease runs out), and so that a job only runs while its lease surely lasts.
import type { Clock } from '../clock.js';
import type { JobStore } from './job-store.js';
import type { JobRow } from './rows.js';

/**
 * buffered: claimed ahead, not started; running: its handler runs (or is stopping); finishing:
 * its outcome is being written; releasing: to be given back; abandoned: neither renewed nor
 * given back (its outcome could not be written): forgotten once its lease has surely ended.
 */
export type HoldState = 'buffered' | 'running' | 'finishing' | 'releasing' | 'abandoned';

export interface Held {
  readonly job: JobRow;
  state: HoldState;
  /** Local time the claim came back (a buffered job waits at most bufferMaxMs). */
  readonly claimedAt: number;
  /** The lease lasts at least until leaseLow + leaseMs: the send time of the claim or of the last renewal that came back. */
  leaseLow: number;
  /** The lease has ended by leaseHigh + leaseMs: the latest answer (or failure) of the claim or a renewal. */
  leaseHigh: number;
  /** A release of this entry is on its way: no second one is sent meanwhile. */
  releaseSent?: boolean;
  /** Renewals on their way: until they are answered the lease may still grow, so it is not forgotten. */
  renewing?: number;
}

export type LeaseStore = Pick<JobStore, 'claim' | 'heartbeat' | 'release'>;

export interface HoldingsOptions {
  jobs: LeaseStore;
  /** Local time: only differences of it are used (lease ages), never compared with the database's. */
  clock: Clock;
  workerId: string;
  leaseMs: number;
  handlers?: readonly string[] | undefined;
  /** Share of the lease after which a lease that was not renewed is at risk (default 0.6). */
  riskShare?: number;
}

/** Entries are compared by identity: a job given back and claimed again is a new entry. */
export class Holdings {
  private readonly held = new Map<string, Held>();

  constructor(private readonly o: HoldingsOptions) {}

  get size(): number {
    return this.held.size;
  }

  get(id: string): Held | undefined {
    return this.held.get(id);
  }

  count(state: HoldState): number {
    let n = 0;
    for (const h of this.held.values()) if (h.state === state) n++;
    return n;
  }

  entries(): Held[] {
    return [...this.held.values()];
  }

  /** Claims up to `limit` due jobs (run_at <= now) into the buffer. */
  async claim(now: number, limit: number): Promise<Held[]> {
    const sent = this.o.clock.now();
    const jobs = await this.o.jobs.claim({ workerId: this.o.workerId, now, leaseMs: this.o.leaseMs, limit, handlers: this.o.handlers });
    const got = this.o.clock.now();
    return jobs.map((job) => {
      const h: Held = { job, state: 'buffered', claimedAt: got, leaseLow: sent, leaseHigh: got };
      this.held.set(job.id, h);
      return h;
    });
  }

  /** The oldest buffered job whose lease is not at risk, now running. */
  startNext(): Held | undefined {
    const now = this.o.clock.now();
    for (const h of this.held.values()) {
      if (h.state === 'buffered' && !this.atRiskAt(h, now)) {
        h.state = 'running';
        return h;
      }
    }
    return undefined;
  }

  /** Moves an entry (if it is still the one held for its job) to a new state. */
  set(h: Held, state: HoldState): void {
    if (this.held.get(h.job.id) === h) h.state = state;
  }

  /** The database no longer has this lease for us (outcome written, given back, or not ours). */
  forget(h: Held): void {
    if (this.held.get(h.job.id) === h) this.held.delete(h.job.id);
  }

  /** Buffered jobs that match go back to the queue at the next flushReleases(). */
  releaseBuffered(pred: (h: Held) => boolean = () => true): void {
    for (const h of this.held.values()) if (h.state === 'buffered' && pred(h)) h.state = 'releasing';
  }

  /**
   * Gives back the leases marked releasing (one request per entry at a time); on failure they stay
   * marked, for the next call.
   */
  async flushReleases(now: number): Promise<JobRow[]> {
    const batch = [...this.held.values()].filter((h) => h.state === 'releasing' && !h.releaseSent);
    if (!batch.length) return [];
    for (const h of batch) h.releaseSent = true;
    try {
      const rows = await this.o.jobs.release(this.o.workerId, batch.map((h) => ({ id: h.job.id, attempt: h.job.retry_count })), now);
      for (const h of batch) if (h.state === 'releasing') this.forget(h);
      return rows;
    } finally {
      for (const h of batch) h.releaseSent = false;
    }
  }

  /**
   * Renews every lease in use (buffered, running, finishing). Returns the entries the database
   * says are no longer ours (forgotten here) and those whose cancel was requested. Entries added
   * while the renewal was on its way are left alone: the answer does not speak of them.
   */
  async heartbeat(): Promise<{ lost: Held[]; cancel: Held[] }> {
    const batch = [...this.held.values()].filter((h) => h.state === 'buffered' || h.state === 'running' || h.state === 'finishing');
    if (!batch.length) return { lost: [], cancel: [] };
    const sent = this.o.clock.now();
    let rows: Array<{ id: string; cancel_requested: number }>;
    for (const h of batch) h.renewing = (h.renewing ?? 0) + 1;
    try {
      rows = await this.o.jobs.heartbeat(this.o.workerId, batch.map((h) => h.job.id), this.o.leaseMs);
    } catch (err) {
      // It may have reached the database before failing: the leases may last that much longer.
      const t = this.o.clock.now();
      for (const h of batch) h.leaseHigh = Math.max(h.leaseHigh, t);
      throw err;
    } finally {
      for (const h of batch) h.renewing!--;
    }
    const got = this.o.clock.now();
    const answer = new Map(rows.map((r) => [r.id, r]));
    const lost: Held[] = [];
    const cancel: Held[] = [];
    for (const h of batch) {
      h.leaseHigh = Math.max(h.leaseHigh, got);
      if (this.held.get(h.job.id) !== h) continue;
      const r = answer.get(h.job.id);
      if (!r) {
        this.held.delete(h.job.id);
        lost.push(h);
        continue;
      }
      h.leaseLow = Math.max(h.leaseLow, sent);
      if (r.cancel_requested === 1) cancel.push(h);
    }
    return { lost, cancel };
  }

  /** Whether the lease may run out soon without having been renewed (the database unreachable). */
  atRisk(h: Held): boolean {
    return this.atRiskAt(h, this.o.clock.now());
  }

  /** The local time by which the lease surely still lasts. */
  leaseUntil(h: Held): number {
    return h.leaseLow + this.o.leaseMs;
  }

  /** Forgets given-up entries whose lease has surely ended (nothing of ours is left in the database). */
  expire(): Held[] {
    const now = this.o.clock.now();
    const gone = [...this.held.values()].filter(
      (h) => (h.state === 'releasing' || h.state === 'abandoned') && !h.renewing && now >= h.leaseHigh + this.o.leaseMs,
    );
    for (const h of gone) this.held.delete(h.job.id);
    return gone;
  }

  private atRiskAt(h: Held, now: number): boolean {
    return now - h.leaseLow >= this.o.leaseMs * (this.o.riskShare ?? 0.6);
  }
}
