// The shapes the API answers with (src/protocol.ts's DTOs as zod), published in the OpenAPI
// document; test/openapi.test.ts checks real answers against them.
import { z } from 'zod';

const ms = z.number().int().describe('ms since the epoch');
const nullableMs = ms.nullable();

export const attestationDto = z
  .object({
    id: z.string(),
    subjects: z.array(z.string()),
    predicates: z.array(z.string()),
    contexts: z.array(z.string()),
    actors: z.array(z.string()),
    timestamp: ms,
    source: z.string(),
    attributes: z.record(z.string(), z.unknown()),
    created_at: ms,
    handler_version: z.number().int().nullable().describe('provenance: the handler version whose run stored it'),
  })
  .meta({ id: 'Attestation' });

export const attestationCount = z.object({ count: z.number().int() });

export const attestationPage = z.object({
  attestations: z.array(attestationDto),
  count: z.number().int(),
  next_cursor: z.string().nullable().describe('pass back as cursor for the next page; null on the last'),
});

const jobStatus = z.enum(['queued', 'running', 'completed', 'failed', 'cancelled']);
const executionStatus = z.enum(['running', 'completed', 'failed', 'skipped']);

export const jobDto = z
  .object({
    id: z.string(),
    handler_name: z.string(),
    payload: z.unknown(),
    source: z.string().nullable(),
    status: jobStatus,
    progress: z.object({ current: z.number(), total: z.number().nullable() }).nullable(),
    error: z.string().nullable(),
    error_details: z.array(z.string()),
    retry_count: z.number().int(),
    max_retries: z.number().int(),
    run_at: ms,
    created_at: ms,
    started_at: nullableMs,
    completed_at: nullableMs,
    updated_at: ms,
    timeout_ms: z.number().int(),
    schedule_id: z.string().nullable(),
    execution_id: z.string().nullable(),
    cancel_requested: z.boolean(),
  })
  .meta({ id: 'Job' });

export const scheduleDto = z
  .object({
    id: z.string(),
    ats_code: z.string(),
    handler_name: z.string(),
    payload: z.unknown(),
    interval_seconds: z.number().int(),
    state: z.enum(['active', 'paused', 'inactive']),
    next_run_at: nullableMs,
    last_run_at: nullableMs,
    last_execution_id: z.string().nullable(),
    last_status: executionStatus.nullable(),
    created_from: z.string().nullable(),
    created_at: ms,
    updated_at: ms,
    skipped_count: z.number().int(),
    last_skipped_at: nullableMs,
    last_success_at: nullableMs,
    consecutive_failures: z.number().int(),
    max_failures: z.number().int(),
    paused_reason: z.string().nullable().describe('why it was paused for failing (failing: <last error>)'),
    timeout_seconds: z.number().int().nullable(),
    owner: z.string().nullable().describe('who keeps it, e.g. "glyph:<id>" (null: made by the CLI or the API without one)'),
    cron: z.string().nullable(),
    timezone: z.string().nullable(),
    watch: z.boolean().optional().describe('a watcher: runs on new attestations its query matches (docs/watchers.md)'),
    watcher: z
      .object({
        cursor: z.number().int().describe('seq up to which every match was handed to a run that completed'),
        batch_size: z.number().int(),
        max_runs_per_minute: z.number().int(),
        max_pending: z.number().int(),
        attributes: z.array(z.object({ path: z.string(), op: z.enum(['equals', 'contains']), value: z.union([z.string(), z.number(), z.boolean(), z.null()]) })),
        pending: z.number().int().optional().describe('matches waiting (GET of one schedule)'),
      })
      .nullable()
      .optional(),
  })
  .meta({ id: 'Schedule' });

export const executionDto = z
  .object({
    id: z.string(),
    schedule_id: z.string().nullable(),
    status: executionStatus,
    started_at: ms,
    completed_at: nullableMs,
    duration_ms: z.number().nullable(),
    error: z.string().nullable(),
    error_details: z.array(z.string()),
    stdout: z.string(),
    stderr: z.string(),
    stdout_truncated: z.boolean(),
    stderr_truncated: z.boolean(),
    attestations_created: z.number().int(),
    attestations_already_known: z.number().int().describe('claims the run attested that were already stored'),
    async_job_id: z.string().nullable(),
    handler_version: z.number().int().nullable(),
    trigger: z.enum(['schedule', 'manual', 'hook', 'watch']),
    due_at: nullableMs,
    watch_batch: z
      .object({ after: z.number().int(), through: z.number().int(), chain: z.array(z.string()) })
      .nullable()
      .optional()
      .describe("a watcher's run: its matches with seq in (after, through], and the watchers that led to it"),
  })
  .meta({ id: 'Execution' });

