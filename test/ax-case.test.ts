// Identities match without regard to case, on both databases: the original QNTX's cases (it
// upper-cases subjects and compares contexts and aliases COLLATE NOCASE), in AX text, the
// structured filter, GET /api/attestations, completion and aliases, through the folded-key index
// (EXPLAIN); values stay as written and two spellings stay two claims.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { valuesByPrefix } from '../src/ats/completion.js';
import { AliasEdges } from '../src/ax/alias-edges.js';
import { AxEngine } from '../src/ax/engine.js';
import { readAxQuery } from '../src/ax/read-query.js';
import { samenessConfig } from '../src/ax/sameness/config.js';
import { ManualClock } from '../src/clock.js';
import { DB_KINDS, openTestQntx, type TestQntx } from './helpers.js';
import { startTestServer, type TestServer } from './http-helpers.js';

const NOW = Date.parse('2026-03-10T15:30:00Z');

/** name → [subjects, predicates, contexts, actors, time] */
const FIXTURE: Record<string, [string[], string[], string[], string[], string]> = {
  queen: [['FREDDIE'], ['member'], ['QUEEN'], ['HR-System'], '2026-01-01T00:00:00Z'],
  aliceEng: [['alice'], ['engineer'], ['Acme'], ['hr'], '2026-01-02T00:00:00Z'],
  bobEng: [['Bob'], ['Engineer'], ['ACME'], ['HR'], '2026-01-03T00:00:00Z'],
  strasse: [['Straße'], ['lives_on'], ['Σίσυφος'], ['hr'], '2026-01-04T00:00:00Z'],
  src: [['c1'], ['modifies'], ['Src/Main.ts'], ['git'], '2026-01-05T00:00:00Z'],
  usa: [['United States'], ['alias'], ['USA'], ['hr'], '2026-01-06T00:00:00Z'],
  usaFact: [['United States'], ['capital'], ['washington'], ['hr'], '2026-01-07T00:00:00Z'],
  aliceAgain: [['ALICE'], ['engineer'], ['globex'], ['hr'], '2026-01-08T00:00:00Z'],
};

