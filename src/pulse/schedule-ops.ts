// The transactions of schedules: the tick (claim due schedules, create each execution with its
// job, move next_run_at along the grid), trigger-now, and delete. Written once as Ops.
import type { Kysely } from 'kysely';
import { sql } from '../db/kysely.js';
import type { Dialect } from '../db/migrations.js';
import type { Schema } from '../db/schema.js';
import { planCronTick } from './cron.js';
import { newExecutionRow, pruneExecutionsOp } from './executions.js';
import { nextGridPoint } from './grid.js';
import type { PulseIds } from './ids.js';
import { newJobRow } from './job-ops.js';
import type { ExecutionRow, JobRow, ScheduleRow } from './rows.js';
import { query, type Op } from '../db/tx.js';

export type JobDefaults = (handlerName: string) => { timeoutMs: number; maxRetries: number };

export interface RunSpec {
  now: number;
  ids: PulseIds;
  jobDefaults: JobDefaults;
  /** Executions kept per schedule: older ones are pruned when a new one is created. */
  keep: number;
}

export interface Fired {
  /** The schedule as it is after the tick. */
  schedule: ScheduleRow;
  execution: ExecutionRow;
  job: JobRow;
}

export interface TickResult {
  /** Due schedules handled (fired or skipped); equal to the limit means more may be due. */
  claimed: number;
  fired: Fired[];
  /** Schedules whose tick was skipped because their previous execution still runs. */
  skipped: ScheduleRow[];
}

function newRun(s: ScheduleRow, spec: RunSpec, trigger: 'schedule' | 'manual', dueAt: number | null) {
  const jobId = spec.ids.next('JB');
  const execution = newExecutionRow({ id: spec.ids.next('EX'), scheduleId: s.id, jobId, trigger, dueAt, now: spec.now });
  const d = spec.jobDefaults(s.handler_name);
  const job = newJobRow({
    id: jobId,
    handler_name: s.handler_name,
    payload: JSON.parse(s.payload),
    source: null,
    max_retries: d.maxRetries,
    timeout_ms: s.timeout_seconds === null ? d.timeoutMs : s.timeout_seconds * 1000,
    run_at: spec.now,
    schedule_id: s.id,
    execution_id: execution.id,
    now: spec.now,
  });
  return { execution, job };
}

export interface TickPlan {
  fire: boolean;
  /** The grid point the run is for: the latest one that has come (the schedule's due time for interval 0). */
  dueAt: number;
  next: number | null;
  state: ScheduleRow['state'];
  /** Grid points that come and go without a run: missed ones (downtime, a late tick) and a skipped one. */
  skipped: number;
}

/**
 * What a tick does to one due schedule. Pure. Every grid point from the due one up to now is
 * either run (the latest, once) or counted in skipped_count, so that none is lost unrecorded.
 */
export function planTick(s: ScheduleRow, now: number): TickPlan {
  const due = s.next_run_at ?? now;
  // The skip rule: never two executions of one schedule at once.
  const fire = s.last_status !== 'running';
  if (s.cron) {
    const c = planCronTick({ cron: s.cron, timezone: s.timezone ?? null }, due, now);
    const state = c.next === null ? 'inactive' : 'active';
    return { fire, dueAt: c.dueAt, next: c.next, state, skipped: fire ? c.points - 1 : c.points };
  }
  if (s.interval_seconds === 0) return { fire, dueAt: due, next: null, state: 'inactive', skipped: fire ? 0 : 1 };
  const interval = s.interval_seconds * 1000;
  const next = nextGridPoint(due, interval, now);
  const points = Math.round((next - due) / interval);
  return { fire, dueAt: next - interval, next, state: 'active', skipped: fire ? points - 1 : points };
}

