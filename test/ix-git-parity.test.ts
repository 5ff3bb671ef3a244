// The git vocabulary at parity with the original QNTX ingester and beyond, on a
// repository built here: merges, an octopus, renames, deletions, an empty commit, unicode, tags,
// .mailmap, manifests of each format, remote-tracking branches, a shallow clone; and the forged
// file name that reads like a record header, which must not make a commit that does not exist.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { ingestGit, type GitAttestation, type GitIngestOptions } from '../src/ix/git-ingest.js';
import { tempDir } from './helpers.js';

const T = 1_750_000_000;

function git(cwd: string, args: string[], env: Record<string, string> = {}): string {
  return execFileSync('git', args, { cwd, encoding: 'utf8', env: { ...process.env, ...env } });
}

/** Commits the work tree as `who` at T + `at` seconds; returns the sha. */
function commitAll(repo: string, message: string, at: number, who = 'Ada Lovelace <ada@example.com>'): string {
  const [, name, email] = /^(.*) <(.*)>$/.exec(who)!;
  const date = `${T + at} +0000`;
  const env = { GIT_AUTHOR_NAME: name!, GIT_AUTHOR_EMAIL: email!, GIT_COMMITTER_NAME: 'Committer Bot', GIT_COMMITTER_EMAIL: 'bot@example.com', GIT_AUTHOR_DATE: date, GIT_COMMITTER_DATE: date };
  git(repo, ['add', '-A'], env);
  git(repo, ['commit', '-q', '--allow-empty', '--no-verify', '-m', message], env);
  return git(repo, ['rev-parse', 'HEAD']).trim();
}

function merge(repo: string, branches: string[], at: number): string {
  const date = `${T + at} +0000`;
  const env = { GIT_AUTHOR_NAME: 'Ada Lovelace', GIT_AUTHOR_EMAIL: 'ada@example.com', GIT_COMMITTER_NAME: 'Committer Bot', GIT_COMMITTER_EMAIL: 'bot@example.com', GIT_AUTHOR_DATE: date, GIT_COMMITTER_DATE: date };
  git(repo, ['merge', '-q', '--no-edit', '--no-ff', ...branches], env);
  return git(repo, ['rev-parse', 'HEAD']).trim();
}

function write(repo: string, file: string, text: string): void {
  fs.mkdirSync(path.dirname(path.join(repo, file)), { recursive: true });
  fs.writeFileSync(path.join(repo, file), text);
}

async function ingest(o: Pick<GitIngestOptions, 'source' | 'cacheDir'> & Partial<GitIngestOptions>) {
  const all: GitAttestation[] = [];
  const res = await ingestGit({ ...o, onBatch: async (b) => void all.push(...b) });
  return { ...res, all };
}

const of = (all: GitAttestation[], predicate: string, subject?: string) =>
  all.filter((a) => a.predicates[0] === predicate && (subject === undefined || a.subjects[0] === subject));

const MANIFESTS: Record<string, string> = {
  'package.json': JSON.stringify({ name: 'fixture', version: '1.0.0', dependencies: { lodash: '^4.17.0', left: '1.0.0' }, devDependencies: { typescript: '5.9' } }),
  'Cargo.toml': '[package]\nname = "fixture-rs"\nversion = "0.1.0"\n\n[dependencies]\nserde = { version = "1.0", features = ["derive"] }\n\n[dev-dependencies]\ninsta = "1"\n',
  'Cargo.lock': '[[package]]\nname = "serde"\nversion = "1.0.200"\nsource = "registry+https://github.com/rust-lang/crates.io-index"\n',
  'go.mod': 'module example.com/fixture\n\ngo 1.22\n\nrequire (\n\tgithub.com/pkg/errors v0.9.1\n\tgolang.org/x/sys v0.20.0 // indirect\n)\n',
  'go.sum': 'github.com/pkg/errors v0.9.1 h1:abc=\ngithub.com/pkg/errors v0.9.1/go.mod h1:def=\n',
  'pyproject.toml': '[project]\nname = "fixture-py"\nversion = "0.2.0"\ndependencies = ["requests>=2.31", "attrs[tests] (==23.1) ; python_version > \\"3.8\\""]\n',
  'requirements.txt': '# pinned\nflask==3.0.0 --hash=sha256:abcdef\nclick>=8 \\\n  ; python_version >= "3.9"\n-r other.txt\n',
  'flake.nix': '{\n  inputs.nixpkgs.url = "github:NixOS/nixpkgs/nixos-24.05";\n  inputs = { utils.url = "github:numtide/flake-utils"; };\n  outputs = { self, nixpkgs, utils }: { };\n}\n',
  'flake.lock': JSON.stringify({ nodes: { root: { inputs: { nixpkgs: 'nixpkgs' } }, nixpkgs: { locked: { rev: 'deadbeef', owner: 'NixOS', repo: 'nixpkgs', type: 'github' } } }, root: 'root', version: 7 }),
};

