// The attestation store on PostgreSQL: batched inserts through unnest() arrays in one transaction.
import { sql, type Kysely, type Transaction } from 'kysely';
import type { DbTx } from '../db/tx.js';
import type pg from 'pg';
import type { Schema } from '../db/schema.js';
import { compileNewest, type CompiledNewest } from './newest.js';
import { buildAttestationQuery, type AttestationRowOut } from './query.js';
import { duplicateIdError, rowToAttestation, toPage } from './rows.js';
import type { AttestationStore } from './store.js';
import { FIELD_CODE, FIELD_NAMES, type Attestation, type AttestationFilter, type NewAttestation } from './types.js';

export class PostgresAttestationStore implements AttestationStore {
  readonly kind = 'postgres' as const;
  private readonly newestSql: CompiledNewest;

  constructor(
    private readonly db: Kysely<Schema>,
    private readonly pool: pg.Pool,
  ) {
    this.newestSql = compileNewest(db);
  }

  async insertMany(items: readonly NewAttestation[]): Promise<void> {
    if (items.length === 0) return;
    try {
      await this.db.transaction().execute((trx) => insertRows(trx, items));
    } catch (err) {
      throw await this.mapInsertError(err, items);
    }
  }

  async insertManyIn(tx: DbTx, items: readonly NewAttestation[]): Promise<void> {
    if (tx.kind !== 'postgres') throw new Error('PostgreSQL store given a SQLite transaction');
    if (items.length === 0) return;
    try {
      await insertRows(tx.trx, items);
    } catch (err) {
      throw await this.mapInsertError(err, items);
    }
  }

  private async mapInsertError(err: unknown, items: readonly NewAttestation[]): Promise<unknown> {
    if ((err as { code?: string }).code !== '23505') return err;
    const ids = items.map((a) => a.id);
    const existing = await this.db.selectFrom('attestations').select('id').where('id', 'in', ids.slice(0, 500)).execute();
    return duplicateIdError(ids, existing.map((r) => r.id), err);
  }

  async query(filter: AttestationFilter) {
    const { compiled, limit } = buildAttestationQuery(this.db, filter);
    const { rows } = await this.db.executeQuery(compiled);
    return toPage(rows, limit);
  }

  async get(id: string): Promise<Attestation | undefined> {
    const row = await this.db.selectFrom('attestations').selectAll().where('id', '=', id).executeTakeFirst();
    return row ? rowToAttestation(row as AttestationRowOut) : undefined;
  }

  async newest(predicate: string, context: string): Promise<Attestation | undefined> {
    const { rows } = await this.pool.query<AttestationRowOut>({
      name: 'qntx_handler_lookup',
      text: this.newestSql.sql,
      values: this.newestSql.params(predicate, context),
    });
    return rows[0] ? rowToAttestation(rows[0]) : undefined;
  }

  async explain(filter: AttestationFilter): Promise<string[]> {
    const { compiled } = buildAttestationQuery(this.db, filter);
    const { rows } = await this.pool.query<{ 'QUERY PLAN': string }>(
      `explain ${compiled.sql}`,
      compiled.parameters as unknown[],
    );
    return rows.map((r) => r['QUERY PLAN']);
  }

  bulk<T>(fn: () => Promise<T>): Promise<T> {
    return fn();
  }

  async count(): Promise<number> {
    const r = await this.db.selectFrom('attestations').select((eb) => eb.fn.countAll<number>().as('n')).executeTakeFirstOrThrow();
    return Number(r.n);
  }
}

/** The two unnest() inserts of a batch, on a transaction the caller holds. */
async function insertRows(trx: Transaction<Schema>, items: readonly NewAttestation[]): Promise<void> {
  const cols = {
    id: [] as string[],
    subjects: [] as string[],
    predicates: [] as string[],
    contexts: [] as string[],
    actors: [] as string[],
    timestamp: [] as number[],
    source: [] as string[],
    attributes: [] as string[],
    created_at: [] as number[],
  };
  for (const a of items) {
    cols.id.push(a.id);
    cols.subjects.push(JSON.stringify(a.subjects));
    cols.predicates.push(JSON.stringify(a.predicates));
    cols.contexts.push(JSON.stringify(a.contexts));
    cols.actors.push(JSON.stringify(a.actors));
    cols.timestamp.push(a.timestamp);
    cols.source.push(a.source);
    cols.attributes.push(JSON.stringify(a.attributes));
    cols.created_at.push(a.created_at);
  }
  const inserted = await sql<{ seq: number; id: string }>`
    insert into attestations (id, subjects, predicates, contexts, actors, timestamp, source, attributes, created_at)
    select * from unnest(${cols.id}::text[], ${cols.subjects}::text[], ${cols.predicates}::text[],
      ${cols.contexts}::text[], ${cols.actors}::text[], ${cols.timestamp}::bigint[], ${cols.source}::text[],
      ${cols.attributes}::text[], ${cols.created_at}::bigint[])
    returning seq, id`.execute(trx);
  const seqOf = new Map(inserted.rows.map((r) => [r.id, Number(r.seq)]));
  const f = { field: [] as number[], value: [] as string[], timestamp: [] as number[], seq: [] as number[] };
  for (const a of items) {
    const seq = seqOf.get(a.id)!;
    for (const name of FIELD_NAMES) {
      for (const v of a[name]) {
        f.field.push(FIELD_CODE[name]);
        f.value.push(v);
        f.timestamp.push(a.timestamp);
        f.seq.push(seq);
      }
    }
  }
  await sql`
    insert into attestation_fields (field, value, timestamp, seq)
    select * from unnest(${f.field}::smallint[], ${f.value}::text[], ${f.timestamp}::bigint[], ${f.seq}::bigint[])`.execute(
    trx,
  );
}
