// `qntx ax <query…>` and `qntx alias` as real processes: the language, the flag form, --json,
// --verbose, --summary, errors with column and hint, aliases, and `so` making a schedule.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import { after, before, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { runCli } from './cli-helpers.js';
import { tempDir } from './helpers.js';

const TRACE = fileURLToPath(new URL('./fixtures/module-trace.mjs', import.meta.url));

describe('qntx ax and qntx alias', () => {
  let dir: string;
  const cli = (...args: string[]) => runCli([...args, '--data-dir', dir]);
  const json = async (...args: string[]) => {
    const r = await cli(...args, '--json');
    assert.equal(r.code, 0, r.stderr + r.stdout);
    return JSON.parse(r.stdout);
  };

  before(async () => {
    dir = tempDir();
    for (const words of [
      'alice is engineer of acme by hr at 2026-01-10',
      'alice is engineer of globex by hr at 2026-02-10',
      '"John Doe" is engineer of acme by ix:webhook at 2026-02-11',
      'E-7 is member of club by registry at 2026-02-12',
    ]) {
      const r = await cli('as', words);
      assert.equal(r.code, 0, r.stderr);
    }
  });
  after(() => fs.rmSync(dir, { recursive: true, force: true }));

  it('asks in the language and prints a table', async () => {
    const r = await cli('ax', 'is', 'engineer', 'of', 'acme');
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /^TIME\s+SUBJECTS\s+PREDICATES\s+CONTEXTS\s+ACTORS\s+ID/);
    assert.match(r.stdout, /John Doe/);
    assert.match(r.stdout, /2 attestation\(s\)/);
  });

  it('takes a whole query in one word, and of several words keeps one with spaces as one value', async () => {
    assert.equal((await json('ax', 'John Doe')).count, 0, 'one word: the subjects John and Doe');
    assert.equal((await json('ax', 'John Doe', 'is', 'engineer')).count, 1);
    assert.equal((await json('ax', 'alice is engineer of acme')).count, 1);
    assert.equal((await json('ax', '"John Doe" is engineer')).count, 1);
    assert.equal((await json('ax', 'alice', 'since', '2026-02')).count, 1);
    assert.equal((await json('ax', 'alice', 'between', '2026-01', 'and', '2026-01')).count, 1);
  });

  it('keeps the flag form, alone or with a query', async () => {
    const flags = await json('ax', '--subject', 'alice', '--context', 'acme');
    assert.deepEqual(flags.attestations.map((a: any) => a.contexts[0]), ['acme']);
    const mixed = await json('ax', 'is', 'engineer', '--actor', 'ix:webhook');
    assert.deepEqual(mixed.attestations.map((a: any) => a.subjects[0]), ['John Doe']);
    const old = await json('ax', '--predicate', 'engineer', '--order', 'asc', '--since', '2026-02-01');
    assert.deepEqual(old.attestations.map((a: any) => a.subjects[0]), ['alice', 'John Doe']);
  });

  it('prints the sameness groups with --verbose and the summary with --summary', async () => {
    const v = await cli('ax', 'alice', 'is', 'engineer', '--verbose');
    assert.match(v.stdout, /sameness group/);
    assert.match(v.stdout, /\n(evolution|coexistence|review) {2}alice is engineer {2}confidence \d\.\d\d/);
    const s = await cli('ax', 'is', 'engineer', '--summary');
    assert.match(s.stdout, /^matched 3, shown \d, sameness groups 1/);
    assert.match(s.stdout, /contexts: acme \(2\), globex \(1\)/);
    assert.doesNotMatch(s.stdout, /^TIME/m);
  });

  it('loads the store and AX only for a query without so, and chrono-node only for a relative time', async () => {
    const trace = `${dir}/module-trace.json`;
    const loaded = async (...args: string[]) => {
      const r = await runCli([...args, '--data-dir', dir], { MODULE_TRACE_FILE: trace }, undefined, ['--import', TRACE]);
      assert.equal(r.code, 0, r.stderr);
      return (JSON.parse(fs.readFileSync(trace, 'utf8')) as string[]).map((u) => u.replace(/^file:\/\//, ''));
    };
    const plain = await loaded('ax', 'alice', 'is', 'engineer', 'since', '2026-01');
    assert.ok(plain.some((f) => f.endsWith('/dist/ax/engine.js')), 'the AX engine ran');
    const unwanted = (f: string) =>
      /\/dist\/(app|pulse\/|python\/|hooks\/|secrets\/)/.test(f) || /\/node_modules\/(chrono-node|pg|pino-pretty)\//.test(f) || /\/node_modules\/kysely\/dist\/esm\//.test(f);
    assert.deepEqual(plain.filter(unwanted), []);
    const relative = await loaded('ax', 'alice', 'since', '3 days ago');
    const chrono = relative.filter((f) => f.includes('/node_modules/chrono-node/'));
    assert.ok(chrono.some((f) => f.includes('/locales/en/')), 'the English parser');
    assert.deepEqual(chrono.filter((f) => /\/locales\/(?!en\/)/.test(f)), [], 'no other language');
  });

  it('exits 1 with the error, its column and hint', async () => {
    const r = await cli('ax', 'alice', 'is');
    assert.equal(r.code, 1);
    assert.match(r.stderr, /error: 'is' needs a predicate at column 9/);
    assert.match(r.stderr, /column=9/);
    assert.match(r.stderr, /hint: write it as: ax/);
    const j = await cli('ax', 'since', 'blorp', '--json');
    assert.equal(j.code, 1);
    assert.deepEqual(JSON.parse(j.stdout).details, ['column=7', 'time=blorp']);
  });

  it('makes, lists and removes aliases', async () => {
    const made = await cli('alias', 'E-7', 'employee-7');
    assert.equal(made.code, 0, made.stderr);
    assert.match(made.stdout, /as E-7 is alias of employee-7/);
    const found = await json('ax', 'employee-7');
    assert.deepEqual(found.attestations.find((a: any) => a.predicates[0] === 'member').matched_aliases, [{ field: 'subjects', value: 'E-7', alias_of: 'employee-7' }]);
    const table = await cli('ax', 'employee-7', 'is', 'member');
    assert.match(table.stdout, /ALIAS/);
    assert.match(table.stdout, /E-7 = employee-7/);
    assert.deepEqual((await json('alias', 'employee-7')).values, ['employee-7', 'E-7']);
    const removed = await cli('alias', 'E-7', 'employee-7', '--remove');
    assert.equal(removed.code, 0, removed.stderr);
    assert.equal((await json('ax', 'employee-7', 'is', 'member')).count, 0);
    const again = await cli('alias', 'E-7', 'employee-7', '--remove');
    assert.equal(again.code, 1);
    assert.match(again.stderr, /no alias between/);
    assert.equal((await cli('alias', 'x', 'x')).code, 1);
  });

  it("schedules the handler of 'so <type>', once or --every", async () => {
    const code = `${dir}/h.py`;
    fs.writeFileSync(code, 'print(len(ix.input))\n');
    assert.equal((await cli('handlers', 'add', 'notify', code)).code, 0);
    const once = await cli('ax', 'alice', 'so', 'notify');
    assert.equal(once.code, 0, once.stderr);
    assert.match(once.stdout, /once\s+ax alice so notify/);
    assert.match(once.stdout, /handler python\.script/);
    const every = await json('ax', 'alice', 'so', 'notify', '--every', '1h');
    assert.equal(every.actions[0].schedule.interval_seconds, 3600);
    assert.equal(every.actions[0].schedule.created_from, 'cli');
    const missing = await cli('ax', 'alice', 'so', 'nope');
    assert.equal(missing.code, 1);
    assert.match(missing.stderr, /script_type=nope/);
  });
});
