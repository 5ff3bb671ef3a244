// A claim is stored once: the same subjects, predicates, contexts and actors
// (as sets), timestamp and attributes are one claim, on both databases, through the store, the
// HTTP API (200 for a known claim, 201 for a new one) and `qntx import` run twice.
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import BetterSqlite3 from 'better-sqlite3';
import { Kysely, Migrator, SqliteDialect, sql } from 'kysely';
import { claimKey } from '../src/ats/claim-key.js';
import { sqlitePath } from '../src/db/database.js';
import { migrations } from '../src/db/migrations/index.js';
import { ConflictError } from '../src/errors.js';
import { runCli } from './cli-helpers.js';
import { createQntx } from '../src/app.js';
import { loadSettings } from '../src/config.js';
import { silentLogger } from '../src/logger.js';
import { DB_KINDS, dropSchema, openTestQntx, PG_SKIP, PG_URL, tempDir, UNDO_AFTER_009, undoFoldedKeys, uniqueSchema, type TestQntx } from './helpers.js';
import { startTestServer, type TestServer } from './http-helpers.js';

const origin = { source: 'test', actor: 'tester' };

describe('claim key', () => {
  it('reads fields as sets and attributes without key order', () => {
    const a = { subjects: ['a', 'b'], predicates: ['p'], contexts: ['c'], actors: ['x'], timestamp: 5, attributes: { k: 1, j: { y: 2, x: 1 } } };
    const b = { subjects: ['b', 'a', 'a'], predicates: ['p'], contexts: ['c'], actors: ['x'], timestamp: 5, attributes: { j: { x: 1, y: 2 }, k: 1 } };
    assert.deepEqual(claimKey(a), claimKey(b));
    assert.notDeepEqual(claimKey(a), claimKey({ ...a, timestamp: 6 }));
    assert.notDeepEqual(claimKey(a), claimKey({ ...a, attributes: { k: 2 } }));
    assert.notDeepEqual(claimKey(a), claimKey({ ...a, subjects: ['a'], contexts: ['b', 'c'] }), 'a value in another field is another claim');
  });

  it('gives the same key from the stored texts as from the claim alone, for any shape of attributes', () => {
    const shapes: Array<Record<string, unknown>> = [
      {},
      { i: 1 },
      { b: 1, a: 2 },
      { a: { d: 1, c: [{ z: 1, y: 2 }, null, 'x'] }, b: true },
      { '10': 1, '9': 2 },
      { a: undefined, b: 1 },
      { a: 1.5, b: -0, c: 'é\u0000', d: [] },
      Object.assign(Object.create(null) as Record<string, unknown>, { b: 1, a: 2 }),
    ];
    const multi = { subjects: ['b', 'a', 'b'], predicates: ['p'], contexts: ['c', 'a'], actors: ['x'] };
    for (const attributes of shapes) {
      for (const fields of [{ subjects: ['s'], predicates: ['p'], contexts: ['c'], actors: ['x'] }, multi]) {
        const c = { ...fields, timestamp: 1_700_000_000_123, attributes };
        const stored = {
          subjects: JSON.stringify(c.subjects),
          predicates: JSON.stringify(c.predicates),
          contexts: JSON.stringify(c.contexts),
          actors: JSON.stringify(c.actors),
          attributes: JSON.stringify(c.attributes),
        };
        assert.deepEqual(claimKey(c, stored), claimKey(c), JSON.stringify(attributes));
      }
    }
  });

  it('starts with the timestamp as a big-endian 64-bit integer, negative ones included', () => {
    for (const ts of [0, 1, -1, 1_700_000_000_000, -62_135_596_800_000, 8.64e15, -8.64e15, 2 ** 32, -(2 ** 32) - 1]) {
      const expected = Buffer.alloc(8);
      expected.writeBigInt64BE(BigInt(ts));
      const base = { subjects: ['s'], predicates: ['p'], contexts: ['c'], actors: ['x'], attributes: {} };
      assert.deepEqual(claimKey({ ...base, timestamp: ts }).subarray(0, 8), expected, String(ts));
    }
  });

  it('ends with the first 16 bytes of the SHA-256 of the canonical claim: the keys stored stay valid', () => {
    const claim = { subjects: ['s2', 's1', 's1'], predicates: ['p'], contexts: ['c'], actors: ['x'], timestamp: 1_700_000_000_000, attributes: { b: 1, a: [true] } };
    const text = '[["s1","s2"],["p"],["c"],["x"],1700000000000,{"a":[true],"b":1}]';
    const key = claimKey(claim);
    assert.equal(key.length, 24);
    assert.deepEqual(key.subarray(8), createHash('sha256').update(text).digest().subarray(0, 16));
    const stored = { subjects: '["s2","s1","s1"]', predicates: '["p"]', contexts: '["c"]', actors: '["x"]', attributes: '{"b":1,"a":[true]}' };
    assert.deepEqual(claimKey(claim, stored), key, 'the same from the stored texts');
  });
});

