// A schedule may have an owner (e.g. "glyph:<id>" for the canvas glyph that made it).
// One schedule per owner: creating a schedule with an owner that already has one updates it.
import type { QntxMigration } from '../migrations.js';

export const migration010: QntxMigration = {
  name: '010_schedule_owner',
  async up(db) {
    await db.schema.alterTable('pulse_schedules').addColumn('owner', 'text').execute();
    // NULLs are distinct in a unique index on both databases: schedules without an owner are free.
    await db.schema.createIndex('pulse_schedules_owner').unique().on('pulse_schedules').column('owner').execute();
  },
};
