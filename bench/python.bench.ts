// Python runner benchmark: (a) a trivial run beside a cold interpreter start, (b) attest()
// throughput, (c) memory of Node and of the warm parent over 1,000 runs. The runner is built as
// the server builds it (serverPythonRunner: sandbox uid, private directory, janitor, a mount
// namespace hiding a data directory); the HTTP path is bench/python-http.bench.ts.
// Results: docs/benchmarks.md.
import { RunWriter } from '../src/ix/run-writer.js';
import { openTestQntx } from '../test/helpers.js';
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import { performance } from 'node:perf_hooks';
import { silentLogger } from '../src/logger.js';
import { resolvePython } from '../src/python/find-python.js';
import { loadSettings } from '../src/config.js';
import { serverPythonRunner } from '../src/python/for-server.js';
import type { PythonRunner } from '../src/python/runner.js';
import path from 'node:path';

const TRIVIAL_RUNS = 200;
const COLD_RUNS = 50;
const ATTESTATIONS = 100_000;
const MEMORY_RUNS = 1000;

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!;
}

function vmRssKb(pid: number): number {
  const m = /^VmRSS:\s+(\d+)/m.exec(fs.readFileSync(`/proc/${pid}/status`, 'utf8'));
  return m ? Number(m[1]) : NaN;
}

function coldStart(executable: string): Promise<number> {
  const t = performance.now();
  return new Promise((resolve, reject) => {
    const p = spawn(executable, ['-c', 'pass'], { stdio: 'ignore' });
    p.once('error', reject);
    p.once('exit', () => resolve(performance.now() - t));
  });
}

const ms = (x: number): string => x.toFixed(2);

async function trivial(runner: PythonRunner, executable: string): Promise<void> {
  for (let i = 0; i < 20; i++) await runner.run({ code: 'pass', lane: 'adhoc' }); // warm-up
  const runs: number[] = [];
  for (let i = 0; i < TRIVIAL_RUNS; i++) {
    const t = performance.now();
    const r = await runner.run({ code: 'pass', lane: 'adhoc' }); // as POST /api/python/execute
    runs.push(performance.now() - t);
    if (!r.success) throw new Error(`trivial run failed: ${r.error}`);
  }
  const cold: number[] = [];
  for (let i = 0; i < COLD_RUNS; i++) cold.push(await coldStart(executable));
  runs.sort((a, b) => a - b);
  cold.sort((a, b) => a - b);
  const coldP50 = percentile(cold, 50);
  console.log(`(a) trivial run (pass), ${TRIVIAL_RUNS} runs: p50 ${ms(percentile(runs, 50))} ms, p99 ${ms(percentile(runs, 99))} ms`);
  console.log(`    cold \`${executable} -c pass\`, ${COLD_RUNS} runs: p50 ${ms(coldP50)} ms`);
  console.log(`    ratio p50 run / p50 cold: ${(percentile(runs, 50) / coldP50).toFixed(3)} (target <= 0.5)`);
}

async function throughput(runner: PythonRunner): Promise<void> {
  for (const [label, code] of [
    ['plain', `for i in range(${ATTESTATIONS}):\n    attest('s%d' % i, 'p', 'c')\n`],
    ['with attributes', `for i in range(${ATTESTATIONS}):\n    attest(['s%d' % i, 'x'], 'p', 'c', actors='a', attributes={'i': i, 'k': 'v'}, timestamp=1700000000000 + i)\n`],
  ] as const) {
    let delivered = 0;
    let batches = 0;
    const t = performance.now();
    const r = await runner.run({
      code,
      onAttestations: async (batch) => {
        delivered += batch.length;
        batches++;
      },
    });
    const took = performance.now() - t;
    const total = delivered + r.pending.length;
    if (!r.success || total !== ATTESTATIONS) throw new Error(`throughput run failed: ${r.error} (${total})`);
    console.log(`(b) ${ATTESTATIONS} attest() ${label}: ${ms(took)} ms, ${Math.round(total / (took / 1000))}/s (${batches} batches delivered)`);
  }
}

/** (b') attest() into a real SQLite store (validation + batched inserts), beside a raw
 *  better-sqlite3 prepared insert of the same rows in one transaction per batch. */
