// The wire protocol shared by the server and the web app: WebSocket events and API shapes.
// Types only (no runtime imports), so the browser bundle can import it as is.

export type JobStatus = 'queued' | 'running' | 'completed' | 'failed' | 'cancelled';
export type ScheduleState = 'active' | 'paused' | 'inactive';
export type ExecutionStatus = 'running' | 'completed' | 'failed' | 'skipped';

export interface ErrorBody {
  error: string;
  details: string[];
  hint?: string;
}

export interface AttestationDto {
  id: string;
  subjects: string[];
  predicates: string[];
  contexts: string[];
  actors: string[];
  timestamp: number;
  source: string;
  attributes: Record<string, unknown>;
  created_at: number;
  /** Provenance beside the claim (not part of it): the version of the handler whose run stored it. */
  handler_version: number | null;
}

/** A glyph of the canvas: a small window with a position, a size and JSON contents. */
export interface GlyphDto {
  id: string;
  kind: string;
  x: number;
  y: number;
  width: number;
  height: number;
  data: Record<string, unknown>;
  /** 1 after the first write, bumped by each later one. */
  version: number;
  created_at: number;
  updated_at: number;
}

export interface JobDto {
  id: string;
  handler_name: string;
  payload: unknown;
  source: string | null;
  status: JobStatus;
  progress: { current: number; total: number | null } | null;
  error: string | null;
  error_details: string[];
  retry_count: number;
  max_retries: number;
  run_at: number;
  created_at: number;
  started_at: number | null;
  completed_at: number | null;
  updated_at: number;
  /** Pulse: the wall-clock limit of one attempt. */
  timeout_ms: number;
  /** Pulse: set when the job was made by a schedule's tick or trigger. */
  schedule_id: string | null;
  execution_id: string | null;
  /** Pulse: a cancel was asked while the job ran; it ends as `cancelled` once its handler stops. */
  cancel_requested: boolean;
}

export interface ScheduleDto {
  id: string;
  ats_code: string;
  handler_name: string;
  payload: unknown;
  interval_seconds: number;
  state: ScheduleState;
  next_run_at: number | null;
  last_run_at: number | null;
  last_execution_id: string | null;
  last_status: ExecutionStatus | null;
  created_from: string | null;
  created_at: number;
  updated_at: number;
  /** Pulse: ticks skipped because the previous execution was still running. */
  skipped_count: number;
  last_skipped_at: number | null;
  /** Pulse: start time of the last successful run (the handlers' `last_run`). */
  last_success_at: number | null;
  /** Pulse: failed runs in a row; after `max_failures` (0 = never) the schedule is paused. */
  consecutive_failures: number;
  max_failures: number;
  /** Pulse: why it was paused for failing (`failing: <last error>`); null when not. */
  paused_reason: string | null;
  /** Pulse: the handler's timeout for this schedule's runs, s (null: the handler's default). */
  timeout_seconds: number | null;
  /** Pulse: a five-field cron expression (then `interval_seconds` is 0 and unused); null for interval schedules. */
  cron: string | null;
  /** Pulse: the IANA zone of `cron` (null: UTC). */
  timezone: string | null;
  /** Who keeps it (e.g. "glyph:<id>"); null when made without one (CLI, API). */
  owner: string | null;
  /** A watcher (docs/watchers.md): it runs on new attestations its query matches, not on times. */
  watch?: boolean;
  /** A watcher's settings and position; null for other schedules. */
  watcher?: WatcherDto | null;
}

/** A condition on an attestation's attributes: a dotted path, equal to or containing a value. */
export interface WatchCondition {
  path: string;
  op: 'equals' | 'contains';
  value: string | number | boolean | null;
}

export interface WatcherDto {
  /** The seq (insertion order) up to which every match was handed to a run that completed. */
  cursor: number;
  batch_size: number;
  max_runs_per_minute: number;
  max_pending: number;
  attributes: WatchCondition[];
  /** Matches waiting (read by GET /api/pulse/schedules/:id; absent in lists). */
  pending?: number;
}

/** A schedule's lifetime counts (pruned executions included) and its last runs. */
export interface ScheduleStatsDto {
  schedule_id: string;
  total: number;
  completed: number;
  failed: number;
  running: number;
  /** Grid points passed without a run (the previous one still ran, or downtime). */
  skipped: number;
  attestations_created: number;
  /** The newest runs first, at most 50. */
  last: Array<{ execution_id: string; status: ExecutionStatus; started_at: number; duration_ms: number | null; attestations_created: number }>;
}

