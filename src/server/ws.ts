// WebSocket /ws: pushes ServerEvents to browsers. A client gets everything, or one schedule's
// events after {type:'subscribe', schedule_id}. Ping/pong drops dead peers; a client whose send
// buffer grows past a limit is dropped so that a slow consumer never holds the server back.
// The upgrade meets the HTTP checks: this server's Host and Origin, and the token as a Bearer
// header, or (from a browser, which cannot set that header) a single-use ticket offered as the
// subprotocol `qntx-ticket.<ticket>` beside `qntx`; never the query string, which ends up in logs
// and history. A refusal is an HTTP answer with the usual error body.
import { STATUS_CODES, type IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import type { FastifyInstance } from 'fastify';
import { WebSocketServer, type WebSocket } from 'ws';
import { z } from 'zod';
import type { Logger } from '../logger.js';
import type { ServerEvent } from '../protocol.js';
import { QntxError, UnauthorizedError, ValidationError, type ErrorBody } from '../errors.js';
import { isAuthorized, unauthorized } from './auth.js';
import { RequestGuard } from './request-guard.js';
import { offeredTicket, WS_PROTOCOL, WS_TICKET_PREFIX, type WsTickets } from './ws-tickets.js';

/** Where events come from: Pulse's event bus (which also carries the API's events). */
export interface EventSource {
  onAny(listener: (event: ServerEvent) => void): () => void;
}

export interface WsOptions {
  events: EventSource;
  token: string | undefined;
  /** The tickets POST /api/session/ws-ticket issues. */
  tickets: WsTickets;
  bindHost: string;
  allowedHosts: readonly string[];
  port(): number;
  logger: Logger;
  heartbeatMs?: number;
  /** Bytes queued for one client before it is dropped. */
  maxBuffered?: number;
}

const clientMessage = z.discriminatedUnion('type', [
  z.object({ type: z.literal('subscribe'), schedule_id: z.string().min(1).max(64).nullable().optional() }),
  z.object({ type: z.literal('ping') }),
]);

interface Client {
  socket: WebSocket;
  alive: boolean;
  scheduleId: string | null;
}

export function attachWebSocket(app: FastifyInstance, opts: WsOptions): () => void {
  const wss = new WebSocketServer({
    noServer: true,
    maxPayload: 64 * 1024,
    // A browser fails the connection unless one offered subprotocol is echoed: `qntx`, never the ticket.
    handleProtocols: (offered) => (offered.has(WS_PROTOCOL) ? WS_PROTOCOL : false),
  });
  const clients = new Set<Client>();
  const maxBuffered = opts.maxBuffered ?? 4 * 1024 * 1024;
  const guard = new RequestGuard({ bindHost: opts.bindHost, allowedHosts: opts.allowedHosts, port: opts.port });

  // A handshake the ws library finds malformed (method, Upgrade, key, version, subprotocol list)
  // is answered in the same error shape as the refusals below.
  wss.on('wsClientError', (err: Error, socket: Duplex) => {
    const status = err.message === 'Invalid HTTP method' ? 405 : 400;
    reject(socket, status, { error: `not a valid WebSocket handshake: ${err.message}`, details: ['path=/ws'], hint: 'open it with a WebSocket client' });
  });

  app.server.on('upgrade', (req: IncomingMessage, socket: Duplex, head: Buffer) => {
    const refusal = refusalOf(req);
    if (refusal) return reject(socket, refusal.status, refusal.body);
    wss.handleUpgrade(req, socket, head, (ws) => onConnection(ws));
  });

  /** Why an upgrade is refused (404 path, 403 Host/Origin, 400/401 credentials), or undefined. */
  function refusalOf(req: IncomingMessage): { status: number; body: ErrorBody } | undefined {
    const path = (req.url ?? '/').split('?')[0];
    if (path !== '/ws') return { status: 404, body: { error: 'not found', details: [`path=${path!.slice(0, 200)}`], hint: 'the WebSocket is at /ws' } };
    try {
      guard.checkUpgrade(req.headers);
      if (isAuthorized(req.headers, { token: opts.token })) return undefined;
      const offered = offeredTicket(req.headers['sec-websocket-protocol']);
      if (offered.ticket !== undefined && !offered.qntx) {
        throw new ValidationError(`a ticket must be offered beside the subprotocol '${WS_PROTOCOL}'`, {
          details: [`sec-websocket-protocol=${WS_PROTOCOL} missing`],
          hint: `new WebSocket(url, ['${WS_PROTOCOL}', '${WS_TICKET_PREFIX}<ticket>'])`,
        });
      }
      if (offered.ticket !== undefined && opts.tickets.redeem(offered.ticket)) return undefined;
      throw offered.ticket === undefined ? unauthorized() : badTicket();
    } catch (err) {
      if (err instanceof QntxError) return { status: err.status, body: err.toBody() };
      throw err;
    }
  }

  function onConnection(socket: WebSocket): void {
    const client: Client = { socket, alive: true, scheduleId: null };
    clients.add(client);
    socket.on('pong', () => (client.alive = true));
    socket.on('close', () => clients.delete(client));
    socket.on('error', () => clients.delete(client));
    socket.on('message', (data) => {
      let parsed: unknown;
      try {
        parsed = JSON.parse(String(data));
      } catch {
        return send(client, { type: 'error', error: 'invalid JSON', details: [] });
      }
      const msg = clientMessage.safeParse(parsed);
      if (!msg.success) return send(client, { type: 'error', error: 'unknown message', details: ['type=subscribe|ping'] });
      if (msg.data.type === 'subscribe') client.scheduleId = msg.data.schedule_id ?? null;
      else send(client, { type: 'pong', server_time: Date.now() });
    });
    send(client, { type: 'hello', server_time: Date.now() } satisfies ServerEvent);
  }

  function send(client: Client, message: object): void {
    if (client.socket.readyState !== client.socket.OPEN) return;
    if (client.socket.bufferedAmount > maxBuffered) {
      opts.logger.warn({ buffered: client.socket.bufferedAmount }, 'dropping slow WebSocket client');
      client.socket.terminate();
      clients.delete(client);
      return;
    }
    client.socket.send(JSON.stringify(message));
  }

  const unsubscribe = opts.events.onAny((event) => {
    const sid = scheduleOf(event);
    for (const c of clients) if (!c.scheduleId || c.scheduleId === sid) send(c, event);
  });

  const heartbeat = setInterval(() => {
    for (const c of clients) {
      if (!c.alive) {
        c.socket.terminate();
        clients.delete(c);
        continue;
      }
      c.alive = false;
      c.socket.ping();
    }
  }, opts.heartbeatMs ?? 30_000);
  heartbeat.unref();

  return () => {
    clearInterval(heartbeat);
    unsubscribe();
    for (const c of clients) c.socket.close(1001, 'server shutting down');
    wss.close();
  };
}

function badTicket(): QntxError {
  return new UnauthorizedError('unknown, used or expired WebSocket ticket', {
    details: ['sec-websocket-protocol=qntx-ticket'],
    hint: 'a ticket opens one connection within 30 s: get a new one from POST /api/session/ws-ticket',
  });
}

/** Answers a refused upgrade on the raw socket, in the error shape every HTTP error has. */
function reject(socket: Duplex, status: number, body: ErrorBody): void {
  const json = JSON.stringify(body);
  socket.end(
    `HTTP/1.1 ${status} ${STATUS_CODES[status] ?? 'Error'}\r\n` +
      'Connection: close\r\n' +
      'Content-Type: application/json; charset=utf-8\r\n' +
      'X-Content-Type-Options: nosniff\r\n' +
      `Content-Length: ${Buffer.byteLength(json)}\r\n\r\n${json}`,
  );
}

/** The schedule an event concerns, for clients subscribed to one schedule. */
function scheduleOf(event: ServerEvent): string | null {
  return 'schedule_id' in event ? (event.schedule_id ?? null) : null;
}
