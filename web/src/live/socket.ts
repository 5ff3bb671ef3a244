// The live connection to /ws: parses ServerEvents, reconnects with backoff, reports its state.
// A browser's WebSocket cannot send the Bearer header: each attempt first gets a single-use ticket
// over HTTP (with the header) and offers it as a subprotocol beside `qntx`.
import type { ServerEvent } from '../../../src/protocol.js';
import { backoffDelay, type BackoffPolicy } from '../../../src/backoff.js';

/** Reconnects: 0.5 s, 1 s, 2 s… up to 15 s, at least half of each (never hammers, never waits for nothing). */
export const RECONNECT_BACKOFF: BackoffPolicy = { baseMs: 500, maxMs: 15_000, jitter: 0.5 };

export type ConnectionState =
  | { status: 'connecting'; attempt: number }
  | { status: 'open'; since: number }
  | { status: 'closed'; attempt: number; retryAt: number };

export interface LiveSocketOptions {
  url: string;
  /** The subprotocols of one attempt (a fresh ticket each time); a rejection counts as a failed attempt. */
  protocols?: () => Promise<string[]>;
  onEvent: (e: ServerEvent) => void;
  onState: (s: ConnectionState) => void;
}

export class LiveSocket {
  private ws: WebSocket | undefined;
  private attempt = 0;
  private timer: ReturnType<typeof setTimeout> | undefined;
  private stopped = false;
  /** Set while an attempt waits for its subprotocols (its ticket). */
  private connecting: object | undefined;

  constructor(private readonly opts: LiveSocketOptions) {}

  start(): void {
    this.stopped = false;
    this.connect();
  }

  stop(): void {
    this.stopped = true;
    this.connecting = undefined;
    if (this.timer) clearTimeout(this.timer);
    this.ws?.close();
    this.ws = undefined;
  }

  /** Skips the wait after a failure (the indicator's "retry now"). */
  retryNow(): void {
    if (this.ws || this.connecting || this.stopped) return;
    if (this.timer) clearTimeout(this.timer);
    this.connect();
  }

  private connect(): void {
    this.opts.onState({ status: 'connecting', attempt: this.attempt });
    const pending = this.opts.protocols?.();
    if (!pending) return this.open(undefined);
    // Marks the attempt as under way, so that retryNow() waits for it.
    const attempt = (this.connecting = {});
    pending.then(
      (protocols) => {
        if (this.connecting !== attempt) return;
        this.connecting = undefined;
        if (!this.stopped) this.open(protocols);
      },
      () => {
        if (this.connecting !== attempt) return;
        this.connecting = undefined;
        if (!this.stopped) this.scheduleRetry();
      },
    );
  }

  private open(protocols: string[] | undefined): void {
    let ws: WebSocket;
    try {
      ws = protocols ? new WebSocket(this.opts.url, protocols) : new WebSocket(this.opts.url);
    } catch {
      this.scheduleRetry();
      return;
    }
    this.ws = ws;
    ws.onopen = () => {
      this.attempt = 0;
      ws.send(JSON.stringify({ type: 'subscribe' }));
      this.opts.onState({ status: 'open', since: Date.now() });
    };
    ws.onmessage = (m) => {
      if (typeof m.data !== 'string') return;
      try {
        const e = JSON.parse(m.data) as ServerEvent;
        if (e && typeof e.type === 'string') this.opts.onEvent(e);
      } catch {
        // A malformed frame is dropped; the next refresh catches up.
      }
    };
    ws.onclose = () => {
      if (this.ws !== ws) return;
      this.ws = undefined;
      if (!this.stopped) this.scheduleRetry();
    };
  }

  private scheduleRetry(): void {
    const delay = backoffDelay(++this.attempt, RECONNECT_BACKOFF);
    this.opts.onState({ status: 'closed', attempt: this.attempt, retryAt: Date.now() + delay });
    this.timer = setTimeout(() => this.connect(), delay);
  }
}

/** The subprotocols that open /ws with a ticket: `qntx` (what the server echoes) and the ticket. */
export function ticketProtocols(ticket: string): string[] {
  return ['qntx', `qntx-ticket.${ticket}`];
}

/** Same origin as the page, and no credential in it (a URL ends up in logs): the ticket rides in a subprotocol. */
export function wsUrl(loc: { protocol: string; host: string }): string {
  return `${loc.protocol === 'https:' ? 'wss:' : 'ws:'}//${loc.host}/ws`;
}
