// Per-schedule handler state (ix.state, last_run): read by handlers, saved with a run's success.
// saveWith() runs the caller's own writes in the same transaction as the state (e.g. the last
// attestation batch), so a crash keeps both or neither.
import type { Kysely } from 'kysely';
import type { Schema } from '../db/schema.js';
import { parseJson } from './rows.js';
import { query, type DbTx, type SqliteRunner } from '../db/tx.js';
import { SourceStateStore } from './source-state.js';

export interface ScheduleState {
  /** What the last successful run saved (null: nothing yet). */
  state: unknown;
  /** Start time of the last successful run, ms (null: none yet). */
  lastSuccessAt: number | null;
}

/**
 * The transaction the extra work of saveWith() runs in. SQLite: the raw better-sqlite3 handle
 * inside raw.transaction(): the work must be synchronous (a returned promise is an error, and the
 * whole transaction rolls back). PostgreSQL: the Kysely transaction; the work may await on it.
 */
export type StateTx = DbTx;
export type StateWork = (tx: StateTx) => void | Promise<void>;

export class ScheduleStateStore {
  /** Ingest state per source (handler type + arguments), shared by every schedule of that source. */
  readonly sources: SourceStateStore;

  constructor(
    private readonly db: Kysely<Schema>,
    private readonly sqlite: SqliteRunner | undefined,
    now: () => number = Date.now,
  ) {
    this.sources = new SourceStateStore(db, sqlite, now);
  }

  async get(scheduleId: string): Promise<ScheduleState> {
    const row = await this.db
      .selectFrom('pulse_schedules')
      .select(['handler_state', 'last_success_at'])
      .where('id', '=', scheduleId)
      .executeTakeFirst();
    return { state: parseJson(row?.handler_state ?? null), lastSuccessAt: row?.last_success_at ?? null };
  }

  /**
   * Saves `state` (and `succeededAt` as last_success_at, when given) on the schedule and runs
   * `work` in the same transaction. Returns false when the schedule no longer exists (the work is
   * then rolled back too). With a null scheduleId only `work` runs, in a transaction of its own.
   */
  async saveWith(scheduleId: string | null, state: unknown, opts: { succeededAt?: number | null } = {}, work?: StateWork): Promise<boolean> {
    const set: { handler_state: string; last_success_at?: number } = { handler_state: JSON.stringify(state ?? null) };
    if (opts.succeededAt != null) set.last_success_at = opts.succeededAt;
    // With no schedule, an update that matches nothing stands in, and its count is not checked.
    const update = this.db.updateTable('pulse_schedules').set(set).where('id', '=', scheduleId ?? '').compile();
    const check = (changes: number) => {
      if (scheduleId !== null && changes === 0) throw new ScheduleGone();
    };
    try {
      if (this.sqlite) {
        const raw = this.sqlite.raw;
        return this.sqlite.transactionSync(function* () {
          const r = work?.({ kind: 'sqlite', raw });
          if (r && typeof (r as Promise<void>).then === 'function') {
            throw new Error('saveWith: the work must be synchronous on SQLite');
          }
          check((yield* query(update)).changes);
          return true;
        });
      }
      return await this.db.transaction().execute(async (trx) => {
        await work?.({ kind: 'postgres', trx });
        const res = await trx.executeQuery(update);
        check(Number(res.numAffectedRows ?? 0));
        return true;
      });
    } catch (err) {
      if (err instanceof ScheduleGone) return false;
      throw err;
    }
  }
}

class ScheduleGone extends Error {}
