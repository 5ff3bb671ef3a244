// Identities compare without regard to case: each field-index row gets `folded`, its value's case
// fold, and lookups walk a (field, folded, timestamp, seq) index; values stay as written. Alias
// edges are keyed the same way, and are now kept by triggers on the field index (the folded keys
// of an alias attestation's subjects and contexts are there, not in its JSON).
//
// The fold is the application's (upper- then lower-casing, JavaScript's locale-independent
// mappings), copied here so this migration never changes with the code: ASCII rows are folded
// in SQL (A-Z to a-z only, which is what the fold does to ASCII), the others in code.
import type { Kysely } from 'kysely';
import { sql } from '../kysely.js';
import type { Dialect, QntxMigration } from '../migrations.js';

const CHUNK = 2000;
const ATTR_FIELD = 5;

function foldValue(value: string): string {
  return value.toUpperCase().toLowerCase();
}

const UPPER = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ';
const LOWER = 'abcdefghijklmnopqrstuvwxyz';

interface Row {
  field: number;
  value: string;
  timestamp: number | string;
  seq: number | string;
}

/** Rows holding a non-ASCII character, folded in code, a chunk at a time in primary-key order. */
async function foldNonAscii(db: Kysely<unknown>, dialect: Dialect): Promise<void> {
  const nonAscii = dialect === 'sqlite' ? sql`length(value) <> length(cast(value as blob))` : sql`octet_length(value) <> char_length(value)`;
  let after: Row | undefined;
  for (;;) {
    const from = after
      ? sql`and (field, value, timestamp, seq) > (${after.field}, ${after.value}, ${after.timestamp}, ${after.seq})`
      : sql``;
    const { rows } = await sql<Row>`
      select field, value, timestamp, seq from attestation_fields
      where field <> ${ATTR_FIELD} and ${nonAscii} ${from}
      order by field, value, timestamp, seq limit ${CHUNK}`.execute(db);
    if (!rows.length) return;
    after = rows.at(-1)!;
    if (dialect === 'sqlite') {
      for (const r of rows) {
        await sql`update attestation_fields set folded = ${foldValue(r.value)}
          where field = ${r.field} and value = ${r.value} and timestamp = ${r.timestamp} and seq = ${r.seq}`.execute(db);
      }
      continue;
    }
    await sql`
      update attestation_fields f set folded = u.k
      from unnest(${rows.map((r) => r.field)}::smallint[], ${rows.map((r) => r.value)}::text[],
        ${rows.map((r) => Number(r.timestamp))}::bigint[], ${rows.map((r) => Number(r.seq))}::bigint[],
        ${rows.map((r) => foldValue(r.value))}::text[]) as u(field, value, timestamp, seq, k)
      where f.field = u.field and f.value = (u.value collate "C") and f.timestamp = u.timestamp and f.seq = u.seq`.execute(db);
  }
}

async function foldFields(db: Kysely<unknown>, dialect: Dialect): Promise<void> {
  const type = dialect === 'postgres' ? sql.raw('text collate "C"') : sql.raw('text');
  await sql`alter table attestation_fields add column folded ${type}`.execute(db);
  // Indexed attribute rows (`key=value`) keep their case: attribute filters stay exact.
  await sql`update attestation_fields set folded = value where field = ${ATTR_FIELD}`.execute(db);
  const lowered = dialect === 'sqlite' ? sql`lower(value)` : sql`translate(value, ${UPPER}, ${LOWER})`;
  await sql`update attestation_fields set folded = ${lowered} where field <> ${ATTR_FIELD}`.execute(db);
  await foldNonAscii(db, dialect);
  if (dialect === 'postgres') await sql`alter table attestation_fields alter column folded set not null`.execute(db);
  await sql`create index attestation_fields_folded on attestation_fields (field, folded, timestamp, seq)`.execute(db);
}

