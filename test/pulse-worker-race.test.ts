// The worker's bookkeeping under interleavings that a real database produces: a heartbeat on its
// way while the claim loop claims more jobs must not drop those jobs (they stay leased to this
// worker, and nobody would run them until the lease ran out).
import assert from 'node:assert/strict';
import { afterEach, describe, it } from 'node:test';
import { faultyRunner, gate, isHeartbeat } from './fixtures/faulty-runner.js';
import { makeHarness, type Harness } from './fixtures/pulse-harness.js';
import { DB_KINDS } from './helpers.js';

const T = { timeout: 20_000 };
const LEASE = 3000;

for (const { kind, skip } of DB_KINDS) {
  describe(`worker bookkeeping (${kind})`, { skip }, () => {
    let h: Harness;
    afterEach(async () => {
      await h.cleanup();
    });

    it('runs the jobs it claimed ahead while a heartbeat was on its way', T, async () => {
      let hold: { wait: Promise<void>; open(): void } | null = null;
      const sent = gate();
      const returned = gate();
      h = await makeHarness(kind, {
        leaseMs: LEASE,
        concurrency: 2,
        prefetch: 4,
        runner: (base) =>
          faultyRunner(base, {
            before: async (q) => {
              if (!isHeartbeat(q) || !hold) return;
              sent.open();
              await hold.wait;
            },
            after: (q) => {
              if (isHeartbeat(q) && hold) returned.open();
            },
          }),
      });
      await h.pulse.start();
      // Short jobs first: the worker then claims ahead of its free slots.
      for (let i = 0; i < 3; i++) {
        const done = h.pulse.events.waitFor('job_update', (e) => e.status === 'completed');
        await h.pulse.enqueue('noop', {});
        await done;
      }
      const startedA = h.fx.whenStarted('a');
      await h.pulse.enqueue('gate', { gate: 'a' });
      await startedA;
      // The heartbeat goes out (for job a) and is held on its way.
      hold = gate();
      h.clock.advance(LEASE / 3);
      await sent.wait;
      // Meanwhile the claim loop takes b (the free slot) and c1, c2 (claimed ahead, buffered).
      const at = h.clock.now() + 500;
      const startedB = h.fx.whenStarted('b');
      await h.pulse.enqueue('gate', { gate: 'b' }, { runAt: at });
      const c1 = await h.pulse.enqueue('count', { key: 'c1' }, { runAt: at });
      const c2 = await h.pulse.enqueue('count', { key: 'c2' }, { runAt: at });
      const finished = Promise.all(
        [c1, c2].map((c) => h.pulse.events.waitFor('job_update', (e) => e.job_id === c.id && e.status === 'completed')),
      );
      h.clock.advance(500);
      await startedB;
      // The heartbeat's answer (a only) arrives after c1 and c2 were buffered.
      hold.open();
      await returned.wait;
      await new Promise((r) => setImmediate(r));
      h.fx.open('a');
      h.fx.open('b');
      await finished;
      for (const c of [c1, c2]) assert.equal((await h.pulse.getJob(c.id)).retry_count, 0);
      assert.equal(h.fx.runs.get('c1'), 1);
      assert.equal(h.fx.runs.get('c2'), 1);
    });
  });
}
