// The transactions of the job queue (claim, finish, reap, cancel, release), written once for both
// databases as Ops. Every write to a running job is conditioned on the lease it was claimed with.
import type { Kysely, UpdateObject } from 'kysely';
import { sql } from '../db/kysely.js';
import type { Dialect } from '../db/migrations.js';
import type { Schema } from '../db/schema.js';
import type { HandlerResult } from './catalog.js';
import { finishExecutionOp, type ExecutionEnd } from './executions.js';
import { planFailure } from './failure-policy.js';
import type { ErrorRecord } from './job-errors.js';
import type { LeaseTime } from './lease-time.js';
import type { ExecutionRow, JobRow, ScheduleRow } from './rows.js';
import { query, type Op } from '../db/tx.js';

const QUEUED = sql.lit('queued' as const);
const RUNNING = sql.lit('running' as const);

export interface NewJob {
  id: string;
  handler_name: string;
  payload: unknown;
  source: string | null;
  max_retries: number;
  timeout_ms: number;
  run_at: number;
  schedule_id: string | null;
  execution_id: string | null;
  now: number;
}

export function newJobRow(j: NewJob): JobRow {
  return {
    id: j.id,
    handler_name: j.handler_name,
    payload: JSON.stringify(j.payload ?? null),
    source: j.source,
    status: 'queued',
    progress_current: null,
    progress_total: null,
    error: null,
    error_details: '[]',
    retry_count: 0,
    max_retries: j.max_retries,
    timeout_ms: j.timeout_ms,
    run_at: j.run_at,
    lease_owner: null,
    lease_expires_at: null,
    cancel_requested: 0,
    schedule_id: j.schedule_id,
    execution_id: j.execution_id,
    created_at: j.now,
    started_at: null,
    completed_at: null,
    updated_at: j.now,
  };
}

/** How an attempt ended. `retryAt` null on a failure means: no retry left (or not retryable). */
export type Outcome =
  | { kind: 'completed'; result: HandlerResult }
  | { kind: 'failed'; error: ErrorRecord; retryAt: number | null; result?: HandlerResult | undefined }
  | { kind: 'cancelled'; error: ErrorRecord; result?: HandlerResult | undefined };

export interface Settled {
  job: JobRow;
  /** Set when the job belongs to an execution that this outcome finished. */
  execution: ExecutionRow | null;
  schedule: ScheduleRow | null;
}

export interface ClaimRequest {
  workerId: string;
  /** The claimer's clock: due jobs have run_at <= now. The lease itself is on the lease clock. */
  now: number;
  leaseMs: number;
  limit: number;
  /** Only these handlers (a worker process dedicated to some handlers); all when undefined. */
  handlers?: readonly string[] | undefined;
}

export function insertJobQuery(db: Kysely<Schema>, row: JobRow) {
  return db
    .insertInto('pulse_jobs')
    .values(row)
    .onConflict((oc) =>
      oc
        .column('source')
        .where(sql<boolean>`source is not null and status in ('queued', 'running')`)
        .doNothing(),
    )
    .returningAll()
    .compile();
}

export function activeBySourceQuery(db: Kysely<Schema>, source: string) {
  return db
    .selectFrom('pulse_jobs')
    .selectAll()
    .where('source', '=', source)
    .where(sql<boolean>`status in ('queued', 'running')`)
    .compile();
}

/**
 * SQLite: the oldest due jobs become running under this worker's lease, in one atomic statement.
 * (PostgreSQL runs the same statement inside the function `pulse_claim`, migration 006c.)
 */
export function claimQuery(db: Kysely<Schema>, req: ClaimRequest, lt: LeaseTime) {
  let due = db
    .selectFrom('pulse_jobs')
    .select('id')
    .where('status', '=', QUEUED)
    .where('run_at', '<=', req.now);
  if (req.handlers) due = due.where('handler_name', 'in', req.handlers.length ? [...req.handlers] : ['']);
  due = due.orderBy('run_at').orderBy('id').limit(req.limit);
  return db
    .updateTable('pulse_jobs')
    .set({
      status: 'running',
      lease_owner: req.workerId,
      lease_expires_at: sql<number>`${lt.set()} + ${req.leaseMs}`,
      started_at: req.now,
      updated_at: req.now,
    })
    .where('id', 'in', due)
    .where('status', '=', QUEUED)
    .returningAll()
    .compile();
}