export const scheduleStatsDto = z
  .object({
    schedule_id: z.string(),
    total: z.number().int().describe('runs ever (pruned executions included)'),
    completed: z.number().int(),
    failed: z.number().int(),
    running: z.number().int(),
    skipped: z.number().int().describe('grid points passed without a run'),
    attestations_created: z.number().int(),
    last: z
      .array(
        z.object({
          execution_id: z.string(),
          status: executionStatus,
          started_at: ms,
          duration_ms: z.number().nullable(),
          attestations_created: z.number().int(),
        }),
      )
      .describe('the newest runs first, at most 50'),
  })
  .meta({ id: 'ScheduleStats' });

export const provenanceDto = z
  .object({
    attestation: attestationDto,
    execution: executionDto.nullable().describe('the run that stored it (null: not from a scheduled run, or pruned)'),
    schedule: scheduleDto.nullable(),
    handler: z
      .object({ type: z.string(), version: z.number().int(), code: z.string(), attestation_id: z.string() })
      .nullable()
      .describe('the handler version that ran, with its code'),
  })
  .meta({ id: 'Provenance' });

export const glyphDto = z
  .object({
    id: z.string(),
    kind: z.string(),
    x: z.number(),
    y: z.number(),
    width: z.number(),
    height: z.number(),
    data: z.record(z.string(), z.unknown()),
    version: z.number().int(),
    created_at: ms,
    updated_at: ms,
  })
  .meta({ id: 'Glyph' });

export const handlerVersionDto = z
  .object({
    id: z.string(),
    script_type: z.string(),
    version: z.number().int(),
    language: z.literal('python'),
    code: z.string(),
    sha256: z.string(),
    created_at: ms,
    actor: z.string(),
  })
  .meta({ id: 'HandlerVersion' });

export const handlerList = z.object({
  handlers: z.array(
    z.object({
      script_type: z.string(),
      id: z.string(),
      version: z.number().int(),
      updated_at: ms,
      last_run: z.object({ status: executionStatus.nullable(), at: nullableMs, schedule_id: z.string() }).nullable(),
    }),
  ),
});

export const handlerDetail = z.object({
  script_type: z.string(),
  current: handlerVersionDto.nullable(),
  versions: z.array(handlerVersionDto),
  removed: z
    .object({ at: ms, actor: z.string(), version: z.number().int() })
    .nullable()
    .describe('set while the handler is removed: when, by whom, which version was current'),
});

export const handlerRemoved = z.object({ script_type: z.string(), retracted: handlerVersionDto });

export const executeResult = z.object({
  success: z.boolean(),
  stdout: z.string(),
  stderr: z.string(),
  stdout_truncated: z.boolean(),
  stderr_truncated: z.boolean(),
  error: z.string().nullable(),
  details: z.array(z.string()),
  attestations_created: z.number().int(),
  already_known: z.number().int().describe('claims the run attested that were already stored'),
  duration_ms: z.number(),
  state: z.record(z.string(), z.unknown()).nullable().describe('the state after the run'),
  dry_run: z.boolean(),
  would_create: z
    .object({ count: z.number().int(), attestations: z.array(attestationDto) })
    .nullable()
    .describe('a dry run: what the run would have attested (count, and the first 200), nothing stored'),
  state_before: z.unknown().describe('the state the run started with'),
});

export const health = z.object({
  status: z.literal('ok'),
  version: z.string(),
  database: z.enum(['sqlite', 'postgres']),
  uptime_s: z.number(),
  pulse: z
    .object({ worker: z.boolean(), ticker: z.boolean(), running_jobs: z.number().int(), worker_id: z.string() })
    .optional()
    .describe('only with the token: it names the host and process'),
});
