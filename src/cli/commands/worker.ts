// `qntx worker`: a process that only claims and runs jobs (no HTTP, no ticker), for scale-out.
import type { Command } from 'commander';
import { createQntx } from '../../app.js';
import { ValidationError } from '../../errors.js';
import { createLogger } from '../../logger.js';
import { cliSettings } from '../context.js';

export function registerWorker(program: Command): void {
  program
    .command('worker')
    .description('run jobs only (scale-out): qntx worker --database-url U [--concurrency N] [--handlers a,b]')
    .option('--database-url <url>', 'PostgreSQL URL (QNTX_DATABASE_URL; erased from the command line at start)')
    .option('--database-url-file <file>', 'a file (mode 0600) holding the PostgreSQL URL (QNTX_DATABASE_URL_FILE)')
    .option('--data-dir <dir>', 'data directory (files beside the database; the database itself must be PostgreSQL)')
    .option('--concurrency <n>', 'jobs at once (QNTX_WORKER_CONCURRENCY)')
    .option('--handlers <names>', 'only these job handlers, comma-separated')
    .action(async (o: { databaseUrl?: string; databaseUrlFile?: string; dataDir?: string; concurrency?: string; handlers?: string }) => {
      const settings = cliSettings({ databaseUrl: o.databaseUrl, databaseUrlFile: o.databaseUrlFile, dataDir: o.dataDir, workerConcurrency: o.concurrency });
      if (!settings.databaseUrl) {
        // On SQLite the one server both schedules and runs jobs; a worker beside it would only
        // compete for the file, and without it nothing would ever make a job for the worker to run.
        throw new ValidationError('qntx worker needs PostgreSQL: on SQLite, `qntx serve` runs the jobs itself', {
          details: [`data_dir=${settings.dataDir}`],
          hint: 'run `qntx serve --data-dir D` (schedules made with `qntx ix` run there), or give --database-url / QNTX_DATABASE_URL for workers',
        });
      }
      const logger = createLogger({ level: settings.logLevel, name: 'qntx-worker' });
      const handlers = o.handlers?.split(',').map((s) => s.trim()).filter(Boolean);
      const qntx = await createQntx(settings, {
        logger,
        pulse: { ticker: false, concurrency: Math.max(1, settings.workerConcurrency), ...(handlers?.length ? { handlers } : {}) },
      });
      await qntx.start();
      // Not root, runs are isolated only with user namespaces: find out now (the runner logs why not).
      if (process.getuid?.() !== 0) void qntx.runner.isolation().catch(() => undefined);
      process.stdout.write(`qntx worker ${qntx.pulse.workerId} running (${qntx.database.kind}, concurrency ${Math.max(1, settings.workerConcurrency)})\n`);
      let stopping = false;
      const stop = (signal: string) => {
        if (stopping) return;
        stopping = true;
        logger.info({ signal }, 'worker stopping');
        qntx.pulse
          .stop(settings.shutdownGraceMs)
          .then(() => qntx.close())
          .then(
            () => process.exit(0),
            (err: unknown) => {
              logger.error({ err }, 'worker stop failed');
              process.exit(1);
            },
          );
      };
      process.on('SIGTERM', () => stop('SIGTERM'));
      process.on('SIGINT', () => stop('SIGINT'));
    });
}
