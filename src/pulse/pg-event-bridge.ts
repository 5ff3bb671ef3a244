// Fan-out of events between processes on one PostgreSQL (LISTEN/NOTIFY): every local event is
// NOTIFYed; events of other processes arrive here and reach this process's listeners (its
// WebSocket clients) and wake its worker when a job was queued. A payload over PostgreSQL's
// 8000-byte limit travels as a reference (ids) and is read back from the database. Outgoing
// events wait in a bounded outbox (kept while disconnected; the excess dropped and counted) and
// go out in batches, one statement per batch, in order.
import { createHash, randomBytes } from 'node:crypto';
import pg from 'pg';
import { backoffDelay } from '../backoff.js';
import type { Logger } from '../logger.js';
import type { ServerEvent } from '../protocol.js';
import type { PulseEvents } from './events.js';

/** One channel per schema: NOTIFY is database-wide, and several qntx (or tests) may share a database. */
export function channelFor(schema: string): string {
  return `qntx_events_${createHash('sha256').update(schema).digest('hex').slice(0, 16)}`;
}
/** NOTIFY payloads must stay under 8000 bytes; keep a margin for the envelope. */
const MAX_INLINE = 7000;

type Envelope = { o: string; e: ServerEvent } | { o: string; ref: 'execution' | 'schedule'; type: ServerEvent['type']; id: string };

export interface EventLookup {
  /** Rebuilds an event that was too large to send inline. */
  resolve(ref: 'execution' | 'schedule', type: ServerEvent['type'], id: string): Promise<ServerEvent | null>;
}

export interface PgEventBridgeOptions {
  config: pg.ClientConfig;
  local: PulseEvents;
  lookup: EventLookup;
  logger: Logger;
  /** Called when another process queued a job (wakes this process's worker). */
  onRemoteJob?: () => void;
  /** Reconnect backoff bounds, ms. */
  minBackoffMs?: number;
  maxBackoffMs?: number;
  /** Events waiting to be sent at most (default 10,000); more are dropped and counted. */
  maxOutbox?: number;
}

/** NOTIFYs per statement. */
const BATCH = 200;

export class PgEventBridge {
  readonly origin = randomBytes(6).toString('hex');
  private listener: pg.Client | null = null;
  private notifier: pg.Client | null = null;
  private readonly remote = new Set<(e: ServerEvent) => void>();
  private unsubscribe: (() => void) | null = null;
  private stopped = false;
  /** Reconnect attempts since the last good connection. */
  private failures = 0;
  private reconnectTimer: NodeJS.Timeout | null = null;
  private outbox: string[] = [];
  private sending: Promise<void> | null = null;
  private channel: string | null = null;
  /** Events dropped because the outbox was full (the database unreachable for long). */
  dropped = 0;

  constructor(private readonly o: PgEventBridgeOptions) {}

  async start(): Promise<void> {
    this.unsubscribe = this.o.local.onAny((e) => this.forward(e));
    await this.connect();
  }

  /** Local and remote events together: what a WebSocket layer subscribes to. */
  onAny(listener: (e: ServerEvent) => void): () => void {
    const offLocal = this.o.local.onAny(listener);
    this.remote.add(listener);
    return () => {
      offLocal();
      this.remote.delete(listener);
    };
  }

  async stop(): Promise<void> {
    this.stopped = true;
    this.unsubscribe?.();
    if (this.reconnectTimer) clearTimeout(this.reconnectTimer);
    await this.sending;
    for (const c of [this.listener, this.notifier]) await c?.end().catch(() => {});
    this.listener = this.notifier = null;
  }

  private forward(e: ServerEvent): void {
    let text = JSON.stringify({ o: this.origin, e } satisfies Envelope);
    if (Buffer.byteLength(text) > MAX_INLINE) text = JSON.stringify({ o: this.origin, e: shrink(e) } satisfies Envelope);
    if (Buffer.byteLength(text) > MAX_INLINE) {
      const ref = referenceOf(e);
      if (!ref) {
        this.o.logger.warn({ type: e.type }, 'event too large to fan out');
        return;
      }
      text = JSON.stringify({ o: this.origin, ...ref } satisfies Envelope);
    }
    if (this.outbox.length >= (this.o.maxOutbox ?? 10_000)) {
      if (this.dropped++ % 1000 === 0) this.o.logger.warn({ dropped: this.dropped, type: e.type }, 'event outbox is full: events to other processes dropped');
      return;
    }
    this.outbox.push(text);
    this.send();
  }

