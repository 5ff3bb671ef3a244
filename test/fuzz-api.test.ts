// The property fuzz of test/fuzz/api-fuzz.ts inside npm test: 2,500 generated requests (every
// operation of the OpenAPI document, and the ix grammar) against a real server on SQLite, and
// 600 on PostgreSQL when configured. `npm run fuzz` runs the long campaign (scripts/fuzz.ts).
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { DB_KINDS } from './helpers.js';
import { fuzzApi } from './fuzz/api-fuzz.js';
import { startTestServer } from './http-helpers.js';
import { portOf } from './raw-http.js';

for (const { kind, skip } of DB_KINDS) {
  describe(`API fuzz (${kind})`, { skip }, () => {
    it(`answers ${kind === 'sqlite' ? 2500 : 600} generated requests with no 5xx, errors in the shape, answers in their schema`, async () => {
      const s = await startTestServer(kind, { workerConcurrency: 0 });
      try {
        const doc = (await s.request('GET', '/api/openapi.json')).body;
        const stats = await fuzzApi({ port: portOf(s.url), token: s.token!, doc, routes: s.app.qntxRoutes }, kind === 'sqlite' ? 2500 : 600);
        assert.deepEqual(stats.failures, []);
        assert.ok([...stats.byStatus.keys()].some((c) => c < 300), 'some requests succeed');
        assert.ok([...stats.byStatus.keys()].some((c) => c >= 400), 'some are refused');
        assert.equal((await s.request('GET', '/health')).status, 200);
      } finally {
        await s.stop();
      }
    });
  });
}
