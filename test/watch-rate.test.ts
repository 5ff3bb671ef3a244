// A watcher's rate: with max_runs_per_minute 1, matches that come while it waits are not dropped
// but go together in the next run, a minute later on the (manual) clock.
import assert from 'node:assert/strict';
import { EventEmitter, once } from 'node:events';
import { after, before, describe, it } from 'node:test';
import { z } from 'zod';
import { insertionHorizon } from '../src/ats/insertion-order.js';
import { ManualClock } from '../src/clock.js';
import type { HandlerDef } from '../src/pulse/catalog.js';
import { DB_KINDS, openTestQntx, type TestQntx } from './helpers.js';

interface Batch {
  after: number;
  through: number;
}

for (const { kind, skip } of DB_KINDS) {
  describe(`watcher rate (${kind})`, { skip }, () => {
    const clock = new ManualClock(Date.UTC(2026, 5, 1));
    const ran = new EventEmitter();
    const batches: Batch[] = [];
    // Records the batch bounds it is handed (the job payload of a watcher's run).
    const collect: HandlerDef<{ watch?: Batch }> = {
      name: 'test.collect',
      payload: z.object({ watch: z.object({ after: z.number(), through: z.number() }).passthrough().optional() }).passthrough(),
      timeoutMs: 10_000,
      maxRetries: 0,
      async run(ctx) {
        batches.push({ after: ctx.payload.watch!.after, through: ctx.payload.watch!.through });
        ran.emit('ran');
        return {};
      },
    };
    let q: TestQntx;
    before(async () => {
      q = await openTestQntx(
        kind,
        {},
        { clock, handlers: [collect], resolver: async (code) => ({ handler_name: 'test.collect', payload: { ax: { query: code } } }) },
      );
      await q.start();
    });
    after(async () => q?.cleanup());

    const signup = async (who: string) => {
      await q.ats.attest({ subjects: [who], predicates: ['signup'], contexts: ['rate'] }, { source: 'api', actor: 'test' });
      q.events.emit({ type: 'attestations_created', count: 1, source: 'api' });
    };
    const settled = (id: string) =>
      new Promise<void>((resolve) => {
        const off = q.events.onAny((e) => {
          if (e.type === 'schedule_update' && e.schedule_id === id && e.schedule?.last_status === 'completed') {
            off();
            resolve();
          }
        });
      });

    it('coalesces matches that come while it waits into the next run', async () => {
      const w = await q.pulse.createSchedule({ ats_code: 'ax is signup of rate so x', watch: true, max_runs_per_minute: 1 });
      let done = settled(w.id);
      let next = once(ran, 'ran');
      await signup('first');
      await next;
      await done;
      assert.equal(batches.length, 1);
      for (const who of ['a', 'b', 'c']) await signup(who);
      const horizon = await insertionHorizon(q.database);
      // Within the minute nothing is handed, however often the loop looks.
      assert.equal(await q.pulse.watchLoop!.sweep(), 0);
      assert.equal(batches.length, 1);
      assert.equal((await q.pulse.getSchedule(w.id)).watcher!.pending, 3);
      done = settled(w.id);
      next = once(ran, 'ran');
      clock.advance(60_000);
      q.pulse.watchLoop!.wake();
      await next;
      await done;
      assert.equal(batches.length, 2);
      assert.deepEqual(batches[1], { after: batches[0]!.through, through: horizon }, 'the three went together');
      assert.equal((await q.pulse.getSchedule(w.id)).watcher!.pending, 0);
    });
  });
}
