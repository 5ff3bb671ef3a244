// The built-in git ingester: ingestGit itself (attestations, batches, --since, --no-deps, file://
// clones, errors, no shell, abort, 10k commits), then through the real HTTP API and Pulse.
import assert from 'node:assert/strict';
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { ValidationError } from '../src/errors.js';
import { ingestGit, type GitAttestation, type GitBatchInfo, type GitIngestOptions } from '../src/ix/git-ingest.js';
import { LogFormatError, LogRecordReader } from '../src/ix/git-log.js';
import { redactUrl } from '../src/ix/git-source.js';
import { gitFastImport } from './git-helpers.js';
import { tempDir } from './helpers.js';
import { startTestServer, type TestServer } from './http-helpers.js';
import { WsClient } from './ws-helpers.js';

function git(cwd: string, ...args: string[]): string {
  return execFileSync('git', ['-c', 'user.name=Ada', '-c', 'user.email=ada@example.com', ...args], { cwd, encoding: 'utf8' });
}

function commit(repo: string, file: string, i: number, when: number): void {
  fs.writeFileSync(path.join(repo, file), `line ${i}\n`);
  git(repo, 'add', file);
  const date = new Date(when * 1000).toISOString();
  execFileSync('git', ['-c', 'user.name=Ada', '-c', 'user.email=ada@example.com', 'commit', '-q', '-m', `change ${i}`], {
    cwd: repo,
    env: { ...process.env, GIT_AUTHOR_DATE: date, GIT_COMMITTER_DATE: date },
  });
}

/** Commits everything in the work tree as `who` at `when` (seconds). */
function commitAll(repo: string, message: string, when: number, who = 'Ada <ada@example.com>'): string {
  const [, name, email] = /^(.*) <(.*)>$/.exec(who)!;
  const date = new Date(when * 1000).toISOString();
  execFileSync('git', ['-c', `user.name=${name}`, '-c', `user.email=${email}`, 'add', '-A'], { cwd: repo });
  execFileSync('git', ['-c', `user.name=${name}`, '-c', `user.email=${email}`, 'commit', '-q', '--allow-empty', '-m', message], {
    cwd: repo,
    env: { ...process.env, GIT_AUTHOR_DATE: date, GIT_COMMITTER_DATE: date },
  });
  return git(repo, 'rev-parse', 'HEAD').trim();
}

function write(repo: string, file: string, text: string): void {
  fs.mkdirSync(path.dirname(path.join(repo, file)), { recursive: true });
  fs.writeFileSync(path.join(repo, file), text);
}

/** A repository of `n` linear commits made with git fast-import (fast), at t0+1 … t0+n seconds. */
async function fastImportRepo(dir: string, n: number, t0: number): Promise<void> {
  execFileSync('git', ['init', '-q', '-b', 'main', dir]);
  const parts: string[] = [];
  for (let i = 1; i <= n; i++) {
    const msg = `commit ${i}`;
    const body = `${i}\n`;
    parts.push(`commit refs/heads/main\ncommitter Bot <bot@example.com> ${t0 + i} +0000\ndata ${msg.length}\n${msg}\n`);
    parts.push(`M 100644 inline f${i % 100}.txt\ndata ${body.length}\n${body}\n`);
  }
  await gitFastImport(dir, parts.join(''));
}

interface Run {
  batches: GitAttestation[][];
  infos: GitBatchInfo[];
  progress: Array<[number, number | null]>;
  all: GitAttestation[];
}

async function ingest(o: Partial<GitIngestOptions> & Pick<GitIngestOptions, 'source' | 'cacheDir'>): Promise<Run & Awaited<ReturnType<typeof ingestGit>>> {
  const run: Run = { batches: [], infos: [], progress: [], all: [] };
  const res = await ingestGit({
    ...o,
    onBatch: async (b, info) => {
      run.batches.push(b);
      run.infos.push(info);
      run.all.push(...b);
    },
    onProgress: (c, t) => run.progress.push([c, t]),
  });
  return { ...run, ...res };
}

