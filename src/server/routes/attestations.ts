// Attestation routes: POST /api/as (JSON or {text}), GET /api/attestations, GET /api/attestations/:id,
// POST /api/attestations/query (the filter as JSON, for values that hold commas).
import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import { timestampSchema } from '../../ats/input.js';
import { NotFoundError, ValidationError } from '../../errors.js';
import type { ServerDeps } from '../deps.js';
import { parseInput } from '../validate.js';

/** A query-string list: repeated keys, each split on commas. */
const list = z
  .union([z.string(), z.array(z.string())])
  .transform((v) => (Array.isArray(v) ? v : [v]).flatMap((s) => s.split(',')).filter((s) => s.length > 0))
  .optional();

const querySchema = z.strictObject({
  subjects: list,
  predicates: list,
  contexts: list,
  actors: list,
  subject: list,
  predicate: list,
  context: list,
  actor: list,
  time_start: timestampSchema.optional(),
  time_end: timestampSchema.optional(),
  limit: z.coerce.number().int().min(1).optional(),
  order: z.enum(['asc', 'desc']).optional(),
  cursor: z.string().min(1).max(200).optional(),
});

const bodyFilterSchema = z.strictObject({
  subjects: z.array(z.string().min(1)).optional(),
  predicates: z.array(z.string().min(1)).optional(),
  contexts: z.array(z.string().min(1)).optional(),
  actors: z.array(z.string().min(1)).optional(),
  time_start: timestampSchema.optional(),
  time_end: timestampSchema.optional(),
  limit: z.number().int().min(1).optional(),
  order: z.enum(['asc', 'desc']).optional(),
  cursor: z.string().min(1).max(200).optional(),
});

function merge(a: string[] | undefined, b: string[] | undefined): string[] | undefined {
  const all = [...(a ?? []), ...(b ?? [])];
  return all.length ? all : undefined;
}

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
    const q = parseInput(querySchema, req.query, 'query');
    const page = await store.query({
      subjects: merge(q.subjects, q.subject),
      predicates: merge(q.predicates, q.predicate),
      contexts: merge(q.contexts, q.context),
      actors: merge(q.actors, q.actor),
      time_start: q.time_start,
      time_end: q.time_end,
      limit: q.limit,
      order: q.order,
      cursor: q.cursor,
    });
    return { attestations: page.items, count: page.items.length, next_cursor: page.next_cursor };
  });

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
