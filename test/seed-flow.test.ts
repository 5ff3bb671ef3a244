// The seed's flow over the real HTTP API and WebSocket, on SQLite and PostgreSQL: no handler →
// structured error → register → scheduled runs with args and state → remove → failing runs.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { DB_KINDS } from './helpers.js';
import { startTestServer, type TestServer } from './http-helpers.js';
import { WsClient } from './ws-helpers.js';

const HANDLER = `
n = ix.state.get("n", 0) + 1
ix.state["n"] = n
print("run", n, ix.args)
attest(["event-%d" % n], "received", "webhook", attributes={"args": ix.args, "n": n, "version": VERSION})
`;

for (const { kind, skip } of DB_KINDS) {
  describe(`the seed's flow over HTTP (${kind})`, { skip }, () => {
    let s: TestServer;
    let ws: WsClient;
    before(async () => {
      s = await startTestServer(kind);
      ws = await WsClient.connect(s.url);
    });
    after(async () => {
      ws.close();
      await s.stop();
    });

    it('answers ix webhook without a handler with script_type in details and a hint', async () => {
      const r = await s.request('POST', '/api/pulse/schedules', { ats_code: 'ix webhook', interval_seconds: 0 });
      assert.equal(r.status, 422);
      assert.deepEqual(r.body, {
        error: "no ingest script for type 'webhook'",
        details: ['script_type=webhook'],
        hint: "Create a handler for 'webhook'",
      });
    });

    it('registers a handler, runs it every second with args and carried state, then fails once removed', async () => {
      const reg = await s.request('POST', '/api/python/register-handler', {
        script_type: 'webhook',
        code: 'VERSION = 1\n' + HANDLER,
        language: 'python',
      });
      assert.equal(reg.status, 201, JSON.stringify(reg.body));
      assert.equal(reg.body.version, 1);

      const sch = await s.request('POST', '/api/pulse/schedules', { ats_code: 'ix webhook a "b c"', interval_seconds: 1, created_from: 'test' });
      assert.equal(sch.status, 201, JSON.stringify(sch.body));
      const id = sch.body.id;
      assert.equal(sch.body.handler_name, 'python.script');
      assert.deepEqual(sch.body.payload.args, ['a', 'b c']);

      const done1 = await ws.next((m) => m.type === 'pulse_execution_completed' && m.schedule_id === id);
      const done2 = await ws.next((m) => m.type === 'pulse_execution_completed' && m.schedule_id === id && m.execution_id !== done1.execution_id);
      assert.equal(done2.attestations_created, 1);

      const found = await s.request('GET', '/api/attestations?predicates=received&contexts=webhook&order=asc');
      const mine = found.body.attestations.slice(0, 2);
      assert.deepEqual(mine.map((a: any) => a.attributes.n), [1, 2], 'ix.state carried over');
      assert.deepEqual(mine[0].attributes.args, ['a', 'b c']);
      assert.equal(mine[0].source, done1.execution_id);
      const exec = await s.request('GET', `/api/pulse/executions/${done1.execution_id}`);
      assert.equal(exec.body.status, 'completed');
      assert.match(exec.body.stdout, /run 1 \['a', 'b c'\]/);
      assert.equal(exec.body.handler_version, 1);

      // The newest version wins at the next run.
      const v2 = await s.request('POST', '/api/python/register-handler', { script_type: 'webhook', code: 'VERSION = 2\n' + HANDLER });
      assert.equal(v2.body.version, 2);
      for (;;) {
        const ev = await ws.next((m) => m.type === 'pulse_execution_completed' && m.schedule_id === id);
        const e = await s.request('GET', `/api/pulse/executions/${ev.execution_id}`);
        if (e.body.handler_version === 2) break;
      }

      const rm = await s.request('DELETE', '/api/handlers/webhook');
      assert.equal(rm.status, 200);
      const failed = await ws.next((m) => m.type === 'pulse_execution_failed' && m.schedule_id === id);
      assert.equal(failed.error, "no ingest script for type 'webhook'");
      assert.ok(failed.error_details.includes('script_type=webhook'));
      const fe = await s.request('GET', `/api/pulse/executions/${failed.execution_id}`);
      assert.equal(fe.body.status, 'failed');
      assert.ok(fe.body.error_details.includes('script_type=webhook'));
      await s.request('DELETE', `/api/pulse/schedules/${id}`);
    });
  });
}
