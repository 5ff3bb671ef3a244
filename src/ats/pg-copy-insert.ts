// Bulk insert on PostgreSQL at COPY speed (issue 17): a batch is streamed with `COPY … FROM STDIN`
// (pg-copy-streams) into two session-local staging tables, then one statement moves it into the
// store: `INSERT … SELECT … ON CONFLICT (claim_key) DO NOTHING` for the rows, and, in the same
// statement, the field-index rows of exactly the rows that went in. Known claims are skipped as by
// insertMany (the content key), a reused id fails the batch (unique violation), all in one
// transaction: a failed batch writes nothing.
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type pg from 'pg';
import { from as copyFrom } from 'pg-copy-streams';
import { ATTR_FIELD_CODE, attrIndexValues } from './attr-index.js';
import { claimKey } from './claim-key.js';
import { FIELD_CODE, FIELD_NAMES, type InsertResult, type NewAttestation } from './types.js';

// Temporary tables live as long as the pooled connection; their rows only until the commit.
const STAGE = `
  create temp table if not exists qntx_stage_a (
    ord integer, id text, subjects text, predicates text, contexts text, actors text, timestamp bigint,
    source text, attributes text, created_at bigint, claim_key bytea, handler_version integer
  ) on commit delete rows;
  create temp table if not exists qntx_stage_f (id text, field smallint, value text) on commit delete rows`;

const MOVE = `
  with ins as (
    insert into attestations (id, subjects, predicates, contexts, actors, timestamp, source, attributes, created_at, claim_key, handler_version)
    select id, subjects, predicates, contexts, actors, timestamp, source, attributes, created_at, claim_key, handler_version
    from qntx_stage_a order by ord
    on conflict (claim_key) do nothing
    returning seq, id, timestamp
  ), f as (
    insert into attestation_fields (field, value, timestamp, seq)
    select s.field, s.value, ins.timestamp, ins.seq from qntx_stage_f s join ins on ins.id = s.id
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
    for (const name of FIELD_NAMES) for (const v of a[name]) yield `${id}\t${FIELD_CODE[name]}\t${esc(v)}\n`;
    for (const v of attrIndexValues(a.attributes)) yield `${id}\t${ATTR_FIELD_CODE}\t${esc(v)}\n`;
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

/** Inserts the batch through COPY and staging tables, in one transaction of its own. */
export async function copyInsert(pool: pg.Pool, all: readonly NewAttestation[]): Promise<InsertResult> {
  const items = distinctClaims(all);
  const client = await pool.connect();
  let broken: Error | undefined;
  try {
    await client.query('begin');
    try {
      await client.query(STAGE);
      await copyInto(client, 'qntx_stage_a', rowLines(items));
      await copyInto(client, 'qntx_stage_f', fieldLines(items));
      const { rows } = await client.query<{ n: number }>(MOVE);
      await client.query('commit');
      const created = Number(rows[0]?.n ?? 0);
      return { created, alreadyKnown: all.length - created };
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
