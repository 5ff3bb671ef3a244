// The signature of a delivery, as GitHub sends it: `X-Hub-Signature-256: sha256=<hex HMAC-SHA256
// of the raw body>`, compared in constant time.
import crypto from 'node:crypto';

export const SIGNATURE_HEADER = 'x-hub-signature-256';

/** The HMAC-SHA256 of a body with a signing secret (what the header carries, in hex). */
export function hmac(secret: string, body: Buffer): Buffer {
  return crypto.createHmac('sha256', secret).update(body).digest();
}

export function sign(secret: string, body: Buffer): string {
  return 'sha256=' + hmac(secret, body).toString('hex');
}

/** Whether `header` carries `digest` (the body's HMAC). */
export function matches(digest: Buffer, header: string | undefined): boolean {
  const m = /^sha256=([0-9a-f]{64})$/i.exec((header ?? '').trim());
  const given = Buffer.from(m ? m[1]!.toLowerCase() : '0'.repeat(64), 'hex');
  // Always compare (the same work whether the header is malformed or wrong).
  return crypto.timingSafeEqual(given, digest) && m !== null;
}

/** Whether `header` is the signature of `body` with `secret`. */
export function verify(secret: string, body: Buffer, header: string | undefined): boolean {
  return matches(hmac(secret, body), header);
}
