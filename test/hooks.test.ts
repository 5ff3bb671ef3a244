// Webhook triggers: a real HTTP client posts to a hook; the run sees the body and the headers; a
// wrong signature is 401, runs nothing and spends none of the sender's rate; a redelivery, or a
// signed body resent under a new or no delivery id, runs once; 2 MiB is 413; an unknown or revoked
// hook is 404 in the error shape; too many deliveries are 429; a hook's stored payloads stay within
// its quota (507 past it); the prune keeps running executions; another site's Host or Origin
// cannot create hooks; deliveries need no token.
import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { BODY_DEDUPE_MS } from '../src/hooks/delivery-ops.js';
import { HookService } from '../src/hooks/service.js';
import { sign } from '../src/hooks/signature.js';
import { DB_KINDS } from './helpers.js';
import { startTestServer, type TestServer } from './http-helpers.js';
import { isErrorShape, portOf, rawRequest } from './raw-http.js';
import { WsClient } from './ws-helpers.js';

/** Waits (polling a file: the test creates it to let the run end) when ix.input names a gate. */
const GATED = `
import os, time
gate = ix.input.get("gate") if isinstance(ix.input, dict) else None
while gate and not os.path.exists(gate):
    time.sleep(0.02)
attest("gated", "saw", str(len(ix.input.get("pad", "")) if isinstance(ix.input, dict) else 0))
`;

/** A path a run can see whatever its user (the sandbox uid cannot enter the test's private temp dirs). */
function gatePath(): string {
  return path.join(os.tmpdir(), `qntx-gate-${crypto.randomBytes(8).toString('hex')}`);
}

const ECHO = `
body = ix.input
kind = type(body).__name__
attest("delivery", "kind", kind, attributes={"body": body, "headers": ix.headers})
`;

