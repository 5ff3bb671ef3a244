// The CLI's attestation commands, through the real bin: as, ax --json, import.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { runCli } from './cli-helpers.js';
import { tempDir } from './helpers.js';

describe('qntx as / ax / import', () => {
  let dir: string;
  before(() => {
    dir = tempDir();
  });
  after(() => fs.rmSync(dir, { recursive: true, force: true }));

  it('makes an attestation with `as` and finds it with `ax --json`', async () => {
    const made = await runCli(['as', 'alice', 'is', 'engineer', 'of', 'acme corp', 'by', 'hr', '--data-dir', dir]);
    assert.equal(made.code, 0, made.stderr);
    assert.match(made.stdout, /^AS\w+\s+as alice is engineer of acme corp by hr/);
    const found = await runCli(['ax', '--context', 'acme corp', '--json', '--data-dir', dir]);
    assert.equal(found.code, 0, found.stderr);
    const body = JSON.parse(found.stdout);
    assert.equal(body.attestations.length, 1);
    assert.deepEqual(body.attestations[0].subjects, ['alice']);
    assert.deepEqual(body.attestations[0].actors, ['hr']);
    const human = await runCli(['ax', '--subject', 'alice', '--data-dir', dir]);
    assert.match(human.stdout, /SUBJECTS/);
    assert.match(human.stdout, /1 attestation/);
  });

  it('exits non-zero with message, details and hint on bad input', async () => {
    const r = await runCli(['as', 'alice', 'is', '--data-dir', dir]);
    assert.equal(r.code, 1);
    assert.match(r.stderr, /error: 'is' needs a predicate at column 9/);
    assert.match(r.stderr, /hint: /);
    const j = await runCli(['ax', '--limit', 'many', '--json', '--data-dir', dir]);
    assert.equal(j.code, 1);
    const body = JSON.parse(j.stdout);
    assert.ok(body.details.some((d: string) => d.startsWith('limit=')));
  });

  it('imports a good file in batches', async () => {
    const file = path.join(dir, 'good.jsonl');
    const lines = Array.from({ length: 2500 }, (_, i) =>
      JSON.stringify({ subjects: [`imp-${i}`], predicates: ['imported'], contexts: ['batch'], timestamp: i % 2 ? 1700000000000 + i : new Date(1700000000000 + i).toISOString() }),
    );
    fs.writeFileSync(file, lines.join('\n') + '\n');
    const r = await runCli(['import', file, '--batch-size', '1000', '--data-dir', dir]);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /imported 2500 attestation\(s\) from 2500 line\(s\)/);
    const q = await runCli(['ax', '--predicate', 'imported', '--limit', '1000', '--json', '--data-dir', dir]);
    assert.equal(JSON.parse(q.stdout).count, 1000);
  });

  it('stops at a bad line 3 with nothing of its batch written, or skips it with --skip-invalid', async () => {
    const file = path.join(dir, 'bad.jsonl');
    fs.writeFileSync(
      file,
      [
        JSON.stringify({ subjects: ['b1'], predicates: ['badfile'], contexts: ['c'] }),
        JSON.stringify({ subjects: ['b2'], predicates: ['badfile'], contexts: ['c'] }),
        JSON.stringify({ subjects: [], predicates: ['badfile'], contexts: ['c'] }),
        JSON.stringify({ subjects: ['b4'], predicates: ['badfile'], contexts: ['c'] }),
      ].join('\n'),
    );
    const r = await runCli(['import', file, '--data-dir', dir]);
    assert.equal(r.code, 1);
    assert.match(r.stderr, /error: line 3: invalid attestation/);
    assert.match(r.stderr, /line=3/);
    assert.match(r.stderr, /subjects=/);
    const none = await runCli(['ax', '--predicate', 'badfile', '--json', '--data-dir', dir]);
    assert.equal(JSON.parse(none.stdout).count, 0);

    const s = await runCli(['import', file, '--skip-invalid', '--data-dir', dir]);
    assert.equal(s.code, 0, s.stderr);
    assert.match(s.stderr, /skipped line 3/);
    assert.match(s.stdout, /imported 3 attestation\(s\).*skipped 1 invalid/);
    const three = await runCli(['ax', '--predicate', 'badfile', '--json', '--data-dir', dir]);
    assert.equal(JSON.parse(three.stdout).count, 3);
  });

  it('serve prints its URL and answers /health; stops on SIGTERM', async () => {
    const { spawn } = await import('node:child_process');
    const { BIN } = await import('./cli-helpers.js');
    const child = spawn(process.execPath, [BIN, 'serve', '--port', '0', '--data-dir', dir], {
      stdio: ['ignore', 'pipe', 'pipe'],
      env: { ...process.env, QNTX_LOG_LEVEL: 'warn' },
    });
    const url = await new Promise<string>((resolve, reject) => {
      let out = '';
      child.stdout.on('data', (d: Buffer) => {
        out += d.toString();
        const m = out.match(/http:\/\/127\.0\.0\.1:\d+/);
        if (m) resolve(m[0]);
      });
      child.on('exit', (code) => reject(new Error(`serve exited ${code}`)));
    });
    const health = await fetch(url + '/health');
    assert.equal(health.status, 200);
    const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
    child.kill('SIGTERM');
    assert.equal(await exited, 0);
  });

  it('filters by attribute, prefix and subjects_from, and counts, with ax', async () => {
    const file = path.join(dir, 'git.jsonl');
    const rows = [
      { subjects: ['ca'], predicates: ['modifies'], contexts: ['Makefile'], attributes: { repo: '/r' }, timestamp: 1 },
      { subjects: ['cb'], predicates: ['modifies'], contexts: ['src/x.ts'], attributes: { repo: '/r' }, timestamp: 2 },
      { subjects: ['ca'], predicates: ['authored_by'], contexts: ['ada@example.com'], attributes: { repo: '/r' }, timestamp: 1 },
      { subjects: ['cb'], predicates: ['authored_by'], contexts: ['bob@example.com'], attributes: { repo: '/other' }, timestamp: 2 },
    ];
    fs.writeFileSync(file, rows.map((r) => JSON.stringify(r)).join('\n') + '\n');
    assert.equal((await runCli(['import', file, '--data-dir', dir])).code, 0);
    const who = await runCli(['ax', '--predicate', 'authored_by', '--subjects-from', 'predicates=modifies&contexts=Makefile', '--json', '--data-dir', dir]);
    assert.deepEqual(JSON.parse(who.stdout).attestations.map((a: any) => a.contexts[0]), ['ada@example.com']);
    const n = await runCli(['ax', '--predicate', 'authored_by', '--attr', 'repo=/r', '--count', '--data-dir', dir]);
    assert.equal(n.stdout.trim(), '1');
    const src = await runCli(['ax', '--context', 'src/*', '--count', '--json', '--data-dir', dir]);
    assert.deepEqual(JSON.parse(src.stdout), { count: 1 });
  });
});
