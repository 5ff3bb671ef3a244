// A claim is stored once (a unique content key), provenance beside it (handler_version
// out of attributes), indexed attribute rows, byte-ordered values on PostgreSQL (prefix filters
// walk the index), execution counts of already known claims, and ingest state per source.
import crypto from 'node:crypto';
import type { Kysely } from 'kysely';
import { sql } from '../kysely.js';
import type { Dialect, QntxMigration } from '../migrations.js';

// Frozen copies of the rules this migration applies, as they were when it was written: a
// migration must compute the same thing forever, whatever the application's code becomes. A test
// (test/db-migrations-frozen.test.ts) checks that the application's own rules still agree.

/** attestation_fields.field of indexed attribute rows. */
export const ATTR_FIELD_CODE = 5;
const INDEXED_ATTRIBUTES: ReadonlySet<string> = new Set(['repo', 'change', 'kind', 'ecosystem', 'manifest', 'ref_kind']);
const MAX_VALUE_BYTES = 2000;

/** The index rows of an attestation's indexed attributes: `key=value`, numbers and booleans as JSON. */
export function attrIndexValues(attributes: Record<string, unknown>): string[] {
  const out: string[] = [];
  for (const key of Object.keys(attributes)) {
    if (!INDEXED_ATTRIBUTES.has(key)) continue;
    const v = attributes[key];
    const text = typeof v === 'string' ? v : typeof v === 'number' && Number.isFinite(v) ? JSON.stringify(v) : typeof v === 'boolean' ? String(v) : null;
    if (text === null) continue;
    const value = `${key}=${text}`;
    if (Buffer.byteLength(value) <= MAX_VALUE_BYTES) out.push(value);
  }
  return out;
}

function asSet(values: readonly string[]): string[] {
  return [...new Set(values)].sort();
}

function canonicalJson(v: unknown): string {
  if (v === null || typeof v !== 'object') return JSON.stringify(v) ?? 'null';
  if (Array.isArray(v)) return `[${v.map(canonicalJson).join(',')}]`;
  const o = v as Record<string, unknown>;
  const parts: string[] = [];
  for (const k of Object.keys(o).sort()) if (o[k] !== undefined) parts.push(`${JSON.stringify(k)}:${canonicalJson(o[k])}`);
  return `{${parts.join(',')}}`;
}

/**
 * The content key of a claim: its timestamp (8 bytes, big-endian) and the first 16 bytes of the
 * SHA-256 of `[subjects,predicates,contexts,actors,timestamp,attributes]`, each list as a sorted
 * set and the attributes with sorted keys.
 */
export function claimKey(c: { subjects: string[]; predicates: string[]; contexts: string[]; actors: string[]; timestamp: number; attributes: Record<string, unknown> }): Buffer {
  const ts = Math.trunc(c.timestamp);
  const text = `[${JSON.stringify(asSet(c.subjects))},${JSON.stringify(asSet(c.predicates))},${JSON.stringify(asSet(c.contexts))},${JSON.stringify(asSet(c.actors))},${ts},${canonicalJson(c.attributes)}]`;
  const key = Buffer.alloc(24);
  key.writeBigInt64BE(BigInt(ts), 0);
  crypto.createHash('sha256').update(text).digest().copy(key, 8, 0, 16);
  return key;
}

const CHUNK = 5000;

interface OldRow {
  seq: number;
  subjects: string;
  predicates: string;
  contexts: string;
  actors: string;
  timestamp: number;
  source: string;
  attributes: string;
}

/** Runs left by handler runs before 007 stamped `handler_version` into attributes: it moves out. */
function splitProvenance(r: OldRow): { attributes: Record<string, unknown>; version: number | null; moved: boolean } {
  const attributes = JSON.parse(r.attributes) as Record<string, unknown>;
  const v = attributes.handler_version;
  const byRun = !['api', 'cli', 'import'].includes(r.source);
  if (!byRun || typeof v !== 'number' || !Number.isSafeInteger(v) || v < 1) return { attributes, version: null, moved: false };
  const { handler_version: _, ...rest } = attributes;
  return { attributes: rest, version: v, moved: true };
}

interface Keyed {
  seq: number;
  timestamp: number;
  key: Buffer;
  /** The first row of its claim in this chunk (earlier chunks are checked in SQL). */
  first: boolean;
  version: number | null;
  attributes: string;
  attrRows: string[];
}

