// The store a restore writes into, opened without the usual migrate-to-latest: it is first brought
// to the schema of the backup (so the rows fit), filled, checked, and only then migrated on.
import BetterSqlite3 from 'better-sqlite3';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { Kysely, Migrator, PostgresDialect, SqliteDialect } from '../db/kysely.js';
import pg from 'pg';
import { from as copyFrom } from 'pg-copy-streams';
import { QntxError } from '../errors.js';
import { createPrivateFile, ensurePrivateDataDir } from '../db/data-dir.js';
import { sqlitePath } from '../db/database.js';
import { MigrationsProvider, type Dialect } from '../db/migrations.js';
import { IdChecksum } from './checksum.js';
import { describeLocation, pgTypes, type Location } from './location.js';
import { CopyValueError, copyKind, lineEncoder, type CopyKind } from './copy-text.js';
import { MARKER_TABLE, quoteId, tableSpec, type Row } from './tables.js';

export interface Target {
  kind: Dialect;
  where: string;
  tableNames(): Promise<string[]>;
  applied(): Promise<string[]>;
  /** Applies the migrations up to `name` (all of them when undefined). */
  migrateTo(name: string | undefined): Promise<void>;
  count(table: string): Promise<number>;
  /** Inserts rows in one transaction (PostgreSQL: one COPY). */
  insert(table: string, columns: string[], rows: Row[]): Promise<void>;
  checksum(): Promise<string>;
  /** PostgreSQL: the attestations.seq sequence moved past the restored rows. */
  resetSequences(): Promise<void>;
  readMarker(): Promise<string | null>;
  writeMarker(text: string): Promise<void>;
  dropMarker(): Promise<void>;
  /** Deletes every row of the given tables (an unfinished earlier run, on --restart). */
  empty(tables: string[]): Promise<void>;
  close(): Promise<void>;
}

async function runMigrator(db: Kysely<unknown>, dialect: Dialect, schema: string | undefined, name: string | undefined, where: string): Promise<void> {
  const migrator = new Migrator({ db, provider: new MigrationsProvider(dialect), ...(schema ? { migrationTableSchema: schema } : {}) });
  const { error, results } = name ? await migrator.migrateTo(name) : await migrator.migrateToLatest();
  if (error) {
    const failed = results?.find((r) => r.status === 'Error')?.migrationName ?? 'unknown';
    throw new QntxError('migration', 500, `migration ${failed} failed on ${where}: ${String((error as Error).message ?? error)}`, {
      details: [`migration=${failed}`, `store=${where}`],
      cause: error,
    });
  }
}

/**
 * How rows go into PostgreSQL: `copy` (COPY … FROM STDIN, what restore and migrate use) or
 * `insert` (multi-row INSERT with parameters, the earlier way, kept as the benchmark's baseline
 * and as the reference the COPY encoding is tested against).
 */
export type PgWrite = 'copy' | 'insert';

export async function openTarget(loc: Location, opts: { pgWrite?: PgWrite | undefined } = {}): Promise<Target> {
  return loc.kind === 'sqlite' ? sqliteTarget(loc.dataDir) : postgresTarget(loc.url, opts.pgWrite ?? 'copy');
}

/** One batch in one transaction on one pooled connection; a connection whose rollback failed is dropped. */
async function inTransaction(pool: pg.Pool, body: (client: pg.PoolClient) => Promise<void>): Promise<void> {
  const client = await pool.connect();
  let broken: Error | undefined;
  try {
    await client.query('begin');
    try {
      await body(client);
      await client.query('commit');
    } catch (err) {
      await client.query('rollback').catch((e: Error) => {
        broken = e;
      });
      throw err;
    }
  } finally {
    client.release(broken);
  }
}

const CHUNK_CHARS = 1 << 20;

/**
 * The batch as COPY text, in chunks of about 1 MB. Encoded whole before the COPY starts, so that a
 * value PostgreSQL cannot take fails the batch before anything is sent.
 */
