// `qntx migrate --from <data-dir|url> --to <data-dir|url>`: copies a store into another (SQLite to
// PostgreSQL or back), streaming, resumable after an interruption, verified at the end.
import type { Command } from 'commander';
import { parseLocation } from '../../ops/location.js';
import { migrateStore } from '../../ops/transfer.js';
import { printJson } from '../output.js';
import { progressPrinter } from '../progress.js';

export function registerMigrate(program: Command): void {
  program
    .command('migrate')
    .description('copy a store into an empty one of either kind (e.g. SQLite to PostgreSQL), resumable, verified')
    .requiredOption('--from <store>', 'the source: a data directory (SQLite) or a postgres:// URL; only read')
    .requiredOption('--to <store>', 'the target: a data directory or a postgres:// URL; must be empty or an interrupted migrate from the same source')
    .option('--restart', 'empty a target an interrupted migrate left, and start over')
    .option('--batch-size <n>', 'rows per transaction', '2000')
    .option('--quiet', 'no progress on stderr')
    .option('--json', 'print JSON')
    .action(async (opts: { from: string; to: string; restart?: boolean; batchSize: string; quiet?: boolean; json?: boolean }) => {
      const res = await migrateStore(parseLocation(opts.from), parseLocation(opts.to), {
        restart: opts.restart,
        batch: Math.max(1, Math.min(100_000, Number(opts.batchSize) || 2000)),
        onProgress: progressPrinter('migrate', opts.quiet === true || opts.json === true),
      });
      if (opts.json) return printJson(res);
      const total = Object.values(res.tables).reduce((a, b) => a + b, 0);
      process.stdout.write(
        `migrated ${total} rows (${res.tables.attestations ?? 0} attestations)${res.resumed ? ', resuming an interrupted run,' : ''} counts and attestation ids verified\n`,
      );
    });
}
