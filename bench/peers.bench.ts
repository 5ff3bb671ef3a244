// Pulse side by side with graphile-worker (npm run bench:peers, which installs it in bench/peers/;
// it is never a dependency of qntx), in the same run on the same PostgreSQL (QNTX_TEST_DATABASE_URL):
// 1. no-op drain: N jobs queued, then one worker of concurrency 2 and 4 runs them all;
// 2. add → start latency of single jobs on an idle worker, the job added over another connection
//    (qntx: another Qntx whose enqueue reaches the worker by NOTIFY; graphile-worker: WorkerUtils).
// graphile-worker runs at its fastest: batched fetches (localQueue) and batched completions, as its
// performance guide recommends for throughput, and with its defaults for the latency.
import fs from 'node:fs';
import { createRequire } from 'node:module';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import pg from 'pg';
import { z } from 'zod';
import { createQntx, type Qntx } from '../src/app.js';
import { systemClock } from '../src/clock.js';
import { loadSettings } from '../src/config.js';
import { quoteIdent, type Database } from '../src/db/database.js';
import { silentLogger } from '../src/logger.js';
import { Catalog } from '../src/pulse/catalog.js';
import { Pulse } from '../src/pulse/pulse.js';
import { openTestDatabase, prepareSchema } from '../test/fixtures/pulse-db.js';
import { fmt, machine, percentile } from './util.js';

const PG_URL = process.env.QNTX_TEST_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';
const N = Number(process.env.BENCH_JOBS ?? 10_000);
const LATENCY_SAMPLES = Number(process.env.BENCH_SAMPLES ?? 300);
const here = path.dirname(fileURLToPath(import.meta.url));

/** The part of graphile-worker's API used here (it is not installed for the type checker). */
interface GW {
  Logger: new (factory: () => () => void) => unknown;
  runMigrations(o: Record<string, unknown>): Promise<void>;
  makeWorkerUtils(o: Record<string, unknown>): Promise<{
    addJob(identifier: string, payload: unknown): Promise<unknown>;
    addJobs(specs: Array<{ identifier: string; payload: unknown }>): Promise<unknown>;
    release(): Promise<void>;
  }>;
  run(o: Record<string, unknown>): Promise<{ stop(): Promise<void> }>;
}
const peers = createRequire(path.join(here, 'peers', 'package.json'));
const gw = peers('graphile-worker') as GW;
const gwVersion = (JSON.parse(fs.readFileSync(path.join(here, 'peers', 'node_modules', 'graphile-worker', 'package.json'), 'utf8')) as { version: string }).version;
const gwSilent = new gw.Logger(() => () => {});

let schemaSeq = 0;
const schemaName = (who: string) => `bench_${who}_${process.pid}_${schemaSeq++}`;

