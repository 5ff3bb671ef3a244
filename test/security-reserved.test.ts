// Forged handlers: `ix_handler` is written only by register and remove. POST /api/as (structured or
// text), `qntx import`, `qntx as` and a handler's attest() are refused naming the predicate, so a
// hand-made attestation (far-future timestamp or not) can never steer the handler lookup; and
// concurrent saves get distinct versions.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { runCli } from './cli-helpers.js';
import { DB_KINDS, openTestQntx, tempDir, type TestQntx } from './helpers.js';
import { startTestServer, type TestServer } from './http-helpers.js';
import { WsClient } from './ws-helpers.js';

const FORGED = 'print("forged handler ran")\nattest("pwned", "ran", "forged")\n';

for (const { kind, skip } of DB_KINDS) {
  describe(`reserved predicates over HTTP (${kind})`, { skip }, () => {
    let s: TestServer;
    before(async () => {
      s = await startTestServer(kind);
    });
    after(async () => s.stop());

    it('refuses POST /api/as with ix_handler, structured or as text, with a far-future timestamp too', async () => {
      const bodies = [
        { subjects: ['h1'], predicates: ['ix_handler'], contexts: ['t'], attributes: { code: FORGED, version: 99 } },
        { subjects: ['h1'], predicates: ['note', 'ix_handler'], contexts: ['t'], timestamp: 8.64e15, attributes: { code: FORGED } },
        { subjects: 'h1', predicates: 'ix_handler', contexts: 't' },
        { text: 'as h1 is ix_handler of t at 9999-12-31' },
        { text: 'as h1 is "ix_handler" of t' },
      ];
      for (const body of bodies) {
        const r = await s.request('POST', '/api/as', body);
        assert.equal(r.status, 400, JSON.stringify(r.body));
        assert.ok(r.body.details.includes('predicate=ix_handler'), JSON.stringify(r.body));
        assert.match(r.body.error, /reserved/);
      }
      const stored = await s.request('GET', '/api/attestations?predicates=ix_handler');
      assert.equal(stored.body.count, 0);
      const routed = await s.request('POST', '/api/pulse/schedules', { ats_code: 'ix t', interval_seconds: 0 });
      assert.equal(routed.status, 422, 'no handler for t: the lookup was not steered');
      assert.ok(routed.body.details.includes('script_type=t'));
    });

    it("fails a handler run whose attest() writes ix_handler, naming the predicate; the lookup stays the registry's", async () => {
      const ws = await WsClient.connect(s.url);
      try {
        const code = `attest(["h2"], ["ix_handler"], ["victim"], attributes={"code": ${JSON.stringify(FORGED)}})\n`;
        assert.equal((await s.request('POST', '/api/python/register-handler', { script_type: 'forger', code })).status, 201);
        assert.equal((await s.request('POST', '/api/python/register-handler', { script_type: 'victim', code: 'print("real")\n' })).status, 201);
        const sch = await s.request('POST', '/api/pulse/schedules', { ats_code: 'ix forger', interval_seconds: 0 });
        assert.equal(sch.status, 201);
        const failed = await ws.next((m) => m.type === 'pulse_execution_failed' && m.schedule_id === sch.body.id);
        assert.match(failed.error, /ix_handler/);
        assert.ok(failed.error_details.includes('predicate=ix_handler'), JSON.stringify(failed));
        const victim = await s.request('GET', '/api/handlers/victim');
        assert.equal(victim.body.current.code, 'print("real")\n');
        assert.deepEqual(victim.body.versions.map((v: any) => v.version), [1]);

        const exec = await s.request('POST', '/api/python/execute', { code });
        assert.equal(exec.status, 400, JSON.stringify(exec.body));
        assert.ok(exec.body.details.includes('predicate=ix_handler'));
      } finally {
        ws.close();
      }
    });
  });

  describe(`handler versions (${kind})`, { skip }, () => {
    let q: TestQntx;
    before(async () => {
      q = await openTestQntx(kind);
    });
    after(async () => q.cleanup());

    it('gives concurrent saves distinct, consecutive versions, and removal retracts the newest', async () => {
      const saves = await Promise.all(Array.from({ length: 12 }, (_, i) => q.handlers.register({ script_type: 'race', code: `print(${i})\n` }, 'test')));
      assert.deepEqual(saves.map((h) => h.version).sort((a, b) => a - b), Array.from({ length: 12 }, (_, i) => i + 1));
      const newest = saves.find((h) => h.version === 12)!;
      assert.equal((await q.handlers.current('race'))!.id, newest.id);
      const [removed, next] = await Promise.all([q.handlers.remove('race', 'test'), q.handlers.register({ script_type: 'race', code: 'print("after")\n' }, 'test')]);
      assert.ok(removed.retracted.version >= 12);
      assert.ok(next.version >= 13);
      assert.equal((await q.handlers.versions('race')).length, 13);
    });

    it('refuses the reserved predicate on the attestation service without the capability', async () => {
      assert.throws(
        () => q.ats.prepare({ subjects: ['x'], predicates: ['ix_handler'], contexts: ['t'] }, { source: 'test', actor: 'test' }),
        (err: any) => err.status === 400 && err.details.includes('predicate=ix_handler'),
      );
    });
  });
}

describe('reserved predicates from the command line', () => {
  const dir = tempDir();
  after(() => fs.rmSync(dir, { recursive: true, force: true }));

  it('qntx as refuses ix_handler', async () => {
    const r = await runCli(['as', 'h', 'is', 'ix_handler', 'of', 't', '--data-dir', dir]);
    assert.notEqual(r.code, 0);
    assert.match(r.stderr, /predicate=ix_handler/);
  });

  it('qntx import stops at an ix_handler line, and --skip-invalid skips it', async () => {
    const file = path.join(dir, 'forged.jsonl');
    fs.writeFileSync(
      file,
      [
        JSON.stringify({ subjects: ['ok'], predicates: ['fine'], contexts: ['c'] }),
        JSON.stringify({ subjects: ['h'], predicates: ['ix_handler'], contexts: ['t'], timestamp: 8.64e15, attributes: { code: FORGED } }),
      ].join('\n') + '\n',
    );
    const stop = await runCli(['import', file, '--data-dir', dir]);
    assert.notEqual(stop.code, 0);
    assert.match(stop.stderr, /line=2/);
    assert.match(stop.stderr, /predicate=ix_handler/);
    const skip = await runCli(['import', file, '--skip-invalid', '--data-dir', dir, '--json']);
    assert.equal(skip.code, 0, skip.stderr);
    assert.equal(JSON.parse(skip.stdout).skipped, 1);
    const found = await runCli(['ax', '--predicate', 'ix_handler', '--data-dir', dir, '--json']);
    assert.equal(JSON.parse(found.stdout).count, 0);
  });
});
