// Bulk insert on PostgreSQL at COPY speed: a batch is streamed with `COPY … FROM STDIN`
// (pg-copy-streams) straight into the two tables, the claims already stored left out beforehand
// (copyInsert). When a concurrent writer stores one of the batch's claims meanwhile, the batch is
// redone through two session-local staging tables and one statement that moves them:
// `INSERT … SELECT … ON CONFLICT (claim_key) DO NOTHING` for the rows and, in the same statement,
// the field-index rows of exactly the rows that went in. Known claims are skipped as by
// insertMany (the content key), a reused id fails the batch (unique violation), all in one
// transaction: a failed batch writes nothing.
import { insertionLockSql } from './insertion-order.js';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type pg from 'pg';
import { from as copyFrom } from 'pg-copy-streams';
import { ATTR_FIELD_CODE, attrIndexValues } from './attr-index.js';
import { claimKey } from './claim-key.js';
import { foldedRow } from './fold.js';
import { FIELD_CODE, FIELD_NAMES, type InsertResult, type NewAttestation } from './types.js';

// Temporary tables live as long as the pooled connection; their rows only until the commit.
const STAGE = `
  create temp table if not exists qntx_stage_a (
    ord integer, id text, subjects text, predicates text, contexts text, actors text, timestamp bigint,
    source text, attributes text, created_at bigint, claim_key bytea, handler_version integer
  ) on commit delete rows;
  create temp table if not exists qntx_stage_fk (id text, field smallint, value text, folded text) on commit delete rows`;

const MOVE = `
  with ins as (
    insert into attestations (id, subjects, predicates, contexts, actors, timestamp, source, attributes, created_at, claim_key, handler_version)
    select id, subjects, predicates, contexts, actors, timestamp, source, attributes, created_at, claim_key, handler_version
    from qntx_stage_a order by ord
    on conflict (claim_key) do nothing
    returning seq, id, timestamp
  ), f as (
    insert into attestation_fields (field, value, folded, timestamp, seq)
    select s.field, s.value, s.folded, ins.timestamp, ins.seq from qntx_stage_fk s join ins on ins.id = s.id
  )
  select count(*)::int as n from ins`;

/** COPY text format: backslash, tab, newline and carriage return escaped. */
const SPECIAL = /[\\\t\n\r]/;
function esc(s: string): string {
  if (!SPECIAL.test(s)) return s;
  return s.replace(/[\\\t\n\r]/g, (c) => (c === '\\' ? '\\\\' : c === '\t' ? '\\t' : c === '\n' ? '\\n' : '\\r'));
}

const CHUNK_CHARS = 1 << 20;

/** Lines joined into chunks of about 1 MB for the COPY stream. */
function* chunked(lines: Iterable<string>): Generator<string> {
  let buf: string[] = [];
  let size = 0;
  for (const l of lines) {
    buf.push(l);
    size += l.length;
    if (size >= CHUNK_CHARS) {
      yield buf.join('');
      buf = [];
      size = 0;
    }
  }
  if (buf.length) yield buf.join('');
}

function* rowLines(items: ReadonlyArray<{ a: NewAttestation; key: Buffer }>): Generator<string> {
  let ord = 0;
  for (const { a, key } of items) {
    yield `${ord++}\t${esc(a.id)}\t${esc(JSON.stringify(a.subjects))}\t${esc(JSON.stringify(a.predicates))}\t${esc(
      JSON.stringify(a.contexts),
    )}\t${esc(JSON.stringify(a.actors))}\t${a.timestamp}\t${esc(a.source)}\t${esc(JSON.stringify(a.attributes))}\t${a.created_at}\t\\\\x${key.toString(
      'hex',
    )}\t${a.handler_version ?? '\\N'}\n`;
  }
}

function* fieldLines(items: ReadonlyArray<{ a: NewAttestation }>): Generator<string> {
  for (const { a } of items) {
    const id = esc(a.id);
    for (const name of FIELD_NAMES) {
      const code = FIELD_CODE[name];
      for (const v of a[name]) yield `${id}\t${code}\t${esc(v)}\t${esc(foldedRow(code, v))}\n`;
    }
    for (const v of attrIndexValues(a.attributes)) yield `${id}\t${ATTR_FIELD_CODE}\t${esc(v)}\t${esc(v)}\n`;
  }
}

async function copyInto(client: pg.PoolClient, table: string, lines: Iterable<string>): Promise<void> {
  await pipeline(Readable.from(chunked(lines)), client.query(copyFrom(`copy ${table} from stdin`)));
}

/** The batch without repeats of one claim (the first kept), with content keys. */
export function distinctClaims(all: readonly NewAttestation[]): Array<{ a: NewAttestation; key: Buffer }> {
  const seen = new Set<string>();
  const out: Array<{ a: NewAttestation; key: Buffer }> = [];
  for (const a of all) {
    const key = claimKey(a);
    const k = key.toString('latin1');
    if (seen.has(k)) continue;
    seen.add(k);
    out.push({ a, key });
  }
  return out;
}

