// AX routes (docs/ax.md): POST /api/ax runs a query (text or structured filter) with its `so`
// actions; POST /api/ax/complete completes a query being typed.
import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import type { AxService } from '../../ax/service.js';
import { cursor, errorResponses, text } from '../schemas/common.js';
import { axCompletion, axFilterBody, axResponse } from '../schemas/ax.js';

const DAY = 24 * 3600_000;

const axBody = z.strictObject({
  /** AX text, or the structured filter: no text of either may hold NUL (each named in the 400). */
  query: z.union([text(20_000), axFilterBody]),
  limit: z.number().int().min(0).max(1000).optional().describe('0 or absent: the default, 100'),
  cursor: cursor.optional(),
  /** Every match instead of the resolved view. */
  all: z.boolean().optional(),
  /** false: run the query only, start no `so` action (the canvas refreshing its results). */
  actions: z.boolean().optional(),
  /** For `so`: run every N seconds (0 or absent: once). */
  interval_seconds: z.number().int().min(0).max(366 * 24 * 3600).optional(),
  created_from: text(200, 1).optional(),
  exclude_system: z.boolean().optional().describe('leave out system attestations (ix_handler versions and retractions)'),
  windows: z
    .strictObject({
      verificationMs: z.number().int().min(0).max(366 * DAY).optional(),
      evolutionMs: z.number().int().min(1).max(3660 * DAY).optional(),
      obsolescenceMs: z.number().int().min(1).max(36600 * DAY).optional(),
      reviewBelow: z.number().min(0).max(1).optional(),
    })
    .optional(),
});

const completeBody = z.strictObject({
  query: text(20_000),
  /** UTF-16 offset of the cursor; default the end. */
  position: z.number().int().min(0).optional(),
});

export function axRoutes(root: FastifyInstance, ax: AxService): void {
  const app = root.withTypeProvider<ZodTypeProvider>();
  app.post(
    '/api/ax',
    { schema: { summary: 'Ask in the AX language (docs/ax.md)', body: axBody, response: { 200: axResponse, ...errorResponses } } },
    async (req) => {
      const b = req.body;
      return ax.query({ ...b, every: b.interval_seconds });
    },
  );

  app.post(
    '/api/ax/complete',
    { schema: { summary: 'Complete an AX query being typed', body: completeBody, response: { 200: axCompletion, ...errorResponses } } },
    async (req) => ax.complete(req.body.query, req.body.position ?? req.body.query.length),
  );
}
