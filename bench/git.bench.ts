// Benchmark of the git ingester (node --import tsx bench/git.bench.ts): a linear history made
// with git fast-import, ingested with a no-op sink; commits per second and memory while streaming.
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { ingestGit } from '../src/ix/git-ingest.js';
import { tempDir } from '../test/helpers.js';
import { fmt, machine } from './util.js';

const SIZES = (process.env.BENCH_GIT_COMMITS ?? '10000,100000').split(',').map(Number);
const FILES_PER_COMMIT = 3;

function makeRepo(dir: string, n: number): void {
  execFileSync('git', ['init', '-q', '-b', 'main', dir]);
  const parts: string[] = [];
  for (let i = 1; i <= n; i++) {
    const msg = `commit ${i}`;
    parts.push(`commit refs/heads/main\ncommitter Bench <bench${i % 50}@example.com> ${1_700_000_000 + i} +0000\ndata ${msg.length}\n${msg}\n`);
    for (let f = 0; f < FILES_PER_COMMIT; f++) {
      const body = `${i}\n`;
      parts.push(`M 100644 inline src/dir${(i + f) % 40}/file${(i * 7 + f) % 500}.ts\ndata ${body.length}\n${body}\n`);
    }
  }
  execFileSync('git', ['fast-import', '--quiet'], { cwd: dir, input: parts.join(''), maxBuffer: 1 << 28 });
}

async function bench(n: number): Promise<void> {
  const root = tempDir('qntx-git-bench-');
  try {
    const repo = path.join(root, 'repo');
    const made = performance.now();
    makeRepo(repo, n);
    const makeMs = performance.now() - made;
    global.gc?.();
    const rss0 = process.memoryUsage().rss;
    let peak = rss0;
    let attestations = 0;
    const start = performance.now();
    const res = await ingestGit({
      source: repo,
      cacheDir: path.join(root, 'cache'),
      onBatch: async (b) => {
        attestations += b.length;
        peak = Math.max(peak, process.memoryUsage().rss);
      },
    });
    const ms = performance.now() - start;
    if (res.commits !== n) throw new Error(`ingested ${res.commits} of ${n} commits`);
    console.log(
      `${fmt(n)} commits (made in ${fmt(makeMs / 1000, 1)} s): ingested in ${fmt(ms / 1000, 2)} s = ` +
        `${fmt(n / (ms / 1000))} commits/s, ${fmt(attestations / (ms / 1000))} attestations/s; ` +
        `RSS +${fmt((peak - rss0) / 2 ** 20, 1)} MiB while streaming`,
    );
  } finally {
    fs.rmSync(root, { recursive: true, force: true });
  }
}

console.log(`git ingester benchmark: ${machine()}, ${execFileSync('git', ['--version'], { encoding: 'utf8' }).trim()}`);
for (const n of SIZES) await bench(n);
