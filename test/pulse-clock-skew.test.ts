// Leases on the database's clock: a worker whose clock runs 120 s ahead neither reaps the live
// leases of a worker on true time nor writes leases that outlive it by 120 s; the offset of a
// process's clock from the database's is measured and shown.
import assert from 'node:assert/strict';
import { afterEach, beforeEach, describe, it } from 'node:test';
import { systemClock, type Clock } from '../src/clock.js';
import { loadSettings } from '../src/config.js';
import { startServer } from '../src/server/serve.js';
import { captureLogger } from './fixtures/capture-logger.js';
import { makeHarness, type Harness } from './fixtures/pulse-harness.js';
import { dropSchema, PG_SKIP, PG_URL, tempDir, uniqueSchema } from './helpers.js';

const T = { timeout: 30_000 };

/** The system clock moved by `ms`: what libfaketime does to a process. */
function offsetClock(ms: number): Clock {
  return { now: () => Date.now() + ms, sleep: systemClock.sleep };
}

describe('leases on the database clock (postgres)', { skip: PG_SKIP }, () => {
  let h: Harness;
  beforeEach(async () => {
    h = await makeHarness('postgres', { clock: offsetClock(0), leaseMs: 30_000, pollMs: 50 });
  });
  afterEach(async () => {
    await h.cleanup();
  });

  it('a worker 120 s ahead does not reap the live lease of a worker on true time', T, async () => {
    const started = h.fx.whenStarted('live');
    await h.pulse.start();
    const job = await h.pulse.enqueue('gate', { gate: 'live' });
    await started;
    const ahead = offsetClock(120_000);
    const skewed = h.another({ clock: ahead, workerId: 'skewed', concurrency: 0, ticker: false });
    const reaped = await skewed.jobStore.reapExpired(ahead.now());
    assert.deepEqual(reaped.map((s) => s.job.id), []);
    const j = await h.pulse.getJob(job.id);
    assert.equal(j.status, 'running');
    assert.equal(j.retry_count, 0);
    h.fx.open('live');
  });

  it('the lease written by a worker 120 s ahead ends on time when that worker dies', T, async () => {
    const ahead = offsetClock(120_000);
    const skewed = h.another({ clock: ahead, workerId: 'skewed', concurrency: 0, ticker: false });
    const job = await skewed.enqueue('count', { key: 'orphan' }, { runAt: 0 });
    const [claimed] = await skewed.jobStore.claim({ workerId: 'skewed', now: ahead.now(), leaseMs: 500, limit: 1 });
    assert.equal(claimed?.id, job.id);
    // The skewed worker dies here. A worker on true time takes the job over once the half-second
    // lease has run out, not 120 s later.
    const done = h.pulse.events.waitFor('job_update', (e) => e.job_id === job.id && e.status === 'completed');
    await h.pulse.start();
    await done;
    assert.equal(h.fx.runs.get('orphan'), 1);
    assert.equal((await h.pulse.getJob(job.id)).retry_count, 1);
  });

  it("measures the offset of the process's clock from the database's", T, async () => {
    const skewed = h.another({ clock: offsetClock(120_000), workerId: 'skewed', concurrency: 0, ticker: false });
    const offset = await skewed.checkClock();
    assert.ok(offset !== null && Math.abs(offset - 120_000) < 1000, `offset ${offset}`);
    assert.equal(skewed.clockOffsetMs, offset);
    const mine = await h.pulse.checkClock();
    assert.ok(mine !== null && Math.abs(mine) < 1000, `offset ${mine}`);
  });

  it('logs a warning and shows the offset in /health when it is over a second', T, async () => {
    const pgSchema = uniqueSchema();
    const log = captureLogger('warn');
    const settings = loadSettings({ dataDir: tempDir(), port: 0, databaseUrl: PG_URL, workerConcurrency: 0 }, {});
    const server = await startServer(settings, { logger: log.logger, pgSchema, clock: offsetClock(120_000) });
    try {
      await server.qntx.pulse.checkClock();
      const health = (await (await fetch(`${server.url}/health`, { headers: { authorization: `Bearer ${server.token}` } })).json()) as { pulse: { clock_offset_ms: number } };
      assert.ok(Math.abs(health.pulse.clock_offset_ms - 120_000) < 1000, JSON.stringify(health.pulse));
      assert.ok(log.warnings(/clock is off from the database/).length >= 1);
    } finally {
      await server.close();
      await dropSchema(pgSchema);
    }
  });
});
