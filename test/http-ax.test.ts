// POST /api/ax and POST /api/ax/complete over real HTTP: the answer's shape, the resolved view and
// conflicts, errors with columns, and completion of values, keywords, types and times.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { DB_KINDS } from './helpers.js';
import { startTestServer, type TestServer } from './http-helpers.js';

for (const { kind, skip } of DB_KINDS) {
  describe(`ax API (${kind})`, { skip }, () => {
    let s: TestServer;
    before(async () => {
      s = await startTestServer(kind);
      const day = 24 * 3600_000;
      const t0 = Date.now() - 10 * day;
      const rows = [
        { subjects: ['alice'], predicates: ['title'], contexts: ['acme'], actors: ['hr'], timestamp: t0, attributes: { v: 'engineer' } },
        { subjects: ['alice'], predicates: ['title'], contexts: ['acme'], actors: ['hr'], timestamp: t0 + 2 * day, attributes: { v: 'manager' } },
        { subjects: ['alicia'], predicates: ['member'], contexts: ['Acme Corp'], actors: ['ix:webhook'], timestamp: t0 },
        { subjects: ['albert'], predicates: ['member'], contexts: ['acme'], actors: ['llm:gpt'], timestamp: t0 },
        { subjects: ['bob'], predicates: ['title'], contexts: ['globex'], actors: ['hr'], timestamp: t0 },
      ];
      await s.qntx.store.insertMany(rows.map((r) => s.qntx.ats.prepare(r, { source: 'test', actor: 'x' })));
      await s.request('POST', '/api/python/register-handler', { script_type: 'notify', code: 'pass' });
      await s.request('POST', '/api/python/register-handler', { script_type: 'note-taker', code: 'pass' });
    });
    after(async () => {
      await s?.stop();
    });

    it('answers {attestations, conflicts, summary, next_cursor, filter}', async () => {
      const r = await s.request('POST', '/api/ax', { query: 'ax alice is title' });
      assert.equal(r.status, 200, JSON.stringify(r.body));
      assert.deepEqual(Object.keys(r.body).sort(), ['attestations', 'conflicts', 'filter', 'next_cursor', 'summary']);
      assert.deepEqual(r.body.filter, { subjects: ['alice'], predicates: ['title'] });
      assert.deepEqual(r.body.attestations.map((a: any) => a.attributes.v), ['manager'], 'the resolved view');
      assert.equal(r.body.conflicts.length, 1);
      const c = r.body.conflicts[0];
      assert.equal(c.type, 'evolution');
      assert.equal(c.winner, r.body.attestations[0].id);
      assert.equal(c.claims.length, 2);
      assert.equal(r.body.summary.matched, 2);
      assert.equal(r.body.summary.shown, 1);
      assert.equal(r.body.summary.by_type.evolution, 1);
      const all = await s.request('POST', '/api/ax', { query: 'ax alice is title', all: true });
      assert.equal(all.body.attestations.length, 2);
    });

    it('takes the structured filter as the query', async () => {
      const text = await s.request('POST', '/api/ax', { query: 'ax is member of acme "Acme Corp"', all: true });
      const filter = await s.request('POST', '/api/ax', { query: { predicates: ['member'], contexts: ['acme', 'Acme Corp'] }, all: true });
      assert.equal(filter.status, 200);
      assert.deepEqual(filter.body.attestations.map((a: any) => a.id), text.body.attestations.map((a: any) => a.id));
      assert.equal(text.body.attestations.length, 2);
    });

    it('pages with limit and cursor', async () => {
      const first = await s.request('POST', '/api/ax', { query: 'ax', limit: 2, all: true });
      assert.equal(first.body.attestations.length, 2);
      const second = await s.request('POST', '/api/ax', { query: 'ax', limit: 2, all: true, cursor: first.body.next_cursor });
      assert.equal(second.body.attestations.length, 2);
      assert.equal(new Set([...first.body.attestations, ...second.body.attestations].map((a: any) => a.id)).size, 4);
    });

    it('takes sameness windows per request', async () => {
      const r = await s.request('POST', '/api/ax', { query: 'ax alice is title', windows: { verificationMs: 3 * 24 * 3600_000 } });
      assert.equal(r.body.conflicts[0].type, 'review', 'within a 3-day window the same actor contradicts itself');
    });

    const errors: Array<[unknown, number, RegExp, string?]> = [
      [{ query: 'ax alice is' }, 400, /'is' needs a predicate at column 12/, 'column=12'],
      [{ query: 'ax since blorp' }, 400, /cannot read 'blorp' as a time at column 10/, 'column=10'],
      [{ query: 'ax "open' }, 400, /unterminated quote at column 4/, 'column=4'],
      [{ query: 'x'.repeat(9000) }, 400, /longer than 8192 bytes/, 'length=9000'],
      [{ query: 42 }, 400, /invalid body/],
      [{ query: ['alice'] }, 400, /invalid body/],
      [{ query: { subject: ['a'] } }, 400, /invalid ax filter/],
      [{ query: 'ax', limit: 5000 }, 400, /invalid body/],
      [{ query: 'ax', extra: 1 }, 400, /invalid body/],
      [{ query: 'ax', cursor: 'garbage' }, 400, /invalid cursor/],
      [{}, 400, /invalid body/],
    ];
    for (const [body, status, message, detail] of errors) {
      it(`answers ${status} to ${JSON.stringify(body).slice(0, 50)}`, async () => {
        const r = await s.request('POST', '/api/ax', body);
        assert.equal(r.status, status, JSON.stringify(r.body));
        assert.match(r.body.error, message);
        assert.ok(Array.isArray(r.body.details));
        if (detail) assert.equal(r.body.details[0], detail);
      });
    }

    const complete = async (query: string, position?: number) => {
      const r = await s.request('POST', '/api/ax/complete', position === undefined ? { query } : { query, position });
      assert.equal(r.status, 200, JSON.stringify(r.body));
      return r.body;
    };
    const labels = (c: any) => c.options.map((o: any) => o.label);

    it('completes stored subjects by prefix, then keywords', async () => {
      const c = await complete('ax al');
      assert.equal(c.field, 'subjects');
      assert.equal(c.from, 3);
      assert.equal(c.to, 5);
      assert.deepEqual(labels(c).slice(0, 3), ['albert', 'alice', 'alicia']);
    });

    it('completes the field of the clause the cursor is in', async () => {
      assert.deepEqual(labels(await complete('ax alice is ti')), ['title']);
      const ctx = await complete('ax is member of A');
      assert.equal(ctx.field, 'contexts');
      // Without regard to case: `A` completes acme and Acme Corp, each as stored.
      assert.deepEqual(labels(ctx), ['acme', 'Acme Corp']);
      assert.deepEqual(ctx.options[1], { label: 'Acme Corp', apply: '"Acme Corp"', kind: 'value', detail: 'contexts' });
      assert.deepEqual(labels(await complete('ax by ix')), ['ix:webhook']);
      assert.deepEqual(labels(await complete('ax by "llm')), ['llm:gpt']);
      const mid = await complete('ax al is title', 5);
      assert.equal(mid.field, 'subjects');
      assert.deepEqual(labels(mid).slice(0, 3), ['albert', 'alice', 'alicia']);
    });

    it('completes keywords, types after so, time words and durations', async () => {
      const kw = await complete('ax alice s');
      assert.ok(labels(kw).includes('since') && labels(kw).includes('so'), JSON.stringify(kw));
      assert.deepEqual(labels(await complete('ax alice so no')), ['note-taker', 'notify']);
      const time = await complete('ax alice since last w');
      assert.deepEqual(labels(time), ['last week']);
      assert.equal(time.from, 'ax alice since '.length);
      assert.deepEqual(labels(await complete('ax alice over ')), ['1y', '6m', '2w', '30d']);
      assert.deepEqual(labels(await complete('ax between 2026-01 ')), ['and']);
      const next = await complete('ax alice ');
      assert.ok(labels(next).includes('is') && labels(next).includes('by'));
    });

    it('takes a prefix literally (no wildcards)', async () => {
      for (const p of ['%', '_', 'a%', 'al_']) assert.deepEqual((await complete(`ax ${p}`)).options, [], p);
    });

    it('refuses a bad completion request', async () => {
      assert.equal((await s.request('POST', '/api/ax/complete', { query: 1 })).status, 400);
      assert.equal((await s.request('POST', '/api/ax/complete', { query: 'ax', position: -1 })).status, 400);
      const nul = await s.request('POST', '/api/ax/complete', { query: 'ax a\u0000b' });
      assert.equal(nul.status, 400);
      assert.deepEqual(nul.body.details, ['query=must not contain NUL (\\u0000)']);
    });
  });
}
