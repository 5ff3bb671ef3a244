// Opens qntx for a CLI command from its --data-dir / --database-url flags (the CLI talks to the
// database directly; SQLite's WAL lets it do so while a server runs on the same data dir).
import type { Command } from 'commander';
import type { Qntx } from '../app.js';
import { openAttestationStore } from '../ats/open-store-lazy.js';
import { AliasEdges } from '../ax/alias-edges.js';
import { AxEngine } from '../ax/engine.js';
import { AxReader } from '../ax/reader.js';
import { samenessFromSettings } from '../ax/sameness/config.js';
import { systemClock } from '../clock.js';
import { loadSettings, type Settings, type SettingsInput } from '../config.js';
import { openDatabase } from '../db/database.js';
import { createLogger } from '../logger.js';

export interface DbFlags {
  dataDir?: string;
  databaseUrl?: string;
  json?: boolean;
}

/** The flags every database command takes: --data-dir, --database-url, --json. */
export function dbOptions(c: Command): Command {
  return c
    .option('--data-dir <dir>', 'data directory (SQLite)')
    .option('--database-url <url>', 'PostgreSQL URL')
    .option('--json', 'print JSON');
}

export function cliSettings(flags: SettingsInput): Settings {
  return loadSettings(flags, process.env);
}

/** The settings of a command that opens the database. */
function dbSettings(flags: DbFlags): Settings {
  return cliSettings({
    dataDir: flags.dataDir,
    databaseUrl: flags.databaseUrl,
    logLevel: process.env.QNTX_LOG_LEVEL ?? 'warn',
    // A command's reads are its user's own, in its own process (Ctrl-C stops them): no read
    // processes and no time limit unless QNTX_QUERY_TIME_LIMIT_MS asks for one.
    ...(process.env.QNTX_QUERY_TIME_LIMIT_MS ? {} : { queryTimeLimitMs: 0 }),
  });
}

export async function openForCli(flags: DbFlags): Promise<Qntx> {
  const settings = dbSettings(flags);
  // The whole application (Pulse, the Python runner, handlers, hooks): loaded for the commands that need it.
  const { createQntx } = await import('../app.js');
  return createQntx(settings, { logger: createLogger({ level: settings.logLevel }) });
}

/**
 * Runs `fn` with AX queries over the store and closes it afterwards: the database, the store and
 * the AX engine as createQntx wires them, and nothing else (no Pulse, Python runner or hooks,
 * whose modules are most of a command's start-up). For queries that start no `so` action.
 */
export async function withAxReader<T>(flags: DbFlags, fn: (ax: AxReader) => Promise<T>): Promise<T> {
  const settings = dbSettings(flags);
  const logger = createLogger({ level: settings.logLevel });
  const database = await openDatabase({
    dataDir: settings.dataDir,
    databaseUrl: settings.databaseUrl,
    readDatabaseUrl: settings.readDatabaseUrl,
    poolSize: settings.workerConcurrency + 8,
    queryTimeLimitMs: settings.queryTimeLimitMs,
    logger,
  });
  try {
    const store = await openAttestationStore(database);
    const sameness = samenessFromSettings(settings);
    const engine = new AxEngine({ store, aliasEdges: new AliasEdges(database), clock: systemClock, sameness });
    return await fn(new AxReader(engine, store, systemClock, sameness));
  } finally {
    await database.close();
  }
}

/** Runs `fn` with an open qntx and closes it afterwards. */
export async function withQntx<T>(flags: DbFlags, fn: (q: Qntx) => Promise<T>): Promise<T> {
  const q = await openForCli(flags);
  try {
    return await fn(q);
  } finally {
    await q.close();
  }
}
