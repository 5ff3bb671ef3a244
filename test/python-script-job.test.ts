// The python.script job through real runs: events in order, ix.state saved only on success,
// attestations of a failed run kept and counted.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { DB_KINDS } from './helpers.js';
import { startTestServer, type TestServer } from './http-helpers.js';
import { WsClient } from './ws-helpers.js';

const CODE = `
runs = ix.state.get("runs", 0) + 1
ix.state["runs"] = runs
attest("run-%d" % runs, "counted", "statey", attributes={"last_run": str(ix.last_run)})
if runs == 2:
    raise RuntimeError("second run fails")
`;

for (const { kind, skip } of DB_KINDS) {
  describe(`python.script runs (${kind})`, { skip }, () => {
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

    async function finish(executionId: string): Promise<any> {
      const ev = await ws.next((m) => (m.type === 'pulse_execution_completed' || m.type === 'pulse_execution_failed') && m.execution_id === executionId);
      return { ev, exec: (await s.request('GET', `/api/pulse/executions/${executionId}`)).body };
    }

    it('sends started then completed; saves ix.state only when a run succeeds', async () => {
      await s.request('POST', '/api/python/register-handler', { script_type: 'statey', code: CODE });
      const sch = await s.request('POST', '/api/pulse/schedules', { ats_code: 'ix statey', interval_seconds: 3600 });
      assert.equal(sch.status, 201);
      const started = await ws.next((m) => m.type === 'pulse_execution_started' && m.schedule_id === sch.body.id);
      const first = await finish(started.execution_id);
      assert.equal(first.ev.type, 'pulse_execution_completed');
      assert.equal(first.exec.attestations_created, 1);

      // Run 2 raises after attesting: the attestation stays, the state does not move.
      const t2 = await s.request('POST', `/api/pulse/schedules/${sch.body.id}/trigger`);
      const second = await finish(t2.body.id);
      assert.equal(second.ev.type, 'pulse_execution_failed');
      assert.equal(second.ev.error, 'second run fails');
      assert.ok(second.ev.error_details.includes('exception=RuntimeError'));
      assert.ok(second.ev.error_details.includes('line=6'));
      assert.equal(second.exec.attestations_created, 1);

      // Run 3 sees the state of run 1 again (runs == 2), so it fails the same way.
      const t3 = await s.request('POST', `/api/pulse/schedules/${sch.body.id}/trigger`);
      const third = await finish(t3.body.id);
      assert.equal(third.ev.type, 'pulse_execution_failed');
      const made = await s.request('GET', '/api/attestations?predicates=counted&order=asc');
      assert.deepEqual(made.body.attestations.map((a: any) => a.subjects[0]), ['run-1', 'run-2', 'run-2']);
      assert.equal(made.body.attestations[0].attributes.last_run, 'None');
      assert.notEqual(made.body.attestations[1].attributes.last_run, 'None', 'last_run is set after a success');
    });
  });
}
