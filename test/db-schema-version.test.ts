// A database that a newer qntx migrated is refused at start with what to do, on both databases,
// instead of Kysely's "corrupted migrations"; a current one opens without migration work.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import { after, describe, it } from 'node:test';
import BetterSqlite3 from 'better-sqlite3';
import { sql } from 'kysely';
import { sqlitePath } from '../src/db/database.js';
import { migrations } from '../src/db/migrations/index.js';
import { MIGRATION_NAMES } from '../src/db/migrations/names.js';
import { openTestDatabase, prepareSchema } from './fixtures/pulse-db.js';
import { DB_KINDS, dropSchema, PG_URL, tempDir, uniqueSchema } from './helpers.js';

for (const { kind, skip } of DB_KINDS) {
  describe(`schema versions (${kind})`, { skip }, () => {
    const dataDir = tempDir();
    const pgSchema = kind === 'postgres' ? uniqueSchema() : undefined;
    const open = () => openTestDatabase({ dataDir, databaseUrl: kind === 'postgres' ? PG_URL : undefined, pgSchema });
    after(async () => {
      if (pgSchema) await dropSchema(pgSchema);
      fs.rmSync(dataDir, { recursive: true, force: true });
    });

    it('refuses a database migrated past what this qntx knows, naming both versions', async () => {
      if (pgSchema) await prepareSchema(PG_URL!, pgSchema);
      const first = await open();
      await sql`insert into kysely_migration (name, timestamp) values ('999_from_a_newer_qntx', '2027-01-01T00:00:00.000Z')`.execute(first.db);
      await first.close();
      await assert.rejects(open(), (err: Error) => {
        assert.equal(err.message, `database schema ${migrations.length + 1} is newer than this qntx (${migrations.length}): upgrade qntx`);
        assert.deepEqual((err as unknown as { details: string[] }).details, [
          'database_latest_migration=999_from_a_newer_qntx',
          `qntx_latest_migration=${migrations[migrations.length - 1]!.name}`,
          'unknown_migration=999_from_a_newer_qntx',
        ]);
        return true;
      });
    });
  });
}

describe('a current store', () => {
  it('is known by the names of the migrations, without loading them', () => {
    assert.deepEqual(MIGRATION_NAMES, migrations.map((m) => m.name));
  });

  it('opens (SQLite) while another process holds the write lock: no migration work, no lock taken', async () => {
    const dataDir = tempDir();
    try {
      await (await openTestDatabase({ dataDir })).close();
      const writer = new BetterSqlite3(sqlitePath(dataDir));
      writer.exec('BEGIN IMMEDIATE');
      try {
        // Waiting for the lock would end in SQLITE_BUSY after the busy timeout (10 s).
        const db = await openTestDatabase({ dataDir });
        try {
          assert.equal((await sql<{ n: number }>`select count(*) as n from kysely_migration`.execute(db.db)).rows[0]!.n, MIGRATION_NAMES.length);
        } finally {
          await db.close();
        }
      } finally {
        writer.exec('ROLLBACK');
        writer.close();
      }
    } finally {
      fs.rmSync(dataDir, { recursive: true, force: true });
    }
  });
});
