// Single-use tickets for opening /ws from a browser, which cannot set an Authorization header on a
// WebSocket: the page asks for one with its Bearer token and offers it as a subprotocol. A ticket
// is 256 random bits, lives 30 s, opens one connection, and is kept in memory only (as its
// SHA-256); at most `max` are outstanding, the oldest giving way to a new one.
import { createHash, randomBytes } from 'node:crypto';

export const WS_TICKET_TTL_MS = 30_000;
export const WS_TICKETS_MAX = 256;
/** The subprotocol the server answers with; a ticket rides beside it as `qntx-ticket.<ticket>`. */
export const WS_PROTOCOL = 'qntx';
export const WS_TICKET_PREFIX = 'qntx-ticket.';

export interface WsTicketOptions {
  /** Milliseconds since the epoch (the server's clock). */
  now(): number;
  ttlMs?: number;
  max?: number;
}

const digest = (ticket: string) => createHash('sha256').update(ticket, 'utf8').digest('hex');

export class WsTickets {
  /** Digest → expiry, oldest first (a Map keeps insertion order). */
  private readonly live = new Map<string, number>();
  private readonly ttlMs: number;
  private readonly max: number;

  constructor(private readonly o: WsTicketOptions) {
    this.ttlMs = o.ttlMs ?? WS_TICKET_TTL_MS;
    this.max = o.max ?? WS_TICKETS_MAX;
  }

  issue(): { ticket: string; expires_at: number } {
    const now = this.o.now();
    this.sweep(now);
    while (this.live.size >= this.max) this.live.delete(this.live.keys().next().value!);
    const ticket = randomBytes(32).toString('base64url');
    const expires_at = now + this.ttlMs;
    this.live.set(digest(ticket), expires_at);
    return { ticket, expires_at };
  }

  /** Whether `ticket` is outstanding and unexpired; it is spent either way. */
  redeem(ticket: string): boolean {
    const key = digest(ticket);
    const expires = this.live.get(key);
    if (expires === undefined) return false;
    this.live.delete(key);
    return this.o.now() < expires;
  }

  /** How many are outstanding (expired ones included until the next issue sweeps them). */
  get size(): number {
    return this.live.size;
  }

  private sweep(now: number): void {
    for (const [key, expires] of this.live) if (expires <= now) this.live.delete(key);
  }
}

/** The ticket offered in a Sec-WebSocket-Protocol header, if any, and whether `qntx` is offered too. */
export function offeredTicket(header: string | undefined): { ticket: string | undefined; qntx: boolean } {
  const offered = (header ?? '').split(',').map((s) => s.trim()).filter(Boolean);
  const entry = offered.find((p) => p.startsWith(WS_TICKET_PREFIX));
  return { ticket: entry?.slice(WS_TICKET_PREFIX.length) || undefined, qntx: offered.includes(WS_PROTOCOL) };
}
