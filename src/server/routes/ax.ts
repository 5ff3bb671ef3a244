// AX routes (docs/ax.md): POST /api/ax runs a query (text or structured filter) with its `so`
// actions; POST /api/ax/complete completes a query being typed.
import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import type { AxService } from '../../ax/service.js';
import { parseInput } from '../validate.js';

const DAY = 24 * 3600_000;

const axBody = z.strictObject({
  query: z.union([z.string().max(20_000), z.record(z.string(), z.unknown())]),
  limit: z.number().int().min(1).max(1000).optional(),
  cursor: z.string().min(1).max(200).optional(),
  /** Every match instead of the resolved view. */
  all: z.boolean().optional(),
  /** false: run the query only, start no `so` action (the canvas refreshing its results). */
  actions: z.boolean().optional(),
  /** For `so`: run every N seconds (0 or absent: once). */
  interval_seconds: z.number().int().min(0).max(366 * 24 * 3600).optional(),
  created_from: z.string().min(1).max(200).optional(),
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
  query: z.string().max(20_000),
  /** UTF-16 offset of the cursor; default the end. */
  position: z.number().int().min(0).optional(),
});

export function axRoutes(app: FastifyInstance, ax: AxService): void {
  app.post('/api/ax', async (req) => {
    const b = parseInput(axBody, req.body ?? {}, 'ax request');
    return ax.query({ ...b, every: b.interval_seconds });
  });

  app.post('/api/ax/complete', async (req) => {
    const b = parseInput(completeBody, req.body ?? {}, 'completion request');
    return ax.complete(b.query, b.position ?? b.query.length);
  });
}
