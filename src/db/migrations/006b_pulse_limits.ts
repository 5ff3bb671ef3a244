// Pulse limits (docs/pulse.md): a schedule's own handler timeout, and the indexes the pruning of
// finished jobs walks (finished ⇔ completed_at set), by age and by id for the count.
import { sql } from '../kysely.js';
import type { QntxMigration } from '../migrations.js';

export const migration006b: QntxMigration = {
  name: '006b_pulse_limits',
  async up(db) {
    await db.schema.alterTable('pulse_schedules').addColumn('timeout_seconds', 'integer').execute();
    await sql.raw('create index pulse_jobs_finished_at on pulse_jobs (completed_at) where completed_at is not null').execute(db);
    await sql.raw('create index pulse_jobs_finished_id on pulse_jobs (id) where completed_at is not null').execute(db);
  },
};
