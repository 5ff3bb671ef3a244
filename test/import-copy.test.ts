// `qntx import --database-url` loads through COPY (pg-copy-insert.ts), with the
// same dedupe, validation and bad-line reporting as before, and ANALYZE afterwards; the bulk insert
// keeps insertMany's contract on both databases.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import pg from 'pg';
import { AsidFactory } from '../src/ats/asid.js';
import { distinctClaims, stagedInsert } from '../src/ats/pg-copy-insert.js';
import type { NewAttestation } from '../src/ats/types.js';
import { quoteIdent } from '../src/db/database.js';
import { ConflictError } from '../src/errors.js';
import { runCli } from './cli-helpers.js';
import { DB_KINDS, PG_SKIP, PG_URL, dropSchema, openTestQntx, tempDir, uniqueSchema, type TestQntx } from './helpers.js';

/** Values COPY's text format must escape, and some that it need not. */
const AWKWARD = ['tab\there', 'new\nline', 'back\\slash', 'cr\rend', '\\N', 'ünï 🚀', 'quote"\'', '\\x00'];

for (const { kind, skip } of DB_KINDS) {
  describe(`bulk insert keeps the insert contract (${kind})`, { skip }, () => {
    let q: TestQntx;
    const ids = new AsidFactory();
    const mk = (i: number, over: Partial<NewAttestation> = {}): NewAttestation => ({
      id: ids.next(),
      subjects: [`s-${i}`, AWKWARD[i % AWKWARD.length]!],
      predicates: ['bulkp'],
      contexts: [AWKWARD[(i + 3) % AWKWARD.length]!],
      actors: ['loader'],
      timestamp: 1_700_000_000_000 + i,
      source: 'import',
      attributes: { note: AWKWARD[i % AWKWARD.length]!, n: i, nested: { t: 'a\tb' } },
      created_at: 5,
      ...over,
    });
    before(async () => {
      q = await openTestQntx(kind);
    });
    after(async () => {
      await q.cleanup();
    });

    it('stores every field as given, indexes it, and skips known claims', async () => {
      const rows = Array.from({ length: 300 }, (_, i) => mk(i));
      const repeat = { ...rows[7]!, id: ids.next() };
      assert.deepEqual(await q.store.insertBulk([...rows, repeat]), { created: 300, alreadyKnown: 1 });
      for (const a of [rows[0]!, rows[1]!, rows[2]!, rows[4]!]) {
        assert.deepEqual(await q.store.get(a.id), { ...a, handler_version: null });
        // The field index holds the awkward values exactly: found by subject.
        const page = await q.store.query({ subjects: [a.subjects[1]!], predicates: ['bulkp'], limit: 1000 });
        assert.ok(page.items.some((x) => x.id === a.id), a.subjects[1]);
      }
      // File order is insertion order (seq): the oldest-first walk by seq follows it.
      const asc = await q.store.query({ predicates: ['bulkp'], order: 'asc', limit: 5 });
      assert.deepEqual(asc.items.map((a) => a.id), rows.slice(0, 5).map((a) => a.id));
      assert.deepEqual(await q.store.insertBulk(rows.slice(0, 10)), { created: 0, alreadyKnown: 10 });
      assert.equal(await q.store.count({ predicates: ['bulkp'] }), 300);
    });

    it('takes two overlapping batches at once: each claim stored once, neither fails', async () => {
      const shared = Array.from({ length: 2000 }, (_, i) => mk(5000 + i, { predicates: ['racep'] }));
      const a = [...shared, ...Array.from({ length: 500 }, (_, i) => mk(8000 + i, { predicates: ['racep'] }))];
      const b = [...shared.map((x) => ({ ...x, id: ids.next() })), ...Array.from({ length: 500 }, (_, i) => mk(9000 + i, { predicates: ['racep'] }))];
      const [ra, rb] = await Promise.all([q.store.insertBulk(a), q.store.insertBulk(b)]);
      assert.equal(ra.created + rb.created, 3000);
      assert.equal(ra.alreadyKnown + rb.alreadyKnown, 2000);
      assert.equal(await q.store.count({ predicates: ['racep'] }), 3000);
    });

    it('redoes a batch through the staging tables with the same result (the race fallback)', { skip: kind !== 'postgres' }, async () => {
      const rows = Array.from({ length: 50 }, (_, i) => mk(12000 + i, { predicates: ['stagedp'] }));
      const known = { ...rows[0]!, id: ids.next() };
      await q.store.insertBulk([known]);
      const r = await stagedInsert(q.database.pool!, distinctClaims([...rows, rows[3]!]), 51);
      assert.deepEqual(r, { created: 49, alreadyKnown: 2 });
      assert.deepEqual(await q.store.get(rows[5]!.id), { ...rows[5]!, handler_version: null });
      assert.equal(await q.store.count({ predicates: ['stagedp'] }), 50);
    });

    it('fails a batch reusing an id with a ConflictError, writing nothing of it', async () => {
      const taken = (await q.store.query({ predicates: ['bulkp'], limit: 1 })).items[0]!;
      const batch = [mk(1000, { predicates: ['conflictp'] }), mk(1001, { predicates: ['conflictp'], id: taken.id })];
      await assert.rejects(q.store.insertBulk(batch), (err) => err instanceof ConflictError && /already/.test(err.message));
      assert.equal(await q.store.count({ predicates: ['conflictp'] }), 0);
      // The connection is usable again, the staging tables empty.
      assert.deepEqual(await q.store.insertBulk([mk(1002, { predicates: ['conflictp'] })]), { created: 1, alreadyKnown: 0 });
    });
  });
}

