// Starts qntx as a server: the composition root's parts plus HTTP, and a clean shutdown. Resolves
// the access token (QNTX_TOKEN, else <data-dir>/token, generated once) unless --no-token.
import path from 'node:path';
import type { FastifyInstance } from 'fastify';
import { createQntx, type Qntx, type QntxOptions } from '../app.js';
import type { Settings } from '../config.js';
import { ConfigError } from '../errors.js';
import { VERSION, WEB_DIST } from '../version.js';
import { buildServer } from './app.js';
import { bindsLoopbackOnly, hostLiteral } from './bind-address.js';
import { loadOrCreateToken } from './token-file.js';
import { WsTickets } from './ws-tickets.js';
import { attachWebSocket } from './ws.js';

export interface RunningServer {
  /** The base URL, e.g. http://127.0.0.1:8770. */
  url: string;
  /** What to open in a browser: the base URL with ?token=… (the line `qntx serve` prints). */
  pageUrl: string;
  /** The access token; undefined with --no-token. */
  token: string | undefined;
  qntx: Qntx;
  app: FastifyInstance;
  close(): Promise<void>;
}

/** --no-token exposes code execution to anyone who reaches the port: only on loopback. */
export async function checkBindSafety(settings: Settings): Promise<void> {
  if (settings.noToken && !(await bindsLoopbackOnly(settings.host))) {
    throw new ConfigError(`refusing --no-token on ${settings.host}: it is not a loopback address`, {
      details: [`host=${settings.host}`],
      hint: 'drop --no-token (a token is generated), or bind to 127.0.0.1',
    });
  }
}

export function resolveToken(settings: Settings): string | undefined {
  if (settings.noToken) return undefined;
  return settings.token ?? loadOrCreateToken(settings.tokenFile ?? path.join(settings.dataDir, 'token'));
}

export async function startServer(settings: Settings, opts: QntxOptions = {}): Promise<RunningServer> {
  await checkBindSafety(settings);
  const token = resolveToken(settings);
  const qntx = await createQntx(settings, opts);
  let app: FastifyInstance;
  let detachWs: () => void;
  // Issued by a route, redeemed by the WebSocket upgrade: one store for both.
  const wsTickets = new WsTickets({ now: () => qntx.clock.now() });
  try {
    app = await buildServer({
      qntx,
      version: VERSION,
      actor: 'api',
      token,
      bindHost: settings.host,
      allowedHosts: settings.allowedHosts,
      limits: settings,
      webDir: WEB_DIST,
      wsTickets,
      publish: (e) => qntx.events.emit(e),
    });
    detachWs = attachWebSocket(app, {
      events: qntx.allEvents,
      token,
      tickets: wsTickets,
      bindHost: settings.host,
      allowedHosts: settings.allowedHosts,
      port: () => portOf(app),
      logger: qntx.logger,
    });
    await app.listen({ host: settings.host, port: settings.port });
    await qntx.start();
  } catch (err) {
    await qntx.close();
    throw err;
  }
  if (!token) qntx.logger.warn({ host: settings.host }, 'serving without an access token (--no-token)');
  const url = `http://${hostLiteral(settings.host)}:${portOf(app)}`;
  let closing: Promise<void> | undefined;
  return {
    url,
    pageUrl: token ? `${url}/?token=${encodeURIComponent(token)}` : `${url}/`,
    token,
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

function portOf(app: FastifyInstance): number {
  const addr = app.server.address();
  return typeof addr === 'object' && addr ? addr.port : 0;
}
