// Scale-out on PostgreSQL with real processes from the bin: several servers and workers on one
// database. Jobs run exactly once, one ticker at a time with take-over, crashed workers' jobs
// recovered, and events of any process reach WebSocket clients of every server.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import pg from 'pg';
import { dropSchema, PG_SKIP, PG_URL, tempDir, uniqueSchema } from './helpers.js';
import { api, startProcess, type QntxProcess } from './process-helpers.js';
import { WsClient } from './ws-helpers.js';

describe('scale-out on PostgreSQL', { skip: PG_SKIP }, () => {
  let schema: string;
  let env: Record<string, string>;
  const procs: QntxProcess[] = [];
  const clients: WsClient[] = [];
  const dataDir = tempDir();

  const serve = async (...extra: string[]) => {
    const p = await startProcess(['serve', '--port', '0', '--data-dir', dataDir, ...extra], env);
    procs.push(p);
    return p;
  };
  const worker = async (...extra: string[]) => {
    const p = await startProcess(['worker', '--concurrency', '2', '--data-dir', dataDir, ...extra], env);
    procs.push(p);
    return p;
  };
  const ws = async (url: string) => {
    const c = await WsClient.connect(url);
    clients.push(c);
    return c;
  };
  const stopAll = async () => {
    for (const c of clients.splice(0)) c.close();
    await Promise.all(procs.splice(0).map((p) => p.kill('SIGKILL')));
  };

  before(async () => {
    schema = uniqueSchema();
    const admin = new pg.Client({ connectionString: PG_URL });
    await admin.connect();
    await admin.query(`create schema ${schema}`);
    await admin.end();
    // Each process uses the test's own schema through the connection options of the URL.
    const url = new URL(PG_URL!);
    url.searchParams.set('options', `-c search_path=${schema}`);
    env = { QNTX_DATABASE_URL: url.toString(), QNTX_LEASE_MS: '2000' };
  });
  after(async () => {
    await stopAll();
    await dropSchema(schema);
  });

  it('starts several processes at once on a fresh database (migrations under a lock)', async () => {
    const started = await Promise.all([serve(), serve(), worker()]);
    assert.equal(started.length, 3);
    const health = await api(started[0]!.url!, 'GET', '/health');
    assert.equal(health.database, 'postgres');
    await stopAll();
  });

  // 600 jobs keep the six worker slots of three processes competing for the whole run; volume on
  // its own is pulse-exactly-once's (1,000 jobs, 4 workers, both databases) and the chaos test's.
  it('runs 600 jobs on 2 servers and 3 workers, each exactly once', async () => {
    const [a, b] = [await serve(), await serve()];
    await Promise.all([worker(), worker(), worker()]);
    await api(a.url!, 'POST', '/api/python/register-handler', { script_type: 'count', code: 'attest("job-" + ix.args[0], "ran", "count")\n' });
    const client = await ws(b.url!);
    const N = 600;
    const completed = new Set<string>();
    let duplicates = 0;
    const allDone = new Promise<void>((resolve) => {
      const tick = async (): Promise<void> => {
        const m = await client.next((x) => x.type === 'job_update' && x.status === 'completed', 60_000);
        if (completed.has(m.job_id)) duplicates++;
        completed.add(m.job_id);
        if (completed.size === N) resolve();
        else return tick();
      };
      void tick();
    });
    for (let i = 0; i < N; i += 50) {
      await Promise.all(
        Array.from({ length: 50 }, (_, k) =>
          api(k % 2 ? a.url! : b.url!, 'POST', '/api/pulse/jobs', { handler_name: 'python.script', payload: { script_type: 'count', args: [String(i + k)] } }),
        ),
      );
    }
    await allDone;
    assert.equal(duplicates, 0, 'each completion is announced once');
    const seen = new Map<string, number>();
    let cursor: string | null = null;
    do {
      const page: any = await api(a.url!, 'GET', `/api/attestations?predicates=ran&limit=1000${cursor ? `&cursor=${cursor}` : ''}`);
      for (const x of page.attestations) seen.set(x.subjects[0], (seen.get(x.subjects[0]) ?? 0) + 1);
      cursor = page.next_cursor;
    } while (cursor);
    assert.equal(seen.size, N);
    assert.deepEqual([...new Set(seen.values())], [1], 'no job ran twice');
    const failed = await api(a.url!, 'GET', '/api/pulse/jobs?status=failed');
    assert.deepEqual(failed.jobs, []);
    await stopAll();
  });

  it('fires 100 one-second schedules across 3 servers with no double tick and no gap over one interval', async () => {
    const servers = [await serve(), await serve(), await serve()];
    const main = servers[0]!.url!;
    await api(main, 'POST', '/api/python/register-handler', { script_type: 'tick', code: 'pass\n' });
    const client = await ws(main);
    const ids: string[] = [];
    for (let i = 0; i < 100; i++) {
      const s = await api(servers[i % 3]!.url!, 'POST', '/api/pulse/schedules', { ats_code: `ix tick ${i}`, interval_seconds: 1 });
      ids.push(s.id);
    }
    // Watch 10 s of firing (as counted by the executions themselves).
    const start = Date.now();
    while (Date.now() - start < 10_000) await client.next((m) => m.type === 'pulse_execution_completed', 10_000);
    for (const id of ids) await api(main, 'PATCH', `/api/pulse/schedules/${id}`, { state: 'paused' });
    let fired = 0;
    let skipped = 0;
    for (const id of ids) {
      const { executions } = await api(main, 'GET', `/api/pulse/schedules/${id}/executions?limit=100`);
      const schedule = await api(main, 'GET', `/api/pulse/schedules/${id}`);
      const due = executions.filter((e: any) => e.trigger === 'schedule').map((e: any) => e.due_at as number).sort((x: number, y: number) => x - y);
      assert.equal(new Set(due).size, due.length, `schedule ${id} fired a tick twice`);
      // Every tick is on the schedule's grid, and every grid point between the first and the last
      // fired tick was either fired or recorded as skipped (its previous run still going): none lost.
      for (const d of due) assert.equal((d - due[0]!) % 1000, 0, `schedule ${id} left its grid`);
      const span = (due[due.length - 1]! - due[0]!) / 1000 + 1;
      assert.ok(due.length + schedule.skipped_count >= span, `schedule ${id}: ${due.length} fired + ${schedule.skipped_count} skipped < ${span} ticks`);
      assert.ok(span >= 9, `schedule ${id} covered only ${span} ticks in ~10 s`);
      fired += due.length;
      skipped += schedule.skipped_count;
    }
    console.log(`# 100 schedules for ~10 s: ${fired} ticks fired, ${skipped} skipped (previous run still going)`);
    await stopAll();
  });

  it('moves the ticker to another server when its holder is killed', async () => {
    const servers = [await serve('--no-worker'), await serve('--no-worker')];
    await worker();
    await api(servers[0]!.url!, 'POST', '/api/python/register-handler', { script_type: 'beat', code: 'pass\n' });
    await api(servers[0]!.url!, 'POST', '/api/pulse/schedules', { ats_code: 'ix beat', interval_seconds: 1 });
    const holderOf = async () => {
      for (const s of servers) if ((await api(s.url!, 'GET', '/health')).pulse.ticker) return s;
      return null;
    };
    let holder: QntxProcess | null = null;
    const c0 = await ws(servers[0]!.url!);
    while (!holder) {
      await c0.next((m) => m.type === 'pulse_execution_started');
      holder = await holderOf();
    }
    const other = servers.find((s) => s !== holder)!;
    const client = await ws(other.url!);
    await holder.kill('SIGKILL');
    const killedAt = Date.now();
    // The survivor takes the advisory lock (released by PostgreSQL with the dead session) and
    // ticks: a tick it fires after the kill starts and completes, run by the worker process.
    let takenOver = false;
    while (!takenOver) {
      await client.next((m) => m.type === 'pulse_execution_started', 15_000);
      takenOver = (await api(other.url!, 'GET', '/health')).pulse.ticker === true;
    }
    const started = await client.next((m) => m.type === 'pulse_execution_started', 15_000);
    assert.ok(started.started_at >= killedAt);
    await client.next((m) => m.type === 'pulse_execution_completed' && m.execution_id === started.execution_id, 15_000);
    assert.ok(Date.now() - killedAt < 15_000, 'took over within seconds');
    await stopAll();
  });

  it("runs a killed worker's job again after its lease, once; its events reach another server's clients", async () => {
    const s = await serve('--no-worker');
    const w1 = await worker();
    await api(s.url!, 'POST', '/api/python/register-handler', {
      script_type: 'slowjob',
      code: 'import time, os\nif os.environ.get("SLOW", "1") == "1" and ix.args[0] == "first":\n    time.sleep(60)\nattest("slow-done", "finished", "slowjob")\n',
    });
    const client = await ws(s.url!);
    const job = await api(s.url!, 'POST', '/api/pulse/jobs', { handler_name: 'python.script', payload: { script_type: 'slowjob', args: ['first'] } });
    await client.next((m) => m.type === 'job_update' && m.job_id === job.id && m.status === 'running');
    await w1.kill('SIGKILL');
    // The handler's next version does not sleep: the retried attempt finishes.
    await api(s.url!, 'POST', '/api/python/register-handler', { script_type: 'slowjob', code: 'attest("slow-done", "finished", "slowjob")\n' });
    await worker();
    await client.next((m) => m.type === 'job_update' && m.job_id === job.id && m.status === 'completed', 30_000);
    const after = await api(s.url!, 'GET', `/api/pulse/jobs/${job.id}`);
    assert.equal(after.status, 'completed');
    assert.ok(after.retry_count >= 1);
    const made = await api(s.url!, 'GET', '/api/attestations?predicates=finished');
    assert.equal(made.count, 1);
    await stopAll();
  });
});
