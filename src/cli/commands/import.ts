// `qntx import <file.jsonl>`: one attestation per line, with a progress bar on a terminal.
import type { Command } from 'commander';
import { importJsonl, type ImportProgress } from '../../ats/import.js';
import { dbOptions, withQntx, type DbFlags } from '../context.js';
import { printJson, terminalSafe } from '../output.js';

export function registerImport(program: Command): void {
  dbOptions(
    program
      .command('import')
      .description('import attestations from a JSON-lines file (one attestation per line)')
      .argument('<file>', 'the .jsonl file')
      .option('--skip-invalid', 'skip bad lines (reported) instead of stopping at the first one')
      .option('--batch-size <n>', 'attestations per transaction', '20000')
  )
    .action(async (file: string, opts: DbFlags & { skipInvalid?: boolean; batchSize: string }) => {
      const started = Date.now();
      const tty = process.stderr.isTTY && !opts.json;
      const bar = (p: ImportProgress, total: number) => {
        const secs = Math.max(0.001, (Date.now() - started) / 1000);
        const frac = total ? Math.min(1, p.bytes / total) : 0;
        const width = 30;
        const filled = Math.round(frac * width);
        process.stderr.write(
          `\r[${'#'.repeat(filled)}${'.'.repeat(width - filled)}] ${(frac * 100).toFixed(0).padStart(3)}%  ${p.imported} imported  ${Math.round(p.imported / secs)}/s `,
        );
      };
      const { size } = await import('node:fs').then((fs) => fs.promises.stat(file));
      const res = await withQntx(opts, (q) =>
        importJsonl(q.ats, file, {
          skipInvalid: opts.skipInvalid ?? false,
          batchSize: Math.max(1, Number(opts.batchSize) || 20_000),
          ...(tty ? { onProgress: (p: ImportProgress) => bar(p, size) } : {}),
        }),
      );
      if (tty) process.stderr.write('\n');
      const secs = (Date.now() - started) / 1000;
      const rate = Math.round(res.imported / Math.max(secs, 0.001));
      if (opts.json) return printJson({ ...res, seconds: secs, rate });
      for (const e of res.errors) process.stderr.write(`skipped line ${e.line}: ${terminalSafe(e.error)}\n`);
      process.stdout.write(
        `imported ${res.imported} attestation(s) from ${res.lines} line(s) in ${secs.toFixed(2)} s (${rate}/s): ` +
          `${res.created} new, ${res.already_known} already known${res.skipped ? `, skipped ${res.skipped} invalid` : ''}\n`,
      );
    });
}
