// Inputs that used to reach a 500, on both databases: JSON nested thousands deep, NUL in ids,
// filters and text (PostgreSQL 22021), timestamps past BIGINT or Date's range (22003), and
// Fastify's own URL errors. Each is now a 4xx in the error shape, naming the field.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { importJsonl } from '../src/ats/import.js';
import { DB_KINDS, openTestQntx, tempDir } from './helpers.js';
import { startTestServer, type TestServer } from './http-helpers.js';
import { isErrorShape, portOf, rawRequest } from './raw-http.js';

/** `{"a":{"a":…}}` nested `depth` levels, as text (JSON.stringify itself would overflow). */
function deepObject(depth: number): string {
  return '{"a":'.repeat(depth) + '1' + '}'.repeat(depth);
}
function deepArray(depth: number): string {
  return '['.repeat(depth) + ']'.repeat(depth);
}

const NUL = '\u0000';

for (const { kind, skip } of DB_KINDS) {
  describe(`no 500 from hostile input (${kind})`, { skip }, () => {
    let s: TestServer;
    let port: number;
    before(async () => {
      s = await startTestServer(kind, { workerConcurrency: 0 });
      port = portOf(s.url);
    });
    after(async () => {
      assert.equal((await s.request('GET', '/health')).status, 200, '/health still fine');
      await s.stop();
    });

    async function expect4xx(method: string, p: string, body: string | undefined, field: RegExp | null, status = 400): Promise<void> {
      const r = await rawRequest(port, {
        method,
        path: p,
        headers: { authorization: `Bearer ${s.token}`, ...(body === undefined && method === 'GET' ? {} : { 'content-type': 'application/json' }) },
        ...(body === undefined ? {} : { body }),
      });
      assert.equal(r.status, status, `${method} ${p.slice(0, 80)} ${body?.slice(0, 80)}: ${r.text.slice(0, 300)}`);
      assert.ok(isErrorShape(r.json), r.text.slice(0, 300));
      if (field) assert.match(r.json.details.join(' '), field, r.text.slice(0, 300));
    }

    it('refuses JSON nested 4,500 levels in attributes, payload, canvas data, state and filters', async () => {
      const deep = deepObject(4500);
      await expect4xx('POST', '/api/as', `{"subjects":["a"],"predicates":["p"],"contexts":["c"],"attributes":${deep}}`, /attributes/);
      await expect4xx('POST', '/api/pulse/jobs', `{"handler_name":"pulse.noop","payload":${deep}}`, /payload/);
      await expect4xx('PUT', '/api/canvas/glyphs/g1', `{"kind":"ix","x":0,"y":0,"width":100,"height":100,"data":${deep}}`, /data/);
      await expect4xx('POST', '/api/python/execute', `{"code":"pass","state":${deep}}`, /state/);
      await expect4xx('POST', '/api/attestations/query', `{"subjects":${deepArray(4500)}}`, /subjects/);
      await expect4xx('POST', '/api/as', deepArray(100_000), null);
      // 65 levels is one too many; 30 is fine.
      await expect4xx('POST', '/api/as', `{"subjects":["a"],"predicates":["p"],"contexts":["c"],"attributes":${deepObject(65)}}`, /attributes/);
      const ok = await s.request('POST', '/api/as', `{"subjects":["a"],"predicates":["p"],"contexts":["c"],"attributes":${deepObject(30)}}`);
      assert.equal(ok.status, 201);
    });

    it('refuses NUL in ids, filters, text and every stored string, naming the field', async () => {
      const att = (extra: object) => JSON.stringify({ subjects: ['a'], predicates: ['p'], contexts: ['c'], ...extra });
      await expect4xx('POST', '/api/as', att({ subjects: [`a${NUL}b`] }), /subjects\.0=.*NUL/);
      await expect4xx('POST', '/api/as', att({ predicates: `p${NUL}` }), /predicates/);
      await expect4xx('POST', '/api/as', att({ actors: [`x${NUL}`] }), /actors/);
      await expect4xx('POST', '/api/as', att({ source: `s${NUL}` }), /source/);
      await expect4xx('POST', '/api/as', att({ id: `AS${NUL}1` }), /id/);
      await expect4xx('POST', '/api/as', JSON.stringify({ text: `as a${NUL} is p of c` }), /NUL|subjects/);
      await expect4xx('GET', '/api/attestations?subjects=a%00b', undefined, /subjects/);
      await expect4xx('GET', '/api/attestations?cursor=%00', undefined, /cursor/);
      await expect4xx('POST', '/api/attestations/query', JSON.stringify({ contexts: [`c${NUL}`] }), /contexts/);
      await expect4xx('GET', '/api/attestations/AS%00X', undefined, /id/);
      await expect4xx('GET', '/api/pulse/jobs/JB%00', undefined, /id/);
      await expect4xx('GET', '/api/pulse/jobs?source=%00', undefined, /source/);
      await expect4xx('GET', '/api/pulse/schedules?created_from=x%00', undefined, /created_from/);
      await expect4xx('POST', '/api/pulse/schedules', JSON.stringify({ ats_code: `ix a${NUL}`, interval_seconds: 0 }), /ats_code/);
      await expect4xx('POST', '/api/pulse/schedules', JSON.stringify({ ats_code: 'ix a', interval_seconds: 0, created_from: NUL }), /created_from/);
      await expect4xx('POST', '/api/pulse/jobs', JSON.stringify({ handler_name: `pulse.noop${NUL}` }), /handler_name/);
      await expect4xx('POST', '/api/pulse/jobs', JSON.stringify({ handler_name: 'pulse.noop', source: NUL }), /source/);
      await expect4xx('POST', '/api/python/register-handler', JSON.stringify({ script_type: `t${NUL}`, code: 'pass' }), /script_type/);
      await expect4xx('POST', '/api/python/execute', JSON.stringify({ code: `print(1)${NUL}` }), /code/);
      await expect4xx('GET', '/api/handlers/t%00', undefined, /type/);
      await expect4xx('GET', '/api/canvas/glyphs/g%00', undefined, /id/);
      // NUL inside attributes too: PostgreSQL's jsonb (attribute filters) cannot hold it (limits.ts).
      await expect4xx('POST', '/api/as', JSON.stringify({ subjects: ['nul-attr'], predicates: ['p'], contexts: ['c'], attributes: { v: `x${NUL}y` } }), /attributes/);
    });

    it('refuses timestamps past the range in any form: number, digits, ISO, text, filters', async () => {
      const att = (ts: unknown) => JSON.stringify({ subjects: ['a'], predicates: ['p'], contexts: ['c'], timestamp: ts });
      for (const ts of [1e20, 8.64e15 + 1, '99999999999999999999', '9'.repeat(400), '+275761-01-01T00:00:00Z', -1, 1.5]) {
        await expect4xx('POST', '/api/as', att(ts), /timestamp/);
      }
      // The text form reads its time as AX does: past the range it is no time (the column says where).
      await expect4xx('POST', '/api/as', JSON.stringify({ text: 'as a is p of c at 99999999999999999999' }), /column=19 time=9{20}/);
      await expect4xx('GET', '/api/attestations?time_start=99999999999999999999', undefined, /time_start/);
      await expect4xx('GET', `/api/attestations?time_end=${'9'.repeat(30)}`, undefined, /time_end/);
      await expect4xx('POST', '/api/attestations/query', JSON.stringify({ time_start: 1e300 }), /time_start/);
      // ISO 8601's expanded years (+275760-…) are not in the one timestamp grammar (docs/api.md).
      await expect4xx('POST', '/api/as', att('+275760-09-13T00:00:00Z'), /timestamp/);
      const edge = await s.request('POST', '/api/as', { subjects: ['edge'], predicates: ['p'], contexts: ['c'], timestamp: 8.64e15 });
      assert.equal(edge.status, 201);
      assert.equal(edge.body.timestamp, 8.64e15);
    });

    it("answers Fastify's own URL and body errors in the error shape", async () => {
      await expect4xx('GET', '/api/attestations/%E0%A4%A', undefined, /code=FST_ERR_BAD_URL/);
      await expect4xx('GET', '/api/pulse/jobs/%ZZ', undefined, null);
      await expect4xx('GET', `/api/attestations/${'x'.repeat(101)}`, undefined, /FST_ERR_MAX_PARAM_LENGTH/, 414);
      // The hint names the router's limit (it said 64, which is the id schema's, not this one's).
      const long = await rawRequest(port, { method: 'POST', path: `/hooks/webhook/${'h'.repeat(101)}`, headers: { 'content-type': 'application/json' }, body: '{}' });
      assert.equal(long.status, 414, long.text);
      assert.ok(isErrorShape(long.json), long.text);
      assert.match(long.json.hint, /at most 100 characters/);
      const fits = await rawRequest(port, { method: 'POST', path: `/hooks/webhook/${'h'.repeat(100)}`, headers: { 'content-type': 'application/json' }, body: '{}' });
      assert.notEqual(fits.status, 414, fits.text);
      await expect4xx('GET', `/api/attestations/${'x'.repeat(65)}`, undefined, /id/);
      await expect4xx('POST', '/api/as', '{"subjects": [', /FST_ERR_CTP_INVALID_JSON_BODY/);
      await expect4xx('POST', '/api/as', '{"__proto__": {"x": 1}}', null);
      await expect4xx('POST', '/api/as', JSON.stringify({ text: 'x'.repeat(3 * 1024 * 1024) }), /FST_ERR_CTP_BODY_TOO_LARGE/, 413);
      await expect4xx('GET', '/api/attestations?limit=1e400', undefined, /limit/);
      await expect4xx('GET', '/api/attestations?limit=1&limit=2', undefined, /limit/);
    });
  });

  describe(`import of hostile lines (${kind})`, { skip }, () => {
    it('reports deep, NUL and out-of-range lines as errors instead of crashing', async () => {
      const q = await openTestQntx(kind);
      const dir = tempDir();
      try {
        const file = path.join(dir, 'bad.jsonl');
        const base = '"subjects":["a"],"predicates":["p"],"contexts":["c"]';
        fs.writeFileSync(
          file,
          [`{${base},"attributes":${deepObject(4500)}}`, `{"subjects":["a${'\\u0000'}"],"predicates":["p"],"contexts":["c"]}`, `{${base},"timestamp":"99999999999999999999"}`, `{${base}}`].join('\n'),
        );
        const res = await importJsonl(q.ats, file, { skipInvalid: true, threads: false });
        assert.equal(res.imported, 1);
        assert.deepEqual(res.errors.map((e) => e.line), [1, 2, 3]);
        assert.match(res.errors[0]!.details.join(' '), /attributes=nested deeper/);
        assert.match(res.errors[1]!.details.join(' '), /subjects\.0=.*NUL/);
        assert.match(res.errors[2]!.details.join(' '), /timestamp/);
      } finally {
        await q.cleanup();
        fs.rmSync(dir, { recursive: true, force: true });
      }
    });
  });
}
