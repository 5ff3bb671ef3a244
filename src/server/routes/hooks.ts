// Webhook routes (docs/triggers.md). `POST /hooks/<type>/<id>` is public (the id is the
// credential) and takes any content type up to 1 MiB; it answers 202 with the execution id before
// the run. A signed hook's rate is spent only by deliveries whose signature holds: bad ones have a
// bucket of their own, so a flood of them cannot starve the sender. The management routes under /api/hooks need the token and pass the Host/Origin checks.
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { MAX_JSON_DEPTH, tooDeepAt } from '../../ats/json-depth.js';
import type { Clock } from '../../clock.js';
import { NotFoundError, QntxError, UnauthorizedError, ValidationError } from '../../errors.js';
import { RateLimiter } from '../../hooks/rate-limit.js';
import type { HookService } from '../../hooks/service.js';
import { hmac, matches, SIGNATURE_HEADER } from '../../hooks/signature.js';
import { errorHandler } from '../error-handler.js';
import { errorResponses, idParams, text } from '../schemas/common.js';

/** The largest delivery body: larger is a 413. */
export const HOOK_BODY_LIMIT = 1024 * 1024;

declare module 'fastify' {
  interface FastifyContextConfig {
    /** A webhook delivery: only the Host check applies (no Origin or JSON-only rule; the URL's id is the credential). */
    hook?: boolean;
  }
}

const deliveryParams = z.strictObject({ type: text(64, 1), id: text(100, 1) });
const accepted = z.object({ execution_id: z.string(), job_id: z.string().nullable(), duplicate: z.boolean() });
const lastDelivery = z.object({ delivery_id: z.string().nullable(), execution_id: z.string(), received_at: z.number().int(), status: z.string().nullable() });
const hookInfo = z
  .object({
    id: z.string(),
    script_type: z.string(),
    signed: z.boolean(),
    headers: z.array(z.string()),
    rate_per_minute: z.number().int(),
    created_at: z.number().int(),
    last_delivery_at: z.number().int().nullable(),
    delivery_count: z.number().int(),
    stored_bytes: z.number().int().describe('UTF-8 bytes of the payloads the hook holds: queued, running and kept deliveries'),
    quota_bytes: z.number().int().describe('the most it may hold (QNTX_HOOK_QUOTA_BYTES): a delivery past it is a 507'),
    last_deliveries: z.array(lastDelivery),
  })
  .meta({ id: 'Hook' });
const createdHook = hookInfo.extend({
  path: z.string().describe('POST target; holds the secret id: shown once'),
  signing_secret: z.string().nullable().describe('HMAC-SHA256 secret for X-Hub-Signature-256: shown once'),
});
const createBody = z.strictObject({
  script_type: text(64, 1),
  sign: z.boolean().optional(),
  headers: z.array(text(100, 1)).max(32).optional(),
  rate_per_minute: z.number().int().min(1).max(10_000).optional(),
});
const listQuery = z.strictObject({ script_type: text(64, 1).optional() });

class RateLimitedError extends QntxError {
  constructor(hookId: string, readonly retryAfterS: number, badSignature = false) {
    super('rate_limited', 429, badSignature ? 'too many deliveries with a bad signature to this hook' : 'too many deliveries to this hook', {
      details: [`hook_id=${hookId}`, `retry_after_s=${retryAfterS}`, ...(badSignature ? ['reason=bad_signature'] : [])],
      hint: `retry after ${retryAfterS} s`,
    });
  }
}

/** The bucket of a hook's deliveries whose signature was missing or wrong. */
const badKey = (hookId: string) => `bad-signature:${hookId}`;

function isJson(type: string | undefined): boolean {
  const t = (type ?? '').split(';')[0]!.trim().toLowerCase();
  return t === 'application/json' || (t.startsWith('application/') && t.endsWith('+json'));
}

function parseBody(raw: Buffer, type: string | undefined): unknown {
  const textBody = raw.toString('utf8');
  if (!isJson(type)) return textBody;
  if (textBody.trim() === '') return null;
  let v: unknown;
  try {
    v = JSON.parse(textBody);
  } catch {
    throw new ValidationError('the body is not valid JSON', { details: ['body=invalid JSON'], hint: 'send JSON, or another Content-Type to get the body as a string' });
  }
  const at = tooDeepAt(v, MAX_JSON_DEPTH);
  if (at) throw new ValidationError(`the body is nested deeper than ${MAX_JSON_DEPTH} levels`, { details: [`body=nested deeper than ${MAX_JSON_DEPTH} levels`] });
  return v;
}

