// The process policy of a qntx process: an unhandled rejection or an uncaught exception is logged
// with its context and ends the process with code 1 (a supervisor restarts it).
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import path from 'node:path';
import { describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';

const fixture = path.join(path.dirname(fileURLToPath(import.meta.url)), 'fixtures/unhandled.ts');

function runFixture(what: string): Promise<{ code: number | null; stderr: string }> {
  const child = spawn(process.execPath, ['--import', 'tsx', fixture, what], { stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  return new Promise((resolve) => child.once('close', (code) => resolve({ code, stderr })));
}

describe('process policy', () => {
  for (const [what, kind, message] of [
    ['rejection', 'unhandledRejection', 'nobody awaited this'],
    ['exception', 'uncaughtException', 'thrown from a timer'],
  ] as const) {
    it(`logs an ${kind} with its context and exits with code 1`, { timeout: 30_000 }, async () => {
      const { code, stderr } = await runFixture(what);
      assert.equal(code, 1, stderr);
      const record = stderr
        .split('\n')
        .filter((l) => l.startsWith('{'))
        .map((l) => JSON.parse(l) as { level: number; kind: string; err: { message: string; stack: string } })
        .find((r) => r.kind === kind);
      assert.ok(record, stderr);
      assert.equal(record.level, 60);
      assert.equal(record.err.message, message);
      assert.match(record.err.stack, /unhandled\.ts/);
    });
  }
});
