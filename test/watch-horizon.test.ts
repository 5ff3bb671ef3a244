// The insertion horizon on PostgreSQL: a transaction that drew a smaller seq may commit after one
// that drew a larger seq. The horizon a watcher reads must wait for it; otherwise a cursor moved
// to the larger seq would skip the smaller one for ever.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { sql } from 'kysely';
import { insertionHorizon } from '../src/ats/insertion-order.js';
import { openTestQntx, PG_SKIP, type TestQntx } from './helpers.js';

describe('insertion horizon (postgres)', { skip: PG_SKIP }, () => {
  let q: TestQntx;
  before(async () => {
    q = await openTestQntx('postgres');
  });
  after(async () => q?.cleanup());

  it('waits for inserts in flight, so no seq below it can appear later', async () => {
    const origin = { source: 'test', actor: 'test' };
    const slow = q.ats.prepare({ subjects: ['slow'], predicates: ['signup'], contexts: ['h'] }, origin);
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    let inserted!: () => void;
    const insertedP = new Promise<void>((r) => (inserted = r));
    // Draws its seq first, commits last.
    const tx = q.database.db.transaction().execute(async (trx) => {
      await q.store.insertManyIn({ kind: 'postgres', trx }, [slow]);
      inserted();
      await gate;
    });
    await insertedP;
    await q.store.insertMany([q.ats.prepare({ subjects: ['fast'], predicates: ['signup'], contexts: ['h'] }, origin)]);
    let horizon: number | undefined;
    const read = insertionHorizon(q.database).then((h) => (horizon = h));
    // The horizon's read waits on the advisory lock the open insert holds.
    let waiting = 0;
    for (let i = 0; i < 500 && !waiting; i++) {
      const r = await sql<{ n: string }>`select count(*) as n from pg_locks where locktype = 'advisory' and not granted`.execute(q.database.db);
      waiting = Number(r.rows[0]!.n);
    }
    assert.equal(waiting, 1, 'the horizon waits for the open insert');
    assert.equal(horizon, undefined);
    release();
    await tx;
    await read;
    const seqs = await sql<{ seq: string }>`select seq from attestations where subjects like '%slow%' or subjects like '%fast%' order by seq`.execute(q.database.db);
    assert.equal(seqs.rows.length, 2);
    assert.ok(Number(seqs.rows[0]!.seq) < Number(seqs.rows[1]!.seq));
    assert.equal(horizon, Number(seqs.rows[1]!.seq));
  });
});
