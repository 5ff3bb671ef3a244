// The canvas's Pulse list (web/src/api/endpoints.ts) against a real server: every schedule, past
// the server's first page (100 by default), so the Pulse panel and the IX → Pulse edges see them.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { createApi } from '../web/src/api/endpoints.js';
import { createHttp } from '../web/src/api/http.js';
import { startTestServer, type TestServer } from './http-helpers.js';

describe('the canvas lists every schedule', () => {
  let s: TestServer;
  before(async () => {
    s = await startTestServer('sqlite');
  });
  after(async () => {
    await s?.close();
  });

  it('follows the cursor past the first page', async () => {
    const reg = await s.request('POST', '/api/python/register-handler', { script_type: 'many', code: 'print(1)\n' });
    assert.ok(reg.status < 300, JSON.stringify(reg.body));
    const made = new Set<string>();
    for (let i = 0; i < 620; i++) {
      const r = await s.request('POST', '/api/pulse/schedules', { ats_code: `ix many ${i}`, interval_seconds: 0 });
      assert.equal(r.status, 201, JSON.stringify(r.body));
      made.add((r.body as { id: string }).id);
    }
    const first = await s.request('GET', '/api/pulse/schedules');
    assert.ok((first.body as { schedules: unknown[] }).schedules.length < 620, 'the server pages this list');
    const api = createApi(createHttp(fetch, s.url, s.token));
    const listed = await api.pulse.list();
    assert.equal(listed.length, 620);
    assert.deepEqual(new Set(listed.map((x) => x.id)), made);
  });
});