export function* tickOp(db: Kysely<Schema>, dialect: Dialect, spec: RunSpec & { limit: number }): Op<TickResult> {
  let sel = db
    .selectFrom('pulse_schedules')
    .selectAll()
    .where('state', '=', sql.lit('active' as const))
    // Watchers are run by new data (watcher.ts), not by the ticker.
    .where('watch', '=', 0)
    .where('next_run_at', '<=', spec.now)
    .orderBy('next_run_at')
    .orderBy('id')
    .limit(spec.limit);
  if (dialect === 'postgres') sel = sel.forUpdate().skipLocked();
  const due = (yield* query(sel.compile())).rows;
  const result: TickResult = { claimed: due.length, fired: [], skipped: [] };
  for (const s of due) {
    const plan = planTick(s, spec.now);
    const base: ScheduleRow = { ...s, next_run_at: plan.next, state: plan.state, updated_at: spec.now };
    if (plan.skipped) Object.assign(base, { skipped_count: s.skipped_count + plan.skipped, last_skipped_at: spec.now });
    if (!plan.fire) {
      result.skipped.push(base);
      continue;
    }
    const { execution, job } = newRun(s, spec, 'schedule', plan.dueAt);
    const schedule: ScheduleRow = { ...base, last_run_at: spec.now, last_execution_id: execution.id, last_status: 'running' };
    result.fired.push({ schedule, execution, job });
  }
  if (result.fired.length) {
    yield* query(db.insertInto('pulse_executions').values(result.fired.map((f) => f.execution)).compile());
    yield* query(db.insertInto('pulse_jobs').values(result.fired.map((f) => f.job)).compile());
  }
  const updated = [...result.fired.map((f) => f.schedule), ...result.skipped];
  if (dialect === 'postgres') {
    if (updated.length) yield* query(bulkScheduleUpdate(db, updated));
  } else {
    for (const s of updated) yield* query(scheduleUpdate(db, s));
  }
  yield* pruneExecutionsOp(db, dialect, result.fired.map((f) => f.schedule.id), spec.keep);
  return result;
}

const TICK_COLUMNS = [
  'next_run_at',
  'state',
  'last_run_at',
  'last_execution_id',
  'last_status',
  'skipped_count',
  'last_skipped_at',
  'updated_at',
] as const;

function scheduleUpdate(db: Kysely<Schema>, s: ScheduleRow) {
  const set: Partial<ScheduleRow> = {};
  for (const c of TICK_COLUMNS) (set as Record<string, unknown>)[c] = s[c];
  return db.updateTable('pulse_schedules').set(set).where('id', '=', s.id).compile();
}

/** PostgreSQL: one UPDATE ... FROM unnest() for the whole batch instead of one per schedule. */
function bulkScheduleUpdate(db: Kysely<Schema>, rows: ScheduleRow[]) {
  const col = <K extends keyof ScheduleRow>(k: K) => rows.map((r) => r[k]);
  return sql`
    update pulse_schedules as s set
      next_run_at = v.next_run_at, state = v.state, last_run_at = v.last_run_at,
      last_execution_id = v.last_execution_id, last_status = v.last_status,
      skipped_count = v.skipped_count, last_skipped_at = v.last_skipped_at, updated_at = v.updated_at
    from unnest(${col('id')}::text[], ${col('next_run_at')}::bigint[], ${col('state')}::text[],
      ${col('last_run_at')}::bigint[], ${col('last_execution_id')}::text[], ${col('last_status')}::text[],
      ${col('skipped_count')}::int[], ${col('last_skipped_at')}::bigint[], ${col('updated_at')}::bigint[])
      as v(id, next_run_at, state, last_run_at, last_execution_id, last_status, skipped_count, last_skipped_at, updated_at)
    where s.id = v.id`.compile(db);
}

export type TriggerResult = { kind: 'fired'; fired: Fired } | { kind: 'running'; schedule: ScheduleRow } | null;

/** Runs a schedule now, whatever its state, unless its previous execution still runs. */
export function* triggerOp(db: Kysely<Schema>, dialect: Dialect, spec: RunSpec & { id: string }): Op<TriggerResult> {
  let sel = db.selectFrom('pulse_schedules').selectAll().where('id', '=', spec.id);
  if (dialect === 'postgres') sel = sel.forUpdate();
  const s = (yield* query(sel.compile())).rows[0];
  if (!s) return null;
  if (s.last_status === 'running') return { kind: 'running', schedule: s };
  const { execution, job } = newRun(s, spec, 'manual', null);
  yield* query(db.insertInto('pulse_executions').values(execution).compile());
  yield* query(db.insertInto('pulse_jobs').values(job).compile());
  const q = db
    .updateTable('pulse_schedules')
    .set({ last_run_at: spec.now, last_execution_id: execution.id, last_status: 'running', updated_at: spec.now })
    .where('id', '=', s.id)
    .returningAll()
    .compile();
  const schedule = (yield* query(q)).rows[0]!;
  yield* pruneExecutionsOp(db, dialect, [s.id], spec.keep);
  return { kind: 'fired', fired: { schedule, execution, job } };
}

/** Changes a schedule inside a transaction: `change` maps the locked row to the columns to set. */
/** Any number: the key of the advisory lock that serialises making schedules active. */
const ACTIVE_CAP_LOCK = 0x716e7478; // "qntx"

