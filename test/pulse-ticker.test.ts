import assert from 'node:assert/strict';
import { afterEach, beforeEach, describe, it } from 'node:test';
import { sql } from 'kysely';
import { QntxError } from '../src/errors.js';
import type { ExecutionDto } from '../src/protocol.js';
import type { StateWork } from '../src/pulse/state-store.js';
import { advanceUntil, makeHarness, type Harness } from './fixtures/pulse-harness.js';
import { DB_KINDS } from './helpers.js';

const T = { timeout: 30_000 };
const S = 1000;

for (const { kind, skip } of DB_KINDS) {
  describe(`pulse ticker (${kind})`, { skip }, () => {
    let h: Harness;
    beforeEach(async () => {
      h = await makeHarness(kind);
    });
    afterEach(async () => {
      await h.cleanup();
    });

    /** Sets the clock and waits for the schedule's next execution to end. */
    async function runAt(t: number, scheduleId: string): Promise<ExecutionDto> {
      const done = h.pulse.events.waitFor(
        'pulse_execution_completed',
        (e) => e.schedule_id === scheduleId,
      );
      h.clock.set(t);
      return h.pulse.getExecution((await done).execution_id);
    }

    it('runs a new schedule at once and records the execution', T, async () => {
      await h.pulse.start();
      const started = h.pulse.events.waitFor('pulse_execution_started');
      const completed = h.pulse.events.waitFor('pulse_execution_completed');
      const s = await h.pulse.createSchedule({ ats_code: 'count first', interval_seconds: 60, created_from: 'glyph-1' });
      assert.match(s.id, /^SC/);
      assert.equal(s.handler_name, 'count');
      assert.deepEqual(s.payload, { key: 'first' });
      assert.equal(s.next_run_at, h.clock.now());
      const st = await started;
      const done = await completed;
      assert.equal(done.execution_id, st.execution_id);
      assert.equal(done.attestations_created, 1);
      const x = await h.pulse.getExecution(done.execution_id);
      assert.equal(x.status, 'completed');
      assert.equal(x.stdout, 'counted first');
      assert.equal(x.trigger, 'schedule');
      assert.equal(x.due_at, s.created_at);
      assert.equal(x.async_job_id, st.async_job_id);
      const after = await h.pulse.getSchedule(s.id);
      assert.equal(after.last_status, 'completed');
      assert.equal(after.last_execution_id, x.id);
      assert.equal(after.next_run_at, s.created_at + 60 * S);
    });

    it('passes the resolver error through unchanged', T, async () => {
      const err = await h.pulse.createSchedule({ ats_code: 'webhook', interval_seconds: 0 }).catch((e: unknown) => e);
      assert.ok(err instanceof QntxError);
      assert.equal(err.code, 'no_ingest_script');
      assert.deepEqual(err.details, ['script_type=webhook']);
      assert.equal(err.hint, "Create a handler for 'webhook'");
      const bad = await h.pulse.createSchedule({ ats_code: 'noop', interval_seconds: -1 }).catch((e: unknown) => e);
      assert.ok(bad instanceof QntxError && bad.status === 400 && bad.details.some((d) => d.startsWith('interval_seconds=')));
    });

    it('keeps to its grid over 300 late ticks: no drift, no double fire', { timeout: 180_000 }, async () => {
      await h.pulse.start();
      const first = h.pulse.events.waitFor('pulse_execution_completed');
      const s = await h.pulse.createSchedule({ ats_code: 'noop', interval_seconds: 60 });
      await first;
      let fired = 0;
      h.pulse.events.on('pulse_execution_started', () => fired++);
      let seed = 7;
      // Each tick's due time is checked exactly, so one drifting tick fails; 300 are three times
      // what is kept, so pruning is checked too.
      const N = 300;
      for (let k = 1; k <= N; k++) {
        seed = (seed * 48271) % 2147483647;
        const lateness = seed % (59 * S); // each tick is late by up to 59 s
        const x = await runAt(s.created_at + k * 60 * S + lateness, s.id);
        assert.equal(x.due_at, s.created_at + k * 60 * S);
      }
      assert.equal(fired, N);
      const after = await h.pulse.getSchedule(s.id);
      assert.equal(after.next_run_at, s.created_at + (N + 1) * 60 * S);
      // Executions are pruned to the last 100.
      const page = await h.pulse.listExecutions(s.id, { limit: 500 });
      assert.equal(page.items.length, 100);
    });

    it('fires each tick once with two tickers on one database', T, async () => {
      // One bus for both, as the LISTEN/NOTIFY fan-out of the scale-out issue will give.
      const second = h.another({ workerId: 'w-second', events: h.pulse.events });
      await h.pulse.start();
      // The first instance takes the one-ticker lock before the second competes for it: on the
      // manual clock only the instance whose schedule service is used here is woken at once.
      for (let i = 0; i < 5000 && !h.pulse.tickerActive; i++) await new Promise((r) => setTimeout(r, 1));
      assert.equal(h.pulse.tickerActive, true);
      await second.start();
      let fired = 0;
      h.pulse.events.on('pulse_execution_started', () => fired++);
      const first = h.pulse.events.waitFor('pulse_execution_completed');
      const s = await h.pulse.createSchedule({ ats_code: 'noop', interval_seconds: 10 });
      await first;
      for (let k = 1; k <= 20; k++) {
        const done = h.pulse.events.waitFor('pulse_execution_completed');
        h.clock.set(s.created_at + k * 10 * S);
        await done;
      }
      const xs = (await h.pulse.listExecutions(s.id, { limit: 100 })).items;
      assert.equal(xs.length, 21);
      assert.equal(new Set(xs.map((x) => x.due_at)).size, 21);
      assert.equal(fired, 21);
    });

    it('skips a tick while the previous execution still runs, and records it', T, async () => {
      await h.pulse.start();
      const started = h.fx.whenStarted('o1');
      const s = await h.pulse.createSchedule({ ats_code: 'gate o1', interval_seconds: 10 });
      await started;
      const skipped = h.pulse.events.waitFor('pulse_execution_skipped');
      h.clock.set(s.created_at + 10 * S);
      assert.equal((await skipped).schedule_id, s.id);
      const mid = await h.pulse.getSchedule(s.id);
      assert.equal(mid.skipped_count, 1);
      assert.equal(mid.last_skipped_at, s.created_at + 10 * S);
      assert.equal(mid.next_run_at, s.created_at + 20 * S);
      const done = h.pulse.events.waitFor('pulse_execution_completed');
      h.fx.open('o1');
      await done;
      const again = h.fx.whenStarted('o1');
      h.clock.set(s.created_at + 20 * S);
      await again;
      assert.equal(h.fx.runs.get('o1'), 2);
      const xs = (await h.pulse.listExecutions(s.id)).items;
      assert.deepEqual(xs.map((x) => x.due_at), [s.created_at + 20 * S, s.created_at]);
    });

    it('runs once after downtime, not once per missed interval', T, async () => {
      await h.pulse.start();
      const first = h.pulse.events.waitFor('pulse_execution_completed');
      const s = await h.pulse.createSchedule({ ats_code: 'count down', interval_seconds: 10 });
      await first;
      await h.pulse.stop();
      h.clock.set(s.created_at + 105 * S); // 10 grid points missed
      const restarted = h.another({ workerId: 'w-restarted' });
      const caught = restarted.events.waitFor('pulse_execution_completed');
      await restarted.start();
      await caught;
      const after = await restarted.getSchedule(s.id);
      assert.equal(after.next_run_at, s.created_at + 110 * S);
      assert.equal(h.fx.runs.get('down'), 2);
      // The run is for the latest grid point that came; the 9 before it are counted as skipped.
      const caughtUp = await restarted.getExecution(after.last_execution_id!);
      assert.equal(caughtUp.due_at, s.created_at + 100 * S);
      assert.equal(after.skipped_count, 9);
      const done = restarted.events.waitFor('pulse_execution_completed');
      h.clock.set(s.created_at + 110 * S);
      const x = await restarted.getExecution((await done).execution_id);
      assert.equal(x.due_at, s.created_at + 110 * S);
      assert.equal(h.fx.runs.get('down'), 3);
    });

    it('runs an interval-0 schedule once, then it is inactive', T, async () => {
      await h.pulse.start();
      const done = h.pulse.events.waitFor('pulse_execution_completed');
      const s = await h.pulse.createSchedule({ ats_code: 'count once', interval_seconds: 0 });
      await done;
      const after = await h.pulse.getSchedule(s.id);
      assert.equal(after.state, 'inactive');
      assert.equal(after.next_run_at, null);
      for (let i = 0; i < 5; i++) h.clock.advance(3600 * S);
      const marker = await h.pulse.enqueue('count', { key: 'marker' });
      await h.pulse.events.waitFor('job_update', (e) => e.job_id === marker.id && e.status === 'completed');
      assert.equal(h.fx.runs.get('once'), 1);
      assert.equal((await h.pulse.listExecutions(s.id)).items.length, 1);
    });

    it('publishes a failed execution with its error details', T, async () => {
      await h.pulse.start();
      const failed = h.pulse.events.waitFor('pulse_execution_failed');
      await h.pulse.createSchedule({ ats_code: 'fail kaput', interval_seconds: 0 });
      const e = await advanceUntil(h.clock, failed, 500); // two retries with backoff, then failed
      assert.equal(e.error, 'kaput');
      assert.deepEqual(e.error_details, ['arg=kaput']);
      assert.equal(h.fx.runs.get('fail:kaput'), 3);
      const x = await h.pulse.getExecution(e.execution_id);
      assert.equal(x.status, 'failed');
      assert.deepEqual(x.error_details, ['arg=kaput']);
    });

    it('pauses, resumes on the grid, triggers, changes the interval and deletes', T, async () => {
      await h.pulse.start();
      let done = h.pulse.events.waitFor('pulse_execution_completed');
      const s = await h.pulse.createSchedule({ ats_code: 'count ctl', interval_seconds: 10 });
      await done;
      const paused = await h.pulse.pauseSchedule(s.id);
      assert.equal(paused.state, 'paused');
      assert.equal(paused.next_run_at, null);
      h.clock.set(s.created_at + 35 * S);
      const resumed = await h.pulse.resumeSchedule(s.id);
      assert.equal(resumed.state, 'active');
      assert.equal(resumed.next_run_at, s.created_at + 40 * S);
      done = h.pulse.events.waitFor('pulse_execution_completed');
      const x = await h.pulse.triggerSchedule(s.id);
      assert.equal(x.trigger, 'manual');
      assert.equal(x.due_at, null);
      await done;
      assert.equal(h.fx.runs.get('ctl'), 2);
      const patched = await h.pulse.updateSchedule(s.id, { interval_seconds: 3600 });
      assert.equal(patched.interval_seconds, 3600);
      assert.equal(patched.next_run_at, h.clock.now() + 3600 * S);
      await assert.rejects(h.pulse.updateSchedule(s.id, { state: 'bogus' as 'active' }), (e: QntxError) => e.status === 400);
      await h.pulse.deleteSchedule(s.id);
      await assert.rejects(h.pulse.getSchedule(s.id), (e: QntxError) => e.status === 404);
      await assert.rejects(h.pulse.listExecutions(s.id), (e: QntxError) => e.status === 404);
      await assert.rejects(h.pulse.getExecution(x.id), (e: QntxError) => e.status === 404);
      await assert.rejects(h.pulse.triggerSchedule(s.id), (e: QntxError) => e.status === 404);
    });

    it('refuses to trigger while running, and cancels the running job on delete', T, async () => {
      await h.pulse.start();
      const started = h.fx.whenStarted('del');
      const s = await h.pulse.createSchedule({ ats_code: 'gate del', interval_seconds: 60 });
      await started;
      await assert.rejects(h.pulse.triggerSchedule(s.id), (e: QntxError) => e.status === 409);
      const job = (await h.pulse.listJobs({ schedule_id: s.id })).items[0]!;
      const cancelled = h.pulse.events.waitFor('job_update', (e) => e.job_id === job.id && e.status === 'cancelled');
      await h.pulse.deleteSchedule(s.id);
      await cancelled;
    });

    it('saves handler state only when a run succeeds', T, async () => {
      await h.pulse.start();
      let done = h.pulse.events.waitFor('pulse_execution_completed');
      const s = await h.pulse.createSchedule({ ats_code: 'stateful', interval_seconds: 60 });
      await done;
      assert.deepEqual((await h.pulse.stateStore.get(s.id)).state, { n: 1 });
      done = h.pulse.events.waitFor('pulse_execution_completed');
      await h.pulse.triggerSchedule(s.id);
      await done;
      const st = await h.pulse.stateStore.get(s.id);
      assert.deepEqual(st.state, { n: 2 });
      assert.equal(st.lastSuccessAt, h.clock.now());
      const sched = await h.pulse.getSchedule(s.id);
      assert.equal(sched.last_success_at, h.clock.now());
    });

    it('saves state and extra work in one transaction', T, async () => {
      const s = await h.pulse.createSchedule({ ats_code: 'noop', interval_seconds: 60 });
      const db = h.database;
      await db.db.schema.createTable('scratch').addColumn('v', 'text').execute();
      // SQLite: synchronous work on the raw handle; PostgreSQL: awaited work on the transaction.
      const work =
        (fail: boolean): StateWork =>
        (tx) => {
          if (tx.kind === 'sqlite') {
            tx.raw.prepare("insert into scratch (v) values ('x')").run();
            if (fail) throw new Error('work failed');
            return;
          }
          return sql`insert into scratch (v) values ('x')`.execute(tx.trx).then(() => {
            if (fail) throw new Error('work failed');
          });
        };
      await assert.rejects(h.pulse.stateStore.saveWith(s.id, { a: 1 }, {}, work(true)), /work failed/);
      assert.equal((await h.pulse.stateStore.get(s.id)).state, null);
      assert.equal(await h.pulse.stateStore.saveWith(s.id, { a: 2 }, { succeededAt: 5 }, work(false)), true);
      const st = await h.pulse.stateStore.get(s.id);
      assert.deepEqual(st, { state: { a: 2 }, lastSuccessAt: 5 });
      const rows = await db.db.selectFrom('scratch' as never).selectAll().execute();
      assert.equal(rows.length, 1);
      assert.equal(await h.pulse.stateStore.saveWith('SCnope', { a: 3 }), false);
    });
  });
}
