// Pulse rows as read from the database, and their wire form (the DTOs of src/protocol.ts).
import type { PulseExecutionsTable, PulseJobsTable, PulseSchedulesTable } from '../db/pulse-schema.js';
import type { ExecutionDto, JobDto, ScheduleDto, WatchCondition, WatcherDto } from '../protocol.js';

export type JobRow = PulseJobsTable;
export type ScheduleRow = PulseSchedulesTable;
export type ExecutionRow = PulseExecutionsTable;

export interface Page<T> {
  items: T[];
  /** Pass back as `cursor` for the next page; null when there is none. */
  next_cursor: string | null;
}

export function parseJson(text: string | null): unknown {
  return text === null ? null : JSON.parse(text);
}

function details(text: string): string[] {
  const v = JSON.parse(text) as unknown;
  return Array.isArray(v) ? v.map(String) : [];
}

export function jobToDto(r: JobRow): JobDto {
  return {
    id: r.id,
    handler_name: r.handler_name,
    payload: parseJson(r.payload),
    source: r.source,
    status: r.status,
    progress: r.progress_current === null ? null : { current: r.progress_current, total: r.progress_total },
    error: r.error,
    error_details: details(r.error_details),
    retry_count: r.retry_count,
    max_retries: r.max_retries,
    run_at: r.run_at,
    created_at: r.created_at,
    started_at: r.started_at,
    completed_at: r.completed_at,
    updated_at: r.updated_at,
    timeout_ms: r.timeout_ms,
    schedule_id: r.schedule_id,
    execution_id: r.execution_id,
    cancel_requested: r.cancel_requested === 1,
  };
}

export interface NewSchedule {
  id: string;
  ats_code: string;
  handler_name: string;
  payload: unknown;
  interval_seconds: number;
  /** The first run; the grid is next_run_at + k * interval from there. */
  next_run_at: number;
  created_from: string | null;
  now: number;
  /** Failures in a row after which it is paused (default 5; 0 = never). */
  max_failures?: number;
  /** The handler's timeout for its runs, s (default: the handler's). */
  timeout_seconds?: number | null;
  /** Who keeps it (e.g. "glyph:<id>"). */
  owner?: string | null;
  /** A cron expression and its zone (the schedule then runs at its times, not on the interval grid). */
  cron?: string | null;
  timezone?: string | null;
  /** A watcher: its start position and limits. */
  watch?: { cursor: number; batch_size: number; max_runs_per_minute: number; max_pending: number; attributes: unknown[] } | null;
}

/** An active schedule that has never run. */
export function newScheduleRow(s: NewSchedule): ScheduleRow {
  return {
    id: s.id,
    ats_code: s.ats_code,
    handler_name: s.handler_name,
    payload: JSON.stringify(s.payload ?? null),
    interval_seconds: s.interval_seconds,
    state: 'active',
    next_run_at: s.next_run_at,
    last_run_at: null,
    last_execution_id: null,
    last_status: null,
    skipped_count: 0,
    last_skipped_at: null,
    handler_state: null,
    last_success_at: null,
    created_from: s.created_from,
    created_at: s.now,
    updated_at: s.now,
    consecutive_failures: 0,
    max_failures: s.max_failures ?? DEFAULT_MAX_FAILURES,
    paused_reason: null,
    timeout_seconds: s.timeout_seconds ?? null,
    owner: s.owner ?? null,
    pruned_runs: 0,
    pruned_completed: 0,
    pruned_failed: 0,
    pruned_attestations: 0,
    cron: s.cron ?? null,
    timezone: s.timezone ?? null,
    watch: s.watch ? 1 : 0,
    watch_cursor: s.watch ? s.watch.cursor : null,
    watch_batch_size: s.watch?.batch_size ?? 100,
    watch_max_runs_per_minute: s.watch?.max_runs_per_minute ?? 60,
    watch_max_pending: s.watch?.max_pending ?? 100_000,
    watch_attributes: s.watch ? JSON.stringify(s.watch.attributes) : null,
  };
}

/** Failures in a row after which a schedule is paused, unless it says otherwise. */
export const DEFAULT_MAX_FAILURES = 5;

export function scheduleToDto(r: ScheduleRow): ScheduleDto {
  return {
    id: r.id,
    ats_code: r.ats_code,
    handler_name: r.handler_name,
    payload: parseJson(r.payload),
    interval_seconds: r.interval_seconds,
    state: r.state,
    next_run_at: r.state === 'active' ? r.next_run_at : null,
    last_run_at: r.last_run_at,
    last_execution_id: r.last_execution_id,
    last_status: r.last_status,
    created_from: r.created_from,
    created_at: r.created_at,
    updated_at: r.updated_at,
    skipped_count: r.skipped_count,
    last_skipped_at: r.last_skipped_at,
    last_success_at: r.last_success_at,
    consecutive_failures: r.consecutive_failures,
    max_failures: r.max_failures,
    paused_reason: r.paused_reason,
    timeout_seconds: r.timeout_seconds,
    owner: r.owner ?? null,
    cron: r.cron ?? null,
    timezone: r.timezone ?? null,
    watch: Number(r.watch ?? 0) === 1,
    watcher: Number(r.watch ?? 0) === 1 ? watcherToDto(r) : null,
  };
}

function watcherToDto(r: ScheduleRow): WatcherDto {
  return {
    cursor: Number(r.watch_cursor ?? 0),
    batch_size: r.watch_batch_size,
    max_runs_per_minute: r.watch_max_runs_per_minute,
    max_pending: r.watch_max_pending,
    attributes: (parseJson(r.watch_attributes) as WatchCondition[] | null) ?? [],
  };
}

export function executionToDto(r: ExecutionRow): ExecutionDto {
  return {
    id: r.id,
    schedule_id: r.schedule_id,
    status: r.status,
    started_at: r.started_at,
    completed_at: r.completed_at,
    duration_ms: r.duration_ms,
    error: r.error,
    error_details: details(r.error_details),
    stdout: r.stdout,
    stderr: r.stderr,
    stdout_truncated: r.stdout_truncated === 1,
    stderr_truncated: r.stderr_truncated === 1,
    attestations_created: r.attestations_created,
    attestations_already_known: Number(r.attestations_already_known ?? 0),
    async_job_id: r.async_job_id,
    handler_version: r.handler_version,
    trigger: r.trigger,
    due_at: r.due_at,
    watch_batch:
      r.watch_through === null || r.watch_through === undefined
        ? null
        : { after: Number(r.watch_after ?? 0), through: Number(r.watch_through), chain: (parseJson(r.watch_chain) as string[] | null) ?? [] },
  };
}
