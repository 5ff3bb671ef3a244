// CLI start-up: `qntx --version`, `qntx --help` and a `qntx ax` question against a store of N
// attestations, end to end (spawn to exit), each beside `node -e 0` measured in the same run.
// BENCH_CLI_ROWS (default 100,000) sizes the store; BENCH_CLI_RUNS (default 7) the repetitions.
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { fmt, machine, percentile } from './util.js';

const BIN = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', 'bin', 'qntx.js');
const ROWS = Number(process.env.BENCH_CLI_ROWS ?? 100_000);
const RUNS = Number(process.env.BENCH_CLI_RUNS ?? 7);

function time(args: string[], env: Record<string, string> = {}): number {
  const t = performance.now();
  const r = spawnSync(process.execPath, args, { env: { ...process.env, ...env }, stdio: ['ignore', 'ignore', 'pipe'] });
  const ms = performance.now() - t;
  if (r.status !== 0) throw new Error(`${args.join(' ')}: exit ${r.status}: ${r.stderr.toString()}`);
  return ms;
}

function median(args: string[], env?: Record<string, string>): number {
  const xs = Array.from({ length: RUNS }, () => time(args, env)).sort((a, b) => a - b);
  return percentile(xs, 50);
}

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'qntx-cli-bench-'));
try {
  const file = path.join(dir, 'a.jsonl');
  const lines: string[] = [];
  for (let i = 0; i < ROWS; i++) {
    lines.push(JSON.stringify({ subjects: [`user-${i % 5000}`], predicates: [i % 100 === 0 ? 'engineer' : `role-${i % 37}`], contexts: [`org-${i % 211}`], actors: ['bench'], timestamp: 1_700_000_000_000 + i * 1000 }));
  }
  fs.writeFileSync(file, lines.join('\n') + '\n');
  time([BIN, 'import', file, '--data-dir', dir]);
  const env = { QNTX_LOG_LEVEL: 'warn' };
  const baseline = median(['-e', '0']);
  const rows: Array<[string, number]> = [
    ['qntx --version', median([BIN, '--version'], env)],
    ['qntx --help', median([BIN, '--help'], env)],
    [`qntx ax user-42 is engineer (${fmt(ROWS)} attestations)`, median([BIN, 'ax', 'user-42', 'is', 'engineer', '--data-dir', dir], env)],
    [`qntx ax of org-7 --count (${fmt(ROWS)} attestations)`, median([BIN, 'ax', 'of', 'org-7', '--count', '--data-dir', dir], env)],
  ];
  console.log(`# CLI start-up, median of ${RUNS} runs (${machine()})`);
  console.log(`node -e 0: ${fmt(baseline, 0)} ms`);
  for (const [name, ms] of rows) console.log(`${name}: ${fmt(ms, 0)} ms (${fmt(ms / baseline, 1)}× node -e 0, +${fmt(ms - baseline, 0)} ms)`);
} finally {
  fs.rmSync(dir, { recursive: true, force: true });
}