function copyChunks(table: string, columns: string[], rows: Row[], kinds: ReadonlyMap<string, CopyKind>): string[] {
  const encode = lineEncoder(columns, kinds);
  const chunks: string[] = [];
  let buf = '';
  for (const r of rows) {
    try {
      buf += encode(r);
    } catch (err) {
      if (!(err instanceof CopyValueError)) throw err;
      const key = (tableSpec(table)?.order ?? []).map((c) => `${c}=${String(r[c])}`).join(' ');
      throw new QntxError('restore', 400, `${table} row ${key}: ${err.message}`, {
        details: [`table=${table}`, `row=${key}`, `column=${err.column}`],
        hint: 'change the value in the source store (or migrate to SQLite, which stores it)',
      });
    }
    if (buf.length >= CHUNK_CHARS) {
      chunks.push(buf);
      buf = '';
    }
  }
  if (buf) chunks.push(buf);
  return chunks;
}

export async function copyRows(pool: pg.Pool, table: string, columns: string[], rows: Row[], kinds: ReadonlyMap<string, CopyKind>): Promise<void> {
  const chunks = copyChunks(table, columns, rows, kinds);
  await inTransaction(pool, async (client) => {
    await pipeline(Readable.from(chunks), client.query(copyFrom(`copy ${quoteId(table)} (${columns.map(quoteId).join(', ')}) from stdin`)));
  });
}

export async function insertRows(pool: pg.Pool, table: string, columns: string[], rows: Row[]): Promise<void> {
  // PostgreSQL takes at most 65535 parameters a statement.
  const per = Math.max(1, Math.floor(60_000 / columns.length));
  await inTransaction(pool, async (client) => {
    for (let i = 0; i < rows.length; i += per) {
      const part = rows.slice(i, i + per);
      const params: unknown[] = [];
      const tuples = part.map((r) => `(${columns.map((c) => `$${params.push(r[c] ?? null)}`).join(', ')})`);
      await client.query(`insert into ${quoteId(table)} (${columns.map(quoteId).join(', ')}) values ${tuples.join(', ')}`, params);
    }
  });
}

function sqliteTarget(dataDir: string): Target {
  ensurePrivateDataDir(dataDir);
  const file = sqlitePath(dataDir);
  createPrivateFile(file);
  const raw = new BetterSqlite3(file);
  raw.pragma('journal_mode = WAL');
  raw.pragma('synchronous = NORMAL');
  raw.pragma('busy_timeout = 10000');
  raw.pragma('foreign_keys = ON');
  const db = new Kysely<unknown>({ dialect: new SqliteDialect({ database: raw }) });
  const where = describeLocation({ kind: 'sqlite', dataDir });
  const statements = new Map<string, BetterSqlite3.Statement>();
  const names = () => (raw.prepare(`select name from sqlite_master where type = 'table'`).all() as { name: string }[]).map((r) => r.name);
  return {
    kind: 'sqlite',
    where,
    async tableNames() {
      return names();
    },
    async applied() {
      if (!names().includes('kysely_migration')) return [];
      return (raw.prepare('select name from kysely_migration order by name').all() as { name: string }[]).map((r) => r.name);
    },
    migrateTo: (name) => runMigrator(db, 'sqlite', undefined, name, where),
    async count(table) {
      return Number((raw.prepare(`select count(*) as n from ${quoteId(table)}`).get() as { n: number }).n);
    },
    async insert(table, columns, rows) {
      const key = `${table}\u0000${columns.join('\u0000')}`;
      let stmt = statements.get(key);
      if (!stmt) {
        stmt = raw.prepare(`insert into ${quoteId(table)} (${columns.map(quoteId).join(', ')}) values (${columns.map(() => '?').join(', ')})`);
        statements.set(key, stmt);
      }
      const s = stmt;
      raw.transaction(() => {
        for (const r of rows) s.run(columns.map((c) => r[c] ?? null));
      })();
    },
    async checksum() {
      const sum = new IdChecksum();
      for (const r of raw.prepare('select id from attestations').iterate() as Iterable<{ id: string }>) sum.add(r.id);
      return sum.hex();
    },
    async resetSequences() {},
    async readMarker() {
      if (!names().includes(MARKER_TABLE)) return null;
      return (raw.prepare(`select v from ${MARKER_TABLE} where k = 'source'`).get() as { v: string } | undefined)?.v ?? null;
    },
    async writeMarker(text) {
      raw.exec(`create table if not exists ${MARKER_TABLE} (k text primary key, v text not null)`);
      raw.prepare(`insert into ${MARKER_TABLE} (k, v) values ('source', ?) on conflict (k) do update set v = excluded.v`).run(text);
    },
    async dropMarker() {
      raw.exec(`drop table if exists ${MARKER_TABLE}`);
    },
    async empty(tables) {
      raw.transaction(() => {
        for (const t of tables) raw.prepare(`delete from ${quoteId(t)}`).run();
      })();
    },
    async close() {
      await db.destroy();
    },
  };
}