/** The alias edges of migration 008 rebuilt with folded keys, and their new triggers. */
async function aliasEdges(db: Kysely<unknown>, dialect: Dialect): Promise<void> {
  if (dialect === 'sqlite') await sql`drop trigger if exists ax_alias_edges_insert`.execute(db);
  else {
    await sql`drop trigger if exists ax_alias_edges_insert on attestations`.execute(db);
    await sql`drop function if exists ax_alias_edges_insert()`.execute(db);
  }
  await sql`drop table ax_alias_edges`.execute(db);
  const type = dialect === 'postgres' ? 'text collate "C"' : 'text';
  await sql.raw(`
    create table ax_alias_edges (
      subject_key ${type} not null, context_key ${type} not null, timestamp bigint not null, seq bigint not null,
      subject text not null, context text not null,
      constraint ax_alias_edges_pk primary key (subject_key, context_key, timestamp, seq)
    )${dialect === 'sqlite' ? ' without rowid' : ''}`).execute(db);
  await sql`create index ax_alias_edges_context on ax_alias_edges (context_key, subject_key, timestamp, seq)`.execute(db);

  // The pairs of an attestation whose predicate folds to `alias`, from its field rows: a subject
  // and a context row meet once both are stored, so each insert of a subject, context or `alias`
  // predicate row adds the pairs complete by then (PostgreSQL runs row triggers at the end of the
  // statement, when all of them are; a pair found twice is kept once). Each value's folded key is
  // a primary-key probe from the attestation's JSON.
  const pairs = (v: string) =>
    dialect === 'sqlite'
      ? `select s.folded, c.folded, ${v}.timestamp, ${v}.seq, s.value, c.value
         from attestations a, json_each(a.subjects) js, attestation_fields s, json_each(a.contexts) jc, attestation_fields c
         where a.seq = ${v}.seq
           and s.field = 1 and s.value = js.value and s.timestamp = ${v}.timestamp and s.seq = ${v}.seq
           and c.field = 3 and c.value = jc.value and c.timestamp = ${v}.timestamp and c.seq = ${v}.seq`
      : `select s.folded, c.folded, ${v}.timestamp, ${v}.seq, s.value, c.value
         from attestations a, jsonb_array_elements_text(a.subjects::jsonb) js(v), attestation_fields s,
           jsonb_array_elements_text(a.contexts::jsonb) jc(v), attestation_fields c
         where a.seq = ${v}.seq
           and s.field = 1 and s.value = (js.v collate "C") and s.timestamp = ${v}.timestamp and s.seq = ${v}.seq
           and c.field = 3 and c.value = (jc.v collate "C") and c.timestamp = ${v}.timestamp and c.seq = ${v}.seq`;
  const isAlias = (v: string) =>
    `exists (select 1 from attestation_fields p where p.field = 2 and p.folded = 'alias' and p.timestamp = ${v}.timestamp and p.seq = ${v}.seq)`;
  const cols = '(subject_key, context_key, timestamp, seq, subject, context)';
  const rowWhen = `new.field in (1, 2, 3) and (new.field <> 2 or new.folded = 'alias')`;
  if (dialect === 'sqlite') {
    await sql.raw(`
      create trigger ax_alias_edges_fields after insert on attestation_fields
      when ${rowWhen} and ${isAlias('new')}
      begin
        insert or ignore into ax_alias_edges ${cols} ${pairs('new')};
      end`).execute(db);
    await sql.raw(`insert or ignore into ax_alias_edges ${cols} ${pairs('p')} and p.field = 2 and p.folded = 'alias'`.replace(
      'from attestations a,',
      'from attestation_fields p, attestations a,',
    )).execute(db);
    return;
  }
  await sql.raw(`
    create function ax_alias_edges_fields() returns trigger language plpgsql as $$
    begin
      if ${isAlias('new')} then
        insert into ax_alias_edges ${cols} ${pairs('new')}
        on conflict do nothing;
      end if;
      return null;
    end $$`).execute(db);
  await sql.raw(`
    create trigger ax_alias_edges_fields after insert on attestation_fields
    for each row when (${rowWhen}) execute function ax_alias_edges_fields()`).execute(db);
  await sql.raw(`insert into ax_alias_edges ${cols} ${pairs('p')} and p.field = 2 and p.folded = 'alias' on conflict do nothing`.replace(
    'from attestations a,',
    'from attestation_fields p, attestations a,',
  )).execute(db);
}

export const migration013: QntxMigration = {
  name: '013_folded_keys',
  async up(db, dialect) {
    await foldFields(db, dialect);
    await aliasEdges(db, dialect);
  },
};
