// The transaction of a webhook delivery and what keeps a hook's stored deliveries bounded: a
// delivery id or a signed body seen before answers the first execution; the payload bytes of a
// hook's deliveries are held to its quota (the oldest finished ones go to make room, running and
// queued ones never); beyond the newest `keep` deliveries, finished ones go.
import type { Kysely } from 'kysely';
import type { Schema } from '../db/schema.js';
import type { HookBodiesTable, HookDeliveriesTable } from '../db/secrets-schema.js';
import { query, type Op } from '../db/tx.js';
import { QntxError } from '../errors.js';
import type { ExecutionRow, JobRow } from '../pulse/rows.js';

/** How long a signed body is remembered: the same body within it is a replay. */
export const BODY_DEDUPE_MS = 24 * 3600_000;
/** Default quota of a hook's stored payloads (queued and kept), bytes. */
export const DEFAULT_HOOK_QUOTA_BYTES = 100 * 1024 * 1024;

export interface DeliveryAnswer {
  execution_id: string;
  job_id: string | null;
  duplicate: boolean;
}

/** 507: the payloads a hook holds and this one would pass its quota. */
export class HookQuotaError extends QntxError {
  constructor(f: { hookId: string; quota: number; held: number; bytes: number }) {
    super('hook_quota', 507, "this hook's storage quota is full", {
      details: [`hook_id=${f.hookId}`, `quota_bytes=${f.quota}`, `active_bytes=${f.held}`, `delivery_bytes=${f.bytes}`],
      hint: 'deliveries still queued or running hold the quota: retry when they have run, or raise QNTX_HOOK_QUOTA_BYTES',
    });
  }
}

export interface DeliveryRows {
  delivery: HookDeliveriesTable;
  /** The signed body's key (SHA-256 of its HMAC), or null for an unsigned hook. */
  bodyHash: string | null;
  execution: ExecutionRow;
  job: JobRow;
  now: number;
  keep: number;
  quota: number;
}

export function* deliverOp(db: Kysely<Schema>, f: DeliveryRows): Op<DeliveryAnswer> {
  const hookId = f.delivery.hook_id;
  // A write to the hook's row first: on PostgreSQL it holds the row lock, so deliveries to one
  // hook pass the quota check one at a time (SQLite holds the database's write lock already).
  yield* query(db.updateTable('hooks').set((eb) => ({ delivery_count: eb.ref('delivery_count') })).where('id', '=', hookId).compile());
  const ins = yield* query(db.insertInto('hook_deliveries').values(f.delivery).onConflict((oc) => oc.columns(['hook_id', 'delivery_key']).doNothing()).returning('id').compile());
  if (ins.rows.length === 0) {
    const q = db.selectFrom('hook_deliveries').select('execution_id').where('hook_id', '=', hookId).where('delivery_key', '=', f.delivery.delivery_key).compile();
    return { execution_id: (yield* query(q)).rows[0]!.execution_id, job_id: null, duplicate: true };
  }
  if (f.bodyHash !== null) {
    const first = yield* bodySeenOp(db, { hook_id: hookId, body_hash: f.bodyHash, execution_id: f.execution.id, received_at: f.now });
    if (first !== null) {
      yield* query(db.deleteFrom('hook_deliveries').where('id', '=', f.delivery.id).compile());
      return { execution_id: first, job_id: null, duplicate: true };
    }
  }
  yield* quotaOp(db, { hookId, newId: f.delivery.id, bytes: f.delivery.bytes, quota: f.quota });
  yield* query(db.insertInto('pulse_executions').values(f.execution).compile());
  yield* query(db.insertInto('pulse_jobs').values(f.job).compile());
  yield* query(
    db
      .updateTable('hooks')
      .set((eb) => ({ last_delivery_at: f.now, delivery_count: eb('delivery_count', '+', 1) }))
      .where('id', '=', hookId)
      .compile(),
  );
  // Deliveries past the newest `keep` go, with their executions and jobs (a hook's executions
  // belong to no schedule, whose pruning would otherwise bound them); running ones stay.
  const old = (yield* query(
    finishedOrNot(db, hookId).orderBy('d.id', 'desc').limit(100).offset(f.keep).compile(),
  )).rows.filter((r) => r.status !== 'running');
  yield* dropDeliveriesOp(db, old);
  yield* query(db.deleteFrom('hook_bodies').where('hook_id', '=', hookId).where('received_at', '<', f.now - BODY_DEDUPE_MS).compile());
  return { execution_id: f.execution.id, job_id: f.job.id, duplicate: false };
}

/**
 * Records a signed body; the execution of its first delivery when it was seen within
 * BODY_DEDUPE_MS (an older record is taken over by this delivery).
 */
