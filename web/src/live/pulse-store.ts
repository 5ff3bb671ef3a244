// What the canvas knows about Pulse: schedules and their recent executions, fed by HTTP answers and
// WebSocket events through one pure reducer, so IX glyphs and Pulse panels read the same truth.
import type { ExecutionDto, ScheduleDto, ServerEvent } from '../../../src/protocol.js';

export interface PulseState {
  readonly loaded: boolean;
  readonly schedules: Readonly<Record<string, ScheduleDto>>;
  /** Per schedule id, newest first. */
  readonly executions: Readonly<Record<string, readonly ExecutionDto[]>>;
}

export type PulseAction =
  | { type: 'schedulesLoaded'; schedules: readonly ScheduleDto[] }
  | { type: 'scheduleLoaded'; schedule: ScheduleDto }
  | { type: 'scheduleRemoved'; id: string }
  | { type: 'executionsLoaded'; scheduleId: string; executions: readonly ExecutionDto[] }
  | { type: 'event'; event: ServerEvent };

export const MAX_EXECUTIONS = 30;

export const emptyPulse: PulseState = { loaded: false, schedules: {}, executions: {} };

export function pulseReducer(state: PulseState, action: PulseAction): PulseState {
  switch (action.type) {
    case 'schedulesLoaded': {
      const schedules: Record<string, ScheduleDto> = {};
      for (const s of action.schedules) schedules[s.id] = s;
      const executions: Record<string, readonly ExecutionDto[]> = {};
      for (const id of Object.keys(schedules)) if (state.executions[id]) executions[id] = state.executions[id];
      return { loaded: true, schedules, executions };
    }
    case 'scheduleLoaded':
      return { ...state, schedules: { ...state.schedules, [action.schedule.id]: action.schedule } };
    case 'scheduleRemoved':
      return removeSchedule(state, action.id);
    case 'executionsLoaded':
      return withExecutions(state, action.scheduleId, mergeExecutions(state.executions[action.scheduleId] ?? [], action.executions));
    case 'event':
      return applyEvent(state, action.event);
  }
}

function applyEvent(state: PulseState, e: ServerEvent): PulseState {
  switch (e.type) {
    case 'pulse_execution_started': {
      if (!e.schedule_id) return state;
      const run: ExecutionDto = {
        ...blankExecution(e.execution_id, e.schedule_id, e.started_at),
        async_job_id: e.async_job_id,
      };
      const s = state.schedules[e.schedule_id];
      const next = s ? { ...state, schedules: { ...state.schedules, [s.id]: { ...s, last_run_at: e.started_at, last_status: 'running' as const } } } : state;
      return upsertExecution(next, e.schedule_id, run);
    }
    case 'pulse_execution_completed':
    case 'pulse_execution_failed': {
      if (!e.schedule_id) return state;
      const failed = e.type === 'pulse_execution_failed';
      const prev = state.executions[e.schedule_id]?.find((x) => x.id === e.execution_id);
      const base = prev ?? blankExecution(e.execution_id, e.schedule_id, Date.now() - e.duration_ms);
      const run: ExecutionDto = {
        ...base,
        status: failed ? 'failed' : 'completed',
        duration_ms: e.duration_ms,
        completed_at: base.started_at + e.duration_ms,
        attestations_created: e.attestations_created,
        error: failed ? e.error : null,
        error_details: failed ? e.error_details : [],
      };
      const s = state.schedules[e.schedule_id];
      const next = s
        ? { ...state, schedules: { ...state.schedules, [s.id]: { ...s, last_status: run.status, last_execution_id: run.id } } }
        : state;
      return upsertExecution(next, e.schedule_id, run);
    }
    case 'schedule_update':
      if (e.deleted || !e.schedule) return removeSchedule(state, e.schedule_id);
      return { ...state, schedules: { ...state.schedules, [e.schedule.id]: e.schedule } };
    case 'pulse_execution_skipped': {
      const s = state.schedules[e.schedule_id];
      if (!s) return state;
      return {
        ...state,
        schedules: { ...state.schedules, [s.id]: { ...s, skipped_count: (s.skipped_count ?? 0) + 1, last_skipped_at: e.at } },
      };
    }
    default:
      return state;
  }
}

/** Schedules newest first. */
export function scheduleList(state: PulseState): ScheduleDto[] {
  return Object.values(state.schedules).sort((a, b) => b.created_at - a.created_at || (a.id < b.id ? 1 : -1));
}

/** Durations of the finished executions, oldest first (for a sparkline). */
export function recentDurations(state: PulseState, scheduleId: string, n = 20): number[] {
  return (state.executions[scheduleId] ?? [])
    .filter((x) => x.status !== 'running' && typeof x.duration_ms === 'number')
    .slice(0, n)
    .map((x) => x.duration_ms as number)
    .reverse();
}

export function countByStatus(executions: readonly ExecutionDto[] | undefined, status: ExecutionDto['status']): number {
  return (executions ?? []).filter((x) => x.status === status).length;
}

function blankExecution(id: string, scheduleId: string, startedAt: number): ExecutionDto {
  return {
    id,
    schedule_id: scheduleId,
    status: 'running',
    started_at: startedAt,
    completed_at: null,
    duration_ms: null,
    error: null,
    error_details: [],
    stdout: '',
    stderr: '',
    stdout_truncated: false,
    stderr_truncated: false,
    attestations_created: 0,
    attestations_already_known: 0,
    async_job_id: null,
    handler_version: null,
    trigger: 'schedule',
    due_at: null,
  };
}

function upsertExecution(state: PulseState, scheduleId: string, run: ExecutionDto): PulseState {
  return withExecutions(state, scheduleId, mergeExecutions(state.executions[scheduleId] ?? [], [run]));
}

/** Newer information wins per id, except that a finished record is never replaced by a running one. */
function mergeExecutions(current: readonly ExecutionDto[], incoming: readonly ExecutionDto[]): ExecutionDto[] {
  const byId = new Map(current.map((x) => [x.id, x]));
  for (const x of incoming) {
    const prev = byId.get(x.id);
    if (prev && prev.status !== 'running' && x.status === 'running') continue;
    // A WebSocket event lacks stdout/stderr: keep what an HTTP answer already brought.
    byId.set(x.id, prev ? { ...prev, ...x, stdout: x.stdout || prev.stdout, stderr: x.stderr || prev.stderr } : x);
  }
  return [...byId.values()].sort((a, b) => b.started_at - a.started_at || (a.id < b.id ? 1 : -1)).slice(0, MAX_EXECUTIONS);
}

function withExecutions(state: PulseState, scheduleId: string, list: readonly ExecutionDto[]): PulseState {
  return { ...state, executions: { ...state.executions, [scheduleId]: list } };
}

function removeSchedule(state: PulseState, id: string): PulseState {
  if (!state.schedules[id] && !state.executions[id]) return state;
  const schedules = { ...state.schedules };
  const executions = { ...state.executions };
  delete schedules[id];
  delete executions[id];
  return { ...state, schedules, executions };
}
