// Rebuilds an event from the database when it was too large to travel inside a NOTIFY.
import type { ServerEvent } from '../protocol.js';
import type { EventLookup } from './pg-event-bridge.js';
import type { Pulse } from './pulse.js';

export function pulseEventLookup(pulse: Pulse): EventLookup {
  return {
    async resolve(ref, type, id) {
      if (ref === 'schedule') {
        const schedule = await pulse.getSchedule(id);
        return { type: 'schedule_update', schedule, schedule_id: id };
      }
      const x = await pulse.getExecution(id);
      const base = { execution_id: x.id, schedule_id: x.schedule_id };
      const duration_ms = x.duration_ms ?? 0;
      switch (type) {
        case 'pulse_execution_started':
          return { type, ...base, async_job_id: x.async_job_id, started_at: x.started_at };
        case 'pulse_execution_completed':
          return { type, ...base, duration_ms, attestations_created: x.attestations_created };
        case 'pulse_execution_failed':
          return { type, ...base, error: x.error ?? 'failed', error_details: x.error_details, duration_ms, attestations_created: x.attestations_created };
        default:
          return null satisfies ServerEvent | null;
      }
    },
  };
}
