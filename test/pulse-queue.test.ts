import assert from 'node:assert/strict';
import { afterEach, beforeEach, describe, it } from 'node:test';
import type { QntxError } from '../src/errors.js';
import type { ServerEvent } from '../src/protocol.js';
import { makeHarness, type Harness } from './fixtures/pulse-harness.js';
import { DB_KINDS } from './helpers.js';

const T = { timeout: 20_000 };

for (const { kind, skip } of DB_KINDS) {
  describe(`pulse job queue (${kind})`, { skip }, () => {
    let h: Harness;
    beforeEach(async () => {
      h = await makeHarness(kind);
    });
    afterEach(async () => {
      await h.cleanup();
    });

    it('runs an enqueued job and publishes running then completed', T, async () => {
      const seen: ServerEvent[] = [];
      h.pulse.events.onAny((e) => seen.push(e));
      await h.pulse.start();
      const done = h.pulse.events.waitFor('job_update', (e) => e.status === 'completed');
      const job = await h.pulse.enqueue('count', { key: 'a' });
      assert.match(job.id, /^JB[0-9A-Z]{26}$/);
      assert.equal(job.status, 'queued');
      await done;
      assert.equal(h.fx.runs.get('a'), 1);
      const after = await h.pulse.getJob(job.id);
      assert.equal(after.status, 'completed');
      assert.equal(after.retry_count, 0);
      assert.deepEqual(
        seen.filter((e) => e.type === 'job_update').map((e) => (e as { status: string }).status),
        ['queued', 'running', 'completed'],
      );
    });

    it('rejects an unknown handler and an invalid payload with a 4xx naming them', T, async () => {
      await assert.rejects(h.pulse.enqueue('nope', {}), (e: QntxError) => e.status === 400 && e.details.includes('handler=nope'));
      await assert.rejects(
        h.pulse.enqueue('count', { key: 3 }),
        (e: QntxError) => e.status === 400 && e.details.includes('handler=count') && e.details.some((d) => d.startsWith('key=')),
      );
    });

    it('returns the queued job of the same source instead of a second one', T, async () => {
      const a = await h.pulse.enqueue('count', { key: 'x' }, { source: 'src-1' });
      const b = await h.pulse.enqueue('count', { key: 'x' }, { source: 'src-1' });
      assert.equal(b.id, a.id);
      const other = await h.pulse.enqueue('count', { key: 'y' }, { source: 'src-2' });
      assert.notEqual(other.id, a.id);
      await h.pulse.start();
      await h.pulse.events.waitFor('job_update', (e) => e.job_id === a.id && e.status === 'completed');
      // Once it has finished, the source is free again.
      const c = await h.pulse.enqueue('count', { key: 'x' }, { source: 'src-1' });
      assert.notEqual(c.id, a.id);
      await h.pulse.events.waitFor('job_update', (e) => e.job_id === c.id && e.status === 'completed');
      assert.equal(h.fx.runs.get('x'), 2);
    });

    it('de-duplicates a running job by source', T, async () => {
      await h.pulse.start();
      const started = h.fx.whenStarted('g1');
      const a = await h.pulse.enqueue('gate', { gate: 'g1' }, { source: 'gate-src' });
      await started;
      const b = await h.pulse.enqueue('gate', { gate: 'g1' }, { source: 'gate-src' });
      assert.equal(b.id, a.id);
      assert.equal(b.status, 'running');
      const done = h.pulse.events.waitFor('job_update', (e) => e.job_id === a.id && e.status === 'completed');
      h.fx.open('g1');
      await done;
      assert.equal(h.fx.runs.get('g1'), 1);
    });

    it('never starts a cancelled queued job', T, async () => {
      const job = await h.pulse.enqueue('count', { key: 'c' });
      const cancelled = await h.pulse.cancelJob(job.id);
      assert.equal(cancelled.status, 'cancelled');
      await h.pulse.start();
      const marker = await h.pulse.enqueue('count', { key: 'after' });
      await h.pulse.events.waitFor('job_update', (e) => e.job_id === marker.id && e.status === 'completed');
      assert.equal(h.fx.runs.get('c'), undefined);
      assert.equal((await h.pulse.getJob(job.id)).status, 'cancelled');
    });

    it('aborts a running job on cancel', T, async () => {
      await h.pulse.start();
      const started = h.fx.whenStarted('g2');
      const job = await h.pulse.enqueue('gate', { gate: 'g2' });
      await started;
      const done = h.pulse.events.waitFor('job_update', (e) => e.job_id === job.id && e.status === 'cancelled');
      const res = await h.pulse.cancelJob(job.id);
      assert.equal(res.cancel_requested, true);
      await done;
      const after = await h.pulse.getJob(job.id);
      assert.equal(after.status, 'cancelled');
      assert.equal(after.error, 'job cancelled');
    });

    it('aborts a running job cancelled from another process at its next heartbeat', T, async () => {
      await h.pulse.start();
      const started = h.fx.whenStarted('g3');
      const job = await h.pulse.enqueue('gate', { gate: 'g3' });
      await started;
      const other = h.another({ concurrency: 0, ticker: false });
      const done = h.pulse.events.waitFor('job_update', (e) => e.job_id === job.id && e.status === 'cancelled');
      const res = await other.cancelJob(job.id);
      assert.equal(res.status, 'running');
      assert.equal(res.cancel_requested, true);
      h.clock.advance(10_000); // lease 30 s: the heartbeat runs every 10 s
      await done;
      assert.equal((await h.pulse.getJob(job.id)).status, 'cancelled');
    });

    it('fails a job that runs past its timeout', T, async () => {
      await h.pulse.start();
      const started = h.fx.whenStarted('slow');
      const job = await h.pulse.enqueue('gate', { gate: 'slow' }, { timeoutMs: 5_000 });
      await started;
      const done = h.pulse.events.waitFor('job_update', (e) => e.job_id === job.id && e.status === 'failed');
      h.clock.advance(5_000);
      const e = await done;
      assert.match(e.error ?? '', /timed out after 5000 ms/);
    });

    it('lists jobs newest first with paging and filters', T, async () => {
      const ids: string[] = [];
      for (let i = 0; i < 5; i++) ids.push((await h.pulse.enqueue('count', { key: `l${i}` })).id);
      const p1 = await h.pulse.listJobs({}, { limit: 2 });
      assert.deepEqual(p1.items.map((j) => j.id), [ids[4], ids[3]]);
      const p2 = await h.pulse.listJobs({}, { limit: 2, cursor: p1.next_cursor! });
      assert.deepEqual(p2.items.map((j) => j.id), [ids[2], ids[1]]);
      const p3 = await h.pulse.listJobs({ status: 'queued' }, { limit: 10, cursor: p2.next_cursor! });
      assert.deepEqual(p3.items.map((j) => j.id), [ids[0]]);
      assert.equal(p3.next_cursor, null);
      await assert.rejects(h.pulse.getJob('JB0000'), (e: QntxError) => e.status === 404);
      await assert.rejects(h.pulse.cancelJob('JB0000'), (e: QntxError) => e.status === 404);
    });

    it('throttles progress to at most 4 updates a second', T, async () => {
      await h.pulse.start();
      const updates: Array<{ current: number; total: number | null } | null> = [];
      h.pulse.events.on('job_update', (e) => {
        if (e.status === 'running' && e.progress) updates.push(e.progress);
      });
      let report!: (c: number) => void;
      const ready = new Promise<void>((r) => {
        h.catalog.register({
          name: 'progress',
          payload: (h.catalog.get('noop')!).payload,
          timeoutMs: 60_000,
          maxRetries: 0,
          run: ({ progress, signal }) =>
            new Promise((resolve) => {
              report = (c) => progress(c, 10);
              signal.addEventListener('abort', () => resolve({}));
              r();
            }),
        });
      });
      const job = await h.pulse.enqueue('progress', {});
      await ready;
      for (let i = 1; i <= 5; i++) report(i); // same instant: the first goes out, the rest wait
      assert.deepEqual(updates, [{ current: 1, total: 10 }]);
      h.clock.advance(250); // the trailing update carries the latest value
      await new Promise((r) => setImmediate(r));
      assert.deepEqual(updates, [{ current: 1, total: 10 }, { current: 5, total: 10 }]);
      await h.pulse.cancelJob(job.id);
    });
  });
}
