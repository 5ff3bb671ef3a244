// ixgest.git through Pulse: the same ingest twice stores nothing new; a run
// whose git child is killed mid-way resumes on retry with each commit once and exact counts; new
// commits and an old-dated branch are found by reachability; --since is checked at scheduling;
// the CLI makes a relative path absolute.
import assert from 'node:assert/strict';
import { execFileSync, spawn, type SpawnOptions } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { sql } from 'kysely';
import { after, before, describe, it } from 'node:test';
import type { SpawnFn } from '../src/ix/git-process.js';
import { BIN } from './cli-helpers.js';
import { gitFastImport } from './git-helpers.js';
import { tempDir } from './helpers.js';
import { startTestServer, type TestServer } from './http-helpers.js';
import { WsClient } from './ws-helpers.js';

const T0 = 1_750_000_000;

function git(cwd: string, ...args: string[]): string {
  return execFileSync('git', args, { cwd, encoding: 'utf8' });
}

function commitAt(repo: string, file: string, when: number): string {
  fs.writeFileSync(path.join(repo, file), `${file} ${when}\n`);
  const date = `${when} +0000`;
  execFileSync('git', ['add', '-A'], { cwd: repo });
  execFileSync('git', ['-c', 'user.name=Ada', '-c', 'user.email=ada@example.com', 'commit', '-q', '-m', `${file} at ${when}`], {
    cwd: repo,
    env: { ...process.env, GIT_AUTHOR_DATE: date, GIT_COMMITTER_DATE: date },
  });
  return git(repo, 'rev-parse', 'HEAD').trim();
}

/** `n` linear commits with one file each, made with fast-import. */
async function bigRepo(dir: string, n: number): Promise<void> {
  execFileSync('git', ['init', '-q', '-b', 'main', dir]);
  const parts: string[] = [];
  for (let i = 1; i <= n; i++) {
    parts.push(`commit refs/heads/main\ncommitter Bot <bot@example.com> ${T0 + i} +0000\ndata 4\nc${String(i % 100).padStart(2, '0')}\n`);
    parts.push(`M 100644 inline f${i % 50}.txt\ndata ${String(i).length + 1}\n${i}\n\n`);
  }
  await gitFastImport(dir, parts.join(''));
}

/** The pids of running `git log` processes reading this git dir (ours are the only ones). */
function gitLogPids(gitDir: string): number[] {
  const out: number[] = [];
  for (const d of fs.readdirSync('/proc')) {
    if (!/^\d+$/.test(d)) continue;
    try {
      const argv = fs.readFileSync(`/proc/${d}/cmdline`, 'utf8').split('\0');
      if (path.basename(argv[0]!) === 'git' && argv.includes('log') && argv.includes(`--git-dir=${gitDir}`)) out.push(Number(d));
    } catch {
      // gone meanwhile
    }
  }
  return out;
}

const STALL = path.join(path.dirname(fileURLToPath(import.meta.url)), 'fixtures/git-stall.mjs');
/** Bytes of `git log` output the stalled run lets through: about 2,200 commits of bigRepo. */
const STALL_BYTES = 600_000;

/**
 * The server's git: the next `git log` of the git dir in `stall.next` goes through
 * fixtures/git-stall.mjs, so that git is alive mid-way (blocked on a full pipe) until killed.
 */
const stall: { next: string | null } = { next: null };
const spawnGit = ((cmd: string, args: readonly string[], o: SpawnOptions) => {
  if (stall.next && args.includes('log') && args.includes(`--git-dir=${stall.next}`)) {
    stall.next = null;
    return spawn(process.execPath, [STALL, String(STALL_BYTES), ...args], o);
  }
  return spawn(cmd, args, o);
}) as SpawnFn;