function* bodySeenOp(db: Kysely<Schema>, row: HookBodiesTable): Op<string | null> {
  const taken = yield* query(
    db
      .insertInto('hook_bodies')
      .values(row)
      .onConflict((oc) =>
        oc
          .columns(['hook_id', 'body_hash'])
          .doUpdateSet({ execution_id: row.execution_id, received_at: row.received_at })
          .where('hook_bodies.received_at', '<', row.received_at - BODY_DEDUPE_MS),
      )
      .returning('hook_id')
      .compile(),
  );
  if (taken.rows.length > 0) return null;
  const q = db.selectFrom('hook_bodies').select('execution_id').where('hook_id', '=', row.hook_id).where('body_hash', '=', row.body_hash).compile();
  return (yield* query(q)).rows[0]!.execution_id;
}

/**
 * Makes room for `bytes` within the quota: refused (nothing changed) when the running and queued
 * deliveries alone would pass it; else the oldest finished deliveries go until it fits.
 */
function* quotaOp(db: Kysely<Schema>, f: { hookId: string; newId: string; bytes: number; quota: number }): Op<void> {
  const stored = yield* storedBytesOp(db, f.hookId);
  // `stored` counts the new delivery's row already.
  let over = stored - f.quota;
  if (over <= 0) return;
  const active = yield* query(
    db
      .selectFrom('hook_deliveries as d')
      .innerJoin('pulse_executions as e', 'e.id', 'd.execution_id')
      .select((eb) => eb.fn.sum<string | number>('d.bytes').as('n'))
      .where('d.hook_id', '=', f.hookId)
      .where('e.status', '=', 'running')
      .compile(),
  );
  const held = Number(active.rows[0]?.n ?? 0);
  if (held + f.bytes > f.quota) throw new HookQuotaError({ hookId: f.hookId, quota: f.quota, held, bytes: f.bytes });
  while (over > 0) {
    const finished = finishedOrNot(db, f.hookId)
      .where('d.id', '!=', f.newId)
      .where((eb) => eb.or([eb('e.status', 'is', null), eb('e.status', '!=', 'running')]))
      .orderBy('d.id', 'asc')
      .limit(100);
    const batch = (yield* query(finished.compile())).rows;
    const drop: typeof batch = [];
    for (const r of batch) {
      if (over <= 0) break;
      drop.push(r);
      over -= Number(r.bytes);
    }
    if (drop.length === 0) return; // cannot happen: held + bytes fits, so finished ones make up the rest
    yield* dropDeliveriesOp(db, drop);
  }
}

/** The payload bytes a hook holds (queued, running and kept deliveries). */
export function* storedBytesOp(db: Kysely<Schema>, hookId: string): Op<number> {
  const r = yield* query(
    db
      .selectFrom('hook_deliveries')
      .select((eb) => eb.fn.sum<string | number>('bytes').as('n'))
      .where('hook_id', '=', hookId)
      .compile(),
  );
  return Number(r.rows[0]?.n ?? 0);
}

/** A hook's deliveries with their execution's status and job (null when the execution is gone). */
function finishedOrNot(db: Kysely<Schema>, hookId: string) {
  return db
    .selectFrom('hook_deliveries as d')
    .leftJoin('pulse_executions as e', 'e.id', 'd.execution_id')
    .select(['d.id', 'd.execution_id', 'd.bytes', 'e.status', 'e.async_job_id'])
    .where('d.hook_id', '=', hookId);
}

/** Deletes deliveries with their (finished) executions and jobs: the job holds the payload. */
function* dropDeliveriesOp(db: Kysely<Schema>, rows: Array<{ id: string; execution_id: string; async_job_id: string | null }>): Op<void> {
  if (rows.length === 0) return;
  const jobs = rows.map((r) => r.async_job_id).filter((j): j is string => j !== null);
  yield* query(db.deleteFrom('pulse_executions').where('id', 'in', rows.map((r) => r.execution_id)).where('schedule_id', 'is', null).where('status', '!=', 'running').compile());
  if (jobs.length) yield* query(db.deleteFrom('pulse_jobs').where('id', 'in', jobs).where('completed_at', 'is not', null).compile());
  yield* query(db.deleteFrom('hook_deliveries').where('id', 'in', rows.map((r) => r.id)).compile());
}

export function* removeOp(db: Kysely<Schema>, id: string): Op<boolean> {
  // Its finished runs go with it; a running one finishes and stays readable by its id.
  const runs = db.selectFrom('hook_deliveries').select('execution_id').where('hook_id', '=', id);
  yield* query(db.deleteFrom('pulse_executions').where('id', 'in', runs).where('schedule_id', 'is', null).where('status', '!=', 'running').compile());
  yield* query(db.deleteFrom('hook_deliveries').where('hook_id', '=', id).compile());
  yield* query(db.deleteFrom('hook_bodies').where('hook_id', '=', id).compile());
  const { changes } = yield* query(db.deleteFrom('hooks').where('id', '=', id).compile());
  return changes > 0;
}
