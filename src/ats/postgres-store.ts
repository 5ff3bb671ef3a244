// The attestation store on PostgreSQL: batched inserts through unnest() arrays in one transaction.
import type { Kysely, Transaction } from 'kysely';
import { CompiledQuery, sql } from '../db/kysely.js';
import { lockInsertion } from './insertion-order.js';
import type { DbTx } from '../db/tx.js';
import type pg from 'pg';
import type { Schema } from '../db/schema.js';
import { compileNewest, type CompiledNewest } from './newest.js';
import { handlerLockSql, handlerSql, type HandlerChange, type HandlerPointer, type HandlerSql } from './handler-current.js';
import { ATTR_FIELD_CODE, attrIndexValues } from './attr-index.js';
import { claimKey } from './claim-key.js';
import { foldedRow } from './fold.js';
import { copyInsert } from './pg-copy-insert.js';
import type { ReadRouter } from '../db/read-router.js';
import {
  buildAttestationQuery,
  buildAttestationSizesQuery,
  buildCountQuery,
  effectiveLimit,
  ROW_COLUMNS,
  type AttestationRowOut,
  type AttestationSizeRow,
} from './query.js';
import { duplicateIdError, inOrder, pickWithinBudget, rowToAttestation, toPage } from './rows.js';
import type { AttestationStore } from './store.js';
import {
  FIELD_CODE,
  FIELD_NAMES,
  type Attestation,
  type AttestationFilter,
  type InsertResult,
  type NewAttestation,
} from './types.js';

export class PostgresAttestationStore implements AttestationStore {
  readonly kind = 'postgres' as const;
  private readonly newestSql: CompiledNewest;
  private readonly handlerSql: HandlerSql;

  constructor(
    private readonly db: Kysely<Schema>,
    private readonly pool: pg.Pool,
    /** Queries, pages and counts: a replica or the primary, with planner settings (read-router.ts). */
    private readonly reads: ReadRouter,
  ) {
    this.newestSql = compileNewest(db, 'postgres');
    this.handlerSql = handlerSql(db);
  }

  async insertMany(items: readonly NewAttestation[]): Promise<InsertResult> {
    if (items.length === 0) return { created: 0, alreadyKnown: 0 };
    try {
      return await this.db.transaction().execute((trx) => insertRows(trx, items));
    } catch (err) {
      throw await this.mapInsertError(err, items);
    }
  }

  async insertBulk(items: readonly NewAttestation[]): Promise<InsertResult> {
    if (items.length === 0) return { created: 0, alreadyKnown: 0 };
    try {
      return await copyInsert(this.pool, items);
    } catch (err) {
      throw await this.mapInsertError(err, items);
    }
  }

  async analyze(): Promise<void> {
    await this.pool.query('analyze attestations, attestation_fields');
  }

