// The attestation store contract: one suite, run against SQLite and PostgreSQL.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { AsidFactory, ASID_PATTERN } from '../src/ats/asid.js';
import { RESERVED_WRITE } from '../src/ats/reserved.js';
import type { NewAttestation } from '../src/ats/types.js';
import { ConflictError, ValidationError } from '../src/errors.js';
import { DB_KINDS, openTestQntx, type TestQntx } from './helpers.js';

// The store sits below the reserved-predicate rule: its tests write handler attestations directly.
const origin = { source: 'test', actor: 'tester', reserved: RESERVED_WRITE };

for (const { kind, skip } of DB_KINDS) {
  describe(`attestation store contract (${kind})`, { skip }, () => {
    let q: TestQntx;
    let t0 = 1_700_000_000_000;
    const mk = (over: Partial<NewAttestation> & Pick<NewAttestation, 'subjects' | 'predicates' | 'contexts'>) =>
      q.ats.prepare({ timestamp: t0++, ...over }, origin);

    before(async () => {
      q = await openTestQntx(kind);
    });
    after(async () => {
      await q.cleanup();
    });

    it('assigns sortable AS ids and round-trips every field', async () => {
      const a = q.ats.prepare(
        {
          subjects: ['ünïcødé 🚀', 'b'],
          predicates: ['p'],
          contexts: ['c'],
          actors: ['x'],
          timestamp: '2026-01-29T10:00:00Z',
          attributes: { n: 1, nested: { s: 'é' }, list: [1, 2] },
        },
        origin,
      );
      await q.store.insertMany([a]);
      const got = await q.store.get(a.id);
      assert.match(a.id, ASID_PATTERN);
      assert.deepEqual(got, { ...a, handler_version: null });
      assert.equal(got!.timestamp, Date.parse('2026-01-29T10:00:00Z'));
    });

    it('filters by each field, ORs values within a field and ANDs fields', async () => {
      const items = [
        mk({ subjects: ['f-alice'], predicates: ['f-engineer'], contexts: ['f-acme'], actors: ['hr'] }),
        mk({ subjects: ['f-bob'], predicates: ['f-engineer'], contexts: ['f-acme'], actors: ['hr'] }),
        mk({ subjects: ['f-carol'], predicates: ['f-manager'], contexts: ['f-acme'], actors: ['ceo'] }),
        mk({ subjects: ['f-alice'], predicates: ['f-manager'], contexts: ['f-other'], actors: ['ceo'] }),
      ];
      await q.store.insertMany(items);
      const ids = async (f: Parameters<typeof q.store.query>[0]) => (await q.store.query(f)).items.map((a) => a.subjects[0]);
      assert.deepEqual(await ids({ subjects: ['f-alice'] }), ['f-alice', 'f-alice']);
      assert.deepEqual(await ids({ predicates: ['f-engineer'] }), ['f-bob', 'f-alice']);
      assert.deepEqual(await ids({ contexts: ['f-acme'], actors: ['ceo'] }), ['f-carol']);
      assert.deepEqual(await ids({ subjects: ['f-alice', 'f-bob'], predicates: ['f-engineer'] }), ['f-bob', 'f-alice']);
      assert.deepEqual(await ids({ subjects: ['f-alice'], predicates: ['f-manager'], contexts: ['f-other'], actors: ['ceo'] }), [
        'f-alice',
      ]);
      assert.deepEqual(await ids({ subjects: ['nobody'] }), []);
      assert.deepEqual(await ids({ predicates: ['f-engineer', 'f-manager'], order: 'asc' }), ['f-alice', 'f-bob', 'f-carol', 'f-alice']);
    });

    it('returns an attestation once when it holds several of the asked values', async () => {
      await q.store.insertMany([mk({ subjects: ['dup-a', 'dup-b'], predicates: ['dup'], contexts: ['c'] })]);
      const page = await q.store.query({ subjects: ['dup-a', 'dup-b'] });
      assert.equal(page.items.length, 1);
    });

    it('filters by time range, inclusive', async () => {
      const base = 1_800_000_000_000;
      await q.store.insertMany(
        [0, 1, 2, 3].map((i) => q.ats.prepare({ subjects: ['tr'], predicates: ['p'], contexts: ['c'], timestamp: base + i * 1000 }, origin)),
      );
      const page = await q.store.query({ subjects: ['tr'], time_start: base + 1000, time_end: base + 2000 });
      assert.deepEqual(page.items.map((a) => a.timestamp), [base + 2000, base + 1000]);
      const all = await q.store.query({ time_start: base + 3000 });
      assert.ok(all.items.every((a) => a.timestamp >= base + 3000));
    });

    it('newest wins: the handler lookup returns the latest by timestamp', async () => {
      const v1 = mk({ subjects: ['h1'], predicates: ['ix_handler'], contexts: ['nw'] });
      const v2 = mk({ subjects: ['h2'], predicates: ['ix_handler'], contexts: ['nw'] });
      const other = mk({ subjects: ['h3'], predicates: ['ix_handler'], contexts: ['nw-other'] });
      await q.store.insertMany([v1, v2, other]);
      assert.equal((await q.store.newest('ix_handler', 'nw'))?.id, v2.id);
      assert.equal(await q.store.newest('ix_handler', 'missing'), undefined);
    });

    it('pages with a cursor and stays stable under concurrent inserts', async () => {
      const items = Array.from({ length: 25 }, () => mk({ subjects: ['pg'], predicates: ['p'], contexts: ['c'] }));
      await q.store.insertMany(items);
      const seen: string[] = [];
      let cursor: string | undefined;
      let pages = 0;
      do {
        const page = await q.store.query({ subjects: ['pg'], limit: 10, cursor });
        seen.push(...page.items.map((a) => a.id));
        // Insert newer and older attestations between pages: earlier pages' items never repeat.
        await q.store.insertMany([
          q.ats.prepare({ subjects: ['pg'], predicates: ['p'], contexts: ['c'], timestamp: 9_000_000_000_000 + pages }, origin),
        ]);
        cursor = page.next_cursor ?? undefined;
        pages++;
      } while (cursor);
      const expected = [...items].reverse().map((a) => a.id);
      assert.deepEqual(seen.slice(0, 25), expected);
      assert.equal(new Set(seen).size, seen.length);
      const unfiltered = await q.store.query({ limit: 3 });
      const next = await q.store.query({ limit: 3, cursor: unfiltered.next_cursor! });
      assert.ok(next.items[0]!.timestamp <= unfiltered.items[2]!.timestamp);
    });

    it('caps the limit at 1000 and rejects a bad cursor', async () => {
      const many = Array.from({ length: 1005 }, () => mk({ subjects: ['cap'], predicates: ['p'], contexts: ['c'] }));
      await q.store.insertMany(many);
      const page = await q.store.query({ subjects: ['cap'], limit: 5000 });
      assert.equal(page.items.length, 1000);
      assert.ok(page.next_cursor);
      await assert.rejects(q.store.query({ cursor: 'not-a-cursor' }), ValidationError);
    });

    it('keeps very long and unicode values', async () => {
      const long = 'ä'.repeat(1000);
      const a = mk({ subjects: [long], predicates: ['日本語'], contexts: ['c'] });
      await q.store.insertMany([a]);
      assert.equal((await q.store.query({ subjects: [long] })).items[0]?.id, a.id);
      assert.equal((await q.store.query({ predicates: ['日本語'] })).items[0]?.id, a.id);
    });

    it('rejects empty lists, empty strings and oversized values', () => {
      const bad: unknown[] = [
        { subjects: [], predicates: ['p'], contexts: ['c'] },
        { subjects: [''], predicates: ['p'], contexts: ['c'] },
        { subjects: ['  '], predicates: ['p'], contexts: ['c'] },
        { subjects: ['s'], predicates: ['p'] },
        { subjects: ['s'], predicates: ['p'], contexts: ['c'], actors: [] },
        { subjects: ['x'.repeat(2001)], predicates: ['p'], contexts: ['c'] },
        { subjects: ['s'], predicates: ['p'], contexts: ['c'], attributes: [1] },
        { subjects: ['s'], predicates: ['p'], contexts: ['c'], timestamp: 'yesterday' },
        { subjects: ['s'], predicates: ['p'], contexts: ['c'], extra: 1 },
      ];
      for (const b of bad) assert.throws(() => q.ats.prepare(b, origin), ValidationError, JSON.stringify(b).slice(0, 80));
    });

    it('inserts a batch atomically: an id already used by another claim writes nothing', async () => {
      const a = mk({ subjects: ['atomic'], predicates: ['p'], contexts: ['c'] });
      await q.store.insertMany([a]);
      const b = mk({ subjects: ['atomic'], predicates: ['p'], contexts: ['c'] });
      const other = mk({ subjects: ['atomic'], predicates: ['p'], contexts: ['c'] });
      await assert.rejects(q.store.insertMany([b, { ...other, id: a.id }]), (err: unknown) => {
        assert.ok(err instanceof ConflictError);
        assert.ok(err.details.includes(`id=${a.id}`));
        return true;
      });
      assert.equal((await q.store.query({ subjects: ['atomic'] })).items.length, 1);
    });

    it('takes concurrent writers without losing any', async () => {
      const writers = Array.from({ length: 8 }, (_, w) =>
        (async () => {
          for (let i = 0; i < 20; i++) {
            await q.store.insertMany([mk({ subjects: [`cw-${w}`], predicates: ['cw'], contexts: ['c'] })]);
          }
        })(),
      );
      await Promise.all(writers);
      const page = await q.store.query({ predicates: ['cw'], limit: 1000 });
      assert.equal(page.items.length, 160);
    });

    it('uses indexes for the handler lookup and the by-subject lookup (EXPLAIN)', async () => {
      // Enough rows that the planner prefers indexes on its own.
      const ids = new AsidFactory();
      for (let b = 0; b < 4; b++) {
        await q.store.insertMany(
          Array.from({ length: 5000 }, (_, i) => ({
            id: ids.next(),
            subjects: [`bulk-${b}-${i}`],
            predicates: [i % 10 === 0 ? 'ix_handler' : 'bulk'],
            contexts: [`type-${i % 500}`],
            actors: ['bulk'],
            timestamp: 1_600_000_000_000 + b * 10000 + i,
            source: 'test',
            attributes: {},
            created_at: 0,
          })),
        );
      }
      // Its own tables only: a bare ANALYZE gives statistics to every test's tables in the database, and
      // a concurrent test's EXPLAIN of a few rows then finds a sequential scan cheapest.
      if (kind === 'postgres') await q.store.analyze();
      else q.database.sqlite!.exec('analyze');
      for (const filter of [{ predicates: ['ix_handler'], contexts: ['type-7'], limit: 1 }, { subjects: ['bulk-1-77'] }]) {
        const plan = (await q.store.explain(filter)).join('\n');
        if (kind === 'sqlite') {
          assert.doesNotMatch(plan, /\bSCAN\b/, plan);
          assert.match(plan, /USING (PRIMARY KEY|INTEGER PRIMARY KEY|INDEX|COVERING INDEX)/, plan);
        } else {
          assert.doesNotMatch(plan, /Seq Scan/, plan);
          assert.match(plan, /Index/, plan);
        }
      }
    });
  });
}
