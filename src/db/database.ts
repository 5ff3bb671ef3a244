// Opens the qntx database: SQLite (better-sqlite3, WAL, a file in the data dir) by default,
// PostgreSQL (pg) when a postgres:// URL is given. Runs the migrations before returning.
import path from 'node:path';
import BetterSqlite3 from 'better-sqlite3';
import { Kysely, PostgresDialect, SqliteDialect } from './kysely.js';
import type pg from 'pg';
import { QntxError } from '../errors.js';
import { createPrivateFile, ensurePrivateDataDir, narrowDataDir } from './data-dir.js';
import type { Logger } from '../logger.js';
import { migrate, type Dialect } from './migrations.js';
import { READ_OPTIONS, ReadRouter } from './read-router.js';
import { DEFAULT_QUERY_TIME_LIMIT_MS, SqliteReader } from './sqlite-reader.js';
import { WalCheckpointer } from './wal-checkpoint.js';
import type { Schema } from './schema.js';

export interface Database {
  readonly kind: Dialect;
  readonly db: Kysely<Schema>;
  /** The raw SQLite handle, for prepared-statement hot paths (undefined on PostgreSQL). */
  readonly sqlite: BetterSqlite3.Database | undefined;
  /** The PostgreSQL pool (undefined on SQLite). */
  readonly pool: pg.Pool | undefined;
  /** The PostgreSQL connection options, for a dedicated LISTEN connection. */
  readonly pgConfig: pg.PoolConfig | undefined;
  /** PostgreSQL: where attestation reads that need not see their own writes run (read-router.ts). */
  readonly reads: ReadRouter | undefined;
  /** SQLite: bulk loads hold WAL checkpoints back, then one runs on a thread of its own (wal-checkpoint.ts). */
  readonly walCheckpointer: WalCheckpointer | undefined;
  /**
   * SQLite: attestation queries run in processes of their own, each statement under the time limit
   * (sqlite-reader.ts); undefined with a limit of 0 (reads on the main connection, unbounded).
   */
  readonly sqliteReader: SqliteReader | undefined;
  close(): Promise<void>;
}

export interface OpenOptions {
  dataDir: string;
  databaseUrl?: string | undefined;
  /** A streaming replica of databaseUrl for attestation reads (PostgreSQL only). */
  readDatabaseUrl?: string | undefined;
  /** PostgreSQL schema to use (created if missing): isolates tests. */
  pgSchema?: string | undefined;
  poolSize?: number | undefined;
  logger?: Logger | undefined;
  /** SQLite: WAL a bulk load may pile up before it is checkpointed (default 4 GiB; tests lower it). */
  bulkWalBytes?: number | undefined;
  /**
   * The longest an attestation read may run, ms (default 5000; 0: no limit, and on SQLite reads
   * stay on the main connection). SQLite: the read process is stopped; PostgreSQL:
   * statement_timeout of the read connections. Writes are never limited.
   */
  queryTimeLimitMs?: number | undefined;
}

const INT8_OID = 20;

/** The size the SQLite WAL is cut back to when it starts over. */
export const WAL_LIMIT_BYTES = 32 * 2 ** 20;

/** pg returns BIGINT as a string; every BIGINT of ours (ms timestamps, seq) fits in a double. */
const pgTypes = (types: typeof pg.types) =>
  ({
    getTypeParser: (oid: number, format?: 'text' | 'binary') =>
      oid === INT8_OID ? (v: string) => Number(v) : types.getTypeParser(oid, format as 'text'),
  }) as pg.CustomTypesConfig;

export async function openDatabase(opts: OpenOptions): Promise<Database> {
  if (opts.readDatabaseUrl && !opts.databaseUrl) {
    throw new QntxError('config', 400, 'a read database URL needs a PostgreSQL database URL', {
      details: ['read_database_url=set without database_url'],
      hint: 'pass --database-url (the primary) with --read-database-url (its replica)',
    });
  }
  // On PostgreSQL the data directory still holds the token, the secret key and the git cache.
  if (opts.databaseUrl) narrowDataDir(opts.dataDir);
  const database = opts.databaseUrl ? await openPostgres(opts) : openSqlite(opts);
  try {
    const applied = await migrateWithRetry(database);
    if (applied.length) opts.logger?.info({ applied }, 'migrations applied');
  } catch (err) {
    await database.close();
    throw err;
  }
  return database;
}

/**
 * Kysely's Migrator introspects every schema of the database; a schema dropped by someone else
 * at that moment (tests, other apps) fails the run harmlessly: try again.
 */
async function migrateWithRetry(database: Database): Promise<string[]> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await migrate(database.db as Kysely<unknown>, database.kind);
    } catch (err) {
      const text = String((err as { cause?: { message?: string } }).cause?.message ?? (err as Error).message);
      if (database.kind !== 'postgres' || attempt >= 4 || !/does not exist/.test(text) || /kysely_migration/.test(text)) throw err;
    }
  }
}

