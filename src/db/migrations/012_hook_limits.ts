// Webhook limits (docs/triggers.md): each delivery records the bytes of the payload it queued, so a
// hook's stored payloads can be held to a quota; signed bodies are remembered for a day by a hash
// of their HMAC, so a replay under a new or no delivery id runs nothing.
import type { QntxMigration } from '../migrations.js';

export const migration012: QntxMigration = {
  name: '012_hook_limits',
  async up(db) {
    await db.schema.alterTable('hook_deliveries').addColumn('bytes', 'bigint', (c) => c.notNull().defaultTo(0)).execute();
    await db.schema.createIndex('hook_deliveries_hook').on('hook_deliveries').columns(['hook_id', 'id']).execute();
    await db.schema
      .createTable('hook_bodies')
      .addColumn('hook_id', 'text', (c) => c.notNull())
      .addColumn('body_hash', 'text', (c) => c.notNull())
      .addColumn('execution_id', 'text', (c) => c.notNull())
      .addColumn('received_at', 'bigint', (c) => c.notNull())
      .addPrimaryKeyConstraint('hook_bodies_pk', ['hook_id', 'body_hash'])
      .execute();
    await db.schema.createIndex('hook_bodies_time').on('hook_bodies').columns(['hook_id', 'received_at']).execute();
  },
};
