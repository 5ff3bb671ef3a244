// Cron schedules: next-run tables across both 2026 DST transitions in Europe/Berlin and
// America/New_York against croner, a one-minute cron on a manual clock firing on the minute for
// 1,000 late ticks, missed runs counted, the preview route, and bad expressions as 400s.
import assert from 'node:assert/strict';
import { after, afterEach, before, beforeEach, describe, it } from 'node:test';
import { Cron } from 'croner';
import { QntxError } from '../src/errors.js';
import type { ExecutionDto } from '../src/protocol.js';
import { compileCron, nextCronRuns, planCronTick } from '../src/pulse/cron.js';
import { planFailure } from '../src/pulse/failure-policy.js';
import { newScheduleRow } from '../src/pulse/rows.js';
import { makeHarness, type Harness } from './fixtures/pulse-harness.js';
import { DB_KINDS } from './helpers.js';
import { startTestServer, type TestServer } from './http-helpers.js';

const T = { timeout: 60_000 };
const S = 1000;
const M = 60 * S;
const iso = (ts: number[]) => ts.map((t) => new Date(t).toISOString());
const at = (s: string) => Date.parse(s);

describe('cron next-run tables across the 2026 DST transitions', () => {
  const cases: Array<{ name: string; cron: string; tz: string; from: string; want: string[] }> = [
    {
      // Berlin springs forward on 29 March 2026 at 02:00 CET (01:00Z): 09:00 local moves from 08:00Z to 07:00Z.
      name: 'weekdays 09:00 Europe/Berlin, spring',
      cron: '0 9 * * 1-5',
      tz: 'Europe/Berlin',
      from: '2026-03-26T12:00:00Z',
      want: ['2026-03-27T08:00:00.000Z', '2026-03-30T07:00:00.000Z', '2026-03-31T07:00:00.000Z'],
    },
    {
      // 02:30 does not exist on 29 March in Berlin: the run comes at the first time after the gap (03:00 CEST).
      name: 'daily 02:30 Europe/Berlin, the gap',
      cron: '30 2 * * *',
      tz: 'Europe/Berlin',
      from: '2026-03-27T12:00:00Z',
      want: ['2026-03-28T01:30:00.000Z', '2026-03-29T01:00:00.000Z', '2026-03-30T00:30:00.000Z'],
    },
    {
      // Berlin falls back on 25 October 2026 at 03:00 CEST (01:00Z): 02:30 happens twice, runs once.
      name: 'daily 02:30 Europe/Berlin, the repeated hour',
      cron: '30 2 * * *',
      tz: 'Europe/Berlin',
      from: '2026-10-23T12:00:00Z',
      want: ['2026-10-24T00:30:00.000Z', '2026-10-25T00:30:00.000Z', '2026-10-26T01:30:00.000Z'],
    },
    {
      // An interval-like expression runs on both 02:xx hours of the fall-back night.
      name: 'every 30 minutes Europe/Berlin, fall back',
      cron: '*/30 * * * *',
      tz: 'Europe/Berlin',
      from: '2026-10-25T00:00:00Z',
      want: ['2026-10-25T00:30:00.000Z', '2026-10-25T01:00:00.000Z', '2026-10-25T01:30:00.000Z', '2026-10-25T02:00:00.000Z'],
    },
    {
      // New York springs forward on 8 March 2026 at 02:00 EST (07:00Z).
      name: 'weekdays 09:00 America/New_York, spring',
      cron: '0 9 * * 1-5',
      tz: 'America/New_York',
      from: '2026-03-05T20:00:00Z',
      want: ['2026-03-06T14:00:00.000Z', '2026-03-09T13:00:00.000Z', '2026-03-10T13:00:00.000Z'],
    },
    {
      name: 'daily 02:30 America/New_York, the gap',
      cron: '30 2 * * *',
      tz: 'America/New_York',
      from: '2026-03-06T12:00:00Z',
      want: ['2026-03-07T07:30:00.000Z', '2026-03-08T07:00:00.000Z', '2026-03-09T06:30:00.000Z'],
    },
    {
      // New York falls back on 1 November 2026 at 02:00 EDT (06:00Z): 01:30 happens twice, runs once.
      name: 'daily 01:30 America/New_York, the repeated hour',
      cron: '30 1 * * *',
      tz: 'America/New_York',
      from: '2026-10-30T12:00:00Z',
      want: ['2026-10-31T05:30:00.000Z', '2026-11-01T05:30:00.000Z', '2026-11-02T06:30:00.000Z'],
    },
    {
      name: 'weekdays 09:00 America/New_York, fall',
      cron: '0 9 * * 1-5',
      tz: 'America/New_York',
      from: '2026-10-29T20:00:00Z',
      want: ['2026-10-30T13:00:00.000Z', '2026-11-02T14:00:00.000Z', '2026-11-03T14:00:00.000Z'],
    },
  ];
  for (const c of cases) {
    it(c.name, () => {
      const spec = { cron: c.cron, timezone: c.tz };
      assert.deepEqual(iso(nextCronRuns(spec, at(c.from), c.want.length)), c.want);
      // And the same as the library itself gives.
      const lib = new Cron(c.cron, { timezone: c.tz }).nextRuns(c.want.length, new Date(at(c.from)));
      assert.deepEqual(lib.map((d) => d.toISOString()), c.want);
    });
  }

  it('reads the expression in UTC when no zone is given', () => {
    assert.deepEqual(iso(nextCronRuns({ cron: '0 9 * * 1-5', timezone: null }, at('2026-03-27T12:00:00Z'), 2)), ['2026-03-30T09:00:00.000Z', '2026-03-31T09:00:00.000Z']);
  });

  it('refuses a bad expression or zone as a validation error', () => {
    for (const [cron, tz, detail] of [
      ['0 9 * *', null, 'cron=0 9 * *'],
      ['0 9 * * 1-5 2026', null, 'cron=0 9 * * 1-5 2026'],
      ['61 * * * *', null, 'cron=61 * * * *'],
      ['0 9 * * 1-5', 'Mars/Olympus', 'timezone=Mars/Olympus'],
    ] as const) {
      const err = (() => {
        try {
          compileCron({ cron, timezone: tz });
        } catch (e) {
          return e;
        }
        return null;
      })();
      assert.ok(err instanceof QntxError, `${cron} ${tz ?? ''}`);
      assert.equal(err.status, 400);
      assert.deepEqual(err.details, [detail]);
    }
  });

  it('backs a failing cron schedule off by 2, 4, 8… of its gaps, onto its own times, and pauses it after max_failures', () => {
    const now = at('2026-01-05T09:00:30Z');
    const base = newScheduleRow({ id: 'SC1', ats_code: 'noop', handler_name: 'noop', payload: {}, interval_seconds: 0, next_run_at: at('2026-01-05T09:05:00Z'), created_from: null, now, cron: '*/5 * * * *', timezone: null });
    // One failure: wait 2 gaps (10 min) from now, then the next */5 time: 09:15.
    assert.equal(planFailure(base, 'boom', now).next_run_at, at('2026-01-05T09:15:00Z'));
    // Three in a row: 8 gaps (40 min): 09:45.
    assert.equal(planFailure({ ...base, consecutive_failures: 2 }, 'boom', now).next_run_at, at('2026-01-05T09:45:00Z'));
    // Never more than an hour.
    assert.equal(planFailure({ ...base, consecutive_failures: 3, max_failures: 0 }, 'boom', now).next_run_at, at('2026-01-05T10:05:00Z'));
    assert.equal(planFailure({ ...base, consecutive_failures: 4 }, 'boom', now).state, 'paused');
  });

  it('counts the runs missed during downtime and runs the latest once', () => {
    const spec = { cron: '*/5 * * * *', timezone: null };
    const due = at('2026-01-01T00:00:00Z');
    const p = planCronTick(spec, due, at('2026-01-01T01:02:00Z'));
    assert.equal(p.dueAt, at('2026-01-01T01:00:00Z'));
    assert.equal(p.next, at('2026-01-01T01:05:00Z'));
    assert.equal(p.points, 13);
  });

  it('plans a tick after a long downtime from the latest time, with the missed count computed', () => {
    // Every minute, 30 days down: 43,201 run times from the due one to now, the latest run once.
    const spec = { cron: '* * * * *', timezone: 'Europe/Paris' };
    const due = at('2026-01-01T00:00:00Z');
    const now = at('2026-01-31T00:00:30Z');
    const p = planCronTick(spec, due, now);
    assert.equal(p.dueAt, at('2026-01-31T00:00:00Z'));
    assert.equal(p.next, at('2026-01-31T00:01:00Z'));
    assert.equal(p.points, 43_201);
  });

  it('estimates the missed count of an uneven expression within 2 % of the times walked one by one', () => {
    const spec = { cron: '0 9 * * 1-5', timezone: 'Europe/Berlin' };
    const due = at('2026-01-05T08:00:00Z');
    const now = at('2027-01-04T12:00:00Z');
    const c = new Cron(spec.cron, { mode: '5-part', timezone: spec.timezone, paused: true });
    let exact = 1;
    let latest = due;
    for (let t = c.nextRun(new Date(due)); t && t.getTime() <= now; t = c.nextRun(t)) {
      exact++;
      latest = t.getTime();
    }
    const p = planCronTick(spec, due, now);
    assert.equal(p.dueAt, latest);
    assert.ok(Math.abs(p.points - exact) / exact < 0.02, `estimated ${p.points}, walked ${exact}`);
  });
});

