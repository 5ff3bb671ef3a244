// Python execute and handler routes over HTTP, and the same through the CLI.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { runCli } from './cli-helpers.js';
import { tempDir } from './helpers.js';
import { startTestServer, type TestServer } from './http-helpers.js';

describe('POST /api/python/execute', () => {
  let s: TestServer;
  before(async () => {
    s = await startTestServer();
  });
  after(async () => {
    await s.stop();
  });

  it('runs code, captures output and writes what it attests', async () => {
    const r = await s.request('POST', '/api/python/execute', {
      code: 'print("hello <b>")\nid = attest("exec-subject", "tried", "execute", attributes={"k": 1})\nprint(id[:2])',
    });
    assert.equal(r.status, 200);
    assert.equal(r.body.success, true, JSON.stringify(r.body));
    assert.equal(r.body.stdout, 'hello <b>\nAS\n');
    assert.equal(r.body.attestations_created, 1);
    assert.equal(typeof r.body.duration_ms, 'number');
    const found = await s.request('GET', '/api/attestations?subjects=exec-subject');
    assert.equal(found.body.attestations[0].attributes.k, 1);
  });

  it('reports an exception at the line of the user script', async () => {
    const r = await s.request('POST', '/api/python/execute', { code: 'x = 1\ny = 2\nz = x / 0\n' });
    assert.equal(r.body.success, false);
    assert.match(r.body.error, /division by zero/);
    assert.ok(r.body.details.includes('exception=ZeroDivisionError'));
    assert.ok(r.body.details.includes('line=3'));
    assert.match(r.body.stderr, /Traceback/);
  });

  it('reports a syntax error with its line before running', async () => {
    const r = await s.request('POST', '/api/python/execute', { code: 'print("ok")\ndef broken(:\n' });
    assert.equal(r.body.success, false);
    assert.ok(r.body.details.includes('exception=SyntaxError'));
    assert.ok(r.body.details.includes('line=2'));
    assert.equal(r.body.stdout, '');
  });

  it('rejects a malformed request with 400', async () => {
    const r = await s.request('POST', '/api/python/execute', { code: 42 });
    assert.equal(r.status, 400);
    assert.ok(r.body.details.some((d: string) => d.startsWith('code=')));
  });
});

describe('handler registration, versions and removal over HTTP', () => {
  let s: TestServer;
  before(async () => {
    s = await startTestServer();
  });
  after(async () => {
    await s.stop();
  });

  it('rejects bad type names, empty code, other languages and syntax errors', async () => {
    const cases: Array<[unknown, RegExp]> = [
      [{ script_type: 'Bad Type', code: 'pass' }, /invalid handler type/],
      [{ script_type: 'x'.repeat(65), code: 'pass' }, /invalid handler type/],
      [{ script_type: 'ok', code: '   ' }, /empty/],
      [{ script_type: 'ok', code: 'pass', language: 'ruby' }, /unsupported language/],
      [{ script_type: 'ok' }, /invalid body: code=/],
    ];
    for (const [body, msg] of cases) {
      const r = await s.request('POST', '/api/python/register-handler', body);
      assert.equal(r.status, 400, JSON.stringify(body));
      assert.match(r.body.error, msg);
    }
    const syn = await s.request('POST', '/api/python/register-handler', { script_type: 'ok', code: 'x = 1\nif x\n  pass\n' });
    assert.equal(syn.status, 400);
    assert.ok(syn.body.details.includes('line=2'), JSON.stringify(syn.body));
    assert.ok(syn.body.details.includes('exception=SyntaxError'));
    assert.equal((await s.request('GET', '/api/handlers')).body.handlers.length, 0);
  });

  it('counts versions, lists newest first, and keeps history after removal', async () => {
    const v1 = await s.request('POST', '/api/python/register-handler', { script_type: 'feed', code: 'print(1)', language: 'python' });
    const v2 = await s.request('POST', '/api/python/register-handler', { script_type: 'feed', code: 'print(2)' });
    assert.equal(v1.status, 201);
    assert.deepEqual([v1.body.version, v2.body.version], [1, 2]);
    assert.match(v2.body.sha256, /^[0-9a-f]{64}$/);
    const list = await s.request('GET', '/api/handlers');
    assert.deepEqual(list.body.handlers.map((h: any) => [h.script_type, h.version]), [['feed', 2]]);
    const show = await s.request('GET', '/api/handlers/feed');
    assert.deepEqual(show.body.versions.map((v: any) => v.version), [2, 1]);
    assert.equal(show.body.current.code, 'print(2)');
    const attest = await s.request('GET', `/api/attestations?subjects=${v2.body.id}&predicates=ix_handler&contexts=feed`);
    assert.deepEqual(attest.body.attestations[0].actors, ['canvas_glyph']);

    const rm = await s.request('DELETE', '/api/handlers/feed');
    assert.equal(rm.status, 200);
    assert.equal((await s.request('GET', '/api/handlers')).body.handlers.length, 0);
    const after = await s.request('GET', '/api/handlers/feed');
    assert.equal(after.body.current, null);
    assert.equal(after.body.versions.length, 2);
    assert.equal((await s.request('DELETE', '/api/handlers/feed')).status, 404);
    const sch = await s.request('POST', '/api/pulse/schedules', { ats_code: 'ix feed', interval_seconds: 0 });
    assert.equal(sch.status, 422);
    const v3 = await s.request('POST', '/api/python/register-handler', { script_type: 'feed', code: 'print(3)' });
    assert.equal(v3.body.version, 3);
  });
});

