// Benchmark of ixgest.git through the real job (npm run bench:git), on histories made with git
// fast-import, stored in SQLite:
// 1. a 100k-commit history ingested, then ingested again (nothing new: the second run walks only
//    what the remembered tips do not reach), beside `git log` alone streaming the same history
//    with the same arguments (the baseline: git at its fastest, output read and dropped);
// 2. queries at ~1M attestations (an 85k-commit history, 8 files a commit): files of a commit,
//    commits of an author, authors of a file (subjects_from), each page and count.
import { execFileSync, spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import type { AttestationFilter } from '../src/ats/types.js';
import { logArgs } from '../src/ix/git-log.js';
import type { ExecutionDto } from '../src/protocol.js';
import { openTestQntx, tempDir, type TestQntx } from '../test/helpers.js';
import { fmt, machine, percentile } from './util.js';

const INGEST_COMMITS = Number(process.env.BENCH_GIT_COMMITS ?? 100_000);
const QUERY_COMMITS = Number(process.env.BENCH_GIT_QUERY_COMMITS ?? 85_000);
const AUTHORS = 400;

function makeRepo(dir: string, n: number, files: number): void {
  execFileSync('git', ['init', '-q', '-b', 'main', dir]);
  const parts: string[] = [];
  for (let i = 1; i <= n; i++) {
    const msg = `commit ${i}\n\nbody of ${i}`;
    const who = `Dev ${i % AUTHORS} <dev${i % AUTHORS}@example.com>`;
    parts.push(`commit refs/heads/main\nauthor ${who} ${1_600_000_000 + i} +0000\ncommitter ${who} ${1_600_000_000 + i} +0000\ndata ${Buffer.byteLength(msg)}\n${msg}\n`);
    for (let f = 0; f < files; f++) {
      const body = `${i}\n`;
      const file = f === 0 && i % 50 === 0 ? 'Makefile' : `src/dir${(i + f) % 40}/file${(i * 7 + f) % 2000}.ts`;
      parts.push(`M 100644 inline ${file}\ndata ${body.length}\n${body}\n`);
    }
  }
  execFileSync('git', ['fast-import', '--quiet'], { cwd: dir, input: parts.join(''), maxBuffer: 1 << 30 });
}

/** `git log` with the ingester's own arguments, its output read and dropped: ms. */
async function gitLogAlone(repo: string): Promise<number> {
  const tip = execFileSync('git', ['-C', repo, 'rev-parse', 'HEAD'], { encoding: 'utf8' }).trim();
  const start = performance.now();
  const child = spawn('git', logArgs(path.join(repo, '.git')), { stdio: ['pipe', 'pipe', 'ignore'] });
  child.stdin.end(`${tip}\n`);
  let bytes = 0;
  for await (const chunk of child.stdout) bytes += (chunk as Buffer).length;
  if (!bytes) throw new Error('git log printed nothing');
  return performance.now() - start;
}

async function runJob(q: TestQntx, atsCode: string): Promise<ExecutionDto> {
  const done = new Promise<string>((resolve) => {
    const off = q.events.onAny((e) => {
      if (e.type === 'pulse_execution_completed' || e.type === 'pulse_execution_failed') {
        off();
        resolve(e.execution_id);
      }
    });
  });
  const s = await q.pulse.createSchedule({ ats_code: atsCode, interval_seconds: 0 });
  const id = await done;
  const e = (await q.pulse.listExecutions(s.id)).items.find((x) => x.id === id)!;
  if (e.status !== 'completed') throw new Error(`run failed: ${e.error}`);
  return e;
}

async function ingestTwice(root: string): Promise<void> {
  const repo = path.join(root, 'ingest');
  makeRepo(repo, INGEST_COMMITS, 3);
  const logMs = await gitLogAlone(repo);
  const q = await openTestQntx('sqlite');
  try {
    await q.start();
    const first = await runJob(q, `ix ${repo} --no-deps`);
    const second = await runJob(q, `ix ${repo} --no-deps`);
    const ms1 = first.duration_ms!;
    console.log(`git log alone, ${fmt(INGEST_COMMITS)} commits × 3 files: ${fmt(logMs / 1000, 2)} s (${fmt(INGEST_COMMITS / (logMs / 1000))} commits/s)`);
    console.log(
      `first ingest: ${fmt(ms1 / 1000, 2)} s, ${fmt(first.attestations_created)} attestations (${fmt(INGEST_COMMITS / (ms1 / 1000))} commits/s); ` +
        `rate vs git log alone: ${fmt(logMs / ms1, 2)} (target ≥ 0.3)`,
    );
    console.log(
      `second ingest: ${fmt(second.duration_ms!)} ms, ${second.attestations_created} new, ${second.attestations_already_known} known; ` +
        `${fmt((100 * second.duration_ms!) / ms1, 1)} % of the first (target ≤ 15 %)`,
    );
  } finally {
    await q.cleanup();
  }
}

async function timeQuery(q: TestQntx, name: string, f: AttestationFilter): Promise<void> {
  const page: number[] = [];
  const count: number[] = [];
  let rows = 0;
  let total = 0;
  for (let i = 0; i < 30; i++) {
    let t = performance.now();
    rows = (await q.store.query({ ...f, limit: 1000 })).items.length;
    page.push(performance.now() - t);
    t = performance.now();
    total = await q.store.count(f);
    count.push(performance.now() - t);
  }
  page.sort((a, b) => a - b);
  count.sort((a, b) => a - b);
  console.log(
    `${name}: page of ${rows} p50 ${fmt(percentile(page, 50), 1)} ms, p95 ${fmt(percentile(page, 95), 1)} ms; ` +
      `count ${fmt(total)} p50 ${fmt(percentile(count, 50), 1)} ms, p95 ${fmt(percentile(count, 95), 1)} ms (target ≤ 50 ms)`,
  );
}

async function queries(root: string): Promise<void> {
  const repo = path.join(root, 'query');
  makeRepo(repo, QUERY_COMMITS, 8);
  const q = await openTestQntx('sqlite');
  try {
    await q.start();
    const run = await runJob(q, `ix ${repo} --no-deps`);
    const n = await q.store.count();
    console.log(`query history: ${fmt(QUERY_COMMITS)} commits, ${fmt(n)} attestations (ingested in ${fmt(run.duration_ms! / 1000, 1)} s)`);
    const commit = execFileSync('git', ['-C', repo, 'rev-parse', 'HEAD~1234'], { encoding: 'utf8' }).trim();
    await timeQuery(q, 'files of a commit', { subjects: [commit], predicates: ['modifies'] });
    await timeQuery(q, 'commits of an author', { predicates: ['authored_by'], contexts: ['dev7@example.com'] });
    await timeQuery(q, 'authors of a file (Makefile)', { predicates: ['authored_by'], subjects_from: { predicates: ['modifies'], contexts: ['Makefile'] } });
    await timeQuery(q, 'commits of the repository', { predicates: ['commit'], attributes: { repo: [repo] } });
  } finally {
    await q.cleanup();
  }
}

console.log(`git ingester benchmark: ${machine()}, ${execFileSync('git', ['--version'], { encoding: 'utf8' }).trim()}`);
const root = tempDir('qntx-git-bench-');
try {
  if (INGEST_COMMITS > 0) await ingestTwice(root);
  if (QUERY_COMMITS > 0) await queries(root);
} finally {
  fs.rmSync(root, { recursive: true, force: true });
}
