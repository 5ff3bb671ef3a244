// The access token on requests: `Authorization: Bearer <token>`, nothing else. Never a cookie:
// browsers send a host's cookies to every port of it, so a page served from another local port
// would carry it. Compared in constant time whatever the lengths (both sides are hashed first), so
// an answer tells nothing of the token.
import { createHash, timingSafeEqual } from 'node:crypto';
import type { IncomingHttpHeaders } from 'node:http';
import { UnauthorizedError } from '../errors.js';

export interface TokenCheck {
  /** The token every request needs; undefined when the server runs with --no-token. */
  token: string | undefined;
}

const digest = (s: string) => createHash('sha256').update(s, 'utf8').digest();

export function tokenMatches(given: string, token: string): boolean {
  return timingSafeEqual(digest(given), digest(token));
}

/** The token of `Authorization: Bearer <token>`; any other form of the header gives none. */
export function bearerToken(header: string | undefined): string | undefined {
  const m = header ? /^Bearer +([\x21-\x7e]+) *$/i.exec(header) : null;
  return m ? m[1] : undefined;
}

/** Whether the request carries the token (always true without one). */
export function isAuthorized(headers: IncomingHttpHeaders, check: TokenCheck): boolean {
  if (check.token === undefined) return true;
  const given = bearerToken(headers.authorization);
  return given !== undefined && tokenMatches(given, check.token);
}

export function unauthorized(): UnauthorizedError {
  return new UnauthorizedError('missing or wrong access token', {
    details: ['header=Authorization'],
    hint: 'open the URL `qntx serve` printed (it holds ?token=), or send Authorization: Bearer <token> (see <data-dir>/token)',
  });
}

export function requireToken(headers: IncomingHttpHeaders, check: TokenCheck): void {
  if (!isAuthorized(headers, check)) throw unauthorized();
}