/** A transaction of its own on one pooled connection; a connection whose rollback failed is dropped. */
async function inTransaction<T>(pool: pg.Pool, body: (client: pg.PoolClient) => Promise<T>): Promise<T> {
  const client = await pool.connect();
  let broken: Error | undefined;
  try {
    await client.query('begin');
    try {
      // Readers that follow insertion order wait for this transaction (insertion-order.ts).
      await client.query(insertionLockSql());
      const out = await body(client);
      await client.query('commit');
      return out;
    } catch (err) {
      await client.query('rollback').catch((e: Error) => {
        broken = e;
      });
      throw err;
    }
  } finally {
    client.release(broken);
  }
}

function* directRows(items: ReadonlyArray<{ a: NewAttestation; key: Buffer }>, seqs: readonly number[]): Generator<string> {
  let i = 0;
  for (const { a, key } of items) {
    yield `${seqs[i++]}\t${esc(a.id)}\t${esc(JSON.stringify(a.subjects))}\t${esc(JSON.stringify(a.predicates))}\t${esc(
      JSON.stringify(a.contexts),
    )}\t${esc(JSON.stringify(a.actors))}\t${a.timestamp}\t${esc(a.source)}\t${esc(JSON.stringify(a.attributes))}\t${a.created_at}\t\\\\x${key.toString(
      'hex',
    )}\t${a.handler_version ?? '\\N'}\n`;
  }
}

function* directFields(items: ReadonlyArray<{ a: NewAttestation }>, seqs: readonly number[]): Generator<string> {
  let i = 0;
  for (const { a } of items) {
    const tail = `\t${a.timestamp}\t${seqs[i++]}\n`;
    for (const name of FIELD_NAMES) {
      const code = FIELD_CODE[name];
      for (const v of a[name]) yield `${code}\t${esc(v)}\t${esc(foldedRow(code, v))}${tail}`;
    }
    for (const v of attrIndexValues(a.attributes)) yield `${ATTR_FIELD_CODE}\t${esc(v)}\t${esc(v)}${tail}`;
  }
}

/**
 * Inserts the batch through COPY, in one transaction of its own. The claims already stored are
 * looked up first and left out (as SQLite's batch insert does), seq values are drawn from the
 * sequence in file order, and both tables are loaded by COPY directly. A writer storing one of
 * the batch's claims between the lookup and the COPY makes the claim key's unique index refuse
 * it: the batch is then redone through the staging tables, whose INSERT … ON CONFLICT skips it.
 */
export async function copyInsert(pool: pg.Pool, all: readonly NewAttestation[]): Promise<InsertResult> {
  const items = distinctClaims(all);
  try {
    const created = await inTransaction(pool, async (client) => {
      const known = await client.query<{ k: Buffer }>('select claim_key as k from attestations where claim_key = any($1::bytea[])', [
        items.map((x) => x.key),
      ]);
      const seen = new Set(known.rows.map((r) => r.k.toString('latin1')));
      const fresh = seen.size ? items.filter((x) => !seen.has(x.key.toString('latin1'))) : items;
      if (!fresh.length) return 0;
      const { rows } = await client.query<{ s: number }>(
        `select nextval(pg_get_serial_sequence('attestations', 'seq')) as s from generate_series(1, $1::int)`,
        [fresh.length],
      );
      const seqs = rows.map((r) => Number(r.s)).sort((a, b) => a - b);
      await copyInto(
        client,
        'attestations (seq, id, subjects, predicates, contexts, actors, timestamp, source, attributes, created_at, claim_key, handler_version)',
        directRows(fresh, seqs),
      );
      await copyInto(client, 'attestation_fields (field, value, folded, timestamp, seq)', directFields(fresh, seqs));
      return fresh.length;
    });
    return { created, alreadyKnown: all.length - created };
  } catch (err) {
    const e = err as { code?: string; constraint?: string };
    if (e.code !== '23505' || e.constraint !== 'attestations_claim') throw err;
  }
  return stagedInsert(pool, items, all.length);
}

/** The batch through staging tables and one INSERT … SELECT … ON CONFLICT DO NOTHING. */
export async function stagedInsert(pool: pg.Pool, items: ReadonlyArray<{ a: NewAttestation; key: Buffer }>, total: number): Promise<InsertResult> {
  const created = await inTransaction(pool, async (client) => {
    await client.query(STAGE);
    await copyInto(client, 'qntx_stage_a', rowLines(items));
    await copyInto(client, 'qntx_stage_fk', fieldLines(items));
    const { rows } = await client.query<{ n: number }>(MOVE);
    return Number(rows[0]?.n ?? 0);
  });
  return { created, alreadyKnown: total - created };
}
