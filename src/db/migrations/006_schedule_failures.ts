// Pulse: the failure policy of schedules (docs/pulse.md): consecutive failures, the number after
// which a schedule is paused (0 = never), and why it was paused.
import type { QntxMigration } from '../migrations.js';

export const migration006: QntxMigration = {
  name: '006_schedule_failures',
  async up(db) {
    await db.schema
      .alterTable('pulse_schedules')
      .addColumn('consecutive_failures', 'integer', (c) => c.notNull().defaultTo(0))
      .execute();
    await db.schema.alterTable('pulse_schedules').addColumn('max_failures', 'integer', (c) => c.notNull().defaultTo(5)).execute();
    await db.schema.alterTable('pulse_schedules').addColumn('paused_reason', 'text').execute();
  },
};
