// What the HTTP layer needs from the rest of qntx, passed in by the composition root.
import type { Qntx } from '../app.js';
import type { ServerEvent } from '../protocol.js';
import type { WsTickets } from './ws-tickets.js';

export interface ServerLimits {
  requestTimeoutMs: number;
  connectionTimeoutMs: number;
  /** Pages of list routes stop near this many bytes. */
  responseBudgetBytes: number;
}

export interface ServerDeps {
  qntx: Qntx;
  version: string;
  /** The actor recorded on attestations made through the API without one. */
  actor: string;
  /** The access token every route but /health and the page needs; undefined with --no-token. */
  token: string | undefined;
  /** The address the server binds: Host headers must name it, a loopback name, or an allowed host. */
  bindHost: string;
  allowedHosts: readonly string[];
  limits: ServerLimits;
  /** Directory of the built web app, served at /. */
  webDir?: string | undefined;
  /** The single-use tickets that open /ws from a browser; shared with the WebSocket server. */
  wsTickets?: WsTickets;
  /** Publishes an event to WebSocket clients. */
  publish?: (event: ServerEvent) => void;
}
