// Kysely table types of Pulse (jobs, schedules, executions); migration 002_pulse creates them.
// JSON values are stored as text, booleans as 0/1 integers, times as ms since the epoch.

export type JobStatusColumn = 'queued' | 'running' | 'completed' | 'failed' | 'cancelled';

export interface PulseJobsTable {
  /** "JB" + ULID: sortable by creation. */
  id: string;
  handler_name: string;
  /** JSON. */
  payload: string;
  /** De-duplication key: unique among queued and running jobs (partial unique index). */
  source: string | null;
  status: JobStatusColumn;
  progress_current: number | null;
  progress_total: number | null;
  error: string | null;
  /** JSON array of "key=value". */
  error_details: string;
  /** Failed attempts so far (a lost lease counts as one). */
  retry_count: number;
  max_retries: number;
  timeout_ms: number;
  /** Not claimed before this time (retries wait here). */
  run_at: number;
  lease_owner: string | null;
  lease_expires_at: number | null;
  /** 1 when a cancel was asked while the job ran: the owner's heartbeat sees it and aborts. */
  cancel_requested: number;
  schedule_id: string | null;
  execution_id: string | null;
  created_at: number;
  started_at: number | null;
  completed_at: number | null;
  updated_at: number;
}

export interface PulseSchedulesTable {
  /** "SC" + ULID. */
  id: string;
  ats_code: string;
  handler_name: string;
  /** JSON, computed once by the resolver when the schedule was created. */
  payload: string;
  interval_seconds: number;
  state: 'active' | 'paused' | 'inactive';
  /** A point of the schedule's grid (created_at + k * interval); null once inactive. */
  next_run_at: number | null;
  last_run_at: number | null;
  last_execution_id: string | null;
  /** Status of last_execution_id; 'running' makes the ticker skip. */
  last_status: 'running' | 'completed' | 'failed' | null;
  skipped_count: number;
  last_skipped_at: number | null;
  /** The handler's persistent state (JSON), saved only by successful runs. */
  handler_state: string | null;
  /** Start time of the last successful run (the handlers' `last_run`). */
  last_success_at: number | null;
  created_from: string | null;
  created_at: number;
  updated_at: number;
  /** Failed runs in a row (a success resets it; so does resuming). Migration 006. */
  consecutive_failures: number;
  /** Paused after this many failures in a row; 0 = never. */
  max_failures: number;
  /** Why the schedule was paused by Pulse (`failing: <last error>`); null otherwise. */
  paused_reason: string | null;
  /** Its handler's timeout, s (null: the handler's default). Migration 006b. */
  timeout_seconds: number | null;
  /** Who made it and keeps it (e.g. "glyph:<id>"); at most one schedule per owner. Migration 010. */
  owner: string | null;
  /** Executions pruned so far, by outcome, and the attestations they created. Migration 010b. */
  pruned_runs: number;
  pruned_completed: number;
  pruned_failed: number;
  pruned_attestations: number;
  /** A five-field cron expression; when set the schedule runs at its times, not on the interval grid. Migration 011. */
  cron: string | null;
  /** The IANA zone of `cron` (null: UTC). */
  timezone: string | null;
  /** 1: a watcher (docs/watchers.md), run by new matching attestations, never by the ticker. Migration 014. */
  watch: number;
  /** A watcher's position: the seq of attestations up to which every match was handed to a run that completed. */
  watch_cursor: number | null;
  /** Matches handed to one run at most. */
  watch_batch_size: number;
  /** Runs started per minute at most; matches meanwhile wait and go together. */
  watch_max_runs_per_minute: number;
  /** Pending matches beyond which the watcher is paused. */
  watch_max_pending: number;
  /** JSON array of {path, op, value}: conditions on the attributes, ANDed. */
  watch_attributes: string | null;
}

export interface PulseExecutionsTable {
  /** "EX" + ULID. */
  id: string;
  schedule_id: string | null;
  status: 'running' | 'completed' | 'failed' | 'skipped';
  /** 'hook': a webhook delivery, without a schedule. */
  trigger: 'schedule' | 'manual' | 'hook' | 'watch';
  /** The grid time this run was for (null for a manual trigger). */
  due_at: number | null;
  started_at: number;
  completed_at: number | null;
  duration_ms: number | null;
  error: string | null;
  error_details: string;
  stdout: string;
  stderr: string;
  stdout_truncated: number;
  stderr_truncated: number;
  attestations_created: number;
  /** Claims the run attested that were stored already (kept once, not counted as created). */
  attestations_already_known: number;
  async_job_id: string | null;
  handler_version: number | null;
  /** A watcher's run: the attestations it was handed are its matches with seq in (watch_after, watch_through]. Migration 014. */
  watch_after: number | null;
  watch_through: number | null;
  /** JSON array of the watcher ids whose runs led to this one, this watcher last. */
  watch_chain: string | null;
}

export interface PulseSchema {
  pulse_jobs: PulseJobsTable;
  pulse_schedules: PulseSchedulesTable;
  pulse_executions: PulseExecutionsTable;
}
