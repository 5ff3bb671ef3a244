// Storage of schedules and executions: one interface, one implementation over a TxRunner.
import type { Kysely } from 'kysely';
import { sql } from '../db/kysely.js';
import type { Dialect } from '../db/migrations.js';
import type { Schema } from '../db/schema.js';
import type { ScheduleState } from '../protocol.js';
import { pageLimit, toPage, type Paging } from './job-store.js';
import type { ExecutionRow, Page, ScheduleRow } from './rows.js';
import {
  deleteScheduleOp,
  insertScheduleOp,
  patchScheduleOp,
  tickOp,
  triggerOp,
  type DeleteResult,
  type RunSpec,
  type TickResult,
  type TriggerResult,
} from './schedule-ops.js';
import type { TxRunner } from '../db/tx.js';

export interface ScheduleFilter {
  state?: ScheduleState | undefined;
  handler_name?: string | undefined;
  created_from?: string | undefined;
  owner?: string | undefined;
}

export interface ExecutionTotals {
  runs: number;
  completed: number;
  failed: number;
  running: number;
  attestations: number;
}

export interface ScheduleStore {
  readonly kind: Dialect;
  /**
   * Inserts within the active cap (ActiveCapReached beyond it, nothing written); with
   * `unlessOwned`, returns null when the row's owner keeps a schedule already (the caller updates it).
   */
  insert(row: ScheduleRow, o?: { maxActive?: number | undefined; unlessOwned?: boolean }): Promise<ScheduleRow | null>;
  getByOwner(owner: string): Promise<ScheduleRow | undefined>;
  get(id: string): Promise<ScheduleRow | undefined>;
  list(filter: ScheduleFilter, paging: Paging): Promise<Page<ScheduleRow>>;
  /** Locks the row, asks `change` what to set (null: nothing), returns the row after. */
  patch(id: string, change: (s: ScheduleRow) => Partial<ScheduleRow> | null, maxActive?: number): Promise<ScheduleRow | null>;
  delete(id: string, now: number): Promise<DeleteResult | null>;
  tick(spec: Omit<RunSpec, 'keep'> & { limit: number }): Promise<TickResult>;
  trigger(spec: Omit<RunSpec, 'keep'> & { id: string }): Promise<TriggerResult>;
  /** The earliest next_run_at of an active schedule. */
  nextDueAt(): Promise<number | null>;
  getExecution(id: string): Promise<ExecutionRow | undefined>;
  /** Counts of the executions still kept, by status, and the attestations they created. */
  executionTotals(scheduleId: string): Promise<ExecutionTotals>;
  listExecutions(scheduleId: string, paging: Paging): Promise<Page<ExecutionRow>>;
}

export class SqlScheduleStore implements ScheduleStore {
  readonly kind: Dialect;

  constructor(
    private readonly db: Kysely<Schema>,
    private readonly runner: TxRunner,
    private readonly executionsKept: number,
  ) {
    this.kind = runner.dialect;
  }

  insert(row: ScheduleRow, o: { maxActive?: number | undefined; unlessOwned?: boolean } = {}): Promise<ScheduleRow | null> {
    return this.runner.transaction(() => insertScheduleOp(this.db, this.kind, row, { maxActive: o.maxActive, unlessOwned: o.unlessOwned ?? false }));
  }

  async getByOwner(owner: string): Promise<ScheduleRow | undefined> {
    return (await this.runner.run(this.db.selectFrom('pulse_schedules').selectAll().where('owner', '=', owner).compile())).rows[0];
  }

  async get(id: string): Promise<ScheduleRow | undefined> {
    return (await this.runner.run(this.db.selectFrom('pulse_schedules').selectAll().where('id', '=', id).compile())).rows[0];
  }

  async list(filter: ScheduleFilter, paging: Paging): Promise<Page<ScheduleRow>> {
    const limit = pageLimit(paging);
    let q = this.db.selectFrom('pulse_schedules').selectAll();
    if (filter.state) q = q.where('state', '=', filter.state);
    if (filter.handler_name) q = q.where('handler_name', '=', filter.handler_name);
    if (filter.created_from) q = q.where('created_from', '=', filter.created_from);
    if (filter.owner) q = q.where('owner', '=', filter.owner);
    if (paging.cursor) q = q.where('id', '<', paging.cursor);
    const { rows } = await this.runner.run(q.orderBy('id', 'desc').limit(limit + 1).compile());
    return toPage(rows, limit);
  }

  patch(id: string, change: (s: ScheduleRow) => Partial<ScheduleRow> | null, maxActive?: number): Promise<ScheduleRow | null> {
    return this.runner.transaction(() => patchScheduleOp(this.db, this.kind, id, change, maxActive));
  }

  delete(id: string, now: number): Promise<DeleteResult | null> {
    return this.runner.transaction(() => deleteScheduleOp(this.db, this.kind, { id, now }));
  }

  tick(spec: Omit<RunSpec, 'keep'> & { limit: number }): Promise<TickResult> {
    return this.runner.transaction(() => tickOp(this.db, this.kind, { ...spec, keep: this.executionsKept }));
  }

  trigger(spec: Omit<RunSpec, 'keep'> & { id: string }): Promise<TriggerResult> {
    return this.runner.transaction(() => triggerOp(this.db, this.kind, { ...spec, keep: this.executionsKept }));
  }

  async nextDueAt(): Promise<number | null> {
    const q = this.db
      .selectFrom('pulse_schedules')
      .select('next_run_at')
      .where('state', '=', sql.lit('active' as const))
      .where('watch', '=', 0)
      .where('next_run_at', 'is not', null)
      .orderBy('next_run_at')
      .orderBy('id')
      .limit(1)
      .compile();
    const row = (await this.runner.run(q)).rows[0];
    return row?.next_run_at ?? null;
  }

  async getExecution(id: string): Promise<ExecutionRow | undefined> {
    return (await this.runner.run(this.db.selectFrom('pulse_executions').selectAll().where('id', '=', id).compile())).rows[0];
  }

  async executionTotals(scheduleId: string): Promise<ExecutionTotals> {
    const q = this.db
      .selectFrom('pulse_executions')
      .select((eb) => [
        eb.fn.countAll<number>().as('runs'),
        sql<number>`count(*) filter (where status = 'completed')`.as('completed'),
        sql<number>`count(*) filter (where status = 'failed')`.as('failed'),
        sql<number>`count(*) filter (where status = 'running')`.as('running'),
        sql<number>`coalesce(sum(attestations_created), 0)`.as('attestations'),
      ])
      .where('schedule_id', '=', scheduleId)
      .compile();
    const r = (await this.runner.run(q)).rows[0];
    return {
      runs: Number(r?.runs ?? 0),
      completed: Number(r?.completed ?? 0),
      failed: Number(r?.failed ?? 0),
      running: Number(r?.running ?? 0),
      attestations: Number(r?.attestations ?? 0),
    };
  }

  async listExecutions(scheduleId: string, paging: Paging): Promise<Page<ExecutionRow>> {
    const limit = pageLimit(paging);
    let q = this.db.selectFrom('pulse_executions').selectAll().where('schedule_id', '=', scheduleId);
    if (paging.cursor) q = q.where('id', '<', paging.cursor);
    const { rows } = await this.runner.run(q.orderBy('id', 'desc').limit(limit + 1).compile());
    return toPage(rows, limit);
  }
}
