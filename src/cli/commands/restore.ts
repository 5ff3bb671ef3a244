// `qntx restore <file>`: loads a backup into an empty store of either kind, then checks every
// table's count and the attestation ids against the backup.
import type { Command } from 'commander';
import { restore } from '../../ops/transfer.js';
import { cliSettings, dbOptions, type DbFlags } from '../context.js';
import { printJson } from '../output.js';
import { progressPrinter } from '../progress.js';

export function registerRestore(program: Command): void {
  dbOptions(
    program
      .command('restore')
      .description('load a backup into an empty store (SQLite or PostgreSQL) and verify it')
      .argument('<file>', 'a file written by `qntx backup`')
      .option('--restart', 'empty a store an interrupted restore left, and start over')
      .option('--quiet', 'no progress on stderr'),
  ).action(async (file: string, opts: DbFlags & { restart?: boolean; quiet?: boolean }) => {
    const s = cliSettings({ dataDir: opts.dataDir, databaseUrl: opts.databaseUrl });
    const to = s.databaseUrl ? { kind: 'postgres' as const, url: s.databaseUrl } : { kind: 'sqlite' as const, dataDir: s.dataDir };
    const res = await restore(file, to, { restart: opts.restart, onProgress: progressPrinter('restore', opts.quiet === true || opts.json === true) });
    if (opts.json) return printJson(res);
    const total = Object.values(res.tables).reduce((a, b) => a + b, 0);
    process.stdout.write(`restored ${file}: ${total} rows (${res.tables.attestations ?? 0} attestations), counts and attestation ids verified\n`);
  });
}