/** Renews the leases this worker still holds; returns them with their cancel flag. */
export function heartbeatQuery(db: Kysely<Schema>, workerId: string, ids: readonly string[], leaseMs: number, lt: LeaseTime) {
  return db
    .updateTable('pulse_jobs')
    .set({ lease_expires_at: sql<number>`${lt.set()} + ${leaseMs}` })
    .where('id', 'in', [...ids])
    .where('lease_owner', '=', workerId)
    .where('status', '=', RUNNING)
    .returning(['id', 'cancel_requested'])
    .compile();
}

/** Identifies one attempt: the lease owner and the retry count it was claimed with. */
export interface AttemptRef {
  workerId: string;
  /** retry_count when claimed: a lost lease increments it, so a later claim never matches. */
  attempt: number;
}

export interface ProgressUpdate extends AttemptRef {
  id: string;
  current: number;
  total: number | null;
  now: number;
}

export function progressQuery(db: Kysely<Schema>, f: ProgressUpdate) {
  return db
    .updateTable('pulse_jobs')
    .set({ progress_current: f.current, progress_total: f.total, updated_at: f.now })
    .where('id', '=', f.id)
    .where('lease_owner', '=', f.workerId)
    .where('retry_count', '=', f.attempt)
    .where('status', '=', RUNNING)
    .compile();
}

/** A lease to give back: the job and the attempt (retry_count) it was claimed with. */
export interface LeaseRef {
  id: string;
  attempt: number;
}

/**
 * Gives leases back without counting an attempt, so the jobs run again elsewhere. Conditioned on
 * the attempt too: a release that arrives late must not give back a later lease of the same job.
 * run_at is left as it was (in the past): the job is due at once for every worker, whatever its clock.
 */
export function releaseQuery(db: Kysely<Schema>, workerId: string, leases: readonly LeaseRef[], now: number) {
  return db
    .updateTable('pulse_jobs')
    .set({ status: 'queued', lease_owner: null, lease_expires_at: null, updated_at: now })
    .where((eb) => eb.or(leases.map((l) => eb.and([eb('id', '=', l.id), eb('retry_count', '=', l.attempt)]))))
    .where('lease_owner', '=', workerId)
    .where('status', '=', RUNNING)
    .returningAll()
    .compile();
}

export function runningOwnersQuery(db: Kysely<Schema>) {
  return db.selectFrom('pulse_jobs').select('lease_owner').distinct().where('status', '=', RUNNING).compile();
}

export function nextRunAtQuery(db: Kysely<Schema>) {
  return db
    .selectFrom('pulse_jobs')
    .select((eb) => eb.fn.min<number | null>('run_at').as('t'))
    .where('status', '=', QUEUED)
    .compile();
}

function jobSet(outcome: Outcome, now: number): UpdateObject<Schema, 'pulse_jobs'> {
  const released = { lease_owner: null, lease_expires_at: null, updated_at: now };
  switch (outcome.kind) {
    case 'completed':
      return { ...released, status: 'completed', completed_at: now, error: null, error_details: '[]' };
    case 'cancelled':
      return { ...released, status: 'cancelled', completed_at: now, ...errorCols(outcome.error) };
    case 'failed':
      return outcome.retryAt === null
        ? { ...released, status: 'failed', completed_at: now, ...errorCols(outcome.error) }
        : {
            ...released,
            status: 'queued',
            run_at: outcome.retryAt,
            retry_count: sql<number>`retry_count + 1`,
            ...errorCols(outcome.error),
          };
  }
}

