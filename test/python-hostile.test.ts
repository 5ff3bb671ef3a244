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
import { startProcess, type QntxProcess } from './process-helpers.js';
import { WsClient } from './ws-helpers.js';

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
    fs.chmodSync(dir, 0o755); // runs keep no capability: the file they wait for must be where their uid may look
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
    fs.chmodSync(dir, 0o755); // runs keep no capability: the file they wait for must be where their uid may look
  });
  after(async () => {
    await s.stop();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('answers hostile executes alone while an execute and a scheduled run in flight complete', async () => {
    const ws = await WsClient.connect(s.url);
    try {
      const go = path.join(dir, 'go-http');
      const victim = s.request('POST', '/api/python/execute', { code: waitFor(go) });
      await s.request('POST', '/api/python/register-handler', { script_type: 'victim', code: waitFor(go, "attest('victim', 'survived', 'hostile')") });
      const sch = await s.request('POST', '/api/pulse/schedules', { ats_code: 'ix victim', interval_seconds: 0 });
      assert.equal(sch.status, 201, JSON.stringify(sch.body));
      await ws.next((m) => m.type === 'pulse_execution_started' && m.schedule_id === sch.body.id);
      await waitUntil(() => s.qntx.runner.inFlight >= 2);
      const pid = s.qntx.runner.parentPid;
      const starts = s.qntx.runner.parentStarts;
      let hostile = 0;
      for (let round = 0; round < 5; round++) {
        for (const levels of [1100, 4000, 200_000]) {
          const r = await s.request('POST', '/api/python/execute', `{"code":"pass","state":{"s":${nested(levels)}}}`);
          assert.equal(r.status, 400, `${levels} levels: ${JSON.stringify(r.body).slice(0, 300)}`);
          assert.ok(Array.isArray(r.body.details));
          hostile++;
        }
        // Runs that misbehave on their own side of the boundary fail alone too.
        const garbage = await s.request('POST', '/api/python/execute', { code: "import os\nos.write(3, b'{not json\\n')\n" });
        assert.equal(garbage.body.success, false);
        const deep = await s.request('POST', '/api/python/execute', { code: "s = ix.state\nfor _ in range(5000):\n    s['a'] = {}\n    s = s['a']\n" });
        assert.equal(deep.body.success, false);
        hostile += 2;
      }
      fs.writeFileSync(go, '');
      const v = await victim;
      const ev = await ws.next((m) => (m.type === 'pulse_execution_completed' || m.type === 'pulse_execution_failed') && m.schedule_id === sch.body.id);
      const lost = [v.body.success !== true, ev.type !== 'pulse_execution_completed'].filter(Boolean).length;
      assert.equal(v.body.stdout, 'victim done\n', JSON.stringify(v.body));
      assert.equal(lost, 0, `victim runs lost: ${lost} (${JSON.stringify(ev)})`);
      assert.equal(s.qntx.runner.parentPid, pid);
      assert.equal(s.qntx.runner.parentStarts - starts, 0, `parent restarts after ${hostile} hostile requests`);
    } finally {
      ws.close();
    }
  });
});

describe('the environment of a handler run', () => {
  const token = 'tok-' + 'x'.repeat(40);
  let server: QntxProcess;
  let dataDir: string;
  before(async () => {
    dataDir = tempDir();
    server = await startProcess(['serve', '--port', '0', '--data-dir', dataDir], {
      QNTX_TOKEN: token,
      QNTX_EXECUTIONS_KEPT: '50',
      DATABASE_URL: 'postgres://admin:hunter2@db.internal/prod',
      AWS_SECRET_ACCESS_KEY: 'aws-secret-value',
      LC_TIME: 'C.UTF-8',
      TZ: 'UTC',
      EXTRA_FOR_HANDLERS: 'shared-on-purpose',
      QNTX_HANDLER_ENV: 'EXTRA_FOR_HANDLERS',
    });
  });
  after(async () => {
    await server.kill();
    fs.rmSync(dataDir, { recursive: true, force: true });
  });

  async function execute(code: string): Promise<any> {
    const res = await fetch(`${server.url}/api/python/execute`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
      body: JSON.stringify({ code }),
    });
    return res.json();
  }

  it('holds only the allowlist, the opted-in names and a per-run HOME and TMPDIR', async () => {
    const dump = [
      'import json, os, subprocess',
      "child = dict(line.split('=', 1) for line in subprocess.run(['env'], capture_output=True, text=True).stdout.splitlines() if '=' in line)",
      "print(json.dumps({'env': dict(os.environ), 'child': child, 'home_ok': os.path.isdir(os.environ.get('HOME', '/nonexistent')), 'tmp_ok': os.path.isdir(os.environ.get('TMPDIR', '/nonexistent'))}))",
    ].join('\n');
    const [a, b] = [await execute(dump), await execute(dump)];
    for (const r of [a, b]) {
      assert.equal(r.success, true, JSON.stringify(r));
      const { env, child, home_ok, tmp_ok } = JSON.parse(r.stdout);
      for (const e of [env, child]) {
        const names = Object.keys(e).filter((k) => k !== '_' && k !== 'PWD' && k !== 'SHLVL');
        const unexpected = names.filter((k) => !/^(PATH|LANG|LC_[A-Z]+|TZ|HOME|TMPDIR|EXTRA_FOR_HANDLERS)$/.test(k));
        assert.deepEqual(unexpected, [], `unexpected variables: ${unexpected.join(' ')}`);
        const text = JSON.stringify(e);
        for (const secret of [token, 'hunter2', 'aws-secret-value', 'QNTX_']) assert.ok(!text.includes(secret), `leaks ${secret}`);
        assert.equal(e.EXTRA_FOR_HANDLERS, 'shared-on-purpose');
        assert.equal(e.LC_TIME, 'C.UTF-8');
        assert.ok(e.PATH);
      }
      assert.ok(home_ok && tmp_ok, 'HOME and TMPDIR exist during the run');
    }
    const [ea, eb] = [JSON.parse(a.stdout).env, JSON.parse(b.stdout).env];
    assert.notEqual(ea.HOME, eb.HOME, 'each run has its own HOME');
    assert.notEqual(ea.TMPDIR, eb.TMPDIR, 'each run has its own TMPDIR');
    for (const p of [ea.HOME, ea.TMPDIR, eb.HOME, eb.TMPDIR]) assert.ok(!fs.existsSync(p), `${p} removed after the run`);
  });
});

