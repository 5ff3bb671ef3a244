// What a handler run can read, tried through a real `qntx serve` and a real python3: not the
// server's database, key or token, not its /proc entries, not another run's directory; and every
// capability is gone (docs/security.md, "The handler process").
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { silentLogger } from '../src/logger.js';
import { PythonRunner } from '../src/python/runner.js';
import { tempDir } from './helpers.js';
import { api, startProcess, type QntxProcess } from './process-helpers.js';

const REPO = path.resolve(import.meta.dirname, '..');

const isRoot = process.getuid?.() === 0;
// Under CI the suite must run, not skip: the CI machine runs tests as root.
if (!isRoot && process.env.CI) throw new Error('CI is set but tests do not run as root: the isolation suite must run in CI');
const skip = isRoot ? false : 'runs are isolated by a mount namespace made as root here';

/** A handler that tries each path and reports, per path, 'read' or the error's name. */
function probe(paths: string[], extra = ''): string {
  return [
    'import json, os',
    'def tryread(p):',
    '    try:',
    "        with open(p, 'rb') as f:",
    '            return "read:" + repr(f.read(64))',
    '    except Exception as e:',
    '        return type(e).__name__',
    'def trylist(p):',
    '    try:',
    '        return "listed:" + ",".join(sorted(os.listdir(p)))',
    '    except Exception as e:',
    '        return type(e).__name__',
    `out = {p: tryread(p) for p in ${JSON.stringify(paths)}}`,
    extra,
    'print(json.dumps(out))',
  ].join('\n');
}

describe('what a handler run can read', { skip }, () => {
  let server: QntxProcess;
  let dataDir: string;
  let tokenDir: string;
  let tokenFile: string;
  let shared: string;
  before(async () => {
    dataDir = tempDir();
    tokenDir = tempDir('qntx-token-');
    tokenFile = path.join(tokenDir, 'token');
    server = await startProcess(['serve', '--port', '0', '--data-dir', dataDir], { QNTX_TOKEN_FILE: tokenFile, QNTX_EXECUTE_CONCURRENCY: '2' });
    await api(server.url!, 'PUT', '/api/secrets/OTHER_TYPES_SECRET', { value: 'only-for-the-granted-type' });
    shared = tempDir('qntx-shared-');
    fs.chmodSync(shared, 0o777); // where two runs meet
  });
  after(async () => {
    await server.kill();
    for (const d of [dataDir, tokenDir, shared]) fs.rmSync(d, { recursive: true, force: true });
  });

  const execute = (code: string): Promise<any> => api(server.url!, 'POST', '/api/python/execute', { code });

  it('reads neither the key, the token, the database nor the server\'s /proc entries', async () => {
    const pid = server.child.pid!;
    const files = ['secret.key', 'qntx.db', 'qntx.db-wal', 'token'].map((f) => path.join(dataDir, f)).filter((f) => fs.existsSync(f));
    assert.ok(files.includes(path.join(dataDir, 'secret.key')) && files.includes(path.join(dataDir, 'qntx.db')), `files: ${files.join(' ')}`);
    assert.ok(fs.existsSync(tokenFile), 'the token file is outside the data directory');
    const paths = [...files, tokenFile, `/proc/${pid}/cmdline`, `/proc/${pid}/environ`, `/proc/${pid}/root${dataDir}/secret.key`];
    const r = await execute(probe(paths, [
      `out['list:data'] = trylist(${JSON.stringify(dataDir)})`,
      `out['server listed'] = str(${pid}) in os.listdir('/proc')`,
      "out['status'] = [l for l in open('/proc/self/status').read().splitlines() if l.startswith('Cap')]",
      // The interpreter, the standard library imported lazily and a subprocess still work.
      'import sqlite3, subprocess, sys',
      "out['python'] = subprocess.run([sys.executable, '-c', 'import email.mime.text; print(7)'], capture_output=True, text=True).stdout.strip()",
    ].join('\n')));
    assert.equal(r.success, true, JSON.stringify(r));
    const out = JSON.parse(r.stdout);
    for (const p of paths) assert.ok(!String(out[p]).startsWith('read:'), `${p}: ${out[p]}`);
    assert.ok(!String(out['list:data']).startsWith('listed:'), `data dir: ${out['list:data']}`);
    assert.equal(out['server listed'], false);
    for (const line of out.status) assert.match(line, /^Cap\w+:\s+0+$/, 'every capability dropped');
    assert.equal(out.python, '7');
  });

  it('cannot read the directory of a run in flight', async () => {
    const [ready, go] = [path.join(shared, 'a-dir'), path.join(shared, 'go')];
    const victim = execute([
      'import os, time',
      "open(os.path.join(os.environ['TMPDIR'], 'private'), 'w').write('victim data')",
      `open(${JSON.stringify(ready + '.tmp')}, 'w').write(os.environ['TMPDIR'])`,
      `os.rename(${JSON.stringify(ready + '.tmp')}, ${JSON.stringify(ready)})`,
      `while not os.path.exists(${JSON.stringify(go)}):`,
      '    time.sleep(0.005)',
      "print('victim done')",
    ].join('\n'));
    const thief = execute([
      'import json, os, time',
      `while not os.path.exists(${JSON.stringify(ready)}):`,
      '    time.sleep(0.005)',
      `d = open(${JSON.stringify(ready)}).read()`,
      'out = {}',
      'for what, f in (("list", lambda: os.listdir(d)), ("read", lambda: open(os.path.join(d, "private")).read()), ("root", lambda: os.listdir(os.path.dirname(d)))):',
      '    try:',
      '        out[what] = f()',
      '    except Exception as e:',
      '        out[what] = type(e).__name__',
      `open(${JSON.stringify(go)}, 'w').close()`,
      'print(json.dumps(out))',
    ].join('\n'));
    const [v, t] = await Promise.all([victim, thief]);
    assert.equal(v.success, true, JSON.stringify({ v, t }));
    assert.equal(t.success, true, JSON.stringify(t));
    assert.deepEqual(JSON.parse(t.stdout), { list: 'PermissionError', read: 'PermissionError', root: 'PermissionError' });
  });
});

