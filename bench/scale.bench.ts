// Scale-out benchmark (npm run bench:scale): no-op jobs and 20 ms jobs drained by 1, 2 and 4
// `qntx worker` processes (concurrency 2 each) on one PostgreSQL; throughput and speed-up over
// 1 process, measured in the same run. Needs QNTX_TEST_DATABASE_URL (or QNTX_DATABASE_URL).
import pg from 'pg';
import { createQntx } from '../src/app.js';
import { loadSettings } from '../src/config.js';
import { silentLogger } from '../src/logger.js';
import { startProcess, type QntxProcess } from '../test/process-helpers.js';
import { dropSchema, tempDir, uniqueSchema } from '../test/helpers.js';
import { fmt, machine } from './util.js';

const URL_BASE = process.env.QNTX_TEST_DATABASE_URL ?? process.env.QNTX_DATABASE_URL;
if (!URL_BASE) {
  console.error('set QNTX_TEST_DATABASE_URL=postgres://… to run the scale-out benchmark');
  process.exit(2);
}

async function drain(workers: number, handler: string, payload: unknown, jobs: number): Promise<number> {
  const schema = uniqueSchema();
  const admin = new pg.Client({ connectionString: URL_BASE });
  await admin.connect();
  await admin.query(`create schema ${schema}`);
  const url = new URL(URL_BASE!);
  url.searchParams.set('options', `-c search_path=${schema}`);
  const dataDir = tempDir('qntx-bench-scale-');
  // The enqueuing process: no worker, no ticker; its events (NOTIFY) wake the workers.
  const q = await createQntx(loadSettings({ databaseUrl: url.toString(), dataDir, logLevel: 'silent' }, {}), {
    logger: silentLogger(),
    pulse: { concurrency: 0, ticker: false },
  });
  await q.start();
  const procs: QntxProcess[] = [];
  try {
    for (let i = 0; i < workers; i++) {
      procs.push(await startProcess(['worker', '--concurrency', '2', '--data-dir', dataDir], { QNTX_DATABASE_URL: url.toString() }));
    }
    const t0 = performance.now();
    for (let i = 0; i < jobs; i += 100) {
      await Promise.all(Array.from({ length: Math.min(100, jobs - i) }, () => q.pulse.enqueue(handler, payload)));
    }
    for (;;) {
      const { rows } = await admin.query<{ n: number }>(`select count(*)::int n from ${schema}.pulse_jobs where status = 'completed'`);
      if (rows[0]!.n >= jobs) break;
      await new Promise((r) => setTimeout(r, 20));
    }
    return jobs / ((performance.now() - t0) / 1000);
  } finally {
    await Promise.all(procs.map((p) => p.kill('SIGTERM')));
    await q.close();
    await admin.end();
    await dropSchema(schema);
  }
}

console.log(`machine: ${machine()}`);
for (const [label, handler, payload, jobs] of [
  ['no-op', 'pulse.noop', {}, 3000],
  ['20 ms', 'pulse.sleep', { ms: 20 }, 800],
] as const) {
  const base = await drain(1, handler, payload, jobs);
  console.log(`${label} jobs, 1 worker process: ${fmt(base)}/s`);
  for (const n of [2, 4]) {
    const r = await drain(n, handler, payload, jobs);
    console.log(`${label} jobs, ${n} worker processes: ${fmt(r)}/s (${fmt(r / base, 2)}× of 1)`);
  }
}
