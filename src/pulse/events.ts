// A typed in-process event bus of the ServerEvents of src/protocol.ts. Pulse emits after its
// transactions commit; the WebSocket layer (and, later, a LISTEN/NOTIFY bridge) subscribes.
import type { Logger } from '../logger.js';
import type { ServerEvent, ServerEventType } from '../protocol.js';
import type { Settled } from './job-ops.js';
import { scheduleToDto, type JobRow, type ScheduleRow } from './rows.js';

export type EventOf<T extends ServerEventType> = Extract<ServerEvent, { type: T }>;
type Listener = (event: ServerEvent) => void;

export class PulseEvents {
  private readonly any = new Set<Listener>();
  private readonly typed = new Map<ServerEventType, Set<Listener>>();

  constructor(private readonly logger?: Logger) {}

  /** Subscribes to one event type; returns the unsubscribe function. */
  on<T extends ServerEventType>(type: T, fn: (event: EventOf<T>) => void): () => void {
    let set = this.typed.get(type);
    if (!set) this.typed.set(type, (set = new Set()));
    const l = fn as Listener;
    set.add(l);
    return () => set.delete(l);
  }

  /** Subscribes to every event; returns the unsubscribe function. */
  onAny(fn: (event: ServerEvent) => void): () => void {
    this.any.add(fn);
    return () => this.any.delete(fn);
  }

  /** Delivers synchronously; a throwing listener is logged and never reaches the emitter. */
  emit(event: ServerEvent): void {
    for (const l of this.typed.get(event.type) ?? []) this.deliver(l, event);
    for (const l of this.any) this.deliver(l, event);
  }

  /** Resolves with the first event of `type` that matches `pred` (tests await these). */
  waitFor<T extends ServerEventType>(
    type: T,
    pred: (event: EventOf<T>) => boolean = () => true,
    signal?: AbortSignal,
  ): Promise<EventOf<T>> {
    return new Promise((resolve, reject) => {
      const off = this.on(type, (e) => {
        if (!pred(e)) return;
        off();
        resolve(e);
      });
      signal?.addEventListener(
        'abort',
        () => {
          off();
          reject(signal.reason instanceof Error ? signal.reason : new Error(`waiting for ${type} aborted`));
        },
        { once: true },
      );
    });
  }

  get listenerCount(): number {
    let n = this.any.size;
    for (const s of this.typed.values()) n += s.size;
    return n;
  }

  private deliver(l: Listener, event: ServerEvent): void {
    try {
      l(event);
    } catch (err) {
      this.logger?.error({ err, type: event.type }, 'event listener failed');
    }
  }
}

// What Pulse publishes for each change (called after the change committed).

export function jobUpdate(job: JobRow): EventOf<'job_update'> {
  return {
    type: 'job_update',
    job_id: job.id,
    handler_name: job.handler_name,
    status: job.status,
    progress: job.progress_current === null ? null : { current: job.progress_current, total: job.progress_total },
    schedule_id: job.schedule_id,
    error: job.error,
  };
}

export function scheduleUpdate(s: ScheduleRow): EventOf<'schedule_update'> {
  return { type: 'schedule_update', schedule: scheduleToDto(s), schedule_id: s.id };
}

/** A job reached an end state or went back to the queue (and maybe finished its execution). */
export function publishSettled(events: PulseEvents, s: Settled): void {
  events.emit(jobUpdate(s.job));
  const x = s.execution;
  if (x) {
    const common = {
      execution_id: x.id,
      schedule_id: x.schedule_id,
      duration_ms: x.duration_ms ?? 0,
      attestations_created: x.attestations_created,
    };
    if (x.status === 'completed') events.emit({ type: 'pulse_execution_completed', ...common });
    else {
      const details = JSON.parse(x.error_details) as string[];
      events.emit({ type: 'pulse_execution_failed', ...common, error: x.error ?? 'failed', error_details: details });
    }
  }
  if (s.schedule) events.emit(scheduleUpdate(s.schedule));
}
