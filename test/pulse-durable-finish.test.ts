// Completion is durable: a failed write of an outcome is retried with backoff until it succeeds
// or the lease would end (then the job is logged as lost: it runs again), and in a group commit
// (PostgreSQL) one failing item fails alone. Database errors are injected through the runner.
import assert from 'node:assert/strict';
import { afterEach, describe, it } from 'node:test';
import type { CompiledQuery } from 'kysely';
import { captureLogger } from './fixtures/capture-logger.js';
import { faultyRunner } from './fixtures/faulty-runner.js';
import { advanceUntil, makeHarness, type Harness } from './fixtures/pulse-harness.js';
import { DB_KINDS, PG_SKIP } from './helpers.js';

const T = { timeout: 30_000 };

/** The statement that ends an attempt (one job, or a group commit of many). */
function isFinish(q: CompiledQuery): boolean {
  return /^\s*update "?pulse_jobs"?.*completed_at/s.test(q.sql);
}

function mentions(q: CompiledQuery, id: string): boolean {
  return JSON.stringify(q.parameters).includes(id);
}

/** Fails the finish statements that mention a poisoned job. */
function poisonFinishes(poisoned: Set<string>, failures: { n: number; onFail?: (n: number) => void }) {
  const check = (q: CompiledQuery) => {
    if (!isFinish(q)) return;
    for (const id of poisoned) {
      if (mentions(q, id)) {
        failures.onFail?.(++failures.n);
        throw Object.assign(new Error(`injected: write of ${id} failed`), { code: '08006' });
      }
    }
  };
  return { before: check, inTx: check };
}

for (const { kind, skip } of DB_KINDS) {
  describe(`durable completion (${kind})`, { skip }, () => {
    let h: Harness;
    afterEach(async () => {
      await h.cleanup();
    });

    it('retries a failed completion write until it succeeds; the job does not run again', T, async () => {
      // Every job's completion write fails three times, then the database is back.
      const poisoned = new Set<string>(['JB']);
      const failures = { n: 0, onFail: (n: number) => n >= 3 && poisoned.clear() };
      h = await makeHarness(kind, { runner: (base) => faultyRunner(base, poisonFinishes(poisoned, failures)) });
      await h.pulse.start();
      const done = h.pulse.events.waitFor('pulse_execution_completed');
      const s = await h.pulse.createSchedule({ ats_code: 'count once', interval_seconds: 3600 });
      await advanceUntil(h.clock, done, 200);
      const jobId = (await h.pulse.listJobs({ schedule_id: s.id })).items[0]!.id;
      assert.equal(failures.n, 3);
      assert.equal(h.fx.runs.get('once'), 1);
      const job = await h.pulse.getJob(jobId);
      assert.equal(job.status, 'completed');
      assert.equal(job.retry_count, 0);
      assert.equal((await h.pulse.getSchedule(s.id)).last_status, 'completed');
    });

    it('gives up when the lease would end, and says the job was lost', T, async () => {
      const log = captureLogger('warn');
      h = await makeHarness(kind, {
        leaseMs: 3000,
        logger: log.logger,
        runner: (base) => faultyRunner(base, poisonFinishes(new Set(['JB']), { n: 0 })),
      });
      await h.pulse.start();
      const job = await h.pulse.enqueue('count', { key: 'never-recorded' });
      await advanceUntil(h.clock, log.waitFor((r) => /could not be recorded/.test(r.msg) && r.job_id === job.id), 100);
      assert.equal((await h.pulse.getJob(job.id)).status, 'running', 'the lease runs out; a reaper puts the job back');
    });
  });
}

describe('durable completion in a group commit (postgres)', { skip: PG_SKIP }, () => {
  let h: Harness;
  afterEach(async () => {
    await h.cleanup();
  });

  it('fails a bad item alone: the rest of its batch is written at once', T, async () => {
    const poisoned = new Set<string>();
    let failed!: () => void;
    const firstFailure = new Promise<void>((r) => (failed = r));
    const failures = { n: 0, onFail: () => failed() };
    h = await makeHarness('postgres', { concurrency: 8, runner: (base) => faultyRunner(base, poisonFinishes(poisoned, failures)) });
    const ids: string[] = [];
    for (let i = 0; i < 40; i++) ids.push((await h.pulse.enqueue('count', { key: `k${i}` })).id);
    const bad = ids[5]!;
    poisoned.add(bad);
    const others = ids.filter((id) => id !== bad);
    const completed = Promise.all(others.map((id) => h.pulse.events.waitFor('job_update', (e) => e.job_id === id && e.status === 'completed')));
    // The clock stands still: nothing waits for a retry's backoff.
    await h.pulse.start();
    await Promise.all([completed, firstFailure]);
    assert.equal((await h.pulse.getJob(bad)).status, 'running');
    const done = h.pulse.events.waitFor('job_update', (e) => e.job_id === bad && e.status === 'completed');
    poisoned.clear();
    await advanceUntil(h.clock, done, 200);
    for (let i = 0; i < 40; i++) assert.equal(h.fx.runs.get(`k${i}`), 1);
  });
});
