// Deleting a schedule while a tick fires it, on PostgreSQL (SQLite's BEGIN IMMEDIATE serialises
// the two): the tick's transaction is held open after it inserted the execution and the job, the
// delete runs on another connection, then the tick commits. The delete must see what the tick
// made: the job cancelled, never left queued to run later for a schedule that is gone.
import assert from 'node:assert/strict';
import { afterEach, describe, it } from 'node:test';
import { sql } from 'kysely';
import { PulseIds } from '../src/pulse/ids.js';
import { tickOp, type TickResult } from '../src/pulse/schedule-ops.js';
import { makeHarness, type Harness } from './fixtures/pulse-harness.js';
import { PG_SKIP } from './helpers.js';

describe('deleting a schedule during its tick (postgres)', { skip: PG_SKIP }, () => {
  let h: Harness;
  afterEach(async () => {
    await h.cleanup();
  });

  it('cancels the job the tick made and leaves no execution behind', { timeout: 30_000 }, async () => {
    h = await makeHarness('postgres', { concurrency: 1 });
    h.clock.set(Date.parse('2026-01-01T00:00:00Z'));
    // The Pulse is not started: only this test's tick makes jobs, and no worker claims them.
    const s = await h.pulse.createSchedule({ ats_code: 'noop', interval_seconds: 60 });
    const db = h.database.db;
    const now = s.next_run_at!;
    let release!: () => void;
    const held = new Promise<void>((r) => (release = r));
    let madeJob!: (xid: string) => void;
    const jobMade = new Promise<string>((r) => (madeJob = r));
    const tick = db.transaction().execute(async (trx) => {
      const gen = tickOp(trx, 'postgres', { now, limit: 10, ids: new PulseIds(() => now), jobDefaults: () => ({ timeoutMs: 60_000, maxRetries: 0 }), keep: 100 });
      let step = gen.next();
      while (!step.done) {
        const res = await trx.executeQuery(step.value);
        step = gen.next({ rows: res.rows, changes: Number(res.numAffectedRows ?? res.rows.length) });
      }
      madeJob((await sql<{ xid: string }>`select pg_current_xact_id()::text as xid`.execute(trx)).rows[0]!.xid);
      await held; // the transaction stays open, its rows uncommitted and the schedule row locked
      return step.value as TickResult;
    });
    const tickXid = await jobMade;
    const deleted = h.pulse.deleteSchedule(s.id);
    // Wait until the delete waits for the tick's transaction, then let the tick commit.
    for (;;) {
      const { rows } = await sql<{ n: number }>`select count(*)::int as n from pg_locks
        where not granted and locktype = 'transactionid' and transactionid::text = ${tickXid}`.execute(db);
      if (rows[0]!.n > 0) break;
      await new Promise<void>((r) => setImmediate(r));
    }
    release();
    const fired = await tick;
    assert.equal(fired.fired.length, 1);
    await deleted;
    const jobs = await db.selectFrom('pulse_jobs').select(['id', 'status']).where('id', '=', fired.fired[0]!.job.id).execute();
    assert.deepEqual(jobs.map((j) => j.status), ['cancelled']);
    const executions = await db.selectFrom('pulse_executions').select('id').where('schedule_id', '=', s.id).execute();
    assert.deepEqual(executions, []);
  });
});
