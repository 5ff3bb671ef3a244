// AES-256-GCM of one secret value (node:crypto): a random 96-bit nonce per encryption, the
// secret's name as additional data (a ciphertext moved to another name does not decrypt).
import crypto from 'node:crypto';

const NONCE = 12;
const TAG = 16;

/** base64 of nonce ‖ tag ‖ ciphertext. */
export function seal(key: Buffer, name: string, value: string): string {
  const nonce = crypto.randomBytes(NONCE);
  const c = crypto.createCipheriv('aes-256-gcm', key, nonce);
  c.setAAD(Buffer.from(name, 'utf8'));
  const body = Buffer.concat([c.update(value, 'utf8'), c.final()]);
  return Buffer.concat([nonce, c.getAuthTag(), body]).toString('base64');
}

/** The value, or null when the key or the data is not the one it was sealed with. */
export function open(key: Buffer, name: string, sealed: string): string | null {
  const raw = Buffer.from(sealed, 'base64');
  if (raw.length < NONCE + TAG) return null;
  try {
    const d = crypto.createDecipheriv('aes-256-gcm', key, raw.subarray(0, NONCE));
    d.setAAD(Buffer.from(name, 'utf8'));
    d.setAuthTag(raw.subarray(NONCE, NONCE + TAG));
    return Buffer.concat([d.update(raw.subarray(NONCE + TAG)), d.final()]).toString('utf8');
  } catch {
    return null;
  }
}
