// Numbered, append-only migrations, run at start by Kysely's Migrator and recorded in its table.
// PostgreSQL: the Migrator holds an advisory lock. SQLite: we hold BEGIN IMMEDIATE around the run,
// so two processes starting at once on one file apply each migration exactly once.
import type { Kysely, Migration, MigrationProvider } from 'kysely';
import { Migrator, sql } from './kysely.js';
import { QntxError } from '../errors.js';
import { MIGRATION_NAMES } from './migrations/names.js';

/** The migrations themselves, loaded when they are to run (an open of a current store needs none). */
async function loadMigrations(): Promise<readonly QntxMigration[]> {
  return (await import('./migrations/index.js')).migrations;
}

export type Dialect = 'sqlite' | 'postgres';

/** A migration gets the dialect, since a few column types differ. */
export interface QntxMigration {
  name: string;
  up(db: Kysely<unknown>, dialect: Dialect): Promise<void>;
}

/** Every migration of this program, for Kysely's Migrator (to the latest, or to a named one). */
export class MigrationsProvider implements MigrationProvider {
  constructor(private readonly dialect: Dialect) {}
  async getMigrations(): Promise<Record<string, Migration>> {
    const out: Record<string, Migration> = {};
    for (const m of await loadMigrations()) out[m.name] = { up: (db) => m.up(db, this.dialect) };
    return out;
  }
}

/**
 * SQLite: whether the store has applied exactly this program's migrations, read without a lock
 * (a read sees a committed state; a migration another process has under way is not yet in it).
 * Then opening it takes no write lock and runs no Migrator, which a command reading the store
 * beside a busy server would otherwise wait for.
 */
async function sqliteIsCurrent(db: Kysely<unknown>): Promise<boolean> {
  const table = await sql<{ n: number }>`select count(*) as n from sqlite_master where type = 'table' and name = 'kysely_migration'`.execute(db);
  if (!table.rows[0]!.n) return false;
  const applied = (await sql<{ name: string }>`select name from kysely_migration order by name`.execute(db)).rows.map((r) => r.name);
  const known = [...MIGRATION_NAMES].sort();
  return applied.length === known.length && applied.every((n, i) => n === known[i]);
}

export async function migrate(db: Kysely<unknown>, dialect: Dialect): Promise<string[]> {
  if (dialect === 'sqlite' && (await sqliteIsCurrent(db))) return [];
  // Kysely looks for its own tables in every schema unless told which: name ours explicitly, so
  // another schema's kysely tables (another app, another test) are never mistaken for ours.
  const schema =
    dialect === 'postgres' ? (await sql<{ s: string | null }>`select current_schema() as s`.execute(db)).rows[0]?.s : undefined;
  if (schema === null) {
    throw new QntxError('config', 500, 'PostgreSQL has no schema to create the tables in', {
      details: ['current_schema=null'],
      hint: 'create the schema named in search_path (or the connection options) first',
    });
  }
  const migrator = new Migrator({
    db,
    provider: new MigrationsProvider(dialect),
    ...(schema ? { migrationTableSchema: schema } : {}),
  });
  if (dialect === 'sqlite') await sql`BEGIN IMMEDIATE`.execute(db);
  let ok = false;
  try {
    await refuseNewer(db, dialect, schema);
    const { error, results } = await migrator.migrateToLatest();
    if (error) {
      const failed = results?.find((r) => r.status === 'Error')?.migrationName ?? 'unknown';
      throw new QntxError('migration', 500, `migration ${failed} failed: ${String((error as Error).message ?? error)}`, {
        details: [`migration=${failed}`],
        cause: error,
      });
    }
    ok = true;
    return (results ?? []).filter((r) => r.status === 'Success').map((r) => r.migrationName);
  } finally {
    if (dialect === 'sqlite') await sql.raw(ok ? 'COMMIT' : 'ROLLBACK').execute(db);
  }
}

/**
 * A database migrated by a newer qntx holds migrations this program does not know: refused with
 * what to do, before Kysely's Migrator would call the table corrupted.
 */
async function refuseNewer(db: Kysely<unknown>, dialect: Dialect, schema: string | undefined): Promise<void> {
  const exists =
    dialect === 'postgres'
      ? (await sql<{ n: number }>`select count(*)::int as n from information_schema.tables where table_schema = ${schema} and table_name = 'kysely_migration'`.execute(db)).rows[0]!.n > 0
      : (await sql<{ n: number }>`select count(*) as n from sqlite_master where type = 'table' and name = 'kysely_migration'`.execute(db)).rows[0]!.n > 0;
  if (!exists) return;
  const table = schema ? sql`${sql.id(schema)}.kysely_migration` : sql`kysely_migration`;
  const applied = (await sql<{ name: string }>`select name from ${table} order by name`.execute(db)).rows.map((r) => r.name);
  const known = new Set(MIGRATION_NAMES);
  const unknown = applied.filter((n) => !known.has(n));
  if (!unknown.length) return;
  throw new QntxError('config', 500, `database schema ${applied.length} is newer than this qntx (${MIGRATION_NAMES.length}): upgrade qntx`, {
    details: [`database_latest_migration=${applied[applied.length - 1]}`, `qntx_latest_migration=${MIGRATION_NAMES[MIGRATION_NAMES.length - 1]!}`, ...unknown.slice(0, 5).map((n) => `unknown_migration=${n}`)],
    hint: 'this database was used by a newer qntx; run that version (or newer), or restore a backup made by this one',
  });
}
