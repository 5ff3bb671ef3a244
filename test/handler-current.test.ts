// The handler lookup is a primary-key read of ix_handler_current, moved in the
// transaction of each register and remove, backfilled by migration 009. Both databases.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { sql, type Kysely } from 'kysely';
import { AsidFactory } from '../src/ats/asid.js';
import { handlerSql } from '../src/ats/handler-current.js';
import { migration009 } from '../src/db/migrations/009_handler_current.js';
import { DB_KINDS, openTestQntx, type TestQntx } from './helpers.js';

for (const { kind, skip } of DB_KINDS) {
  describe(`handler lookup by primary key (${kind})`, { skip }, () => {
    let q: TestQntx;
    before(async () => {
      q = await openTestQntx(kind);
    });
    after(async () => {
      await q.cleanup();
    });

    const pointer = async (type: string) =>
      q.database.db.selectFrom('ix_handler_current').selectAll().where('script_type', '=', type).executeTakeFirst();

    it('moves the pointer with register and remove, numbering on after a removal', async () => {
      const v1 = await q.handlers.register({ script_type: 'hc', code: 'print(1)' }, 'tester');
      const v2 = await q.handlers.register({ script_type: 'hc', code: 'print(2)' }, 'tester');
      assert.deepEqual([v1.version, v2.version], [1, 2]);
      assert.equal((await q.handlers.current('hc'))?.id, v2.id);
      assert.deepEqual(await pointer('hc'), { script_type: 'hc', attestation_id: v2.id, version: 2, updated_at: v2.created_at });
      await q.handlers.register({ script_type: 'other', code: 'print(0)' }, 'tester');
      assert.deepEqual((await q.handlers.list()).map((h) => [h.script_type, h.version]), [['hc', 2], ['other', 1]]);

      const rm = await q.handlers.remove('hc', 'tester');
      assert.equal(rm.retracted.id, v2.id);
      assert.equal(await q.handlers.current('hc'), undefined);
      assert.equal((await pointer('hc'))?.attestation_id, null);
      assert.deepEqual((await q.handlers.list()).map((h) => h.script_type), ['other']);
      await assert.rejects(q.handlers.remove('hc', 'tester'), /no handler for type 'hc'/);
      // History stays in attestations: both versions and the retraction.
      const history = await q.store.query({ predicates: ['ix_handler'], contexts: ['hc'] });
      assert.equal(history.items.length, 3);
      const v3 = await q.handlers.register({ script_type: 'hc', code: 'print(3)' }, 'tester');
      assert.equal(v3.version, 3);
      assert.equal((await q.handlers.current('hc'))?.code, 'print(3)');
    });

    it('gives concurrent saves of one type distinct versions, the pointer on the last', async () => {
      const saved = await Promise.all(
        Array.from({ length: 6 }, (_, i) => q.handlers.register({ script_type: 'race', code: `print(${i})` }, 'tester')),
      );
      assert.deepEqual(saved.map((v) => v.version).sort((a, b) => a - b), [1, 2, 3, 4, 5, 6]);
      const last = saved.find((v) => v.version === 6)!;
      assert.equal((await q.handlers.current('race'))?.id, last.id);
    });

    it('leaves the pointer where it was when the write fails (one transaction)', async () => {
      const before = await pointer('hc');
      await assert.rejects(
        q.ats.store.writeHandler('hc', (p) => ({
          // An id already used by another claim: the insert fails, the pointer must not move.
          attestation: { ...q.ats.prepare({ subjects: ['x'], predicates: ['p'], contexts: ['hc'] }, { source: 'test', actor: 't' }), id: p.current!.id },
          currentId: 'nowhere',
          version: 99,
        })),
      );
      assert.deepEqual(await pointer('hc'), before);
    });

    it('reads by primary key whatever shares the context, without statistics (EXPLAIN)', async () => {
      // Thousands of ix_handler attestations in the context of one type, written in one go, never analysed.
      const ids = new AsidFactory();
      const rows = Array.from({ length: 20_000 }, (_, i) => ({
        id: ids.next(),
        subjects: [`h-${i}`],
        predicates: ['ix_handler'],
        contexts: [i % 2 ? 'hc' : `t-${i % 1000}`],
        actors: ['bulk'],
        timestamp: 1_600_000_000_000 + i,
        source: 'test',
        attributes: { version: 1, code: 'pass' },
        created_at: 0,
      }));
      await q.store.insertMany(rows);
      // The bulk rows are not registry writes: the pointer still names the version in force.
      assert.equal((await q.handlers.current('hc'))?.code, 'print(3)');
      const h = handlerSql(q.database.db).current;
      const plan =
        kind === 'postgres'
          ? (await q.database.pool!.query<{ 'QUERY PLAN': string }>(`explain ${h.sql}`, h.params('hc'))).rows.map((r) => r['QUERY PLAN'])
          : (q.database.sqlite!.prepare(`explain query plan ${h.sql}`).all(...h.params('hc')) as Array<{ detail: string }>).map((r) => r.detail);
      const text = plan.join('\n');
      if (kind === 'postgres') {
        assert.doesNotMatch(text, /Seq Scan|Hash Join|Bitmap|attestation_fields/, text);
        assert.match(text, /Index Scan using ix_handler_current_pkey/, text);
        assert.match(text, /Index Scan using attestations_id_key/, text);
      } else {
        assert.doesNotMatch(text, /\bSCAN\b|attestation_fields/, text);
        assert.match(text, /SEARCH h USING INDEX sqlite_autoindex_ix_handler_current_1 \(script_type=\?\)/, text);
        assert.match(text, /SEARCH a USING INDEX sqlite_autoindex_attestations_1 \(id=\?\)/, text);
      }
    });

    it('is backfilled from the stored handler attestations by migration 009', async () => {
      const expected = (await q.database.db.selectFrom('ix_handler_current').selectAll().orderBy('script_type').execute()).filter(
        (r) => r.script_type === 'hc' || r.script_type === 'race' || r.script_type === 'other',
      );
      const db = q.database.db as unknown as Kysely<unknown>;
      await sql`drop table ix_handler_current`.execute(db);
      await migration009.up(db, kind);
      const got = await q.database.db.selectFrom('ix_handler_current').selectAll().orderBy('script_type').execute();
      // The registered types come back as they were; the bulk rows of the last test (not made by
      // the registry, so never in the pointer) are in the backfill, by the newest of each type.
      for (const e of expected) assert.deepEqual(got.find((r) => r.script_type === e.script_type), e);
      assert.equal(got.filter((r) => r.script_type.startsWith('t-')).length, 500);
    });
  });
}
