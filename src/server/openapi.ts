// The OpenAPI 3.1 document, generated from the routes' zod schemas (@fastify/swagger with
// fastify-type-provider-zod's transforms) and served at GET /api/openapi.json.
import fastifySwagger from '@fastify/swagger';
import type { FastifyInstance } from 'fastify';
import { createJsonSchemaTransform, createJsonSchemaTransformObject } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { errorResponses } from './schemas/common.js';

// The provider's default override drops union branches that are transforms (a string given for a
// list, an ISO timestamp) from request schemas; the document needs no override for OpenAPI 3.1.
const zodToJsonConfig = { override: () => undefined };

export async function registerOpenApi(app: FastifyInstance, version: string): Promise<void> {
  await app.register(fastifySwagger, {
    openapi: {
      openapi: '3.1.0',
      info: {
        title: 'qntx',
        version,
        description:
          'Attestations, ix handlers and the Pulse scheduler. Every route but /health and the page needs the access token, ' +
          'as Authorization: Bearer <token> (/ws also takes a single-use ticket from POST /api/session/ws-ticket). ' +
          'Every error is {error, details[], hint?}.',
      },
      components: { securitySchemes: { bearer: { type: 'http', scheme: 'bearer' } } },
      security: [{ bearer: [] }],
    },
    transform: createJsonSchemaTransform({ zodToJsonConfig }),
    transformObject: createJsonSchemaTransformObject({ zodToJsonConfig }),
  });
  app.get(
    '/api/openapi.json',
    { schema: { summary: 'This document', response: { 200: z.record(z.string(), z.unknown()), ...errorResponses } } },
    async () => app.swagger(),
  );
}