function errorCols(e: ErrorRecord) {
  return { error: e.error, error_details: JSON.stringify(e.error_details) };
}

export interface FinishRequest extends AttemptRef {
  jobId: string;
  executionId: string | null;
  outcome: Outcome;
  now: number;
}

/** Ends an attempt of a job this worker holds; null when the lease was lost meanwhile. */
export function* finishJobOp(db: Kysely<Schema>, dialect: Dialect, f: FinishRequest): Op<Settled | null> {
  const q = db
    .updateTable('pulse_jobs')
    .set(jobSet(f.outcome, f.now))
    .where('id', '=', f.jobId)
    .where('lease_owner', '=', f.workerId)
    .where('retry_count', '=', f.attempt)
    .where('status', '=', RUNNING)
    .returningAll()
    .compile();
  const job = (yield* query(q)).rows[0];
  if (!job) return null;
  return yield* settleOp(db, dialect, job, f.outcome, f.now);
}

/**
 * PostgreSQL: completes many attempts in one statement (the worker's group commit). Only for
 * jobs without an execution, whose completion touches the job row alone.
 */
export function completeManyQuery(db: Kysely<Schema>, reqs: readonly FinishRequest[]) {
  const col = <K extends keyof FinishRequest>(k: K) => reqs.map((r) => r[k]);
  return sql<JobRow>`
    update pulse_jobs as j set status = 'completed', completed_at = v.now, updated_at = v.now,
      lease_owner = null, lease_expires_at = null, error = null, error_details = '[]'
    from unnest(${col('jobId')}::text[], ${col('attempt')}::int[], ${col('workerId')}::text[], ${col('now')}::bigint[])
      as v(id, attempt, owner, now)
    where j.id = v.id and j.retry_count = v.attempt and j.lease_owner = v.owner and j.status = 'running'
    returning j.*`.compile(db);
}

/**
 * After a job reached an end state: finishes its execution with the same outcome and records the
 * result on the schedule (state saved only on success). A requeued job changes nothing here.
 */
export function* settleOp(db: Kysely<Schema>, dialect: Dialect, job: JobRow, outcome: Outcome, now: number): Op<Settled> {
  const none: Settled = { job, execution: null, schedule: null };
  if (job.status === 'queued' || !job.execution_id) return none;
  const end: ExecutionEnd =
    outcome.kind === 'completed'
      ? { status: 'completed', result: outcome.result }
      : { status: 'failed', error: outcome.error, result: outcome.result };
  const execution = yield* finishExecutionOp(db, job.execution_id, end, now);
  if (!execution || !execution.schedule_id) return { ...none, execution };
  let set: UpdateObject<Schema, 'pulse_schedules'> = { last_status: end.status, updated_at: now };
  if (outcome.kind === 'completed') {
    Object.assign(set, { last_success_at: execution.started_at, consecutive_failures: 0 });
    if (outcome.result.state !== undefined) set.handler_state = JSON.stringify(outcome.result.state);
    // A watcher's run that completed moves its cursor past its batch, in this transaction: the
    // batch is never handed again, and a batch not completed is never skipped.
    if (execution.watch_through !== null && execution.watch_through !== undefined) set.watch_cursor = Number(execution.watch_through);
  } else if (outcome.kind === 'failed') {
    // A failure counts, backs off and may pause the schedule (failure-policy.ts); a cancel does not.
    let sel = db.selectFrom('pulse_schedules').selectAll().where('id', '=', execution.schedule_id);
    if (dialect === 'postgres') sel = sel.forUpdate();
    const s = (yield* query(sel.compile())).rows[0];
    if (!s || s.last_execution_id !== execution.id) return { ...none, execution };
    set = planFailure(s, outcome.error.error, now);
  }
  const sq = db
    .updateTable('pulse_schedules')
    .set(set)
    .where('id', '=', execution.schedule_id)
    .where('last_execution_id', '=', execution.id)
    .returningAll()
    .compile();
  const schedule = (yield* query(sq)).rows[0] ?? null;
  return { job, execution, schedule };
}