describe('disk written by a handler run', () => {
  const MiB = 1024 * 1024;
  let s: TestServer;
  const shmFile = `/dev/shm/qntx-test-${process.pid}-${Date.now()}`;
  before(async () => {
    s = await startTestServer('sqlite', { handlerDiskBytes: 64 * MiB });
  });
  after(async () => {
    await s.stop();
    for (const n of fs.readdirSync('/dev/shm')) if (n.startsWith(path.basename(shmFile))) fs.rmSync(path.join('/dev/shm', n));
  });

  it('kills a run writing 2 GiB past the cap and removes its temp dir', async () => {
    const code = [
      'import os',
      "tmp = os.environ['TMPDIR']",
      'print(tmp, flush=True)',
      "chunk = b'x' * (1 << 20)",
      'for i in range(2048):',
      "    with open(os.path.join(tmp, 'f%d' % (i // 16)), 'ab') as f:",
      '        f.write(chunk)',
    ].join('\n');
    const r = await s.request('POST', '/api/python/execute', { code, timeout_ms: 60_000 });
    assert.equal(r.status, 200);
    assert.equal(r.body.success, false, JSON.stringify(r.body).slice(0, 500));
    assert.ok(r.body.details.includes('limit=disk'), r.body.details.join(' '));
    assert.ok(r.body.details.includes(`disk_bytes=${64 * MiB}`), r.body.details.join(' '));
    const tmp = r.body.stdout.trim();
    assert.ok(tmp.length > 0 && !fs.existsSync(tmp), `${tmp} removed`);
  });

  it('counts what a run puts in /dev/shm and removes it after the run', async () => {
    const code = [
      "chunk = b'x' * (1 << 20)",
      'for i in range(512):',
      `    with open(${JSON.stringify(shmFile)} + '-%d' % (i // 16), 'ab') as f:`,
      '        f.write(chunk)',
    ].join('\n');
    const r = await s.request('POST', '/api/python/execute', { code, timeout_ms: 60_000 });
    assert.equal(r.body.success, false, JSON.stringify(r.body).slice(0, 500));
    assert.ok(r.body.details.includes('limit=disk'), r.body.details.join(' '));
    const left = fs.readdirSync('/dev/shm').filter((n) => n.startsWith(path.basename(shmFile)));
    assert.deepEqual(left, [], 'its /dev/shm files are removed');
  });

  it('counts SysV shared memory and removes the segments a run leaves', async () => {
    const segment = (mib: number): string =>
      [
        'import ctypes',
        "libc = ctypes.CDLL(None, use_errno=True)",
        `shmid = libc.shmget(0, ${mib} << 20, 0o1600)`,
        "assert shmid >= 0, ctypes.get_errno()",
        "print(shmid, flush=True)",
        'import time',
        "while True:",
        "    time.sleep(0.01)" + (mib < 64 ? '\n    break' : ''),
      ].join('\n');
    const segments = (): string[] => fs.readFileSync('/proc/sysvipc/shm', 'utf8').split('\n').slice(1).map((l) => l.trim().split(/\s+/)[1]!).filter(Boolean);
    const small = await s.request('POST', '/api/python/execute', { code: segment(1) });
    assert.equal(small.body.success, true, JSON.stringify(small.body));
    assert.ok(!segments().includes(small.body.stdout.trim()), 'the segment is removed after the run');
    const big = await s.request('POST', '/api/python/execute', { code: segment(256), timeout_ms: 60_000 });
    assert.equal(big.body.success, false);
    assert.ok(big.body.details.includes('limit=disk'), big.body.details.join(' '));
    assert.ok(!segments().includes(big.body.stdout.trim()));
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
