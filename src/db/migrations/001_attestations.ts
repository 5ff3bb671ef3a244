// Attestations and their normalised field index.
import { sql } from '../kysely.js';
import type { QntxMigration } from '../migrations.js';

export const migration001: QntxMigration = {
  name: '001_attestations',
  async up(db, dialect) {
  const seqType = dialect === 'postgres' ? 'bigserial' : 'integer';
  await db.schema
    .createTable('attestations')
    .addColumn('seq', sql.raw(seqType), (c) => c.primaryKey())
    .addColumn('id', 'text', (c) => c.notNull().unique())
    .addColumn('subjects', 'text', (c) => c.notNull())
    .addColumn('predicates', 'text', (c) => c.notNull())
    .addColumn('contexts', 'text', (c) => c.notNull())
    .addColumn('actors', 'text', (c) => c.notNull())
    .addColumn('timestamp', 'bigint', (c) => c.notNull())
    .addColumn('source', 'text', (c) => c.notNull())
    .addColumn('attributes', 'text', (c) => c.notNull())
    .addColumn('created_at', 'bigint', (c) => c.notNull())
    .execute();
  await db.schema.createIndex('attestations_time').on('attestations').columns(['timestamp', 'seq']).execute();

  let fields = db.schema
    .createTable('attestation_fields')
    .addColumn('field', 'smallint', (c) => c.notNull())
    .addColumn('value', 'text', (c) => c.notNull())
    .addColumn('timestamp', 'bigint', (c) => c.notNull())
    .addColumn('seq', 'bigint', (c) => c.notNull())
    .addPrimaryKeyConstraint('attestation_fields_pk', ['field', 'value', 'timestamp', 'seq']);
  if (dialect === 'sqlite') fields = fields.modifyEnd(sql`without rowid`);
  await fields.execute();
  },
};
