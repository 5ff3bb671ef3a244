// Benchmark of Pulse (npm run bench:pulse) on SQLite, and on PostgreSQL when
// QNTX_TEST_DATABASE_URL is set:
// 1. no-op job throughput: enqueue N, then drain with a worker of concurrency 2 and 4;
// 2. dispatch lateness (due → execution started) with 10,000 active schedules at mixed intervals;
// 3. the CPU used by an idle process holding 10,000 schedules (ticker + worker polling).
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { z } from 'zod';
import { systemClock } from '../src/clock.js';
import { quoteIdent, type Database } from '../src/db/database.js';
import { silentLogger } from '../src/logger.js';
import { Catalog } from '../src/pulse/catalog.js';
import { PulseIds } from '../src/pulse/ids.js';
import { Pulse } from '../src/pulse/pulse.js';
import { newScheduleRow, type ScheduleRow } from '../src/pulse/rows.js';
import { openTestDatabase, prepareSchema } from '../test/fixtures/pulse-db.js';
import { fmt, machine, percentile } from './util.js';

type DbKind = 'sqlite' | 'postgres';
const PG_URL = process.env.QNTX_TEST_DATABASE_URL;
const KINDS: DbKind[] = PG_URL ? ['sqlite', 'postgres'] : ['sqlite'];
const JOBS: Record<DbKind, number> = { sqlite: 20_000, postgres: 10_000 };
const SCHEDULES = 10_000;
/** The dispatch test fires 10,000 × Σ 1/(5·interval) ≈ 574 executions a second. */
const INTERVALS_S = [5, 15, 60, 300, 3600];
const LATENESS_WINDOW_MS = Number(process.env.BENCH_WINDOW_MS ?? 20_000);
const IDLE_WINDOW_MS = 10_000;
/** Runs only some parts, e.g. BENCH_ONLY=idle or BENCH_ONLY=throughput,lateness. */
const ONLY = new Set((process.env.BENCH_ONLY ?? 'throughput,lateness,idle').split(','));

function catalog(): Catalog {
  return new Catalog().register({ name: 'noop', payload: z.object({}).passthrough(), timeoutMs: 60_000, maxRetries: 0, run: async () => ({}) });
}

interface Scratch {
  database: Database;
  cleanup(): Promise<void>;
}