describe('qntx import --database-url through COPY', { skip: PG_SKIP }, () => {
  let dir: string;
  let schema: string;
  let url: string;
  let admin: pg.Client;
  const count = async (predicate: string) =>
    Number(
      (
        await admin.query(
          `select count(*) as n from ${quoteIdent(schema)}.attestation_fields where field = 2 and value = $1`,
          [predicate],
        )
      ).rows[0].n,
    );
  before(async () => {
    dir = tempDir();
    schema = uniqueSchema();
    admin = new pg.Client({ connectionString: PG_URL });
    await admin.connect();
    await admin.query(`create schema ${quoteIdent(schema)}`);
    const u = new URL(PG_URL!);
    u.searchParams.set('options', `-c search_path=${schema}`);
    url = u.toString();
  });
  after(async () => {
    await admin.end();
    await dropSchema(schema);
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('imports in batches, skips known claims, and analyses what it loaded', async () => {
    const file = path.join(dir, 'good.jsonl');
    const lines = Array.from({ length: 2500 }, (_, i) =>
      JSON.stringify({ subjects: [`imp-${i}`, AWKWARD[i % AWKWARD.length]], predicates: ['imported'], contexts: ['batch'], timestamp: 1700000000000 + i, attributes: { v: AWKWARD[i % AWKWARD.length] } }),
    );
    fs.writeFileSync(file, lines.join('\n') + '\n' + lines[5] + '\n');
    const r = await runCli(['import', file, '--batch-size', '1000', '--database-url', url]);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /imported 2501 attestation\(s\) from 2501 line\(s\).*: 2500 new, 1 already known/);
    assert.equal(await count('imported'), 2500);
    const stats = await admin.query(
      `select relname, last_analyze from pg_stat_user_tables where schemaname = $1 and relname in ('attestations', 'attestation_fields')`,
      [schema],
    );
    assert.equal(stats.rows.length, 2);
    for (const row of stats.rows) assert.ok(row.last_analyze, `${row.relname} analysed`);
    const again = await runCli(['import', file, '--database-url', url, '--json']);
    assert.equal(again.code, 0, again.stderr);
    assert.equal(JSON.parse(again.stdout).already_known, 2501);
    const one = await runCli(['ax', '--subject', AWKWARD[2]!, '--limit', '1000', '--json', '--database-url', url]);
    assert.equal(JSON.parse(one.stdout).attestations.length, 313);
  });

  it('stops at a bad line 3 with nothing of its batch written, or skips it with --skip-invalid', async () => {
    const file = path.join(dir, 'bad.jsonl');
    fs.writeFileSync(
      file,
      [
        JSON.stringify({ subjects: ['b1'], predicates: ['badfile'], contexts: ['c'] }),
        JSON.stringify({ subjects: ['b2'], predicates: ['badfile'], contexts: ['c'] }),
        JSON.stringify({ subjects: [], predicates: ['badfile'], contexts: ['c'] }),
        JSON.stringify({ subjects: ['b4'], predicates: ['badfile'], contexts: ['c'] }),
      ].join('\n'),
    );
    const r = await runCli(['import', file, '--database-url', url]);
    assert.equal(r.code, 1);
    assert.match(r.stderr, /error: line 3: invalid attestation/);
    assert.match(r.stderr, /line=3/);
    assert.match(r.stderr, /subjects=/);
    assert.equal(await count('badfile'), 0);

    const s = await runCli(['import', file, '--skip-invalid', '--database-url', url]);
    assert.equal(s.code, 0, s.stderr);
    assert.match(s.stderr, /skipped line 3/);
    assert.match(s.stdout, /imported 3 attestation\(s\).*skipped 1 invalid/);
    assert.equal(await count('badfile'), 3);
  });

  it('keeps and counts the batches before a bad line while the next is inserted', async () => {
    // Batches of 2: the first two are in (one of them still being inserted when line 5 is read).
    const file = path.join(dir, 'bad-late.jsonl');
    const good = (i: number) => JSON.stringify({ subjects: [`l${i}`], predicates: ['badlate'], contexts: ['c'] });
    fs.writeFileSync(file, [good(1), good(2), good(3), good(4), JSON.stringify({ subjects: [], predicates: ['badlate'], contexts: ['c'] }), good(6)].join('\n'));
    const r = await runCli(['import', file, '--batch-size', '2', '--database-url', url]);
    assert.equal(r.code, 1);
    assert.match(r.stderr, /error: line 5: invalid attestation/);
    assert.match(r.stderr, /4 imported before it/);
    assert.equal(await count('badlate'), 4);
  });
});
