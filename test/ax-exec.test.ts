// AX execution on both databases against a fixture written for it: each clause, OR within a
// clause and AND across clauses, time clauses, over N, paging newest first, indexed plans, and
// aliases (transitive, cycles, retraction, what matched).
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { sql } from 'kysely';
import { AliasEdges } from '../src/ax/alias-edges.js';
import { AxEngine } from '../src/ax/engine.js';
import { readAxQuery } from '../src/ax/read-query.js';
import { samenessConfig } from '../src/ax/sameness/config.js';
import type { Attestation } from '../src/ats/types.js';
import { ManualClock } from '../src/clock.js';
import type { AxResponseDto } from '../src/protocol.js';
import { DB_KINDS, openTestQntx, UNDO_AFTER_009, undoFoldedKeys, type TestQntx } from './helpers.js';

const NOW = Date.parse('2026-03-10T15:30:00Z');

/** name → [subjects, predicates, contexts, actors, time, attributes?] */
const FIXTURE: Record<string, [string[], string[], string[], string[], string, Record<string, unknown>?]> = {
  aliceEng: [['alice'], ['engineer'], ['acme'], ['hr'], '2025-01-15T09:00:00Z'],
  aliceMgr: [['alice'], ['manager'], ['acme'], ['hr'], '2026-02-01T09:00:00Z'],
  bobEng: [['bob'], ['engineer'], ['globex'], ['ix:webhook'], '2026-03-09T10:00:00Z'],
  bobMember: [['bob'], ['member'], ['club'], ['llm:gpt'], '2026-03-10T08:00:00Z'],
  carolEng: [['carol'], ['engineer'], ['acme', 'globex'], ['hr', 'registry'], '2025-12-31T23:59:59Z'],
  pair: [['alice', 'bob'], ['member'], ['club'], ['registry'], '2026-01-20T12:00:00Z'],
  daveCert: [['dave'], ['certification'], ['aws'], ['registry'], '2022-05-01T00:00:00Z'],
  daveCert2: [['dave'], ['certification'], ['aws'], ['registry'], '2026-01-01T00:00:00Z'],
  eveCert: [['eve'], ['certification'], ['aws'], ['registry'], '2025-11-01T00:00:00Z'],
  frankCert: [['frank'], ['certification'], ['gcp'], ['registry'], '2020-01-01T00:00:00Z'],
  frankRetract: [['frank'], ['certification'], ['gcp'], ['registry'], '2021-06-01T00:00:00Z', { retracted: true }],
};

function ids(res: AxResponseDto | Attestation[]): string[] {
  return (Array.isArray(res) ? res : res.attestations).map((a) => a.id);
}

