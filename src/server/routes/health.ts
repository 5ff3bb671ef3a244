// GET /health: liveness with version, database kind and uptime; with the token also Pulse's
// state, whose worker id names the host and the process.
import type { FastifyInstance } from 'fastify';
import type { z } from 'zod';
import type { ServerDeps } from '../deps.js';
import { errorResponses } from '../schemas/common.js';
import { health } from '../schemas/responses.js';

export function healthRoutes(app: FastifyInstance, deps: ServerDeps): void {
  app.get(
    '/health',
    { config: { auth: 'optional' }, schema: { summary: 'Liveness (no token needed)', security: [], response: { 200: health, ...errorResponses } } },
    async (req) => {
      const body: z.output<typeof health> = {
        status: 'ok',
        version: deps.version,
        database: deps.qntx.database.kind,
        uptime_s: Math.round((Date.now() - deps.qntx.startedAt) / 1000),
      };
      if (!req.authorized) return body;
      return {
        ...body,
        pulse: {
          worker: deps.qntx.pulse.workerEnabled,
          ticker: deps.qntx.pulse.tickerActive,
          running_jobs: deps.qntx.pulse.runningJobs,
          worker_id: deps.qntx.pulse.workerId,
          /** This process's clock minus the database's, ms (PostgreSQL; null on SQLite). */
          clock_offset_ms: deps.qntx.pulse.clockOffsetMs,
        },
      };
    },
  );
}