  /** Drains the outbox in batches, in order, one statement at a time, while connected. */
  private send(): void {
    if (this.sending || !this.notifier) return;
    this.sending = (async () => {
      while (this.outbox.length && this.notifier) {
        const batch = this.outbox.splice(0, BATCH);
        try {
          // unnest() yields the payloads in array order: the NOTIFYs are queued in that order.
          await this.notifier.query('select pg_notify($1, t) from unnest($2::text[]) as t', [this.channel, batch]);
        } catch (err) {
          this.o.logger.warn({ err, events: batch.length }, 'event NOTIFY failed: events to other processes lost');
        }
      }
    })().finally(() => {
      this.sending = null;
    });
  }

  private async connect(): Promise<void> {
    const listener = new pg.Client(this.o.config);
    const notifier = new pg.Client(this.o.config);
    try {
      // Before they are in use, their errors reach the awaits below; after, they mean a reconnect.
      for (const c of [listener, notifier]) c.on('error', (err) => (c === this.listener || c === this.notifier) && this.lost(err));
      await listener.connect();
      await notifier.connect();
      const { rows } = await listener.query<{ s: string }>('select current_schema() as s');
      this.channel = channelFor(rows[0]?.s ?? 'public');
      listener.on('notification', (n) => {
        if (n.channel === this.channel) this.receive(n.payload ?? '').catch((err: unknown) => this.o.logger.warn({ err }, 'event from another process failed'));
      });
      await listener.query(`listen ${this.channel}`);
      if (this.stopped) throw new Error('event bridge stopped');
      this.listener = listener;
      this.notifier = notifier;
      this.failures = 0;
      this.send();
    } catch (err) {
      // Close what this attempt opened: a half-made pair would leak a connection per retry.
      for (const c of [listener, notifier]) await c.end().catch(() => {});
      this.lost(err);
    }
  }

  private lost(err: unknown): void {
    if (this.stopped || this.reconnectTimer) return;
    // Full jitter: many servers losing PostgreSQL at once do not reconnect in step.
    const wait = backoffDelay(++this.failures, { baseMs: this.o.minBackoffMs ?? 250, maxMs: this.o.maxBackoffMs ?? 10_000, jitter: 1 });
    this.o.logger.warn({ err, retryInMs: wait }, 'event bridge connection lost; reconnecting');
    for (const c of [this.listener, this.notifier]) c?.end().catch(() => {});
    this.listener = this.notifier = null;
    this.reconnectTimer = setTimeout(() => {
      this.reconnectTimer = null;
      void this.connect();
    }, wait);
    this.reconnectTimer.unref();
  }

  private async receive(payload: string): Promise<void> {
    let env: Envelope;
    try {
      env = JSON.parse(payload) as Envelope;
    } catch {
      return;
    }
    if (env.o === this.origin) return;
    let event: ServerEvent | null = 'e' in env ? env.e : null;
    if (!event && 'ref' in env) {
      try {
        event = await this.o.lookup.resolve(env.ref, env.type, env.id);
      } catch (err) {
        this.o.logger.warn({ err, ref: env.ref, type: env.type, id: env.id }, 'could not read back an event of another process');
        return;
      }
    }
    if (!event) return;
    if (event.type === 'job_update' && event.status === 'queued') this.o.onRemoteJob?.();
    for (const l of this.remote) {
      try {
        l(event);
      } catch (err) {
        this.o.logger.warn({ err }, 'event listener failed');
      }
    }
  }
}

function referenceOf(e: ServerEvent): { ref: 'execution' | 'schedule'; type: ServerEvent['type']; id: string } | null {
  if ('execution_id' in e && e.execution_id) return { ref: 'execution', type: e.type, id: e.execution_id };
  if (e.type === 'schedule_update') return { ref: 'schedule', type: e.type, id: e.schedule_id };
  return null;
}

/** Cuts long error texts (the usual reason an event is large) before falling back to a reference. */
function shrink(e: ServerEvent): ServerEvent {
  const out = { ...e } as Record<string, unknown>;
  if (typeof out.error === 'string' && out.error.length > 1000) out.error = out.error.slice(0, 1000) + '…';
  if (Array.isArray(out.error_details)) out.error_details = (out.error_details as string[]).slice(0, 20).map((d) => d.slice(0, 200));
  return out as ServerEvent;
}
