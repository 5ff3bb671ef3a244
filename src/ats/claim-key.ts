// The content key of a claim (SPEC §2): subjects, predicates, contexts and actors as sets, the
// timestamp and the attributes (key order ignored). Equal claims get equal keys, so the store keeps
// one row per claim with a unique index; id, source, created_at and handler_version are not in it.
import crypto from 'node:crypto';
import type { FieldName } from './types.js';

export interface Claim {
  subjects: readonly string[];
  predicates: readonly string[];
  contexts: readonly string[];
  actors: readonly string[];
  timestamp: number;
  attributes: Record<string, unknown>;
}

const FIELDS: readonly FieldName[] = ['subjects', 'predicates', 'contexts', 'actors'];

function asSet(values: readonly string[]): string[] {
  // The default sort is UTF-16 code-unit order: the same on every machine, whatever the locale.
  return values.length === 1 ? (values as string[]) : [...new Set(values)].sort();
}

/** JSON with object keys sorted at every level: equal values, equal text. */
export function canonicalJson(v: unknown): string {
  if (v === null || typeof v !== 'object') return JSON.stringify(v) ?? 'null';
  if (Array.isArray(v)) return `[${v.map(canonicalJson).join(',')}]`;
  const o = v as Record<string, unknown>;
  let out = '';
  for (const k of Object.keys(o).sort()) {
    const v = o[k];
    if (v === undefined) continue;
    out += `${out ? ',' : ''}${JSON.stringify(k)}:${canonicalJson(v)}`;
  }
  return `{${out}}`;
}

/** Node ≥ 20.12 hashes a string in one call, without a Hash object. */
const oneShot = (crypto as { hash?: (alg: string, data: string, enc: 'buffer') => Buffer }).hash;

/**
 * The timestamp (8 bytes, big-endian) then the first 16 bytes of the SHA-256 of the canonical
 * claim. The timestamp first keeps a batch's keys together in the unique index (claims mostly
 * arrive in time order, like the time index), where random keys would touch a random page each;
 * the timestamp is part of the claim anyway. 128 bits of hash: two claims of the same millisecond
 * share a key with a chance near n²/2¹²⁹.
 */
export function claimKey(c: Claim): Buffer {
  const parts = FIELDS.map((f) => JSON.stringify(asSet(c[f])));
  const ts = Math.trunc(c.timestamp);
  const text = `[${parts.join(',')},${ts},${canonicalJson(c.attributes)}]`;
  const digest = oneShot ? oneShot('sha256', text, 'buffer') : crypto.createHash('sha256').update(text).digest();
  const key = Buffer.allocUnsafe(24);
  key.writeBigInt64BE(BigInt(ts), 0);
  digest.copy(key, 8, 0, 16);
  return key;
}
