// After a bulk load, SQLite's WAL is written back on a thread of its own (src/db/wal-checkpoint.ts):
// the load returns before the copy is done, automatic checkpoints stay off meanwhile, writes go on
// during it, and closing the database waits for it.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import { after, describe, it } from 'node:test';
import { AsidFactory } from '../src/ats/asid.js';
import { createAttestationStore } from '../src/ats/open-store.js';
import type { NewAttestation } from '../src/ats/types.js';
import { openDatabase, sqlitePath } from '../src/db/database.js';
import { BULK_WAL_BYTES } from '../src/db/wal-checkpoint.js';
import { tempDir } from './helpers.js';

const ids = new AsidFactory();
const BULK_PAGES = BULK_WAL_BYTES / 4096;
function rows(n: number, tag: string): NewAttestation[] {
  return Array.from({ length: n }, (_, i) => ({
    id: ids.next(),
    subjects: [`${tag}-${i}`],
    predicates: ['loaded'],
    contexts: [`c${i % 100}`],
    actors: ['bulk'],
    timestamp: 1_700_000_000_000 + i,
    source: 'test',
    attributes: { i },
    created_at: 0,
  }));
}

describe('WAL checkpoint after a bulk load (SQLite)', () => {
  const dirs: string[] = [];
  after(() => {
    for (const d of dirs) fs.rmSync(d, { recursive: true, force: true });
  });

  it('returns before the copy, holds automatic checkpoints back meanwhile, takes writes during it, and is done at close', async () => {
    const dir = tempDir();
    dirs.push(dir);
    const database = await openDatabase({ dataDir: dir });
    const store = createAttestationStore(database);
    const raw = database.sqlite!;
    const wal = database.walCheckpointer!;
    await store.bulk(async () => {
      for (let b = 0; b < 5; b++) await store.insertMany(rows(20_000, `b${b}`));
      assert.equal(raw.pragma('wal_autocheckpoint', { simple: true }), BULK_PAGES, 'held back during the load, up to the bulk bound');
    });
    const walFile = `${sqlitePath(dir)}-wal`;
    const piled = fs.statSync(walFile).size;
    assert.ok(piled > 10 << 20, `the WAL holds the load (${piled} bytes)`);
    assert.equal(wal.busy, true, 'the load returned while the checkpoint runs elsewhere');
    assert.equal(raw.pragma('wal_autocheckpoint', { simple: true }), BULK_PAGES, 'no automatic checkpoint on this thread meanwhile (below the bound)');
    // A write while it runs: the WAL takes it.
    assert.deepEqual(await store.insertMany(rows(10, 'during')), { created: 10, alreadyKnown: 0 });
    await wal.idle();
    assert.equal(raw.pragma('wal_autocheckpoint', { simple: true }), 1000, 'automatic checkpoints are back');
    // Everything the load wrote is in the database file now: a checkpoint here has nothing left
    // to copy but what came after the background one began.
    const [r] = raw.pragma('wal_checkpoint(PASSIVE)') as Array<{ busy: number; log: number; checkpointed: number }>;
    assert.equal(r!.busy, 0);
    assert.ok(r!.log - r!.checkpointed === 0, JSON.stringify(r));
    assert.equal(await store.count({ predicates: ['loaded'] }), 100_010);
    await database.close();
  });

  it('keeps the WAL of a long bulk load near its bound', async () => {
    // Unbounded, the WAL of this load passes 100 MiB (the test above: > 10 MiB for half of it,
    // and a 10M-row import grew it past 30 GB); with an 8 MiB bound it stays near one batch's commit
    // (a WAL file never shrinks: its size is the largest commit, ~51 MiB for a batch of 20,000 rows
    // since field rows carry a folded key and its index, ~29 MiB before).
    const dir = tempDir();
    dirs.push(dir);
    const database = await openDatabase({ dataDir: dir, bulkWalBytes: 8 << 20 });
    const store = createAttestationStore(database);
    const walFile = `${sqlitePath(dir)}-wal`;
    let largest = 0;
    await store.bulk(async () => {
      for (let b = 0; b < 10; b++) {
        await store.insertMany(rows(20_000, `w${b}`));
        largest = Math.max(largest, fs.statSync(walFile).size);
      }
    });
    assert.ok(largest < 64 << 20, `the WAL stayed near its bound: ${largest} bytes`);
    await database.walCheckpointer!.idle();
    assert.equal(await store.count({ predicates: ['loaded'] }), 200_000);
    await database.close();
  });

  it('closing waits for a running checkpoint', async () => {
    const dir = tempDir();
    dirs.push(dir);
    const database = await openDatabase({ dataDir: dir });
    const store = createAttestationStore(database);
    await store.bulk(async () => {
      await store.insertMany(rows(20_000, 'x'));
    });
    assert.equal(database.walCheckpointer!.busy, true);
    await database.close();
    assert.equal(database.walCheckpointer!.busy, false);
    const again = await openDatabase({ dataDir: dir });
    assert.equal(await createAttestationStore(again).count({}), 20_000);
    await again.close();
  });
});
