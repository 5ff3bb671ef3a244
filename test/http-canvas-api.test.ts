// The canvas's API, on SQLite and PostgreSQL: a schedule's owner (one schedule per owner, upserted),
// a removed handler and its restore, dry runs, the attestation browser and schedule stats.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { DB_KINDS } from './helpers.js';
import { startTestServer, type TestServer } from './http-helpers.js';

const HANDLER = `
n = ix.state.get("n", 0) + 1
ix.state["n"] = n
print("run", n)
attest(["event-%d" % n], "received", "hook", attributes={"args": ix.args, "n": n})
`;

for (const { kind, skip } of DB_KINDS) {
  describe(`the canvas's API (${kind})`, { skip }, () => {
    let s: TestServer;
    before(async () => {
      s = await startTestServer(kind);
      const reg = await s.request('POST', '/api/python/register-handler', { script_type: 'hook', code: HANDLER });
      assert.equal(reg.status, 201, JSON.stringify(reg.body));
    });
    after(async () => {
      await s.stop();
    });

    describe('a schedule with an owner', () => {
      it('is created once and updated by the next create of the same owner', async () => {
        const a = await s.request('POST', '/api/pulse/schedules', { ats_code: 'ix hook a', interval_seconds: 3600, owner: 'glyph:ix-1' });
        assert.equal(a.status, 201, JSON.stringify(a.body));
        assert.equal(a.body.owner, 'glyph:ix-1');
        const b = await s.request('POST', '/api/pulse/schedules', { ats_code: 'ix hook b', interval_seconds: 7200, owner: 'glyph:ix-1' });
        assert.equal(b.status, 200, JSON.stringify(b.body));
        assert.equal(b.body.id, a.body.id);
        assert.equal(b.body.ats_code, 'ix hook b');
        assert.deepEqual((b.body.payload as { args?: string[] }).args, ['b']);
        assert.equal(b.body.interval_seconds, 7200);
        const list = await s.request('GET', '/api/pulse/schedules?owner=glyph:ix-1');
        assert.equal(list.status, 200);
        assert.deepEqual(
          list.body.schedules.map((x: { id: string }) => x.id),
          [a.body.id],
        );
      });

      it('keeps one schedule when the same owner creates concurrently', async () => {
        const all = await Promise.all(
          Array.from({ length: 6 }, (_, i) => s.request('POST', '/api/pulse/schedules', { ats_code: `ix hook c${i}`, interval_seconds: 3600, owner: 'glyph:race' })),
        );
        for (const r of all) assert.ok(r.status === 200 || r.status === 201, JSON.stringify(r.body));
        assert.equal(all.filter((r) => r.status === 201).length, 1);
        assert.equal(new Set(all.map((r) => r.body.id)).size, 1);
        const list = await s.request('GET', '/api/pulse/schedules?owner=glyph:race');
        assert.equal(list.body.schedules.length, 1);
      });

      it('schedules without an owner stay separate, and owner null shows in the DTO', async () => {
        const x = await s.request('POST', '/api/pulse/schedules', { ats_code: 'ix hook x', interval_seconds: 3600 });
        const y = await s.request('POST', '/api/pulse/schedules', { ats_code: 'ix hook x', interval_seconds: 3600 });
        assert.equal(x.status, 201);
        assert.equal(y.status, 201);
        assert.notEqual(x.body.id, y.body.id);
        assert.equal(x.body.owner, null);
      });

      it('PATCH changes the ats_code (re-routed) and the owner', async () => {
        const c = await s.request('POST', '/api/pulse/schedules', { ats_code: 'ix hook p', interval_seconds: 3600 });
        const p = await s.request('PATCH', `/api/pulse/schedules/${c.body.id}`, { ats_code: 'ix hook q r', owner: 'glyph:ix-9' });
        assert.equal(p.status, 200, JSON.stringify(p.body));
        assert.equal(p.body.ats_code, 'ix hook q r');
        assert.deepEqual((p.body.payload as { args?: string[] }).args, ['q', 'r']);
        assert.equal(p.body.owner, 'glyph:ix-9');
        const bad = await s.request('PATCH', `/api/pulse/schedules/${c.body.id}`, { ats_code: 'ix nohandler' });
        assert.equal(bad.status, 422, JSON.stringify(bad.body));
        assert.ok(Array.isArray(bad.body.details));
        const same = await s.request('GET', `/api/pulse/schedules/${c.body.id}`);
        assert.equal(same.body.ats_code, 'ix hook q r');
        const taken = await s.request('PATCH', `/api/pulse/schedules/${c.body.id}`, { owner: 'glyph:ix-1' });
        assert.equal(taken.status, 409, JSON.stringify(taken.body));
      });

      it('an owner switches its schedule between cron and an interval', async () => {
        const c = await s.request('POST', '/api/pulse/schedules', { ats_code: 'ix hook cr', cron: '0 9 * * 1-5', timezone: 'Europe/Berlin', owner: 'glyph:cron' });
        assert.equal(c.status, 201, JSON.stringify(c.body));
        assert.equal(c.body.cron, '0 9 * * 1-5');
        const i = await s.request('POST', '/api/pulse/schedules', { ats_code: 'ix hook cr', interval_seconds: 3600, owner: 'glyph:cron' });
        assert.equal(i.status, 200, JSON.stringify(i.body));
        assert.equal(i.body.id, c.body.id);
        assert.equal(i.body.cron, null);
        assert.equal(i.body.interval_seconds, 3600);
        const back = await s.request('POST', '/api/pulse/schedules', { ats_code: 'ix hook cr', cron: '30 8 * * *', timezone: 'America/New_York', owner: 'glyph:cron' });
        assert.equal(back.status, 200);
        assert.equal(back.body.cron, '30 8 * * *');
        assert.equal(back.body.timezone, 'America/New_York');
        assert.equal(back.body.interval_seconds, 0);
      });

      it('a run-once owned schedule runs again when its owner creates it again', async () => {
        const ran = await s.request('POST', '/api/pulse/schedules', { ats_code: 'ix hook once', interval_seconds: 0, owner: 'glyph:once' });
        assert.equal(ran.status, 201);
        await waitUntil(async () => (await s.request('GET', `/api/pulse/schedules/${ran.body.id}`)).body.state === 'inactive');
        const again = await s.request('POST', '/api/pulse/schedules', { ats_code: 'ix hook once', interval_seconds: 0, owner: 'glyph:once' });
        assert.equal(again.status, 200);
        assert.equal(again.body.id, ran.body.id);
        assert.equal(again.body.state, 'active');
      });
    });

    describe('a dry run', () => {
      it('runs the code and stores nothing: what it would attest comes back, with the state before and after', async () => {
        // Other tests' schedules write meanwhile: count this test's context only.
        const before = (await s.request('GET', '/api/attestations/count?contexts=dry')).body.count as number;
        const code = 'print("hi", ix.args)\nfor i in range(250):\n    attest(["dry-%d" % i], "tried", "dry", attributes={"i": i})\nix.state["n"] = ix.state.get("n", 0) + 1\n';
        const r = await s.request('POST', '/api/python/execute', { code, script_type: 'dry', args: ['x'], state: { n: 4 }, dry_run: true });
        assert.equal(r.status, 200, JSON.stringify(r.body).slice(0, 500));
        assert.equal(r.body.success, true);
        assert.equal(r.body.dry_run, true);
        assert.equal(r.body.attestations_created, 0);
        assert.equal(r.body.would_create.count, 250);
        assert.equal(r.body.would_create.attestations.length, 200);
        assert.deepEqual(r.body.would_create.attestations[0].subjects, ['dry-0']);
        assert.deepEqual(r.body.would_create.attestations[0].actors, ['ix:dry']);
        assert.match(r.body.stdout, /hi \['x'\]/);
        assert.deepEqual(r.body.state_before, { n: 4 });
        assert.deepEqual(r.body.state, { n: 5 });
        assert.equal((await s.request('GET', '/api/attestations/count?contexts=dry')).body.count, before);
        assert.equal((await s.request('GET', '/api/attestations/count?subjects=dry-0')).body.count, 0);
      });

      it('a real run stores what the dry run showed', async () => {
        const code = 'attest(["wet-1"], "tried", "dry")\n';
        const r = await s.request('POST', '/api/python/execute', { code });
        assert.equal(r.body.dry_run, false);
        assert.equal(r.body.would_create, null);
        assert.equal(r.body.attestations_created, 1);
        assert.equal((await s.request('GET', '/api/attestations/count?subjects=wet-1')).body.count, 1);
      });

      it('an attestation a real run would refuse fails the dry run the same way', async () => {
        const r = await s.request('POST', '/api/python/execute', { code: 'attest([""], "p", "c")\n', dry_run: true });
        assert.equal(r.status, 200);
        assert.equal(r.body.success, false, JSON.stringify(r.body));
        assert.ok(r.body.error);
      });
    });

    describe('the attestation browser', () => {
      it('exclude_system leaves out handler versions and retractions in lists, counts and AX', async () => {
        await s.request('POST', '/api/as', { subjects: ['sys-test'], predicates: ['is'], contexts: ['data'] });
        const all = (await s.request('GET', '/api/attestations/count?predicates=ix_handler')).body.count as number;
        assert.ok(all >= 1);
        assert.equal((await s.request('GET', '/api/attestations/count?predicates=ix_handler&exclude_system=true')).body.count, 0);
        const list = await s.request('GET', '/api/attestations?limit=1000&exclude_system=true');
        assert.equal(list.status, 200);
        assert.ok(list.body.attestations.length >= 1);
        assert.ok(list.body.attestations.every((a: { predicates: string[] }) => !a.predicates.includes('ix_handler')));
        const body = await s.request('POST', '/api/attestations/query', { contexts: ['hook'], exclude_system: true });
        assert.ok(body.body.attestations.every((a: { predicates: string[] }) => !a.predicates.includes('ix_handler')));
        const withSystem = await s.request('POST', '/api/attestations/query', { contexts: ['hook'] });
        assert.ok(withSystem.body.attestations.some((a: { predicates: string[] }) => a.predicates.includes('ix_handler')));
        const ax = await s.request('POST', '/api/ax', { query: 'is ix_handler', exclude_system: true, actions: false });
        assert.equal(ax.status, 200, JSON.stringify(ax.body));
        assert.equal(ax.body.attestations.length, 0);
        const bad = await s.request('GET', '/api/attestations?exclude_system=maybe');
        assert.equal(bad.status, 400);
      });

      it('provenance links an attestation to its run, schedule and handler code', async () => {
        const sch = await s.request('POST', '/api/pulse/schedules', { ats_code: 'ix hook prov', interval_seconds: 0, owner: 'glyph:prov' });
        assert.equal(sch.status, 201, JSON.stringify(sch.body));
        await waitUntil(async () => (await s.request('GET', `/api/pulse/schedules/${sch.body.id}`)).body.last_status === 'completed');
        const ex = (await s.request('GET', `/api/pulse/schedules/${sch.body.id}`)).body.last_execution_id as string;
        const mine = await s.request('GET', `/api/attestations?source=${ex}`);
        const page = mine.status === 200 && mine.body.attestations?.length ? mine.body : (await s.request('GET', '/api/attestations?contexts=hook&exclude_system=true&limit=1000')).body;
        const a = page.attestations.find((x: { source: string }) => x.source === ex);
        assert.ok(a, 'an attestation of the run');
        const p = await s.request('GET', `/api/attestations/${a.id}/provenance`);
        assert.equal(p.status, 200, JSON.stringify(p.body));
        assert.equal(p.body.attestation.id, a.id);
        assert.equal(p.body.execution.id, ex);
        assert.equal(p.body.schedule.id, sch.body.id);
        assert.equal(p.body.handler.type, 'hook');
        assert.equal(p.body.handler.version, 1);
        assert.match(p.body.handler.code, /attest\(/);
        const api = await s.request('POST', '/api/as', { subjects: ['from-api'], predicates: ['is'], contexts: ['data'] });
        const none = await s.request('GET', `/api/attestations/${api.body.id}/provenance`);
        assert.equal(none.status, 200);
        assert.equal(none.body.execution, null);
        assert.equal(none.body.handler, null);
        const missing = await s.request('GET', '/api/attestations/nope/provenance');
        assert.equal(missing.status, 404);
        assert.deepEqual(missing.body.details, ['id=nope']);
      });

      it('exports the filter as JSONL and CSV, every page, as a download', async () => {
        for (let i = 0; i < 30; i++) await s.request('POST', '/api/as', { subjects: [`exp-${i}`], predicates: ['exported'], contexts: ['=cmd|calc'] });
        const res = await fetch(`${s.url}/api/attestations/export?predicates=exported&format=jsonl`, { headers: { authorization: `Bearer ${s.token}` } });
        assert.equal(res.status, 200);
        assert.match(res.headers.get('content-disposition') ?? '', /attachment; filename="attestations.jsonl"/);
        const lines = (await res.text()).trim().split('\n').map((l) => JSON.parse(l) as { subjects: string[] });
        assert.equal(lines.length, 30);
        assert.deepEqual(new Set(lines.map((l) => l.subjects[0])).size, 30);
        const csv = await fetch(`${s.url}/api/attestations/export?predicates=exported&format=csv`, { headers: { authorization: `Bearer ${s.token}` } });
        assert.match(csv.headers.get('content-type') ?? '', /text\/csv/);
        const rows = (await csv.text()).trim().split('\n');
        assert.equal(rows[0], 'id,subjects,predicates,contexts,actors,timestamp,source,attributes,created_at,handler_version');
        assert.equal(rows.length, 31);
        // A cell a spreadsheet would run as a formula is neutralised.
        assert.ok(rows.slice(1).every((r) => r.includes("'=cmd|calc")), rows[1]);
        const unauth = await fetch(`${s.url}/api/attestations/export?predicates=exported`);
        assert.equal(unauth.status, 401);
        const bad = await s.request('GET', '/api/attestations/export?format=xml');
        assert.equal(bad.status, 400);
        assert.ok(Array.isArray(bad.body.details));
      });
    });

    describe('schedule stats', () => {
      it('counts every run from the API, with the last runs', async () => {
        const sch = await s.request('POST', '/api/pulse/schedules', { ats_code: 'ix hook stats', interval_seconds: 0, owner: 'glyph:stats' });
        await waitUntil(async () => (await s.request('GET', `/api/pulse/schedules/${sch.body.id}`)).body.last_status === 'completed');
        for (let i = 0; i < 3; i++) {
          const t = await s.request('POST', `/api/pulse/schedules/${sch.body.id}/trigger`);
          assert.equal(t.status, 201, JSON.stringify(t.body));
          await waitUntil(async () => (await s.request('GET', `/api/pulse/executions/${t.body.id}`)).body.status !== 'running');
        }
        const st = await s.request('GET', `/api/pulse/schedules/${sch.body.id}/stats`);
        assert.equal(st.status, 200, JSON.stringify(st.body));
        assert.equal(st.body.total, 4);
        assert.equal(st.body.completed, 4);
        assert.equal(st.body.failed, 0);
        assert.equal(st.body.running, 0);
        assert.equal(st.body.attestations_created, 4);
        assert.equal(st.body.last.length, 4);
        assert.equal(st.body.last[0].status, 'completed');
        assert.ok(st.body.last[0].execution_id > st.body.last[1].execution_id, 'newest first');
        assert.equal((await s.request('GET', '/api/pulse/schedules/SCnope/stats')).status, 404);
      });
    });

    describe('a removed handler', () => {
      it('says when it was removed and which version, and restores an old version as a new one', async () => {
        await s.request('POST', '/api/python/register-handler', { script_type: 'gone', code: 'print(1)\n' });
        await s.request('POST', '/api/python/register-handler', { script_type: 'gone', code: 'print(2)\n' });
        const live = await s.request('GET', '/api/handlers/gone');
        assert.equal(live.body.removed, null);
        const del = await s.request('DELETE', '/api/handlers/gone');
        assert.equal(del.status, 200);
        const removed = await s.request('GET', '/api/handlers/gone');
        assert.equal(removed.body.current, null);
        assert.equal(removed.body.removed.version, 2);
        assert.equal(removed.body.removed.actor, 'canvas_glyph');
        assert.equal(typeof removed.body.removed.at, 'number');
        const restored = await s.request('POST', '/api/handlers/gone/restore', { version: 1 });
        assert.equal(restored.status, 201, JSON.stringify(restored.body));
        assert.equal(restored.body.version, 3);
        assert.equal(restored.body.code, 'print(1)\n');
        const after = await s.request('GET', '/api/handlers/gone');
        assert.equal(after.body.current.version, 3);
        assert.equal(after.body.removed, null);
        const missing = await s.request('POST', '/api/handlers/gone/restore', { version: 99 });
        assert.equal(missing.status, 404);
        assert.match(missing.body.details.join(' '), /version=99/);
      });
    });
  });
}

async function waitUntil(check: () => Promise<boolean>, timeoutMs = 20_000): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > end) throw new Error('condition not reached');
    await new Promise((r) => setTimeout(r, 50));
  }
}

