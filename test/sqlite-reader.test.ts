// The SQLite read processes (src/db/sqlite-reader.ts) on their own: a statement past the time
// limit is stopped (its process is gone when the error arrives) while the caller's thread stays
// free; a read waiting past the limit for a process is refused; a process that dies on its own
// fails its statement and the next read gets a new one; reads
// see what the main connection committed; closing ends every process. The limit is a setting.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import { after, before, describe, it } from 'node:test';
import { loadSettings } from '../src/config.js';
import { openDatabase, type Database } from '../src/db/database.js';
import { QueryTimeLimitError } from '../src/errors.js';
import { tempDir } from './helpers.js';

/** One sqlite3_step that runs for minutes: nothing returns to JavaScript meanwhile. */
const ENDLESS = 'with recursive c(x) as (select 1 union all select x + 1 from c where x < 5000000000) select count(*) as n from c';

function gone(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return false;
  } catch (err) {
    return (err as { code?: string }).code === 'ESRCH';
  }
}

describe('the query time limit setting', () => {
  it('is 5 s unless set, 0 turns it off', () => {
    assert.equal(loadSettings({}, {}).queryTimeLimitMs, 5000);
    assert.equal(loadSettings({}, { QNTX_QUERY_TIME_LIMIT_MS: '250' }).queryTimeLimitMs, 250);
    assert.equal(loadSettings({ queryTimeLimitMs: 0 }, {}).queryTimeLimitMs, 0);
  });
});

describe('SQLite read processes', () => {
  let dir: string;
  let database: Database;
  before(async () => {
    dir = tempDir();
    database = await openDatabase({ dataDir: dir, queryTimeLimitMs: 400 });
  });
  after(async () => {
    await database.close();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('stops a statement at the limit: the error names it, the process is gone, the thread stayed free', async () => {
    const reader = database.sqliteReader!;
    let ticks = 0;
    const timer = setInterval(() => ticks++, 10);
    const started = Date.now();
    const read = reader.read(ENDLESS, [], { kind: 'get' });
    const pid = reader.busyPids()[0]!;
    await assert.rejects(read, (err: unknown) => {
      assert.ok(err instanceof QueryTimeLimitError, String(err));
      assert.equal(err.status, 503);
      assert.deepEqual(err.details, ['time_limit_ms=400']);
      return true;
    });
    clearInterval(timer);
    assert.ok(Date.now() - started >= 400);
    assert.ok(gone(pid), 'the stopped process is gone');
    // Timers kept firing while the statement ran (on this thread none could have, and no limit would hold).
    assert.ok(ticks >= 5, `${ticks} ticks`);
    assert.deepEqual(await reader.read('select 41 + 1 as n', [], { kind: 'all' }), [{ n: 42 }]);
  });

  it('fails the statement of a process that died, and reads again with a new one', async () => {
    const reader = database.sqliteReader!;
    const read = reader.read(ENDLESS, [], { kind: 'get' });
    const pid = reader.busyPids()[0]!;
    process.kill(pid, 'SIGKILL');
    await assert.rejects(read, /SQLite read process exited/);
    assert.deepEqual(await reader.read('select 1 as one', [], { kind: 'get' }), [{ one: 1 }]);
  });

  it('refuses a read that waited past the limit for a free process, without running it', async () => {
    // Fresh processes: each statement's clock starts once its process is ready, after the wait's.
    const dir3 = tempDir();
    const db3 = await openDatabase({ dataDir: dir3, queryTimeLimitMs: 400 });
    after(async () => {
      await db3.close();
      fs.rmSync(dir3, { recursive: true, force: true });
    });
    const reader = db3.sqliteReader!;
    const busy = [reader.read(ENDLESS, [], { kind: 'get' }), reader.read(ENDLESS, [], { kind: 'get' })].map((p) => assert.rejects(p, QueryTimeLimitError));
    assert.equal(reader.busyPids().length, 2);
    await assert.rejects(reader.read('select 1 as one', [], { kind: 'get' }), (err: unknown) => {
      assert.ok(err instanceof QueryTimeLimitError, String(err));
      assert.match(err.message, /waited past the time limit of 400 ms for a free read process/);
      assert.deepEqual(err.details, ['time_limit_ms=400']);
      return true;
    });
    assert.equal(reader.waitedOutCount, 1);
    await Promise.all(busy);
    assert.deepEqual(await reader.read('select 1 as one', [], { kind: 'get' }), [{ one: 1 }]);
  });

  it("sees the main connection's commits, and refuses to write", async () => {
    database.sqlite!.exec('create table if not exists t(x); insert into t values (7)');
    assert.deepEqual(await database.sqliteReader!.read('select x from t', [], { kind: 'all' }), [{ x: 7 }]);
    await assert.rejects(database.sqliteReader!.read('insert into t values (8) returning x', [], { kind: 'all' }), /readonly/);
  });

  it('holds a page to its byte budget: the rows that fit and the first that does not', async () => {
    database.sqlite!.exec(`create table if not exists b(s); delete from b; insert into b values ('${'x'.repeat(100)}'), ('${'y'.repeat(100)}'), ('z'), ('w')`);
    const rows = await database.sqliteReader!.read<{ s: string }>('select s from b order by rowid', [], { kind: 'page', maxRows: 10, maxBytes: 150, rowOverhead: 10 });
    assert.deepEqual(rows.map((r) => r.s[0]), ['x', 'y']);
  });

  it('ends every process on close', async () => {
    const dir2 = tempDir();
    const db2 = await openDatabase({ dataDir: dir2, queryTimeLimitMs: 1000 });
    db2.sqliteReader!.warm();
    const pids = db2.sqliteReader!.pids();
    assert.equal(pids.length, 2);
    const pending = assert.rejects(db2.sqliteReader!.read(ENDLESS, [], { kind: 'get' }), /exited|closed/);
    await db2.close();
    await pending;
    for (const pid of pids) assert.ok(gone(pid), `process ${pid} still runs`);
    fs.rmSync(dir2, { recursive: true, force: true });
  });
});