const about = (all: GitAttestation[], sha: string, predicate: string) => all.filter((a) => a.subjects[0] === sha && a.predicates[0] === predicate);

describe('ingestGit', () => {
  const root = tempDir('qntx-ingest-');
  const cacheDir = path.join(root, 'cache');
  const repo = path.join(root, 'repo');
  const T = 1_750_000_000;
  const sha: Record<string, string> = {};
  before(() => {
    git(root, 'init', '-q', '-b', 'main', repo);
    write(repo, 'README.md', 'hi');
    write(repo, 'dir/ü b.txt', 'unicode and a space');
    sha.root = commitAll(repo, 'root commit', T + 10);
    write(repo, 'README.md', 'hello');
    sha.second = commitAll(repo, 'second\n\nwith a body', T + 20, 'Bob Müller <Bob@Example.COM>');
    git(repo, 'checkout', '-q', '-b', 'side');
    write(repo, 'side.txt', 's');
    sha.side = commitAll(repo, 'on the side', T + 30);
    git(repo, 'checkout', '-q', 'main');
    write(repo, 'main.txt', 'm');
    sha.main = commitAll(repo, 'on main', T + 40);
    execFileSync('git', ['-c', 'user.name=Ada', '-c', 'user.email=ada@example.com', 'merge', '-q', '--no-edit', 'side'], {
      cwd: repo,
      env: { ...process.env, GIT_AUTHOR_DATE: `${T + 50} +0000`, GIT_COMMITTER_DATE: `${T + 50} +0000` },
    });
    sha.merge = git(repo, 'rev-parse', 'HEAD').trim();
  });
  after(() => fs.rmSync(root, { recursive: true, force: true }));

  it('says commit, authored_by, child_of and modifies of each commit, at its commit time', async () => {
    const r = await ingest({ source: repo, cacheDir });
    assert.equal(r.repo, repo);
    assert.equal(r.commits, 5);
    assert.equal(r.newest, (T + 50) * 1000);
    assert.equal(r.attestations, r.all.length);
    for (const a of r.all) assert.deepEqual(a.actors, ['ixgest.git']);
    const [c] = about(r.all, sha.second!, 'commit');
    assert.deepEqual(c, {
      subjects: [sha.second],
      predicates: ['commit'],
      contexts: [repo],
      actors: ['ixgest.git'],
      timestamp: (T + 20) * 1000,
      attributes: {
        subject: 'second',
        message: 'second\n\nwith a body',
        author_name: 'Bob Müller',
        author_email: 'Bob@Example.COM',
        committer_name: 'Bob Müller',
        committer_email: 'Bob@Example.COM',
        authored_at: (T + 20) * 1000,
        committed_at: (T + 20) * 1000,
        parents: [sha.root],
        files_changed: 1,
        lines_added: 1,
        lines_deleted: 1,
        repo,
      },
    });
    assert.deepEqual(about(r.all, sha.second!, 'authored_by')[0]!.contexts, ['bob@example.com']);
    assert.deepEqual(about(r.all, sha.second!, 'child_of')[0]!.contexts, [sha.root]);
    assert.deepEqual(about(r.all, sha.second!, 'modifies')[0]!.contexts, ['README.md']);
    assert.deepEqual(about(r.all, sha.root!, 'modifies').map((m) => m.contexts[0]), ['README.md', 'dir/ü b.txt']);
    assert.deepEqual(about(r.all, sha.root!, 'child_of'), []);
    assert.deepEqual(about(r.all, sha.merge!, 'child_of')[0]!.contexts, [sha.main, sha.side]);
    assert.deepEqual(about(r.all, sha.merge!, 'modifies'), [], 'a merge lists no paths');
  });

  it('goes oldest first, parents before children', async () => {
    const r = await ingest({ source: repo, cacheDir });
    const order = r.all.filter((a) => a.predicates[0] === 'commit').map((a) => a.subjects[0]);
    assert.equal(order[0], sha.root);
    assert.equal(order.at(-1), sha.merge);
    assert.ok(order.indexOf(sha.second) < order.indexOf(sha.side!));
  });

  it('hands over batches that never split a commit, with progress and where it stands', async () => {
    const r = await ingest({ source: repo, cacheDir, batchSize: 3 });
    assert.ok(r.batches.length >= 3);
    const batchOf = new Map<string, number>();
    r.batches.forEach((b, i) => {
      for (const a of b) {
        assert.equal(batchOf.get(a.subjects[0]!) ?? i, i, 'all of a commit in one batch');
        batchOf.set(a.subjects[0]!, i);
      }
    });
    const counts = r.infos.map((i) => i.commits);
    assert.deepEqual(counts, [...counts].sort((x, y) => x - y));
    assert.deepEqual(r.infos.at(-1), { commits: 5, heads: [sha.merge] });
    assert.deepEqual(r.progress[0], [0, 5]);
    assert.deepEqual(r.progress.at(-1), [5, 5]);
  });

  it("walks only what the last run's tips do not reach, same second included; --since is a filter", async () => {
    const first = await ingest({ source: repo, cacheDir });
    const tips = first.refs.map((x) => x.commit);
    write(repo, 'later.txt', 'l');
    const later = commitAll(repo, 'later', T + 60);
    commitAll(repo, 'same second as later', T + 60);
    const second = await ingest({ source: repo, cacheDir, exclude: tips });
    assert.equal(second.commits, 2);
    assert.ok(about(second.all, later, 'commit').length === 1);
    assert.deepEqual(second.progress.at(-1), [2, 2]);
    const third = await ingest({ source: repo, cacheDir, exclude: second.refs.map((x) => x.commit) });
    assert.equal(third.commits, 0);
    assert.equal(third.batches.length, 0);
    const fromDate = await ingest({ source: repo, cacheDir, since: { kind: 'time', ms: (T + 35) * 1000 } });
    assert.equal(fromDate.commits, 4, 'main, merge and the two later ones');
    const fromSha = await ingest({ source: repo, cacheDir, since: { kind: 'commit', sha: later.slice(0, 10) } });
    assert.equal(fromSha.commits, 1, 'only what the commit does not reach');
  });

  it('keeps the commit graph without manifests (--no-deps)', async () => {
    const r = await ingest({ source: repo, cacheDir, manifests: false });
    assert.equal(about(r.all, sha.second!, 'child_of').length, 1);
    assert.deepEqual(about(r.all, sha.second!, 'commit')[0]!.attributes.parents, [sha.root]);
  });

  it('clones a file:// URL into the cache once and fetches it on later runs', async () => {
    const cache = path.join(root, 'clone-cache');
    const url = `file://${repo}`;
    const first = await ingest({ source: url, cacheDir: cache });
    assert.equal(first.repo, url);
    assert.equal(first.commits, Number(git(repo, 'rev-list', '--count', '--all').trim()));
    assert.equal(fs.readdirSync(cache).length, 1, 'one clone, no temporary left');
    assert.deepEqual(about(first.all, sha.root!, 'commit')[0]!.contexts, [url]);
    const added = commitAll(repo, 'after the clone', T + 70);
    const second = await ingest({ source: url, cacheDir: cache, exclude: first.refs.map((x) => x.commit) });
    assert.equal(second.commits, 1);
    assert.equal(second.all[0]!.subjects[0], added);
    assert.equal(fs.readdirSync(cache).length, 1);
  });

  it('names a URL without its credentials', () => {
    assert.equal(redactUrl('https://user:s3cret@example.com/r.git'), 'https://example.com/r.git');
    assert.equal(redactUrl('https://token@example.com/r.git'), 'https://example.com/r.git');
    assert.equal(redactUrl('https://example.com/r.git'), 'https://example.com/r.git');
    assert.equal(redactUrl('git@github.com:o/r.git'), 'git@github.com:o/r.git');
  });

  it('answers a source that is no repository with a ValidationError naming it', async () => {
    const plain = tempDir('qntx-plain-');
    fs.mkdirSync(path.join(repo, 'inside'), { recursive: true });
    fs.writeFileSync(path.join(plain, 'file'), 'x');
    const marker = path.join(plain, 'pwned');
    const sources = [plain, path.join(plain, 'missing'), path.join(plain, 'file'), path.join(repo, 'inside'), `ext::sh -c touch% ${marker}`];
    for (const source of sources) {
      await assert.rejects(ingest({ source, cacheDir }), (err: unknown) => {
        assert.ok(err instanceof ValidationError, `${source}: ${String(err)}`);
        assert.equal(err.status, 400);
        assert.equal(err.message, `not a git repository: ${source}`);
        assert.equal(err.details[0], `source=${source}`);
        assert.match(err.hint ?? '', /working tree/);
        return true;
      });
    }
    await assert.rejects(ingest({ source: `file://${plain}`, cacheDir }), (err: ValidationError) => err.status === 400 && /not a git repository/.test(err.message));
    await assert.rejects(ingest({ source: 'ftp://example.com/r.git', cacheDir }), /unsupported repository URL/);
    assert.equal(fs.existsSync(marker), false);
    fs.rmSync(plain, { recursive: true, force: true });
  });

  it('finds no commits in an empty repository', async () => {
    const empty = path.join(root, 'empty');
    git(root, 'init', '-q', empty);
    const r = await ingest({ source: empty, cacheDir });
    assert.deepEqual([r.commits, r.attestations, r.newest, r.batches.length], [0, 0, null, 0]);
  });

  it('says modifies once per file of a wide commit', async () => {
    const wide = path.join(root, 'wide');
    git(root, 'init', '-q', '-b', 'main', wide);
    for (let i = 0; i < 300; i++) write(wide, `f/${String(i).padStart(3, '0')}`, String(i));
    const c = commitAll(wide, 'wide', T);
    const r = await ingest({ source: wide, cacheDir });
    const mods = about(r.all, c, 'modifies');
    assert.equal(mods.length, 300);
    assert.ok(mods.every((m) => m.contexts.length === 1 && m.attributes.change === 'added'));
    assert.equal(about(r.all, c, 'commit')[0]!.attributes.files_changed, 300);
  });

  it('runs git without a shell: arguments as an array, no prompts, `--` before paths', async () => {
    const calls: Array<{ cmd: string; args: string[]; opts: any }> = [];
    const spy = ((cmd: string, args: string[], opts: any) => {
      calls.push({ cmd, args, opts });
      return spawn(cmd, args, opts);
    }) as unknown as typeof spawn;
    await ingestGit({ source: repo, cacheDir, spawn: spy, onBatch: async () => {} });
    assert.ok(calls.length >= 3);
    for (const c of calls) {
      assert.equal(c.cmd, 'git');
      assert.ok(Array.isArray(c.args));
      assert.ok(!c.opts.shell, 'no shell');
      assert.equal(c.opts.env.GIT_TERMINAL_PROMPT, '0');
    }
    const log = calls.find((c) => c.args.includes('log'))!;
    assert.equal(log.args.at(-1), '--');
    assert.ok(log.args.includes('-z'));
  });

  it('gives git an allowlisted environment: no secret of the server', async () => {
    const planted = { QNTX_SECRET_KEY: 'k'.repeat(44), QNTX_DATABASE_URL: 'postgres://u:pw-in-env@h/db', AWS_SECRET_ACCESS_KEY: 'aws-value', GIT_DIR: '/elsewhere' };
    const saved = Object.fromEntries(Object.keys(planted).map((k) => [k, process.env[k]]));
    Object.assign(process.env, planted);
    const envs: NodeJS.ProcessEnv[] = [];
    const spy = ((cmd: string, args: string[], opts: any) => {
      envs.push(opts.env);
      return spawn(cmd, args, opts);
    }) as unknown as typeof spawn;
    try {
      await ingestGit({ source: repo, cacheDir: tempDir(), spawn: spy, onBatch: async () => {} });
    } finally {
      for (const [k, v] of Object.entries(saved)) {
        if (v === undefined) delete process.env[k];
        else process.env[k] = v;
      }
    }
    assert.ok(envs.length >= 3);
    for (const env of envs) {
      for (const name of Object.keys(planted)) assert.equal(env[name], undefined, `git got ${name}`);
      const unexpected = Object.keys(env).filter((k) => !/^(PATH|HOME|USER|LOGNAME|LANG|LC_[A-Z_]+|TZ|TMPDIR|XDG_CONFIG_HOME|SSH_AUTH_SOCK|(http|https|no|all)_proxy|(HTTP|HTTPS|NO|ALL)_PROXY|SSL_CERT_(FILE|DIR)|GIT_[A-Z0-9_]+|GCM_INTERACTIVE)$/.test(k));
      assert.deepEqual(unexpected, []);
      assert.equal(env.PATH, process.env.PATH);
    }
  });

  it('kills git and rejects with the reason when the signal aborts', async () => {
    const big = path.join(root, 'big');
    await fastImportRepo(big, 3000, T);
    const children: ChildProcess[] = [];
    const spy = ((cmd: string, args: string[], opts: any) => {
      const c = spawn(cmd, args, opts);
      children.push(c);
      return c;
    }) as unknown as typeof spawn;
    const ac = new AbortController();
    const reason = new Error('cancelled by the test');
    let batches = 0;
    await assert.rejects(
      ingestGit({ source: big, cacheDir, spawn: spy, signal: ac.signal, batchSize: 10, onBatch: async () => void (++batches === 2 && ac.abort(reason)) }),
      (err) => err === reason,
    );
    assert.equal(batches, 2);
    await new Promise((r) => setTimeout(r, 50));
    for (const c of children) assert.ok(c.exitCode !== null || c.signalCode !== null, 'git has exited');
  });

  it('ingests 10,000 commits in seconds', async (t) => {
    const big = path.join(root, 'ten-k');
    await fastImportRepo(big, 10_000, T);
    const start = performance.now();
    let n = 0;
    const res = await ingestGit({ source: big, cacheDir, onBatch: async (b) => void (n += b.length) });
    const ms = performance.now() - start;
    t.diagnostic(`10,000 commits, ${n} attestations in ${Math.round(ms)} ms`);
    assert.equal(res.commits, 10_000);
    assert.equal(res.newest, (T + 10_000) * 1000);
    assert.equal(n, 10_000 * 5 - 1, 'commit, authored_by, committed_by, child_of (not the root) and one file each');
    assert.ok(ms < 20_000, `took ${ms} ms`);
  });

  it('parses NUL-separated records: a path that reads like a record header is a path', () => {
    const r = new LogRecordReader();
    const sha = 'a'.repeat(40);
    const other = 'd'.repeat(40);
    const tokens = ['', `commit ${sha}`, '', '1', '2', 'E', 'e@x', 'C', 'c@x', 'sub\x1fject\n', '', '',
      `\n:000000 100644 ${'0'.repeat(40)} ${'b'.repeat(40)} A`, `commit ${other}`, `1\t0\tcommit ${other}`];
    for (const t of tokens) assert.equal(r.push(t), null);
    const c = r.end()!;
    assert.equal(c.sha, sha);
    assert.equal(c.message, 'sub\x1fject');
    assert.deepEqual(c.files.map((f) => [f.path, f.change, f.added]), [[`commit ${other}`, 'added', 1]]);
    assert.throws(() => new LogRecordReader().push('garbage'), LogFormatError);
  });
});

