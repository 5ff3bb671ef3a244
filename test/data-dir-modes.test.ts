// What a real `qntx serve` leaves readable: its data directory is 0700 and every file in it 0600,
// also when found wider; its command line never holds a database URL given as a flag.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { after, describe, it } from 'node:test';
import { loadSettings } from '../src/config.js';
import { redactedCommandLine } from '../src/cli/hide-credentials.js';
import { PG_SKIP, PG_URL, tempDir } from './helpers.js';
import { api, startProcess, type QntxProcess } from './process-helpers.js';

const mode = (p: string): number => fs.statSync(p).mode & 0o777;

/** Every entry of the data directory (one level, as narrowed) with its mode, in octal. */
function modes(dir: string): Record<string, string> {
  const out: Record<string, string> = { '.': mode(dir).toString(8) };
  for (const name of fs.readdirSync(dir)) out[name] = mode(path.join(dir, name)).toString(8);
  return out;
}

describe('the data directory', () => {
  const procs: QntxProcess[] = [];
  const dirs: string[] = [];
  after(async () => {
    for (const p of procs) await p.kill();
    for (const d of dirs) fs.rmSync(d, { recursive: true, force: true });
  });

  it('is made 0700 with every file 0600: database, -wal, -shm, token, secret key', async () => {
    const parent = tempDir();
    dirs.push(parent);
    const dataDir = path.join(parent, 'data');
    const s = await startProcess(['serve', '--port', '0', '--data-dir', dataDir]);
    procs.push(s);
    await api(s.url!, 'PUT', '/api/secrets/SOME_SECRET', { value: 'a value of some length' });
    const found = modes(dataDir);
    for (const f of ['qntx.db', 'qntx.db-wal', 'qntx.db-shm', 'token', 'secret.key']) assert.ok(f in found, `${f} in ${JSON.stringify(found)}`);
    for (const [name, m] of Object.entries(found)) {
      const isDir = fs.statSync(path.join(dataDir, name)).isDirectory();
      assert.equal(m, isDir ? '700' : '600', `${name}: ${m}`);
    }
    // What the server creates later is private too (its umask).
    const status = fs.readFileSync(`/proc/${s.child.pid}/status`, 'utf8');
    assert.match(status, /^Umask:\s+0077$/m);
  });

  it('is narrowed at start when found wider', async () => {
    const dataDir = tempDir();
    dirs.push(dataDir);
    fs.writeFileSync(path.join(dataDir, 'token'), 'a-token-of-enough-length-1234\n');
    fs.writeFileSync(path.join(dataDir, 'qntx.db'), '');
    fs.mkdirSync(path.join(dataDir, 'git-cache'));
    fs.chmodSync(dataDir, 0o755);
    fs.chmodSync(path.join(dataDir, 'token'), 0o644);
    fs.chmodSync(path.join(dataDir, 'qntx.db'), 0o666);
    fs.chmodSync(path.join(dataDir, 'git-cache'), 0o777);
    const s = await startProcess(['serve', '--port', '0', '--data-dir', dataDir]);
    procs.push(s);
    const found = modes(dataDir);
    assert.equal(found['.'], '700');
    assert.equal(found.token, '600');
    assert.equal(found['qntx.db'], '600');
    assert.equal(found['git-cache'], '700');
    assert.equal(found['qntx.db-wal'], '600');
  });
});

describe('a database URL given as a flag', () => {
  it('is replaced in the command line, in either spelling', () => {
    assert.equal(redactedCommandLine(['node', 'qntx', 'serve', '--database-url', 'postgres://u:pw@h/db', '--port', '0']), 'node qntx serve --database-url [hidden] --port 0');
    assert.equal(redactedCommandLine(['node', 'qntx', 'worker', '--read-database-url=postgres://u:pw@h/db']), 'node qntx worker --read-database-url=[hidden]');
    assert.equal(redactedCommandLine(['node', 'qntx', 'serve', '--port', '0']), null);
  });

  it('is read from a 0600 file, and refused from a file others may read', () => {
    const dir = tempDir();
    try {
      const file = path.join(dir, 'url');
      fs.writeFileSync(file, 'postgres://u:pw@h/db\n', { mode: 0o600 });
      assert.equal(loadSettings({ databaseUrlFile: file }, {}).databaseUrl, 'postgres://u:pw@h/db');
      assert.equal(loadSettings({}, { QNTX_DATABASE_URL_FILE: file }).databaseUrl, 'postgres://u:pw@h/db');
      fs.chmodSync(file, 0o644);
      assert.throws(() => loadSettings({ databaseUrlFile: file }, {}), /readable by others/);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  describe('in a real server and worker (PostgreSQL)', { skip: PG_SKIP }, () => {
    const procs: QntxProcess[] = [];
    const dirs: string[] = [];
    after(async () => {
      for (const p of procs) await p.kill();
      for (const d of dirs) fs.rmSync(d, { recursive: true, force: true });
    });

    for (const cmd of ['serve', 'worker'] as const) {
      it(`is not in /proc/<pid>/cmdline of qntx ${cmd}`, async () => {
        const dataDir = tempDir();
        dirs.push(dataDir);
        const args = cmd === 'serve' ? ['serve', '--port', '0', '--data-dir', dataDir, '--database-url', PG_URL!] : ['worker', '--data-dir', dataDir, '--database-url', PG_URL!];
        const p = await startProcess(args);
        procs.push(p);
        const cmdline = fs.readFileSync(`/proc/${p.child.pid}/cmdline`, 'latin1');
        assert.ok(!cmdline.includes(PG_URL!), `cmdline holds the URL: ${JSON.stringify(cmdline)}`);
        assert.ok(!cmdline.includes('postgres://'), JSON.stringify(cmdline));
        assert.match(cmdline, /--database-url \[hidden\]/);
      });
    }
  });
});
