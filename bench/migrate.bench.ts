// `qntx migrate` SQLite → PostgreSQL of a store of N attestations (BENCH_MIGRATE_N, default
// 100,000; loaded with the real `qntx import`): rows a second written with COPY (what restore and
// migrate use) beside multi-row INSERT (the way they wrote before), in the same run, alternated
// INSERT, COPY, INSERT, COPY … (BENCH_MIGRATE_ROUNDS pairs, default 2) so that a change in the
// machine's load falls on both. Each run copies into a fresh schema, at the CLI's default batch of
// 2000 rows a transaction (BENCH_MIGRATE_BATCH), and verifies (counts, attestation-id checksum) as
// migrate always does: the time is the whole command's but the start-up of node.
// The machine is shared, so wall time swings with others' load: each run also reports the CPU
// time it used, this process's (reading SQLite, encoding) and its PostgreSQL backends' (read from
// /proc every 100 ms, so PostgreSQL must run on this machine; what a backend used in its last
// 100 ms before it closed is missed, alike for both ways), which others' load moves far less.
// PostgreSQL from BENCH_DATABASE_URL or QNTX_TEST_DATABASE_URL.
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { PgWrite } from '../src/ops/target.js';
import { migrateStore } from '../src/ops/transfer.js';
import { prepareSchema } from '../test/fixtures/pulse-db.js';
import { uniqueSchema } from '../test/helpers.js';
import pg from 'pg';
import { quoteIdent } from '../src/db/database.js';
import { fmt, machine } from './util.js';

const BIN = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', 'bin', 'qntx.js');
const N = Number(process.env.BENCH_MIGRATE_N ?? 100_000);
const ROUNDS = Number(process.env.BENCH_MIGRATE_ROUNDS ?? 2);
const BATCH = Number(process.env.BENCH_MIGRATE_BATCH ?? 2000);
const PG_URL = process.env.BENCH_DATABASE_URL ?? process.env.QNTX_TEST_DATABASE_URL;
if (!PG_URL) throw new Error('set BENCH_DATABASE_URL or QNTX_TEST_DATABASE_URL to a PostgreSQL server');

function pgUrl(schema: string, app?: string): string {
  const u = new URL(PG_URL!);
  u.searchParams.set('options', `-c search_path=${schema}`);
  if (app) u.searchParams.set('application_name', app);
  return u.toString();
}

const TICK = Number(spawnSync('getconf', ['CLK_TCK']).stdout.toString().trim()) || 100;

/** CPU seconds (user + system) of a process so far, or undefined once it is gone. */
function procCpu(pid: number): number | undefined {
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (Number(f[11]) + Number(f[12])) / TICK;
  } catch {
    return undefined;
  }
}

/** Follows the CPU time of the backends whose application_name is `app`, until stopped. */
function backendCpu(app: string): { stop(): Promise<number> } {
  const seen = new Map<number, number>();
  const c = new pg.Client({ connectionString: PG_URL });
  let timer: NodeJS.Timeout | undefined;
  let busy = false;
  const sample = async () => {
    if (busy) return;
    busy = true;
    try {
      const { rows } = await c.query<{ pid: number }>('select pid from pg_stat_activity where application_name = $1', [app]);
      for (const { pid } of rows) {
        const cpu = procCpu(pid);
        if (cpu !== undefined) seen.set(pid, Math.max(seen.get(pid) ?? 0, cpu));
      }
    } finally {
      busy = false;
    }
  };
  const started = c.connect().then(() => {
    timer = setInterval(() => void sample().catch(() => {}), 100);
  });
  return {
    async stop() {
      await started;
      clearInterval(timer);
      await c.end();
      return [...seen.values()].reduce((a, b) => a + b, 0);
    },
  };
}

async function dropSchema(schema: string): Promise<void> {
  const c = new pg.Client({ connectionString: PG_URL });
  await c.connect();
  try {
    await c.query(`drop schema if exists ${quoteIdent(schema)} cascade`);
  } finally {
    await c.end();
  }
}

