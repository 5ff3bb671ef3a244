// The built-in git ingester, through the real HTTP API and Pulse: a repository the test makes,
// an incremental run with --since last_run, a file:// clone, and a path that is no repository.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
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

describe('ixgest.git', () => {
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
