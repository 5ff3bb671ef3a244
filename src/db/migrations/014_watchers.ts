// Watchers (docs/watchers.md): a schedule whose trigger is new data. It keeps a cursor over the
// attestations' insertion order (`seq`) and its limits; each execution records the bounds of the
// batch it was handed (so a retry re-reads the same attestations) and the chain of watchers whose
// runs led to it (so a cycle of watchers stops).
import type { QntxMigration } from '../migrations.js';

export const migration014: QntxMigration = {
  name: '014_watchers',
  async up(db) {
    const s = () => db.schema.alterTable('pulse_schedules');
    await s().addColumn('watch', 'integer', (c) => c.notNull().defaultTo(0)).execute();
    await s().addColumn('watch_cursor', 'bigint').execute();
    await s().addColumn('watch_batch_size', 'integer', (c) => c.notNull().defaultTo(100)).execute();
    await s().addColumn('watch_max_runs_per_minute', 'integer', (c) => c.notNull().defaultTo(60)).execute();
    await s().addColumn('watch_max_pending', 'integer', (c) => c.notNull().defaultTo(100000)).execute();
    await s().addColumn('watch_attributes', 'text').execute();
    const e = () => db.schema.alterTable('pulse_executions');
    await e().addColumn('watch_after', 'bigint').execute();
    await e().addColumn('watch_through', 'bigint').execute();
    await e().addColumn('watch_chain', 'text').execute();
    await db.schema.createIndex('pulse_schedules_watch').on('pulse_schedules').columns(['watch', 'state']).execute();
  },
};