async function dropSchema(schema: string): Promise<void> {
  const c = new pg.Client({ connectionString: PG_URL });
  await c.connect();
  await c.query(`drop schema if exists ${quoteIdent(schema)} cascade`);
  await c.end();
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

// ---- qntx

async function qntxDrain(concurrency: number): Promise<number> {
  const schema = schemaName('qntx');
  await prepareSchema(PG_URL, schema);
  const database: Database = await openTestDatabase({ dataDir: os.tmpdir(), databaseUrl: PG_URL, pgSchema: schema, poolSize: concurrency + 8 });
  const catalog = new Catalog().register({ name: 'noop', payload: z.unknown(), timeoutMs: 60_000, maxRetries: 0, run: async () => ({}) });
  const pulse = new Pulse({ database, clock: systemClock, logger: silentLogger(), catalog, resolver: async () => ({ handler_name: 'noop', payload: {} }), concurrency, ticker: false });
  try {
    for (let i = 0; i < N; i += 8) await Promise.all(Array.from({ length: Math.min(8, N - i) }, () => pulse.enqueue('noop', {})));
    let done = 0;
    const drained = new Promise<void>((resolve) => pulse.events.on('job_update', (e) => e.status === 'completed' && ++done === N && resolve()));
    const t0 = performance.now();
    await pulse.start();
    await drained;
    const rate = (N / (performance.now() - t0)) * 1000;
    await pulse.stop();
    return rate;
  } finally {
    await database.close();
    await dropSchema(schema);
  }
}

async function qntxPair(schema: string, concurrency: number, extra: Record<string, unknown> = {}): Promise<Qntx> {
  const settings = loadSettings({ dataDir: os.tmpdir(), databaseUrl: PG_URL, workerConcurrency: concurrency, logLevel: 'silent' }, {});
  const q = await createQntx(settings, { logger: silentLogger(), pgSchema: schema, pulse: { ticker: false, ...extra } });
  await q.start();
  return q;
}

async function qntxLatency(): Promise<number[]> {
  const schema = schemaName('qntx');
  await prepareSchema(PG_URL, schema);
  const worker = await qntxPair(schema, 2);
  const client = await qntxPair(schema, 0);
  const started = new Map<string, number>();
  const completed = new Set<string>();
  const waiters = new Map<string, () => void>();
  worker.events.on('job_update', (e) => {
    if (e.status === 'running' && !started.has(e.job_id)) started.set(e.job_id, performance.now());
    if (e.status === 'completed') {
      completed.add(e.job_id);
      waiters.get(e.job_id)?.();
    }
  });
  try {
    const out: number[] = [];
    for (let i = 0; i < LATENCY_SAMPLES; i++) {
      await sleep(20); // the worker is idle, waiting
      const t0 = performance.now();
      const job = await client.pulse.enqueue('pulse.noop', {});
      await new Promise<void>((r) => (completed.has(job.id) ? r() : waiters.set(job.id, r)));
      out.push(started.get(job.id)! - t0);
    }
    return out;
  } finally {
    await client.close();
    await worker.close();
    await dropSchema(schema);
  }
}

// ---- graphile-worker

async function gwDrain(concurrency: number, batched: boolean): Promise<number> {
  const schema = schemaName('gw');
  await gw.runMigrations({ connectionString: PG_URL, schema, logger: gwSilent });
  const utils = await gw.makeWorkerUtils({ connectionString: PG_URL, schema, logger: gwSilent });
  try {
    for (let i = 0; i < N; i += 1000) await utils.addJobs(Array.from({ length: Math.min(1000, N - i) }, () => ({ identifier: 'noop', payload: {} })));
    let done = 0;
    let resolve!: () => void;
    const drained = new Promise<void>((r) => (resolve = r));
    const t0 = performance.now();
    const runner = await gw.run({
      connectionString: PG_URL,
      schema,
      concurrency,
      noHandleSignals: true,
      logger: gwSilent,
      taskList: {
        noop: async () => {
          if (++done === N) resolve();
        },
      },
      ...(batched ? { preset: { worker: { localQueue: { size: Math.max(8, concurrency * 4) }, completeJobBatchDelay: 0 } } } : {}),
    });
    await drained;
    const rate = (N / (performance.now() - t0)) * 1000;
    await runner.stop();
    return rate;
  } finally {
    await utils.release();
    await dropSchema(schema);
  }
}

async function gwLatency(): Promise<number[]> {
  const schema = schemaName('gw');
  await gw.runMigrations({ connectionString: PG_URL, schema, logger: gwSilent });
  const utils = await gw.makeWorkerUtils({ connectionString: PG_URL, schema, logger: gwSilent });
  const started = new Map<number, number>();
  const waiters = new Map<number, () => void>();
  const runner = await gw.run({
    connectionString: PG_URL,
    schema,
    concurrency: 2,
    noHandleSignals: true,
    logger: gwSilent,
    taskList: {
      noop: async (payload: unknown) => {
        const n = (payload as { n: number }).n;
        started.set(n, performance.now());
        setImmediate(() => waiters.get(n)?.());
      },
    },
  });
  try {
    const out: number[] = [];
    for (let i = 0; i < LATENCY_SAMPLES; i++) {
      await sleep(20);
      const t0 = performance.now();
      const done = new Promise<void>((r) => waiters.set(i, r));
      await utils.addJob('noop', { n: i });
      await done;
      out.push(started.get(i)! - t0);
    }
    return out;
  } finally {
    await runner.stop();
    await utils.release();
    await dropSchema(schema);
  }
}

// ---- the run

console.log(`machine: ${machine()}; graphile-worker ${gwVersion}`);
for (const c of [2, 4]) {
  const q = await qntxDrain(c);
  const g = await gwDrain(c, true);
  const d = await gwDrain(c, false);
  console.log(
    `no-op drain, ${fmt(N)} jobs, concurrency ${c}: qntx ${fmt(q)}/s; graphile-worker batched (localQueue, batched completions) ${fmt(g)}/s, ` +
      `defaults ${fmt(d)}/s (ratio ${fmt(q / g, 2)} and ${fmt(q / d, 2)}; target ≥ 1)`,
  );
}
const ql = (await qntxLatency()).sort((a, b) => a - b);
const gl = (await gwLatency()).sort((a, b) => a - b);
console.log(
  `add → start, ${LATENCY_SAMPLES} single jobs on an idle worker, added over another connection: ` +
    `qntx p50 ${fmt(percentile(ql, 50), 1)} ms, p99 ${fmt(percentile(ql, 99), 1)} ms; ` +
    `graphile-worker p50 ${fmt(percentile(gl, 50), 1)} ms, p99 ${fmt(percentile(gl, 99), 1)} ms ` +
    `(p99 ratio ${fmt(percentile(ql, 99) / percentile(gl, 99), 2)}; target ≤ 1)`,
);