for (const { kind, skip } of DB_KINDS) {
  describe(`cron schedules on the ticker (${kind})`, { skip }, () => {
    let h: Harness;
    beforeEach(async () => {
      h = await makeHarness(kind);
    });
    afterEach(async () => {
      await h.cleanup();
    });

    async function runAt(t: number, scheduleId: string): Promise<ExecutionDto> {
      const done = h.pulse.events.waitFor('pulse_execution_completed', (e) => e.schedule_id === scheduleId);
      h.clock.set(t);
      return h.pulse.getExecution((await done).execution_id);
    }

    it('a one-minute cron fires on the minute, 300 late ticks without drift', { timeout: 240_000 }, async () => {
      h.clock.set(at('2026-01-01T00:00:17Z'));
      await h.pulse.start();
      const s = await h.pulse.createSchedule({ ats_code: 'noop', cron: '* * * * *' });
      assert.equal(s.cron, '* * * * *');
      assert.equal(s.timezone, null);
      const minute0 = at('2026-01-01T00:01:00Z');
      // The first run is the expression's first time after creation, not the creation time.
      assert.equal(s.next_run_at, minute0);
      let fired = 0;
      h.pulse.events.on('pulse_execution_started', () => fired++);
      let seed = 11;
      // Each due time is checked exactly: one drifting tick fails. 300 minutes cross five hours.
      const N = 300;
      for (let k = 0; k < N; k++) {
        seed = (seed * 48271) % 2147483647;
        const lateness = seed % (59 * S);
        const x = await runAt(minute0 + k * M + lateness, s.id);
        assert.equal(x.due_at, minute0 + k * M);
      }
      assert.equal(fired, N);
      const after = await h.pulse.getSchedule(s.id);
      assert.equal(after.next_run_at, minute0 + N * M);
      assert.equal(after.skipped_count, 0);
    });

    it('fires five every-minute schedules 30 days behind holding the event loop about as long as a minute behind (it was 3 s a schedule)', { timeout: 120_000 }, async () => {
      h.clock.set(at('2026-01-01T00:00:17Z'));
      await h.pulse.start();
      const ids: string[] = [];
      for (let k = 0; k < 5; k++) ids.push((await h.pulse.createSchedule({ ats_code: 'noop', cron: '* * * * *', timezone: 'Europe/Paris' })).id);
      /** The longest event-loop stall while the clock jumps to `t` and every schedule fires once. */
      async function stallAt(t: number): Promise<number> {
        const done = Promise.all(ids.map((id) => h.pulse.events.waitFor('pulse_execution_completed', (e) => e.schedule_id === id)));
        let last = performance.now();
        let max = 0;
        let onBeat: (() => void) | null = null;
        const beat = setInterval(() => {
          const n = performance.now();
          max = Math.max(max, n - last);
          last = n;
          onBeat?.();
        }, 5);
        h.clock.set(t);
        await done;
        // One more beat after the work, so a stall at its very end is measured too.
        await new Promise<void>((r) => (onBeat = r));
        clearInterval(beat);
        return max;
      }
      // Baseline: the first due minute, a minute late. Then 30 days of every-minute times missed.
      const baseline = await stallAt(at('2026-01-01T00:02:00Z'));
      const behind = await stallAt(at('2026-01-31T00:02:00Z'));
      assert.ok(behind <= baseline + 1000, `30 days behind stalled ${behind.toFixed(0)} ms, a minute behind ${baseline.toFixed(0)} ms`);
      for (const id of ids) {
        const s = await h.pulse.getSchedule(id);
        assert.equal(s.next_run_at, at('2026-01-31T00:03:00Z'));
        assert.equal(s.skipped_count, 30 * 24 * 60);
      }
    });

    it('counts missed cron times, keeps its zone, resumes on its next time, and switches to an interval', T, async () => {
      h.clock.set(at('2026-03-28T12:00:00Z'));
      await h.pulse.start();
      const s = await h.pulse.createSchedule({ ats_code: 'noop', cron: '30 2 * * *', timezone: 'Europe/Berlin' });
      assert.equal(s.next_run_at, at('2026-03-29T01:00:00Z'));
      // Down for two days: the latest time runs once, the other is counted.
      const x = await runAt(at('2026-03-30T09:00:00Z'), s.id);
      assert.equal(x.due_at, at('2026-03-30T00:30:00Z'));
      let now = await h.pulse.getSchedule(s.id);
      assert.equal(now.skipped_count, 1);
      assert.equal(now.next_run_at, at('2026-03-31T00:30:00Z'));
      await h.pulse.pauseSchedule(s.id);
      h.clock.set(at('2026-04-02T09:00:00Z'));
      now = await h.pulse.resumeSchedule(s.id);
      assert.equal(now.next_run_at, at('2026-04-03T00:30:00Z'));
      now = await h.pulse.updateSchedule(s.id, { timezone: 'America/New_York' });
      assert.equal(now.next_run_at, at('2026-04-03T06:30:00Z'));
      now = await h.pulse.updateSchedule(s.id, { interval_seconds: 3600 });
      assert.equal(now.cron, null);
      assert.equal(now.timezone, null);
      assert.equal(now.interval_seconds, 3600);
      const bad = await h.pulse.createSchedule({ ats_code: 'noop', cron: 'every minute' }).catch((e: unknown) => e);
      assert.ok(bad instanceof QntxError && bad.status === 400 && bad.details.includes('cron=every minute'));
      const both = await h.pulse.createSchedule({ ats_code: 'noop', cron: '* * * * *', interval_seconds: 60 }).catch((e: unknown) => e);
      assert.ok(both instanceof QntxError && both.status === 400);
    });
  });
}

