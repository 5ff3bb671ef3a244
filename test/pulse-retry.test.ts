import assert from 'node:assert/strict';
import { afterEach, beforeEach, describe, it } from 'node:test';
import { backoffDelay } from '../src/backoff.js';
import { PermanentJobError, isRetryable } from '../src/pulse/job-errors.js';
import { QntxError } from '../src/errors.js';
import { makeHarness, type Harness } from './fixtures/pulse-harness.js';
import { DB_KINDS } from './helpers.js';

const T = { timeout: 20_000 };

describe('backoff', () => {
  it('doubles from the base up to the cap when jitter is off', () => {
    const p = { baseMs: 1000, maxMs: 10_000, jitter: 0 };
    assert.deepEqual([1, 2, 3, 4, 5, 6].map((n) => backoffDelay(n, p)), [1000, 2000, 4000, 8000, 10_000, 10_000]);
  });

  it('draws the jittered share at random within its bounds', () => {
    const p = { baseMs: 1000, maxMs: 60_000, jitter: 0.5 };
    assert.equal(backoffDelay(3, p, () => 0), 2000);
    assert.equal(backoffDelay(3, p, () => 0.999999), 4000);
    for (let i = 0; i < 100; i++) {
      const d = backoffDelay(2, p);
      assert.ok(d >= 1000 && d <= 2000, String(d));
    }
  });

  it('knows which errors are not worth a retry', () => {
    assert.equal(isRetryable(new Error('network')), true);
    assert.equal(isRetryable(new QntxError('no_ingest_script', 422, 'no handler')), false);
    assert.equal(isRetryable(new PermanentJobError('bad input')), false);
    assert.equal(isRetryable(Object.assign(new Error('x'), { retryable: false })), false);
  });
});

for (const { kind, skip } of DB_KINDS) {
  describe(`pulse retries (${kind})`, { skip }, () => {
    let h: Harness;
    beforeEach(async () => {
      h = await makeHarness(kind, { backoff: { baseMs: 1000, maxMs: 60_000, jitter: 0 } });
      await h.pulse.start();
    });
    afterEach(async () => {
      await h.cleanup();
    });

    const next = (id: string, status: string) =>
      h.pulse.events.waitFor('job_update', (e) => e.job_id === id && e.status === status);

    it('retries with exponential backoff, then completes', T, async () => {
      const firstFailure = h.pulse.events.waitFor('job_update', (e) => e.status === 'queued' && e.error === 'flaky failure 1');
      const job = await h.pulse.enqueue('flaky', { key: 'f', failures: 2 });
      await firstFailure;
      const t0 = h.clock.now();
      let j = await h.pulse.getJob(job.id);
      assert.equal(j.retry_count, 1);
      assert.equal(j.run_at, t0 + 1000);
      assert.equal(j.error, 'flaky failure 1');
      const second = h.pulse.events.waitFor('job_update', (e) => e.job_id === job.id && e.status === 'queued' && e.error === 'flaky failure 2');
      h.clock.set(t0 + 1000);
      await second;
      j = await h.pulse.getJob(job.id);
      assert.equal(j.retry_count, 2);
      assert.equal(j.run_at, t0 + 1000 + 2000);
      const done = next(job.id, 'completed');
      h.clock.set(t0 + 3000);
      await done;
      j = await h.pulse.getJob(job.id);
      assert.equal(j.status, 'completed');
      assert.equal(j.retry_count, 2);
      assert.equal(h.fx.runs.get('f'), 3);
    });

    it('fails with the last error once the retries are spent', T, async () => {
      const job = await h.pulse.enqueue('fail', { message: 'always', details: ['why=because'] });
      const failed = next(job.id, 'failed');
      let retried = h.pulse.events.waitFor('job_update', (e) => e.job_id === job.id && e.status === 'queued' && e.error !== null);
      for (const t of [1000, 2000]) {
        await retried;
        retried = h.pulse.events.waitFor('job_update', (e) => e.job_id === job.id && e.status === 'queued' && e.error !== null);
        h.clock.advance(t);
      }
      const e = await failed;
      assert.equal(e.error, 'always');
      const j = await h.pulse.getJob(job.id);
      assert.equal(j.retry_count, 2);
      assert.deepEqual(j.error_details, ['why=because']);
      assert.equal(h.fx.runs.get('fail:always'), 3);
    });

    it('does not retry a no-ingest-script error', T, async () => {
      const job = await h.pulse.enqueue('fail', { message: 'nothing', code: 'no_ingest_script', details: ['script_type=x'] });
      await next(job.id, 'failed');
      const j = await h.pulse.getJob(job.id);
      assert.equal(j.retry_count, 0);
      assert.deepEqual(j.error_details, ['script_type=x']);
      assert.equal(h.fx.runs.get('fail:nothing'), 1);
    });

    it('takes max_retries from the enqueue options over the handler default', T, async () => {
      const job = await h.pulse.enqueue('fail', { message: 'once' }, { maxRetries: 0 });
      assert.equal(job.max_retries, 0);
      await next(job.id, 'failed');
      assert.equal(h.fx.runs.get('fail:once'), 1);
    });
  });
}