/** Too many active schedules: the write was not made. */
export class ActiveCapReached extends Error {
  constructor(readonly active: number) {
    super(`active schedules: ${active}`);
  }
}

/**
 * Throws ActiveCapReached when `max` schedules are active already. The count and the write that
 * follows it are one step: PostgreSQL takes a transaction-scoped advisory lock first (two
 * transactions would each count the same rows under READ COMMITTED); SQLite's transaction holds
 * the write lock already.
 */
export function* checkActiveCapOp(db: Kysely<Schema>, dialect: Dialect, max: number | undefined): Op<void> {
  if (max === undefined) return;
  if (dialect === 'postgres') yield* query(sql`select pg_advisory_xact_lock(${sql.lit(ACTIVE_CAP_LOCK)})`.compile(db));
  const q = db
    .selectFrom('pulse_schedules')
    .select((eb) => eb.fn.countAll<number>().as('n'))
    .where('state', '=', sql.lit('active' as const))
    .compile();
  const active = Number((yield* query(q)).rows[0]?.n ?? 0);
  if (active >= max) throw new ActiveCapReached(active);
}

/** Inserts a new active schedule within the cap; with `unlessOwned`, null if its owner keeps one. */
export function* insertScheduleOp(
  db: Kysely<Schema>,
  dialect: Dialect,
  row: ScheduleRow,
  o: { maxActive: number | undefined; unlessOwned: boolean },
): Op<ScheduleRow | null> {
  yield* checkActiveCapOp(db, dialect, o.maxActive);
  let q = db.insertInto('pulse_schedules').values(row);
  if (o.unlessOwned) q = q.onConflict((oc) => oc.column('owner').doNothing());
  return (yield* query(q.returningAll().compile())).rows[0] ?? null;
}

export function* patchScheduleOp(
  db: Kysely<Schema>,
  dialect: Dialect,
  id: string,
  change: (s: ScheduleRow) => Partial<ScheduleRow> | null,
  maxActive?: number,
): Op<ScheduleRow | null> {
  let sel = db.selectFrom('pulse_schedules').selectAll().where('id', '=', id);
  if (dialect === 'postgres') sel = sel.forUpdate();
  const s = (yield* query(sel.compile())).rows[0];
  if (!s) return null;
  const set = change(s);
  if (!set) return s;
  // Made active (resumed, or run again): within the cap, counted in this transaction.
  if (set.state === 'active' && s.state !== 'active') yield* checkActiveCapOp(db, dialect, maxActive);
  return (yield* query(db.updateTable('pulse_schedules').set(set).where('id', '=', id).returningAll().compile())).rows[0]!;
}

export interface DeleteResult {
  schedule: ScheduleRow;
  /** Queued jobs of the schedule, now cancelled. */
  cancelled: JobRow[];
  /** Running jobs of the schedule, asked to cancel. */
  cancelRequested: JobRow[];
}

/** Deletes a schedule with its executions; its queued jobs are cancelled, running ones asked to. */
export function* deleteScheduleOp(db: Kysely<Schema>, dialect: Dialect, f: { id: string; now: number }): Op<DeleteResult | null> {
  // The schedule row first: a tick firing it holds that lock until its job and execution are
  // committed, so every statement below (each with a fresh snapshot) sees them. Taken after the
  // jobs, the tick's job stayed queued and ran for a schedule that was gone. A job's completion
  // locks job → execution → schedule: against it this order can deadlock, which PostgreSQL
  // detects and the transaction runner retries.
  if (dialect === 'postgres') yield* query(db.selectFrom('pulse_schedules').select('id').where('id', '=', f.id).forUpdate().compile());
  const cancelled = (yield* query(
    db
      .updateTable('pulse_jobs')
      .set({ status: 'cancelled', completed_at: f.now, updated_at: f.now, error: 'schedule deleted', error_details: '["reason=schedule_deleted"]' })
      .where('schedule_id', '=', f.id)
      .where('status', '=', sql.lit('queued' as const))
      .returningAll()
      .compile(),
  )).rows;
  const cancelRequested = (yield* query(
    db
      .updateTable('pulse_jobs')
      .set({ cancel_requested: 1, updated_at: f.now })
      .where('schedule_id', '=', f.id)
      .where('status', '=', sql.lit('running' as const))
      .returningAll()
      .compile(),
  )).rows;
  yield* query(db.deleteFrom('pulse_executions').where('schedule_id', '=', f.id).compile());
  const schedule = (yield* query(db.deleteFrom('pulse_schedules').where('id', '=', f.id).returningAll().compile())).rows[0];
  return schedule ? { schedule, cancelled, cancelRequested } : null;
}
