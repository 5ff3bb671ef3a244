// Ad-hoc executes wait in a bounded queue, capped in time, and never take the slots of scheduled
// runs: a real server, real runs, a real schedule.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { QueueFullError } from '../src/python/errors.js';
import { Lane } from '../src/python/lanes.js';
import { tempDir } from './helpers.js';
import { startTestServer, type TestServer } from './http-helpers.js';
import { WsClient } from './ws-helpers.js';

/** A run that holds its slot until `file` exists. */
const hold = (file: string): string =>
  `import os, time\nwhile not os.path.exists(${JSON.stringify(file)}):\n    time.sleep(0.005)\nprint('released')\n`;

async function waitUntil(cond: () => boolean, failAfterMs = 20_000): Promise<void> {
  const deadline = Date.now() + failAfterMs;
  while (!cond()) {
    if (Date.now() > deadline) throw new Error('condition not reached');
    await new Promise((r) => setTimeout(r, 5));
  }
}

describe('the execute queue', () => {
  let s: TestServer;
  let ws: WsClient;
  let dir: string;
  before(async () => {
    dir = tempDir();
    fs.chmodSync(dir, 0o755); // runs keep no capability: the file they wait for must be where their uid may look
    s = await startTestServer('sqlite', { executeTimeoutMs: 30_000 });
    ws = await WsClient.connect(s.url);
  });
  after(async () => {
    ws.close();
    await s.stop();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('runs a 10 ms scheduled handler at once beside 8 long executes', async () => {
    const go = path.join(dir, 'go');
    const longRuns = Array.from({ length: 8 }, () => s.request('POST', '/api/python/execute', { code: hold(go) }));
    const runner = s.qntx.runner;
    await waitUntil(() => runner.inFlight + runner.queued >= 8);
    await s.request('POST', '/api/python/register-handler', { script_type: 'fast', code: "attest('fast', 'ran', 'queue-test')\n" });
    const t = performance.now();
    const sch = await s.request('POST', '/api/pulse/schedules', { ats_code: 'ix fast', interval_seconds: 0 });
    assert.equal(sch.status, 201, JSON.stringify(sch.body));
    const ev = await ws.next((m) => (m.type === 'pulse_execution_completed' || m.type === 'pulse_execution_failed') && m.schedule_id === sch.body.id, 10_000);
    const waited = performance.now() - t;
    assert.equal(ev.type, 'pulse_execution_completed', JSON.stringify(ev));
    assert.ok(waited < 5000, `the scheduled run took ${Math.round(waited)} ms`);
    assert.ok(runner.inFlight + runner.queued >= 8, 'the long executes are still there');
    fs.writeFileSync(go, '');
    for (const r of await Promise.all(longRuns)) {
      assert.equal(r.status, 200);
      assert.equal(r.body.stdout, 'released\n', JSON.stringify(r.body));
    }
  });

  it('answers 429 with Retry-After when the queue is full', async () => {
    const go = path.join(dir, 'go-full');
    const runner = s.qntx.runner;
    const held = Array.from({ length: 10 }, () => s.request('POST', '/api/python/execute', { code: hold(go) }));
    await waitUntil(() => runner.inFlight + runner.queued >= 10);
    const res = await fetch(`${s.url}/api/python/execute`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${s.token}` },
      body: JSON.stringify({ code: 'pass' }),
    });
    const body = (await res.json()) as { error: string; details: string[] };
    assert.equal(res.status, 429, JSON.stringify(body));
    const retry = Number(res.headers.get('retry-after'));
    assert.ok(Number.isInteger(retry) && retry >= 1 && retry <= 30, `Retry-After: ${res.headers.get('retry-after')}`);
    assert.ok(body.details.includes('queue=full'), body.details.join(' '));
    fs.writeFileSync(go, '');
    for (const r of await Promise.all(held)) assert.equal(r.status, 200);
  });

  it('caps the time of an execute', async () => {
    const over = await s.request('POST', '/api/python/execute', { code: 'pass', timeout_ms: 30_001 });
    assert.equal(over.status, 400);
    assert.ok(over.body.details.some((d: string) => /^timeout_?ms=/i.test(d)), JSON.stringify(over.body));
    const ok = await s.request('POST', '/api/python/execute', { code: 'pass', timeout_ms: 30_000 });
    assert.equal(ok.body.success, true);
  });
});

describe('a lane of slots', () => {
  it('hands a freed slot to the first waiter, never to a newcomer, and bounds the queue', async () => {
    let now = 1000;
    const lane = new Lane('adhoc', { slots: 1, queue: 1 }, () => now);
    const releaseA = (await lane.acquire(5000))!;
    const b = lane.acquire(5000);
    assert.equal(lane.queued, 1);
    now += 1500;
    await assert.rejects(lane.acquire(5000), (e) => e instanceof QueueFullError && e.retryAfterS === 4);
    releaseA();
    const c = lane.acquire(5000); // arrives in the same tick as the hand-over
    const releaseB = (await b)!;
    assert.equal(lane.active, 1);
    assert.equal(lane.queued, 1, 'the newcomer waits');
    releaseB();
    const releaseC = (await c)!;
    releaseC();
    assert.equal(lane.active, 0);
  });
});
