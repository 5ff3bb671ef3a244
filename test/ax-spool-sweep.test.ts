// The so-input spool after a crash: directories of processes that no longer run are removed at
// start, those of live processes kept, anything older than a day removed.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { describe, it } from 'node:test';
import { sweepSpool } from '../src/ax/spool-sweep.js';
import { loadSettings } from '../src/config.js';
import { silentLogger } from '../src/logger.js';
import { startServer } from '../src/server/serve.js';
import { tempDir } from './helpers.js';

/** The pid of a process that has exited. */
function deadPid(): number {
  const r = spawnSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))'], { encoding: 'utf8' });
  return Number(r.stdout);
}

function makeInput(spool: string, name: string, ageMs = 0): string {
  const dir = path.join(spool, name);
  fs.mkdirSync(dir, { recursive: true });
  fs.writeFileSync(path.join(dir, 'input.jsonl'), '{}\n');
  if (ageMs) {
    const t = new Date(Date.now() - ageMs);
    fs.utimesSync(dir, t, t);
  }
  return dir;
}

describe('the so-input spool sweep', () => {
  it("removes a dead process's input, keeps a live one's, removes anything older than a day", async () => {
    const spool = path.join(tempDir(), 'ax-input');
    const parent = process.ppid; // a live process other than this one
    makeInput(spool, `input-${deadPid()}-abc`);
    makeInput(spool, `input-${parent}-live`);
    makeInput(spool, `input-${parent}-old`, 25 * 3600_000);
    makeInput(spool, `input-${process.pid}-before-start`, 1000 + process.uptime() * 1000);
    makeInput(spool, `input-${process.pid}-mine`);
    fs.writeFileSync(path.join(spool, 'not-ours.txt'), 'x');
    const removed = await sweepSpool(spool, Date.now());
    assert.deepEqual(removed.sort(), [`input-${process.pid}-before-start`, `input-${parent}-old`, removed.find((n) => n.endsWith('-abc'))].sort());
    assert.ok(removed.some((n) => n.endsWith('-abc')));
    assert.deepEqual(fs.readdirSync(spool).sort(), [`input-${parent}-live`, `input-${process.pid}-mine`, 'not-ours.txt'].sort());
  });

  it('a missing spool is nothing to do', async () => {
    assert.deepEqual(await sweepSpool(path.join(tempDir(), 'nope'), Date.now()), []);
  });

  it('runs when the server starts', async () => {
    const dataDir = tempDir();
    const left = makeInput(path.join(dataDir, 'ax-input'), `input-${deadPid()}-crashed`);
    const server = await startServer(loadSettings({ dataDir, port: 0, logLevel: 'silent' }, {}), { logger: silentLogger() });
    try {
      assert.equal(fs.existsSync(left), false);
    } finally {
      await server.close();
      fs.rmSync(dataDir, { recursive: true, force: true });
    }
  });
});