for (const { kind, skip } of DB_KINDS) {
  describe(`ax execution (${kind})`, { skip }, () => {
    let q: TestQntx;
    let engine: AxEngine;
    const id: Record<string, string> = {};

    before(async () => {
      q = await openTestQntx(kind, {}, { clock: new ManualClock(NOW) });
      engine = new AxEngine({ store: q.store, aliasEdges: new AliasEdges(q.database), clock: q.clock, sameness: samenessConfig() });
      const items = Object.entries(FIXTURE).map(([name, [s, p, c, a, time, attributes]]) => {
        const att = q.ats.prepare({ subjects: s, predicates: p, contexts: c, actors: a, timestamp: time, attributes }, { source: 'test', actor: 'x' });
        id[name] = att.id;
        return att;
      });
      await q.store.insertMany(items);
    });
    after(async () => {
      await q?.cleanup();
    });

    const run = (text: string, o: { limit?: number; cursor?: string; all?: boolean } = {}) =>
      engine.run(readAxQuery(text, { now: NOW }).filter, { all: true, ...o });
    const names = (res: AxResponseDto) => ids(res).map((x) => Object.keys(id).find((k) => id[k] === x));

    const cases: Array<[string, string[]]> = [
      ['ax alice', ['aliceMgr', 'pair', 'aliceEng']],
      ['ax alice bob', ['bobMember', 'bobEng', 'aliceMgr', 'pair', 'aliceEng']],
      ['ax alice and carol', ['aliceMgr', 'pair', 'carolEng', 'aliceEng']],
      ['ax is engineer', ['bobEng', 'carolEng', 'aliceEng']],
      ['ax is engineer manager', ['bobEng', 'aliceMgr', 'carolEng', 'aliceEng']],
      ['ax of globex', ['bobEng', 'carolEng']],
      ['ax of acme is engineer', ['carolEng', 'aliceEng']],
      ['ax by registry of club', ['pair']],
      ['ax by hr', ['aliceMgr', 'carolEng', 'aliceEng']],
      ['ax by llm:gpt ix:webhook', ['bobMember', 'bobEng']],
      ['ax alice is engineer of acme by hr', ['aliceEng']],
      ['ax alice is engineer of globex', []],
      ['ax bob is member of club by registry', ['pair']],
      ['ax nobody', []],
      ['ax is engineer since 2026-01', ['bobEng']],
      ['ax is engineer since 2025-12-31', ['bobEng', 'carolEng']],
      ['ax is engineer until 2025-12', ['carolEng', 'aliceEng']],
      ['ax is engineer until 2025-12-30', ['aliceEng']],
      ['ax on 2026-03-09', ['bobEng']],
      ['ax on yesterday', ['bobEng']],
      ['ax since yesterday', ['bobMember', 'bobEng']],
      ['ax since today', ['bobMember']],
      ['ax since 3 days ago by ix:webhook', ['bobEng']],
      ['ax between 2026-01 and 2026-02', ['aliceMgr', 'pair', 'daveCert2']],
      ['ax between 2025-12-31T23:59:59Z and 2026-01-01T00:00:00Z', ['daveCert2', 'carolEng']],
      ['ax on 2026-01-01 in Asia/Tokyo', ['daveCert2', 'carolEng']],
      ['ax on 2026-01-01', ['daveCert2']],
      ['ax on 2026-01-01 in America/New_York', []],
      ['ax on 2025-12-31 in America/New_York', ['daveCert2', 'carolEng']],
      ['ax has certification over 3y', ['daveCert2', 'daveCert']],
      ['ax has certification over 5m', ['daveCert2', 'daveCert', 'frankRetract', 'frankCert']],
      ['ax has certification over 4m', ['daveCert2', 'eveCert', 'daveCert', 'frankRetract', 'frankCert']],
      ['ax has certification over 19w', ['daveCert2', 'daveCert', 'frankRetract', 'frankCert']],
      ['ax has certification over 129d', ['daveCert2', 'eveCert', 'daveCert', 'frankRetract', 'frankCert']],
      ['ax has certification over 1y', ['daveCert2', 'daveCert', 'frankRetract', 'frankCert']],
      ['ax has certification over 2y', ['daveCert2', 'daveCert']],
      ['ax of aws over 3y since 2025', ['daveCert2']],
      ['ax is member so notify', ['bobMember', 'pair']],
    ];
    for (const [text, want] of cases) {
      it(`${text} → ${want.join(', ') || 'nothing'}`, async () => {
        assert.deepEqual(names(await run(text)), want);
      });
    }

    it('pages newest first with a cursor, without repeats', async () => {
      const seen: string[] = [];
      let cursor: string | undefined;
      do {
        const page = await run('ax', { limit: 3, cursor });
        assert.ok(page.attestations.length <= 3);
        seen.push(...ids(page));
        cursor = page.next_cursor ?? undefined;
      } while (cursor);
      assert.equal(seen.length, Object.keys(FIXTURE).length);
      assert.equal(new Set(seen).size, seen.length);
      const times = seen.map((x) => Object.values(FIXTURE)[Object.values(id).indexOf(x)]![4]);
      assert.deepEqual(times, [...times].sort().reverse());
    });

    it('pages an over query: short pages at most, never a repeat', async () => {
      const seen: string[] = [];
      let cursor: string | undefined;
      do {
        const page = await run('ax has certification over 2y', { limit: 1, cursor });
        assert.ok(page.attestations.length <= 1);
        seen.push(...ids(page));
        cursor = page.next_cursor ?? undefined;
      } while (cursor);
      assert.deepEqual(seen, [id.daveCert2, id.daveCert]);
    });

    it('bounds the rows an over page reads, and answers with a cursor to go on', async () => {
      const tight = new AxEngine({ store: q.store, aliasEdges: new AliasEdges(q.database), clock: q.clock, sameness: samenessConfig(), overScanBudget: 2 });
      const first = await tight.run(readAxQuery('ax over 2y', { now: NOW }).filter, { limit: 5, all: true });
      assert.ok(first.attestations.length < 5, 'a short page');
      assert.ok(first.next_cursor, 'with a cursor to continue');
      const seen = [...ids(first)];
      let cursor: string | undefined = first.next_cursor ?? undefined;
      while (cursor) {
        const page = await tight.run(readAxQuery('ax over 2y', { now: NOW }).filter, { limit: 5, all: true, cursor });
        seen.push(...ids(page));
        cursor = page.next_cursor ?? undefined;
      }
      assert.deepEqual(seen, [id.daveCert2, id.daveCert], 'nothing lost across short pages');
    });

    it('keeps values out of the SQL', async () => {
      const evil = `x'); drop table attestations; --`;
      await q.store.insertMany([q.ats.prepare({ subjects: [evil], predicates: ['probe'], contexts: ['%'] }, { source: 'test', actor: 'x' })]);
      assert.equal((await run(`ax "${evil.replace(/"/g, '\\"')}" of "%"`)).attestations.length, 1);
      assert.equal((await run('ax of "_"')).attestations.length, 0, 'no LIKE wildcards');
    });

    it('orders oldest first when the structured filter asks', async () => {
      const res = await engine.run({ predicates: ['engineer'], order: 'asc' }, { all: true });
      assert.deepEqual(ids(res), [id.aliceEng, id.carolEng, id.bobEng]);
    });

    it('asks the store through its indexes (EXPLAIN: no table scan)', async () => {
      for (const text of ['ax alice', 'ax is engineer of acme by hr', 'ax by registry since 2026-01', 'ax alice bob of club']) {
        const p = await engine.prepare(readAxQuery(text, { now: NOW }).filter);
        const plan = (await q.store.explain(p.store)).join('\n');
        if (kind === 'sqlite') assert.doesNotMatch(plan, /\bSCAN\b/, plan);
        else assert.doesNotMatch(plan, /Seq Scan on attestation_fields/, plan);
      }
    });

    it('resolves the view: the evolved-away title is hidden unless all is asked', async () => {
      const res = await run('ax alice is engineer manager', { all: false });
      assert.equal(res.summary.matched, 2);
      assert.equal(res.conflicts.length, 0, 'different predicates are not the same claim');
      const certs = await engine.run(readAxQuery('ax dave has certification', { now: NOW }).filter);
      assert.equal(certs.conflicts.length, 0, 'a restatement is no conflict');
    });

    describe('aliases', () => {
      before(async () => {
        const alias = (a: string, b: string, attributes?: Record<string, unknown>, at = '2026-03-01T00:00:00Z') =>
          q.ats.prepare({ subjects: [a], predicates: ['alias'], contexts: [b], actors: ['hr'], timestamp: at, attributes }, { source: 'test', actor: 'x' });
        const about = (s: string, at: string, c = 'things') =>
          q.ats.prepare({ subjects: [s], predicates: ['knows'], contexts: [c], actors: ['hr'], timestamp: at }, { source: 'test', actor: 'x' });
        const rows = [
          alias('E-A', 'ENTITY-A'),
          alias('ENTITY-A', 'entity-a@example.com'),
          alias('X1', 'X2'),
          alias('X2', 'X3'),
          alias('X3', 'X1'),
          alias('R1', 'R2', undefined, '2026-03-01T00:00:00Z'),
          alias('R1', 'R2', { retracted: true }, '2026-03-02T00:00:00Z'),
          alias('ACME', 'acme-corp'),
          alias('human-resources', 'hr'),
          about('E-A', '2026-03-05T00:00:00Z'),
          about('ENTITY-A', '2026-03-04T00:00:00Z'),
          about('entity-a@example.com', '2026-03-03T00:00:00Z'),
          about('X3', '2026-03-05T00:00:00Z'),
          about('R2', '2026-03-05T00:00:00Z'),
          about('zed', '2026-03-06T00:00:00Z', 'acme-corp'),
          ...Array.from({ length: 12 }, (_, i) => alias(`C${i}`, `C${i + 1}`)),
          about('C12', '2026-03-05T00:00:00Z'),
        ];
        await q.store.insertMany(rows);
      });

      const knows = async (text: string) => {
        const res = await run(text);
        return res.attestations.filter((a) => a.predicates[0] === 'knows').map((a) => a.subjects[0]);
      };

      it('finds what is known about an alias, both ways, transitively', async () => {
        assert.deepEqual(await knows('ax ENTITY-A'), ['E-A', 'ENTITY-A', 'entity-a@example.com']);
        assert.deepEqual(await knows('ax E-A'), ['E-A', 'ENTITY-A', 'entity-a@example.com']);
        assert.deepEqual(await knows('ax entity-a@example.com is knows'), ['E-A', 'ENTITY-A', 'entity-a@example.com']);
      });

      it('says which alias matched', async () => {
        const res = await run('ax ENTITY-A is knows');
        const bySubject = Object.fromEntries(res.attestations.map((a) => [a.subjects[0], a.matched_aliases]));
        assert.equal(bySubject['ENTITY-A'], undefined);
        assert.deepEqual(bySubject['E-A'], [{ field: 'subjects', value: 'E-A', alias_of: 'ENTITY-A' }]);
        assert.deepEqual(bySubject['entity-a@example.com'], [{ field: 'subjects', value: 'entity-a@example.com', alias_of: 'ENTITY-A' }]);
      });

      it('ends in a cycle', async () => {
        for (const x of ['X1', 'X2', 'X3']) assert.deepEqual(await knows(`ax ${x}`), ['X3']);
        const r = await engine.aliases.resolve(['X1']);
        assert.deepEqual([...r.written.values()].sort(), ['X1', 'X2', 'X3']);
        assert.equal(r.truncated, false);
      });

      it('a retraction removes the alias', async () => {
        assert.deepEqual(await knows('ax R1'), []);
        assert.deepEqual((await engine.aliases.resolve(['R1'])).of.size, 1);
      });

      it('bounds long chains and says so', async () => {
        const r = await engine.aliases.resolve(['C0']);
        assert.equal(r.of.size, 9, 'C0 and 8 hops');
        assert.equal(r.truncated, true);
        assert.deepEqual(await knows('ax C0'), []);
        assert.deepEqual(await knows('ax C4'), ['C12'], 'within 8 hops');
        const small = new AxEngine({ store: q.store, aliasEdges: new AliasEdges(q.database), clock: q.clock, sameness: samenessConfig(), aliasLimits: { maxDepth: 20, maxIdentities: 5 } });
        const r2 = await small.aliases.resolve(['C0']);
        assert.equal(r2.of.size, 5);
        assert.equal(r2.truncated, true);
        const res = await small.run(readAxQuery('ax C0', { now: NOW }).filter);
        assert.equal(res.summary.aliases_truncated, true);
      });

      it('refuses a field widened past its bound', async () => {
        const narrow = new AxEngine({ store: q.store, aliasEdges: new AliasEdges(q.database), clock: q.clock, sameness: samenessConfig(), maxExpandedValues: 2 });
        await assert.rejects(narrow.run(readAxQuery('ax X1', { now: NOW }).filter), /aliases widen subjects to more than 2 values/);
      });

      it('widens contexts and actors too, not predicates', async () => {
        assert.deepEqual(await knows('ax of ACME'), ['zed']);
        const byHr = await run('ax by human-resources is manager');
        assert.deepEqual(ids(byHr), [id.aliceMgr]);
        assert.deepEqual(byHr.attestations[0]!.matched_aliases, [{ field: 'actors', value: 'hr', alias_of: 'human-resources' }]);
      });

      it('groups claims about aliases of one identity', async () => {
        const res = await engine.run(readAxQuery('ax ENTITY-A is knows', { now: NOW }).filter);
        assert.equal(res.conflicts.length, 0, 'the same claim restated under three names');
        const more = q.ats.prepare({ subjects: ['E-A'], predicates: ['knows'], contexts: ['things'], actors: ['hr'], timestamp: '2026-03-06T00:00:00Z', attributes: { v: 2 } }, { source: 'test', actor: 'x' });
        await q.store.insertMany([more]);
        const after = await engine.run(readAxQuery('ax ENTITY-A is knows', { now: NOW }).filter);
        assert.equal(after.conflicts.length, 1);
        assert.equal(after.conflicts[0]!.subject, 'ENTITY-A');
        assert.equal(after.conflicts[0]!.type, 'evolution');
        assert.deepEqual(ids(after), [more.id], 'the resolved view shows the latest');
      });
    });
  });
}

