// Attestation routes: POST /api/as (JSON or {text}), GET /api/attestations (and /count, same filter),
// GET /api/attestations/:id, POST /api/attestations/query (the filter as JSON, for values that hold commas).
import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import { NotFoundError, ValidationError } from '../../errors.js';
import { bodyFilterSchema, filterFromQuery } from '../attestation-filter.js';
import type { ServerDeps } from '../deps.js';
import { parseInput } from '../validate.js';

export function attestationRoutes(app: FastifyInstance, deps: ServerDeps): void {
  const { ats, store } = deps.qntx;

  app.post('/api/as', async (req, reply) => {
    if (req.body === undefined || req.body === null || typeof req.body !== 'object' || Array.isArray(req.body)) {
      throw new ValidationError('body must be a JSON object', {
        details: ['body=must be an object'],
        hint: 'send {"text": "as alice is engineer of acme"} or {"subjects": [...], "predicates": [...], "contexts": [...]}',
      });
    }
    const { attestation, created } = await ats.attest(req.body, { source: 'api', actor: deps.actor });
    if (!created) return reply.status(200).send(attestation);
    deps.publish?.({ type: 'attestations_created', count: 1, source: 'api' });
    return reply.status(201).send(attestation);
  });

  app.get('/api/attestations', async (req) => {
    const page = await store.query(filterFromQuery(req.query));
    return { attestations: page.items, count: page.items.length, next_cursor: page.next_cursor };
  });

  app.get('/api/attestations/count', async (req) => ({ count: await store.count(filterFromQuery(req.query)) }));

  app.post('/api/attestations/query', async (req) => {
    const f = parseInput(bodyFilterSchema, req.body ?? {}, 'filter');
    const page = await store.query(f);
    return { attestations: page.items, count: page.items.length, next_cursor: page.next_cursor };
  });

  app.get('/api/attestations/:id', async (req) => {
    const { id } = parseInput(z.object({ id: z.string().min(1).max(64) }), req.params, 'path');
    const a = await store.get(id);
    if (!a) throw new NotFoundError(`attestation ${id} not found`, { details: [`id=${id}`] });
    return a;
  });
}
