// The browser's session: the page keeps the access token in its own web storage and sends it as a
// Bearer header. A WebSocket cannot carry that header, so the page first trades it here for a
// single-use ticket (POST /api/session/ws-ticket) that it offers when opening /ws.
// Earlier versions kept the token in a cookie `qntx_token_<port>`; one still in a browser is
// expired on sight, since browsers send it to every port of the host.
import { parse, serialize } from 'cookie';
import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import { emptyBody, errorResponses } from '../schemas/common.js';
import type { WsTickets } from '../ws-tickets.js';

const ticketAnswer = z.object({
  ticket: z.string().describe('offer it as the subprotocol qntx-ticket.<ticket>, beside qntx'),
  expires_at: z.number().int().describe('ms since the epoch; usable once before then'),
});

const LEGACY_COOKIE = /^qntx_token_\d{1,5}$/;

export function sessionRoutes(app: FastifyInstance, tickets: WsTickets): void {
  app.post(
    '/api/session/ws-ticket',
    {
      schema: {
        summary: 'A single-use ticket (30 s) that opens /ws from a browser',
        body: emptyBody,
        response: { 201: ticketAnswer, ...errorResponses },
      },
    },
    async (_req, reply) => reply.status(201).send(tickets.issue()),
  );
}

/** Expires any `qntx_token_<port>` cookie a browser still sends (one hook for every route, the page's too). */
export function retireLegacyCookies(app: FastifyInstance): void {
  app.addHook('onRequest', async (req, reply) => {
    const raw = req.headers.cookie;
    if (!raw || !raw.includes('qntx_token_')) return;
    let names: string[];
    try {
      names = Object.keys(parse(raw)).filter((n) => LEGACY_COOKIE.test(n));
    } catch {
      return;
    }
    if (names.length) reply.header('set-cookie', names.map((n) => serialize(n, '', { path: '/', maxAge: 0, httpOnly: true, sameSite: 'strict' })));
  });
}
