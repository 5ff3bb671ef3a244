// Opens qntx for a CLI command from its --data-dir / --database-url flags (the CLI talks to the
// database directly; SQLite's WAL lets it do so while a server runs on the same data dir).
import type { Command } from 'commander';
import { createQntx, type Qntx } from '../app.js';
import { loadSettings, type Settings, type SettingsInput } from '../config.js';
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

export async function openForCli(flags: DbFlags): Promise<Qntx> {
  const settings = cliSettings({
    dataDir: flags.dataDir,
    databaseUrl: flags.databaseUrl,
    logLevel: process.env.QNTX_LOG_LEVEL ?? 'warn',
    // A command's reads are its user's own, in its own process (Ctrl-C stops them): no read
    // processes and no time limit unless QNTX_QUERY_TIME_LIMIT_MS asks for one.
    ...(process.env.QNTX_QUERY_TIME_LIMIT_MS ? {} : { queryTimeLimitMs: 0 }),
  });
  return createQntx(settings, { logger: createLogger({ level: settings.logLevel }) });
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