/**
 * Jobs whose lease ran out (their worker died): back to the queue counting an attempt, or
 * failed when no retry is left, or cancelled when a cancel was pending.
 */
export function* reapOp(
  db: Kysely<Schema>,
  dialect: Dialect,
  f: { now: number; limit: number; lt: LeaseTime; /** Reap these owners' leases now, expired or not. */ owners?: readonly string[] },
): Op<Settled[]> {
  let sel = db.selectFrom('pulse_jobs').selectAll().where('status', '=', RUNNING);
  sel = f.owners ? sel.where('lease_owner', 'in', [...f.owners, '']) : sel.where('lease_expires_at', '<', f.lt.compare());
  sel = sel.orderBy('lease_expires_at').limit(f.limit);
  if (dialect === 'postgres') sel = sel.forUpdate().skipLocked();
  const out: Settled[] = [];
  for (const row of (yield* query(sel.compile())).rows) {
    const outcome = lostOutcome(row);
    const q = db
      .updateTable('pulse_jobs')
      .set(jobSet(outcome, f.now))
      .where('id', '=', row.id)
      .where('status', '=', RUNNING)
      .where('lease_owner', '=', row.lease_owner)
      .returningAll()
      .compile();
    const job = (yield* query(q)).rows[0];
    if (job) out.push(yield* settleOp(db, dialect, job, outcome, f.now));
  }
  return out;
}

/**
 * A worker dying is rarely the job's fault: a lost lease is retried even when the handler allows
 * no retries, up to this many times, so that a job that kills its worker each time still ends.
 */
export const LOST_LEASE_RETRIES = 3;

/** run_at stays as it was (in the past): the job is due at once for every worker, whatever its clock. */
function lostOutcome(row: JobRow): Outcome {
  const error: ErrorRecord = {
    error: `lease lost: worker ${row.lease_owner ?? '?'} stopped`,
    error_details: [`worker=${row.lease_owner ?? ''}`, 'reason=lease_lost'],
  };
  if (row.cancel_requested === 1) return { kind: 'cancelled', error: cancelledError() };
  const budget = Math.max(row.max_retries, LOST_LEASE_RETRIES);
  return { kind: 'failed', error, retryAt: row.retry_count < budget ? row.run_at : null };
}

export function cancelledError(): ErrorRecord {
  return { error: 'job cancelled', error_details: ['reason=cancelled'] };
}

export interface CancelResult extends Settled {
  /** The job was running: its owner aborts it when it sees the request. */
  requested: boolean;
  /** This call changed the job (false: it had ended already, or the cancel was asked before). */
  changed: boolean;
}

/** A queued job is cancelled at once; a running one gets cancel_requested for its owner. */
export function* cancelOp(db: Kysely<Schema>, dialect: Dialect, f: { id: string; now: number }): Op<CancelResult | null> {
  let sel = db.selectFrom('pulse_jobs').selectAll().where('id', '=', f.id);
  if (dialect === 'postgres') sel = sel.forUpdate();
  const row = (yield* query(sel.compile())).rows[0];
  if (!row) return null;
  if (row.status === 'queued') {
    const outcome: Outcome = { kind: 'cancelled', error: cancelledError() };
    const q = db.updateTable('pulse_jobs').set(jobSet(outcome, f.now)).where('id', '=', f.id).returningAll().compile();
    const job = (yield* query(q)).rows[0]!;
    return { ...(yield* settleOp(db, dialect, job, outcome, f.now)), requested: false, changed: true };
  }
  if (row.status === 'running' && row.cancel_requested === 0) {
    const q = db
      .updateTable('pulse_jobs')
      .set({ cancel_requested: 1, updated_at: f.now })
      .where('id', '=', f.id)
      .returningAll()
      .compile();
    return { job: (yield* query(q)).rows[0]!, execution: null, schedule: null, requested: true, changed: true };
  }
  return { job: row, execution: null, schedule: null, requested: row.status === 'running', changed: false };
}