async function intoStore(runner: PythonRunner): Promise<void> {
  const q = await openTestQntx('sqlite');
  try {
    const writer = new RunWriter({ ats: q.ats, source: 'bench', actor: 'bench' });
    const code = `for i in range(${ATTESTATIONS}):\n    attest('s%d' % i, 'p', 'c', attributes={'i': i})\n`;
    let t = performance.now();
    const r = await runner.run({ code, onAttestations: (b) => writer.write(b) });
    await writer.write(r.pending);
    const viaAttest = writer.created / ((performance.now() - t) / 1000);
    if (!r.success || writer.created !== ATTESTATIONS) throw new Error(`store run failed: ${r.error}`);

    const raw = q.database.sqlite!;
    const insA = raw.prepare(`insert into attestations (id, subjects, predicates, contexts, actors, timestamp, source, attributes, created_at)
      values (?, ?, ?, ?, ?, ?, ?, ?, ?)`);
    const insF = raw.prepare('insert into attestation_fields (field, value, folded, timestamp, seq) values (?, ?, ?, ?, ?)');
    const rows = Array.from({ length: ATTESTATIONS }, (_, i) => [q.ats.ids.next(), `r${i}`, i] as const);
    const tx = raw.transaction((batch: ReadonlyArray<readonly [string, string, number]>) => {
      for (const [id, subject, i] of batch) {
        const ts = 1_700_000_000_000 + i;
        const seq = insA.run(id, JSON.stringify([subject]), '["p"]', '["c"]', '["bench"]', ts, 'bench', JSON.stringify({ i }), ts).lastInsertRowid;
        insF.run(1, subject, subject, ts, seq);
        insF.run(2, 'p', 'p', ts, seq);
        insF.run(3, 'c', 'c', ts, seq);
        insF.run(4, 'bench', 'bench', ts, seq);
      }
    });
    t = performance.now();
    for (let i = 0; i < rows.length; i += 1000) tx(rows.slice(i, i + 1000));
    const rawRate = ATTESTATIONS / ((performance.now() - t) / 1000);
    console.log(`(b') ${ATTESTATIONS} attest() into SQLite: ${Math.round(viaAttest)}/s; raw prepared insert ${Math.round(rawRate)}/s; ratio ${(viaAttest / rawRate).toFixed(2)} (target >= 0.33)`);
  } finally {
    await q.cleanup();
  }
}

async function memory(runner: PythonRunner): Promise<void> {
  await runner.run({ code: 'pass' });
  const pid = runner.parentPid!;
  const code = "x = [i * i for i in range(1000)]\nattest('s', 'p', 'c')\nprint(len(x))\nix.state['n'] = 1\n";
  const nodeStart = process.memoryUsage().rss / 1024;
  const parentStart = vmRssKb(pid);
  const t = performance.now();
  for (let i = 0; i < MEMORY_RUNS; i++) {
    const r = await runner.run({ code });
    if (!r.success) throw new Error(`run ${i} failed: ${r.error}`);
  }
  const took = performance.now() - t;
  global.gc?.();
  const nodeEnd = process.memoryUsage().rss / 1024;
  const parentEnd = vmRssKb(pid);
  if (runner.parentPid !== pid) throw new Error('the warm parent was restarted');
  console.log(`(c) ${MEMORY_RUNS} runs in a row (${ms(took / MEMORY_RUNS)} ms each): ` +
    `Node rss ${Math.round(nodeStart / 1024)} -> ${Math.round(nodeEnd / 1024)} MiB, ` +
    `warm parent VmRSS ${Math.round(parentStart / 1024)} -> ${Math.round(parentEnd / 1024)} MiB`);
}

async function main(): Promise<void> {
  const info = await resolvePython('python3');
  console.log(`python ${info.version.join('.')} (${info.executable}), node ${process.version}, ${os.cpus().length} cpus`);
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'qntx-bench-python-'));
  const runner = serverPythonRunner(loadSettings({ dataDir, port: 0, logLevel: 'silent' }, {}), silentLogger());
  try {
    await trivial(runner, info.executable);
    await throughput(runner);
    await intoStore(runner);
    await memory(runner);
  } finally {
    await runner.close();
    fs.rmSync(dataDir, { recursive: true, force: true });
  }
}

await main();
