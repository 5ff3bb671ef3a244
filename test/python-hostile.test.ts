// The handler process as a trust boundary, tried through a real server and a real python3: hostile
// requests and scripts must not reach past their own run (docs/security.md, "Handler runs").
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { ValidationError } from '../src/errors.js';
import { silentLogger } from '../src/logger.js';
import { PythonRunner, type RunResult } from '../src/python/runner.js';
import { tempDir } from './helpers.js';
import { startTestServer, type TestServer } from './http-helpers.js';

const nested = (levels: number): string => '{"a":'.repeat(levels) + '1' + '}'.repeat(levels);

/** A script that runs until `file` exists: a run in flight while the test does something else. */
function waitFor(file: string, then = "print('victim done')"): string {
  return `import os, time\nwhile not os.path.exists(${JSON.stringify(file)}):\n    time.sleep(0.005)\n${then}\n`;
}

describe('hostile state sent to the runner', () => {
  let runner: PythonRunner;
  let dir: string;
  before(() => {
    runner = new PythonRunner({ logger: silentLogger() });
    dir = tempDir();
  });
  after(async () => {
    await runner.close();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('refuses state nested 1,100 and 200,000 levels before tracking it; a victim run survives', async () => {
    const go = path.join(dir, 'go');
    let running!: () => void;
    const isRunning = new Promise<void>((resolve) => (running = resolve));
    const victim = runner.run({ code: 'progress(1)\n' + waitFor(go), onProgress: () => running() });
    await isRunning;
    const pid = runner.parentPid;
    const starts = runner.parentStarts;
    for (const levels of [1100, 200_000]) {
      const state = JSON.parse(`{"s":${nested(levels)}}`) as Record<string, unknown>;
      const t = performance.now();
      await assert.rejects(runner.run({ code: 'pass', context: { state }, limits: { timeoutMs: 1 } }), (e) => {
        assert.ok(e instanceof ValidationError, String(e));
        assert.ok(e.details.some((d) => d.startsWith('state=')), e.details.join(' '));
        return true;
      });
      assert.ok(performance.now() - t < 2000, 'refused at once');
    }
    assert.equal(runner.inFlight, 1, 'only the victim is tracked: no timer of a refused run is left');
    fs.writeFileSync(go, '');
    const r: RunResult = await victim;
    assert.equal(r.success, true, r.error ?? '');
    assert.equal(r.stdout, 'victim done\n');
    assert.equal(runner.parentPid, pid);
    assert.equal(runner.parentStarts, starts);
  });
});

describe('hostile requests to POST /api/python/execute', () => {
  let s: TestServer;
  let dir: string;
  before(async () => {
    s = await startTestServer();
    dir = tempDir();
  });
  after(async () => {
    await s.stop();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('answers nested state with a 400 while a victim run completes on the same parent', async () => {
    const go = path.join(dir, 'go-http');
    const victim = s.request('POST', '/api/python/execute', { code: waitFor(go) });
    await waitUntil(() => s.qntx.runner.inFlight > 0);
    const pid = s.qntx.runner.parentPid;
    const starts = s.qntx.runner.parentStarts;
    for (const levels of [1100, 200_000]) {
      const body = `{"code":"pass","state":{"s":${nested(levels)}}}`;
      const r = await s.request('POST', '/api/python/execute', body);
      assert.equal(r.status, 400, `${levels} levels: ${JSON.stringify(r.body).slice(0, 300)}`);
      assert.ok(Array.isArray(r.body.details));
    }
    fs.writeFileSync(go, '');
    const v = await victim;
    assert.equal(v.status, 200);
    assert.equal(v.body.success, true, JSON.stringify(v.body));
    assert.equal(v.body.stdout, 'victim done\n');
    assert.equal(s.qntx.runner.parentPid, pid);
    assert.equal(s.qntx.runner.parentStarts, starts, 'parent restarts: 0');
  });
});

/** Awaits a condition that an event outside our control (another process) makes true. */
async function waitUntil(cond: () => boolean, failAfterMs = 20_000): Promise<void> {
  const deadline = Date.now() + failAfterMs;
  while (!cond()) {
    if (Date.now() > deadline) throw new Error('condition not reached');
    await new Promise((r) => setTimeout(r, 5));
  }
}
