// PostgreSQL group commit of successful attempts: three statements for a whole batch (jobs, their
// executions, their schedules) through unnest() arrays, instead of three per job. The same
// effects as finishJobOp + settleOp for a 'completed' outcome; failures take the one-by-one path.
import type { Kysely } from 'kysely';
import { sql } from '../db/kysely.js';
import type { Schema } from '../db/schema.js';
import type { HandlerResult } from './catalog.js';
import { capOutput } from './executions.js';
import { completeManyQuery, type FinishRequest, type Settled } from './job-ops.js';
import type { ExecutionRow, JobRow, ScheduleRow } from './rows.js';
import { query, type Op } from '../db/tx.js';

function resultOf(r: FinishRequest): HandlerResult {
  return r.outcome.kind === 'completed' ? r.outcome.result : {};
}

function finishExecutionsQuery(db: Kysely<Schema>, items: Array<{ id: string; now: number; result: HandlerResult }>) {
  const out = items.map((i) => capOutput(i.result.stdout ?? ''));
  const err = items.map((i) => capOutput(i.result.stderr ?? ''));
  const col = {
    id: items.map((i) => i.id),
    now: items.map((i) => i.now),
    stdout: out.map((o) => o.text),
    stderr: err.map((o) => o.text),
    ot: items.map((i, k) => (out[k]!.truncated || i.result.stdoutTruncated ? 1 : 0)),
    et: items.map((i, k) => (err[k]!.truncated || i.result.stderrTruncated ? 1 : 0)),
    ac: items.map((i) => (i.result.attestationsCreated === undefined ? null : Math.max(0, Math.trunc(i.result.attestationsCreated)))),
    hv: items.map((i) => i.result.handlerVersion ?? null),
  };
  return sql<ExecutionRow>`
    update pulse_executions as e set status = 'completed', completed_at = v.now, duration_ms = v.now - e.started_at,
      error = null, error_details = '[]', stdout = v.stdout, stderr = v.stderr, stdout_truncated = v.ot,
      stderr_truncated = v.et, attestations_created = coalesce(v.ac, e.attestations_created), handler_version = v.hv
    from unnest(${col.id}::text[], ${col.now}::bigint[], ${col.stdout}::text[], ${col.stderr}::text[],
      ${col.ot}::int[], ${col.et}::int[], ${col.ac}::int[], ${col.hv}::int[])
      as v(id, now, stdout, stderr, ot, et, ac, hv)
    where e.id = v.id and e.status = 'running'
    returning e.*`.compile(db);
}

function recordSuccessQuery(db: Kysely<Schema>, items: Array<{ execution: ExecutionRow; now: number; state: unknown }>) {
  const col = {
    sid: items.map((i) => i.execution.schedule_id),
    eid: items.map((i) => i.execution.id),
    now: items.map((i) => i.now),
    started: items.map((i) => i.execution.started_at),
    has: items.map((i) => i.state !== undefined),
    state: items.map((i) => (i.state === undefined ? null : JSON.stringify(i.state))),
    // A watcher's run moves its cursor past its batch (job-ops.ts settleOp does the same).
    through: items.map((i) => (i.execution.watch_through === null || i.execution.watch_through === undefined ? null : Number(i.execution.watch_through))),
  };
  return sql<ScheduleRow>`
    update pulse_schedules as s set last_status = 'completed', updated_at = v.now, last_success_at = v.started,
      consecutive_failures = 0,
      handler_state = case when v.has then v.state else s.handler_state end,
      watch_cursor = coalesce(v.through, s.watch_cursor)
    from unnest(${col.sid}::text[], ${col.eid}::text[], ${col.now}::bigint[], ${col.started}::bigint[],
      ${col.has}::boolean[], ${col.state}::text[], ${col.through}::bigint[]) as v(sid, eid, now, started, has, state, through)
    where s.id = v.sid and s.last_execution_id = v.eid
    returning s.*`.compile(db);
}

/** Completes a batch of attempts (all with a 'completed' outcome); null for a lost lease. */
export function* completeManyOp(db: Kysely<Schema>, reqs: readonly FinishRequest[]): Op<Map<FinishRequest, Settled | null>> {
  const jobs = new Map<string, JobRow>((yield* query(completeManyQuery(db, reqs))).rows.map((j) => [j.id, j]));
  const done = reqs.filter((r) => jobs.get(r.jobId)?.execution_id);
  const executions = new Map<string, ExecutionRow>();
  const schedules = new Map<string, ScheduleRow>();
  if (done.length) {
    const items = done.map((r) => ({ id: jobs.get(r.jobId)!.execution_id!, now: r.now, result: resultOf(r) }));
    for (const x of (yield* query(finishExecutionsQuery(db, items))).rows) executions.set(x.id, x);
    const success = done
      .map((r) => ({ execution: executions.get(jobs.get(r.jobId)!.execution_id!), now: r.now, state: resultOf(r).state }))
      .filter((i): i is { execution: ExecutionRow; now: number; state: unknown } => !!i.execution?.schedule_id);
    if (success.length) for (const s of (yield* query(recordSuccessQuery(db, success))).rows) schedules.set(s.id, s);
  }
  const out = new Map<FinishRequest, Settled | null>();
  for (const r of reqs) {
    const job = jobs.get(r.jobId);
    if (!job) {
      out.set(r, null);
      continue;
    }
    const execution = job.execution_id ? (executions.get(job.execution_id) ?? null) : null;
    const schedule = execution?.schedule_id ? (schedules.get(execution.schedule_id) ?? null) : null;
    out.set(r, { job, execution, schedule });
  }
  return out;
}