describe('a run without isolation', { skip }, () => {
  let runner: PythonRunner | undefined;
  let dataDir: string;
  before(() => {
    dataDir = tempDir();
    fs.writeFileSync(path.join(dataDir, 'secret.key'), 'key\n', { mode: 0o600 });
  });
  after(async () => {
    await runner?.close();
    fs.rmSync(dataDir, { recursive: true, force: true });
  });

  it('gets no secret, and says why', async () => {
    runner = new PythonRunner({ logger: silentLogger(), hide: [dataDir], isolate: false });
    assert.deepEqual(await runner.isolation(), { mode: null, reason: 'turned off' });
    const r = await runner.run({ code: 'print(sorted(ix.secrets))', context: { scriptType: 't', secrets: { API: 'value' } } });
    assert.equal(r.success, true, JSON.stringify(r));
    assert.equal(r.stdout, '[]\n');
    assert.match(r.stderr, /secrets withheld: runs are not isolated \(turned off\)/);
  });

  it('and with isolation a granted secret still arrives, the covered files stay covered', async () => {
    const iso = new PythonRunner({ logger: silentLogger(), hide: [dataDir] });
    try {
      assert.deepEqual(await iso.isolation(), { mode: 'root', reason: null });
      const r = await iso.run({ code: probe([path.join(dataDir, 'secret.key')], 'out["secrets"] = sorted(ix.secrets)'), context: { scriptType: 't', secrets: { API: 'value' } } });
      assert.equal(r.success, true, JSON.stringify(r));
      assert.deepEqual(JSON.parse(r.stdout), { [path.join(dataDir, 'secret.key')]: 'PermissionError', secrets: ['API'] });
    } finally {
      await iso.close();
    }
  });
});

// Not root: the parent makes a user namespace (the server's uid mapped to itself) and runs share
// the server's uid. Tried by a runner started as `nobody` with the system's python3 (root's pyenv
// is not readable by nobody).
const SYSTEM_PYTHON = '/usr/bin/python3';
const nonRootSkip = !isRoot ? skip : !fs.existsSync(SYSTEM_PYTHON) ? `${SYSTEM_PYTHON} is not installed` : !fs.existsSync('/usr/bin/setpriv') ? 'setpriv is not installed' : false;

describe('a server that is not root', { skip: nonRootSkip }, () => {
  let dir: string;
  before(() => {
    dir = tempDir('qntx-nonroot-');
    fs.chmodSync(dir, 0o777);
  });
  after(() => fs.rmSync(dir, { recursive: true, force: true }));

  it('covers the data directory, refuses the server\'s environ and shows a run only its own directory', async () => {
    const data = path.join(dir, 'data');
    const script = path.join(dir, 'runner.mts');
    fs.writeFileSync(script, `
import fs from 'node:fs';
import { PythonRunner } from ${JSON.stringify(path.join(REPO, 'src/python/runner.ts'))};
import { silentLogger } from ${JSON.stringify(path.join(REPO, 'src/logger.ts'))};
fs.mkdirSync(${JSON.stringify(data)}, { mode: 0o700 });
fs.writeFileSync(${JSON.stringify(path.join(data, 'secret.key'))}, 'key', { mode: 0o600 });
const r = new PythonRunner({ logger: silentLogger(), hide: [${JSON.stringify(data)}], python: ${JSON.stringify(SYSTEM_PYTHON)} });
const iso = await r.isolation();
const code = ${JSON.stringify(probe([path.join(data, 'secret.key')], [
      "out['environ'] = tryread('/proc/%d/environ' % int(ix.args[0]))",
      "out['siblings'] = trylist(os.path.dirname(os.environ['TMPDIR']))",
      "out['uid'] = os.getuid()",
      "out['secrets'] = sorted(ix.secrets)",
    ].join('\n')))};
const run = await r.run({ code, context: { scriptType: 't', args: [String(process.pid)], secrets: { S: 'v' } } });
await r.close();
process.stdout.write(JSON.stringify({ iso, run }));
`);
    const child = spawn('/usr/bin/setpriv', ['--reuid=65534', '--regid=65534', '--clear-groups', process.execPath, '--import', path.join(REPO, 'node_modules/tsx/dist/loader.mjs'), script], {
      cwd: dir,
      env: { PATH: '/usr/bin:/bin', HOME: dir },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    let err = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr.on('data', (d: Buffer) => (err += d.toString()));
    const code = await new Promise((resolve) => child.once('close', resolve));
    assert.equal(code, 0, err);
    const { iso, run } = JSON.parse(out);
    assert.deepEqual(iso, { mode: 'userns', reason: null });
    assert.equal(run.success, true, JSON.stringify(run));
    const seen = JSON.parse(run.stdout);
    assert.equal(seen[path.join(data, 'secret.key')], 'PermissionError');
    assert.equal(seen.environ, 'PermissionError');
    // One entry, its own (named by the run's id, or s<n> when its process was prepared ahead).
    assert.match(seen.siblings, /^listed:s?\d+$/, 'only its own run directory');
    assert.equal(seen.uid, 65534);
    assert.deepEqual(seen.secrets, ['S'], 'isolated: the granted secret arrives');
  });
});
