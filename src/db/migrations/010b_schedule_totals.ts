// A schedule's lifetime totals. Executions are pruned to the newest N per schedule; what
// a prune deletes is first added to these columns, so totals = these + the executions still kept.
import type { QntxMigration } from '../migrations.js';

export const migration010b: QntxMigration = {
  name: '010b_schedule_totals',
  async up(db) {
    for (const col of ['pruned_runs', 'pruned_completed', 'pruned_failed', 'pruned_attestations']) {
      await db.schema.alterTable('pulse_schedules').addColumn(col, 'bigint', (c) => c.notNull().defaultTo(0)).execute();
    }
  },
};
