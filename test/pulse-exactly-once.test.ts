import assert from 'node:assert/strict';
import { afterEach, beforeEach, describe, it } from 'node:test';
import type { Database } from '../src/db/database.js';
import { silentLogger } from '../src/logger.js';
import { Pulse } from '../src/pulse/pulse.js';
import { openTestDatabase } from './fixtures/pulse-db.js';
import { makeHarness, testResolver, type Harness } from './fixtures/pulse-harness.js';
import { DB_KINDS, PG_URL } from './helpers.js';

const JOBS = 1000;
const WORKERS = 4;

for (const { kind, skip } of DB_KINDS) {
  describe(`pulse exactly once (${kind})`, { skip }, () => {
    let h: Harness;
    const extra: Database[] = [];
    beforeEach(async () => {
      h = await makeHarness(kind);
    });
    afterEach(async () => {
      await h.cleanup();
      for (const d of extra.splice(0)) await d.close();
    });

    it(`runs each of ${JOBS} jobs once with ${WORKERS} concurrent workers`, { timeout: 60_000 }, async () => {
      for (let i = 0; i < JOBS; i++) await h.pulse.enqueue('count', { key: `k${i}` });
      const workers: Pulse[] = [];
      const ran = new Map<string, number>();
      let completed = 0;
      let allDone!: () => void;
      const done = new Promise<void>((r) => (allDone = r));
      for (let w = 0; w < WORKERS; w++) {
        // Each worker on its own connection (SQLite) or pool (PostgreSQL), as separate processes would be.
        const database = await openTestDatabase({
          dataDir: h.dataDir,
          databaseUrl: kind === 'postgres' ? PG_URL : undefined,
          pgSchema: h.pgSchema,
          poolSize: 4,
        });
        extra.push(database);
        const p = new Pulse({
          database,
          clock: h.clock,
          logger: silentLogger(),
          catalog: h.catalog,
          resolver: testResolver,
          workerId: `w${w}`,
          concurrency: 2,
          leaseMs: 30_000,
          ticker: false,
        });
        p.events.on('job_update', (e) => {
          if (e.status === 'running') ran.set(`w${w}`, (ran.get(`w${w}`) ?? 0) + 1);
          if (e.status === 'completed' && ++completed === JOBS) allDone();
        });
        workers.push(p);
      }
      await Promise.all(workers.map((p) => p.start()));
      await done;
      await Promise.all(workers.map((p) => p.stop()));
      assert.equal(h.fx.total(), JOBS);
      for (let i = 0; i < JOBS; i++) assert.equal(h.fx.runs.get(`k${i}`), 1, `k${i}`);
      const page = await h.pulse.listJobs({ status: 'completed' }, { limit: 500 });
      assert.equal(page.items.length, 500);
      assert.equal(page.items.every((j) => j.retry_count === 0), true);
      assert.equal([...ran.values()].reduce((a, b) => a + b, 0), JOBS);
      assert.ok(ran.size > 1, `work spread over ${ran.size} workers`);
    });
  });
}
