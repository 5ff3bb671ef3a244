// Queries for ingested data, on both databases: attribute equality (indexed
// for the built-ins' attributes), value prefixes, counts, and subjects_from (the subjects of one
// filter as the subject filter of the next), with EXPLAIN showing index use.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { AsidFactory } from '../src/ats/asid.js';
import type { AttestationFilter, NewAttestation } from '../src/ats/types.js';
import { ValidationError } from '../src/errors.js';
import { DB_KINDS, openTestQntx, type TestQntx } from './helpers.js';
import { startTestServer, type TestServer } from './http-helpers.js';

const ids = new AsidFactory();
const T = 1_700_000_000_000;

function a(subject: string, predicate: string, context: string | string[], attributes: Record<string, unknown>, t: number): NewAttestation {
  return { id: ids.next(), subjects: [subject], predicates: [predicate], contexts: Array.isArray(context) ? context : [context], actors: ['ixgest.git'], timestamp: t, source: 'test', attributes, created_at: t };
}

/** Commits c0..c{n-1} of two repositories: author, and two files each (one of them Makefile every 10th). */
function history(n: number, offset = 0): NewAttestation[] {
  const out: NewAttestation[] = [];
  for (let i = offset; i < offset + n; i++) {
    const repo = i % 2 ? '/r/one' : '/r/two';
    const c = `c${i}`;
    const t = T + i * 1000;
    out.push(a(c, 'commit', repo, { repo, files_changed: 2 }, t));
    out.push(a(c, 'authored_by', `dev${i % 7}@example.com`, { repo }, t));
    out.push(a(c, 'modifies', `src/mod${i % 50}.ts`, { repo, change: 'modified', lines_added: i % 5 }, t));
    out.push(a(c, 'modifies', i % 10 === 0 ? 'Makefile' : `docs/p${i % 30}.md`, { repo, change: i % 20 === 0 ? 'added' : 'modified', lines_added: 1 }, t));
  }
  return out;
}

