// Cron schedules (docs/triggers.md): a schedule runs on an interval grid or, when `cron` is set,
// at the times of its five-field expression in `timezone` (null: UTC).
import type { QntxMigration } from '../migrations.js';

export const migration011: QntxMigration = {
  name: '011_cron',
  async up(db) {
    await db.schema.alterTable('pulse_schedules').addColumn('cron', 'text').execute();
    await db.schema.alterTable('pulse_schedules').addColumn('timezone', 'text').execute();
  },
};
