// `qntx ax` end to end (spawn to exit, output printed to a pipe) against a SQLite store of
// 1,000,000 attestations, several query forms, beside `node -e 0` and `qntx --version` measured in
// the same rounds (npm run bench:cli-ax). Goal: every form ≤ 500 ms.
//
// The store is built once with the real `qntx import` (about a minute and a half) and kept in
// BENCH_CLI_AX_DIR (default <tmpdir>/qntx-cli-ax-<rows>) for later runs: delete it to build it
// again. BENCH_CLI_AX_ROWS (default 1,000,000) sizes it; BENCH_CLI_RUNS (default 9) the rounds.
// BENCH_CLI_AX_BEFORE=<path of another build's bin/qntx.js> runs each form with it too, in the
// same rounds (e.g. a build of the commit before a change, for a before/after of that change).
// Each round runs every command once, in turn, so all of them see the same machine (other work
// may share it); each figure is the median of its rounds: the wall time, spawn to exit, and (with
// GNU time at /usr/bin/time; its own start is in both) the CPU time the process used.
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { fmt, machine, percentile } from './util.js';

const BIN = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', 'bin', 'qntx.js');
const ROWS = Number(process.env.BENCH_CLI_AX_ROWS ?? 1_000_000);
const RUNS = Number(process.env.BENCH_CLI_RUNS ?? 9);
const DIR = process.env.BENCH_CLI_AX_DIR ?? path.join(os.tmpdir(), `qntx-cli-ax-${ROWS}`);
const DATA = path.join(DIR, 'data');
const BEFORE = process.env.BENCH_CLI_AX_BEFORE;

/** A deterministic pseudo-random sequence (the same store on every machine). */
function lcg(seed: number): () => number {
  let s = seed;
  return () => (s = (s * 1103515245 + 12345) & 0x7fffffff) / 0x7fffffff;
}

/**
 * Attestations spread as a real store's are: 80,000 subjects, 160 predicates, some 3,000 contexts
 * and 27 actors, each drawn with a skew towards the first (a few are common, most rare); 10% have
 * two subjects, 30% attributes; timestamps spread over 2024–2025.
 */
function writeJsonLines(file: string, n: number): void {
  const rnd = lcg(42);
  const skewed = (k: number) => Math.floor(k * rnd() ** 3);
  const predicates = ['member', 'engineer', 'manager', 'owner', 'modifies', 'reviewed', 'deployed', 'mentions', 'located_in', 'reports_to'];
  for (let i = 0; i < 150; i++) predicates.push(`pred-${i}`);
  const contexts = ['ACME', 'Globex', 'Initech', 'Umbrella', 'Hooli'];
  for (let i = 0; i < 3000; i++) contexts.push(`org-${i}`);
  const actors = ['hr', 'ix:git', 'ix:jira', 'llm:summariser', 'alice', 'bob', 'import'];
  for (let i = 0; i < 20; i++) actors.push(`ix:bot-${i}`);
  const t0 = Date.UTC(2024, 0, 1);
  const span = 2 * 365 * 86_400_000;
  const fd = fs.openSync(file, 'w');
  let lines: string[] = [];
  for (let i = 0; i < n; i++) {
    const a: Record<string, unknown> = {
      subjects: [`user-${skewed(80_000)}`],
      predicates: [predicates[skewed(predicates.length)]],
      contexts: [contexts[skewed(contexts.length)]],
      actors: [actors[skewed(actors.length)]],
      timestamp: t0 + Math.floor((i / n) * span) + Math.floor(rnd() * 60_000),
    };
    if (rnd() < 0.1) (a.subjects as string[]).push(`user-${skewed(80_000)}`);
    if (rnd() < 0.3) a.attributes = { repo: `/srv/repo-${skewed(50)}`, weight: Math.floor(rnd() * 100) };
    lines.push(JSON.stringify(a));
    if (lines.length === 10_000 || i === n - 1) {
      fs.writeSync(fd, lines.join('\n') + '\n');
      lines = [];
    }
  }
  fs.closeSync(fd);
}

/**
 * GNU time, where there is one, also gives each run's CPU time (user + system): on a machine
 * other work loads, it moves far less than the wall time does.
 */
const GNU_TIME = fs.existsSync('/usr/bin/time') ? '/usr/bin/time' : undefined;
const CPU_MARK = 'qntx-bench-cpu';

