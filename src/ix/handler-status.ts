// The last run of each handler type, read from the schedules that run it.
import type { Pulse } from '../pulse/pulse.js';
import type { ExecutionStatus } from '../protocol.js';

export interface LastRun {
  status: ExecutionStatus | null;
  at: number | null;
  schedule_id: string;
}

export async function lastRunsByType(pulse: Pulse): Promise<Map<string, LastRun>> {
  const out = new Map<string, LastRun>();
  let cursor: string | undefined;
  do {
    const page = await pulse.listSchedules({ handler_name: 'python.script' }, { limit: 500, cursor });
    for (const s of page.items) {
      const type = (s.payload as { script_type?: unknown } | null)?.script_type;
      if (typeof type !== 'string' || s.last_run_at === null) continue;
      const prev = out.get(type);
      if (!prev || (prev.at ?? 0) < s.last_run_at) out.set(type, { status: s.last_status, at: s.last_run_at, schedule_id: s.id });
    }
    cursor = page.next_cursor ?? undefined;
  } while (cursor);
  return out;
}
