// POST /api/session: the page trades the token of its URL (sent as a Bearer header) for an
// HttpOnly, SameSite=Strict cookie, so that the token leaves the address bar and page scripts.
import { serialize } from 'cookie';
import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import { emptyBody, errorResponses } from '../schemas/common.js';

export interface SessionDeps {
  token: string | undefined;
  cookieName(): string;
}

export function sessionRoutes(app: FastifyInstance, d: SessionDeps): void {
  app.post(
    '/api/session',
    {
      schema: {
        summary: 'Sets the access cookie (needs the token as a Bearer header)',
        body: emptyBody,
        response: { 204: z.null().describe('Set-Cookie: qntx_token_<port>=…; HttpOnly; SameSite=Strict'), ...errorResponses },
      },
    },
    async (_req, reply) => {
      if (d.token !== undefined) {
        reply.header('set-cookie', serialize(d.cookieName(), d.token, { httpOnly: true, sameSite: 'strict', path: '/' }));
      }
      return reply.status(204).send();
    },
  );
}