export interface ExecutionDto {
  id: string;
  schedule_id: string | null;
  status: ExecutionStatus;
  started_at: number;
  completed_at: number | null;
  duration_ms: number | null;
  error: string | null;
  error_details: string[];
  stdout: string;
  stderr: string;
  stdout_truncated: boolean;
  stderr_truncated: boolean;
  attestations_created: number;
  /** Claims the run attested that were stored already (the same claim is kept once). */
  attestations_already_known: number;
  async_job_id: string | null;
  /** For python.script: the handler version that ran. */
  handler_version: number | null;
  /** Pulse: what made it, and the grid time it was for (null when triggered by hand). */
  trigger: 'schedule' | 'manual' | 'hook' | 'watch';
  due_at: number | null;
  /** A watcher's run: the seq bounds of its batch (its matches in (after, through]) and the chain of watchers that led to it. */
  watch_batch?: { after: number; through: number; chain: string[] } | null;
}

/** Every WebSocket message from the server: one discriminated union on `type`. */
export type ServerEvent =
  | { type: 'hello'; server_time: number }
  | { type: 'pulse_execution_started'; execution_id: string; schedule_id: string | null; async_job_id: string | null; started_at: number }
  | {
      type: 'pulse_execution_completed';
      execution_id: string;
      schedule_id: string | null;
      duration_ms: number;
      attestations_created: number;
    }
  | {
      type: 'pulse_execution_failed';
      execution_id: string;
      schedule_id: string | null;
      error: string;
      error_details: string[];
      duration_ms: number;
      attestations_created: number;
    }
  | { type: 'pulse_execution_skipped'; schedule_id: string; reason: string; at: number }
  | { type: 'schedule_update'; schedule: ScheduleDto | null; schedule_id: string; deleted?: boolean }
  | { type: 'job_update'; job_id: string; handler_name: string; status: JobStatus; progress: JobDto['progress']; schedule_id: string | null; error?: string | null }
  | { type: 'attestations_created'; count: number; source: string };

export type ServerEventType = ServerEvent['type'];

// ---- AX (docs/ax.md): POST /api/ax and POST /api/ax/complete ----

export type ActorType = 'human' | 'llm' | 'system' | 'external';
export type SamenessType = 'evolution' | 'verification' | 'coexistence' | 'supersession' | 'review';

/** A value of a result that matched through an alias of what the query asked for. */
export interface AxAliasMatchDto {
  field: 'subjects' | 'contexts' | 'actors';
  value: string;
  alias_of: string;
}

export type AxAttestationDto = AttestationDto & { matched_aliases?: AxAliasMatchDto[] };

export interface AxClaimDto {
  id: string;
  actors: string[];
  actor_type: ActorType;
  contexts: string[];
  timestamp: number;
  attributes: Record<string, unknown>;
}

/** Claims with the same subject and predicate that differ, and how they were classified. */
export interface AxConflictDto {
  subject: string;
  predicate: string;
  type: SamenessType;
  /** 0..1. */
  confidence: number;
  /** The claim that stands (evolution, supersession; the most credible source for verification); null when all stand. */
  winner: string | null;
  /** Ids shown in the resolved view. */
  kept: string[];
  claims: AxClaimDto[];
  reason: string;
}

export interface AxSummaryDto {
  /** Attestations the page matched, and how many the resolved view shows. */
  matched: number;
  shown: number;
  conflicts: number;
  by_type: Record<SamenessType, number>;
  /** The most frequent values on the page (at most 10 each). */
  subjects: Record<string, number>;
  predicates: Record<string, number>;
  contexts: Record<string, number>;
  actors: Record<string, number>;
  /** An alias walk stopped at its bounds (docs/ax.md): there may be aliases the query did not follow. */
  aliases_truncated?: boolean;
}

/** A `so <type>` action the query started: a Pulse schedule running the type's handler. */
export interface AxActionDto {
  type: string;
  schedule: ScheduleDto;
}

export interface AxResponseDto {
  /** The resolved view of the page, newest first (`all: true` asks for every match). */
  attestations: AxAttestationDto[];
  conflicts: AxConflictDto[];
  summary: AxSummaryDto;
  next_cursor: string | null;
  /** What the query compiled to. */
  filter: Record<string, unknown>;
  actions?: AxActionDto[];
}

export interface AxCompletionDto {
  /** UTF-16 offsets of the text the chosen option replaces. */
  from: number;
  to: number;
  /** What the word at the position is: a clause's values, a keyword, a time, a type. */
  field: 'subjects' | 'predicates' | 'contexts' | 'actors' | 'time' | 'so' | 'keyword';
  options: Array<{ label: string; apply: string; kind: 'keyword' | 'value' | 'time' | 'type'; detail?: string }>;
}
