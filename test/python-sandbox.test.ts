// The uid sandbox's lock files, as root (tests run as root, so the sandbox path is the one taken):
// a handler cannot plant what root then follows, and two servers on one machine never share uids.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { silentLogger } from '../src/logger.js';
import { PythonRunner } from '../src/python/runner.js';
import { tempDir } from './helpers.js';
import { startProcess, type QntxProcess } from './process-helpers.js';

const isRoot = process.getuid?.() === 0;
// Under CI the suite must run, not skip: the CI machine runs tests as root.
if (!isRoot && process.env.CI) throw new Error('CI is set but tests do not run as root: the sandbox suite must run in CI');
const skip = isRoot ? false : 'the uid sandbox needs root';
// A base of its own, so that no other test's runner (nor another checkout's) uses these blocks.
const BASE = 200_000;
const PLANT_DIRS = ['/tmp', '/run/qntx', '/run/qntx/uids'];

describe('sandbox uid locks', { skip }, () => {
  const runners: PythonRunner[] = [];
  let victims: string;
  before(() => {
    victims = tempDir('qntx-victims-'); // root's, mode 0700: the planted links point into it
  });
  after(async () => {
    for (const r of runners) await r.close();
    for (const dir of PLANT_DIRS) {
      let names: string[] = [];
      try {
        names = fs.readdirSync(dir);
      } catch {
        continue;
      }
      for (const n of names) {
        const p = path.join(dir, n);
        const uid = Number(/-(\d+)\.lock$/.exec(n)?.[1]);
        if (uid >= BASE && uid < BASE + 64 * 64 && fs.lstatSync(p).isSymbolicLink()) fs.rmSync(p);
      }
    }
    fs.rmSync(victims, { recursive: true, force: true });
  });

  it('never follows a lock-file symlink planted by a handler', async () => {
    const a = new PythonRunner({ logger: silentLogger(), sandbox: { uidBase: BASE } });
    runners.push(a);
    // The handler (a sandbox uid) plants links, under every name a lock file has had, in every
    // directory a lock file has lived in, pointing into a directory only root may write.
    const plant = [
      'import os',
      'planted = 0',
      `for d in ${JSON.stringify(PLANT_DIRS)}:`,
      '    for k in range(1, 64):',
      `        uid = ${BASE} + 64 * k`,
      "        for name in ('qntx-runner-uid-%d.lock' % uid, 'uids-%d.lock' % uid):",
      '            try:',
      `                os.symlink(os.path.join(${JSON.stringify(victims)}, '%s-%d' % (name, k)), os.path.join(d, name))`,
      '                planted += 1',
      '            except OSError:',
      '                pass',
      'print(os.getuid(), planted)',
    ].join('\n');
    const r = await a.run({ code: plant });
    assert.equal(r.success, true, r.error ?? '');
    const [uidA] = r.stdout.trim().split(' ').map(Number);
    assert.equal(uidA, BASE);
    // A second parent claims the next block while the first holds its own.
    const b = new PythonRunner({ logger: silentLogger(), sandbox: { uidBase: BASE } });
    runners.push(b);
    const rb = await b.run({ code: 'import os\nprint(os.getuid())' });
    assert.equal(rb.success, true, rb.error ?? '');
    assert.ok(Number(rb.stdout) >= BASE + 64, `second parent's uid ${rb.stdout}`);
    assert.deepEqual(fs.readdirSync(victims), [], 'root created nothing through a planted link');
  });
});

describe('two servers on one machine', { skip }, () => {
  const token = 'two-servers-' + 'y'.repeat(32);
  const servers: QntxProcess[] = [];
  const dirs: string[] = [];
  after(async () => {
    for (const s of servers) await s.kill();
    for (const d of dirs) fs.rmSync(d, { recursive: true, force: true });
  });

  async function execute(s: QntxProcess, code: string): Promise<any> {
    const res = await fetch(`${s.url}/api/python/execute`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
      body: JSON.stringify({ code }),
    });
    return res.json();
  }

  it('never share sandbox uids, whatever their TMPDIR', async () => {
    for (let i = 0; i < 2; i++) {
      const data = tempDir();
      const tmp = tempDir('qntx-tmpdir-');
      dirs.push(data, tmp);
      // TMPDIR reaches the warm parent too (QNTX_HANDLER_ENV): the lock must not depend on it.
      servers.push(await startProcess(['serve', '--port', '0', '--data-dir', data], { QNTX_TOKEN: token, TMPDIR: tmp, QNTX_HANDLER_ENV: 'TMPDIR' }));
    }
    const shared = tempDir('qntx-shared-');
    dirs.push(shared);
    fs.chmodSync(shared, 0o777); // the sandboxed run says "started" here
    const [started, go] = [path.join(shared, 'started'), path.join(shared, 'go')];
    // A run of server 1 in flight while server 2 starts its warm parent (which kills leftovers of its block).
    const held = execute(
      servers[0]!,
      `import os, time\nprint(os.getuid())\nopen(${JSON.stringify(started)}, 'w').close()\nwhile not os.path.exists(${JSON.stringify(go)}):\n    time.sleep(0.005)\n`,
    );
    await waitForFile(started);
    const second = await execute(servers[1]!, 'import os\nprint(os.getuid())');
    assert.equal(second.success, true, JSON.stringify(second));
    fs.writeFileSync(go, '');
    const first = await held;
    assert.equal(first.success, true, JSON.stringify(first));
    const [u1, u2] = [Number(first.stdout.trim()), Number(second.stdout.trim())];
    assert.ok(u1 > 0 && u2 > 0);
    assert.notEqual(Math.floor(u1 / 64), Math.floor(u2 / 64), `uids ${u1} and ${u2} are in one block`);
  });
});

/** Awaits a file that another process (a run) creates. */
async function waitForFile(file: string): Promise<void> {
  const deadline = Date.now() + 20_000;
  while (!fs.existsSync(file)) {
    if (Date.now() > deadline) throw new Error(`${file} never appeared`);
    await new Promise((r) => setTimeout(r, 5));
  }
}
