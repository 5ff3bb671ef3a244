// The ix parser, as a table: each input, the command it gives or the error (with its column).
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ValidationError } from '../src/errors.js';
import { parseIx, type IxCommand } from '../src/ix/parser.js';

const repos = new Set(['./repo', '/srv/code/project', '../sibling']);
const isGitRepoPath = (p: string) => repos.has(p);

type Ok = Partial<IxCommand> & { type: string };
const ok: Array<[string, Ok]> = [
  ['ix webhook', { type: 'webhook', args: [], flags: {} }],
  ['  ix   webhook  ', { type: 'webhook', args: [] }],
  ['ix webhook a b', { type: 'webhook', args: ['a', 'b'] }],
  ['ix webhook a "b c"', { type: 'webhook', args: ['a', 'b c'] }],
  ["ix webhook 'b c' d", { type: 'webhook', args: ['b c', 'd'] }],
  ['ix webhook "say \\"hi\\""', { type: 'webhook', args: ['say "hi"'] }],
  ["ix webhook 'no \\escape'", { type: 'webhook', args: ['no \\escape'] }],
  ['ix webhook a\\ b', { type: 'webhook', args: ['a b'] }],
  ['ix webhook ""', { type: 'webhook', args: [''] }],
  ['ix webhook pre"mid dle"post', { type: 'webhook', args: ['premid dlepost'] }],
  ['ix webhook --since last_run', { type: 'webhook', args: [], flags: { since: 'last_run' } }],
  ['ix webhook --since=2026-01-01', { type: 'webhook', flags: { since: '2026-01-01' } }],
  ['ix webhook --empty=', { type: 'webhook', flags: { empty: '' } }],
  ['ix webhook --verbose', { type: 'webhook', flags: { verbose: true } }],
  ['ix webhook --a --b', { type: 'webhook', flags: { a: true, b: true } }],
  ['ix webhook x --limit 5 y', { type: 'webhook', args: ['x', 'y'], flags: { limit: '5' } }],
  ['ix webhook --name "two words"', { type: 'webhook', flags: { name: 'two words' } }],
  ['ix webhook "--not-a-flag"', { type: 'webhook', args: ['--not-a-flag'], flags: {} }],
  ['ix webhook -- --literal x', { type: 'webhook', args: ['--literal', 'x'], flags: {} }],
  ['ix webhook --f v -- --g', { type: 'webhook', args: ['--g'], flags: { f: 'v' } }],
  ['ix webhook -x', { type: 'webhook', args: ['-x'] }],
  ['ix csv-import_2 file.csv', { type: 'csv-import_2', args: ['file.csv'] }],
  ['ix webhook ünïcødé 日本語 🚀', { type: 'webhook', args: ['ünïcødé', '日本語', '🚀'] }],
  ['ix webhook "; rm -rf /"', { type: 'webhook', args: ['; rm -rf /'] }],
  ['ix webhook ; rm -rf /', { type: 'webhook', args: [';', 'rm', '-rf', '/'] }],
  ['ix webhook $(reboot)', { type: 'webhook', args: ['$(reboot)'] }],
  ['ix webhook `id`', { type: 'webhook', args: ['`id`'] }],
  ['ix webhook a | cat && echo', { type: 'webhook', args: ['a', '|', 'cat', '&&', 'echo'] }],
  ['ix webhook $HOME ~ *', { type: 'webhook', args: ['$HOME', '~', '*'] }],
  ['ix git ./repo', { type: 'git', args: ['./repo'], gitSource: './repo' }],
  ['ix ./repo', { type: 'git', args: ['./repo'], gitSource: './repo' }],
  ['ix /srv/code/project --since last_run', { type: 'git', args: ['/srv/code/project'], flags: { since: 'last_run' } }],
  ['ix ../sibling --no-deps', { type: 'git', args: ['../sibling'], flags: { 'no-deps': true } }],
  ['ix https://github.com/teranos/QNTX', { type: 'git', args: ['https://github.com/teranos/QNTX'] }],
  ['ix https://example.com/x/y.git', { type: 'git', args: ['https://example.com/x/y.git'] }],
  ['ix git@github.com:teranos/QNTX.git', { type: 'git', args: ['git@github.com:teranos/QNTX.git'] }],
  ['ix git@host:path/to/repo', { type: 'git', args: ['git@host:path/to/repo'] }],
  ['ix file:///tmp/repo.git', { type: 'git', args: ['file:///tmp/repo.git'] }],
  ['ix ssh://git@host/repo', { type: 'git', args: ['ssh://git@host/repo'] }],
  ['ix webhook ./repo', { type: 'webhook', args: ['./repo'] }],
  ['ix\twebhook\ta', { type: 'webhook', args: ['a'] }],
];

const bad: Array<[string, RegExp, number?]> = [
  ['', /empty ix command/, 1],
  ['   ', /empty ix command/, 1],
  ['ix', /'ix' needs a type/, 3],
  ['webhook', /starts with 'ix'/, 1],
  ['"ix" webhook', /starts with 'ix'/, 1],
  ['ix "webhook', /unterminated double quote/, 4],
  ["ix webhook 'abc", /unterminated single quote/, 12],
  ['ix webhook "a', /unterminated double quote/, 12],
  ['ix Webhook', /invalid type 'Webhook'/, 4],
  ['ix web/hook', /invalid type/, 4],
  ['ix "web hook"', /invalid type/, 4],
  ['ix ' + 'a'.repeat(65), /invalid type/, 4],
  ['ix webhook --', /./],
  ['ix webhook --=x', /invalid flag/, 12],
  ['ix webhook ---x', /invalid flag/, 12],
  ['ix ' + 'x '.repeat(5000), /longer than 8192/],
];

describe('ix parser', () => {
  for (const [input, want] of ok) {
    it(`parses ${JSON.stringify(input).slice(0, 60)}`, () => {
      const got = parseIx(input, { isGitRepoPath });
      assert.equal(got.type, want.type);
      if (want.args) assert.deepEqual(got.args, want.args);
      if (want.flags) assert.deepEqual(got.flags, want.flags);
      if (want.gitSource) assert.equal(got.gitSource, want.gitSource);
    });
  }
  for (const [input, msg, column] of bad) {
    it(`rejects ${JSON.stringify(input).slice(0, 40)}`, () => {
      if (input === 'ix webhook --') {
        // `--` alone ends the flags and leaves nothing: valid, no args.
        assert.deepEqual(parseIx(input).args, []);
        return;
      }
      assert.throws(
        () => parseIx(input, { isGitRepoPath }),
        (err: unknown) => {
          assert.ok(err instanceof ValidationError);
          assert.match(err.message, msg);
          if (column !== undefined) {
            assert.ok(err.details.includes(`column=${column}`), `${err.details} has column=${column}`);
            assert.match(err.message, new RegExp(`column ${column}`));
          }
          return true;
        },
      );
    });
  }
  it('parses very long but bounded input quickly', () => {
    const input = 'ix webhook ' + 'word '.repeat(1500);
    const t = performance.now();
    assert.equal(parseIx(input).args.length, 1500);
    assert.ok(performance.now() - t < 200);
  });
});
