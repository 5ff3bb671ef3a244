// Attestation routes: POST /api/as (JSON or {text}), GET /api/attestations (and /count, same filter),
// GET /api/attestations/:id, POST /api/attestations/query (the filter as JSON, for values that hold
// commas). Pages stop at the response budget and continue with next_cursor.
import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { attestationInputSchema } from '../../ats/input.js';
import type { AttestationFilter } from '../../ats/types.js';
import { NotFoundError } from '../../errors.js';
import { z } from 'zod';
import { provenanceOf } from '../../ix/provenance.js';
import { bodyFilterSchema, countQuerySchema, exportQuerySchema, filterFromQuery, filterQuerySchema } from '../attestation-filter.js';
import { exportStream } from '../export-stream.js';
import type { ServerDeps } from '../deps.js';
import { errorResponses, idParams, text } from '../schemas/common.js';
import { attestationCount, attestationDto, attestationPage, provenanceDto } from '../schemas/responses.js';

/** Either the textual form alone, or the structured fields (subjects, predicates and contexts required). */
const asBody = attestationInputSchema
  .partial()
  .extend({ text: text(64 * 1024).optional().describe('as SUBJECT... [is|are PREDICATE...] [of CONTEXT...] [by ACTOR...] [at|on TIME] (docs/as.md)') })
  .superRefine((b, ctx) => {
    if (b.text !== undefined) {
      for (const k of Object.keys(b)) if (k !== 'text') ctx.addIssue({ code: 'custom', path: [k], message: 'not allowed with text' });
      return;
    }
    for (const k of ['subjects', 'predicates', 'contexts'] as const) {
      if (b[k] === undefined) ctx.addIssue({ code: 'custom', path: [k], message: 'required (or send {text})' });
    }
  });

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
    { schema: { summary: 'Attest', body: asBody, response: { 200: attestationDto, 201: attestationDto, ...errorResponses } } },
    async (req, reply) => {
      const { attestation, created } = await ats.attest(req.body, { source: 'api', actor: deps.actor });
      // The same claim is stored once: a repeat answers 200 with the attestation already known.
      if (!created) return reply.status(200).send(attestation);
      deps.publish?.({ type: 'attestations_created', count: 1, source: 'api' });
      return reply.status(201).send(attestation);
    },
  );

  app.get(
    '/api/attestations',
    { schema: { summary: 'Query attestations', querystring: filterQuerySchema, response: { 200: attestationPage, ...errorResponses } } },
    async (req) => page(filterFromQuery(req.query)),
  );

  app.get(
    '/api/attestations/count',
    { schema: { summary: 'Count the attestations a filter matches', querystring: countQuerySchema, response: { 200: attestationCount, ...errorResponses } } },
    async (req) => ({ count: await store.count(filterFromQuery(req.query)) }),
  );

  app.post(
    '/api/attestations/query',
    { schema: { summary: 'Query attestations (filter as JSON)', body: bodyFilterSchema.nullish(), response: { 200: attestationPage, ...errorResponses } } },
    async (req) => page(req.body ?? {}),
  );

  app.get(
    '/api/attestations/export',
    {
      schema: {
        summary: 'Every attestation the filter matches, streamed as JSONL or CSV (a file download)',
        querystring: exportQuerySchema,
        response: { 200: z.any().describe('a stream: application/x-ndjson or text/csv'), ...errorResponses },
      },
    },
    async (req, reply) => {
      const { format, ...q } = req.query;
      const filter = filterFromQuery(q);
      // A bad filter answers 400 before the download starts (a stream cannot change its status).
      await store.query({ ...filter, limit: 1 });
      return reply
        .header('content-type', format === 'csv' ? 'text/csv; charset=utf-8' : 'application/x-ndjson; charset=utf-8')
        .header('content-disposition', `attachment; filename="attestations.${format}"`)
        .header('cache-control', 'no-store')
        .send(exportStream(store, filter, format, maxBytes));
    },
  );

  app.get(
    '/api/attestations/:id/provenance',
    {
      schema: {
        summary: 'Where an attestation comes from: its run, schedule and handler version (code)',
        params: idParams,
        response: { 200: provenanceDto, ...errorResponses },
      },
    },
    async (req) => provenanceOf({ store, pulse: deps.qntx.pulse, handlers: deps.qntx.handlers }, req.params.id),
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