interface Run {
  write: PgWrite;
  seconds: number;
  /** CPU seconds: this process, and the target's PostgreSQL backends. */
  nodeCpu: number;
  pgCpu: number;
  rows: number;
  attestations: number;
}

async function once(dataDir: string, write: PgWrite): Promise<Run> {
  const schema = uniqueSchema();
  await prepareSchema(PG_URL!, schema);
  try {
    const app = `qntx-bench-${schema}`;
    const cpu = backendCpu(app);
    const cpu0 = process.cpuUsage();
    const t = performance.now();
    const res = await migrateStore({ kind: 'sqlite', dataDir }, { kind: 'postgres', url: pgUrl(schema, app) }, { pgWrite: write, batch: BATCH });
    const seconds = (performance.now() - t) / 1000;
    const used = process.cpuUsage(cpu0);
    const pgCpu = await cpu.stop();
    const rows = Object.values(res.tables).reduce((a, b) => a + b, 0);
    return { write, seconds, nodeCpu: (used.user + used.system) / 1e6, pgCpu, rows, attestations: res.tables.attestations ?? 0 };
  } finally {
    await dropSchema(schema);
  }
}

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'qntx-migrate-bench-'));
try {
  const file = path.join(dir, 'a.jsonl');
  const lines: string[] = [];
  for (let i = 0; i < N; i++) {
    lines.push(
      JSON.stringify({
        subjects: [`s-${i}`],
        predicates: [`p-${i % 7}`],
        contexts: [`c-${i % 100}`],
        actors: ['loader'],
        timestamp: 1_700_000_000_000 + i,
        attributes: { n: i, note: i % 10 === 0 ? 'tab\there, newline\nthere, back\\slash' : 'plain' },
      }),
    );
  }
  fs.writeFileSync(file, lines.join('\n') + '\n');
  const dataDir = path.join(dir, 'data');
  const imp = spawnSync(process.execPath, [BIN, 'import', file, '--data-dir', dataDir, '--json'], { env: { ...process.env, QNTX_LOG_LEVEL: 'warn' } });
  if (imp.status !== 0) throw new Error(`import: ${imp.stderr.toString()}`);

  console.log(`migrate SQLite → PostgreSQL, ${fmt(N)} attestations, batch ${BATCH}, ${machine()}, load average ${os.loadavg().map((x) => x.toFixed(1)).join(' ')}`);
  const runs: Run[] = [];
  for (let r = 0; r < ROUNDS; r++) {
    for (const write of ['insert', 'copy'] as const) {
      const run = await once(dataDir, write);
      runs.push(run);
      console.log(
        `  ${write.padEnd(6)} ${run.seconds.toFixed(2)} s  ${fmt(run.rows / run.seconds)} rows/s (${fmt(run.rows)} rows)  ${fmt(run.attestations / run.seconds)} attestations/s` +
          `  CPU: node ${run.nodeCpu.toFixed(2)} s, PostgreSQL ${run.pgCpu.toFixed(2)} s  load ${os.loadavg()[0]!.toFixed(1)}`,
      );
    }
  }
  const best = (w: PgWrite, f: (r: Run) => number) => Math.min(...runs.filter((r) => r.write === w).map(f));
  const pairs = Array.from({ length: ROUNDS }, (_, r) => runs[2 * r]!.seconds / runs[2 * r + 1]!.seconds);
  const wall = (r: Run) => r.seconds;
  const pgc = (r: Run) => r.pgCpu;
  const all = (r: Run) => r.pgCpu + r.nodeCpu;
  console.log(`COPY / INSERT rows/s, per pair: ${pairs.map((x) => x.toFixed(2)).join(', ')}; best against best: ${(best('insert', wall) / best('copy', wall)).toFixed(2)}`);
  console.log(
    `INSERT / COPY CPU seconds, best against best: PostgreSQL ${(best('insert', pgc) / best('copy', pgc)).toFixed(2)}, node + PostgreSQL ${(best('insert', all) / best('copy', all)).toFixed(2)}`,
  );
  console.log(`load average after: ${os.loadavg().map((x) => x.toFixed(1)).join(' ')}`);
} finally {
  fs.rmSync(dir, { recursive: true, force: true });
}
