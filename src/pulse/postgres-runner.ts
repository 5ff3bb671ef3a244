// Drives Pulse operations on PostgreSQL inside Kysely transactions. A deadlock or serialization
// failure rolls the whole operation back; it is then run again from the start (at most 3 times).
import type { CompiledQuery, Kysely } from 'kysely';
import type { Schema } from '../db/schema.js';
import type { Op, QueryResult, TxRunner } from './tx.js';

const RETRY_CODES = new Set(['40P01', '40001']);
const MAX_ATTEMPTS = 4;

export class PostgresRunner implements TxRunner {
  readonly dialect = 'postgres' as const;

  constructor(private readonly db: Kysely<Schema>) {}

  async transaction<T>(op: () => Op<T>): Promise<T> {
    for (let attempt = 1; ; attempt++) {
      try {
        return await this.db.transaction().execute(async (trx) => {
          const gen = op();
          let step = gen.next();
          while (!step.done) {
            const res = await trx.executeQuery(step.value);
            step = gen.next({ rows: res.rows, changes: changes(res) });
          }
          return step.value;
        });
      } catch (err) {
        if (attempt >= MAX_ATTEMPTS || !RETRY_CODES.has((err as { code?: string }).code ?? '')) throw err;
      }
    }
  }

  async autocommit<T>(op: () => Op<T>): Promise<T> {
    const gen = op();
    let step = gen.next();
    while (!step.done) step = gen.next(await this.run(step.value));
    return step.value;
  }

  async run<R>(q: CompiledQuery<R>): Promise<QueryResult<R>> {
    const res = await this.db.executeQuery(q);
    return { rows: res.rows, changes: changes(res) };
  }
}

function changes(res: { rows: unknown[]; numAffectedRows?: bigint }): number {
  return res.numAffectedRows === undefined ? res.rows.length : Number(res.numAffectedRows);
}