for (const { kind, skip } of DB_KINDS) {
  describe(`schedule stats after pruning (${kind})`, { skip }, () => {
    let s: TestServer;
    before(async () => {
      s = await startTestServer(kind, { executionsKept: 2 });
      await s.request('POST', '/api/python/register-handler', { script_type: 'hook', code: HANDLER });
    });
    after(async () => {
      await s.stop();
    });

    it('keeps counting the runs whose executions were pruned', async () => {
      const sch = await s.request('POST', '/api/pulse/schedules', { ats_code: 'ix hook', interval_seconds: 0 });
      await waitUntil(async () => (await s.request('GET', `/api/pulse/schedules/${sch.body.id}`)).body.last_status === 'completed');
      for (let i = 0; i < 4; i++) {
        const t = await s.request('POST', `/api/pulse/schedules/${sch.body.id}/trigger`);
        await waitUntil(async () => (await s.request('GET', `/api/pulse/executions/${t.body.id}`)).body.status !== 'running');
      }
      const kept = await s.request('GET', `/api/pulse/schedules/${sch.body.id}/executions`);
      assert.equal(kept.body.executions.length, 2);
      const st = await s.request('GET', `/api/pulse/schedules/${sch.body.id}/stats`);
      assert.equal(st.body.total, 5);
      assert.equal(st.body.completed, 5);
      assert.equal(st.body.attestations_created, 5);
      assert.equal(st.body.last.length, 2);
    });
  });
}
