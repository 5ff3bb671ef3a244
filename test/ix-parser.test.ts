// The ix parser as a table: each input and the command it gives, or the error and its column.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { after, describe, it } from 'node:test';
import { ValidationError } from '../src/errors.js';
import { MAX_IX_BYTES, parseIx, type IxCommand } from '../src/ix/parser.js';
import { tempDir } from './helpers.js';

const repos = new Set(['./repo', '/srv/code/project', '../sibling', '.', './my repo']);
const isGitRepoPath = (p: string) => repos.has(p);

const cmd = (type: string, args: string[] = [], flags: IxCommand['flags'] = {}, gitSource?: string): IxCommand =>
  gitSource === undefined ? { type, args, flags } : { type, args, flags, gitSource };
const git = (source: string, rest: string[] = [], flags: IxCommand['flags'] = {}) => cmd('git', [source, ...rest], flags, source);

const ok: Array<[string, IxCommand]> = [
  // words, quotes and escapes
  ['ix webhook', cmd('webhook')],
  ['  ix   webhook  ', cmd('webhook')],
  ['ix\twebhook\na\r\nb', cmd('webhook', ['a', 'b'])],
  ['ix webhook a b', cmd('webhook', ['a', 'b'])],
  ['ix webhook a "b c"', cmd('webhook', ['a', 'b c'])],
  ["ix webhook 'b c' d", cmd('webhook', ['b c', 'd'])],
  ['ix webhook "say \\"hi\\""', cmd('webhook', ['say "hi"'])],
  ['ix webhook "back\\\\slash"', cmd('webhook', ['back\\slash'])],
  ['ix webhook "C:\\dir\\n"', cmd('webhook', ['C:\\dir\\n'])],
  ["ix webhook 'no \\escape'", cmd('webhook', ['no \\escape'])],
  ['ix webhook a\\ b', cmd('webhook', ['a b'])],
  ['ix webhook a\\\\b', cmd('webhook', ['a\\b'])],
  ["ix webhook 'it'\\''s'", cmd('webhook', ["it's"])],
  ['ix webhook "a\'b" \'c"d\'', cmd('webhook', ["a'b", 'c"d'])],
  ['ix webhook ""', cmd('webhook', [''])],
  ["ix webhook '' x", cmd('webhook', ['', 'x'])],
  ['ix webhook pre"mid dle"post', cmd('webhook', ['premid dlepost'])],
  ['ix "webhook" a', cmd('webhook', ['a'])],
  ['ix ix', cmd('ix')],
  ['ix csv-import_2 file.csv', cmd('csv-import_2', ['file.csv'])],
  ['ix ' + 'a'.repeat(64), cmd('a'.repeat(64))],
  // unicode
  ['ix webhook ünïcødé 日本語 🚀', cmd('webhook', ['ünïcødé', '日本語', '🚀'])],
  ['ix webhook "😀 👍🏽"', cmd('webhook', ['😀 👍🏽'])],
  ['ix webhook a\u3000b', cmd('webhook', ['a', 'b'])],
  // flags
  ['ix webhook --since last_run', cmd('webhook', [], { since: 'last_run' })],
  ['ix webhook a "b c" --since last_run', cmd('webhook', ['a', 'b c'], { since: 'last_run' })],
  ['ix webhook --since=2026-01-01', cmd('webhook', [], { since: '2026-01-01' })],
  ['ix webhook --a=b=c', cmd('webhook', [], { a: 'b=c' })],
  ['ix webhook --empty=', cmd('webhook', [], { empty: '' })],
  ['ix webhook --verbose', cmd('webhook', [], { verbose: true })],
  ['ix webhook --a --b', cmd('webhook', [], { a: true, b: true })],
  ['ix webhook x --limit 5 y', cmd('webhook', ['x', 'y'], { limit: '5' })],
  ['ix webhook --offset -5', cmd('webhook', [], { offset: '-5' })],
  ['ix webhook --x 1 --x 2', cmd('webhook', [], { x: '2' })],
  ['ix webhook --name "two words"', cmd('webhook', [], { name: 'two words' })],
  ['ix webhook --f "--v"', cmd('webhook', [], { f: '--v' })],
  ['ix webhook "--not-a-flag"', cmd('webhook', ['--not-a-flag'])],
  ['ix webhook \\--escaped', cmd('webhook', ['--escaped'])],
  ['ix webhook -x -', cmd('webhook', ['-x', '-'])],
  ['ix webhook Mixed.Case_flag', cmd('webhook', ['Mixed.Case_flag'])],
  ['ix webhook --Mixed.Case_flag=1', cmd('webhook', [], { 'Mixed.Case_flag': '1' })],
  // `--` ends the flags
  ['ix webhook --', cmd('webhook')],
  ['ix webhook -- --literal x', cmd('webhook', ['--literal', 'x'])],
  ['ix webhook --f v -- --g -- h', cmd('webhook', ['--g', '--', 'h'], { f: 'v' })],
  ['ix webhook --since -- x', cmd('webhook', ['x'], { since: true })],
  // shell-looking text is data
  ['ix webhook "; rm -rf /"', cmd('webhook', ['; rm -rf /'])],
  ['ix webhook ; rm -rf /', cmd('webhook', [';', 'rm', '-rf', '/'])],
  ['ix webhook a;b', cmd('webhook', ['a;b'])],
  ['ix webhook $(reboot) "$(id)"', cmd('webhook', ['$(reboot)', '$(id)'])],
  ['ix webhook `id`', cmd('webhook', ['`id`'])],
  ['ix webhook a | cat && echo || true', cmd('webhook', ['a', '|', 'cat', '&&', 'echo', '||', 'true'])],
  ['ix webhook > /etc/passwd < x 2>&1 &', cmd('webhook', ['>', '/etc/passwd', '<', 'x', '2>&1', '&'])],
  ['ix webhook $HOME ~ * {a,b}', cmd('webhook', ['$HOME', '~', '*', '{a,b}'])],
  // git, every form
  ['ix git ./repo', git('./repo')],
  ['ix git https://example.com/any/path', git('https://example.com/any/path')],
  ['ix git', cmd('git')],
  ['ix git --since last_run', cmd('git', [], { since: 'last_run' })],
  ['ix ./repo', git('./repo')],
  ['ix "./my repo"', git('./my repo')],
  ['ix .', git('.')],
  ['ix /srv/code/project --since last_run', git('/srv/code/project', [], { since: 'last_run' })],
  ['ix ../sibling --no-deps', git('../sibling', [], { 'no-deps': true })],
  ['ix https://github.com/teranos/QNTX', git('https://github.com/teranos/QNTX')],
  ['ix http://www.github.com/teranos/QNTX/tree/main', git('http://www.github.com/teranos/QNTX/tree/main')],
  ['ix https://gitlab.com/group/project', git('https://gitlab.com/group/project')],
  ['ix https://example.com/x/y.git', git('https://example.com/x/y.git')],
  ['ix https://example.com/x/y.git/ extra', git('https://example.com/x/y.git/', ['extra'])],
  ['ix git@github.com:teranos/QNTX.git', git('git@github.com:teranos/QNTX.git')],
  ['ix git@host:path/to/repo --since 2026-01-01', git('git@host:path/to/repo', [], { since: '2026-01-01' })],
  ['ix ssh://git@host/repo', git('ssh://git@host/repo')],
  ['ix git://host/repo', git('git://host/repo')],
  ['ix file:///tmp/repo.git', git('file:///tmp/repo.git')],
  ['ix file:///srv/code/project', git('file:///srv/code/project')],
  ['ix mirror.git', git('mirror.git')],
  ['ix webhook ./repo', cmd('webhook', ['./repo'])],
];