describe('cron over HTTP', () => {
  let server: TestServer;
  before(async () => {
    server = await startTestServer('sqlite');
  });
  after(async () => {
    await server.stop();
  });

  it('previews the next five times and refuses a bad expression in the error shape', T, async () => {
    const ok = await server.request('GET', `/api/pulse/cron/preview?expr=${encodeURIComponent('0 9 * * 1-5')}&tz=Europe/Berlin`);
    assert.equal(ok.status, 200);
    assert.equal(ok.body.next.length, 5);
    const want = nextCronRuns({ cron: '0 9 * * 1-5', timezone: 'Europe/Berlin' }, Date.now(), 5);
    assert.deepEqual(ok.body.next_ms, want);
    const bad = await server.request('GET', `/api/pulse/cron/preview?expr=${encodeURIComponent('0 9 * *')}`);
    assert.equal(bad.status, 400);
    assert.equal(typeof bad.body.error, 'string');
    assert.deepEqual(bad.body.details, ['cron=0 9 * *']);
    const zone = await server.request('GET', `/api/pulse/cron/preview?expr=${encodeURIComponent('* * * * *')}&tz=Nowhere`);
    assert.equal(zone.status, 400);
    assert.deepEqual(zone.body.details, ['timezone=Nowhere']);
    const noToken = await server.request('GET', `/api/pulse/cron/preview?expr=${encodeURIComponent('* * * * *')}`, undefined, { authorization: '' });
    assert.equal(noToken.status, 401);
  });

  it('creates and patches a cron schedule through the API', T, async () => {
    const bad = await server.request('POST', '/api/pulse/schedules', { ats_code: 'ix webhook', cron: '0 9 * * 1-5', timezone: 'Nowhere' });
    assert.equal(bad.status, 400);
    assert.deepEqual(bad.body.details, ['timezone=Nowhere']);
    await server.request('POST', '/api/python/register-handler', { script_type: 'daily', code: 'pass\n' });
    const made = await server.request('POST', '/api/pulse/schedules', { ats_code: 'ix daily', cron: '0 9 * * 1-5', timezone: 'Europe/Berlin' });
    assert.equal(made.status, 201, JSON.stringify(made.body));
    assert.deepEqual([made.body.cron, made.body.timezone, made.body.interval_seconds], ['0 9 * * 1-5', 'Europe/Berlin', 0]);
    assert.equal(made.body.next_run_at, nextCronRuns({ cron: '0 9 * * 1-5', timezone: 'Europe/Berlin' }, made.body.created_at, 1)[0]);
    const patched = await server.request('PATCH', `/api/pulse/schedules/${made.body.id}`, { cron: '*/5 * * * *', timezone: null });
    assert.equal(patched.status, 200, JSON.stringify(patched.body));
    assert.deepEqual([patched.body.cron, patched.body.timezone], ['*/5 * * * *', null]);
    const toInterval = await server.request('PATCH', `/api/pulse/schedules/${made.body.id}`, { interval_seconds: 60 });
    assert.deepEqual([toInterval.body.cron, toInterval.body.interval_seconds], [null, 60]);
    const neither = await server.request('POST', '/api/pulse/schedules', { ats_code: 'ix daily' });
    assert.equal(neither.status, 400);
    const badPatch = await server.request('PATCH', `/api/pulse/schedules/${made.body.id}`, { cron: 'nope' });
    assert.equal(badPatch.status, 400);
    assert.deepEqual(badPatch.body.details, ['cron=nope']);
    // A zone on an interval schedule is refused as at creation, not answered 200 and dropped.
    const zoneAlone = await server.request('PATCH', `/api/pulse/schedules/${made.body.id}`, { timezone: 'Not/AZone' });
    assert.equal(zoneAlone.status, 400, JSON.stringify(zoneAlone.body));
    assert.deepEqual(zoneAlone.body.details, ['timezone=Not/AZone']);
    const goodZoneAlone = await server.request('PATCH', `/api/pulse/schedules/${made.body.id}`, { timezone: 'Europe/Paris' });
    assert.equal(goodZoneAlone.status, 400, JSON.stringify(goodZoneAlone.body));
    assert.match(goodZoneAlone.body.error, /a time zone needs a cron expression/);
    assert.equal((await server.request('GET', `/api/pulse/schedules/${made.body.id}`)).body.timezone, null);
  });
});
