// Pulse on PostgreSQL: the claim as one function call (one round trip, no BEGIN/SET/COMMIT), run
// without sorts (`set enable_sort = off`): a queue table's statistics are nearly always stale, and
// the planner would then sort every queued job on each claim instead of walking the
// (status, run_at, id) index and stopping after `limit` rows. The lease is on the database's clock.
import { sql } from '../kysely.js';
import type { QntxMigration } from '../migrations.js';

export const migration006c: QntxMigration = {
  name: '006c_pulse_claim',
  async up(db, dialect) {
    if (dialect !== 'postgres') return;
    await sql`
      create function pulse_claim(p_worker text, p_now bigint, p_lease_ms bigint, p_limit integer, p_handlers text[])
      returns setof pulse_jobs language sql volatile set enable_sort = off as $$
        update pulse_jobs set status = 'running', lease_owner = p_worker,
          lease_expires_at = (extract(epoch from clock_timestamp()) * 1000)::bigint + p_lease_ms,
          started_at = p_now, updated_at = p_now
        where id in (
          select id from pulse_jobs
          where status = 'queued' and run_at <= p_now and (p_handlers is null or handler_name = any(p_handlers))
          order by run_at, id limit p_limit
          for update skip locked)
        and status = 'queued'
        returning *
      $$`.execute(db);
  },
};
