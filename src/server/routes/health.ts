// GET /health: liveness with version, database kind and uptime.
import type { FastifyInstance } from 'fastify';
import type { ServerDeps } from '../deps.js';

export function healthRoutes(app: FastifyInstance, deps: ServerDeps): void {
  app.get('/health', async () => ({
    status: 'ok',
    version: deps.version,
    database: deps.qntx.database.kind,
    uptime_s: Math.round((Date.now() - deps.qntx.startedAt) / 1000),
    pulse: {
      worker: deps.qntx.pulse.workerEnabled,
      ticker: deps.qntx.pulse.tickerActive,
      running_jobs: deps.qntx.pulse.runningJobs,
      worker_id: deps.qntx.pulse.workerId,
      /** This process's clock minus the database's, ms (PostgreSQL; null on SQLite). */
      clock_offset_ms: deps.qntx.pulse.clockOffsetMs,
    },
  }));
}
