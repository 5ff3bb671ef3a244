// Ingest state per source: the handler type and its arguments (for git: the repository), not the
// schedule, so a one-off run, a CLI run and every schedule of the same source continue from one
// place. commit() writes a run's batch, the source's state and the execution's counts in one
// transaction: a run that fails after a commit resumes from it, and its counts stay exact.
import { createHash } from 'node:crypto';
import type { Kysely } from 'kysely';
import { sql } from '../db/kysely.js';
import { query, type DbTx, type SqliteRunner } from '../db/tx.js';
import type { Schema } from '../db/schema.js';
import { parseJson } from './rows.js';

export interface SourceState {
  /** What the last commit saved (null: nothing yet). */
  state: unknown;
  /** Start time of the last successful run of this source, ms (null: none yet). */
  lastSuccessAt: number | null;
}

/** What a batch stored: claims created, and claims that were stored already. */
export interface BatchCounts {
  created: number;
  alreadyKnown: number;
}

/** SQLite: synchronous work inside raw.transaction(); PostgreSQL: may await on the transaction. */
export type BatchWork = (tx: DbTx) => BatchCounts | Promise<BatchCounts>;

export interface SourceCommit {
  /** The source's new state; undefined leaves it as it is. */
  state?: unknown;
  /** The run succeeded (set on its last commit): `last_run` of the next run. */
  succeededAt?: number | null;
}

const NONE: BatchCounts = { created: 0, alreadyKnown: 0 };

export function sourceKeyHash(key: string): string {
  return createHash('sha256').update(key).digest('hex');
}

export class SourceStateStore {
  constructor(
    private readonly db: Kysely<Schema>,
    private readonly sqlite: SqliteRunner | undefined,
    private readonly now: () => number,
  ) {}

  async get(key: string): Promise<SourceState> {
    const row = await this.db
      .selectFrom('ix_source_state')
      .select(['state', 'last_success_at'])
      .where('key_hash', '=', sourceKeyHash(key))
      .executeTakeFirst();
    return { state: parseJson(row?.state ?? null), lastSuccessAt: row?.last_success_at == null ? null : Number(row.last_success_at) };
  }

  /**
   * In one transaction: `work` (the batch's attestations), the source's state (when given, and
   * `key` is not null) and the execution's counts (when `executionId` is not null).
   */
  async commit(key: string | null, executionId: string | null, c: SourceCommit, work?: BatchWork): Promise<BatchCounts> {
    const save = key !== null && (c.state !== undefined || c.succeededAt != null) ? this.saveQuery(key, c) : null;
    const count = (n: BatchCounts) => (executionId && (n.created || n.alreadyKnown) ? this.countQuery(executionId, n) : null);
    if (this.sqlite) {
      const raw = this.sqlite.raw;
      return this.sqlite.transactionSync(function* () {
        const r = work?.({ kind: 'sqlite', raw }) ?? NONE;
        if (typeof (r as Promise<BatchCounts>).then === 'function') throw new Error('SourceStateStore.commit: the work must be synchronous on SQLite');
        const n = r as BatchCounts;
        if (save) yield* query(save);
        const q = count(n);
        if (q) yield* query(q);
        return n;
      });
    }
    return this.db.transaction().execute(async (trx) => {
      const n = (await work?.({ kind: 'postgres', trx })) ?? NONE;
      if (save) await trx.executeQuery(save);
      const q = count(n);
      if (q) await trx.executeQuery(q);
      return n;
    });
  }

  private saveQuery(key: string, c: SourceCommit) {
    const now = this.now();
    const state = c.state === undefined ? null : JSON.stringify(c.state);
    return this.db
      .insertInto('ix_source_state')
      .values({ key_hash: sourceKeyHash(key), source_key: key, state: state ?? 'null', last_success_at: c.succeededAt ?? null, updated_at: now })
      .onConflict((oc) =>
        oc.column('key_hash').doUpdateSet({
          ...(state === null ? {} : { state }),
          ...(c.succeededAt == null ? {} : { last_success_at: c.succeededAt }),
          updated_at: now,
        }),
      )
      .compile();
  }

  private countQuery(executionId: string, n: BatchCounts) {
    return this.db
      .updateTable('pulse_executions')
      .set({
        attestations_created: sql<number>`attestations_created + ${n.created}`,
        attestations_already_known: sql<number>`attestations_already_known + ${n.alreadyKnown}`,
      })
      .where('id', '=', executionId)
      .compile();
  }
}