const bad: Array<[string, RegExp, number | undefined]> = [
  ['', /^empty ix command at column 1$/, 1],
  ['   ', /^empty ix command/, 1],
  ['ix', /^'ix' needs a type at column 3$/, 3],
  ['ix   ', /'ix' needs a type/, 3],
  ['webhook', /starts with 'ix'/, 1],
  ['IX webhook', /starts with 'ix'/, 1],
  ['"ix" webhook', /starts with 'ix'/, 1],
  ['ix "webhook', /^unterminated quote at column 4$/, 4],
  ["ix webhook 'abc", /^unterminated quote at column 12$/, 12],
  ['ix webhook "a', /unterminated quote/, 12],
  ['ix webhook 🚀 "x', /unterminated quote at column 14/, 14],
  ['ix webhook "a\\"', /unterminated quote/, 12],
  ['ix webhook a\\', /backslash at the end/, 13],
  ['ix webhook a\0b', /NUL character/, 13],
  ['ix Webhook', /^invalid type 'Webhook' at column 4$/, 4],
  ['ix wébhook', /invalid type/, 4],
  ['ix web/hook', /invalid type/, 4],
  ['ix "web hook"', /invalid type 'web hook'/, 4],
  ['ix ""', /invalid type ''/, 4],
  ['ix ' + 'a'.repeat(65), /invalid type/, 4],
  ['ix ./not-a-repo', /invalid type/, 4],
  ['ix https://example.com/data.json', /invalid type/, 4],
  ['ix https://github.com/teranos', /invalid type/, 4],
  ['ix ftp://host/repo.git', /invalid type/, 4],
  ['ix --since x', /expected a type before '--since'/, 4],
  ['ix -- webhook', /expected a type before '--'/, 4],
  ['ix webhook --=x', /invalid flag '--=x'/, 12],
  ['ix webhook ---x', /invalid flag/, 12],
  ['ix webhook --__proto__=x', /invalid flag/, 12],
  ['ix webhook ' + 'x '.repeat(5000), /longer than 8192 bytes/, undefined],
  ['ix webhook ' + 'é'.repeat(4091), /longer than 8192 bytes/, undefined],
];