describe('git vocabulary on a fixture repository', () => {
  const root = tempDir('qntx-parity-');
  const cacheDir = path.join(root, 'cache');
  const repo = path.join(root, 'repo');
  const sha: Record<string, string> = {};
  const forged = `\x1e${'f'.repeat(40)}\x1f\x1f0\x1f0\x1fforged@evil\x1fForged Author\x1fforged subject`;
  let r: Awaited<ReturnType<typeof ingest>>;

  before(async () => {
    git(root, ['init', '-q', '-b', 'main', repo]);
    write(repo, '.mailmap', 'Ada Lovelace <ada@example.com> Old Name <old@example.org>\n');
    for (const [f, text] of Object.entries(MANIFESTS)) write(repo, f, text);
    write(repo, 'doc/große Datei.md', 'a\nb\nc\nd\ne\nf\ng\nh\n');
    write(repo, 'gone.txt', 'soon gone\n');
    sha.root = commitAll(repo, 'root: manifests and files', 10);
    const pkg = JSON.parse(MANIFESTS['package.json']!) as { dependencies: Record<string, string> };
    pkg.dependencies = { lodash: '^4.18.0', right: '2.0.0' }; // changed, added; `left` removed
    write(repo, 'package.json', JSON.stringify(pkg));
    git(repo, ['mv', 'doc/große Datei.md', 'doc/grosse-datei.md']);
    fs.rmSync(path.join(repo, 'gone.txt'));
    sha.change = commitAll(repo, 'Änderung: rename, delete, bump\n\nA body line.\nAnother.', 20, 'Old Name <old@example.org>');
    sha.empty = commitAll(repo, 'an empty commit', 30);
    write(repo, forged, 'x');
    sha.forged = commitAll(repo, 'a file with separators in its name', 35);
    for (const [i, b] of ['b1', 'b2', 'b3'].entries()) {
      git(repo, ['checkout', '-q', '-b', b, 'main']);
      write(repo, `${b}.txt`, b);
      sha[b] = commitAll(repo, `on ${b}`, 40 + i);
    }
    git(repo, ['checkout', '-q', 'main']);
    sha.merge = merge(repo, ['b1'], 50);
    sha.octopus = merge(repo, ['b2', 'b3'], 60);
    git(repo, ['tag', 'v1.0', sha.root], { GIT_COMMITTER_DATE: `${T} +0000` });
    git(repo, ['tag', '-a', '-m', 'release', 'v2.0', sha.octopus], { GIT_COMMITTER_NAME: 'T', GIT_COMMITTER_EMAIL: 't@x', GIT_COMMITTER_DATE: `${T} +0000` });
    r = await ingest({ source: repo, cacheDir });
  });
  after(() => fs.rmSync(root, { recursive: true, force: true }));

  it('records every commit once, with committer, full message and repo', () => {
    const commits = of(r.all, 'commit');
    assert.equal(commits.length, Number(git(repo, ['rev-list', '--count', '--all']).trim()));
    assert.equal(new Set(commits.map((c) => c.subjects[0])).size, commits.length);
    const c = of(r.all, 'commit', sha.change)[0]!;
    assert.equal(c.attributes.subject, 'Änderung: rename, delete, bump');
    assert.equal(c.attributes.message, 'Änderung: rename, delete, bump\n\nA body line.\nAnother.');
    assert.equal(c.attributes.committer_email, 'bot@example.com');
    assert.deepEqual(of(r.all, 'committed_by', sha.change)[0]!.contexts, ['bot@example.com']);
    assert.ok(r.all.every((a) => a.attributes.repo === repo), 'every attestation names its repository');
  });

  it('applies .mailmap to authors', () => {
    assert.deepEqual(of(r.all, 'authored_by', sha.change)[0]!.contexts, ['ada@example.com']);
    assert.equal(of(r.all, 'commit', sha.change)[0]!.attributes.author_name, 'Ada Lovelace');
  });

  it('says what each file change was, with line counts; renames under both paths', () => {
    const mods = of(r.all, 'modifies', sha.change);
    const by = (p: string) => mods.find((m) => m.contexts[0] === p)!;
    assert.deepEqual(by('doc/grosse-datei.md').contexts, ['doc/grosse-datei.md', 'doc/große Datei.md']);
    assert.equal(by('doc/grosse-datei.md').attributes.change, 'renamed');
    assert.equal(by('doc/grosse-datei.md').attributes.old_path, 'doc/große Datei.md');
    assert.equal(by('gone.txt').attributes.change, 'deleted');
    assert.equal(by('gone.txt').attributes.lines_deleted, 1);
    assert.equal(by('package.json').attributes.change, 'modified');
    assert.equal(of(r.all, 'modifies', sha.root).find((m) => m.contexts[0] === 'doc/große Datei.md')!.attributes.lines_added, 8);
  });

  it('gives merges and octopus merges their parents and no file list; an empty commit no files', () => {
    assert.deepEqual(of(r.all, 'child_of', sha.merge)[0]!.contexts, [sha.forged, sha.b1]);
    assert.deepEqual(of(r.all, 'child_of', sha.octopus)[0]!.contexts, [sha.merge, sha.b2, sha.b3]);
    assert.equal(of(r.all, 'modifies', sha.octopus).length, 0);
    assert.equal(of(r.all, 'modifies', sha.empty).length, 0);
    assert.equal(of(r.all, 'commit', sha.empty)[0]!.attributes.files_changed, 0);
  });

  it('records a file named like a forged record as a path, and no commit that does not exist', () => {
    const mods = of(r.all, 'modifies', sha.forged);
    assert.deepEqual(mods.map((m) => m.contexts[0]), [forged]);
    const shas = new Set(of(r.all, 'commit').map((c) => c.subjects[0]));
    assert.equal(shas.has('f'.repeat(40)), false);
    assert.ok(!r.all.some((a) => a.contexts.includes('forged@evil')));
  });

  it('says where branches and tags point (annotated tags peeled)', () => {
    const refs = Object.fromEntries(r.refs.map((x) => [x.name, x.commit]));
    assert.equal(refs['refs/heads/main'], sha.octopus);
    assert.equal(refs['refs/tags/v1.0'], sha.root);
    assert.equal(refs['refs/tags/v2.0'], sha.octopus);
    assert.equal(refs['refs/heads/b1'], sha.b1);
  });

  it('reads each manifest format: requires, locks, declares, with version, kind and ecosystem', () => {
    const dep = (predicate: string, name: string) => of(r.all, predicate, repo).filter((a) => a.contexts[0] === name && a.timestamp === (T + 10) * 1000)[0]?.attributes;
    assert.deepEqual(pickDep(dep('requires', 'lodash')), { version: '^4.17.0', kind: 'runtime', ecosystem: 'npm', manifest: 'package.json' });
    assert.equal(dep('requires', 'typescript')?.kind, 'dev');
    assert.equal(dep('declares', 'fixture')?.version, '1.0.0');
    assert.deepEqual(pickDep(dep('requires', 'serde')), { version: '1.0', kind: 'runtime', ecosystem: 'cargo', manifest: 'Cargo.toml' });
    assert.equal(dep('requires', 'insta')?.kind, 'dev');
    assert.equal(dep('locks', 'serde')?.version, '1.0.200');
    assert.equal(dep('requires', 'github.com/pkg/errors')?.version, 'v0.9.1');
    assert.equal(dep('requires', 'golang.org/x/sys')?.kind, 'indirect');
    assert.equal(dep('requires', 'go')?.kind, 'toolchain');
    assert.equal(dep('declares', 'example.com/fixture')?.ecosystem, 'go');
    assert.equal(dep('locks', 'github.com/pkg/errors')?.version, 'v0.9.1');
    assert.equal(dep('requires', 'requests')?.version, '>=2.31');
    assert.equal(dep('requires', 'attrs')?.version, '==23.1');
    assert.equal(dep('requires', 'flask')?.version, '==3.0.0');
    assert.equal(dep('requires', 'click')?.version, '>=8');
    assert.equal(dep('requires', 'nixpkgs')?.version, 'github:NixOS/nixpkgs/nixos-24.05');
    assert.equal(dep('requires', 'utils')?.kind, 'input');
    assert.equal(dep('locks', 'nixpkgs')?.version, 'deadbeef');
    assert.equal(dep('requires', 'other.txt'), undefined, 'options are not packages');
  });

  it('attests only what a commit changed in a manifest, removals included', () => {
    const changed = r.all.filter((a) => a.subjects[0] === repo && a.attributes.commit === sha.change);
    const seen = changed.map((a) => `${a.predicates[0]} ${a.contexts[0]} ${a.attributes.version}${a.attributes.removed ? ' removed' : ''}`).sort();
    assert.deepEqual(seen, ['requires left 1.0.0 removed', 'requires lodash ^4.18.0', 'requires right 2.0.0']);
  });

  it('skips manifests with --no-deps and keeps the commit graph', async () => {
    const n = await ingest({ source: repo, cacheDir, manifests: false });
    assert.equal(n.all.filter((a) => a.subjects[0] === repo).length, 0);
    assert.equal(of(n.all, 'child_of').length, of(r.all, 'child_of').length);
  });

  it('walks remote-tracking branches of a normal clone only with --remotes', async () => {
    const clone = path.join(root, 'clone');
    git(root, ['clone', '-q', '--no-local', repo, clone]);
    git(clone, ['checkout', '-q', '--detach', sha.root!]);
    git(clone, ['branch', '-q', '-D', 'main']);
    git(clone, ['tag', '-d', 'v1.0', 'v2.0']);
    const plain = await ingest({ source: clone, cacheDir });
    const all = await ingest({ source: clone, cacheDir, remotes: true });
    assert.equal(of(plain.all, 'commit').length, 1, 'only the detached HEAD');
    assert.equal(of(all.all, 'commit').length, of(r.all, 'commit').length);
    assert.ok(all.refs.some((x) => x.name === 'refs/remotes/origin/b2'));
    assert.ok(!all.refs.some((x) => x.name === 'refs/remotes/origin/HEAD'), 'a symbolic ref repeats another');
  });

  it('marks a shallow clone\'s boundary: its real parents, no file list', async () => {
    const shallow = path.join(root, 'shallow');
    git(root, ['clone', '-q', '--depth', '1', '--single-branch', '--branch', 'b1', `file://${repo}`, shallow]);
    const s = await ingest({ source: shallow, cacheDir });
    const [c] = of(s.all, 'commit');
    assert.equal(c!.subjects[0], sha.b1);
    assert.equal(c!.attributes.shallow, true);
    assert.equal('files_changed' in c!.attributes, false);
    assert.deepEqual(of(s.all, 'child_of')[0]!.contexts, [sha.forged], 'the parent the commit names, though it is not here');
    assert.equal(of(s.all, 'modifies').length, 0, `not ${git(repo, ['ls-tree', '-r', '--name-only', sha.b1!]).split('\n').length} files`);
  });
});

function pickDep(a: Record<string, unknown> | undefined) {
  return a && { version: a.version, kind: a.kind, ecosystem: a.ecosystem, manifest: a.manifest };
}