for (const { kind, skip } of DB_KINDS) {
  describe(`identities without regard to case (${kind})`, { skip }, () => {
    let q: TestQntx;
    let engine: AxEngine;
    const id: Record<string, string> = {};
    before(async () => {
      q = await openTestQntx(kind, {}, { clock: new ManualClock(NOW) });
      engine = new AxEngine({ store: q.store, aliasEdges: new AliasEdges(q.database), clock: q.clock, sameness: samenessConfig() });
      const items = Object.entries(FIXTURE).map(([name, [s, p, c, a, time]]) => {
        const att = q.ats.prepare({ subjects: s, predicates: p, contexts: c, actors: a, timestamp: time }, { source: 'test', actor: 'x' });
        id[name] = att.id;
        return att;
      });
      await q.store.insertMany(items);
    });
    after(async () => {
      await q?.cleanup();
    });

    const names = async (text: string) => {
      const res = await engine.run(readAxQuery(text, { now: NOW }).filter, { all: true });
      return res.attestations.map((a) => Object.keys(id).find((k) => id[k] === a.id));
    };

    // The original's cases (ats/ax/executor_test.go, ats/alias/resolver_test.go), and qntx's own.
    const cases: Array<[string, string[]]> = [
      ['ax of queen', ['queen']],
      ['ax freddie', ['queen']],
      ['ax Freddie is MEMBER of Queen', ['queen']],
      ['ax ALICE BOB is engineer', ['aliceAgain', 'bobEng', 'aliceEng']],
      ['ax alice is ENGINEER of acme', ['aliceEng']],
      ['ax of acme', ['bobEng', 'aliceEng']],
      ['ax by hr-system', ['queen']],
      ['ax by Hr', ['aliceAgain', 'usaFact', 'usa', 'strasse', 'bobEng', 'aliceEng']],
      ['ax STRASSE', ['strasse']],
      ['ax straße of ΣΊΣΥΦΟΣ', ['strasse']],
      ['ax of src/*', ['src']],
      ['ax of SRC/MAIN*', ['src']],
      ['ax c1 of src/m*', ['src']],
      ['ax usa', ['usaFact', 'usa']],
      ['ax of Usa', ['usa']],
      ['ax FREDDIE is Member over 1d', ['queen']],
      ['ax of SRC/* over 1d', ['src']],
    ];

    for (const [text, want] of cases) {
      it(`${text} → ${want.join(', ') || 'nothing'}`, async () => {
        assert.deepEqual(await names(text), want);
      });
    }

    it('keeps values as written, and two spellings as two claims', async () => {
      const res = await engine.run(readAxQuery('ax alice', { now: NOW }).filter, { all: true });
      assert.deepEqual(res.attestations.map((a) => a.subjects[0]), ['ALICE', 'alice']);
      assert.deepEqual(res.attestations.map((a) => a.contexts[0]), ['globex', 'Acme']);
      const twin = q.ats.prepare({ subjects: ['Alice'], predicates: ['engineer'], contexts: ['Acme'], actors: ['hr'], timestamp: '2026-01-02T00:00:00Z' }, { source: 'test', actor: 'x' });
      assert.deepEqual(await q.store.insertMany([twin]), { created: 1, alreadyKnown: 0 }, 'another spelling is another claim');
      assert.equal((await q.store.query({ subjects: ['ALICE'], contexts: ['acme'] })).items.length, 2);
    });

    it('groups the spellings of one subject as one identity (sameness)', async () => {
      const res = await engine.run(readAxQuery('ax alice is engineer', { now: NOW }).filter, { all: true });
      const groups = res.conflicts.filter((c) => c.predicate === 'engineer');
      assert.equal(groups.length, 1, JSON.stringify(res.conflicts));
      assert.equal(groups[0]!.subject, 'alice', 'named as asked');
    });

    it('refuses a reserved predicate in any case', () => {
      assert.throws(() => q.ats.prepare({ subjects: ['x'], predicates: ['IX_Handler'], contexts: ['t'] }, { source: 'test', actor: 'x' }), /predicate 'IX_Handler' is reserved/);
    });

    it('a restatement in other spellings is no conflict (sameness compares as queries do)', async () => {
      const say = (s: string, p: string, c: string, a: string, at: string) =>
        q.ats.prepare({ subjects: [s], predicates: [p], contexts: [c], actors: [a], timestamp: at }, { source: 'test', actor: 'x' });
      await q.store.insertMany([say('dana', 'title', 'Acme', 'hr', '2026-02-01T00:00:00Z'), say('DANA', 'title', 'acme', 'HR', '2026-02-03T00:00:00Z')]);
      const res = await engine.run(readAxQuery('ax dana', { now: NOW }).filter);
      assert.equal(res.conflicts.length, 0, JSON.stringify(res.conflicts));
      assert.equal(res.attestations.length, 2);
    });

    it('the structured filter and counts fold too', async () => {
      const items = (await q.store.query({ contexts: ['ACME'], predicates: ['ENGINEER'] })).items;
      assert.ok([id.bobEng, id.aliceEng].every((x) => items.some((a) => a.id === x)));
      assert.deepEqual([...new Set(items.map((a) => a.contexts[0]))].sort(), ['ACME', 'Acme']);
      assert.equal(await q.store.count({ actors: ['HR'] }), await q.store.count({ actors: ['hr'] }));
      assert.equal(await q.store.count({ subjects: ['bob', 'BOB'] }), 1);
    });

    it('aliases match without regard to case, and say which alias matched as written', async () => {
      const res = await engine.run(readAxQuery('ax usa is capital', { now: NOW }).filter, { all: true });
      assert.deepEqual(res.attestations.map((a) => a.id), [id.usaFact]);
      assert.deepEqual(res.attestations[0]!.matched_aliases, [{ field: 'subjects', value: 'United States', alias_of: 'usa' }]);
      const r = await engine.aliases.resolve(['united STATES']);
      assert.deepEqual([...r.written.values()].sort(), ['USA', 'united STATES']);
      // resolver_test.go: both ways, each including itself.
      assert.deepEqual([...(await engine.aliases.resolve(['USA'])).written.values()].sort(), ['USA', 'United States']);
      assert.deepEqual([...(await engine.aliases.resolve(['United States'])).written.values()].sort(), ['USA', 'United States']);
    });

    it('completes by prefix without regard to case, offering stored spellings', async () => {
      assert.deepEqual(await valuesByPrefix(q.database, 'subjects', 'STR'), ['Straße']);
      assert.deepEqual(await valuesByPrefix(q.database, 'contexts', 'ac'), ['Acme']);
      assert.deepEqual(await valuesByPrefix(q.database, 'contexts', 'SRC/'), ['Src/Main.ts']);
      assert.deepEqual(await valuesByPrefix(q.database, 'subjects', 'σ'), []);
    });

    it('walks the folded-key index for every shape (EXPLAIN)', async () => {
      for (const text of ['ax ALICE', 'ax of ACME is Engineer by HR', 'ax of SRC/*', 'ax c1 of Src/*', 'ax alice bob of acme']) {
        const p = await engine.prepare(readAxQuery(text, { now: NOW }).filter);
        for (const plan of [(await q.store.explain(p.store)).join('\n'), (await q.store.explainCount(p.store)).join('\n')]) {
          if (kind === 'sqlite') {
            assert.match(plan, /attestation_fields_folded/, `${text}\n${plan}`);
            assert.doesNotMatch(plan.replace(/SCAN j\b.*|SCAN json_each.*/g, ''), /\bSCAN\b(?!.*USING (COVERING )?INDEX)/, `${text}\n${plan}`);
          } else {
            assert.match(plan, /attestation_fields_folded/, `${text}\n${plan}`);
            assert.doesNotMatch(plan, /Seq Scan on attestation_fields/, `${text}\n${plan}`);
          }
        }
      }
    });
  });
}

describe('GET /api/attestations without regard to case', () => {
  let s: TestServer;
  before(async () => {
    s = await startTestServer();
  });
  after(async () => {
    await s.stop();
  });

  it('finds what `as` stored, whatever the case of the filter', async () => {
    const made = await s.request('POST', '/api/as', { text: 'as alice is engineer of Acme by hr-system' });
    assert.equal(made.status, 201);
    assert.deepEqual(made.body.contexts, ['Acme'], 'stored as written');
    for (const query of ['subjects=ALICE', 'contexts=acme', 'predicates=Engineer&actors=HR-SYSTEM', 'contexts=AC*']) {
      const r = await s.request('GET', `/api/attestations?${query}`);
      assert.deepEqual(r.body.attestations.map((a: { id: string }) => a.id), [made.body.id], query);
    }
  });
});