for (const { kind, skip } of DB_KINDS) {
  describe(`webhooks (${kind})`, { skip }, () => {
    let s: TestServer;
    let ws: WsClient;
    before(async () => {
      s = await startTestServer(kind);
      ws = await WsClient.connect(s.url);
      const reg = await s.request('POST', '/api/python/register-handler', { script_type: 'gh', code: ECHO });
      assert.equal(reg.status, 201);
      assert.equal((await s.request('POST', '/api/python/register-handler', { script_type: 'gated', code: GATED })).status, 201);
    });
    after(async () => {
      ws.close();
      await s.stop();
    });

    /** A delivery as an outside system sends it: no token, no Origin. */
    async function deliver(path: string, body: string | Buffer, headers: Record<string, string> = {}) {
      const res = await fetch(s.url + path, { method: 'POST', body: typeof body === 'string' ? body : new Uint8Array(body), headers });
      const text = await res.text();
      let parsed: any = text;
      try {
        parsed = JSON.parse(text);
      } catch {
        // keep the text
      }
      return { status: res.status, body: parsed, headers: res.headers };
    }
    async function finished(executionId: string): Promise<any> {
      await ws.next((m) => (m.type === 'pulse_execution_completed' || m.type === 'pulse_execution_failed') && m.execution_id === executionId);
      return (await s.request('GET', `/api/pulse/executions/${executionId}`)).body;
    }
    async function createHook(body: Record<string, unknown>) {
      const r = await s.request('POST', '/api/hooks', body);
      assert.equal(r.status, 201, JSON.stringify(r.body));
      return r.body;
    }
    /** A HookService on the server's database, as the app makes it, with options of the test's. */
    function hookService(o: { deliveriesKept?: number } = {}): HookService {
      const q = s.qntx;
      return new HookService({
        database: q.database,
        clock: q.clock,
        catalog: q.catalog,
        events: q.events,
        keys: { dataDir: q.settings.dataDir },
        requireHandler: (t) => q.handlers.require(t),
        wake: () => q.pulse.wake(),
        jobDefaults: () => q.catalog.require('python.script'),
        ...o,
      });
    }
    async function jobCount(): Promise<number> {
      return (await s.request('GET', '/api/pulse/jobs?handler_name=python.script&limit=500')).body.jobs.length;
    }

    it('runs the handler with a JSON body as ix.input and the chosen headers as ix.headers, 202 before the run', async () => {
      const hook = await createHook({ script_type: 'gh', headers: ['x-custom'] });
      assert.match(hook.path, /^\/hooks\/gh\/[A-Za-z0-9_-]{43}$/, '256 random bits, base64url');
      assert.equal(hook.signing_secret, null);
      const token = hook.path.split('/').pop();
      // The list never shows the URL's id, and the database holds only its hash.
      const list = await s.request('GET', '/api/hooks');
      assert.ok(!JSON.stringify(list.body).includes(token));
      assert.equal(list.body.hooks[0].id, hook.id);

      const res = await deliver(hook.path, JSON.stringify({ action: 'opened', number: 7 }), {
        'content-type': 'application/json',
        'x-github-event': 'issues',
        'x-custom': 'yes',
        authorization: 'Bearer not-passed',
      });
      assert.equal(res.status, 202, JSON.stringify(res.body));
      assert.match(res.body.execution_id, /^EX/);
      assert.equal(res.body.duplicate, false);
      const x = await finished(res.body.execution_id);
      assert.equal(x.status, 'completed', JSON.stringify(x));
      assert.equal(x.trigger, 'hook');
      assert.equal(x.schedule_id, null);
      const a = (await s.request('GET', '/api/attestations?subjects=delivery&limit=10')).body.attestations.find((t: any) => t.source === x.id);
      assert.deepEqual(a.contexts, ['dict']);
      assert.deepEqual(a.attributes.body, { action: 'opened', number: 7 });
      assert.equal(a.attributes.headers['x-github-event'], 'issues');
      assert.equal(a.attributes.headers['x-custom'], 'yes');
      assert.equal(a.attributes.headers['content-type'], 'application/json');
      assert.equal(a.attributes.headers.authorization, undefined);

      const plain = await deliver(hook.path, 'just text', { 'content-type': 'text/plain' });
      assert.equal(plain.status, 202);
      const px = await finished(plain.body.execution_id);
      const pa = (await s.request('GET', '/api/attestations?subjects=delivery&limit=10')).body.attestations.find((t: any) => t.source === px.id);
      assert.deepEqual(pa.contexts, ['str']);
      assert.equal(pa.attributes.body, 'just text');

      const after = (await s.request('GET', '/api/hooks')).body.hooks.find((h: any) => h.id === hook.id);
      assert.equal(after.delivery_count, 2);
      assert.deepEqual(after.last_deliveries.map((d: any) => d.execution_id), [px.id, x.id]);
      assert.deepEqual(after.last_deliveries.map((d: any) => d.status), ['completed', 'completed']);
    });

    it('a wrong or missing signature is 401 and runs nothing; the right one runs', async () => {
      const hook = await createHook({ script_type: 'gh', sign: true });
      assert.match(hook.signing_secret, /^[0-9a-f]{64}$/);
      const body = JSON.stringify({ zen: 'Keep it logically awesome.' });
      const before = await jobCount();
      for (const header of [undefined, 'sha256=' + '0'.repeat(64), sign('another secret', Buffer.from(body)), 'sha1=abc', sign(hook.signing_secret, Buffer.from(body + ' '))]) {
        const res = await deliver(hook.path, body, { 'content-type': 'application/json', ...(header ? { 'x-hub-signature-256': header } : {}) });
        assert.equal(res.status, 401, String(header));
        assert.equal(typeof res.body.error, 'string');
        assert.ok(Array.isArray(res.body.details));
      }
      assert.equal(await jobCount(), before, 'nothing was queued');
      const listed = (await s.request('GET', '/api/hooks')).body.hooks.find((h: any) => h.id === hook.id);
      assert.equal(listed.delivery_count, 0);
      const ok = await deliver(hook.path, body, { 'content-type': 'application/json', 'x-hub-signature-256': sign(hook.signing_secret, Buffer.from(body)) });
      assert.equal(ok.status, 202, JSON.stringify(ok.body));
      assert.equal((await finished(ok.body.execution_id)).status, 'completed');
    });

    it('a redelivery (same X-GitHub-Delivery) runs once and answers the first execution', async () => {
      const hook = await createHook({ script_type: 'gh' });
      const id = crypto.randomUUID();
      const first = await deliver(hook.path, '{"n":1}', { 'content-type': 'application/json', 'x-github-delivery': id });
      assert.equal(first.status, 202);
      const again = await deliver(hook.path, '{"n":1}', { 'content-type': 'application/json', 'x-github-delivery': id });
      assert.equal(again.status, 202);
      assert.equal(again.body.execution_id, first.body.execution_id);
      assert.equal(again.body.duplicate, true);
      await finished(first.body.execution_id);
      const other = await deliver(hook.path, '{"n":2}', { 'content-type': 'application/json', 'x-delivery-id': 'other-1' });
      assert.notEqual(other.body.execution_id, first.body.execution_id);
      await finished(other.body.execution_id);
      const listed = (await s.request('GET', '/api/hooks')).body.hooks.find((h: any) => h.id === hook.id);
      assert.equal(listed.delivery_count, 2);
    });

    it('2 MiB is 413 in the error shape; just over 1 MiB too; nothing runs', async () => {
      const hook = await createHook({ script_type: 'gh' });
      const before = await jobCount();
      for (const size of [2 * 1024 * 1024, 1024 * 1024 + 1]) {
        const res = await deliver(hook.path, Buffer.alloc(size, 0x61), { 'content-type': 'text/plain' });
        assert.equal(res.status, 413, String(size));
        assert.equal(res.body.error, 'request body too large');
        assert.ok(Array.isArray(res.body.details));
      }
      assert.equal(await jobCount(), before);
    });

    it('an unknown, revoked or other-type hook is 404 in the error shape', async () => {
      const hook = await createHook({ script_type: 'gh' });
      const token = hook.path.split('/').pop();
      for (const path of [`/hooks/gh/${crypto.randomBytes(32).toString('base64url')}`, `/hooks/other/${token}`, '/hooks/gh/short']) {
        const res = await deliver(path, '{}', { 'content-type': 'application/json' });
        assert.equal(res.status, 404, path);
        assert.equal(typeof res.body.error, 'string');
        assert.ok(Array.isArray(res.body.details));
        assert.ok(!JSON.stringify(res.body).includes(token));
      }
      assert.equal((await s.request('DELETE', `/api/hooks/${hook.id}`)).status, 200);
      const revoked = await deliver(hook.path, '{}', { 'content-type': 'application/json' });
      assert.equal(revoked.status, 404);
      assert.equal((await s.request('DELETE', `/api/hooks/${hook.id}`)).status, 404);
    });

    it('too many deliveries to one hook are 429 with Retry-After', async () => {
      const hook = await createHook({ script_type: 'gh', rate_per_minute: 2 });
      const a = await deliver(hook.path, 'a', { 'content-type': 'text/plain' });
      const b = await deliver(hook.path, 'b', { 'content-type': 'text/plain' });
      const c = await deliver(hook.path, 'c', { 'content-type': 'text/plain' });
      assert.deepEqual([a.status, b.status, c.status], [202, 202, 429]);
      assert.ok(Number(c.headers.get('retry-after')) >= 1);
      assert.ok(Array.isArray(c.body.details));
      await finished(a.body.execution_id);
      await finished(b.body.execution_id);
    });

    it('unsigned or wrongly signed deliveries cost nothing against the rate; a flood of them gets 429 of its own', async () => {
      const hook = await createHook({ script_type: 'gh', sign: true, rate_per_minute: 5 });
      const body = JSON.stringify({ n: 'rate' });
      const json = { 'content-type': 'application/json' };
      for (let i = 0; i < 5; i++) {
        const bad = await deliver(hook.path, body, i % 2 ? { ...json, 'x-hub-signature-256': 'sha256=' + '0'.repeat(64) } : json);
        assert.equal(bad.status, 401, `bad delivery ${i}: ${JSON.stringify(bad.body)}`);
      }
      // Past the hook's rate, bad signatures are refused before their HMAC is even compared…
      const flood = await deliver(hook.path, body, json);
      assert.equal(flood.status, 429, JSON.stringify(flood.body));
      assert.ok(Number(flood.headers.get('retry-after')) >= 1);
      assert.equal(typeof flood.body.error, 'string');
      assert.ok(flood.body.details.includes('reason=bad_signature'), JSON.stringify(flood.body));
      // …while the sender's signed deliveries still have their whole rate.
      const ids: string[] = [];
      for (let i = 0; i < 5; i++) {
        const b = JSON.stringify({ n: i });
        const ok = await deliver(hook.path, b, { ...json, 'x-hub-signature-256': sign(hook.signing_secret, Buffer.from(b)) });
        assert.equal(ok.status, 202, `signed delivery ${i}: ${JSON.stringify(ok.body)}`);
        ids.push(ok.body.execution_id);
      }
      const sixth = await deliver(hook.path, body, { ...json, 'x-hub-signature-256': sign(hook.signing_secret, Buffer.from(body)) });
      assert.equal(sixth.status, 429);
      for (const id of ids) await finished(id);
    });

    it('a signed body replayed with a new or without a delivery id answers the first execution and runs once, for 24 h', async () => {
      const hook = await createHook({ script_type: 'gh', sign: true });
      const body = JSON.stringify({ replay: crypto.randomUUID() });
      const signed = (b: string, id?: string) => ({
        'content-type': 'application/json',
        'x-hub-signature-256': sign(hook.signing_secret, Buffer.from(b)),
        ...(id ? { 'x-github-delivery': id } : {}),
      });
      const first = await deliver(hook.path, body, signed(body, crypto.randomUUID()));
      assert.equal(first.status, 202, JSON.stringify(first.body));
      assert.equal(first.body.duplicate, false);
      await finished(first.body.execution_id);
      const before = await jobCount();
      for (const id of [crypto.randomUUID(), undefined, crypto.randomUUID()]) {
        const again = await deliver(hook.path, body, signed(body, id));
        assert.equal(again.status, 202, JSON.stringify(again.body));
        assert.deepEqual(again.body, { execution_id: first.body.execution_id, job_id: null, duplicate: true }, String(id));
      }
      assert.equal(await jobCount(), before, 'no replay was queued');
      // Another body (a real new event) runs.
      const other = JSON.stringify({ replay: crypto.randomUUID() });
      const next = await deliver(hook.path, other, signed(other));
      assert.equal(next.body.duplicate, false);
      await finished(next.body.execution_id);
      const listed = (await s.request('GET', '/api/hooks')).body.hooks.find((h: any) => h.id === hook.id);
      assert.equal(listed.delivery_count, 2);
      // A day later the same body is a new delivery: its record is moved a day back.
      const db = s.qntx.database.db;
      const moved = await db.updateTable('hook_bodies').set((eb) => ({ received_at: eb('received_at', '-', BODY_DEDUPE_MS) })).where('hook_id', '=', hook.id).executeTakeFirst();
      assert.equal(Number(moved.numUpdatedRows), 2);
      const day = await deliver(hook.path, body, signed(body, crypto.randomUUID()));
      assert.equal(day.body.duplicate, false);
      assert.notEqual(day.body.execution_id, first.body.execution_id);
      await finished(day.body.execution_id);
      const dayAgain = await deliver(hook.path, body, signed(body));
      assert.equal(dayAgain.body.execution_id, day.body.execution_id);
      assert.equal(dayAgain.body.duplicate, true);
      // An unsigned hook is not de-duplicated by its body (anyone with the URL can vary it anyway).
      const open = await createHook({ script_type: 'gh' });
      const u1 = await deliver(open.path, body, { 'content-type': 'application/json' });
      const u2 = await deliver(open.path, body, { 'content-type': 'application/json' });
      assert.deepEqual([u1.body.duplicate, u2.body.duplicate], [false, false]);
      await finished(u1.body.execution_id);
      await finished(u2.body.execution_id);
    });

    it('the prune of old deliveries never removes a running one', async () => {
      const keeping = hookService({ deliveriesKept: 2 });
      const made = await keeping.create({ script_type: 'gated' });
      const hook = (await keeping.find('gated', made.path.split('/').pop()!))!;
      const gate = gatePath();
      try {
        const slow = await keeping.deliver({ hook, body: { gate }, headers: {} });
        const quick: string[] = [];
        for (let i = 0; i < 3; i++) {
          const r = await keeping.deliver({ hook, body: { i }, headers: {} });
          quick.push(r.execution_id);
          await finished(r.execution_id);
        }
        const running = await s.request('GET', `/api/pulse/executions/${slow.execution_id}`);
        assert.equal(running.status, 200, 'the running execution is kept past the bound');
        assert.equal(running.body.status, 'running');
        assert.deepEqual(await Promise.all(quick.map(async (id) => (await s.request('GET', `/api/pulse/executions/${id}`)).status)), [404, 200, 200]);
        fs.writeFileSync(gate, '');
        assert.equal((await finished(slow.execution_id)).status, 'completed');
        // Finished, it goes with the next delivery.
        const last = await keeping.deliver({ hook, body: { i: 9 }, headers: {} });
        await finished(last.execution_id);
        assert.equal((await s.request('GET', `/api/pulse/executions/${slow.execution_id}`)).status, 404);
        await keeping.remove(made.id);
      } finally {
        fs.rmSync(gate, { force: true });
      }
    });

    it('holds a hook to its storage quota: past it 507 and nothing queued; old finished deliveries make room', { timeout: 120_000 }, async () => {
      const quota = 35_000;
      const s2 = await startTestServer(kind, { hookQuotaBytes: quota });
      const ws2 = await WsClient.connect(s2.url);
      const gate = gatePath();
      try {
        assert.equal((await s2.request('POST', '/api/python/register-handler', { script_type: 'gated', code: GATED })).status, 201);
        const hook = (await s2.request('POST', '/api/hooks', { script_type: 'gated' })).body;
        const post = async (body: object) => {
          const res = await fetch(s2.url + hook.path, { method: 'POST', body: JSON.stringify(body), headers: { 'content-type': 'application/json' } });
          return { status: res.status, body: (await res.json()) as any };
        };
        const done = async (id: string) => {
          await ws2.next((m) => (m.type === 'pulse_execution_completed' || m.type === 'pulse_execution_failed') && m.execution_id === id);
        };
        const info = async () => (await s2.request('GET', '/api/hooks')).body.hooks.find((h: any) => h.id === hook.id);
        const jobs = async () => (await s2.request('GET', '/api/pulse/jobs?handler_name=python.script&limit=500')).body.jobs.length;
        // Three deliveries of ~10 kB wait at the gate (two running, one queued): they hold ~30 kB.
        const held: any[] = [];
        for (let i = 0; i < 3; i++) {
          const r = await post({ gate, i, pad: 'x'.repeat(10_000) });
          assert.equal(r.status, 202, JSON.stringify(r.body));
          held.push(r.body);
        }
        const full = await info();
        assert.equal(full.quota_bytes, quota);
        assert.ok(full.stored_bytes > 30_000 && full.stored_bytes <= quota, String(full.stored_bytes));
        const queued = await jobs();
        const over = await post({ i: 3, pad: 'x'.repeat(10_000) });
        assert.equal(over.status, 507, JSON.stringify(over.body));
        assert.equal(typeof over.body.error, 'string');
        assert.ok(over.body.details.includes(`quota_bytes=${quota}`), JSON.stringify(over.body));
        assert.equal(typeof over.body.hint, 'string');
        assert.equal(await jobs(), queued, 'nothing was queued');
        assert.equal((await info()).delivery_count, 3);
        // The runs end: finished deliveries give their room to new ones, oldest first.
        fs.writeFileSync(gate, '');
        for (const h of held) await done(h.execution_id);
        const later: any[] = [];
        for (let i = 0; i < 5; i++) {
          const r = await post({ i: 10 + i, pad: 'x'.repeat(10_000) });
          assert.equal(r.status, 202, JSON.stringify(r.body));
          later.push(r.body);
          await done(r.body.execution_id);
          assert.ok((await info()).stored_bytes <= quota);
        }
        const status = async (p: string) => (await s2.request('GET', p)).status;
        for (const h of [...held, ...later.slice(0, 2)]) {
          assert.equal(await status(`/api/pulse/executions/${h.execution_id}`), 404, 'evicted');
          assert.equal(await status(`/api/pulse/jobs/${h.job_id}`), 404, 'its payload is gone too');
        }
        for (const h of later.slice(2)) assert.equal(await status(`/api/pulse/executions/${h.execution_id}`), 200);
        assert.equal((await info()).delivery_count, 8);
      } finally {
        fs.writeFileSync(gate, '');
        ws2.close();
        await s2.stop();
        fs.rmSync(gate, { force: true });
      }
    });

    it('keeps the last deliveries of a hook with their executions, and removes them with the hook', async () => {
      const keeping = hookService({ deliveriesKept: 2 });
      const made = await keeping.create({ script_type: 'gh' });
      const hook = (await keeping.find('gh', made.path.split('/').pop()!))!;
      const ids: string[] = [];
      for (let i = 0; i < 4; i++) {
        const r = await keeping.deliver({ hook, body: { i }, headers: {} });
        ids.push(r.execution_id);
        await finished(r.execution_id);
      }
      const listed = (await keeping.list('gh')).find((h) => h.id === made.id)!;
      assert.deepEqual(listed.last_deliveries.map((d) => d.execution_id), [ids[3], ids[2]]);
      assert.equal(listed.delivery_count, 4);
      for (const [i, id] of ids.entries()) assert.equal((await s.request('GET', `/api/pulse/executions/${id}`)).status, i < 2 ? 404 : 200);
      await keeping.remove(made.id);
      for (const id of ids) assert.equal((await s.request('GET', `/api/pulse/executions/${id}`)).status, 404);
    });

    it('answers as the OpenAPI document says, on every route of hooks, secrets and the cron preview', async () => {
      const check = (method: string, route: string, r: { status: number; body: unknown }) => {
        const rec = s.app.qntxRoutes.find((x) => x.method === method && x.url === route);
        assert.ok(rec, `${method} ${route}`);
        const key = r.status >= 400 ? `${String(r.status)[0]}xx` : String(r.status);
        const schema = rec.response[key] as { safeParse(v: unknown): { success: boolean } } | undefined;
        assert.ok(schema, `${method} ${route} ${r.status} documented`);
        assert.ok(schema.safeParse(r.body).success, `${method} ${route} ${r.status}: ${JSON.stringify(r.body).slice(0, 200)}`);
      };
      const hook = await createHook({ script_type: 'gh', sign: true });
      check('POST', '/api/hooks', { status: 201, body: hook });
      check('GET', '/api/hooks', await s.request('GET', '/api/hooks'));
      check('POST', '/api/hooks', await s.request('POST', '/api/hooks', { script_type: 'BAD TYPE' }));
      const body = '{"a":1}';
      const ok = await deliver(hook.path, body, { 'content-type': 'application/json', 'x-hub-signature-256': sign(hook.signing_secret, Buffer.from(body)) });
      check('POST', '/hooks/:type/:id', ok);
      check('POST', '/hooks/:type/:id', await deliver(hook.path, body, { 'content-type': 'application/json' }));
      check('POST', '/hooks/:type/:id', await deliver(hook.path, '{bad', { 'content-type': 'application/json', 'x-hub-signature-256': sign(hook.signing_secret, Buffer.from('{bad')) }));
      await finished(ok.body.execution_id);
      check('DELETE', '/api/hooks/:id', await s.request('DELETE', `/api/hooks/${hook.id}`));
      check('PUT', '/api/secrets/:name', await s.request('PUT', '/api/secrets/DOC_SECRET', { value: 'doc-secret-value' }));
      check('POST', '/api/secrets/:name/grants', await s.request('POST', '/api/secrets/DOC_SECRET/grants', { script_type: 'gh' }));
      check('DELETE', '/api/secrets/:name/grants/:type', await s.request('DELETE', '/api/secrets/DOC_SECRET/grants/gh'));
      check('GET', '/api/secrets', await s.request('GET', '/api/secrets'));
      check('DELETE', '/api/secrets/:name', await s.request('DELETE', '/api/secrets/DOC_SECRET'));
      check('PUT', '/api/secrets/:name', await s.request('PUT', '/api/secrets/DOC_SECRET', { value: 'x' }));
      check('GET', '/api/pulse/cron/preview', await s.request('GET', '/api/pulse/cron/preview?expr=*%20*%20*%20*%20*'));
      check('GET', '/api/pulse/cron/preview', await s.request('GET', '/api/pulse/cron/preview?expr=nope'));
    });

    it('creating hooks needs the token and this server\'s Host and Origin; a delivery is still Host-checked', async () => {
      const before = (await s.request('GET', '/api/hooks')).body.hooks.length;
      const port = portOf(s.url);
      const auth = { authorization: `Bearer ${s.token}`, 'content-type': 'application/json' };
      const body = JSON.stringify({ script_type: 'gh' });
      const evil = await rawRequest(port, { method: 'POST', path: '/api/hooks', headers: { ...auth, origin: 'https://evil.example' }, body });
      assert.equal(evil.status, 403, evil.text);
      assert.ok(isErrorShape(evil.json));
      const rebound = await rawRequest(port, { method: 'POST', path: '/api/hooks', headers: { ...auth, host: `evil.example:${port}`, origin: `http://evil.example:${port}` }, body });
      assert.equal(rebound.status, 403, rebound.text);
      const hook = await createHook({ script_type: 'gh' });
      const foreignHost = await rawRequest(port, { method: 'POST', path: hook.path, headers: { host: `evil.example:${port}`, 'content-type': 'text/plain' }, body: 'x' });
      assert.equal(foreignHost.status, 403, foreignHost.text);
      const noToken = await s.request('POST', '/api/hooks', { script_type: 'gh' }, { authorization: '' });
      assert.equal(noToken.status, 401);
      const simple = await s.request('POST', '/api/hooks', 'script_type=gh', { 'content-type': 'application/x-www-form-urlencoded' });
      assert.equal(simple.status, 415);
      assert.equal((await s.request('GET', '/api/hooks')).body.hooks.length, before + 1, 'no hook was made but ours');
      const noHandler = await s.request('POST', '/api/hooks', { script_type: 'nohandler' });
      assert.equal(noHandler.status, 422);
      assert.ok(noHandler.body.details.includes('script_type=nohandler'));
    });
  });
}

describe('webhooks behind a reverse proxy', () => {
  it('a delivery with an allowed host name runs; another name is 403', { timeout: 60_000 }, async () => {
    const s = await startTestServer('sqlite', { allowedHosts: ['qntx.example.org'] });
    try {
      await s.request('POST', '/api/python/register-handler', { script_type: 'gh', code: 'pass\n' });
      const hook = (await s.request('POST', '/api/hooks', { script_type: 'gh' })).body;
      const port = portOf(s.url);
      // Waited for from before the delivery, so that a quick run is not missed.
      const done = s.qntx.events.waitFor('pulse_execution_completed');
      const ok = await rawRequest(port, { method: 'POST', path: hook.path, headers: { host: 'qntx.example.org', 'content-type': 'application/json', 'x-forwarded-proto': 'https' }, body: '{}' });
      assert.equal(ok.status, 202, ok.text);
      assert.match(ok.json.execution_id, /^EX/);
      const other = await rawRequest(port, { method: 'POST', path: hook.path, headers: { host: 'other.example.org', 'content-type': 'application/json' }, body: '{}' });
      assert.equal(other.status, 403);
      assert.equal((await done).execution_id, ok.json.execution_id);
    } finally {
      await s.stop();
    }
  });
});
