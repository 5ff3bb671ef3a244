// A schedule's counts over every run, from GET /api/pulse/schedules/:id/stats, refetched when its
// newest execution changes (a run started or ended). null until the first answer (or when the
// server has no stats route).
import { useEffect, useState } from 'react';
import type { ExecutionDto } from '../../../../src/protocol.js';
import type { ScheduleStats } from '../../api/types.js';
import { useServices } from '../../app/services.js';

export function useScheduleStats(scheduleId: string, executions: readonly ExecutionDto[]): ScheduleStats | null {
  const { api } = useServices();
  const [stats, setStats] = useState<ScheduleStats | null>(null);
  const head = executions[0];
  const key = head ? `${head.id}:${head.status}:${executions.length}` : '';
  useEffect(() => {
    let live = true;
    api.pulse.stats(scheduleId).then(
      (s) => {
        if (live) setStats(s);
      },
      () => undefined,
    );
    return () => {
      live = false;
    };
  }, [api, scheduleId, key]);
  return stats;
}
