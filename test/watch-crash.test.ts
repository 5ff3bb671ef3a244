// kill -9 of a real `qntx serve` while a watcher's run is halfway through its batch, then a
// restart on the same data dir: every signup is handed to a completed run exactly once, none is
// skipped, and the killed run's batch is re-read with the same bounds.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import { after, before, describe, it } from 'node:test';
import pg from 'pg';
import { DB_KINDS, dropSchema, PG_URL, tempDir, uniqueSchema } from './helpers.js';
import { startProcess, type QntxProcess } from './process-helpers.js';
import { authHeader } from './test-tokens.js';
import { WsClient } from './ws-helpers.js';

const serve = async (dir: string, env: Record<string, string>) => {
  const p = await startProcess(['serve', '--port', '0', '--data-dir', dir], { QNTX_LEASE_MS: '1500', ...env });
  return { ...p, url: p.url! };
};

async function json(url: string, init?: RequestInit): Promise<any> {
  const r = await fetch(url, { ...init, headers: { 'content-type': 'application/json', ...authHeader(url) } });
  return r.json();
}

for (const { kind, skip } of DB_KINDS) describe(`a watcher across kill -9 of its server (${kind})`, { skip }, () => {
  const dir = tempDir();
  // PostgreSQL: each process uses the test's own schema through the connection options of the URL.
  let env: Record<string, string> = {};
  let schema: string | undefined;
  before(async () => {
    if (kind !== 'postgres') return;
    schema = uniqueSchema();
    const admin = new pg.Client({ connectionString: PG_URL });
    await admin.connect();
    await admin.query(`create schema ${schema}`);
    await admin.end();
    const url = new URL(PG_URL!);
    url.searchParams.set('options', `-c search_path=${schema}`);
    env = { QNTX_DATABASE_URL: url.toString() };
  });
  // Runs cannot see the data directory: the file a handler reads lives beside it.
  const shared = tempDir('qntx-shared-');
  fs.chmodSync(shared, 0o755);
  const children: QntxProcess[] = [];
  after(async () => {
    await Promise.all(children.map((c) => c.kill('SIGKILL')));
    fs.rmSync(dir, { recursive: true, force: true });
    fs.rmSync(shared, { recursive: true, force: true });
    if (schema) await dropSchema(schema);
  });

  it('hands each signup to a completed run exactly once', async () => {
    const a = await serve(dir, env);
    children.push(a);
    assert.equal((await json(`${a.url}/health`)).database, kind);
    const sleepFile = `${shared}/sleep-seconds`;
    fs.writeFileSync(sleepFile, '60');
    // Welcomes each input (the same claim for the same input: a re-run stores nothing new), and
    // after the second one commits what it has and sleeps as long as the file says.
    const code = [
      'import time',
      'for i, a in enumerate(ix.input):',
      '    attest(a["subjects"][0], "welcomed", "crash", attributes={"of": a["id"]}, timestamp=a["timestamp"])',
      '    print("got", a["id"])',
      '    if i == 1:',
      '        ix.checkpoint()',
      `        time.sleep(float(open(${JSON.stringify(sleepFile)}).read()))`,
      '',
    ].join('\n');
    const reg = await json(`${a.url}/api/python/register-handler`, { method: 'POST', body: JSON.stringify({ script_type: 'welcome', code }) });
    assert.ok(reg.handler ?? reg.id ?? reg.attestation, JSON.stringify(reg));
    const ws = await WsClient.connect(a.url);
    const w = await json(`${a.url}/api/pulse/schedules`, {
      method: 'POST',
      body: JSON.stringify({ ats_code: 'ax is signup of web so welcome', watch: true, batch_size: 5 }),
    });
    assert.equal(w.watch, true, JSON.stringify(w));
    await json(`${a.url}/api/pulse/schedules/${w.id}`, { method: 'PATCH', body: JSON.stringify({ state: 'paused' }) });
    const ids: string[] = [];
    for (let i = 0; i < 12; i++) {
      const r = await json(`${a.url}/api/as`, { method: 'POST', body: JSON.stringify({ subjects: [`u${i}`], predicates: ['signup'], contexts: ['web'] }) });
      ids.push((r.attestation ?? r).id);
    }
    await json(`${a.url}/api/pulse/schedules/${w.id}`, { method: 'PATCH', body: JSON.stringify({ state: 'active' }) });
    const started = await ws.next((m) => m.type === 'pulse_execution_started' && m.schedule_id === w.id);
    // Two welcomes of the batch are committed; the run sleeps in the middle of it.
    await ws.next((m) => m.type === 'attestations_created' && m.source === started.execution_id);
    ws.close();
    await a.kill('SIGKILL');

    fs.writeFileSync(sleepFile, '0');
    const b = await serve(dir, env);
    children.push(b);
    const ws2 = await WsClient.connect(b.url);
    // Two more while the watcher catches up.
    for (let i = 12; i < 14; i++) {
      const r = await json(`${b.url}/api/as`, { method: 'POST', body: JSON.stringify({ subjects: [`u${i}`], predicates: ['signup'], contexts: ['web'] }) });
      ids.push((r.attestation ?? r).id);
    }
    const settled = async () => {
      const s = await json(`${b.url}/api/pulse/schedules/${w.id}`);
      return s.last_status !== 'running' && s.watcher.pending === 0;
    };
    while (!(await settled())) {
      await ws2.next((m) => m.type === 'pulse_execution_completed' || m.type === 'pulse_execution_failed' || m.type === 'schedule_update', 30_000);
    }
    ws2.close();
    const runs = (await json(`${b.url}/api/pulse/schedules/${w.id}/executions?limit=100`)).executions;
    assert.ok(runs.every((x: any) => x.status === 'completed'), JSON.stringify(runs.map((x: any) => [x.status, x.error])));
    const killed = runs.find((x: any) => x.id === started.execution_id);
    assert.ok(killed, 'the killed run completed after the restart');
    assert.equal(killed.watch_batch.through - killed.watch_batch.after >= 5, true);
    // Each signup in exactly one completed run's output.
    const handed = runs.flatMap((x: any) => [...x.stdout.matchAll(/got (\S+)/g)].map((m) => m[1]));
    assert.deepEqual([...handed].sort(), [...ids].sort());
    const welcomed = await json(`${b.url}/api/attestations?predicates=welcomed&contexts=crash&limit=1000`);
    assert.deepEqual(welcomed.attestations.map((x: any) => x.attributes.of).sort(), [...ids].sort());
    const job = await json(`${b.url}/api/pulse/jobs/${killed.async_job_id}`);
    assert.ok(job.retry_count >= 1, 'the lost attempt was counted');
    await b.kill('SIGTERM');
  });
});
