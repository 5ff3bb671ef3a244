// kill -9 of a real `qntx serve` mid-job, then a restart on the same data dir: the job runs again
// after its lease, completes once, no execution stays running, and the schedule survives.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import { after, describe, it } from 'node:test';
import { tempDir } from './helpers.js';
import { startProcess, type QntxProcess } from './process-helpers.js';
import { authHeader } from './test-tokens.js';
import { WsClient } from './ws-helpers.js';

const serve = async (dir: string) => {
  const p = await startProcess(['serve', '--port', '0', '--data-dir', dir], { QNTX_LEASE_MS: '1500' });
  return { ...p, url: p.url! };
};

async function json(url: string, init?: RequestInit): Promise<any> {
  const r = await fetch(url, { ...init, headers: { 'content-type': 'application/json', ...authHeader(url) } });
  return r.json();
}

describe('crash recovery of a real server', () => {
  const dir = tempDir();
  // Runs cannot see the data directory: the file a handler reads lives beside it, where its uid may look.
  const shared = tempDir('qntx-shared-');
  fs.chmodSync(shared, 0o755);
  const children: QntxProcess[] = [];
  after(async () => {
    await Promise.all(children.map((c) => c.kill('SIGKILL')));
    fs.rmSync(dir, { recursive: true, force: true });
    fs.rmSync(shared, { recursive: true, force: true });
  });

  it('completes the job once after kill -9 and a restart', async () => {
    const a = await serve(dir);
    children.push(a);
    // How long to sleep is read from a file, so the test can make the retried attempt quick.
    const sleepFile = `${shared}/sleep-seconds`;
    fs.writeFileSync(sleepFile, '30');
    const code = `import time\ntime.sleep(float(open(${JSON.stringify(sleepFile)}).read()))\nattest("slow-run", "finished", "slow")\n`;
    await json(`${a.url}/api/python/register-handler`, { method: 'POST', body: JSON.stringify({ script_type: 'slow', code }) });
    const ws = await WsClient.connect(a.url);
    const sch = await json(`${a.url}/api/pulse/schedules`, { method: 'POST', body: JSON.stringify({ ats_code: 'ix slow 30', interval_seconds: 3600 }) });
    assert.ok(sch.id, JSON.stringify(sch));
    const started = await ws.next((m) => m.type === 'pulse_execution_started' && m.schedule_id === sch.id);
    ws.close();
    await a.kill('SIGKILL');

    // The restarted server holds the same data; the dead worker's job goes back to the queue
    // (at once: its owner process is gone) and runs again, this time without the long sleep.
    fs.writeFileSync(sleepFile, '0');
    const b = await serve(dir);
    children.push(b);
    const ws2 = await WsClient.connect(b.url);
    const exec0 = await json(`${b.url}/api/pulse/executions/${started.execution_id}`);
    if (exec0.status !== 'completed') {
      await ws2.next((m) => m.type === 'pulse_execution_completed' && m.execution_id === started.execution_id, 30_000);
    }
    const exec = await json(`${b.url}/api/pulse/executions/${started.execution_id}`);
    assert.equal(exec.status, 'completed');
    const running = (await json(`${b.url}/api/pulse/schedules/${sch.id}/executions`)).executions.filter((e: any) => e.status === 'running');
    assert.deepEqual(running, []);
    const made = await json(`${b.url}/api/attestations?predicates=finished`);
    assert.equal(made.count, 1);
    const schedule = await json(`${b.url}/api/pulse/schedules/${sch.id}`);
    assert.equal(schedule.state, 'active');
    const job = await json(`${b.url}/api/pulse/jobs/${exec.async_job_id}`);
    assert.equal(job.status, 'completed');
    assert.ok(job.retry_count >= 1, 'the lost attempt was counted');
    ws2.close();
    await b.kill('SIGTERM');
  });
});
