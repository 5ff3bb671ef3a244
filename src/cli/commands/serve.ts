// `qntx serve`: runs the HTTP API, the web app, the WebSocket and Pulse until SIGTERM/SIGINT.
import type { Command } from 'commander';
import { startServer } from '../../server/serve.js';
import { cliSettings } from '../context.js';

export function registerServe(program: Command): void {
  program
    .command('serve')
    .description('run the server (default http://127.0.0.1:8770, SQLite in ./data)')
    .option('--host <host>', 'address to bind (QNTX_HOST); non-loopback requires QNTX_TOKEN')
    .option('--port <port>', 'port, 0 = any free port (QNTX_PORT)')
    .option('--data-dir <dir>', 'data directory for SQLite (QNTX_DATA_DIR)')
    .option('--database-url <url>', 'PostgreSQL URL instead of SQLite (QNTX_DATABASE_URL)')
    .option('--no-worker', 'do not run jobs in this process (API, UI and ticker only)')
    .action(async (opts: { host?: string; port?: string; dataDir?: string; databaseUrl?: string; worker: boolean }) => {
      const { worker, ...flags } = opts;
      const settings = cliSettings({ ...flags, ...(worker ? {} : { workerConcurrency: 0 }) });
      const server = await startServer(settings);
      process.stdout.write(`qntx listening on ${server.url}\n`);
      let stopping = false;
      const stop = (signal: string) => {
        if (stopping) return;
        stopping = true;
        server.qntx.logger.info({ signal }, 'shutting down');
        server.close().then(
          () => process.exit(0),
          (err: unknown) => {
            server.qntx.logger.error({ err }, 'shutdown failed');
            process.exit(1);
          },
        );
      };
      process.on('SIGTERM', () => stop('SIGTERM'));
      process.on('SIGINT', () => stop('SIGINT'));
    });
}