  async insertManyIn(tx: DbTx, items: readonly NewAttestation[]): Promise<InsertResult> {
    if (tx.kind !== 'postgres') throw new Error('PostgreSQL store given a SQLite transaction');
    if (items.length === 0) return { created: 0, alreadyKnown: 0 };
    try {
      return await insertRows(tx.trx, items);
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
    // A page of one row is the same with or without a budget (its first row is always taken): one
    // round trip, reading at most one row past the page as SQLite's budgeted walk does. The
    // handler lookup's query form (`predicates=ix_handler&contexts=<type>&limit=1`) is one.
    if (filter.maxBytes === undefined || effectiveLimit(filter.limit) === 1) {
      const { compiled, limit } = buildAttestationQuery(this.db, filter, this.kind);
      const { rows } = await this.reads.query<AttestationRowOut>(compiled.sql, compiled.parameters);
      return toPage(rows, limit);
    }
    // Sizes first (octet_length reads no TOASTed value), then only the rows that fit.
    const { compiled, limit } = buildAttestationSizesQuery(this.db, filter, this.kind);
    const sizes = await this.reads.query<AttestationSizeRow>(compiled.sql, compiled.parameters);
    const { seqs, next_cursor } = pickWithinBudget(sizes.rows, limit, filter.maxBytes);
    // One array parameter rather than a thousand: PostgreSQL plans it as fast and parses less.
    const byIds = this.db.selectFrom('attestations as a').select(ROW_COLUMNS).where(sql<boolean>`a.seq = any(${seqs}::bigint[])`).compile();
    const rows = seqs.length ? (await this.reads.query<AttestationRowOut>(byIds.sql, byIds.parameters)).rows : [];
    return { items: inOrder(seqs, rows as AttestationRowOut[]).map(rowToAttestation), next_cursor };
  }

  async get(id: string): Promise<Attestation | undefined> {
    const row = await this.db.selectFrom('attestations as a').select(ROW_COLUMNS).where('a.id', '=', id).executeTakeFirst();
    return row ? rowToAttestation(row as AttestationRowOut) : undefined;
  }

  async findClaim(a: NewAttestation): Promise<Attestation | undefined> {
    const row = await this.db.selectFrom('attestations as a').select(ROW_COLUMNS).where('a.claim_key', '=', claimKey(a)).executeTakeFirst();
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

  async currentHandler(type: string): Promise<Attestation | undefined> {
    const { rows } = await this.pool.query<AttestationRowOut>({
      name: 'qntx_handler_current',
      text: this.handlerSql.current.sql,
      values: this.handlerSql.current.params(type),
    });
    return rows[0] ? rowToAttestation(rows[0]) : undefined;
  }

  async currentHandlers(): Promise<Array<{ type: string; attestation: Attestation }>> {
    const { rows } = await this.db.executeQuery(this.handlerSql.list);
    return rows.map((r) => ({ type: r.script_type, attestation: rowToAttestation(r) }));
  }

  async writeHandler(type: string, make: (p: HandlerPointer) => HandlerChange): Promise<NewAttestation> {
    return this.db.transaction().execute(async (trx) => {
      // Writers of one type queue here until the holder commits (the pointer row may not exist yet).
      await handlerLockSql(type).execute(trx);
      const h = this.handlerSql;
      const cur = await trx.executeQuery(CompiledQuery.raw(h.current.sql, h.current.params(type)));
      const ver = await trx.executeQuery(CompiledQuery.raw(h.version.sql, h.version.params(type)));
      const change = make({
        current: cur.rows[0] ? rowToAttestation(cur.rows[0] as AttestationRowOut) : undefined,
        version: Number((ver.rows[0] as { version?: number } | undefined)?.version ?? 0),
      });
      await insertRows(trx, [change.attestation]);
      await trx.executeQuery(h.upsert(type, change, change.attestation.created_at));
      return change.attestation;
    });
  }

  async explain(filter: AttestationFilter): Promise<string[]> {
    const { compiled } = buildAttestationQuery(this.db, filter, this.kind);
    const { rows } = await this.reads.query<{ 'QUERY PLAN': string }>(`explain ${compiled.sql}`, compiled.parameters, { prepare: false });
    return rows.map((r) => r['QUERY PLAN']);
  }

  bulk<T>(fn: () => Promise<T>): Promise<T> {
    return fn();
  }

  async count(filter: AttestationFilter = {}): Promise<number> {
    const compiled = buildCountQuery(this.db, filter, this.kind);
    const { rows } = await this.reads.query<{ n: number | string }>(compiled.sql, compiled.parameters, { allMatches: true });
    return Number(rows[0]?.n ?? 0);
  }

  async explainCount(filter: AttestationFilter): Promise<string[]> {
    const compiled = buildCountQuery(this.db, filter, this.kind);
    const { rows } = await this.reads.query<{ 'QUERY PLAN': string }>(`explain ${compiled.sql}`, compiled.parameters, { allMatches: true });
    return rows.map((r) => r['QUERY PLAN']);
  }
}

/**
 * The two unnest() inserts of a batch, on a transaction the caller holds. Known claims are skipped
 * by their content key (repeats inside the batch too); only the rows that went in get index rows.
 */
async function insertRows(trx: Transaction<Schema>, all: readonly NewAttestation[]): Promise<InsertResult> {
  // Readers that follow insertion order wait for this transaction (insertion-order.ts).
  await lockInsertion(trx);
  const keys = new Map<string, NewAttestation>();
  for (const a of all) {
    const k = claimKey(a).toString('hex');
    if (!keys.has(k)) keys.set(k, a);
  }
  const items = [...keys.values()];
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
    claim_key: [...keys.keys()],
    handler_version: [] as Array<number | null>,
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
    cols.handler_version.push(a.handler_version ?? null);
  }
  const inserted = await sql<{ seq: number; id: string }>`
    insert into attestations (id, subjects, predicates, contexts, actors, timestamp, source, attributes, created_at, claim_key, handler_version)
    select u.id, u.s, u.p, u.c, u.a, u.t, u.src, u.attrs, u.ca, decode(u.k, 'hex'), u.hv
    from unnest(${cols.id}::text[], ${cols.subjects}::text[], ${cols.predicates}::text[],
      ${cols.contexts}::text[], ${cols.actors}::text[], ${cols.timestamp}::bigint[], ${cols.source}::text[],
      ${cols.attributes}::text[], ${cols.created_at}::bigint[], ${cols.claim_key}::text[], ${cols.handler_version}::int[])
      as u(id, s, p, c, a, t, src, attrs, ca, k, hv)
    on conflict (claim_key) do nothing
    returning seq, id`.execute(trx);
  const seqOf = new Map(inserted.rows.map((r) => [r.id, Number(r.seq)]));
  const f = { field: [] as number[], value: [] as string[], folded: [] as string[], timestamp: [] as number[], seq: [] as number[] };
  const push = (code: number, v: string, ts: number, seq: number) => {
    f.field.push(code);
    f.value.push(v);
    f.folded.push(foldedRow(code, v));
    f.timestamp.push(ts);
    f.seq.push(seq);
  };
  for (const a of items) {
    const seq = seqOf.get(a.id);
    if (seq === undefined) continue;
    for (const name of FIELD_NAMES) for (const v of a[name]) push(FIELD_CODE[name], v, a.timestamp, seq);
    for (const v of attrIndexValues(a.attributes)) push(ATTR_FIELD_CODE, v, a.timestamp, seq);
  }
  if (f.seq.length) {
    await sql`
      insert into attestation_fields (field, value, folded, timestamp, seq)
      select * from unnest(${f.field}::smallint[], ${f.value}::text[], ${f.folded}::text[], ${f.timestamp}::bigint[], ${f.seq}::bigint[])`.execute(
      trx,
    );
  }
  return { created: inserted.rows.length, alreadyKnown: all.length - inserted.rows.length };
}