for (const { kind, skip } of DB_KINDS) {
  describe(`ax alias edges across an upgrade (${kind})`, { skip }, () => {
    it('migrations 008 and 013 backfill the edges of aliases stored before them (any case of `alias`), and the triggers keep new ones', async () => {
      const q = await openTestQntx(kind);
      try {
        const a = (s: string, c: string) => q.ats.prepare({ subjects: [s], predicates: ['alias'], contexts: [c] }, { source: 'test', actor: 'x' });
        await q.store.insertMany([a('old-1', 'OLD'), a('old-2', 'OLD')]);
        // Back to the state before 008: no table, no trigger, no record of the migration.
        const db = q.database.db;
        for (const stmt of undoFoldedKeys(kind)) await sql.raw(stmt).execute(db);
        await sql`delete from kysely_migration where name >= '008'`.execute(db);
        await sql`drop table ix_handler_current`.execute(db);
        for (const stmt of UNDO_AFTER_009) await sql.raw(stmt).execute(db);
        // Written as a store before 013 wrote it: field rows without their folded keys.
        await sql`insert into attestations (seq, id, subjects, predicates, contexts, actors, timestamp, source, attributes, created_at)
          values (1000, 'ASbetween', '["Betweén"]', '["Alias"]', '["Old"]', '["x"]', 5, 'test', '{}', 5)`.execute(db);
        for (const [field, value] of [[1, 'Betweén'], [2, 'Alias'], [3, 'Old'], [4, 'x'], [5, 'repo=R/Up']] as const) {
          await sql`insert into attestation_fields (field, value, timestamp, seq) values (${field}, ${value}, 5, 1000)`.execute(db);
        }
        const { migrate } = await import('../src/db/migrations.js');
        const { migrations } = await import('../src/db/migrations/index.js');
        assert.deepEqual(await migrate(db as never, kind), migrations.map((m) => m.name).filter((n) => n >= '008'));
        await q.store.insertMany([a('new-1', 'OLD')]);
        const edges = new AliasEdges(q.database);
        const { edges: found } = await edges.touching(['old'], 100);
        assert.deepEqual(found.map((e) => e.subject).sort(), ['betweén', 'new-1', 'old-1', 'old-2']);
        assert.deepEqual(found.map((e) => e.subjectAs).sort(), ['Betweén', 'new-1', 'old-1', 'old-2']);
        const engine = new AxEngine({ store: q.store, aliasEdges: edges, clock: q.clock, sameness: samenessConfig() });
        assert.deepEqual([...(await engine.aliases.resolve(['OLD'])).written.values()].sort(), ['Betweén', 'OLD', 'new-1', 'old-1', 'old-2']);
        const keys = await sql<{ field: number; folded: string }>`select field, folded from attestation_fields where seq = 1000 order by field`.execute(db);
        assert.deepEqual(keys.rows.map((r) => [Number(r.field), r.folded]), [[1, 'betweén'], [2, 'alias'], [3, 'old'], [4, 'x'], [5, 'repo=R/Up']], 'attribute rows keep their case');
        // The row written before 013 is found by its folded keys (non-ASCII folded in code).
        assert.deepEqual((await q.store.query({ subjects: ['BETWEÉN'], predicates: ['ALIAS'] })).items.map((x) => x.id), ['ASbetween']);
      } finally {
        await q.cleanup();
      }
    });
  });
}
