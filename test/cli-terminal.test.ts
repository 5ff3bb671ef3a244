// Stored text reaching a terminal: `qntx ax` and the other human outputs show ESC, OSC, BEL, C1
// and bidi controls as visible escapes; --json escapes them as JSON does.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import { after, describe, it } from 'node:test';
import { runCli } from './cli-helpers.js';
import { openTestQntx, tempDir } from './helpers.js';

/* eslint-disable no-control-regex -- these tests look for raw control characters */

// Set the title (OSC 0 … BEL), clear the screen (CSI 2J), a C1 CSI, and a right-to-left override.
const HOSTILE = 'evil\u001b]0;pwned\u0007\u001b[2J\u009b31m\u202etxt.exe';
const RAW = /[\u0000-\u0008\u000b-\u001f\u007f-\u009f\u202a-\u202e\u2066-\u2069]/;

describe('terminal output of stored text', () => {
  const dir = tempDir();
  after(() => fs.rmSync(dir, { recursive: true, force: true }));

  it('qntx ax prints no control characters in its table, and --json escapes them', async () => {
    const q = await openTestQntx('sqlite', { dataDir: dir });
    await q.ats.attest({ subjects: [HOSTILE], predicates: ['probe'], contexts: [HOSTILE], actors: ['x\u0007'] }, { source: 'test', actor: 'test' });
    await q.pulse.createSchedule({ ats_code: `ix ${HOSTILE.replace(/\s/g, '')}`, interval_seconds: 0 }).catch(() => undefined);
    await q.close();
    const table = await runCli(['ax', '--predicate', 'probe', '--data-dir', dir]);
    assert.equal(table.code, 0, table.stderr);
    assert.doesNotMatch(table.stdout, RAW);
    assert.match(table.stdout, /evil\\x1b\]0;pwned\\x07\\x1b\[2J\\x9b31m\\u202etxt\.exe/);
    // The sameness groups and the summary print stored values too (a second claim makes a group).
    const q2 = await openTestQntx('sqlite', { dataDir: dir });
    await q2.ats.attest({ subjects: [HOSTILE], predicates: ['probe'], contexts: ['other'], actors: ['y'] }, { source: 'test', actor: 'test' });
    await q2.close();
    const verbose = await runCli(['ax', '--predicate', 'probe', '--verbose', '--summary', '--data-dir', dir]);
    assert.equal(verbose.code, 0, verbose.stderr);
    assert.match(verbose.stdout, /evil\\x1b/);
    assert.doesNotMatch(verbose.stdout, RAW);
    const json = await runCli(['ax', '--predicate', 'probe', '--data-dir', dir, '--json']);
    // JSON escapes C0 (ESC, BEL…); the rest is data for programs, not a terminal.
    assert.doesNotMatch(json.stdout, /[\u0000-\u0009\u000b-\u001f]/);
    assert.equal(JSON.parse(json.stdout).attestations[0].subjects[0], HOSTILE);
  });

  it('escapes them in errors, in qntx as and in handlers show', async () => {
    const made = await runCli(['as', `a${HOSTILE}`, 'is', 'p', 'of', 'c', '--data-dir', dir]);
    assert.equal(made.code, 0, made.stderr);
    assert.doesNotMatch(made.stdout, RAW);
    const err = await runCli(['ax', '--cursor', `bad${HOSTILE}`, '--data-dir', dir]);
    assert.notEqual(err.code, 0);
    assert.doesNotMatch(err.stderr, RAW);
    const file = `${dir}/h.py`;
    fs.writeFileSync(file, `print("${HOSTILE.replace(/\u001b/g, '\\x1b')}")\n# \u001b[2J\n`);
    assert.equal((await runCli(['handlers', 'add', 'probe', file, '--data-dir', dir])).code, 0);
    const shown = await runCli(['handlers', 'show', 'probe', '--data-dir', dir]);
    assert.doesNotMatch(shown.stdout, RAW);
    assert.match(shown.stdout, /# \\x1b\[2J\n/);
  });
});
