// `ax … so <type>`: the query's results reach the handler of `ix <type>` as ix.input, through a
// Pulse schedule whose ats_code is the query; real HTTP server, real Pulse, real python3.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { DB_KINDS } from './helpers.js';
import { startTestServer, type TestServer } from './http-helpers.js';
import { WsClient } from './ws-helpers.js';

const WELCOME = `
seen = 0
for a in ix.input:
    seen += 1
    attest(a["subjects"][0], "welcomed", "so-test", attributes={"query": ix.input.query, "n": len(ix.input), "of": a["id"], "attrs": a["attributes"]})
print("welcomed", seen)
`;

const COUNT = `
total = sum(1 for _ in ix.input)
again = sum(a["attributes"]["i"] for a in ix.input)
attest("batch", "counted", "so-test", attributes={"len": len(ix.input), "iterated": total, "sum": again, "query": ix.input.query})
`;

for (const { kind, skip } of DB_KINDS) {
  describe(`ax so <type> (${kind})`, { skip }, () => {
    let s: TestServer;
    let ws: WsClient;
    before(async () => {
      s = await startTestServer(kind);
      ws = await WsClient.connect(s.url);
      for (const [type, code] of [['welcome', WELCOME], ['count', COUNT]]) {
        const r = await s.request('POST', '/api/python/register-handler', { script_type: type, code });
        assert.equal(r.status, 201, JSON.stringify(r.body));
      }
    });
    after(async () => {
      ws?.close();
      await s?.stop();
    });

    async function finished(scheduleId: string): Promise<any> {
      const ev = await ws.next((m) => (m.type === 'pulse_execution_completed' || m.type === 'pulse_execution_failed') && m.schedule_id === scheduleId);
      assert.equal(ev.type, 'pulse_execution_completed', JSON.stringify(ev));
      return (await s.request('GET', `/api/pulse/executions/${ev.execution_id}`)).body;
    }

    it('runs the handler once with the matching attestations; the execution links back to the query', async () => {
      for (const who of ['ann', 'ben', 'cat']) {
        await s.request('POST', '/api/as', { subjects: [who], predicates: ['signup'], contexts: ['web'], attributes: { plan: `${who}-plan` } });
      }
      await s.request('POST', '/api/as', { subjects: ['dan'], predicates: ['signup'], contexts: ['shop'] });
      const res = await s.request('POST', '/api/ax', { query: 'ax is signup of web so welcome' });
      assert.equal(res.status, 200, JSON.stringify(res.body));
      assert.equal(res.body.attestations.length, 3);
      const [action] = res.body.actions;
      assert.equal(action.type, 'welcome');
      assert.equal(action.schedule.ats_code, 'ax is signup of web so welcome');
      assert.equal(action.schedule.handler_name, 'python.script');
      assert.equal(action.schedule.interval_seconds, 0);
      assert.equal(action.schedule.payload.ax.query, 'ax is signup of web so welcome');

      const exec = await finished(action.schedule.id);
      assert.equal(exec.attestations_created, 3);
      assert.match(exec.stdout, /welcomed 3/);
      const made = (await s.request('POST', '/api/ax', { query: 'ax is welcomed of so-test', all: true })).body.attestations;
      assert.deepEqual(made.map((a: any) => a.subjects[0]).sort(), ['ann', 'ben', 'cat']);
      const ids = res.body.attestations.map((a: any) => a.id).sort();
      assert.deepEqual(made.map((a: any) => a.attributes.of).sort(), ids);
      for (const a of made) {
        assert.equal(a.attributes.query, 'ax is signup of web so welcome');
        assert.equal(a.attributes.n, 3);
        assert.equal(a.attributes.attrs.plan, `${a.subjects[0]}-plan`);
        assert.equal(a.source, exec.id, 'what the run attested names its execution');
      }
      // execution → schedule → the query
      assert.equal(exec.schedule_id, action.schedule.id);
      const schedule = (await s.request('GET', `/api/pulse/schedules/${exec.schedule_id}`)).body;
      assert.equal(schedule.ats_code, 'ax is signup of web so welcome');
    });

    it('hands a large result as a file read lazily, and removes it after the run', async () => {
      const n = 2500;
      const items = Array.from({ length: n }, (_, i) => ({ subjects: [`row-${i}`], predicates: ['row'], contexts: ['bulk'], attributes: { i } }));
      await s.qntx.store.insertMany(items.map((x) => s.qntx.ats.prepare(x, { source: 'test', actor: 'loader' })));
      const res = await s.request('POST', '/api/ax', { query: 'ax is row of bulk so count', limit: 10 });
      assert.equal(res.body.attestations.length, 10, 'the answer is paged; the action gets everything');
      await finished(res.body.actions[0].schedule.id);
      const [counted] = (await s.request('POST', '/api/ax', { query: 'ax batch is counted' })).body.attestations;
      assert.deepEqual(counted.attributes, { len: n, iterated: n, sum: (n * (n - 1)) / 2, query: 'ax is row of bulk so count' });
      assert.equal(counted.handler_version, 1, 'the handler version is provenance beside the claim');
      const spool = path.join(s.qntx.settings.dataDir, 'ax-input');
      assert.deepEqual(fs.existsSync(spool) ? fs.readdirSync(spool) : [], []);
    });

    it('on a schedule, each run asks the query again', async () => {
      const res = await s.request('POST', '/api/ax', { query: 'ax is tick since 2020 so welcome', interval_seconds: 3600 });
      const sc = res.body.actions[0].schedule;
      assert.equal(sc.interval_seconds, 3600);
      assert.equal((await finished(sc.id)).attestations_created, 0);
      await s.request('POST', '/api/as', { subjects: ['tock'], predicates: ['tick'], contexts: ['clock'] });
      const t = await s.request('POST', `/api/pulse/schedules/${sc.id}/trigger`);
      assert.equal(t.status, 201, JSON.stringify(t.body));
      assert.equal((await finished(sc.id)).attestations_created, 1);
    });

    it('makes one schedule per type, also through the schedules API', async () => {
      const res = await s.request('POST', '/api/ax', { query: 'ax nobody-at-all so welcome count' });
      assert.deepEqual(res.body.actions.map((a: any) => a.schedule.ats_code), ['ax nobody-at-all so welcome', 'ax nobody-at-all so count']);
      for (const a of res.body.actions) await finished(a.schedule.id);
      const direct = await s.request('POST', '/api/pulse/schedules', { ats_code: 'ax is signup of shop so welcome', interval_seconds: 0 });
      assert.equal(direct.status, 201, JSON.stringify(direct.body));
      assert.equal((await finished(direct.body.id)).attestations_created, 1);
      const page2 = await s.request('POST', '/api/ax', { query: 'ax is row of bulk so count', limit: 10, cursor: (await s.request('POST', '/api/ax', { query: 'ax is row of bulk', limit: 10 })).body.next_cursor });
      assert.equal(page2.body.actions, undefined, 'a later page does not start the actions again');
    });

    it('says which type has no handler, like ix does', async () => {
      for (const query of ['ax alice so nohandler', 'ax alice so git']) {
        const type = query.split(' ').pop();
        const res = await s.request('POST', '/api/ax', { query });
        assert.equal(res.status, 422, JSON.stringify(res.body));
        assert.deepEqual(res.body.details, [`script_type=${type}`]);
        assert.equal(res.body.hint, `Create a handler for '${type}'`);
      }
      const none = await s.request('POST', '/api/pulse/schedules', { ats_code: 'ax alice', interval_seconds: 0 });
      assert.equal(none.status, 400);
      assert.match(none.body.error, /needs 'so <type>'/);
      const two = await s.request('POST', '/api/pulse/schedules', { ats_code: 'ax alice so welcome count', interval_seconds: 0 });
      assert.equal(two.status, 400);
      const badTime = await s.request('POST', '/api/pulse/schedules', { ats_code: 'ax alice since blorp so welcome', interval_seconds: 0 });
      assert.equal(badTime.status, 400);
      assert.deepEqual(badTime.body.details.slice(0, 1), ['column=16']);
    });
  });
}
