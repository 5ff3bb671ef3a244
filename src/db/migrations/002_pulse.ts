// Pulse: async jobs, interval schedules and their executions (see docs/pulse.md).
// Queries name statuses as literals, so that both planners can match the partial indexes.
import type { Kysely } from 'kysely';
import { sql } from '../kysely.js';
import type { QntxMigration } from '../migrations.js';

export const migration002: QntxMigration = {
  name: '002_pulse',
  async up(db, dialect) {
    const float = sql.raw(dialect === 'postgres' ? 'double precision' : 'real');
    await db.schema
      .createTable('pulse_jobs')
      .addColumn('id', 'text', (c) => c.primaryKey())
      .addColumn('handler_name', 'text', (c) => c.notNull())
      .addColumn('payload', 'text', (c) => c.notNull())
      .addColumn('source', 'text')
      .addColumn('status', 'text', (c) => c.notNull())
      .addColumn('progress_current', float)
      .addColumn('progress_total', float)
      .addColumn('error', 'text')
      .addColumn('error_details', 'text', (c) => c.notNull().defaultTo('[]'))
      .addColumn('retry_count', 'integer', (c) => c.notNull().defaultTo(0))
      .addColumn('max_retries', 'integer', (c) => c.notNull())
      .addColumn('timeout_ms', 'bigint', (c) => c.notNull())
      .addColumn('run_at', 'bigint', (c) => c.notNull())
      .addColumn('lease_owner', 'text')
      .addColumn('lease_expires_at', 'bigint')
      .addColumn('cancel_requested', 'integer', (c) => c.notNull().defaultTo(0))
      .addColumn('schedule_id', 'text')
      .addColumn('execution_id', 'text')
      .addColumn('created_at', 'bigint', (c) => c.notNull())
      .addColumn('started_at', 'bigint')
      .addColumn('completed_at', 'bigint')
      .addColumn('updated_at', 'bigint', (c) => c.notNull())
      .execute();
    // The claim (status = 'queued', run_at <= now, order by run_at, id) and the reaper (status =
    // 'running', lease_expires_at < now) each get an index that answers them in order; the
    // listing by status gets its own. Non-partial, so that SQLite's planner needs no statistics
    // to pick the right one.
    await exec(db, 'create index pulse_jobs_queue on pulse_jobs (status, run_at, id)');
    await exec(db, 'create index pulse_jobs_leases on pulse_jobs (status, lease_expires_at)');
    await exec(
      db,
      `create unique index pulse_jobs_source on pulse_jobs (source)
       where source is not null and status in ('queued', 'running')`,
    );
    await exec(db, 'create index pulse_jobs_status on pulse_jobs (status, id)');
    await exec(db, 'create index pulse_jobs_schedule on pulse_jobs (schedule_id, id) where schedule_id is not null');

    await db.schema
      .createTable('pulse_schedules')
      .addColumn('id', 'text', (c) => c.primaryKey())
      .addColumn('ats_code', 'text', (c) => c.notNull())
      .addColumn('handler_name', 'text', (c) => c.notNull())
      .addColumn('payload', 'text', (c) => c.notNull())
      .addColumn('interval_seconds', 'integer', (c) => c.notNull())
      .addColumn('state', 'text', (c) => c.notNull())
      .addColumn('next_run_at', 'bigint')
      .addColumn('last_run_at', 'bigint')
      .addColumn('last_execution_id', 'text')
      .addColumn('last_status', 'text')
      .addColumn('skipped_count', 'integer', (c) => c.notNull().defaultTo(0))
      .addColumn('last_skipped_at', 'bigint')
      .addColumn('handler_state', 'text')
      .addColumn('last_success_at', 'bigint')
      .addColumn('created_from', 'text')
      .addColumn('created_at', 'bigint', (c) => c.notNull())
      .addColumn('updated_at', 'bigint', (c) => c.notNull())
      .execute();
    await exec(db, `create index pulse_schedules_due on pulse_schedules (next_run_at, id) where state = 'active'`);

    await db.schema
      .createTable('pulse_executions')
      .addColumn('id', 'text', (c) => c.primaryKey())
      .addColumn('schedule_id', 'text')
      .addColumn('status', 'text', (c) => c.notNull())
      .addColumn('trigger', 'text', (c) => c.notNull())
      .addColumn('due_at', 'bigint')
      .addColumn('started_at', 'bigint', (c) => c.notNull())
      .addColumn('completed_at', 'bigint')
      .addColumn('duration_ms', 'bigint')
      .addColumn('error', 'text')
      .addColumn('error_details', 'text', (c) => c.notNull().defaultTo('[]'))
      .addColumn('stdout', 'text', (c) => c.notNull().defaultTo(''))
      .addColumn('stderr', 'text', (c) => c.notNull().defaultTo(''))
      .addColumn('stdout_truncated', 'integer', (c) => c.notNull().defaultTo(0))
      .addColumn('stderr_truncated', 'integer', (c) => c.notNull().defaultTo(0))
      .addColumn('attestations_created', 'integer', (c) => c.notNull().defaultTo(0))
      .addColumn('async_job_id', 'text')
      .addColumn('handler_version', 'integer')
      .execute();
    await exec(db, 'create index pulse_executions_schedule on pulse_executions (schedule_id, id)');
  },
};

function exec(db: Kysely<unknown>, text: string): Promise<unknown> {
  return sql.raw(text).execute(db);
}
