// Idempotent, resumable handler runs: the same handler run twice stores each
// claim once; a one-off and a scheduled run of one source share its state; ix.checkpoint() commits
// state with its batch so a failed run's retry resumes there; execution counts equal the rows.
import assert from 'node:assert/strict';
import { sql } from 'kysely';
import { after, before, describe, it } from 'node:test';
import { DB_KINDS } from './helpers.js';
import { startTestServer, type TestServer } from './http-helpers.js';
import { WsClient } from './ws-helpers.js';

const EVENTS = `
for i in range(40):
    attest("ev-%d" % i, "seen", "feed", attributes={"i": i}, timestamp=1700000000000 + i)
`;

const CURSOR = `
start = ix.state.get("next", 0)
for i in range(start, start + 5):
    attest("cur-%d" % i, "cursor", "feed", timestamp=1700000000000 + i)
ix.state["next"] = start + 5
`;

const CHECKPOINTS = `
start = ix.state.get("next", 0)
for i in range(start, 30):
    attest("cp-%d" % i, "cp", "feed", timestamp=1700000000000 + i)
    if i % 10 == 9:
        ix.checkpoint({"next": i + 1})
    if i == 24 and start == 0:
        raise RuntimeError("fails once, after two checkpoints")
`;

for (const { kind, skip } of DB_KINDS) {
  describe(`handler runs are idempotent and resume (${kind})`, { skip }, () => {
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

    async function run(atsCode: string, interval = 0): Promise<any> {
      const sch = await s.request('POST', '/api/pulse/schedules', { ats_code: atsCode, interval_seconds: interval });
      assert.equal(sch.status, 201, JSON.stringify(sch.body));
      const started = await ws.next((m) => m.type === 'pulse_execution_started' && m.schedule_id === sch.body.id);
      return { schedule: sch.body, exec: await finished(started.execution_id) };
    }
    async function finished(id: string): Promise<any> {
      await ws.next((m) => (m.type === 'pulse_execution_completed' || m.type === 'pulse_execution_failed') && m.execution_id === id);
      return (await s.request('GET', `/api/pulse/executions/${id}`)).body;
    }
    async function rowsOf(executionId: string): Promise<number> {
      const r = await sql<{ n: number }>`select count(*) as n from attestations where source = ${executionId}`.execute(s.qntx.database.db);
      return Number(r.rows[0]!.n);
    }
    const count = async (predicate: string) => (await s.request('GET', `/api/attestations?predicates=${predicate}&limit=1000`)).body.count;

    it('stores each claim of a handler run twice once, and says the second found them known', async () => {
      await s.request('POST', '/api/python/register-handler', { script_type: 'events', code: EVENTS });
      const first = await run('ix events');
      assert.deepEqual([first.exec.status, first.exec.attestations_created, first.exec.attestations_already_known], ['completed', 40, 0]);
      const second = await run('ix events');
      assert.deepEqual([second.exec.attestations_created, second.exec.attestations_already_known], [0, 40]);
      assert.equal(await count('seen'), 40);
      assert.equal(await rowsOf(first.exec.id), 40);
      assert.equal(await rowsOf(second.exec.id), 0);
    });

    it('shares state between a one-off run and a scheduled run of the same source', async () => {
      await s.request('POST', '/api/python/register-handler', { script_type: 'cursor', code: CURSOR });
      const once = await run('ix cursor a');
      assert.equal(once.exec.attestations_created, 5);
      const scheduled = await run('ix cursor a', 3600);
      assert.deepEqual([scheduled.exec.attestations_created, scheduled.exec.attestations_already_known], [5, 0], 'continued where the one-off stopped');
      const other = await run('ix cursor b');
      assert.equal(other.exec.attestations_created, 0, 'another source starts at 0: its claims are the same, known');
      assert.equal(other.exec.attestations_already_known, 5);
      assert.equal(await count('cursor'), 10);
    });

    it('resumes a failed run from its last ix.checkpoint(), with exact execution counts', async () => {
      await s.request('POST', '/api/python/register-handler', { script_type: 'cp', code: CHECKPOINTS });
      const failed = await run('ix cp', 3600);
      assert.equal(failed.exec.status, 'failed');
      assert.equal(failed.exec.attestations_created, 25);
      assert.equal(await rowsOf(failed.exec.id), 25);
      const trig = await s.request('POST', `/api/pulse/schedules/${failed.schedule.id}/trigger`);
      const retried = await finished(trig.body.id);
      assert.equal(retried.status, 'completed', JSON.stringify(retried));
      // It restarted at 20 (the second checkpoint): 20-24 were known, 25-29 are new.
      assert.deepEqual([retried.attestations_created, retried.attestations_already_known], [5, 5]);
      assert.equal(await rowsOf(retried.id), 5);
      assert.equal(await count('cp'), 30);
    });
  });
}
