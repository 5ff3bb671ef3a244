// Watchers across a cluster on PostgreSQL: two `qntx serve` and two `qntx worker` processes on one
// database, signups posted to both servers: each is handed to exactly one completed run, and each
// is welcomed once. The delivery claim is the database's (a conditional update of the watcher's
// row), never a process's memory.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import { after, before, describe, it } from 'node:test';
import pg from 'pg';
import { dropSchema, PG_URL, tempDir, uniqueSchema } from './helpers.js';
import { api, startProcess, type QntxProcess } from './process-helpers.js';
import { WsClient } from './ws-helpers.js';

const WELCOME = [
  'for a in ix.input:',
  '    attest(a["subjects"][0], "welcomed", "cluster", attributes={"of": a["id"]})',
  '    print("got", a["id"])',
  '',
].join('\n');

describe('a watcher on two servers and two workers (PostgreSQL)', { skip: PG_URL ? false : 'QNTX_TEST_DATABASE_URL is not set' }, () => {
  const children: QntxProcess[] = [];
  const dirs = [0, 1, 2, 3].map(() => tempDir());
  let schema: string | undefined;
  let env: Record<string, string> = {};
  before(async () => {
    schema = uniqueSchema();
    const admin = new pg.Client({ connectionString: PG_URL });
    await admin.connect();
    await admin.query(`create schema ${schema}`);
    await admin.end();
    const url = new URL(PG_URL!);
    url.searchParams.set('options', `-c search_path=${schema}`);
    env = { QNTX_DATABASE_URL: url.toString(), QNTX_LEASE_MS: '1500' };
  });
  after(async () => {
    await Promise.all(children.map((c) => c.kill('SIGKILL')));
    for (const d of dirs) fs.rmSync(d, { recursive: true, force: true });
    if (schema) await dropSchema(schema);
  });

  it('hands each signup to exactly one run across the cluster', async () => {
    const a = await startProcess(['serve', '--port', '0', '--data-dir', dirs[0]!], env);
    children.push(a);
    const b = await startProcess(['serve', '--port', '0', '--data-dir', dirs[1]!], env);
    children.push(b);
    for (const d of dirs.slice(2)) children.push(await startProcess(['worker', '--data-dir', d], env));
    const [ua, ub] = [a.url!, b.url!];
    await api(ua, 'POST', '/api/python/register-handler', { script_type: 'welcome', code: WELCOME });
    const w = await api(ua, 'POST', '/api/pulse/schedules', { ats_code: 'ax is signup of cluster so welcome', watch: true, batch_size: 3 });
    assert.equal(w.watch, true, JSON.stringify(w));

    const ids: string[] = [];
    for (let i = 0; i < 30; i++) {
      const r = await api(i % 2 ? ub : ua, 'POST', '/api/as', { subjects: [`u${i}`], predicates: ['signup'], contexts: ['cluster'] });
      ids.push((r.attestation ?? r).id);
    }
    const ws = await WsClient.connect(ub);
    const settled = async () => {
      const s = await api(ub, 'GET', `/api/pulse/schedules/${w.id}`);
      return s.last_status !== 'running' && s.watcher.pending === 0 && s.watcher.cursor >= 0;
    };
    for (let n = 0; !(await settled()); n++) {
      assert.ok(n < 200, 'the watcher settles');
      await ws.next((m) => m.type === 'pulse_execution_completed' || m.type === 'pulse_execution_failed' || m.type === 'schedule_update', 30_000).catch(() => undefined);
    }
    ws.close();
    const runs = (await api(ua, 'GET', `/api/pulse/schedules/${w.id}/executions?limit=100`)).executions as Array<{ status: string; stdout: string; error: string | null }>;
    assert.ok(runs.every((x) => x.status === 'completed'), JSON.stringify(runs.map((x) => [x.status, x.error])));
    const handed = runs.flatMap((x) => [...x.stdout.matchAll(/got (\S+)/g)].map((m) => m[1]!));
    assert.deepEqual([...handed].sort(), [...ids].sort(), 'each signup in exactly one completed run');
    const welcomed = await api(ub, 'GET', '/api/attestations?predicates=welcomed&contexts=cluster&limit=1000');
    assert.deepEqual(welcomed.attestations.map((x: { attributes: { of: string } }) => x.attributes.of).sort(), [...ids].sort());
    assert.ok(runs.length >= 10, `batches of at most 3: ${runs.length} runs`);
  });
});
