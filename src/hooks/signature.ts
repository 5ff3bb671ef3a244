// The signature of a delivery, as GitHub sends it: `X-Hub-Signature-256: sha256=<hex HMAC-SHA256
// of the raw body>`, compared in constant time.
import crypto from 'node:crypto';

export const SIGNATURE_HEADER = 'x-hub-signature-256';

export function sign(secret: string, body: Buffer): string {
  return 'sha256=' + crypto.createHmac('sha256', secret).update(body).digest('hex');
}

/** Whether `header` is the signature of `body` with `secret`. */
export function verify(secret: string, body: Buffer, header: string | undefined): boolean {
  const m = /^sha256=([0-9a-f]{64})$/i.exec((header ?? '').trim());
  const given = Buffer.from(m ? m[1]!.toLowerCase() : '0'.repeat(64), 'hex');
  const want = crypto.createHmac('sha256', secret).update(body).digest();
  // Always compare (the same work whether the header is malformed or wrong).
  return crypto.timingSafeEqual(given, want) && m !== null;
}
