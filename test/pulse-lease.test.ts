import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import path from 'node:path';
import { afterEach, beforeEach, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { advanceUntil, makeHarness, type Harness } from './fixtures/pulse-harness.js';
import { DB_KINDS } from './helpers.js';

const T = { timeout: 30_000 };
const LEASE = 30_000;
const here = path.dirname(fileURLToPath(import.meta.url));

for (const { kind, skip } of DB_KINDS) {
  describe(`pulse leases (${kind})`, { skip }, () => {
    let h: Harness;
    beforeEach(async () => {
      h = await makeHarness(kind, { leaseMs: LEASE });
    });
    afterEach(async () => {
      await h.cleanup();
    });

    it('runs a job again once the lease of a worker that vanished runs out', T, async () => {
      const job = await h.pulse.enqueue('count', { key: 'ghosted' });
      // A 1 ms lease: on PostgreSQL leases run on the database's clock, which the test does not move.
      const [claimed] = await h.pulse.jobStore.claim({ workerId: 'ghost', now: h.clock.now(), leaseMs: 1, limit: 1 });
      assert.equal(claimed?.id, job.id);
      await h.pulse.start();
      const rerun = h.pulse.events.waitFor('job_update', (e) => e.job_id === job.id && e.status === 'running');
      const done = h.pulse.events.waitFor('job_update', (e) => e.job_id === job.id && e.status === 'completed');
      await advanceUntil(h.clock, rerun, 1_000);
      await done;
      assert.equal(h.fx.runs.get('ghosted'), 1);
      const j = await h.pulse.getJob(job.id);
      assert.equal(j.retry_count, 1);
      assert.equal(j.status, 'completed');
      // The ghost coming back cannot finish the job a second time.
      const late = await h.pulse.jobStore.finish({
        jobId: job.id,
        executionId: null,
        workerId: 'ghost',
        attempt: 0,
        outcome: { kind: 'completed', result: {} },
        now: h.clock.now(),
      });
      assert.equal(late, null);
    });

    /** Runs the doomed worker process until its job's handler hangs, then kills it with SIGKILL. */
    async function killedMidJob(scheduleId: string, defaultId = false) {
      const child = spawn(
        process.execPath,
        [
          '--import',
          'tsx',
          path.join(here, 'fixtures/pulse-claim-and-hang.ts'),
          h.dataDir,
          h.pgSchema ?? '-',
          String(h.clock.now()),
          // PostgreSQL leases run on the database's clock, which the test cannot move: a short one.
          String(kind === 'postgres' ? 1000 : LEASE),
          ...(defaultId ? ['default-id'] : []),
        ],
        { stdio: ['ignore', 'pipe', 'inherit'], env: process.env },
      );
      const exited = new Promise((r) => child.once('exit', r));
      await new Promise<void>((resolve, reject) => {
        child.stdout.on('data', (b: Buffer) => b.toString().includes('started') && resolve());
        child.once('exit', (code) => reject(new Error(`child exited early (${code})`)));
      });
      const [running] = (await h.pulse.listJobs({ schedule_id: scheduleId })).items;
      assert.equal(running?.status, 'running');
      child.kill('SIGKILL');
      await exited;
      return running;
    }

    it('recovers the scheduled job of a worker process killed with SIGKILL', { timeout: 60_000 }, async () => {
      const s = await h.pulse.createSchedule({ ats_code: 'gate k9', interval_seconds: 3600 });
      const running = await killedMidJob(s.id);

      void h.fx.whenStarted('k9').then(() => h.fx.open('k9'));
      const rerun = h.pulse.events.waitFor('job_update', (e) => e.job_id === running.id && e.status === 'running');
      const done = h.pulse.events.waitFor('pulse_execution_completed', (e) => e.schedule_id === s.id);
      await h.pulse.start();
      // Time passes until the lease has run out and the job runs here; then the clock stands
      // still, so that our own lease cannot run out while the job finishes.
      await advanceUntil(h.clock, rerun, 1_000);
      await done;
      assert.equal(h.fx.runs.get('k9'), 1);
      const job = await h.pulse.getJob(running.id);
      assert.equal(job.status, 'completed');
      assert.equal(job.retry_count, 1);
      const xs = (await h.pulse.listExecutions(s.id)).items;
      assert.equal(xs.length, 1);
      assert.equal(xs[0]!.status, 'completed');
      const sched = await h.pulse.getSchedule(s.id);
      assert.equal(sched.state, 'active');
      assert.equal(sched.last_status, 'completed');
    });

    it('recovers at once the job of a killed process of this host (SQLite)', { timeout: 60_000, skip: kind !== 'sqlite' }, async () => {
      const s = await h.pulse.createSchedule({ ats_code: 'gate k9', interval_seconds: 3600 });
      const running = await killedMidJob(s.id, true);
      void h.fx.whenStarted('k9').then(() => h.fx.open('k9'));
      const restarted = h.another(); // default worker id: host:pid:random
      const done = restarted.events.waitFor('pulse_execution_completed', (e) => e.schedule_id === s.id);
      await restarted.start();
      await done; // the clock never moved: no lease had to run out
      const job = await restarted.getJob(running.id);
      assert.equal(job.status, 'completed');
      assert.equal(job.retry_count, 1);
      assert.equal(h.fx.runs.get('k9'), 1);
    });

    it('gives leases back on stop after the grace period, without counting an attempt', T, async () => {
      await h.pulse.start();
      const started = h.fx.whenStarted('long');
      const job = await h.pulse.enqueue('gate', { gate: 'long' });
      await started;
      const released = h.pulse.events.waitFor('job_update', (e) => e.job_id === job.id && e.status === 'queued');
      await h.pulse.stop(20);
      await released;
      const j = await h.pulse.getJob(job.id);
      assert.equal(j.status, 'queued');
      assert.equal(j.retry_count, 0);
      const other = h.another({ workerId: 'w-next' });
      const done = other.events.waitFor('job_update', (e) => e.job_id === job.id && e.status === 'running');
      await other.start();
      await done;
      h.fx.open('long');
    });

    it('lets a running job finish within the grace period on stop', T, async () => {
      await h.pulse.start();
      const started = h.fx.whenStarted('short');
      const job = await h.pulse.enqueue('gate', { gate: 'short' });
      await started;
      const stopping = h.pulse.stop(10_000);
      h.fx.open('short');
      await stopping;
      assert.equal((await h.pulse.getJob(job.id)).status, 'completed');
    });

    it('drops the outcome of an attempt whose lease another worker reaped', T, async () => {
      const statuses: string[] = [];
      h.pulse.events.on('job_update', (e) => statuses.push(e.status));
      // The worker reaps at its first pass, then only once the clock has moved: wait for that
      // pass, or it could reap the expired lease below before the other process does.
      const firstReap = new Promise<void>((resolve) => {
        const store = h.pulse.jobStore;
        const reap = store.reapExpired.bind(store);
        store.reapExpired = (...a) => reap(...a).finally(resolve);
      });
      await h.pulse.start();
      await firstReap;
      const started = h.fx.whenStarted('stuck');
      const job = await h.pulse.enqueue('gate', { gate: 'stuck', ignoreAbort: true }, { maxRetries: 0 });
      await started;
      // Our heartbeats stop reaching the database (the lease runs out) and another process reaps
      // the job: requeued, counting an attempt.
      await h.database.db.updateTable('pulse_jobs').set({ lease_expires_at: 0 }).where('id', '=', job.id).execute();
      const reapAt = h.clock.now() + LEASE + 1;
      const reaped = await h.another({ concurrency: 0, ticker: false }).jobStore.reapExpired(reapAt);
      assert.equal(reaped.length, 1);
      assert.equal(reaped[0]!.job.status, 'queued');
      assert.equal(reaped[0]!.job.retry_count, 1);
      // The first attempt ends now, but its lease is gone: its outcome must not count.
      const again = h.fx.whenStarted('stuck');
      h.fx.open('stuck');
      h.clock.set(reapAt);
      await again;
      const done = h.pulse.events.waitFor('job_update', (e) => e.job_id === job.id && e.status === 'completed');
      h.fx.open('stuck');
      await done;
      const j = await h.pulse.getJob(job.id);
      assert.equal(j.retry_count, 1);
      assert.equal(h.fx.runs.get('stuck'), 2);
      assert.equal(statuses.filter((x) => x === 'completed').length, 1);
    });
  });
}
