// A filter's cost is bounded before it runs: at most MAX_FILTER_PREFIXES prefix values (`x*`) in
// the whole filter, and at most MAX_FILTER_TERMS values over all its fields (attribute values and
// `subjects_from` included). Past them: a 400 naming the bound, never a 500 from the database
// (SQLite answered 996+ prefixes with "Expression tree is too large", and 32 attribute keys of
// 1,000 values with "too many SQL variables"). What real use sends stays far below.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { MAX_FILTER_PREFIXES, MAX_FILTER_TERMS } from '../src/ats/filter-terms.js';
import { DB_KINDS } from './helpers.js';
import { startTestServer, type TestServer } from './http-helpers.js';

const many = (n: number, f: (i: number) => string) => Array.from({ length: n }, (_, i) => f(i));

for (const { kind, skip } of DB_KINDS) {
  describe(`filter cost bounds (${kind})`, { skip }, () => {
    let s: TestServer;
    before(async () => {
      s = await startTestServer(kind, { workerConcurrency: 0 });
      for (const subject of ['src/a.ts', 'src/b.ts', 'lib/c.ts']) {
        const r = await s.request('POST', '/api/as', { subjects: [subject], predicates: ['modifies'], contexts: ['repo'] });
        assert.equal(r.status, 201);
      }
    });
    after(async () => s.stop());

    const refusedForPrefixes = (res: { status: number; body: any }, n: number) => {
      assert.equal(res.status, 400, JSON.stringify(res.body).slice(0, 300));
      assert.match(res.body.error, new RegExp(`at most ${MAX_FILTER_PREFIXES} prefix values`));
      assert.ok(res.body.details.includes(`prefixes=${n}, at most ${MAX_FILTER_PREFIXES}`), JSON.stringify(res.body.details));
    };

    it('refuses 1,000 prefix values in one field with a 400 naming the bound (GET, POST, count, export)', async () => {
      const subjects = many(1000, (i) => `x${i}*`);
      refusedForPrefixes(await s.request('POST', '/api/attestations/query', { subjects }), 1000);
      const qs = `subjects=${encodeURIComponent(subjects.join(','))}`;
      refusedForPrefixes(await s.request('GET', `/api/attestations?${qs}`), 1000);
      refusedForPrefixes(await s.request('GET', `/api/attestations/count?${qs}`), 1000);
      refusedForPrefixes(await s.request('GET', `/api/attestations/export?${qs}`), 1000);
    });

    it('counts prefixes over every field and subjects_from, and through POST /api/ax', async () => {
      const n = MAX_FILTER_PREFIXES + 1;
      refusedForPrefixes(await s.request('POST', '/api/attestations/query', { predicates: ['modifies'], contexts: many(n - 1, (i) => `c${i}*`), subjects_from: { subjects: ['x*'] } }), n);
      refusedForPrefixes(await s.request('POST', '/api/ax', { query: { subjects: many(n, (i) => `s${i}*`) }, actions: false }), n);
    });

    it('takes the bound itself, and answers prefixes right', async () => {
      const subjects = [...many(MAX_FILTER_PREFIXES - 1, (i) => `none${i}*`), 'src/*'];
      const r = await s.request('POST', '/api/attestations/query', { subjects });
      assert.equal(r.status, 200, JSON.stringify(r.body).slice(0, 300));
      assert.deepEqual(r.body.attestations.map((a: { subjects: string[] }) => a.subjects[0]).sort(), ['src/a.ts', 'src/b.ts']);
      const ax = await s.request('POST', '/api/ax', { query: { subjects: ['src/*'], predicates: ['modifies'] }, actions: false });
      assert.equal(ax.status, 200, JSON.stringify(ax.body).slice(0, 300));
      assert.equal(ax.body.summary.matched, 2);
    });

    it('refuses more values over all fields than the bound (32 attribute keys × 1,000 values) with a 400 naming it', async () => {
      const attributes = Object.fromEntries(Array.from({ length: 32 }, (_, k) => [`k${k}`, many(1000, (i) => String(i))] as const));
      const r = await s.request('POST', '/api/attestations/query', { predicates: ['modifies'], attributes });
      assert.equal(r.status, 400, JSON.stringify(r.body).slice(0, 300));
      assert.match(r.body.error, new RegExp(`at most ${MAX_FILTER_TERMS} values`));
      assert.ok(r.body.details.includes(`values=${32_001}, at most ${MAX_FILTER_TERMS}`), JSON.stringify(r.body.details));
    });

    it('takes 1,000 predicates × 1,000 contexts (within the bound: the time limit holds its cost)', async () => {
      const r = await s.request('POST', '/api/attestations/query', {
        predicates: ['modifies', ...many(999, (i) => `p${i}`)],
        contexts: ['repo', ...many(999, (i) => `c${i}`)],
      });
      assert.equal(r.status, 200, JSON.stringify(r.body).slice(0, 300));
      assert.equal(r.body.count, 3);
    });
  });
}