async function postgresTarget(url: string, write: PgWrite): Promise<Target> {
  const pool = new pg.Pool({ connectionString: url, max: 2, types: pgTypes });
  pool.on('error', () => {});
  const where = describeLocation({ kind: 'postgres', url });
  const db = new Kysely<unknown>({ dialect: new PostgresDialect({ pool }) });
  try {
    const schema = (await pool.query<{ s: string | null }>('select current_schema() as s')).rows[0]?.s;
    if (!schema) {
      throw new QntxError('restore', 400, `the PostgreSQL URL names no existing schema: ${where}`, {
        details: [`url=${where}`],
        hint: 'create the schema named in the search_path first (create schema …)',
      });
    }
    const columnKinds = new Map<string, Map<string, CopyKind>>();
    const names = async () =>
      (await pool.query<{ t: string }>(`select table_name as t from information_schema.tables where table_schema = $1 and table_type = 'BASE TABLE'`, [schema])).rows.map((r) => r.t);
    return {
      kind: 'postgres',
      where,
      tableNames: names,
      async applied() {
        if (!(await names()).includes('kysely_migration')) return [];
        return (await pool.query<{ name: string }>(`select name from ${quoteId(schema)}.kysely_migration order by name`)).rows.map((r) => r.name);
      },
      migrateTo: async (name) => {
        // A migration may add or retype columns.
        columnKinds.clear();
        await runMigrator(db, 'postgres', schema, name, where);
      },
      async count(table) {
        return Number((await pool.query<{ n: string }>(`select count(*) as n from ${quoteId(table)}`)).rows[0]!.n);
      },
      async insert(table, columns, rows) {
        if (write === 'insert') return insertRows(pool, table, columns, rows);
        let kinds = columnKinds.get(table);
        if (!kinds) {
          const { rows: cols } = await pool.query<{ c: string; t: string }>(
            'select column_name as c, data_type as t from information_schema.columns where table_schema = $1 and table_name = $2',
            [schema, table],
          );
          kinds = new Map(cols.map((r) => [r.c, copyKind(r.t)]));
          columnKinds.set(table, kinds);
        }
        return copyRows(pool, table, columns, rows, kinds);
      },
      async checksum() {
        const sum = new IdChecksum();
        const client = await pool.connect();
        try {
          await client.query('begin');
          await client.query('declare ids no scroll cursor for select id from attestations');
          for (;;) {
            const { rows } = await client.query<{ id: string }>('fetch 10000 from ids');
            if (!rows.length) break;
            for (const r of rows) sum.add(r.id);
          }
          await client.query('commit');
        } finally {
          client.release();
        }
        return sum.hex();
      },
      async resetSequences() {
        // The next attestation gets max(seq) + 1, as on the store the rows came from.
        await pool.query(`select setval(pg_get_serial_sequence('attestations', 'seq'), coalesce(max(seq), 0) + 1, false) from attestations`);
      },
      async readMarker() {
        if (!(await names()).includes(MARKER_TABLE)) return null;
        return (await pool.query<{ v: string }>(`select v from ${MARKER_TABLE} where k = 'source'`)).rows[0]?.v ?? null;
      },
      async writeMarker(text) {
        await pool.query(`create table if not exists ${MARKER_TABLE} (k text primary key, v text not null)`);
        await pool.query(`insert into ${MARKER_TABLE} (k, v) values ('source', $1) on conflict (k) do update set v = excluded.v`, [text]);
      },
      async dropMarker() {
        await pool.query(`drop table if exists ${MARKER_TABLE}`);
      },
      async empty(tables) {
        if (tables.length) await pool.query(`truncate ${tables.map(quoteId).join(', ')}`);
      },
      async close() {
        await db.destroy();
      },
    };
  } catch (err) {
    await db.destroy().catch(() => {});
    throw err;
  }
}