for (const { kind, skip } of DB_KINDS) {
  describe(`attestation queries: attributes, prefixes, counts, subjects_from (${kind})`, { skip }, () => {
    let q: TestQntx;
    before(async () => {
      q = await openTestQntx(kind);
      await q.store.insertMany(history(100));
      await q.store.insertMany([a('lit', 'star', 'src*', {}, T), a('lit', 'star', 'srcX', {}, T)]);
    });
    after(async () => {
      await q.cleanup();
    });
    const subjects = async (f: AttestationFilter) => (await q.store.query({ limit: 1000, ...f })).items.map((x) => x.subjects[0]!);

    it('filters on an indexed attribute, alone or with fields, and counts the same', async () => {
      const one = await subjects({ predicates: ['commit'], attributes: { repo: ['/r/one'] } });
      assert.equal(one.length, 50);
      assert.ok(one.every((s) => Number(s.slice(1)) % 2 === 1));
      assert.equal(await q.store.count({ attributes: { repo: ['/r/one'] } }), 200);
      assert.equal(await q.store.count({ predicates: ['modifies'], attributes: { change: ['added'] } }), 5);
      assert.equal(await q.store.count({ attributes: { repo: ['/r/one', '/r/two'] }, predicates: ['commit'] }), 100);
    });

    it('filters on other attributes beside an indexed filter, matching numbers as written', async () => {
      assert.equal(await q.store.count({ predicates: ['modifies'], contexts: ['src/mod3.ts'], attributes: { lines_added: ['3'] } }), 2);
      await assert.rejects(q.store.count({ attributes: { lines_added: ['3'] } }), (e: unknown) => e instanceof ValidationError && /not indexed/.test(e.message));
    });

    it('takes a value prefix (src/*) driving or probing, and a literal star written \\*', async () => {
      assert.equal(await q.store.count({ contexts: ['src/*'] }), 100);
      assert.equal(await q.store.count({ contexts: ['src/mod1*'] }), 22, 'mod1, mod10-19');
      assert.deepEqual(await subjects({ subjects: ['c7'], contexts: ['docs/*'] }), ['c7']);
      assert.deepEqual(await subjects({ subjects: ['c7'], contexts: ['src/*', 'Makefile'] }), ['c7']);
      assert.deepEqual(await subjects({ contexts: ['src\\*'] }), ['lit']);
      assert.equal(await q.store.count({ contexts: ['src*'] }), 102, 'a trailing star is a prefix');
      const page = await q.store.query({ contexts: ['src/*'], limit: 30 });
      const next = await q.store.query({ contexts: ['src/*'], limit: 30, cursor: page.next_cursor! });
      assert.equal(new Set([...page.items, ...next.items].map((x) => x.id)).size, 60, 'pages do not repeat');
    });

    it('answers "who changed Makefile" in one query with subjects_from', async () => {
      const f: AttestationFilter = { predicates: ['authored_by'], subjects_from: { predicates: ['modifies'], contexts: ['Makefile'] } };
      const got = (await q.store.query({ ...f, limit: 1000 })).items;
      assert.deepEqual(got.map((x) => x.subjects[0]).sort(), Array.from({ length: 10 }, (_, i) => `c${i * 10}`).sort());
      assert.deepEqual([...new Set(got.map((x) => x.contexts[0]))].sort(), ['dev0@example.com', 'dev1@example.com', 'dev2@example.com', 'dev3@example.com', 'dev4@example.com', 'dev5@example.com', 'dev6@example.com']);
      assert.equal(await q.store.count(f), 10);
      assert.equal(await q.store.count({ ...f, attributes: { repo: ['/r/two'] } }), 10);
      await assert.rejects(q.store.count({ subjects_from: {} }), ValidationError);
    });

    it('uses indexes for the attribute and prefix filters (EXPLAIN)', async () => {
      for (let b = 0; b < 5; b++) await q.store.insertMany(history(2000, 1000 + b * 2000));
      // Its own tables only: a bare ANALYZE gives statistics to every test's tables in the database, and
      // a concurrent test's EXPLAIN of a few rows then finds a sequential scan cheapest.
      if (kind === 'postgres') await q.store.analyze();
      else q.database.sqlite!.exec('analyze');
      const filters: AttestationFilter[] = [
        { attributes: { repo: ['/r/one'] }, limit: 10 },
        { predicates: ['commit'], attributes: { repo: ['/r/one'] } },
        { contexts: ['src/mod1*'] },
        { subjects: ['c7'], contexts: ['src/*'] },
        { predicates: ['authored_by'], subjects_from: { predicates: ['modifies'], contexts: ['Makefile'] } },
      ];
      for (const f of filters) {
        for (const plan of [(await q.store.explain(f)).join('\n'), (await q.store.explainCount(f)).join('\n')]) {
          if (kind === 'sqlite') {
            assert.doesNotMatch(plan.replace(/SCAN j\b.*|SCAN json_each.*/g, ''), /\bSCAN\b/, `${JSON.stringify(f)}\n${plan}`);
            assert.match(plan, /USING (PRIMARY KEY|INTEGER PRIMARY KEY|INDEX|COVERING INDEX)/, plan);
          } else {
            // The filters themselves walk the field index; on a table this small the planner may still
            // hash-join the attestation rows it fetches, which is its choice, not a scan for the filter.
            assert.doesNotMatch(plan, /Seq Scan on attestation_fields/, `${JSON.stringify(f)}\n${plan}`);
            assert.match(plan, /Index Cond: .*\(field = /, plan);
          }
        }
      }
    });
  });
}

describe('GET /api/attestations and /count with attr., prefixes and subjects_from', () => {
  let s: TestServer;
  before(async () => {
    s = await startTestServer();
    await s.qntx.store.insertMany(history(40));
  });
  after(async () => {
    await s.stop();
  });

  it('filters and counts over HTTP with the same parameters', async () => {
    const r = await s.request('GET', '/api/attestations?predicates=commit&attr.repo=/r/one&limit=5');
    assert.equal(r.status, 200, JSON.stringify(r.body));
    assert.equal(r.body.count, 5);
    const c = await s.request('GET', '/api/attestations/count?predicates=commit&attr.repo=/r/one');
    assert.deepEqual(c.body, { count: 20 });
    const who = `predicates=authored_by&subjects_from=${encodeURIComponent('predicates=modifies&contexts=Makefile')}`;
    assert.deepEqual((await s.request('GET', `/api/attestations/count?${who}`)).body, { count: 4 });
    const page = await s.request('GET', `/api/attestations?${who}`);
    assert.deepEqual(page.body.attestations.map((x: any) => x.subjects[0]).sort(), ['c0', 'c10', 'c20', 'c30']);
    assert.deepEqual((await s.request('GET', '/api/attestations/count?contexts=src/*')).body, { count: 40 });
    const body = await s.request('POST', '/api/attestations/query', { predicates: ['modifies'], attributes: { change: 'added' } });
    assert.equal(body.body.count, 2);
    const bad = await s.request('GET', '/api/attestations/count?attr.lines_added=1');
    assert.equal(bad.status, 400);
    assert.match(bad.body.hint, /indexed attribute/);
  });
});