for (const { kind, skip } of DB_KINDS) {
  describe(`a claim is stored once (${kind})`, { skip }, () => {
    let q: TestQntx;
    before(async () => {
      q = await openTestQntx(kind);
    });
    after(async () => {
      await q.cleanup();
    });

    const claim = (over: Record<string, unknown> = {}) =>
      q.ats.prepare({ subjects: ['s1', 's2'], predicates: ['once'], contexts: ['c'], timestamp: 1_700_000_000_000, attributes: { n: 1 }, ...over }, origin);

    it('keeps the first and reports the second as already known, inside and across batches', async () => {
      const first = claim();
      const r1 = await q.store.insertMany([first, claim({ subjects: ['s2', 's1'] }), claim({ attributes: { n: 2 } })]);
      assert.deepEqual(r1, { created: 2, alreadyKnown: 1 });
      const r2 = await q.store.insertMany([claim(), claim({ attributes: { n: 2 } }), claim({ timestamp: 1_700_000_000_001 })]);
      assert.deepEqual(r2, { created: 1, alreadyKnown: 2 });
      const page = await q.store.query({ predicates: ['once'], limit: 10 });
      assert.equal(page.items.length, 3);
      assert.ok(page.items.some((a) => a.id === first.id), 'the first one stays');
      assert.equal((await q.store.findClaim(claim()))?.id, first.id);
    });

    it('skips known claims spread through multi-row statements, indexing exactly the new ones', async () => {
      const mk = (i: number) => claim({ subjects: [`chunk-${i}`], predicates: ['chunk'], attributes: { i } });
      assert.deepEqual(await q.store.insertMany(Array.from({ length: 100 }, (_, i) => mk(i))), { created: 100, alreadyKnown: 0 });
      // 150 rows, every third one new: each 64-row statement inserts fewer rows than it is given.
      const batch = Array.from({ length: 150 }, (_, i) => (i % 3 === 0 ? mk(1000 + i) : mk(i % 100)));
      assert.deepEqual(await q.store.insertMany(batch), { created: 50, alreadyKnown: 100 });
      assert.equal(await q.store.count({ predicates: ['chunk'] }), 150);
      for (const i of [0, 3, 63, 66, 129, 147]) {
        const page = await q.store.query({ subjects: [`chunk-${1000 + i}`], predicates: ['chunk'] });
        assert.deepEqual(page.items.map((a) => a.attributes), [{ i: 1000 + i }], `new claim ${i} is found by its fields`);
      }
      for (const i of [1, 2, 64, 99]) assert.equal(await q.store.count({ subjects: [`chunk-${i}`] }), 1, `known claim ${i} stays once`);
    });

    it('still refuses an id that names another claim, writing nothing of the batch', async () => {
      const a = claim({ predicates: ['conflict'] });
      await q.store.insertMany([a]);
      const fresh = claim({ predicates: ['conflict-fresh'] });
      await assert.rejects(q.store.insertMany([fresh, { ...claim({ predicates: ['conflict-other'] }), id: a.id }]), ConflictError);
      assert.equal((await q.store.query({ predicates: ['conflict-fresh'] })).items.length, 0);
      // The same id with the same claim is the same claim: already known, no error.
      assert.deepEqual(await q.store.insertMany([{ ...a }]), { created: 0, alreadyKnown: 1 });
    });

    it('keeps provenance beside the claim: handler_version is not part of it and is returned', async () => {
      const a = claim({ predicates: ['prov'] });
      const withVersion = { ...claim({ predicates: ['prov'] }), source: 'EXother', handler_version: 7 };
      assert.deepEqual(await q.store.insertMany([{ ...a, source: 'EXfirst', handler_version: 3 }]), { created: 1, alreadyKnown: 0 });
      assert.deepEqual(await q.store.insertMany([withVersion]), { created: 0, alreadyKnown: 1 });
      const got = await q.store.get(a.id);
      assert.equal(got?.handler_version, 3);
      assert.equal(got?.source, 'EXfirst');
      assert.deepEqual(got?.attributes, { n: 1 });
    });
  });
}

