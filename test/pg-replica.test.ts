// With --read-database-url, attestation queries, counts and the canvas list are
// served by a real streaming replica (its own cluster, pg_basebackup -R), writes and
// read-your-writes reads stay on the primary, and a replica that is down sends reads to the
// primary with a warning logged.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import { Writable } from 'node:stream';
import { after, before, describe, it } from 'node:test';
import pg from 'pg';
import { pino } from 'pino';
import { createQntx, type Qntx } from '../src/app.js';
import { createCanvasStore } from '../src/canvas/store.js';
import { loadSettings } from '../src/config.js';
import { PgPair, pgBinDir } from './pg-cluster-helpers.js';
import { tempDir } from './helpers.js';

const BIN = pgBinDir();

describe('attestation reads from a streaming replica', { skip: BIN ? false : 'pg_basebackup is not installed: replica test skipped' }, () => {
  let pair: PgPair;
  let q: Qntx;
  let primary: pg.Client;
  let replica: pg.Client;
  const logged: Array<{ level: number; msg: string }> = [];
  const dataDir = tempDir();

  before(async () => {
    pair = await PgPair.start(BIN!);
    primary = new pg.Client({ connectionString: pair.primary.url });
    replica = new pg.Client({ connectionString: pair.replica.url });
    await primary.connect();
    await replica.connect();
    const sink = new Writable({
      write(chunk: Buffer, _enc, cb) {
        for (const line of chunk.toString().split('\n').filter(Boolean)) logged.push(JSON.parse(line));
        cb();
      },
    });
    const settings = loadSettings({ dataDir, logLevel: 'info', databaseUrl: pair.primary.url, readDatabaseUrl: pair.replica.url }, {});
    q = await createQntx(settings, { logger: pino({ level: 'info' }, sink) });
  });
  after(async () => {
    await q?.close();
    await primary?.end().catch(() => undefined);
    await replica?.end().catch(() => undefined);
    await pair?.stop();
    fs.rmSync(dataDir, { recursive: true, force: true });
  });

  /** Resolves once the replica has replayed everything the primary has written so far. */
  const caughtUp = async () => {
    const { rows } = await primary.query<{ lsn: string }>('select pg_current_wal_lsn()::text as lsn');
    for (;;) {
      const r = await replica.query<{ ok: boolean }>('select pg_last_wal_replay_lsn() >= $1::pg_lsn as ok', [rows[0]!.lsn]);
      if (r.rows[0]!.ok) return;
    }
  };
  const attest = (subject: string) =>
    q.ats.attest({ subjects: [subject], predicates: ['replicated'], contexts: ['r'] }, { source: 'test', actor: 'tester' });

  it('is a replica: the read connections answer from a server in recovery', async () => {
    assert.equal((await replica.query('select pg_is_in_recovery() as r')).rows[0].r, true);
    const { rows } = await q.database.reads!.query<{ r: boolean }>('select pg_is_in_recovery() as r', []);
    assert.equal(rows[0]!.r, true);
  });

  it('serves queries and counts from the replica; writes become visible there after replication', async () => {
    const before = { ...q.database.reads!.served };
    const { attestation: a } = await attest('first');
    await caughtUp();
    assert.deepEqual((await q.store.query({ predicates: ['replicated'] })).items.map((x) => x.id), [a.id]);
    assert.equal(await q.store.count({ predicates: ['replicated'] }), 1);

    // Replay held back: a new write is on the primary only. Queries (replica) do not see it yet;
    // a read of one's own write (get by id, the handler lookup) does, on the primary.
    await replica.query('select pg_wal_replay_pause()');
    const { attestation: b } = await attest('second');
    assert.deepEqual((await q.store.query({ predicates: ['replicated'] })).items.map((x) => x.id), [a.id]);
    assert.equal((await q.store.get(b.id))?.id, b.id);
    const h = await q.handlers.register({ script_type: 'rep', code: 'print(1)' }, 'tester');
    assert.equal((await q.handlers.current('rep'))?.id, h.id);
    await replica.query('select pg_wal_replay_resume()');
    await caughtUp();
    assert.deepEqual((await q.store.query({ predicates: ['replicated'] })).items.map((x) => x.id), [b.id, a.id]);
    assert.ok(q.database.reads!.served.replica >= before.replica + 4);
    assert.equal(q.database.reads!.served.primary, before.primary);
  });

  it('lists the canvas from the replica', async () => {
    const canvas = createCanvasStore(q.database, () => q.clock.now());
    await canvas.put('g1', { kind: 'note', x: 1, y: 2, width: 100, height: 50, data: { text: 'hi' } }, undefined);
    await caughtUp();
    const served = q.database.reads!.served.replica;
    assert.deepEqual((await canvas.list()).map((g) => g.id), ['g1']);
    assert.equal(q.database.reads!.served.replica, served + 1);
  });

  it('reads from the primary, with a warning logged, while the replica is down', async () => {
    await replica.end();
    await pair.stopNode(pair.replica);
    const { attestation: c } = await attest('third');
    const page = await q.store.query({ predicates: ['replicated'] });
    assert.equal(page.items[0]?.id, c.id, 'the primary answered, with the newest write');
    assert.equal(await q.store.count({ predicates: ['replicated'] }), 3);
    const warn = logged.filter((l) => l.msg === 'read replica unavailable: reading from the primary');
    assert.equal(warn.length, 1, JSON.stringify(logged));
    assert.equal(warn[0]!.level, 40);
    assert.ok(q.database.reads!.served.primary >= 2);
  });
});

describe('read database URL settings', () => {
  it('refuses a read URL without a primary URL, naming the setting', async () => {
    const dataDir = tempDir();
    try {
      const settings = loadSettings({ dataDir, logLevel: 'silent', readDatabaseUrl: 'postgres://127.0.0.1:1/x' }, {});
      await assert.rejects(createQntx(settings, { logger: pino({ level: 'silent' }) }), (err: Error & { details?: string[] }) => {
        assert.match(err.message, /read database URL needs a PostgreSQL database URL/);
        assert.deepEqual(err.details, ['read_database_url=set without database_url']);
        return true;
      });
      assert.equal(loadSettings({}, { QNTX_READ_DATABASE_URL: 'postgres://r/x' }).readDatabaseUrl, 'postgres://r/x');
      assert.throws(() => loadSettings({ readDatabaseUrl: 'mysql://x' }, {}), (err: Error & { details?: string[] }) => err.details?.some((d) => d.startsWith('readDatabaseUrl')) ?? false);
    } finally {
      fs.rmSync(dataDir, { recursive: true, force: true });
    }
  });
});
