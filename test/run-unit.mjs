// Runs test/*.test.ts two files at a time, the slowest first. `node --test` (Node 20) sorts the
// files by name, which started scale-out, serve-crash and security-* last, so the run ended on
// one long file with the other slot idle. Run with `node --import tsx test/run-unit.mjs`: the
// test processes inherit --import tsx. Extra arguments are files to run instead of all.
import fs from 'node:fs';
import path from 'node:path';
import process from 'node:process';
import { run } from 'node:test';
import { spec, tap } from 'node:test/reporters';
import { fileURLToPath } from 'node:url';

const here = path.dirname(fileURLToPath(import.meta.url));

/** Longest first, as measured on the 2-core CI machine (.ci/run); the rest by name. */
const SLOW = [
  'scale-out', 'cli-ax', 'cli-ats', 'python-api', 'chaos', 'cli-triggers', 'security-auth', 'security-bounds',
  'security-reserved', 'pulse-ticker', 'secrets', 'pulse-lease', 'cli-terminal', 'pulse-cron', 'http-canvas-api',
  'import-copy', 'attestation-rules', 'ix-git', 'python-runner', 'serve-crash', 'ats-query', 'plans-without-stats',
].map((n) => `${n}.test.ts`);

const all = fs.readdirSync(here).filter((f) => f.endsWith('.test.ts')).sort();
const chosen = process.argv.slice(2).map((f) => path.basename(f));
const names = chosen.length ? chosen : [...SLOW.filter((f) => all.includes(f)), ...all.filter((f) => !SLOW.includes(f))];

const stream = run({ files: names.map((f) => path.join(here, f)), concurrency: 2 });
stream.on('test:fail', (data) => {
  if (data.todo) return;
  process.exitCode = 1;
});
stream.compose(process.stdout.isTTY ? new spec() : tap).pipe(process.stdout);