export async function hookRoutes(root: FastifyInstance, hooks: HookService, clock: Clock): Promise<void> {
  const app = root.withTypeProvider<ZodTypeProvider>();
  const limiter = new RateLimiter(() => clock.now());

  app.post('/api/hooks', { schema: { summary: 'Create a webhook for a handler type (its URL is shown once)', body: createBody, response: { 201: createdHook, ...errorResponses } } }, async (req, reply) =>
    reply.status(201).send(await hooks.create(req.body)),
  );
  app.get('/api/hooks', { schema: { summary: 'Webhooks and their last deliveries (never their URLs)', querystring: listQuery, response: { 200: z.object({ hooks: z.array(hookInfo) }), ...errorResponses } } }, async (req) => ({
    hooks: await hooks.list(req.query.script_type),
  }));
  app.delete('/api/hooks/:id', { schema: { summary: 'Revoke a webhook', params: idParams, response: { 200: z.object({ deleted: z.string() }), ...errorResponses } } }, async (req) => {
    await hooks.remove(req.params.id);
    limiter.forget(req.params.id);
    limiter.forget(badKey(req.params.id));
    return { deleted: req.params.id };
  });

  // Deliveries: their own scope, with one parser for every content type (the raw bytes, for the signature).
  await root.register(async (scope) => {
    scope.removeAllContentTypeParsers();
    scope.addContentTypeParser('*', { parseAs: 'buffer', bodyLimit: HOOK_BODY_LIMIT }, (_req, body, done) => done(null, body));
    scope.setErrorHandler((err, req, reply) => {
      if ((err as { statusCode?: number }).statusCode === 413) {
        return reply.status(413).send({ error: 'request body too large', details: [`limit_bytes=${HOOK_BODY_LIMIT}`], hint: 'a delivery is at most 1 MiB' });
      }
      if (err instanceof RateLimitedError) void reply.header('retry-after', String(err.retryAfterS));
      errorHandler(err as Error, req, reply);
    });
    scope.withTypeProvider<ZodTypeProvider>().post(
      '/hooks/:type/:id',
      {
        bodyLimit: HOOK_BODY_LIMIT,
        config: { auth: 'public', hook: true },
        schema: {
          summary: 'A webhook delivery: runs the handler with the body as ix.input (no token: the id is the credential)',
          params: deliveryParams,
          body: z.unknown().describe('any content type, at most 1 MiB: JSON is parsed when Content-Type says JSON, else the text'),
          response: { 202: accepted, ...errorResponses } },
      },
      async (req: FastifyRequest<{ Params: z.infer<typeof deliveryParams> }>, reply: FastifyReply) => {
        const { type, id } = req.params;
        const hook = await hooks.find(type, id);
        if (!hook) throw new NotFoundError('no such hook', { details: [`script_type=${type}`], hint: 'the hook may have been revoked: qntx hooks ls' });
        const raw = Buffer.isBuffer(req.body) ? req.body : Buffer.alloc(0);
        const secret = hooks.signingSecret(hook);
        let bodyHmac: string | null = null;
        if (secret !== null) {
          const digest = hmac(secret, raw);
          if (!matches(digest, req.headers[SIGNATURE_HEADER] as string | undefined)) {
            // Bad signatures spend a bucket of their own (as large as the hook's rate), never the sender's.
            const bad = limiter.take(badKey(hook.id), hook.rate_per_minute);
            if (!bad.ok) throw new RateLimitedError(hook.id, bad.retryAfterS, true);
            throw new UnauthorizedError('the delivery signature does not match', {
              details: [`header=${SIGNATURE_HEADER}`],
              hint: 'sign the raw body with HMAC-SHA256 and the hook\'s signing secret: sha256=<hex>',
            });
          }
          bodyHmac = digest.toString('hex');
        }
        const take = limiter.take(hook.id, hook.rate_per_minute);
        if (!take.ok) throw new RateLimitedError(hook.id, take.retryAfterS);
        const body = parseBody(raw, req.headers['content-type']);
        const res = await hooks.deliver({ hook, body, headers: req.headers, bodyHmac });
        return reply.status(202).send(res);
      },
    );
  });
}