describe('POST /api/as and qntx import with known claims', () => {
  let s: TestServer;
  let dir: string;
  before(async () => {
    s = await startTestServer();
    dir = tempDir();
  });
  after(async () => {
    await s.stop();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('answers 201 for a new claim and 200 with the stored attestation for a known one', async () => {
    const body = { subjects: ['api-once'], predicates: ['p'], contexts: ['c'], timestamp: 1_700_000_000_000 };
    const a = await s.request('POST', '/api/as', body);
    assert.equal(a.status, 201, JSON.stringify(a.body));
    const b = await s.request('POST', '/api/as', body);
    assert.equal(b.status, 200, JSON.stringify(b.body));
    assert.equal(b.body.id, a.body.id);
    assert.equal(b.body.handler_version, null);
    const list = await s.request('GET', '/api/attestations?subjects=api-once');
    assert.equal(list.body.count, 1);
  });

  it('imports a file twice: the second run finds every line already known', async () => {
    const file = path.join(dir, 'twice.jsonl');
    const lines = Array.from({ length: 1200 }, (_, i) =>
      JSON.stringify({ subjects: [`tw-${i}`], predicates: ['twice'], contexts: ['c'], timestamp: 1_700_000_000_000 + i }),
    );
    fs.writeFileSync(file, lines.join('\n') + '\n');
    const first = await runCli(['import', file, '--json', '--batch-size', '500', '--data-dir', dir]);
    assert.equal(first.code, 0, first.stderr);
    assert.deepEqual(pick(JSON.parse(first.stdout)), { lines: 1200, created: 1200, already_known: 0 });
    const second = await runCli(['import', file, '--json', '--batch-size', '500', '--data-dir', dir]);
    assert.deepEqual(pick(JSON.parse(second.stdout)), { lines: 1200, created: 0, already_known: 1200 });
    const human = await runCli(['import', file, '--data-dir', dir]);
    assert.match(human.stdout, /0 new, 1200 already known/);
    const count = await runCli(['ax', '--predicate', 'twice', '--limit', '1000', '--json', '--data-dir', dir]);
    assert.equal(JSON.parse(count.stdout).count, 1000);
  });
});

function pick(r: { lines: number; created: number; already_known: number }) {
  return { lines: r.lines, created: r.created, already_known: r.already_known };
}

describe('migration 007 on attestations stored before it', () => {
  it('keys the first copy of each claim, moves handler_version out of attributes, indexes attributes', async () => {
    const dir = tempDir();
    const raw = new BetterSqlite3(sqlitePath(dir));
    const db = new Kysely<unknown>({ dialect: new SqliteDialect({ database: raw }) });
    const early = { getMigrations: async () => Object.fromEntries(migrations.slice(0, 3).map((m) => [m.name, { up: (d: Kysely<any>) => m.up(d, 'sqlite') }])) };
    const res = await new Migrator({ db, provider: early }).migrateToLatest();
    assert.equal(res.error, undefined);
    const row = (seq: number, source: string, attributes: object) =>
      raw
        .prepare(`insert into attestations (seq, id, subjects, predicates, contexts, actors, timestamp, source, attributes, created_at) values (?, ?, '["c1"]', '["commit"]', '["r"]', '["ixgest.git"]', 1000, ?, ?, 0)`)
        .run(seq, `AS${seq}`, source, JSON.stringify(attributes));
    row(1, 'EX1', { repo: 'r', handler_version: 2 });
    row(2, 'EX2', { repo: 'r', handler_version: 3 }); // the same claim once the version moves out
    row(3, 'api', { repo: 'r', handler_version: 2 }); // not a run: stays in the claim
    await db.destroy();
    const q = await openTestQntx('sqlite', { dataDir: dir });
    try {
      const rows = q.database.sqlite!.prepare('select seq, claim_key is not null as keyed, handler_version, attributes from attestations order by seq').all();
      assert.deepEqual(rows, [
        { seq: 1, keyed: 1, handler_version: 2, attributes: '{"repo":"r"}' },
        { seq: 2, keyed: 0, handler_version: 3, attributes: '{"repo":"r"}' },
        { seq: 3, keyed: 1, handler_version: null, attributes: '{"repo":"r","handler_version":2}' },
      ]);
      const attrRows = q.database.sqlite!.prepare("select count(*) as n from attestation_fields where field = 5 and value = 'repo=r'").get();
      assert.deepEqual(attrRows, { n: 3 });
      const again = q.ats.prepare({ subjects: ['c1'], predicates: ['commit'], contexts: ['r'], actors: ['ixgest.git'], timestamp: 1000, attributes: { repo: 'r' } }, origin);
      assert.deepEqual(await q.store.insertMany([again]), { created: 0, alreadyKnown: 1 });
    } finally {
      await q.cleanup();
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('migration 007 on PostgreSQL rows stored before it', { skip: PG_SKIP }, () => {
  it('keys the first copy, moves handler_version, indexes attributes, then dedupes new inserts', async () => {
    const schema = uniqueSchema();
    const settings = loadSettings({ dataDir: tempDir(), logLevel: 'silent', databaseUrl: PG_URL }, {});
    const first = await createQntx(settings, { logger: silentLogger(), pgSchema: schema });
    const db = first.database.db;
    // Back to the schema before 007 (and the migrations after it), with rows as a run before it stored them.
    for (const stmt of [
      `delete from kysely_migration where name >= '007'`,
      ...undoFoldedKeys('postgres'),
      'drop index attestations_claim',
      'alter table attestations drop column claim_key, drop column handler_version',
      'alter table pulse_executions drop column attestations_already_known',
      'drop table ix_source_state',
      'drop table ix_handler_current',
      ...UNDO_AFTER_009,
      'alter table attestation_fields alter column value type text collate "default"',
    ]) await sql.raw(stmt).execute(db);
    for (const [seq, source, attrs] of [[1, 'EX1', { repo: 'r', handler_version: 2 }], [2, 'EX2', { repo: 'r', handler_version: 3 }]] as const) {
      await sql`insert into attestations (seq, id, subjects, predicates, contexts, actors, timestamp, source, attributes, created_at)
        values (${seq}, ${`AS${seq}`}, '["c1"]', '["commit"]', '["r"]', '["ixgest.git"]', 1000, ${source}, ${JSON.stringify(attrs)}, 0)`.execute(db);
    }
    await first.close();
    const q = await createQntx(settings, { logger: silentLogger(), pgSchema: schema });
    try {
      const rows = await sql<{ seq: string; keyed: boolean; handler_version: number | null; attributes: string }>`
        select seq, claim_key is not null as keyed, handler_version, attributes from attestations order by seq`.execute(q.database.db);
      assert.deepEqual(rows.rows.map((r) => [Number(r.seq), r.keyed, r.handler_version, r.attributes]), [
        [1, true, 2, '{"repo":"r"}'],
        [2, false, 3, '{"repo":"r"}'],
      ]);
      assert.equal(await q.store.count({ attributes: { repo: ['r'] } }), 2);
      const again = q.ats.prepare({ subjects: ['c1'], predicates: ['commit'], contexts: ['r'], actors: ['ixgest.git'], timestamp: 1000, attributes: { repo: 'r' } }, origin);
      assert.deepEqual(await q.store.insertMany([again]), { created: 0, alreadyKnown: 1 });
    } finally {
      await q.close();
      await dropSchema(schema);
    }
  });
});
