// Property test of the worker's bookkeeping (src/pulse/holdings.ts): random interleavings of
// claims, heartbeats, starts, finishes, releases, failures, another worker's reaper and a manual
// clock, with the order in which the database answers chosen by fast-check's scheduler. After
// every step: (1) every job the database has leased to this worker is still known to it (running,
// buffered and renewed, or being given back), and (2) a job it runs (or may start) is, while it
// believes the lease lasts, really leased to it in the database until at least then.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { ManualClock } from '../src/clock.js';
import { Holdings, type Held, type LeaseStore } from '../src/pulse/holdings.js';
import type { ClaimRequest } from '../src/pulse/job-ops.js';
import { newJobRow } from '../src/pulse/job-ops.js';
import type { JobRow } from '../src/pulse/rows.js';

const ME = 'me';
const LEASE = 3000;

interface Row {
  job: JobRow;
  status: 'queued' | 'running' | 'done';
  owner: string | null;
  expires: number;
  attempt: number;
  cancel: number;
}

/** The job table, its statements applied when the scheduler lets the answer go. */
class FakeStore implements LeaseStore {
  readonly rows = new Map<string, Row>();
  private n = 0;

  constructor(
    private readonly s: fc.Scheduler,
    private readonly clock: ManualClock,
    /** Whether the next call fails before reaching the database, after it, or not at all. */
    private readonly fault: () => 'none' | 'before' | 'after',
  ) {}

  add(count: number): void {
    for (let i = 0; i < count; i++) {
      const id = `J${String(this.n++).padStart(4, '0')}`;
      const job = newJobRow({ id, handler_name: 'x', payload: {}, source: null, max_retries: 0, timeout_ms: 1, run_at: 0, schedule_id: null, execution_id: null, now: 0 });
      this.rows.set(id, { job, status: 'queued', owner: null, expires: 0, attempt: 0, cancel: 0 });
    }
  }

  /** One statement: sent now, applied when the scheduler lets it through. */
  private async statement<T>(label: string, apply: () => T, mayApplyThenFail: boolean): Promise<T> {
    const f = this.fault();
    await this.s.schedule(Promise.resolve(), label);
    if (f === 'before') throw new Error(`${label}: connection lost`);
    const out = apply();
    if (f === 'after' && mayApplyThenFail) throw new Error(`${label}: answer lost`);
    return out;
  }

  claim(req: ClaimRequest): Promise<JobRow[]> {
    // A claim whose answer is lost leaves leases nobody knows of until they run out: the reaper's
    // business, not the bookkeeping's, so it is not simulated here.
    return this.statement('claim', () => {
      const out: JobRow[] = [];
      for (const r of this.rows.values()) {
        if (out.length >= req.limit) break;
        if (r.status !== 'queued') continue;
        Object.assign(r, { status: 'running', owner: req.workerId, expires: this.clock.now() + req.leaseMs, cancel: 0 });
        out.push({ ...r.job, retry_count: r.attempt });
      }
      return out;
    }, false);
  }

  heartbeat(workerId: string, ids: readonly string[], leaseMs: number) {
    return this.statement('heartbeat', () => {
      const out: Array<{ id: string; cancel_requested: number }> = [];
      for (const id of ids) {
        const r = this.rows.get(id)!;
        if (r.status !== 'running' || r.owner !== workerId) continue;
        r.expires = this.clock.now() + leaseMs;
        out.push({ id, cancel_requested: r.cancel });
      }
      return out;
    }, true);
  }

  release(workerId: string, leases: ReadonlyArray<{ id: string; attempt: number }>): Promise<JobRow[]> {
    return this.statement('release', () => {
      const out: JobRow[] = [];
      for (const { id, attempt } of leases) {
        const r = this.rows.get(id)!;
        if (r.status !== 'running' || r.owner !== workerId || r.attempt !== attempt) continue;
        Object.assign(r, { status: 'queued', owner: null });
        out.push(r.job);
      }
      return out;
    }, true);
  }

  finish(id: string, attempt: number): Promise<boolean> {
    return this.statement('finish', () => {
      const r = this.rows.get(id)!;
      if (r.status !== 'running' || r.owner !== ME || r.attempt !== attempt) return false;
      Object.assign(r, { status: 'done', owner: null });
      return true;
    }, true);
  }

  /** Another worker's reaper: expired leases go back to the queue, an attempt counted. */
  reap(): void {
    for (const r of this.rows.values()) {
      if (r.status === 'running' && r.expires < this.clock.now()) Object.assign(r, { status: 'queued', owner: null, attempt: r.attempt + 1 });
    }
  }
}

type Cmd =
  | { c: 'enqueue'; n: number }
  | { c: 'claim'; n: number }
  | { c: 'start' }
  | { c: 'finish'; i: number }
  | { c: 'stop'; i: number }
  | { c: 'heartbeat' }
  | { c: 'flush' }
  | { c: 'stale'; ms: number }
  | { c: 'protect' }
  | { c: 'expire' }
  | { c: 'advance'; ms: number }
  | { c: 'reap' }
  | { c: 'cancel'; i: number }
  | { c: 'answer'; n: number };

