// NUL in any text POST /api/ax takes is a 400 naming the field, on both databases (PostgreSQL
// text cannot hold NUL: it reached SQL and answered 500, code 22021). The structured form's
// subjects, predicates, contexts, actors, attributes (keys and values) and every field of
// subjects_from; the text form; the other strings of the body.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { DB_KINDS } from './helpers.js';
import { startTestServer, type TestServer } from './http-helpers.js';

const NUL = '\u0000';
const MESSAGE = 'must not contain NUL (\\u0000)';

for (const { kind, skip } of DB_KINDS) {
  describe(`NUL in POST /api/ax (${kind})`, { skip }, () => {
    let s: TestServer;
    before(async () => {
      s = await startTestServer(kind, { workerConcurrency: 0 });
      assert.equal((await s.request('POST', '/api/as', { subjects: ['alice'], predicates: ['is'], contexts: ['acme'] })).status, 201);
    });
    after(async () => s.stop());

    const cases: Array<[string, Record<string, unknown>, string]> = [
      ['subjects', { subjects: [`a${NUL}b`] }, 'query.subjects.0'],
      ['predicates', { predicates: ['is', `p${NUL}`] }, 'query.predicates.1'],
      ['contexts', { contexts: [`${NUL}`] }, 'query.contexts.0'],
      ['actors', { subjects: ['alice'], actors: [`x${NUL}y`] }, 'query.actors.0'],
      ['an attribute value', { subjects: ['alice'], attributes: { repo: [`r${NUL}`] } }, 'query.attributes.repo.0'],
      ['an attribute key', { subjects: ['alice'], attributes: { [`k${NUL}`]: ['v'] } }, `query.attributes.k${NUL}`],
      ['subjects_from.subjects', { subjects_from: { subjects: [`a${NUL}`] } }, 'query.subjects_from.subjects.0'],
      ['subjects_from.predicates', { subjects_from: { predicates: [`p${NUL}`] } }, 'query.subjects_from.predicates.0'],
      ['subjects_from.contexts', { subjects_from: { contexts: [`c${NUL}`] } }, 'query.subjects_from.contexts.0'],
      ['subjects_from.actors', { subjects_from: { contexts: ['acme'], actors: [`x${NUL}`] } }, 'query.subjects_from.actors.0'],
      ['subjects_from.attributes', { subjects_from: { contexts: ['acme'], attributes: { repo: [`r${NUL}`] } } }, 'query.subjects_from.attributes.repo.0'],
      ['the time zone', { subjects: ['alice'], timezone: `UTC${NUL}` }, 'query.timezone'],
    ];
    for (const [what, query, field] of cases) {
      it(`refuses NUL in ${what} of the structured form with a 400 naming ${field.replace(NUL, '\\0')}`, async () => {
        const r = await s.request('POST', '/api/ax', { query, actions: false });
        assert.equal(r.status, 400, JSON.stringify(r.body));
        assert.ok(r.body.details.includes(`${field}=${MESSAGE}`), JSON.stringify(r.body));
      });
    }

    it('refuses NUL in the text form and in the other strings, naming the field', async () => {
      const text = await s.request('POST', '/api/ax', { query: `ax a${NUL}b` });
      assert.equal(text.status, 400, JSON.stringify(text.body));
      assert.ok(text.body.details.includes(`query=${MESSAGE}`), JSON.stringify(text.body));
      const from = await s.request('POST', '/api/ax', { query: 'ax alice', created_from: `g${NUL}` });
      assert.equal(from.status, 400);
      assert.ok(from.body.details.includes(`created_from=${MESSAGE}`), JSON.stringify(from.body));
    });

    it('still answers the same filters without NUL', async () => {
      const r = await s.request('POST', '/api/ax', { query: { subjects: ['alice'], attributes: {}, subjects_from: { contexts: ['acme'] } }, actions: false });
      assert.equal(r.status, 200, JSON.stringify(r.body));
      assert.equal(r.body.summary.matched, 1);
    });
  });
}
