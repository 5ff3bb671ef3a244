// The CLI of triggers and secrets: `qntx secrets` (the value from stdin, never an argument, never printed),
// `qntx hooks create | ls | rm`, and `qntx ix … --cron … --tz …` with its next run times.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { after, describe, it } from 'node:test';
import { BIN, runCli, type CliResult } from './cli-helpers.js';
import { tempDir } from './helpers.js';

function runWithInput(args: string[], input: string): Promise<CliResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [BIN, ...args], { env: { ...process.env, QNTX_LOG_LEVEL: 'warn' }, stdio: ['pipe', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr }));
    child.stdin.end(input);
  });
}

const VALUE = 'cli-secret-7a6b5c4d';

describe('qntx secrets, hooks and ix --cron', () => {
  const dir = tempDir();
  const d = ['--data-dir', dir];
  after(() => fs.rmSync(dir, { recursive: true, force: true }));

  it('sets a secret from stdin, lists names and grants, never prints the value', { timeout: 60_000 }, async () => {
    const set = await runWithInput(['secrets', 'set', 'GH_TOKEN', ...d], VALUE + '\n');
    assert.equal(set.code, 0, set.stderr);
    assert.match(set.stdout, /set GH_TOKEN/);
    assert.equal(fs.statSync(path.join(dir, 'secret.key')).mode & 0o777, 0o600);
    const empty = await runWithInput(['secrets', 'set', 'EMPTY', ...d], '');
    assert.notEqual(empty.code, 0);
    // A value given as an argument is refused (it would be visible in ps and shell histories).
    const argv = await runCli(['secrets', 'set', 'GH_TOKEN', VALUE, ...d]);
    assert.notEqual(argv.code, 0);
    const grant = await runCli(['secrets', 'grant', 'GH_TOKEN', 'webhook', ...d]);
    assert.equal(grant.code, 0, grant.stderr);
    const ls = await runCli(['secrets', 'ls', '--json', ...d]);
    assert.deepEqual(JSON.parse(ls.stdout).secrets.map((s: any) => [s.name, s.grants]), [['GH_TOKEN', ['webhook']]]);
    const revoke = await runCli(['secrets', 'revoke', 'GH_TOKEN', 'webhook', ...d]);
    assert.equal(revoke.code, 0, revoke.stderr);
    const rm = await runCli(['secrets', 'rm', 'GH_TOKEN', ...d]);
    assert.equal(rm.code, 0, rm.stderr);
    const rmAgain = await runCli(['secrets', 'rm', 'GH_TOKEN', ...d]);
    assert.notEqual(rmAgain.code, 0);
    for (const r of [set, argv, grant, ls, revoke, rm]) assert.ok(!r.stdout.includes(VALUE) && !r.stderr.includes(VALUE));
  });

  it('creates a hook (URL shown once), lists it without the URL, revokes it', { timeout: 60_000 }, async () => {
    const file = path.join(dir, 'h.py');
    fs.writeFileSync(file, 'attest("x", "y", "z")\n');
    assert.equal((await runCli(['handlers', 'add', 'webhook', file, ...d])).code, 0);
    const made = await runCli(['hooks', 'create', 'webhook', '--sign', ...d]);
    assert.equal(made.code, 0, made.stderr);
    const url = /URL \(shown once\): (\S+)/.exec(made.stdout)?.[1];
    assert.match(url ?? '', /^http:\/\/127\.0\.0\.1:8770\/hooks\/webhook\/[A-Za-z0-9_-]{43}$/);
    assert.match(made.stdout, /signing secret \(shown once\): [0-9a-f]{64}/);
    const id = /hook (HK[0-9a-f]+)/.exec(made.stdout)?.[1];
    const ls = await runCli(['hooks', 'ls', '--json', ...d]);
    const hooks = JSON.parse(ls.stdout).hooks;
    assert.deepEqual(hooks.map((h: any) => [h.id, h.script_type, h.signed]), [[id, 'webhook', true]]);
    assert.ok(!ls.stdout.includes(url!.split('/').pop()!));
    assert.equal((await runCli(['hooks', 'rm', id!, ...d])).code, 0);
    assert.deepEqual(JSON.parse((await runCli(['hooks', 'ls', '--json', ...d])).stdout).hooks, []);
  });

  it('schedules with --cron and --tz and prints the next five run times', { timeout: 60_000 }, async () => {
    const r = await runCli(['ix', 'webhook', '--cron', '0 9 * * 1-5', '--tz', 'Europe/Berlin', ...d]);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /cron "0 9 \* \* 1-5" Europe\/Berlin/);
    const next = /next runs: (.*)/.exec(r.stdout)?.[1]?.split(', ') ?? [];
    assert.equal(next.length, 5);
    for (const t of next) assert.match(t, /T0[78]:00:00\.000Z$/, 'nine in Berlin is 07:00 or 08:00 UTC');
    const bad = await runCli(['ix', 'webhook', '--cron', '0 9 * *', ...d]);
    assert.notEqual(bad.code, 0);
    assert.match(bad.stderr, /invalid cron expression/);
    const both = await runCli(['ix', 'webhook', '--cron', '* * * * *', '--every', '5m', ...d]);
    assert.notEqual(both.code, 0);
  });
});
