// Webhook triggers (docs/triggers.md): a hook runs a type's handler on each delivery. Only the
// SHA-256 of its URL id is stored; its optional signing secret is sealed like a secret. Deliveries
// are kept per hook (the last ones are listed; a delivery id is accepted once).
import type { QntxMigration } from '../migrations.js';

export const migration011c: QntxMigration = {
  name: '011c_hooks',
  async up(db) {
    await db.schema
      .createTable('hooks')
      .addColumn('id', 'text', (c) => c.primaryKey())
      .addColumn('script_type', 'text', (c) => c.notNull())
      .addColumn('token_hash', 'text', (c) => c.notNull().unique())
      .addColumn('signing_sealed', 'text')
      .addColumn('signing_key_id', 'text')
      .addColumn('headers', 'text', (c) => c.notNull())
      .addColumn('rate_per_minute', 'integer', (c) => c.notNull())
      .addColumn('created_at', 'bigint', (c) => c.notNull())
      .addColumn('last_delivery_at', 'bigint')
      .addColumn('delivery_count', 'integer', (c) => c.notNull().defaultTo(0))
      .execute();
    await db.schema.createIndex('hooks_type').on('hooks').columns(['script_type', 'id']).execute();
    await db.schema
      .createTable('hook_deliveries')
      .addColumn('id', 'text', (c) => c.primaryKey())
      .addColumn('hook_id', 'text', (c) => c.notNull())
      .addColumn('delivery_key', 'text', (c) => c.notNull())
      .addColumn('delivery_id', 'text')
      .addColumn('execution_id', 'text', (c) => c.notNull())
      .addColumn('received_at', 'bigint', (c) => c.notNull())
      .execute();
    await db.schema.createIndex('hook_deliveries_key').on('hook_deliveries').columns(['hook_id', 'delivery_key']).unique().execute();
  },
};
