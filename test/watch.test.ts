// Watchers: a standing `ax … so <type>` query whose handler runs on every new matching
// attestation, exactly once. Real server, real Pulse, real python3, on both databases.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { DB_KINDS } from './helpers.js';
import { startTestServer, type TestServer } from './http-helpers.js';
import { WsClient } from './ws-helpers.js';

// Attests one `welcomed` per input (a fresh claim each time: handing an input twice would show
// as two) and prints the ids it was handed.
const WELCOME = `
for a in ix.input:
    attest(a["subjects"][0], "welcomed", "watch-test", attributes={"of": a["id"]})
    print("got", a["id"])
`;

const FAILING = `
raise RuntimeError("not today")
`;

// A handler in a chain: attests \`<next>\` of watch-chain for each input (made by its run).
const step = (next: string) => `
for a in ix.input:
    attest(a["subjects"][0], "${next}", "watch-chain", attributes={"of": a["id"]})
`;

for (const { kind, skip } of DB_KINDS) {
  describe(`watchers (${kind})`, { skip }, () => {
    let s: TestServer;
    let ws: WsClient;
    before(async () => {
      s = await startTestServer(kind);
      ws = await WsClient.connect(s.url);
      const r = await s.request('POST', '/api/python/register-handler', { script_type: 'welcome', code: WELCOME });
      assert.equal(r.status, 201, JSON.stringify(r.body));
    });
    after(async () => {
      ws?.close();
      await s?.stop();
    });

    /** Waits (on Pulse's events, never a timer) until `check` holds. */
    async function until(check: () => Promise<boolean>): Promise<void> {
      while (!(await check())) {
        await ws.next((m) => m.type === 'pulse_execution_completed' || m.type === 'pulse_execution_failed' || m.type === 'schedule_update');
      }
    }

    async function welcomed(context = 'watch-test'): Promise<any[]> {
      const r = await s.request('GET', `/api/attestations?predicates=welcomed&contexts=${context}&limit=1000`);
      assert.equal(r.status, 200, JSON.stringify(r.body));
      return r.body.attestations ?? r.body.items;
    }

    async function signup(who: string, context = 'web', attributes: Record<string, unknown> = {}): Promise<any> {
      const r = await s.request('POST', '/api/as', { subjects: [who], predicates: ['signup'], contexts: [context], attributes });
      assert.ok(r.status === 201 || r.status === 200, JSON.stringify(r.body));
      return r.body.attestation ?? r.body;
    }

    async function executions(id: string): Promise<any[]> {
      const r = await s.request('GET', `/api/pulse/schedules/${id}/executions?limit=100`);
      assert.equal(r.status, 200, JSON.stringify(r.body));
      return r.body.executions;
    }

    async function watch(body: Record<string, unknown>): Promise<any> {
      const r = await s.request('POST', '/api/pulse/schedules', { watch: true, ...body });
      assert.equal(r.status, 201, JSON.stringify(r.body));
      return r.body;
    }

    it('hands each new match to the handler once, in batches of at most batch_size; known claims trigger nothing', async () => {
      const old = await signup('before-watch');
      const w = await watch({ ats_code: 'ax is signup of web so welcome', batch_size: 3 });
      assert.equal(w.watch, true);
      assert.equal(w.watcher.batch_size, 3);
      assert.equal(w.watcher.max_runs_per_minute, 60);
      assert.equal(w.interval_seconds, 0);
      const made: any[] = [];
      for (let i = 0; i < 7; i++) made.push(await signup(`user${i}`));
      await signup('shopper', 'shop');
      await until(async () => (await welcomed()).length >= 7);
      await until(async () => (await s.request('GET', `/api/pulse/schedules/${w.id}`)).body.last_status !== 'running');
      const got = await welcomed();
      assert.deepEqual(got.map((a) => a.attributes.of).sort(), made.map((a) => a.id).sort());
      assert.ok(!got.some((a) => a.attributes.of === old.id), 'stored before the watcher: not handed');
      const runs = await executions(w.id);
      assert.ok(runs.length >= 3, `7 matches in batches of 3 take at least 3 runs, got ${runs.length}`);
      for (const x of runs) {
        assert.equal(x.trigger, 'watch');
        assert.equal(x.schedule_id, w.id);
        assert.equal(x.status, 'completed');
        assert.ok((x.stdout.match(/got /g) ?? []).length <= 3, x.stdout);
        assert.deepEqual(x.watch_batch.chain, [w.id]);
      }
      const one = (await s.request('GET', `/api/pulse/schedules/${w.id}`)).body;
      assert.equal(one.watcher.pending, 0);
      const trig = await s.request('POST', `/api/pulse/schedules/${w.id}/trigger`);
      assert.equal(trig.status, 400, JSON.stringify(trig.body));
      assert.ok(trig.body.details.includes('watch=true'));
      const timed = await s.request('PATCH', `/api/pulse/schedules/${w.id}`, { interval_seconds: 60 });
      assert.equal(timed.status, 400, JSON.stringify(timed.body));
      const listed = (await s.request('GET', '/api/pulse/schedules')).body.schedules.find((x: any) => x.id === w.id);
      assert.equal(listed.watch, true);
      assert.ok(one.watcher.cursor > 0);

      // The same claim stored again is not new; a new signup after it is the only one handed.
      const again = await s.request('POST', '/api/as', {
        subjects: made[0].subjects,
        predicates: made[0].predicates,
        contexts: made[0].contexts,
        actors: made[0].actors,
        timestamp: made[0].timestamp,
        attributes: made[0].attributes,
      });
      assert.ok(again.status < 300, JSON.stringify(again.body));
      const last = await signup('user7');
      await until(async () => (await welcomed()).length >= 8);
      await until(async () => (await s.request('GET', `/api/pulse/schedules/${w.id}`)).body.last_status !== 'running');
      const all = (await welcomed()).map((a) => a.attributes.of);
      assert.equal(all.length, 8);
      assert.equal(all.filter((id) => id === made[0].id).length, 1);
      assert.ok(all.includes(last.id));
      assert.equal((await s.request('DELETE', `/api/pulse/schedules/${w.id}`)).status < 300, true);
    });
    it('retries a failed run with the same batch, and delivers it once when it succeeds', async () => {
      const reg = (code: string) => s.request('POST', '/api/python/register-handler', { script_type: 'greet', code });
      assert.equal((await reg(FAILING)).status, 201);
      const w = await watch({ ats_code: 'ax is signup of retry so greet', max_failures: 0 });
      const a = await signup('r1', 'retry');
      const b = await signup('r2', 'retry');
      const failed = await ws.next((m) => m.type === 'pulse_execution_failed' && m.schedule_id === w.id);
      const first = (await s.request('GET', `/api/pulse/executions/${failed.execution_id}`)).body;
      assert.match(first.error, /not today/);
      // The next run is held back (backoff): a signup meanwhile must not join the failed batch.
      const c = await signup('r3', 'retry');
      assert.equal((await reg(WELCOME.replace('watch-test', 'retry-test'))).status, 201);
      await until(async () => (await welcomed('retry-test')).length >= 3);
      await until(async () => (await s.request('GET', `/api/pulse/schedules/${w.id}`)).body.last_status !== 'running');
      const runs = await executions(w.id);
      const ok = runs.filter((x) => x.status === 'completed');
      const retried = ok.find((x) => x.watch_batch.after === first.watch_batch.after);
      assert.ok(retried, JSON.stringify(runs.map((x) => x.watch_batch)));
      assert.equal(retried.watch_batch.through, first.watch_batch.through, 'the retry re-reads the same bounds');
      const ofs = (await welcomed('retry-test')).map((x) => x.attributes.of).sort();
      assert.deepEqual(ofs, [a.id, b.id, c.id].sort(), 'each once');
      const sc = (await s.request('GET', `/api/pulse/schedules/${w.id}`)).body;
      assert.equal(sc.consecutive_failures, 0);
    });

    it('keeps only matches meeting the attribute conditions', async () => {
      const reg = await s.request('POST', '/api/python/register-handler', { script_type: 'cond', code: WELCOME.replace('watch-test', 'cond-test') });
      assert.equal(reg.status, 201);
      const w = await watch({
        ats_code: 'ax is signup of cond so cond',
        attributes: [
          { path: 'payload.action', op: 'equals', value: 'opened' },
          { path: 'payload.title', op: 'contains', value: 'bug' },
        ],
      });
      assert.equal(w.watcher.attributes.length, 2);
      await signup('c-no-action', 'cond', { payload: { title: 'a bug' } });
      await signup('c-other-action', 'cond', { payload: { action: 'closed', title: 'a bug' } });
      await signup('c-no-bug', 'cond', { payload: { action: 'opened', title: 'a feature' } });
      const yes = await signup('c-yes', 'cond', { payload: { action: 'opened', title: 'big bug here' } });
      const tags = await signup('c-list', 'cond', { payload: { action: 'opened', title: ['bug', 'ui'] } });
      await until(async () => (await welcomed('cond-test')).length >= 2);
      await until(async () => (await s.request('GET', `/api/pulse/schedules/${w.id}`)).body.watcher.pending === 0);
      // Every signup above is behind the cursor now: what was handed is final.
      assert.deepEqual((await welcomed('cond-test')).map((x) => x.attributes.of).sort(), [yes.id, tags.id].sort());
      const bad = await s.request('POST', '/api/pulse/schedules', { watch: true, ats_code: 'ax is signup so cond', attributes: [{ path: 'x', op: 'like', value: 1 }] });
      assert.equal(bad.status, 400, JSON.stringify(bad.body));
      assert.ok(bad.body.details.some((d: string) => d.startsWith('attributes')), JSON.stringify(bad.body));
    });

    it('a paused watcher accumulates and delivers everything on resume', async () => {
      const reg = await s.request('POST', '/api/python/register-handler', { script_type: 'later', code: WELCOME.replace('watch-test', 'later-test') });
      assert.equal(reg.status, 201);
      const w = await watch({ ats_code: 'ax is signup of later so later', batch_size: 2 });
      const paused = await s.request('PATCH', `/api/pulse/schedules/${w.id}`, { state: 'paused' });
      assert.equal(paused.status, 200);
      const made = [];
      for (let i = 0; i < 5; i++) made.push(await signup(`l${i}`, 'later'));
      const one = (await s.request('GET', `/api/pulse/schedules/${w.id}`)).body;
      assert.equal(one.watcher.pending, 5);
      assert.equal((await executions(w.id)).length, 0, 'nothing runs while paused');
      assert.equal((await s.request('PATCH', `/api/pulse/schedules/${w.id}`, { state: 'active' })).status, 200);
      await until(async () => (await welcomed('later-test')).length >= 5);
      await until(async () => (await s.request('GET', `/api/pulse/schedules/${w.id}`)).body.watcher.pending === 0);
      assert.deepEqual((await welcomed('later-test')).map((x) => x.attributes.of).sort(), made.map((x) => x.id).sort());
    });

    it('pauses a watcher whose backlog passes max_pending, naming it', async () => {
      const reg = await s.request('POST', '/api/python/register-handler', { script_type: 'slow', code: WELCOME.replace('watch-test', 'slow-test') });
      assert.equal(reg.status, 201);
      const w = await watch({ ats_code: 'ax is signup of backlog so slow', max_pending: 3 });
      await s.request('PATCH', `/api/pulse/schedules/${w.id}`, { state: 'paused' });
      for (let i = 0; i < 5; i++) await signup(`b${i}`, 'backlog');
      assert.equal((await s.request('PATCH', `/api/pulse/schedules/${w.id}`, { state: 'active' })).status, 200);
      await until(async () => (await s.request('GET', `/api/pulse/schedules/${w.id}`)).body.state === 'paused');
      const sc = (await s.request('GET', `/api/pulse/schedules/${w.id}`)).body;
      assert.match(sc.paused_reason, /backlog: more than 3 matches pending/);
      assert.equal((await welcomed('slow-test')).length, 0);
    });

    it('chains watchers; a watcher never triggers itself; a cycle stops at depth 8 with the chain named', async () => {
      for (const [type, next] of [['one', 'stepped'], ['two', 'done'], ['self', 'signup'], ['ping', 'pong'], ['pong', 'ping']]) {
        const r = await s.request('POST', '/api/python/register-handler', { script_type: type, code: step(next!) });
        assert.equal(r.status, 201, JSON.stringify(r.body));
      }
      // A chain: signup → one → stepped → two → done.
      const w1 = await watch({ ats_code: 'ax is signup of chain so one' });
      const w2 = await watch({ ats_code: 'ax is stepped of watch-chain so two' });
      const start = await signup('chained', 'chain');
      const doneOf = async () => (await s.request('GET', '/api/attestations?predicates=done&contexts=watch-chain')).body.attestations;
      await until(async () => (await doneOf()).length >= 1);
      const stepped = (await s.request('GET', '/api/attestations?predicates=stepped&contexts=watch-chain')).body.attestations;
      assert.equal(stepped.length, 1);
      assert.equal(stepped[0].attributes.of, start.id);
      const runs2 = await executions(w2.id);
      assert.deepEqual(runs2[0].watch_batch.chain, [w1.id, w2.id]);

      // Self: its handler attests signup of watch-chain, which its own query matches.
      const ws1 = await watch({ ats_code: 'ax is signup of watch-chain so self' });
      const seed = await s.request('POST', '/api/as', { subjects: ['seed'], predicates: ['signup'], contexts: ['watch-chain'] });
      assert.ok(seed.status < 300);
      await until(async () => (await executions(ws1.id)).some((x) => x.status === 'completed'));
      // Its own attestation is behind the cursor once nothing is pending, and it was never handed.
      await until(async () => (await s.request('GET', `/api/pulse/schedules/${ws1.id}`)).body.watcher.pending === 0);
      const selfRuns = await executions(ws1.id);
      assert.equal(selfRuns.length, 1, JSON.stringify(selfRuns.map((x) => x.watch_batch)));
      const signups = (await s.request('GET', '/api/attestations?predicates=signup&contexts=watch-chain')).body.attestations;
      assert.equal(signups.length, 2, 'the seed and the one the run made');

      // A cycle (ping's handler attests pong, pong's ping) stops at depth 8 with the chain in the error.
      const p1 = await watch({ ats_code: 'ax is ping of watch-chain so ping', max_failures: 1 });
      const p2 = await watch({ ats_code: 'ax is pong of watch-chain so pong', max_failures: 1 });
      await s.request('POST', '/api/as', { subjects: ['ball'], predicates: ['ping'], contexts: ['watch-chain'] });
      const failed = await ws.next((m) => m.type === 'pulse_execution_failed' && (m.schedule_id === p1.id || m.schedule_id === p2.id), 60_000);
      assert.match(failed.error, /^watch chain depth 8: SC\w+ → SC\w+ → SC\w+ → SC\w+ → SC\w+ → SC\w+ → SC\w+ → SC\w+$/);
      assert.ok(failed.error.includes(p1.id) && failed.error.includes(p2.id));
      const pings = (await s.request('GET', '/api/attestations?predicates=ping&contexts=watch-chain&limit=100')).body.attestations;
      const pongs = (await s.request('GET', '/api/attestations?predicates=pong&contexts=watch-chain&limit=100')).body.attestations;
      assert.equal(pings.length + pongs.length, 8, 'the first ping and seven runs');
    });
    it('an owner keeps a watcher or a timed schedule, and one does not turn into the other', async () => {
      const timed = await s.request('POST', '/api/pulse/schedules', { ats_code: 'ax is signup of nowhere so welcome', interval_seconds: 3600, owner: 'glyph:w' });
      assert.equal(timed.status, 201, JSON.stringify(timed.body));
      const r = await s.request('POST', '/api/pulse/schedules', { ats_code: 'ax is signup of nowhere so welcome', watch: true, owner: 'glyph:w' });
      assert.equal(r.status, 409, JSON.stringify(r.body));
      assert.ok(r.body.details.includes('watch=false'), JSON.stringify(r.body));
      const w = await s.request('POST', '/api/pulse/schedules', { ats_code: 'ax is signup of nowhere so welcome', watch: true, owner: 'glyph:w2' });
      assert.equal(w.status, 201);
      const again = await s.request('POST', '/api/pulse/schedules', { ats_code: 'ax is signup of nowhere so welcome', watch: true, owner: 'glyph:w2', max_failures: 2 });
      assert.equal(again.status, 200, JSON.stringify(again.body));
      assert.equal(again.body.id, w.body.id);
      assert.equal(again.body.watch, true);
      const notWatch = await s.request('POST', '/api/pulse/schedules', { ats_code: 'ax is signup so welcome', interval_seconds: 60, batch_size: 5 });
      assert.equal(notWatch.status, 400);
      assert.ok(notWatch.body.details.some((d: string) => d.startsWith('batch_size=')), JSON.stringify(notWatch.body));
    });
    it("with its own since, hands what the clause names, stored before the watcher too", async () => {
      const reg = await s.request('POST', '/api/python/register-handler', { script_type: 'sinceh', code: WELCOME.replace('watch-test', 'since-test') });
      assert.equal(reg.status, 201);
      const post = async (who: string, timestamp: string) => {
        const r = await s.request('POST', '/api/as', { subjects: [who], predicates: ['signup'], contexts: ['sincectx'], timestamp });
        assert.ok(r.status < 300, JSON.stringify(r.body));
        return r.body.attestation ?? r.body;
      };
      const old = await post('old', '2019-06-01T00:00:00Z');
      const inside = await post('inside', '2021-06-01T00:00:00Z');
      const w = await watch({ ats_code: 'ax is signup of sincectx since 2020-01-01 so sinceh' });
      assert.equal(w.watcher.cursor, 0);
      const later = await post('later', '2022-06-01T00:00:00Z');
      await post('late-but-old', '2018-01-01T00:00:00Z');
      await until(async () => (await welcomed('since-test')).length >= 2);
      await until(async () => (await s.request('GET', `/api/pulse/schedules/${w.id}`)).body.watcher.pending === 0);
      const got = (await welcomed('since-test')).map((x) => x.attributes.of).sort();
      assert.deepEqual(got, [inside.id, later.id].sort());
      assert.ok(!got.includes(old.id));
    });
  });
}
