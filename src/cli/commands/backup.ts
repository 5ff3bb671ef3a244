// `qntx backup <file>`: a consistent snapshot of the whole store (running server or not) as a
// gzip'd JSON-lines file that `qntx restore` loads into SQLite or PostgreSQL.
import type { Command } from 'commander';
import { backup } from '../../ops/transfer.js';
import { cliSettings, dbOptions, type DbFlags } from '../context.js';
import { printJson } from '../output.js';
import { progressPrinter } from '../progress.js';

export function registerBackup(program: Command): void {
  dbOptions(
    program
      .command('backup')
      .description('write a consistent snapshot of the store (attestations, handlers, schedules, secrets sealed, canvas, hooks) to a file')
      .argument('<file>', 'the backup file to write (gzip\'d JSON lines; replaced when the backup is complete)')
      .option('--quiet', 'no progress on stderr'),
  ).action(async (file: string, opts: DbFlags & { quiet?: boolean }) => {
    const s = cliSettings({ dataDir: opts.dataDir, databaseUrl: opts.databaseUrl });
    const from = s.databaseUrl ? { kind: 'postgres' as const, url: s.databaseUrl } : { kind: 'sqlite' as const, dataDir: s.dataDir };
    const res = await backup(from, file, progressPrinter('backup', opts.quiet === true || opts.json === true));
    if (opts.json) return printJson(res);
    process.stdout.write(
      `backup ${file}: ${res.rows} rows (${res.tables.attestations ?? 0} attestations), attestation checksum ${res.attestationChecksum.slice(0, 16)}\n` +
        'secrets are in it sealed: keep the secret key (QNTX_SECRET_KEY or <data-dir>/secret.key) backed up apart from it\n',
    );
  });
}
