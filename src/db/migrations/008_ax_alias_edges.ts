// AX aliases: every `as A is alias of B` attestation's (subject, context) pairs, kept by triggers
// on insert so that an alias lookup is an index range on the asked value (not a walk over every
// attestation about it, which is what the field index would give). Backfilled from the
// attestations already stored. Attestations are never deleted, so nothing else maintains it.
import { sql } from '../kysely.js';
import type { QntxMigration } from '../migrations.js';

export const migration008: QntxMigration = {
  name: '008_ax_alias_edges',
  async up(db, dialect) {
    let table = db.schema
      .createTable('ax_alias_edges')
      .addColumn('subject', 'text', (c) => c.notNull())
      .addColumn('context', 'text', (c) => c.notNull())
      .addColumn('timestamp', 'bigint', (c) => c.notNull())
      .addColumn('seq', 'bigint', (c) => c.notNull())
      .addPrimaryKeyConstraint('ax_alias_edges_pk', ['subject', 'context', 'timestamp', 'seq']);
    if (dialect === 'sqlite') table = table.modifyEnd(sql`without rowid`);
    await table.execute();
    await db.schema.createIndex('ax_alias_edges_context').on('ax_alias_edges').columns(['context', 'subject', 'timestamp', 'seq']).execute();
    // The LIKE is a cheap first test on the JSON text; the exact test follows.
    if (dialect === 'sqlite') {
      await sql`
        create trigger ax_alias_edges_insert after insert on attestations
        when new.predicates like '%"alias"%' and exists (select 1 from json_each(new.predicates) where value = 'alias')
        begin
          insert or ignore into ax_alias_edges (subject, context, timestamp, seq)
          select s.value, c.value, new.timestamp, new.seq from json_each(new.subjects) s, json_each(new.contexts) c;
        end`.execute(db);
      await sql`
        insert or ignore into ax_alias_edges (subject, context, timestamp, seq)
        select s.value, c.value, x.timestamp, x.seq
        from attestation_fields p join attestations x on x.seq = p.seq, json_each(x.subjects) s, json_each(x.contexts) c
        where p.field = 2 and p.value = 'alias'`.execute(db);
      return;
    }
    await sql`
      create function ax_alias_edges_insert() returns trigger language plpgsql as $$
      begin
        if exists (select 1 from jsonb_array_elements_text(new.predicates::jsonb) p where p = 'alias') then
          insert into ax_alias_edges (subject, context, timestamp, seq)
          select s, c, new.timestamp, new.seq
          from jsonb_array_elements_text(new.subjects::jsonb) s, jsonb_array_elements_text(new.contexts::jsonb) c
          on conflict do nothing;
        end if;
        return null;
      end $$`.execute(db);
    await sql`
      create trigger ax_alias_edges_insert after insert on attestations
      for each row when (new.predicates like '%"alias"%') execute function ax_alias_edges_insert()`.execute(db);
    await sql`
      insert into ax_alias_edges (subject, context, timestamp, seq)
      select s, c, x.timestamp, x.seq
      from attestation_fields p join attestations x on x.seq = p.seq,
        jsonb_array_elements_text(x.subjects::jsonb) s, jsonb_array_elements_text(x.contexts::jsonb) c
      where p.field = 2 and p.value = 'alias'
      on conflict do nothing`.execute(db);
  },
};