describe('ixgest.git through the HTTP API and Pulse', () => {
  let s: TestServer;
  let ws: WsClient;
  let repo: string;
  before(async () => {
    repo = tempDir('qntx-git-');
    git(repo, 'init', '-q', '-b', 'main');
    for (let i = 1; i <= 3; i++) commit(repo, `f${i}.txt`, i, 1_700_000_000 + i * 60);
    s = await startTestServer();
    ws = await WsClient.connect(s.url);
  });
  after(async () => {
    ws.close();
    await s.stop();
    fs.rmSync(repo, { recursive: true, force: true });
  });

  async function runOnce(atsCode: string): Promise<any> {
    const sch = await s.request('POST', '/api/pulse/schedules', { ats_code: atsCode, interval_seconds: 3600 });
    assert.equal(sch.status, 201, JSON.stringify(sch.body));
    const ev = await ws.next((m) => (m.type === 'pulse_execution_completed' || m.type === 'pulse_execution_failed') && m.schedule_id === sch.body.id);
    return { schedule: sch.body, event: ev };
  }

  it('ingests commits, authors, parents and paths; a second run with --since last_run takes only new ones', async () => {
    const { schedule, event } = await runOnce(`ix ${repo} --since last_run`);
    assert.equal(event.type, 'pulse_execution_completed', JSON.stringify(event));
    assert.equal(schedule.handler_name, 'ixgest.git');
    const commits = await s.request('GET', `/api/attestations?predicates=commit&contexts=${encodeURIComponent(repo)}`);
    assert.equal(commits.body.count, 3);
    const head = git(repo, 'rev-parse', 'HEAD').trim();
    const parent = git(repo, 'rev-parse', 'HEAD~1').trim();
    const child = await s.request('GET', `/api/attestations?subjects=${head}&predicates=child_of`);
    assert.deepEqual(child.body.attestations[0].contexts, [parent]);
    const mod = await s.request('GET', `/api/attestations?subjects=${head}&predicates=modifies`);
    assert.deepEqual(mod.body.attestations[0].contexts, ['f3.txt']);
    const by = await s.request('GET', `/api/attestations?predicates=authored_by&contexts=ada@example.com`);
    assert.equal(by.body.count, 3);

    commit(repo, 'f4.txt', 4, 1_700_000_000 + 4 * 60);
    commit(repo, 'f5.txt', 5, 1_700_000_000 + 5 * 60);
    const trig = await s.request('POST', `/api/pulse/schedules/${schedule.id}/trigger`);
    assert.equal(trig.status, 201);
    const ev2 = await ws.next((m) => m.type === 'pulse_execution_completed' && m.execution_id === trig.body.id);
    const run2 = await s.request('GET', `/api/attestations?predicates=commit&contexts=${encodeURIComponent(repo)}&limit=10`);
    assert.equal(run2.body.count, 5);
    const e2 = await s.request('GET', `/api/pulse/executions/${ev2.execution_id}`);
    assert.match(e2.body.stdout, /ingested 2 commit/);
  });

  it('clones a file:// URL into the cache under the data dir', async () => {
    const url = `file://${repo}`;
    const { event } = await runOnce(`ix git ${url} --no-deps`);
    assert.equal(event.type, 'pulse_execution_completed', JSON.stringify(event));
    const commits = await s.request('GET', `/api/attestations?predicates=commit&contexts=${encodeURIComponent(url)}&limit=10`);
    assert.equal(commits.body.count, 5);
    const cache = path.join(s.qntx.settings.dataDir, 'git-cache');
    assert.equal(fs.readdirSync(cache).length, 1);
  });

  it('answers a path that is no repository with a clear 400', async () => {
    const notRepo = tempDir('qntx-notgit-');
    const r = await s.request('POST', '/api/pulse/schedules', { ats_code: `ix git ${notRepo}`, interval_seconds: 0 });
    assert.equal(r.status, 400);
    assert.match(r.body.error, /not a git repository/);
    assert.ok(r.body.details.includes(`source=${notRepo}`));
    assert.ok(r.body.hint);
  });

  it('fails the run clearly when a scheduled repository disappears', async () => {
    const gone = tempDir('qntx-gone-');
    git(gone, 'init', '-q');
    const { schedule } = await runOnce(`ix git ${gone}`);
    const sch = { body: schedule };
    fs.rmSync(gone, { recursive: true, force: true });
    const trig = await s.request('POST', `/api/pulse/schedules/${sch.body.id}/trigger`);
    const ev = await ws.next((m) => m.execution_id === trig.body.id && (m.type === 'pulse_execution_failed' || m.type === 'pulse_execution_completed'));
    assert.equal(ev.type, 'pulse_execution_failed');
    assert.match(ev.error, /not a git repository/);
  });
});