describe('handlers, run and ix through the CLI', () => {
  let dir: string;
  before(() => {
    dir = tempDir();
  });
  after(() => fs.rmSync(dir, { recursive: true, force: true }));

  it('adds, lists, shows and removes handlers', async () => {
    const file = path.join(dir, 'h.py');
    fs.writeFileSync(file, 'attest("cli", "ran", "clitype")\n');
    const add = await runCli(['handlers', 'add', 'clitype', file, '--data-dir', dir]);
    assert.equal(add.code, 0, add.stderr);
    assert.match(add.stdout, /registered clitype v1/);
    await runCli(['handlers', 'add', 'clitype', file, '--data-dir', dir]);
    const ls = await runCli(['handlers', 'ls', '--json', '--data-dir', dir]);
    assert.deepEqual(JSON.parse(ls.stdout).handlers.map((h: any) => h.version), [2]);
    const show = await runCli(['handlers', 'show', 'clitype', '--data-dir', dir]);
    assert.match(show.stdout, /# clitype v2/);
    assert.match(show.stdout, /versions: v2, v1/);
    const rm = await runCli(['handlers', 'rm', 'clitype', '--data-dir', dir]);
    assert.equal(rm.code, 0);
    const again = await runCli(['handlers', 'rm', 'clitype', '--json', '--data-dir', dir]);
    assert.equal(again.code, 1);
    assert.match(JSON.parse(again.stdout).error, /no handler/);
    const bad = path.join(dir, 'bad.py');
    fs.writeFileSync(bad, 'def f(:\n');
    const syn = await runCli(['handlers', 'add', 'clitype', bad, '--data-dir', dir]);
    assert.equal(syn.code, 1);
    assert.match(syn.stderr, /line=1/);
  });

  it('runs a script locally with args', async () => {
    const file = path.join(dir, 'r.py');
    fs.writeFileSync(file, 'print("args", ix.args)\nattest(ix.args, "seen", "run")\n');
    const r = await runCli(['run', file, 'a', 'b c', '--json', '--data-dir', dir]);
    assert.equal(r.code, 0, r.stderr);
    const body = JSON.parse(r.stdout);
    assert.equal(body.stdout, "args ['a', 'b c']\n");
    assert.equal(body.attestations_created, 1);
    const fail = path.join(dir, 'f.py');
    fs.writeFileSync(fail, 'raise ValueError("nope")\n');
    const f = await runCli(['run', fail, '--data-dir', dir]);
    assert.equal(f.code, 1);
    assert.match(f.stderr, /error: nope/);
    assert.match(f.stderr, /line=1/);
  });

  it('runs a script with no store named in a throwaway store, printing what it would attest', async () => {
    const cwd = fs.mkdtempSync(path.join(dir, 'cwd-'));
    const file = path.join(cwd, 'r.py');
    fs.writeFileSync(file, 'attest(["alice", "bob"], "seen", "tryout")\nprint("hi")\n');
    const env = { QNTX_DATA_DIR: '', QNTX_DATABASE_URL: '' };
    const human = await runCli(['run', file], env, cwd);
    assert.equal(human.code, 0, human.stderr);
    assert.match(human.stdout, /^hi\nwould attest \(nothing stored/);
    assert.match(human.stdout, /alice,bob\s+seen\s+tryout\s+python/);
    assert.match(human.stderr, /ok: would attest 1 attestation/);
    const json = await runCli(['run', file, '--json'], env, cwd);
    const body = JSON.parse(json.stdout);
    assert.equal(body.stored, false);
    assert.equal(body.attestations_created, 1);
    assert.deepEqual(body.attestations.map((a: { subjects: string[] }) => a.subjects), [['alice', 'bob']]);
    // Nothing was written where the command ran.
    assert.deepEqual(fs.readdirSync(cwd), ['r.py']);
  });

  it('schedules with ix, or prints the no-ingest-script error with details and hint', async () => {
    const none = await runCli(['ix', 'nothere', 'x', '--every', '5m', '--data-dir', dir]);
    assert.equal(none.code, 1);
    assert.match(none.stderr, /error: no ingest script for type 'nothere'/);
    assert.match(none.stderr, /script_type=nothere/);
    assert.match(none.stderr, /hint: Create a handler for 'nothere'/);
    const file = path.join(dir, 'w.py');
    fs.writeFileSync(file, 'print(ix.args, ix.flags)\n');
    await runCli(['handlers', 'add', 'webhook', file, '--data-dir', dir]);
    const ok = await runCli(['ix', 'webhook', 'a', 'b c', '--since', 'last_run', '--every', '5m', '--json', '--data-dir', dir]);
    assert.equal(ok.code, 0, ok.stderr);
    assert.match(ok.stderr, /scheduled: it runs in `qntx serve` on this store/);
    const worker = await runCli(['worker', '--data-dir', dir], { QNTX_DATABASE_URL: '' });
    assert.equal(worker.code, 1);
    assert.match(worker.stderr, /qntx worker needs PostgreSQL: on SQLite, `qntx serve` runs the jobs itself/);
    const s = JSON.parse(ok.stdout);
    assert.equal(s.interval_seconds, 300);
    assert.deepEqual(s.payload.args, ['a', 'b c']);
    assert.deepEqual(s.payload.flags, { since: 'last_run' });
    const ls = await runCli(['pulse', 'ls', '--json', '--data-dir', dir]);
    assert.equal(JSON.parse(ls.stdout).schedules[0].id, s.id);
    const paused = await runCli(['pulse', 'pause', s.id, '--json', '--data-dir', dir]);
    assert.equal(JSON.parse(paused.stdout).state, 'paused');
    const rm = await runCli(['pulse', 'rm', s.id, '--data-dir', dir]);
    assert.equal(rm.code, 0);
    const missing = await runCli(['pulse', 'runs', s.id, '--data-dir', dir]);
    assert.equal(missing.code, 1);
    assert.match(missing.stderr, /not found/);
  });
});