export function sqlitePath(dataDir: string): string {
  return path.join(dataDir, 'qntx.db');
}

function openSqlite(opts: OpenOptions): Database {
  ensurePrivateDataDir(opts.dataDir);
  createPrivateFile(sqlitePath(opts.dataDir));
  const raw = new BetterSqlite3(sqlitePath(opts.dataDir));
  raw.pragma('journal_mode = WAL');
  // NORMAL in WAL mode survives a process crash; only an OS crash can lose the last commits.
  raw.pragma('synchronous = NORMAL');
  raw.pragma('busy_timeout = 10000');
  raw.pragma('foreign_keys = ON');
  // A larger page cache keeps the field index's upper levels in memory at millions of rows.
  raw.pragma('cache_size = -65536');
  raw.pragma('temp_store = memory');
  // A long read lets the WAL grow past its usual size (checkpoints cannot finish meanwhile); once
  // a checkpoint completes, the WAL starts over and is cut back to this size instead of staying large.
  raw.pragma(`journal_size_limit = ${WAL_LIMIT_BYTES}`);
  const db = new Kysely<Schema>({ dialect: new SqliteDialect({ database: raw }) });
  const walCheckpointer = new WalCheckpointer(raw, opts.logger, opts.bulkWalBytes);
  const limit = opts.queryTimeLimitMs ?? DEFAULT_QUERY_TIME_LIMIT_MS;
  const sqliteReader = limit > 0 ? new SqliteReader({ file: raw.name, timeLimitMs: limit, logger: opts.logger }) : undefined;
  let closed = false;
  return {
    kind: 'sqlite',
    db,
    sqlite: raw,
    pool: undefined,
    pgConfig: undefined,
    reads: undefined,
    walCheckpointer,
    sqliteReader,
    async close() {
      if (closed) return;
      closed = true;
      await sqliteReader?.close();
      await walCheckpointer.idle();
      await db.destroy();
    },
  };
}

async function openPostgres(opts: OpenOptions): Promise<Database> {
  // Loaded here, not at the top: a SQLite command (`qntx ax` among them) need not load the driver.
  const { default: pg } = await import('pg');
  const config: pg.PoolConfig = {
    connectionString: opts.databaseUrl,
    max: opts.poolSize ?? 10,
    types: pgTypes(pg.types),
    ...(opts.pgSchema ? { options: `-c search_path=${quoteIdent(opts.pgSchema)}` } : {}),
  };
  if (opts.pgSchema) {
    const admin = new pg.Client({ connectionString: opts.databaseUrl });
    await admin.connect();
    try {
      await admin.query(`create schema if not exists ${quoteIdent(opts.pgSchema)}`);
    } catch (err) {
      // Two processes creating the same schema at once: the loser's error is harmless.
      if ((err as { code?: string }).code !== '23505') throw err;
    } finally {
      await admin.end();
    }
  }
  const pool = new pg.Pool(config);
  pool.on('error', (err) => opts.logger?.warn({ err }, 'idle PostgreSQL client failed'));
  // pg emits 'error' on a client whose connection drops, besides failing its query; the pool
  // listens only while the client is idle, so one dropped during a query or a transaction would be
  // an uncaught exception (and, by the process policy, the end of the process). The query's own
  // failure reaches its caller; the event only needs a listener.
  pool.on('connect', (client) => client.on('error', (err) => opts.logger?.debug({ err }, 'PostgreSQL connection lost')));
  const db = new Kysely<Schema>({ dialect: new PostgresDialect({ pool }) });
  const limit = opts.queryTimeLimitMs ?? DEFAULT_QUERY_TIME_LIMIT_MS;
  const readPool = (url: string | undefined) => {
    const p = new pg.Pool({
      ...config,
      connectionString: url,
      max: Math.max(2, Math.ceil((opts.poolSize ?? 10) / 2)),
      // The query time limit holds on read connections only: writes, bulk loads and migrations
      // use the primary pool and are never cut by it.
      options: [config.options, READ_OPTIONS, limit > 0 ? `-c statement_timeout=${limit}` : ''].filter(Boolean).join(' '),
    });
    p.on('error', (err) => opts.logger?.debug({ err }, 'idle PostgreSQL read client failed'));
    p.on('connect', (client) => client.on('error', (err) => opts.logger?.debug({ err }, 'PostgreSQL read connection lost')));
    return p;
  };
  const reads = new ReadRouter(readPool(opts.databaseUrl), opts.readDatabaseUrl ? readPool(opts.readDatabaseUrl) : undefined, opts.logger, limit);
  let closed = false;
  return {
    kind: 'postgres',
    db,
    sqlite: undefined,
    pool,
    pgConfig: config,
    reads,
    walCheckpointer: undefined,
    sqliteReader: undefined,
    async close() {
      if (closed) return;
      closed = true;
      await reads.close();
      await db.destroy();
    },
  };
}

export function quoteIdent(name: string): string {
  return `"${name.replace(/"/g, '""')}"`;
}
