// Attestation routes: POST /api/as (JSON or {text}), GET /api/attestations, GET /api/attestations/:id,
// POST /api/attestations/query (the filter as JSON, for values that hold commas). Pages stop at the
// response budget and continue with next_cursor.
import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { attestationInputSchema, timestampSchema } from '../../ats/input.js';
import type { AttestationFilter } from '../../ats/types.js';
import { NotFoundError, ValidationError } from '../../errors.js';
import type { ServerDeps } from '../deps.js';
import { MAX_FILTER_VALUES, cursor, errorResponses, idParams, queryList, text } from '../schemas/common.js';
import { attestationDto, attestationPage } from '../schemas/responses.js';

const order = z.enum(['asc', 'desc']);

const querySchema = z.strictObject({
  subjects: queryList.optional(),
  predicates: queryList.optional(),
  contexts: queryList.optional(),
  actors: queryList.optional(),
  subject: queryList.optional(),
  predicate: queryList.optional(),
  context: queryList.optional(),
  actor: queryList.optional(),
  time_start: timestampSchema.optional(),
  time_end: timestampSchema.optional(),
  limit: z.coerce.number().int().min(1).max(1e9).optional().describe('at most 1000 (larger is capped)'),
  order: order.optional(),
  cursor: cursor.optional(),
});

const filterValues = z.array(text(2000, 1)).max(MAX_FILTER_VALUES);

const bodyFilterSchema = z.strictObject({
  subjects: filterValues.optional(),
  predicates: filterValues.optional(),
  contexts: filterValues.optional(),
  actors: filterValues.optional(),
  time_start: timestampSchema.optional(),
  time_end: timestampSchema.optional(),
  limit: z.number().int().min(1).max(1e9).optional(),
  order: order.optional(),
  cursor: cursor.optional(),
});

/** Either the textual form alone, or the structured fields (subjects, predicates and contexts required). */
const asBody = attestationInputSchema
  .partial()
  .extend({ text: text(64 * 1024).optional().describe('as SUBJECT... is PREDICATE... of CONTEXT... [by ACTOR...] [at TIME]') })
  .superRefine((b, ctx) => {
    if (b.text !== undefined) {
      for (const k of Object.keys(b)) if (k !== 'text') ctx.addIssue({ code: 'custom', path: [k], message: 'not allowed with text' });
      return;
    }
    for (const k of ['subjects', 'predicates', 'contexts'] as const) {
      if (b[k] === undefined) ctx.addIssue({ code: 'custom', path: [k], message: 'required (or send {text})' });
    }
  });

function merge(a: string[] | undefined, b: string[] | undefined, field: string): string[] | undefined {
  const all = [...(a ?? []), ...(b ?? [])];
  if (all.length > MAX_FILTER_VALUES) {
    throw new ValidationError(`${field}: at most ${MAX_FILTER_VALUES} values`, {
      details: [`${field}=${all.length} values, at most ${MAX_FILTER_VALUES}`],
      hint: 'split the query',
    });
  }
  return all.length ? all : undefined;
}

export function attestationRoutes(root: FastifyInstance, deps: ServerDeps): void {
  const app = root.withTypeProvider<ZodTypeProvider>();
  const { ats, store } = deps.qntx;
  const maxBytes = deps.limits.responseBudgetBytes;
  const page = async (f: AttestationFilter) => {
    const p = await store.query({ ...f, maxBytes });
    return { attestations: p.items, count: p.items.length, next_cursor: p.next_cursor };
  };

  app.post(
    '/api/as',
    { schema: { summary: 'Attest', body: asBody, response: { 201: attestationDto, ...errorResponses } } },
    async (req, reply) => {
      const a = await ats.attest(req.body, { source: 'api', actor: deps.actor });
      deps.publish?.({ type: 'attestations_created', count: 1, source: 'api' });
      return reply.status(201).send(a);
    },
  );

  app.get(
    '/api/attestations',
    { schema: { summary: 'Query attestations', querystring: querySchema, response: { 200: attestationPage, ...errorResponses } } },
    async (req) => {
      const q = req.query;
      return page({
        subjects: merge(q.subjects, q.subject, 'subjects'),
        predicates: merge(q.predicates, q.predicate, 'predicates'),
        contexts: merge(q.contexts, q.context, 'contexts'),
        actors: merge(q.actors, q.actor, 'actors'),
        time_start: q.time_start,
        time_end: q.time_end,
        limit: q.limit,
        order: q.order,
        cursor: q.cursor,
      });
    },
  );

  app.post(
    '/api/attestations/query',
    { schema: { summary: 'Query attestations (filter as JSON)', body: bodyFilterSchema.nullish(), response: { 200: attestationPage, ...errorResponses } } },
    async (req) => page(req.body ?? {}),
  );

  app.get(
    '/api/attestations/:id',
    { schema: { summary: 'One attestation', params: idParams, response: { 200: attestationDto, ...errorResponses } } },
    async (req) => {
      const { id } = req.params;
      const a = await store.get(id);
      if (!a) throw new NotFoundError(`attestation ${id} not found`, { details: [`id=${id}`] });
      return a;
    },
  );
}
