// Bearer-token check: required on /api and /ws when a token is configured (always when the
// server listens on a non-loopback address; see serve.ts).
import { timingSafeEqual } from 'node:crypto';
import { UnauthorizedError } from '../errors.js';

export function checkBearer(header: string | undefined, token: string | undefined): void {
  if (!token) return;
  const given = header?.startsWith('Bearer ') ? header.slice(7) : (header ?? '');
  const a = Buffer.from(given);
  const b = Buffer.from(token);
  if (a.length !== b.length || !timingSafeEqual(a, b)) {
    throw new UnauthorizedError('missing or wrong access token', {
      details: ['header=Authorization'],
      hint: 'send Authorization: Bearer <QNTX_TOKEN>',
    });
  }
}
