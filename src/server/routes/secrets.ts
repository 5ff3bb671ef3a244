// Secrets routes (docs/triggers.md): names and grants only; a value goes in (PUT) and never out.
import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import type { SecretService } from '../../secrets/service.js';
import { errorResponses, text } from '../schemas/common.js';

const nameParams = z.strictObject({ name: text(64, 1) });
const grantParams = z.strictObject({ name: text(64, 1), type: text(64, 1) });
const secretInfo = z
  .object({ name: z.string(), grants: z.array(z.string()), created_at: z.number().int(), updated_at: z.number().int() })
  .meta({ id: 'Secret' });
const setBody = z.strictObject({ value: text(64 * 1024, 1).describe('write-only: never returned') });
const grantBody = z.strictObject({ script_type: text(64, 1) });

export function secretRoutes(root: FastifyInstance, secrets: SecretService): void {
  const app = root.withTypeProvider<ZodTypeProvider>();
  app.get('/api/secrets', { schema: { summary: 'Secret names and grants (never values)', response: { 200: z.object({ secrets: z.array(secretInfo) }), ...errorResponses } } }, async () => ({
    secrets: await secrets.list(),
  }));
  app.put(
    '/api/secrets/:name',
    { schema: { summary: 'Set or replace a secret value (write-only)', params: nameParams, body: setBody, response: { 200: secretInfo, ...errorResponses } } },
    async (req) => secrets.set(req.params.name, req.body.value),
  );
  app.delete(
    '/api/secrets/:name',
    { schema: { summary: 'Delete a secret and its grants', params: nameParams, response: { 200: z.object({ deleted: z.string() }), ...errorResponses } } },
    async (req) => {
      await secrets.remove(req.params.name);
      return { deleted: req.params.name };
    },
  );
  app.post(
    '/api/secrets/:name/grants',
    { schema: { summary: 'Let a handler type read the secret', params: nameParams, body: grantBody, response: { 200: secretInfo, ...errorResponses } } },
    async (req) => secrets.grant(req.params.name, req.body.script_type),
  );
  app.delete(
    '/api/secrets/:name/grants/:type',
    { schema: { summary: 'Take the grant back', params: grantParams, response: { 200: secretInfo, ...errorResponses } } },
    async (req) => secrets.revoke(req.params.name, req.params.type),
  );
}
