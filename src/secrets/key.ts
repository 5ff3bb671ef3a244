// The key of stored secrets (docs/triggers.md): 32 bytes from QNTX_SECRET_KEY (base64 or hex) or
// <data-dir>/secret.key (mode 0600, made on the first `secrets set`). Its id (a hash prefix) is
// stored with each secret, so a lost or changed key is a clear error, never garbage.
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { ConfigError } from '../errors.js';

export interface SecretKey {
  key: Buffer;
  /** First 16 hex digits of SHA-256("qntx-secret-key" ‖ key): names the key without revealing it. */
  id: string;
  /** Where it came from, for error messages: 'QNTX_SECRET_KEY' or the file's path. */
  origin: string;
}

export interface KeySource {
  dataDir: string;
  /** QNTX_SECRET_KEY, when set. */
  secretKey?: string | undefined;
}

export function keyFile(src: KeySource): string {
  return path.join(src.dataDir, 'secret.key');
}

function keyId(key: Buffer): string {
  return crypto.createHash('sha256').update('qntx-secret-key').update(key).digest('hex').slice(0, 16);
}

function decodeKey(text: string, origin: string): SecretKey {
  const t = text.trim();
  const key = /^[0-9a-fA-F]{64}$/.test(t) ? Buffer.from(t, 'hex') : Buffer.from(t, 'base64');
  if (key.length !== 32) {
    throw new ConfigError(`the secret key in ${origin} is not 32 bytes`, {
      details: [`key_source=${origin}`, `key_bytes=${key.length}`],
      hint: 'give 32 random bytes as base64 or 64 hex digits, e.g. `openssl rand -base64 32`',
    });
  }
  return { key, id: keyId(key), origin };
}

/** The key, or null when none is configured and the key file does not exist. */
export function loadKey(src: KeySource): SecretKey | null {
  if (src.secretKey) return decodeKey(src.secretKey, 'QNTX_SECRET_KEY');
  const file = keyFile(src);
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw new ConfigError(`cannot read the secret key ${file}: ${(err as Error).message}`, { details: [`key_source=${file}`] });
  }
  // Narrowed if found wider (as the token file is).
  if ((fs.statSync(file).mode & 0o077) !== 0) fs.chmodSync(file, 0o600);
  return decodeKey(text, file);
}

/** The key, made (32 random bytes, mode 0600, created exclusively) when there is none yet. */
export function loadOrCreateKey(src: KeySource): SecretKey {
  const found = loadKey(src);
  if (found) return found;
  const file = keyFile(src);
  fs.mkdirSync(path.dirname(file), { recursive: true, mode: 0o700 });
  const key = crypto.randomBytes(32);
  try {
    fs.writeFileSync(file, key.toString('base64') + '\n', { mode: 0o600, flag: 'wx' });
  } catch (err) {
    // Another process made it first: use that one.
    if ((err as NodeJS.ErrnoException).code === 'EEXIST') return loadKey(src)!;
    throw err;
  }
  return { key, id: keyId(key), origin: file };
}