function keyChunk(rows: OldRow[]): Keyed[] {
  const seen = new Set<string>();
  return rows.map((r) => {
    const p = splitProvenance(r);
    const claim = {
      subjects: JSON.parse(r.subjects) as string[],
      predicates: JSON.parse(r.predicates) as string[],
      contexts: JSON.parse(r.contexts) as string[],
      actors: JSON.parse(r.actors) as string[],
      timestamp: Number(r.timestamp),
      attributes: p.attributes,
    };
    const key = claimKey(claim);
    const hex = key.toString('hex');
    const first = !seen.has(hex);
    seen.add(hex);
    const attributes = p.moved ? JSON.stringify(p.attributes) : r.attributes;
    return { seq: Number(r.seq), timestamp: claim.timestamp, key, first, version: p.version, attributes, attrRows: attrIndexValues(p.attributes) };
  });
}

// A claim stored twice before 007 keeps its first row keyed; later copies keep a null key.
async function writeSqlite(db: Kysely<unknown>, rows: Keyed[]): Promise<void> {
  for (const r of rows) {
    await sql`update attestations set handler_version = ${r.version}, attributes = ${r.attributes} where seq = ${r.seq}`.execute(db);
    await sql`update or ignore attestations set claim_key = ${r.key} where seq = ${r.seq}`.execute(db);
    for (const v of r.attrRows) {
      await sql`insert into attestation_fields (field, value, timestamp, seq) values (${ATTR_FIELD_CODE}, ${v}, ${r.timestamp}, ${r.seq})`.execute(db);
    }
  }
}

async function writePostgres(db: Kysely<unknown>, rows: Keyed[]): Promise<void> {
  await sql`
    update attestations a set handler_version = v.hv, attributes = v.attrs,
      claim_key = case when v.first and not exists (select 1 from attestations b where b.claim_key = decode(v.k, 'hex'))
                  then decode(v.k, 'hex') end
    from unnest(${rows.map((r) => r.seq)}::bigint[], ${rows.map((r) => r.version)}::int[], ${rows.map((r) => r.attributes)}::text[],
      ${rows.map((r) => r.key.toString('hex'))}::text[], ${rows.map((r) => r.first)}::bool[]) as v(seq, hv, attrs, k, first)
    where a.seq = v.seq`.execute(db);
  const f = rows.flatMap((r) => r.attrRows.map((v) => ({ v, t: r.timestamp, s: r.seq })));
  if (!f.length) return;
  await sql`
    insert into attestation_fields (field, value, timestamp, seq)
    select ${ATTR_FIELD_CODE}, v, t, s from unnest(${f.map((x) => x.v)}::text[], ${f.map((x) => x.t)}::bigint[], ${f.map((x) => x.s)}::bigint[])
      as u(v, t, s)`.execute(db);
}

async function backfill(db: Kysely<unknown>, dialect: Dialect): Promise<void> {
  let after = 0;
  for (;;) {
    const { rows } = await sql<OldRow>`
      select seq, subjects, predicates, contexts, actors, timestamp, source, attributes from attestations
      where seq > ${after} order by seq limit ${CHUNK}`.execute(db);
    if (!rows.length) return;
    after = Number(rows.at(-1)!.seq);
    const keyed = keyChunk(rows);
    await (dialect === 'sqlite' ? writeSqlite(db, keyed) : writePostgres(db, keyed));
  }
}

export const migration007: QntxMigration = {
  name: '007_claims',
  async up(db, dialect) {
    const bytes = sql.raw(dialect === 'postgres' ? 'bytea' : 'blob');
    await db.schema.alterTable('attestations').addColumn('claim_key', bytes).execute();
    await db.schema.alterTable('attestations').addColumn('handler_version', 'integer').execute();
    await db.schema.createIndex('attestations_claim').unique().on('attestations').column('claim_key').execute();
    await backfill(db, dialect);
    if (dialect === 'postgres') {
      // Byte order (as SQLite's BINARY): `value >= 'src/' and value < 'src0'` is then exactly a prefix.
      await sql`alter table attestation_fields alter column value type text collate "C"`.execute(db);
    }
    await db.schema
      .alterTable('pulse_executions')
      .addColumn('attestations_already_known', 'integer', (c) => c.notNull().defaultTo(0))
      .execute();
    await db.schema
      .createTable('ix_source_state')
      .addColumn('key_hash', 'text', (c) => c.primaryKey())
      .addColumn('source_key', 'text', (c) => c.notNull())
      .addColumn('state', 'text', (c) => c.notNull())
      .addColumn('last_success_at', 'bigint')
      .addColumn('updated_at', 'bigint', (c) => c.notNull())
      .execute();
  },
};
