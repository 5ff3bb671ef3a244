// Starts qntx as a server: the composition root's parts plus HTTP, and a clean shutdown.
import type { FastifyInstance } from 'fastify';
import { createQntx, type Qntx, type QntxOptions } from '../app.js';
import { isLoopback, type Settings } from '../config.js';
import { ConfigError } from '../errors.js';
import { VERSION, WEB_DIST } from '../version.js';
import { buildServer } from './app.js';
import { attachWebSocket } from './ws.js';

export interface RunningServer {
  url: string;
  qntx: Qntx;
  app: FastifyInstance;
  close(): Promise<void>;
}

/** A non-loopback bind without a token would expose arbitrary code execution: refuse it. */
export function checkBindSafety(settings: Settings): void {
  if (!isLoopback(settings.host) && !settings.token) {
    throw new ConfigError(`refusing to listen on ${settings.host} without an access token`, {
      details: [`host=${settings.host}`],
      hint: 'set QNTX_TOKEN (at least 16 characters) or bind to 127.0.0.1',
    });
  }
}

export async function startServer(settings: Settings, opts: QntxOptions = {}): Promise<RunningServer> {
  checkBindSafety(settings);
  const qntx = await createQntx(settings, opts);
  let app: FastifyInstance;
  let detachWs: () => void;
  try {
    app = await buildServer({
      qntx,
      version: VERSION,
      actor: 'api',
      token: settings.token,
      webDir: WEB_DIST,
      publish: (e) => qntx.events.emit(e),
    });
    detachWs = attachWebSocket(app, { events: qntx.allEvents, token: settings.token, logger: qntx.logger });
    await app.listen({ host: settings.host, port: settings.port });
    await qntx.start();
  } catch (err) {
    await qntx.close();
    throw err;
  }
  const addr = app.server.address();
  const port = typeof addr === 'object' && addr ? addr.port : settings.port;
  const host = settings.host.includes(':') && !settings.host.startsWith('[') ? `[${settings.host}]` : settings.host;
  let closing: Promise<void> | undefined;
  return {
    url: `http://${host}:${port}`,
    qntx,
    app,
    close: () =>
      (closing ??= (async () => {
        // Stop taking requests, let running jobs finish (grace), then close the database.
        detachWs();
        await app.close();
        await qntx.pulse.stop(settings.shutdownGraceMs);
        await qntx.close();
      })()),
  };
}
