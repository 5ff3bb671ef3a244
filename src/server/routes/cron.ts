// GET /api/pulse/cron/preview?expr=&tz=: the next five run times of a cron expression, shown
// before a schedule is saved (CLI, IX glyph). A bad expression or zone is a 400.
import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import type { Clock } from '../../clock.js';
import { nextCronRuns } from '../../pulse/cron.js';
import { errorResponses, text } from '../schemas/common.js';

const query = z.strictObject({
  expr: text(200, 1).describe('five-field cron expression'),
  tz: text(100, 1).optional().describe('IANA zone (default UTC)'),
  count: z.coerce.number().int().min(1).max(20).optional(),
});
const preview = z.object({
  cron: z.string(),
  timezone: z.string().nullable(),
  next: z.array(z.string().describe('ISO 8601, UTC')),
  next_ms: z.array(z.number().int()),
});

export function cronRoutes(root: FastifyInstance, clock: Clock): void {
  const app = root.withTypeProvider<ZodTypeProvider>();
  app.get(
    '/api/pulse/cron/preview',
    { schema: { summary: 'The next run times of a cron expression', querystring: query, response: { 200: preview, ...errorResponses } } },
    async (req) => {
      const spec = { cron: req.query.expr.trim(), timezone: req.query.tz ?? null };
      const next = nextCronRuns(spec, clock.now(), req.query.count ?? 5);
      return { cron: spec.cron, timezone: spec.timezone, next: next.map((t) => new Date(t).toISOString()), next_ms: next };
    },
  );
}
