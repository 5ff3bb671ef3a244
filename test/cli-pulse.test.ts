// `qntx ix … --timeout`: a schedule's own handler timeout from the command line.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { runCli } from './cli-helpers.js';
import { tempDir } from './helpers.js';

describe('qntx ix --timeout', () => {
  let dir: string;
  before(() => {
    dir = tempDir();
  });
  after(() => fs.rmSync(dir, { recursive: true, force: true }));

  it("sets the schedule's timeout, and refuses a bad one with the flag named", { timeout: 60_000 }, async () => {
    const file = path.join(dir, 'h.py');
    fs.writeFileSync(file, 'pass\n');
    assert.equal((await runCli(['handlers', 'add', 'slowhook', file, '--data-dir', dir])).code, 0);
    const ok = await runCli(['ix', 'slowhook', '--every', '1h', '--timeout', '10m', '--json', '--data-dir', dir]);
    assert.equal(ok.code, 0, ok.stderr);
    const s = JSON.parse(ok.stdout);
    assert.equal(s.timeout_seconds, 600);
    const shown = await runCli(['pulse', 'pause', s.id, '--data-dir', dir]);
    assert.match(shown.stdout, /timeout 600 s/);
    const bad = await runCli(['ix', 'slowhook', '--timeout', 'soon', '--data-dir', dir]);
    assert.equal(bad.code, 1);
    assert.match(bad.stderr, /invalid timeout 'soon'/);
    assert.match(bad.stderr, /timeout=soon/);
  });
});
