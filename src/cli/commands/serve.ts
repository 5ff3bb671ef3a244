// `qntx serve`: runs the HTTP API, the web app, the WebSocket and Pulse until SIGTERM/SIGINT.
// Prints one line with the URL to open, holding the access token.
import type { Command } from 'commander';
import { startServer } from '../../server/serve.js';
import { cliSettings } from '../context.js';

interface ServeFlags {
  host?: string;
  port?: string;
  dataDir?: string;
  databaseUrl?: string;
  databaseUrlFile?: string;
  readDatabaseUrl?: string;
  worker: boolean;
  /** false with --no-token (commander's negation). */
  token: boolean;
  allowedHost?: string[];
}

const collect = (v: string, prev: string[] = []) => [...prev, v];

export function registerServe(program: Command): void {
  program
    .command('serve')
    .description('run the server (default http://127.0.0.1:8770, SQLite in ./data)')
    .option('--host <host>', 'address to bind (QNTX_HOST)')
    .option('--port <port>', 'port, 0 = any free port (QNTX_PORT)')
    .option('--data-dir <dir>', 'data directory for SQLite (QNTX_DATA_DIR)')
    .option('--database-url <url>', 'PostgreSQL URL instead of SQLite (QNTX_DATABASE_URL; erased from the command line at start, better given by variable or file)')
    .option('--database-url-file <file>', 'a file (mode 0600) holding the PostgreSQL URL (QNTX_DATABASE_URL_FILE)')
    .option('--read-database-url <url>', 'a streaming replica for attestation and canvas reads (QNTX_READ_DATABASE_URL)')
    .option('--no-worker', 'do not run jobs in this process (API, UI and ticker only)')
    .option('--allowed-host <name>', 'also answer to this Host (a reverse proxy\'s name; repeatable; QNTX_ALLOWED_HOSTS)', collect)
    .option('--no-token', 'serve without an access token (loopback only; anyone on this machine gets in)')
    .action(async (opts: ServeFlags) => {
      const { worker, token, allowedHost, ...flags } = opts;
      const settings = cliSettings({
        ...flags,
        ...(worker ? {} : { workerConcurrency: 0 }),
        ...(token ? {} : { noToken: true }),
        ...(allowedHost ? { allowedHosts: allowedHost } : {}),
      });
      const server = await startServer(settings);
      if (!server.token) {
        process.stderr.write('warning: serving without an access token (--no-token): any program or user of this machine can run code through it\n');
      }
      process.stdout.write(`qntx listening on ${server.pageUrl}\n`);
      // As root runs are isolated by a mount namespace; otherwise that needs user namespaces: find
      // out now, so that a server whose runs get no secret says so at start (the runner logs why).
      if (process.getuid?.() !== 0) void server.qntx.runner.isolation().catch(() => undefined);
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
