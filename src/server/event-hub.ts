// Fan-out of server events to subscribers (the WebSocket clients of this process). Sources are
// Pulse's event bus, the API, and on PostgreSQL the NOTIFY listener of other processes' events.
import type { ServerEvent } from '../protocol.js';

export type EventListener = (event: ServerEvent) => void;

export class EventHub {
  private readonly listeners = new Set<EventListener>();

  publish(event: ServerEvent): void {
    for (const l of this.listeners) {
      try {
        l(event);
      } catch {
        // One bad listener must not stop the others; listeners handle their own errors.
      }
    }
  }

  subscribe(listener: EventListener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  get size(): number {
    return this.listeners.size;
  }
}

/** The schedule an event concerns, for clients subscribed to one schedule. */
export function scheduleOf(event: ServerEvent): string | null {
  return 'schedule_id' in event ? (event.schedule_id ?? null) : null;
}
