// `qntx ax … so <type> --watch [--where …]` as a real process: it makes a watcher in the data dir
// (listed, removable like every schedule), and a server started on that dir runs it.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import { after, before, describe, it } from 'node:test';
import { runCli } from './cli-helpers.js';
import { tempDir } from './helpers.js';
import { startProcess, type QntxProcess } from './process-helpers.js';
import { authHeader } from './test-tokens.js';
import { WsClient } from './ws-helpers.js';

async function json(url: string, init?: RequestInit): Promise<any> {
  const r = await fetch(url, { ...init, headers: { 'content-type': 'application/json', ...authHeader(url) } });
  return r.json();
}

describe('qntx ax --watch', () => {
  let dir: string;
  const children: QntxProcess[] = [];
  const cli = (...args: string[]) => runCli([...args, '--data-dir', dir]);

  before(async () => {
    dir = tempDir();
    const code = `${dir}/h.py`;
    fs.writeFileSync(code, 'for a in ix.input:\n    attest(a["subjects"][0], "welcomed", "cli-watch", attributes={"of": a["id"]})\n');
    assert.equal((await cli('handlers', 'add', 'welcome', code)).code, 0);
  });
  after(async () => {
    await Promise.all(children.map((c) => c.kill('SIGKILL')));
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('makes a watcher with attribute conditions, which a server on the same data dir runs', async () => {
    const r = await cli('ax', 'is', 'signup', 'of', 'web', 'so', 'welcome', '--watch', '--where', 'payload.action=opened', '--where', 'payload.title~bug', '--batch-size', '10', '--json');
    assert.equal(r.code, 0, r.stderr + r.stdout);
    const [w] = JSON.parse(r.stdout).schedules;
    assert.equal(w.watch, true);
    assert.equal(w.ats_code, 'ax is signup of web so welcome');
    assert.equal(w.watcher.batch_size, 10);
    assert.deepEqual(w.watcher.attributes, [
      { path: 'payload.action', op: 'equals', value: 'opened' },
      { path: 'payload.title', op: 'contains', value: 'bug' },
    ]);
    const human = await cli('pulse', 'ls');
    assert.match(human.stdout, new RegExp(`${w.id}\\s+active\\s+watch\\s+on new data\\s.*ax is signup of web so welcome`));

    const noSo = await cli('ax', 'is', 'signup', '--watch');
    assert.equal(noSo.code, 1);
    assert.match(noSo.stderr, /so <type>/);
    const badWhere = await cli('ax', 'is', 'signup', 'so', 'welcome', '--watch', '--where', 'nothing');
    assert.equal(badWhere.code, 1);
    assert.match(badWhere.stderr, /path=value or path~value/);

    const p = await startProcess(['serve', '--port', '0', '--data-dir', dir]);
    children.push(p);
    const url = p.url!;
    const ws = await WsClient.connect(url);
    const post = (attributes: unknown) => json(`${url}/api/as`, { method: 'POST', body: JSON.stringify({ subjects: ['x'], predicates: ['signup'], contexts: ['web'], attributes }) });
    await post({ payload: { action: 'closed', title: 'a bug' } });
    const yes = await post({ payload: { action: 'opened', title: 'a bug' } });
    while ((await json(`${url}/api/pulse/schedules/${w.id}`)).watcher.pending !== 0 || (await json(`${url}/api/pulse/schedules/${w.id}`)).last_status !== 'completed') {
      await ws.next((m) => m.type === 'pulse_execution_completed' || m.type === 'schedule_update');
    }
    ws.close();
    const made = await json(`${url}/api/attestations?predicates=welcomed&contexts=cli-watch`);
    assert.deepEqual(made.attestations.map((a: any) => a.attributes.of), [(yes.attestation ?? yes).id]);
    await p.kill('SIGTERM');
    const rm = await cli('pulse', 'rm', w.id);
    assert.equal(rm.code, 0, rm.stderr);
  });
});