function run(args: string[]): { ms: number; cpuMs: number | undefined; out: string } {
  const [cmd, argv] = GNU_TIME ? [GNU_TIME, ['-f', `${CPU_MARK} %U %S`, process.execPath, ...args]] : [process.execPath, args];
  const t = performance.now();
  const r = spawnSync(cmd, argv, { env: { ...process.env, QNTX_LOG_LEVEL: 'warn' }, stdio: ['ignore', 'pipe', 'pipe'], maxBuffer: 64 << 20 });
  const ms = performance.now() - t;
  if (r.status !== 0) throw new Error(`${args.join(' ')}: exit ${r.status}: ${r.stderr.toString()}`);
  const m = new RegExp(`${CPU_MARK} ([\\d.]+) ([\\d.]+)`).exec(r.stderr.toString());
  return { ms, cpuMs: m ? (Number(m[1]) + Number(m[2])) * 1000 : undefined, out: r.stdout.toString() };
}

if (!fs.existsSync(path.join(DATA, 'qntx.db'))) {
  fs.mkdirSync(DIR, { recursive: true });
  const file = path.join(DIR, 'attestations.jsonl');
  console.log(`building the store of ${fmt(ROWS)} attestations in ${DATA} (kept for later runs)…`);
  writeJsonLines(file, ROWS);
  const t = performance.now();
  run([BIN, 'import', file, '--data-dir', DATA]);
  console.log(`imported in ${fmt((performance.now() - t) / 1000, 1)} s`);
  fs.rmSync(file);
}

const queries: Array<[string, string[]]> = [
  ['is member of ACME', ['is', 'member', 'of', 'ACME']],
  ['user-7', ['user-7']],
  ['is engineer of ACME by hr --json', ['is', 'engineer', 'of', 'ACME', 'by', 'hr', '--json']],
  ['since 2025-06-01 until 2025-07-01 --limit 20', ['since', '2025-06-01', 'until', '2025-07-01', '--limit', '20']],
  ['of ACME since 2025-01 --count', ['of', 'ACME', 'since', '2025-01', '--count']],
  ["is manager since '2 years ago' --limit 20", ['is', 'manager', 'since', '2 years ago', '--limit', '20']],
];
const forms: Array<[string, string[]]> = [
  ['node -e 0', ['-e', '0']],
  ['qntx --version', [BIN, '--version']],
  ...queries.flatMap(([name, words]): Array<[string, string[]]> => [
    [`qntx ax ${name}`, [BIN, 'ax', ...words, '--data-dir', DATA]],
    ...(BEFORE ? [[`  before: qntx ax ${name}`, [BEFORE, 'ax', ...words, '--data-dir', DATA]] as [string, string[]]] : []),
  ]),
];

const times = forms.map(() => [] as number[]);
const cpu = forms.map(() => [] as number[]);
const outputs = forms.map(() => '');
for (let round = 0; round < RUNS; round++) {
  forms.forEach(([, args], i) => {
    const r = run(args);
    times[i]!.push(r.ms);
    if (r.cpuMs !== undefined) cpu[i]!.push(r.cpuMs);
    outputs[i] = r.out;
  });
}
const median = (xs: number[]) => percentile([...xs].sort((a, b) => a - b), 50);
const baseline = median(times[0]!);
console.log(`# qntx ax end to end at ${fmt(ROWS)} attestations (SQLite), median of ${RUNS} rounds (${machine()}, load average ${os.loadavg().map((x) => x.toFixed(1)).join(' ')})`);
forms.forEach(([name], i) => {
  const ms = median(times[i]!);
  const vs = i === 0 ? '' : ` (${fmt(ms / baseline, 1)}× node -e 0, +${fmt(ms - baseline, 0)} ms)`;
  const goal = name.startsWith('qntx ax') ? (ms <= 500 ? '  ≤ 500 ms ✓' : '  > 500 ms ✗') : '';
  // The same output as this build's, where the build before ran too.
  const same = name.startsWith('  before') ? (outputs[i] === outputs[i - 1] ? ', same output' : ', OUTPUT DIFFERS') : '';
  const lines = outputs[i]!.split('\n').length - 1;
  const cpuMs = cpu[i]!.length ? `, CPU ${fmt(median(cpu[i]!), 0)} ms` : '';
  console.log(`${name}: ${fmt(ms, 0)} ms${vs}${cpuMs}, ${lines} line(s) out, min ${fmt(Math.min(...times[i]!), 0)} max ${fmt(Math.max(...times[i]!), 0)}${goal}${same}`);
});
