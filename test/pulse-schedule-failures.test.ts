// Failing schedules back off and are paused: after a failed run the next one waits longer
// (exponential, capped at 1 h, on the schedule's grid); after N consecutive failures (default 5)
// the schedule is paused with the reason; resuming resets the count. A run that fails with
// no_ingest_script (the handler was removed) counts like any other failure.
import assert from 'node:assert/strict';
import { afterEach, beforeEach, describe, it } from 'node:test';
import { makeHarness, type Harness } from './fixtures/pulse-harness.js';
import { DB_KINDS } from './helpers.js';

const T = { timeout: 30_000 };
const S = 1000;

for (const { kind, skip } of DB_KINDS) {
  describe(`failing schedules (${kind})`, { skip }, () => {
    let h: Harness;
    beforeEach(async () => {
      h = await makeHarness(kind);
      await h.pulse.start();
    });
    afterEach(async () => {
      await h.cleanup();
    });

    /** Moves the clock to `t` and waits for the schedule's execution there to fail. */
    async function failsAt(t: number, id: string) {
      const failed = h.pulse.events.waitFor('pulse_execution_failed', (e) => e.schedule_id === id);
      h.clock.set(t);
      await failed;
      return h.pulse.getSchedule(id);
    }

    it('waits longer after each failure, then pauses with the reason after 5; resume resets', T, async () => {
      const updates: Array<{ state: string; reason: string | null }> = [];
      const failed = h.pulse.events.waitFor('pulse_execution_failed');
      const s0 = await h.pulse.createSchedule({ ats_code: 'broken webhook', interval_seconds: 10 });
      h.pulse.events.on('schedule_update', (e) => e.schedule && updates.push({ state: e.schedule.state, reason: e.schedule.paused_reason }));
      await failed;
      const t0 = s0.created_at;
      let s = await h.pulse.getSchedule(s0.id);
      assert.equal(s.consecutive_failures, 1);
      // 2 × interval after the first failure, then 4×, 8×, 16×, each on the grid.
      assert.equal(s.next_run_at, t0 + 20 * S);
      s = await failsAt(t0 + 20 * S, s0.id);
      assert.equal(s.consecutive_failures, 2);
      assert.equal(s.next_run_at, t0 + 60 * S);
      s = await failsAt(t0 + 60 * S, s0.id);
      assert.equal(s.next_run_at, t0 + 140 * S);
      s = await failsAt(t0 + 140 * S, s0.id);
      assert.equal(s.next_run_at, t0 + 300 * S);
      s = await failsAt(t0 + 300 * S, s0.id);
      assert.equal(s.consecutive_failures, 5);
      assert.equal(s.state, 'paused');
      assert.equal(s.paused_reason, "failing: no ingest script for 'webhook'");
      assert.deepEqual(updates.at(-1), { state: 'paused', reason: "failing: no ingest script for 'webhook'" });
      assert.equal((await h.pulse.listExecutions(s0.id)).items.length, 5);
      const resumed = await h.pulse.resumeSchedule(s0.id);
      assert.equal(resumed.state, 'active');
      assert.equal(resumed.consecutive_failures, 0);
      assert.equal(resumed.paused_reason, null);
    });

    it('pauses after the per-schedule number of failures; a success resets the count', T, async () => {
      const failed = h.pulse.events.waitFor('pulse_execution_failed');
      const s0 = await h.pulse.createSchedule({ ats_code: 'broken x', interval_seconds: 60, max_failures: 2 });
      assert.equal(s0.max_failures, 2);
      await failed;
      const s = await failsAt(s0.created_at + 120 * S, s0.id);
      assert.equal(s.state, 'paused');
      assert.match(s.paused_reason ?? '', /^failing: /);
      // A schedule that fails then succeeds starts counting again.
      const done = h.pulse.events.waitFor('pulse_execution_completed');
      const ok = await h.pulse.createSchedule({ ats_code: 'count fine', interval_seconds: 60 });
      await done;
      assert.equal((await h.pulse.getSchedule(ok.id)).consecutive_failures, 0);
      const never = await h.pulse.updateSchedule(s0.id, { max_failures: 0, state: 'active' });
      assert.equal(never.max_failures, 0);
      assert.equal(never.state, 'active');
    });

    it('caps the wait at one hour', T, async () => {
      const failed = h.pulse.events.waitFor('pulse_execution_failed');
      const s0 = await h.pulse.createSchedule({ ats_code: 'broken slow', interval_seconds: 1200, max_failures: 0 });
      await failed;
      let s = await h.pulse.getSchedule(s0.id);
      assert.equal(s.next_run_at, s0.created_at + 2400 * S); // 2 × 20 min
      s = await failsAt(s0.created_at + 2400 * S, s0.id);
      assert.equal(s.next_run_at, s0.created_at + 6000 * S); // 4 × 20 min, capped at 1 h
      assert.equal(s.state, 'active');
    });
  });
}
