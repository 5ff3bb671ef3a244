// Retention and limits: finished jobs pruned by age and count, in batches of short statements
// (never one long delete the ticker would wait on); a per-schedule handler timeout; the SQLite
// WAL bounded after a long read let it grow.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { afterEach, describe, it } from 'node:test';
import BetterSqlite3 from 'better-sqlite3';
import { openDatabase, sqlitePath } from '../src/db/database.js';
import { pythonScriptJob } from '../src/ix/python-script-job.js';
import type { HandlerContext } from '../src/pulse/catalog.js';
import type { RunOptions } from '../src/python/types.js';
import { faultyRunner } from './fixtures/faulty-runner.js';
import { advanceUntil, makeHarness, type Harness } from './fixtures/pulse-harness.js';
import { DB_KINDS, tempDir } from './helpers.js';

const T = { timeout: 30_000 };
const H = 3600_000;

for (const { kind, skip } of DB_KINDS) {
  describe(`pulse limits (${kind})`, { skip }, () => {
    let h: Harness;
    afterEach(async () => {
      await h.cleanup();
    });

    it('prunes finished jobs beyond the count and the age, in batches, never queued or running ones', T, async () => {
      let deletes = 0;
      h = await makeHarness(kind, {
        // everyMs: the background pruner stays out of the way; the test prunes by itself.
        jobRetention: { keep: 3, maxAgeMs: H, batch: 2, everyMs: 1000 * H },
        runner: (base) => faultyRunner(base, { before: (q) => void (/^delete from "pulse_jobs"/.test(q.sql) && deletes++) }),
      });
      await h.pulse.start();
      const done: string[] = [];
      for (let i = 0; i < 10; i++) {
        const finished = h.pulse.events.waitFor('job_update', (e) => e.status === 'completed');
        done.push((await h.pulse.enqueue('count', { key: `k${i}` })).id);
        await finished;
      }
      const started = h.fx.whenStarted('hold');
      const running = await h.pulse.enqueue('gate', { gate: 'hold' });
      await started;
      const queued = await h.pulse.enqueue('noop', {}, { runAt: h.clock.now() + 10 * H });
      assert.equal(await h.pulse.pruneJobs(), 7);
      assert.equal(deletes, 4, '7 rows in statements of at most 2');
      const left = new Set((await h.pulse.listJobs({}, { limit: 100 })).items.map((j) => j.id));
      assert.deepEqual([...done.slice(7), running.id, queued.id].filter((id) => left.has(id)).length, 5);
      assert.equal(left.size, 5);
      // An hour later, every finished job is past the age; the others stay.
      h.clock.advance(H + 1);
      assert.equal(await h.pulse.pruneJobs(), 3);
      assert.deepEqual(new Set((await h.pulse.listJobs({}, { limit: 100 })).items.map((j) => j.id)), new Set([running.id, queued.id]));
      h.fx.open('hold');
    });

    it("runs a schedule's job with the schedule's own timeout", T, async () => {
      h = await makeHarness(kind);
      await h.pulse.start();
      const failed = h.pulse.events.waitFor('pulse_execution_failed');
      const started = h.fx.whenStarted('slow');
      const s = await h.pulse.createSchedule({ ats_code: 'gate slow', interval_seconds: 3600, timeout_seconds: 2 });
      assert.equal(s.timeout_seconds, 2);
      await started;
      const job = (await h.pulse.listJobs({ schedule_id: s.id })).items[0]!;
      assert.equal(job.timeout_ms, 2000);
      const e = await advanceUntil(h.clock, failed, 500);
      assert.equal(e.error, 'timed out after 2000 ms');
      const patched = await h.pulse.updateSchedule(s.id, { timeout_seconds: null });
      assert.equal(patched.timeout_seconds, null);
      await assert.rejects(h.pulse.updateSchedule(s.id, { timeout_seconds: 0 }), (err: { status?: number }) => err.status === 400);
    });
  });
}

describe('python.script and the schedule timeout', () => {
  it("gives the runner the job's own timeout (plus a second), not the handler's default", async () => {
    const seen: RunOptions[] = [];
    const def = pythonScriptJob({
      ats: { store: {} } as never,
      handlers: { require: async () => ({ code: 'pass', version: 1 }) } as never,
      runner: {
        run: async (opts) => {
          seen.push(opts);
          return { success: true, stdout: '', stderr: '', stdoutTruncated: false, stderrTruncated: false, error: null, details: [], durationMs: 1, attestationsFlushed: 0, pending: [], state: {} };
        },
      },
    });
    const ctx = {
      job: { id: 'JB1', timeout_ms: 20 * 60_000 },
      payload: { script_type: 'slow', args: [], flags: {} },
      signal: new AbortController().signal,
      executionId: 'EX1',
      progress: () => {},
      source: () => ({ get: async () => ({ state: null, lastSuccessAt: null }), commit: async () => ({ created: 0, alreadyKnown: 0 }) }),
    } as unknown as HandlerContext<never>;
    await def.run(ctx);
    assert.equal(seen[0]!.limits?.timeoutMs, 20 * 60_000 + 1000);
  });
});

describe('the SQLite WAL', () => {
  it('shrinks back under its limit after a long read let it grow', { timeout: 60_000 }, async () => {
    const dataDir = tempDir();
    const database = await openDatabase({ dataDir });
    try {
      const raw = database.sqlite!;
      const limit = Number(raw.pragma('journal_size_limit', { simple: true }));
      assert.ok(limit > 0 && limit <= 64 * 2 ** 20, `journal_size_limit ${limit}`);
      raw.exec('create table filler (b blob)');
      // Another connection holds a read transaction: checkpoints cannot reset the WAL meanwhile.
      const reader = new BetterSqlite3(sqlitePath(dataDir));
      reader.exec('begin');
      reader.prepare('select count(*) from filler').get();
      const blob = Buffer.alloc(1 << 20, 7);
      const insert = raw.prepare('insert into filler (b) values (?)');
      const wal = path.join(dataDir, 'qntx.db-wal');
      while (fs.statSync(wal).size < limit + 8 * 2 ** 20) insert.run(blob);
      reader.exec('commit');
      reader.close();
      raw.exec('delete from filler');
      // Bulk work done: a checkpoint, then the next write starts the WAL over, cut to the limit.
      raw.pragma('wal_checkpoint(PASSIVE)');
      insert.run(Buffer.alloc(10));
      assert.ok(fs.statSync(wal).size <= limit, `WAL ${fs.statSync(wal).size} > ${limit}`);
    } finally {
      await database.close();
      fs.rmSync(dataDir, { recursive: true, force: true });
    }
  });
});