function assertParseError(input: string, msg: RegExp, column: number | undefined): void {
  assert.throws(
    () => parseIx(input, { isGitRepoPath }),
    (err: unknown) => {
      assert.ok(err instanceof ValidationError, String(err));
      assert.equal(err.status, 400);
      assert.match(err.message, msg);
      assert.ok(err.hint, 'has a hint');
      if (column !== undefined) {
        assert.equal(err.details[0], `column=${column}`);
        assert.match(err.message, new RegExp(`at column ${column}$`));
      }
      return true;
    },
  );
}

describe('ix parser', () => {
  it('has a table of at least 40 cases', () => assert.ok(ok.length + bad.length >= 40));

  for (const [input, want] of ok) {
    it(`parses ${JSON.stringify(input).slice(0, 70)}`, () => {
      assert.deepEqual(parseIx(input, { isGitRepoPath }), want);
    });
  }
  for (const [input, msg, column] of bad) {
    it(`rejects ${JSON.stringify(input).slice(0, 50)}`, () => assertParseError(input, msg, column));
  }

  it('takes exactly 8 KiB and no more, counted in UTF-8 bytes', () => {
    const head = 'ix webhook ';
    assert.equal(parseIx(head + 'a'.repeat(MAX_IX_BYTES - head.length)).args[0]!.length, MAX_IX_BYTES - head.length);
    assertParseError(head + 'a'.repeat(MAX_IX_BYTES - head.length + 1), /longer than/, undefined);
    assert.equal(parseIx(head + 'é'.repeat((MAX_IX_BYTES - head.length - 1) / 2)).type, 'webhook');
  });

  it('rejects a huge input at once, with its size in the details', () => {
    const t = performance.now();
    assert.throws(() => parseIx('ix webhook ' + 'x'.repeat(10_000_000)), (err: ValidationError) => {
      assert.deepEqual(err.details, ['length=10000011', 'max=8192']);
      return true;
    });
    assert.ok(performance.now() - t < 100);
  });

  it('parses long bounded input quickly', () => {
    const input = 'ix webhook ' + 'word "two words" --k v '.repeat(340);
    const t = performance.now();
    const got = parseIx(input);
    assert.equal(got.args.length, 680);
    assert.ok(performance.now() - t < 100);
  });
});

describe('ix parser: git detection on the file system', () => {
  const root = tempDir('qntx-ixparse-');
  const work = path.join(root, 'work');
  const bare = path.join(root, 'bare');
  const plain = path.join(root, 'plain');
  fs.mkdirSync(plain);
  execFileSync('git', ['init', '-q', work]);
  execFileSync('git', ['init', '-q', '--bare', bare]);
  after(() => fs.rmSync(root, { recursive: true, force: true }));

  it('reads a working tree, a bare repository and a file:// URL of one as git', () => {
    assert.deepEqual(parseIx(`ix ${work} --since last_run`), git(work, [], { since: 'last_run' }));
    assert.deepEqual(parseIx(`ix ${bare}`), git(bare));
    assert.equal(parseIx(`ix file://${work}`).type, 'git');
  });

  it('does not take a folder without .git for a repository', () => {
    assertParseError(`ix ${plain}`, /invalid type/, 4);
    assertParseError(`ix file://${plain}`, /invalid type/, 4);
  });

  it('only looks at the file system for path-like first words', () => {
    const seen: string[] = [];
    parseIx('ix webhook ./a /b', { isGitRepoPath: (p) => (seen.push(p), false) });
    assert.deepEqual(seen, []);
  });
});