describe('ixgest.git: idempotent, resumable, incremental', () => {
  let s: TestServer;
  let ws: WsClient;
  const root = tempDir('qntx-gitinc-');
  before(async () => {
    s = await startTestServer('sqlite', {}, { spawnGit });
    ws = await WsClient.connect(s.url);
  });
  after(async () => {
    ws.close();
    await s.stop();
    fs.rmSync(root, { recursive: true, force: true });
  });

  async function schedule(atsCode: string, interval = 0): Promise<any> {
    const r = await s.request('POST', '/api/pulse/schedules', { ats_code: atsCode, interval_seconds: interval });
    assert.equal(r.status, 201, JSON.stringify(r.body));
    return r.body;
  }
  async function finished(id: string): Promise<any> {
    await ws.next((m) => (m.type === 'pulse_execution_completed' || m.type === 'pulse_execution_failed') && m.execution_id === id, 120_000);
    return (await s.request('GET', `/api/pulse/executions/${id}`)).body;
  }
  async function runOnce(atsCode: string): Promise<any> {
    const sch = await schedule(atsCode);
    const started = await ws.next((m) => m.type === 'pulse_execution_started' && m.schedule_id === sch.id);
    return finished(started.execution_id);
  }
  const db = () => s.qntx.database.db;
  async function commitsOf(repo: string): Promise<{ rows: number; distinct: number }> {
    const r = await sql<{ rows: number; uniq: number }>`
      select count(*) as rows, count(distinct a.subjects) as uniq from attestations a
      join attestation_fields f on f.seq = a.seq and f.field = 3 and f.value = ${repo}
      where a.predicates = '["commit"]'`.execute(db());
    return { rows: Number(r.rows[0]!.rows), distinct: Number(r.rows[0]!.uniq) };
  }
  async function rowsOf(executionId: string): Promise<number> {
    const r = await sql<{ n: number }>`select count(*) as n from attestations where source = ${executionId}`.execute(db());
    return Number(r.rows[0]!.n);
  }

  it('stores nothing new when the same repository is ingested twice, or walked again with --full', async () => {
    const repo = path.join(root, 'twice');
    git(root, 'init', '-q', '-b', 'main', repo);
    for (let i = 1; i <= 5; i++) commitAt(repo, `f${i}`, T0 + i * 60);
    const first = await runOnce(`ix ${repo}`);
    assert.equal(first.status, 'completed', JSON.stringify(first));
    const second = await runOnce(`ix git ${repo}`);
    assert.deepEqual([second.attestations_created, second.attestations_already_known], [0, 0]);
    assert.match(second.stdout, /ingested 0 commit/);
    const full = await runOnce(`ix git ${repo} --full`);
    assert.deepEqual([full.attestations_created, full.attestations_already_known], [0, first.attestations_created - 1], 'all known but the ref (said once)');
    assert.deepEqual(await commitsOf(repo), { rows: 5, distinct: 5 });
  });

  it('finds three new commits and a branch dated years back; then the merge of that branch', async () => {
    const repo = path.join(root, 'grow');
    git(root, 'init', '-q', '-b', 'main', repo);
    const base = commitAt(repo, 'a', T0);
    commitAt(repo, 'b', T0 + 60);
    const sch = await schedule(`ix ${repo}`, 3600);
    const started = await ws.next((m) => m.type === 'pulse_execution_started' && m.schedule_id === sch.id);
    assert.equal((await finished(started.execution_id)).status, 'completed');
    const fresh = [commitAt(repo, 'c', T0 + 120), commitAt(repo, 'd', T0 + 120), commitAt(repo, 'e', T0 + 180)];
    git(repo, 'checkout', '-q', '-b', 'legacy', base);
    const old = [commitAt(repo, 'old1', T0 - 10 * 365 * 86400), commitAt(repo, 'old2', T0 - 10 * 365 * 86400 + 1)];
    git(repo, 'checkout', '-q', 'main');
    const trig = await s.request('POST', `/api/pulse/schedules/${sch.id}/trigger`);
    const second = await finished(trig.body.id);
    assert.match(second.stdout, /ingested 5 commit/);
    const got = await s.request('GET', `/api/attestations?predicates=commit&contexts=${encodeURIComponent(repo)}&limit=100`);
    assert.deepEqual(got.body.attestations.map((a: any) => a.subjects[0]).sort(), [...fresh, ...old, base, git(repo, 'rev-parse', 'HEAD~3').trim()].sort());
    execFileSync('git', ['-c', 'user.name=Ada', '-c', 'user.email=ada@example.com', 'merge', '-q', '--no-edit', 'legacy'], { cwd: repo });
    const t3 = await s.request('POST', `/api/pulse/schedules/${sch.id}/trigger`);
    assert.match((await finished(t3.body.id)).stdout, /ingested 1 commit/);
    assert.deepEqual(await commitsOf(repo), { rows: 8, distinct: 8 });
  });

  it('resumes a run whose git child was killed mid-way: each commit once, exact counts', async () => {
    // 4,000 commits (~1.1 MB of git log output): a run takes 1,000 per batch (5,000 attestations).
    // Git passes ~2,200 commits and is then held mid-way (fixtures/git-stall.mjs) until killed
    // here, once the first batch is stored.
    const N = 4000;
    const repo = path.join(root, 'big');
    await bigRepo(repo, N);
    stall.next = path.join(repo, '.git');
    const sch = await schedule(`ix ${repo} --no-deps`);
    const started = await ws.next((m) => m.type === 'pulse_execution_started' && m.schedule_id === sch.id, 60_000);
    const first = await ws.next((m) => m.type === 'attestations_created' && m.source === started.execution_id, 60_000);
    const pids = gitLogPids(path.join(repo, '.git'));
    assert.equal(pids.length, 1, 'one git log runs');
    process.kill(pids[0]!, 'SIGKILL');
    const done = await finished(first.source);
    assert.equal(done.status, 'completed', JSON.stringify(done));
    assert.equal(done.schedule_id, sch.id);
    const job = (await s.request('GET', `/api/pulse/jobs/${done.async_job_id}`)).body;
    assert.equal(job.retry_count, 1, 'retried once');
    assert.deepEqual(await commitsOf(repo), { rows: N, distinct: N });
    assert.equal(done.attestations_already_known, 0, 'the retry started where the failed attempt stopped');
    assert.equal(done.attestations_created, await rowsOf(done.id));
    assert.equal(done.attestations_created, N * 5 - 1 + 1, 'five per commit, no child_of for the root, one ref');
  });

  it('checks --since when the schedule is made', async () => {
    const repo = path.join(root, 'since');
    git(root, 'init', '-q', '-b', 'main', repo);
    const c = commitAt(repo, 'x', T0);
    const bad: Array<[string, RegExp]> = [
      ['2025-13-45', /not a valid ISO 8601 date/],
      ['1700000000', /looks like seconds/],
      ['4eb022de', /unknown commit/],
      ['yesterday', /neither a date/],
    ];
    for (const [since, error] of bad) {
      const r = await s.request('POST', '/api/pulse/schedules', { ats_code: `ix ${repo} --since ${since}`, interval_seconds: 0 });
      assert.equal(r.status, 400, `${since}: ${JSON.stringify(r.body)}`);
      assert.match(r.body.error, error);
      assert.ok(r.body.details.includes(`since=${since}`));
      assert.ok(r.body.hint);
    }
    for (const since of ['2025-01-31', '2025-01-31T10:00:00+02:00', '1700000000000', c.slice(0, 8), 'last_run']) {
      const r = await s.request('POST', '/api/pulse/schedules', { ats_code: `ix ${repo} --since ${since}`, interval_seconds: 3600 });
      assert.equal(r.status, 201, `${since}: ${JSON.stringify(r.body)}`);
      await s.request('DELETE', `/api/pulse/schedules/${r.body.id}`);
    }
  });

  it('makes a relative path absolute in the CLI, against the caller\'s directory', async () => {
    const repo = path.join(root, 'rel');
    git(root, 'init', '-q', '-b', 'main', repo);
    commitAt(repo, 'x', T0);
    const dataDir = path.join(root, 'cli-data');
    const out = await new Promise<string>((resolve, reject) => {
      const child = spawn(process.execPath, [BIN, 'ix', './rel', '--every', '1h', '--json', '--data-dir', dataDir], { cwd: root, stdio: ['ignore', 'pipe', 'pipe'] });
      let text = '';
      let err = '';
      child.stdout.on('data', (d: Buffer) => (text += d.toString()));
      child.stderr.on('data', (d: Buffer) => (err += d.toString()));
      child.on('error', reject);
      child.on('close', (code) => (code === 0 ? resolve(text) : reject(new Error(err))));
    });
    const sch = JSON.parse(out);
    assert.equal(sch.payload.repo, repo);
    assert.equal(sch.ats_code, `ix ${repo}`);
  });
});