/** A throwaway database: a temp SQLite file, or a fresh PostgreSQL schema. */
async function scratch(kind: DbKind): Promise<Scratch> {
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'qntx-bench-'));
  const pgSchema = kind === 'postgres' ? `qntx_bench_${randomBytes(6).toString('hex')}` : undefined;
  if (pgSchema) await prepareSchema(PG_URL!, pgSchema);
  const database = await openTestDatabase({ dataDir, databaseUrl: pgSchema ? PG_URL : undefined, pgSchema, poolSize: 12 });
  return {
    database,
    async cleanup() {
      await database.close();
      if (pgSchema) {
        const c = new pg.Client({ connectionString: PG_URL });
        await c.connect();
        await c.query(`drop schema if exists ${quoteIdent(pgSchema)} cascade`);
        await c.end();
      }
      fs.rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

function makePulse(q: Scratch, opts: { concurrency: number; ticker: boolean }): Pulse {
  return new Pulse({
    database: q.database,
    clock: systemClock,
    logger: silentLogger(),
    catalog: catalog(),
    resolver: async () => ({ handler_name: 'noop', payload: {} }),
    workerId: 'bench',
    leaseMs: 30_000,
    ...opts,
  });
}

async function throughput(kind: DbKind, n: number, concurrency: number): Promise<{ enqueue: number; drain: number }> {
  const q = await scratch(kind);
  try {
    const pulse = makePulse(q, { concurrency, ticker: false });
    const t0 = performance.now();
    const inFlight = kind === 'postgres' ? 8 : 1;
    for (let i = 0; i < n; i += inFlight) {
      await Promise.all(Array.from({ length: Math.min(inFlight, n - i) }, () => pulse.enqueue('noop', {})));
    }
    const t1 = performance.now();
    let done = 0;
    const drained = new Promise<void>((resolve) =>
      pulse.events.on('job_update', (e) => {
        if (e.status === 'completed' && ++done === n) resolve();
      }),
    );
    await pulse.start();
    await drained;
    const t2 = performance.now();
    await pulse.stop();
    return { enqueue: (n / (t1 - t0)) * 1000, drain: (n / (t2 - t1)) * 1000 };
  } finally {
    await q.cleanup();
  }
}

/** 10,000 active schedules, spread evenly over their first interval. */
async function seedSchedules(pulse: Pulse, now: number, firstRunAfterMs: (interval: number, i: number) => number): Promise<void> {
  const ids = new PulseIds(() => now);
  for (let i = 0; i < SCHEDULES; i += 500) {
    const rows: ScheduleRow[] = [];
    for (let k = i; k < Math.min(SCHEDULES, i + 500); k++) {
      const interval = INTERVALS_S[k % INTERVALS_S.length]!;
      rows.push(
        newScheduleRow({
          id: ids.next('SC'),
          ats_code: 'noop',
          handler_name: 'noop',
          payload: {},
          interval_seconds: interval,
          next_run_at: now + firstRunAfterMs(interval, k),
          created_from: 'bench',
          now,
        }),
      );
    }
    await Promise.all(rows.map((r) => pulse.scheduleStore.insert(r)));
  }
}

interface Lateness {
  executions: number;
  dispatchP50: number;
  dispatchP99: number;
  startP50: number;
  startP99: number;
  skipped: number;
}

async function lateness(kind: DbKind): Promise<Lateness> {
  const q = await scratch(kind);
  try {
    const pulse = makePulse(q, { concurrency: 4, ticker: true });
    // Each schedule's first run falls at a random point of its first interval: the steady state.
    // Seeded relative to 0, then moved to start 1 s from now in one statement, so that the time
    // seeding takes does not make the first runs late.
    let seed = 1;
    await seedSchedules(pulse, 0, (interval) => {
      seed = (seed * 48271) % 2147483647;
      return seed % (interval * 1000);
    });
    const t0 = Date.now() + 1000;
    await q.database.db
      .updateTable('pulse_schedules')
      .set((eb) => ({ next_run_at: eb('next_run_at', '+', t0), created_at: t0, updated_at: t0 }))
      .execute();
    const startedAt = new Map<string, number>();
    pulse.events.on('pulse_execution_started', (e) => startedAt.set(e.execution_id, Date.now()));
    let skipped = 0;
    pulse.events.on('pulse_execution_skipped', () => skipped++);
    await pulse.start();
    await new Promise((r) => setTimeout(r, t0 - Date.now() + LATENESS_WINDOW_MS));
    await pulse.stop();
    const rows = await q.database.db
      .selectFrom('pulse_executions')
      .select(['id', 'due_at', 'started_at'])
      .where('due_at', '>=', t0)
      .where('due_at', '<', t0 + LATENESS_WINDOW_MS - 1000)
      .execute();
    const dispatch = rows.map((r) => r.started_at - r.due_at!).sort((a, b) => a - b);
    const start = rows
      .filter((r) => startedAt.has(r.id))
      .map((r) => startedAt.get(r.id)! - r.due_at!)
      .sort((a, b) => a - b);
    return {
      executions: rows.length,
      dispatchP50: percentile(dispatch, 50),
      dispatchP99: percentile(dispatch, 99),
      startP50: percentile(start, 50),
      startP99: percentile(start, 99),
      skipped,
    };
  } finally {
    await q.cleanup();
  }
}

/** CPU of this process while it holds 10,000 schedules, none due during the window, in % of one core. */
async function idleCpu(kind: DbKind): Promise<number> {
  const q = await scratch(kind);
  try {
    const pulse = makePulse(q, { concurrency: 2, ticker: true });
    const now = Date.now();
    await seedSchedules(pulse, now, (_interval, k) => 120_000 + (k % 600) * 1000);
    await pulse.start();
    await new Promise((r) => setTimeout(r, 2000));
    const before = process.cpuUsage();
    const t = performance.now();
    await new Promise((r) => setTimeout(r, IDLE_WINDOW_MS));
    const used = process.cpuUsage(before);
    const elapsed = performance.now() - t;
    await pulse.stop();
    return ((used.user + used.system) / 1000 / elapsed) * 100;
  } finally {
    await q.cleanup();
  }
}

console.log(`machine: ${machine()}`);
for (const kind of ONLY.has('throughput') ? KINDS : []) {
  for (const c of [2, 4]) {
    const r = await throughput(kind, JOBS[kind], c);
    const target = kind === 'sqlite' ? 5000 : 2000;
    const line = `${kind}: ${fmt(JOBS[kind])} no-op jobs, concurrency ${c}: enqueue ${fmt(r.enqueue)}/s, drain ${fmt(r.drain)}/s (target ≥ ${fmt(target)}/s)`;
    console.log(line);
  }
}
for (const kind of ONLY.has('lateness') ? KINDS : []) {
  const l = await lateness(kind);
  const line =
    `${kind}: ${fmt(SCHEDULES)} schedules (intervals ${INTERVALS_S.join('/')} s), ${fmt(LATENESS_WINDOW_MS / 1000)} s, ` +
    `${fmt(l.executions)} executions: due → dispatched p50 ${fmt(l.dispatchP50)} ms, p99 ${fmt(l.dispatchP99)} ms; ` +
    `due → job started p50 ${fmt(l.startP50)} ms, p99 ${fmt(l.startP99)} ms (target p99 ≤ 250 ms); skipped ${l.skipped}`;
  console.log(line);
}
for (const kind of ONLY.has('idle') ? KINDS : []) {
  const cpu = await idleCpu(kind);
  const line = `${kind}: idle process holding ${fmt(SCHEDULES)} schedules: ${fmt(cpu, 2)}% of one core over ${IDLE_WINDOW_MS / 1000} s (target < 2%)`;
  console.log(line);
}
