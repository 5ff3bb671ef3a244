// The OpenAPI document at /api/openapi.json: generated from the routes' zod schemas, it lists every
// route with its method, and real answers of a session across the API match their schemas.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { z } from 'zod';
import { startTestServer, type TestServer } from './http-helpers.js';

describe('the OpenAPI document', () => {
  let s: TestServer;
  let doc: any;
  before(async () => {
    s = await startTestServer('sqlite', { workerConcurrency: 0 });
    const r = await s.request('GET', '/api/openapi.json');
    assert.equal(r.status, 200);
    doc = r.body;
  });
  after(async () => s.stop());

  it('is OpenAPI 3.1 and needs the token like the rest of the API', async () => {
    assert.equal(doc.openapi, '3.1.0');
    assert.equal((await s.request('GET', '/api/openapi.json', undefined, { authorization: '' })).status, 401);
    assert.deepEqual(doc.security, [{ bearer: [] }]);
    assert.deepEqual(doc.paths['/health'].get.security, []);
  });

  it('lists every route of the server, with a body or parameter schema where it takes one', () => {
    const documented = new Set<string>();
    for (const [path, item] of Object.entries<any>(doc.paths)) for (const m of Object.keys(item)) documented.add(`${m.toUpperCase()} ${path}`);
    const served = s.app.qntxRoutes.filter((r) => !r.hidden && r.method !== 'HEAD').map((r) => `${r.method} ${r.url.replace(/:(\w+)/g, '{$1}')}`);
    assert.ok(served.length >= 25, `${served.length} routes`);
    assert.deepEqual([...new Set(served)].sort(), [...documented].sort());
    for (const r of s.app.qntxRoutes.filter((x) => x.hidden)) assert.equal(r.auth, 'public', `hidden ${r.method} ${r.url} is a page asset`);
    for (const [path, item] of Object.entries<any>(doc.paths)) {
      for (const [method, op] of Object.entries<any>(item)) {
        assert.ok(op.responses['4XX'], `${method} ${path} documents its errors`);
        if (['post', 'put', 'patch'].includes(method)) assert.ok(op.requestBody?.content?.['application/json']?.schema, `${method} ${path} has a body schema`);
        for (const p of (path.match(/\{(\w+)\}/g) ?? []).map((x) => x.slice(1, -1))) {
          assert.ok(op.parameters?.some((q: any) => q.in === 'path' && q.name === p), `${method} ${path} documents {${p}}`);
        }
      }
    }
    assert.deepEqual(doc.components.schemas.Error.required.sort(), ['details', 'error']);
  });

  it('matches what the server answers across a session of every route', async () => {
    const check = async (method: string, route: string, path: string, body?: unknown, headers?: Record<string, string>) => {
      const r = await s.request(method, path, body, headers);
      const rec = s.app.qntxRoutes.find((x) => x.method === method && x.url === route);
      assert.ok(rec, `${method} ${route} is a route`);
      const key = r.status >= 400 ? `${String(r.status)[0]}xx` : String(r.status);
      const schema = rec.response[key] as z.ZodType | undefined;
      assert.ok(schema, `${method} ${path}: status ${r.status} is documented`);
      assert.ok(doc.paths[route.replace(/:(\w+)/g, '{$1}')][method.toLowerCase()].responses[key.toUpperCase()], `${method} ${route} ${key} in the document`);
      if (r.status !== 204) {
        const parsed = schema.safeParse(r.body);
        assert.ok(parsed.success, `${method} ${path} ${r.status}: ${JSON.stringify(parsed.error?.issues[0])} in ${JSON.stringify(r.body).slice(0, 300)}`);
      }
      return r.body;
    };
    await check('GET', '/health', '/health');
    await check('GET', '/health', '/health', undefined, { authorization: '' });
    await check('POST', '/api/session/ws-ticket', '/api/session/ws-ticket');
    await check('POST', '/api/session/ws-ticket', '/api/session/ws-ticket', undefined, { authorization: '' });
    const a = await check('POST', '/api/as', '/api/as', { text: 'as alice is engineer of acme at 2026-01-29' });
    await check('POST', '/api/as', '/api/as', { subjects: [] });
    await check('GET', '/api/attestations', '/api/attestations?subjects=alice');
    await check('POST', '/api/attestations/query', '/api/attestations/query', { contexts: ['acme'] });
    await check('GET', '/api/attestations/:id', `/api/attestations/${a.id}`);
    await check('GET', '/api/attestations/:id', '/api/attestations/ASNOPE');
    await check('POST', '/api/python/register-handler', '/api/python/register-handler', { script_type: 'hook', code: 'attest("e", "seen", "hook")\n' });
    await check('GET', '/api/handlers', '/api/handlers');
    await check('GET', '/api/handlers/:type', '/api/handlers/hook');
    const run = await check('POST', '/api/python/execute', '/api/python/execute', { code: 'print("hi")\nix.state["n"] = 1\n' });
    assert.equal(run.stdout, 'hi\n');
    await check('POST', '/api/python/execute', '/api/python/execute', { code: 'raise ValueError("no")' });
    const sch = await check('POST', '/api/pulse/schedules', '/api/pulse/schedules', { ats_code: 'ix hook', interval_seconds: 3600, created_from: 'g1' });
    await check('POST', '/api/pulse/schedules', '/api/pulse/schedules', { ats_code: 'ix nohandler', interval_seconds: 0 });
    await check('POST', '/api/ax', '/api/ax', { query: 'alice is engineer' });
    await check('POST', '/api/ax', '/api/ax', { query: 'alice so hook', actions: true });
    await check('POST', '/api/ax', '/api/ax', { query: 'alice since 2026-13-45' });
    await check('POST', '/api/ax/complete', '/api/ax/complete', { query: 'al' });
    await check('GET', '/api/pulse/schedules', '/api/pulse/schedules?state=active');
    await check('GET', '/api/pulse/schedules/:id', `/api/pulse/schedules/${sch.id}`);
    await check('PATCH', '/api/pulse/schedules/:id', `/api/pulse/schedules/${sch.id}`, { state: 'paused' });
    await check('POST', '/api/pulse/schedules/:id/trigger', `/api/pulse/schedules/${sch.id}/trigger`);
    const execs = await check('GET', '/api/pulse/schedules/:id/executions', `/api/pulse/schedules/${sch.id}/executions`);
    await check('GET', '/api/pulse/executions/:id', `/api/pulse/executions/${execs.executions[0].id}`);
    const job = await check('POST', '/api/pulse/jobs', '/api/pulse/jobs', { handler_name: 'pulse.noop', payload: {} });
    await check('GET', '/api/pulse/jobs', '/api/pulse/jobs');
    await check('GET', '/api/pulse/jobs/:id', `/api/pulse/jobs/${job.id}`);
    await check('POST', '/api/pulse/jobs/:id/cancel', `/api/pulse/jobs/${job.id}/cancel`);
    await check('DELETE', '/api/pulse/schedules/:id', `/api/pulse/schedules/${sch.id}`);
    await check('PUT', '/api/canvas/glyphs/:id', '/api/canvas/glyphs/g1', { kind: 'ix', x: 1, y: 2, width: 300, height: 200, data: { text: 'ix hook' }, version: 0 });
    await check('GET', '/api/canvas', '/api/canvas');
    await check('GET', '/api/canvas/glyphs/:id', '/api/canvas/glyphs/g1');
    await check('DELETE', '/api/canvas/glyphs/:id', '/api/canvas/glyphs/g1');
    await check('DELETE', '/api/handlers/:type', '/api/handlers/hook');
  });
});
