// Executions: one run of a schedule, created running by the ticker (or a trigger) together with
// its job, finished with the job's outcome, and pruned to the last N per schedule.
import type { Kysely } from 'kysely';
import { sql } from '../db/kysely.js';
import type { Dialect } from '../db/migrations.js';
import type { Schema } from '../db/schema.js';
import type { HandlerResult } from './catalog.js';
import type { ErrorRecord } from './job-errors.js';
import type { ExecutionRow } from './rows.js';
import { query, type Op } from '../db/tx.js';

/** Cap of stdout and of stderr, in UTF-8 bytes. */
export const OUTPUT_CAP_BYTES = 64 * 1024;

export function newExecutionRow(f: {
  id: string;
  /** Null for a run without a schedule (a webhook delivery). */
  scheduleId: string | null;
  jobId: string;
  trigger: ExecutionRow['trigger'];
  dueAt: number | null;
  now: number;
  /** A watcher's run: the bounds of its batch and its chain. */
  watch?: { after: number; through: number; chain: string[] } | undefined;
}): ExecutionRow {
  return {
    id: f.id,
    schedule_id: f.scheduleId,
    status: 'running',
    trigger: f.trigger,
    due_at: f.dueAt,
    started_at: f.now,
    completed_at: null,
    duration_ms: null,
    error: null,
    error_details: '[]',
    stdout: '',
    stderr: '',
    stdout_truncated: 0,
    stderr_truncated: 0,
    attestations_created: 0,
    attestations_already_known: 0,
    async_job_id: f.jobId,
    handler_version: null,
    watch_after: f.watch?.after ?? null,
    watch_through: f.watch?.through ?? null,
    watch_chain: f.watch ? JSON.stringify(f.watch.chain) : null,
  };
}

/** Keeps the first `maxBytes` UTF-8 bytes, never splitting a character. */
export function capOutput(text: string, maxBytes = OUTPUT_CAP_BYTES): { text: string; truncated: boolean } {
  if (text.length * 3 <= maxBytes || Buffer.byteLength(text) <= maxBytes) return { text, truncated: false };
  const cut = Buffer.from(text).subarray(0, maxBytes).toString('utf8');
  return { text: cut.replace(/\uFFFD$/, ''), truncated: true };
}

export type ExecutionEnd =
  | { status: 'completed'; result: HandlerResult }
  | { status: 'failed'; error: ErrorRecord; result?: HandlerResult | undefined };

/** running → completed | failed, with duration, error, output and counts. No-op if not running. */
export function* finishExecutionOp(
  db: Kysely<Schema>,
  id: string,
  end: ExecutionEnd,
  now: number,
): Op<ExecutionRow | null> {
  const r = end.result ?? {};
  const out = capOutput(r.stdout ?? '');
  const err = capOutput(r.stderr ?? '');
  const q = db
    .updateTable('pulse_executions')
    .set({
      status: end.status,
      completed_at: now,
      duration_ms: sql<number>`${now} - started_at`,
      error: end.status === 'failed' ? end.error.error : null,
      error_details: JSON.stringify(end.status === 'failed' ? end.error.error_details : []),
      stdout: out.text,
      stderr: err.text,
      stdout_truncated: out.truncated || r.stdoutTruncated ? 1 : 0,
      stderr_truncated: err.truncated || r.stderrTruncated ? 1 : 0,
      // Undefined: the handler counted batch by batch in the row already (SourceHandle.commit).
      attestations_created:
        r.attestationsCreated === undefined ? sql<number>`attestations_created` : Math.max(0, Math.trunc(r.attestationsCreated)),
      handler_version: r.handlerVersion ?? null,
    })
    .where('id', '=', id)
    .where('status', '=', sql.lit('running' as const))
    .returningAll()
    .compile();
  const { rows } = yield* query(q);
  return rows[0] ?? null;
}

/**
 * Deletes all but the newest `keep` executions of each schedule (ids sort by creation; a running
 * one is never deleted). Run when executions are created, so a schedule holds at most `keep`.
 * What it deletes is first added to the schedule's pruned_* totals (its lifetime counts).
 */
export function* pruneExecutionsOp(db: Kysely<Schema>, dialect: Dialect, scheduleIds: readonly string[], keep: number): Op<number> {
  if (!scheduleIds.length) return 0;
  if (dialect === 'postgres') {
    const q = sql<{ n: number }>`
      with gone as (
        delete from pulse_executions as e using unnest(${[...scheduleIds]}::text[]) as v(sid)
        where e.schedule_id = v.sid and e.status <> 'running'
          and e.id < (select e2.id from pulse_executions e2 where e2.schedule_id = v.sid
                      order by e2.id desc offset ${Math.max(0, keep - 1)} limit 1)
        returning e.schedule_id, e.status, e.attestations_created
      ), t as (
        select schedule_id, count(*) as n, count(*) filter (where status = 'completed') as c,
               count(*) filter (where status = 'failed') as f, coalesce(sum(attestations_created), 0) as a
        from gone group by schedule_id
      ), u as (
        update pulse_schedules as s set pruned_runs = s.pruned_runs + t.n, pruned_completed = s.pruned_completed + t.c,
          pruned_failed = s.pruned_failed + t.f, pruned_attestations = s.pruned_attestations + t.a
        from t where s.id = t.schedule_id
        returning 1
      )
      select coalesce(sum(n), 0)::int as n from t`.compile(db);
    return Number((yield* query(q)).rows[0]?.n ?? 0);
  }
  let n = 0;
  for (const id of scheduleIds) {
    const boundary = db
      .selectFrom('pulse_executions')
      .select('id')
      .where('schedule_id', '=', id)
      .orderBy('id', 'desc')
      .limit(1)
      .offset(Math.max(0, keep - 1));
    const t = (yield* query(
      db
        .selectFrom('pulse_executions')
        .select((eb) => [
          eb.fn.countAll<number>().as('n'),
          sql<number>`count(*) filter (where status = 'completed')`.as('c'),
          sql<number>`count(*) filter (where status = 'failed')`.as('f'),
          sql<number>`coalesce(sum(attestations_created), 0)`.as('a'),
        ])
        .where('schedule_id', '=', id)
        .where('id', '<', boundary)
        .where('status', '<>', sql.lit('running' as const))
        .compile(),
    )).rows[0];
    if (!t || !Number(t.n)) continue;
    yield* query(
      db
        .updateTable('pulse_schedules')
        .set((eb) => ({
          pruned_runs: eb('pruned_runs', '+', Number(t.n)),
          pruned_completed: eb('pruned_completed', '+', Number(t.c)),
          pruned_failed: eb('pruned_failed', '+', Number(t.f)),
          pruned_attestations: eb('pruned_attestations', '+', Number(t.a)),
        }))
        .where('id', '=', id)
        .compile(),
    );
    const q = db
      .deleteFrom('pulse_executions')
      .where('schedule_id', '=', id)
      .where('id', '<', boundary)
      .where('status', '<>', sql.lit('running' as const))
      .compile();
    n += (yield* query(q)).changes;
  }
  return n;
}
