// What the HTTP layer needs from the rest of qntx, passed in by the composition root.
import type { Qntx } from '../app.js';
import type { ServerEvent } from '../protocol.js';

export interface ServerDeps {
  qntx: Qntx;
  version: string;
  /** The actor recorded on attestations made through the API without one. */
  actor: string;
  /** Bearer token required on /api and /ws, when set. */
  token?: string | undefined;
  /** Directory of the built web app, served at /. */
  webDir?: string | undefined;
  /** Publishes an event to WebSocket clients. */
  publish?: (event: ServerEvent) => void;
}