const w = <T>(weight: number, arbitrary: fc.Arbitrary<T>) => ({ weight, arbitrary });
const cmd: fc.Arbitrary<Cmd> = fc.oneof(
  w(3, fc.record({ c: fc.constant('enqueue' as const), n: fc.integer({ min: 1, max: 4 }) })),
  w(4, fc.record({ c: fc.constant('claim' as const), n: fc.integer({ min: 1, max: 4 }) })),
  w(3, fc.constant({ c: 'start' as const })),
  w(2, fc.record({ c: fc.constant('finish' as const), i: fc.nat(3) })),
  w(1, fc.record({ c: fc.constant('stop' as const), i: fc.nat(3) })),
  w(4, fc.constant({ c: 'heartbeat' as const })),
  w(2, fc.constant({ c: 'flush' as const })),
  w(1, fc.record({ c: fc.constant('stale' as const), ms: fc.integer({ min: 0, max: 2000 }) })),
  w(1, fc.constant({ c: 'protect' as const })),
  w(1, fc.constant({ c: 'expire' as const })),
  w(2, fc.record({ c: fc.constant('advance' as const), ms: fc.oneof(fc.integer({ min: 0, max: LEASE / 3 }), fc.integer({ min: 0, max: 2 * LEASE })) })),
  w(1, fc.constant({ c: 'reap' as const })),
  w(1, fc.record({ c: fc.constant('cancel' as const), i: fc.nat(20) })),
  w(6, fc.record({ c: fc.constant('answer' as const), n: fc.integer({ min: 1, max: 3 }) })),
);

function checkInvariants(store: FakeStore, holdings: Holdings, clock: ManualClock): void {
  const now = clock.now();
  for (const [id, r] of store.rows) {
    if (r.status === 'running' && r.owner === ME && r.expires > now) {
      assert.ok(holdings.get(id), `job ${id} is leased to this worker until ${r.expires} (now ${now}) but the worker forgot it`);
    }
  }
  for (const h of holdings.entries()) {
    if ((h.state !== 'running' && h.state !== 'buffered') || now >= holdings.leaseUntil(h)) continue;
    const r = store.rows.get(h.job.id)!;
    assert.ok(
      r.status === 'running' && r.owner === ME && r.attempt === h.job.retry_count && r.expires >= holdings.leaseUntil(h),
      `job ${h.job.id} (${h.state}) is believed leased until ${holdings.leaseUntil(h)} but the database has ${JSON.stringify({ ...r, job: undefined })}`,
    );
  }
}

async function run(s: fc.Scheduler, cmds: Cmd[], faults: number[]): Promise<void> {
  const clock = new ManualClock(1_000_000);
  let k = 0;
  const store = new FakeStore(s, clock, () => {
    const f = faults[k++ % faults.length]!;
    return f < 0.1 ? 'before' : f < 0.2 ? 'after' : 'none';
  });
  const holdings = new Holdings({ jobs: store, clock, workerId: ME, leaseMs: LEASE });
  const pending: Array<Promise<unknown>> = [];
  const bg = (p: Promise<unknown>) => pending.push(p.catch(() => undefined));
  const running = () => holdings.entries().filter((h) => h.state === 'running');
  const finish = async (h: Held) => {
    holdings.set(h, 'finishing');
    try {
      await store.finish(h.job.id, h.job.retry_count);
      holdings.forget(h);
    } catch {
      holdings.set(h, 'abandoned');
    }
  };
  const settle = () => new Promise((r) => setImmediate(r));
  for (const c of cmds) {
    switch (c.c) {
      case 'enqueue':
        store.add(c.n);
        break;
      case 'claim':
        bg(holdings.claim(clock.now(), c.n));
        break;
      case 'start':
        holdings.startNext();
        break;
      case 'finish': {
        const h = running()[c.i];
        if (h) bg(finish(h));
        break;
      }
      case 'stop': {
        // The handler stopped without an outcome (lost lease, shutdown): the lease goes back.
        const h = running()[c.i];
        if (h) holdings.set(h, 'releasing');
        break;
      }
      case 'heartbeat':
        bg(holdings.heartbeat());
        break;
      case 'flush':
        bg(holdings.flushReleases(clock.now()));
        break;
      case 'stale':
        holdings.releaseBuffered((h) => clock.now() - h.claimedAt >= c.ms);
        break;
      case 'protect':
        for (const h of holdings.entries()) if (holdings.atRisk(h) && (h.state === 'buffered' || h.state === 'running')) holdings.set(h, 'releasing');
        break;
      case 'expire':
        holdings.expire();
        break;
      case 'advance':
        clock.advance(c.ms);
        break;
      case 'reap':
        store.reap();
        break;
      case 'cancel': {
        const r = [...store.rows.values()][c.i];
        if (r?.status === 'running') r.cancel = 1;
        break;
      }
      case 'answer':
        for (let i = 0; i < c.n && s.count() > 0; i++) {
          await s.waitNext(1);
          await settle();
          checkInvariants(store, holdings, clock);
        }
        break;
    }
    await settle();
    checkInvariants(store, holdings, clock);
  }
  while (s.count() > 0) {
    await s.waitNext(1);
    await settle();
    checkInvariants(store, holdings, clock);
  }
  await Promise.all(pending);
  checkInvariants(store, holdings, clock);
}

describe('worker bookkeeping (property)', () => {
  it('never forgets a lease it holds, and never believes in one it lost, whatever the interleaving', { timeout: 120_000 }, async () => {
    await fc.assert(
      fc.asyncProperty(fc.scheduler(), fc.array(cmd, { minLength: 10, maxLength: 120, size: 'max' }), fc.array(fc.double({ min: 0, max: 1, noNaN: true }), { minLength: 1, maxLength: 20 }), run),
      { numRuns: 1000, ...(process.env.FC_SEED ? { seed: Number(process.env.FC_SEED), path: process.env.FC_PATH, endOnFailure: true, verbose: 2 } : {}) },
    );
  });
});
