// Shutdown order: stop claiming → let running jobs finish (grace) → abort the rest → wait for
// their handlers to stop → give back only the leases whose handler has stopped. A job is never
// claimed elsewhere while its handler still runs here.
import assert from 'node:assert/strict';
import { afterEach, beforeEach, describe, it } from 'node:test';
import { makeHarness, type Harness } from './fixtures/pulse-harness.js';
import { DB_KINDS } from './helpers.js';

const T = { timeout: 30_000 };

for (const { kind, skip } of DB_KINDS) {
  describe(`pulse shutdown (${kind})`, { skip }, () => {
    let h: Harness;
    beforeEach(async () => {
      h = await makeHarness(kind, { leaseMs: 30_000 });
    });
    afterEach(async () => {
      await h.cleanup();
    });

    it('gives a lease back only once its aborted handler has stopped', T, async () => {
      const other = h.another({ workerId: 'w-other' });
      // The other worker claims the moment a job goes back to the queue.
      h.pulse.events.on('job_update', (e) => e.status === 'queued' && other.wake());
      await h.pulse.start();
      const started = h.fx.whenStarted('slow-stop');
      const job = await h.pulse.enqueue('lingering', { key: 'slow-stop', stopMs: 400 });
      await started;
      await other.start();
      const again = h.fx.whenStarted('slow-stop');
      const rerun = other.events.waitFor('job_update', (e) => e.job_id === job.id && e.status === 'running');
      await h.pulse.stop(0);
      await rerun;
      await again;
      assert.equal(h.fx.runs.get('slow-stop'), 2);
      assert.equal(h.fx.maxActive, 1, 'the job ran in two workers at once');
      const j = await other.getJob(job.id);
      assert.equal(j.retry_count, 0, 'a shutdown does not count an attempt');
    });
  });
}
