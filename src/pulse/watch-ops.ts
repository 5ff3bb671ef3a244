// The transactions of watchers (docs/watchers.md): hand a batch to a new execution and its job,
// move the cursor over a range without matches, and read the chains of the runs that made
// attestations. The cursor moves past a batch only when its run completes (job-ops.ts settleOp).
import type { Kysely } from 'kysely';
import { sql } from '../db/kysely.js';
import type { Dialect } from '../db/migrations.js';
import type { Schema } from '../db/schema.js';
import { newExecutionRow, pruneExecutionsOp } from './executions.js';
import { newJobRow } from './job-ops.js';
import type { ExecutionRow, ScheduleRow } from './rows.js';
import type { Fired, RunSpec } from './schedule-ops.js';
import { query, type Op } from '../db/tx.js';

export interface WatchBatch {
  /** The matches of the batch are those with seq in (after, through]. */
  after: number;
  through: number;
  /** The watchers whose runs led to this one, this watcher last. */
  chain: string[];
}

/** What a watcher's job carries beside its schedule's payload (python.script reads it). */
export interface WatchJobPayload extends WatchBatch {
  schedule_id: string;
  /** Matches handed at most (the batch is the first `limit` matches in the range). */
  limit: number;
  attributes: unknown[];
}

function* lockWatcher(db: Kysely<Schema>, dialect: Dialect, id: string): Op<ScheduleRow | undefined> {
  let sel = db.selectFrom('pulse_schedules').selectAll().where('id', '=', id);
  if (dialect === 'postgres') sel = sel.forUpdate();
  return (yield* query(sel.compile())).rows[0];
}

/** A watcher that can be handed a batch now: active, not running, still at `after`. */
function ready(s: ScheduleRow | undefined, after: number): s is ScheduleRow {
  return !!s && s.watch === 1 && s.state === 'active' && s.last_status !== 'running' && Number(s.watch_cursor ?? 0) === after;
}

/**
 * Creates the execution and job of a watcher's batch, unless the watcher moved meanwhile (another
 * process handed it, it was paused, its cursor advanced): then null. The next run waits `gapMs`.
 */
export function* fireWatchOp(
  db: Kysely<Schema>,
  dialect: Dialect,
  spec: RunSpec & { id: string; batch: WatchBatch; gapMs: number },
): Op<Fired | null> {
  const s = yield* lockWatcher(db, dialect, spec.id);
  if (!ready(s, spec.batch.after)) return null;
  const jobId = spec.ids.next('JB');
  const execution = newExecutionRow({ id: spec.ids.next('EX'), scheduleId: s.id, jobId, trigger: 'watch', dueAt: null, now: spec.now, watch: spec.batch });
  const d = spec.jobDefaults(s.handler_name);
  const watch: WatchJobPayload = {
    ...spec.batch,
    schedule_id: s.id,
    limit: s.watch_batch_size,
    attributes: JSON.parse(s.watch_attributes ?? '[]') as unknown[],
  };
  const job = newJobRow({
    id: jobId,
    handler_name: s.handler_name,
    payload: { ...(JSON.parse(s.payload) as object), watch },
    source: null,
    max_retries: d.maxRetries,
    timeout_ms: s.timeout_seconds === null ? d.timeoutMs : s.timeout_seconds * 1000,
    run_at: spec.now,
    schedule_id: s.id,
    execution_id: execution.id,
    now: spec.now,
  });
  yield* query(db.insertInto('pulse_executions').values(execution).compile());
  yield* query(db.insertInto('pulse_jobs').values(job).compile());
  const q = db
    .updateTable('pulse_schedules')
    .set({ last_run_at: spec.now, last_execution_id: execution.id, last_status: 'running', next_run_at: spec.now + spec.gapMs, updated_at: spec.now })
    .where('id', '=', s.id)
    .returningAll()
    .compile();
  const schedule = (yield* query(q)).rows[0]!;
  yield* pruneExecutionsOp(db, dialect, [s.id], spec.keep);
  return { schedule, execution, job };
}

/** No match in (after, through]: the cursor moves to `through` (unless the watcher moved meanwhile). */
export function* advanceWatchOp(db: Kysely<Schema>, dialect: Dialect, f: { id: string; after: number; through: number }): Op<boolean> {
  const s = yield* lockWatcher(db, dialect, f.id);
  if (!s || s.watch !== 1 || s.last_status === 'running' || Number(s.watch_cursor ?? 0) !== f.after) return false;
  yield* query(db.updateTable('pulse_schedules').set({ watch_cursor: f.through }).where('id', '=', f.id).compile());
  return true;
}

/** Watchers that may be handed a batch at `now`: active, not running, not waiting (rate, backoff). */
export function dueWatchersQuery(db: Kysely<Schema>, now: number) {
  return db
    .selectFrom('pulse_schedules')
    .selectAll()
    .where('watch', '=', 1)
    .where('state', '=', sql.lit('active' as const))
    .where((eb) => eb.or([eb('last_status', 'is', null), eb('last_status', '<>', sql.lit('running' as const))]))
    .where((eb) => eb.or([eb('next_run_at', 'is', null), eb('next_run_at', '<=', now)]))
    .orderBy('id')
    .compile();
}

/** The earliest time a waiting watcher may run again (null: none waits). */
export function nextWatchQuery(db: Kysely<Schema>, now: number) {
  return db
    .selectFrom('pulse_schedules')
    .select((eb) => eb.fn.min('next_run_at').as('at'))
    .where('watch', '=', 1)
    .where('state', '=', sql.lit('active' as const))
    .where('next_run_at', '>', now)
    .compile();
}

/** The executions (by id) among `ids`, with their schedule and chain: who made an attestation. */
export function executionChainsQuery(db: Kysely<Schema>, ids: readonly string[]) {
  return db.selectFrom('pulse_executions').select(['id', 'schedule_id', 'watch_chain']).where('id', 'in', [...ids]);
}

export type ExecutionChainRow = Pick<ExecutionRow, 'id' | 'schedule_id' | 'watch_chain'>;
