// Secrets (docs/triggers.md): values sealed with AES-256-GCM (never stored in clear), the id of
// the key that sealed them, and which handler types may read each.
import type { QntxMigration } from '../migrations.js';

export const migration011b: QntxMigration = {
  name: '011b_secrets',
  async up(db) {
    await db.schema
      .createTable('secrets')
      .addColumn('name', 'text', (c) => c.primaryKey())
      .addColumn('sealed', 'text', (c) => c.notNull())
      .addColumn('key_id', 'text', (c) => c.notNull())
      .addColumn('created_at', 'bigint', (c) => c.notNull())
      .addColumn('updated_at', 'bigint', (c) => c.notNull())
      .execute();
    await db.schema
      .createTable('secret_grants')
      .addColumn('name', 'text', (c) => c.notNull())
      .addColumn('script_type', 'text', (c) => c.notNull())
      .addColumn('created_at', 'bigint', (c) => c.notNull())
      .addPrimaryKeyConstraint('secret_grants_pk', ['name', 'script_type'])
      .execute();
    await db.schema.createIndex('secret_grants_type').on('secret_grants').columns(['script_type', 'name']).execute();
  },
};
