// The content key of a claim: subjects, predicates, contexts and actors as sets, the
// timestamp and the attributes (key order ignored). Equal claims get equal keys, so the store keeps
// one row per claim with a unique index; id, source, created_at and handler_version are not in it.
import crypto from 'node:crypto';

export interface Claim {
  subjects: readonly string[];
  predicates: readonly string[];
  contexts: readonly string[];
  actors: readonly string[];
  timestamp: number;
  attributes: Record<string, unknown>;
}

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

/**
 * True when `JSON.stringify(v)` already is `canonicalJson(v)`: plain JSON values whose object keys
 * are in sorted order at every level (what most attributes are). Anything else (unsorted keys, an
 * undefined member, an object with toJSON) answers false and takes the canonical path.
 */
function isCanonical(v: unknown): boolean {
  if (v === null) return true;
  const t = typeof v;
  if (t === 'string' || t === 'boolean') return true;
  if (t === 'number') return Number.isFinite(v);
  if (t !== 'object') return false;
  if (Array.isArray(v)) return v.every(isCanonical);
  if (Object.getPrototypeOf(v) !== Object.prototype) return false;
  let prev: string | undefined;
  for (const k in v as Record<string, unknown>) {
    if (prev !== undefined && !(prev < k)) return false;
    if (!isCanonical((v as Record<string, unknown>)[k])) return false;
    prev = k;
  }
  return true;
}

/**
 * The stored JSON text of a claim's parts (`JSON.stringify` of each), when the caller has it: the
 * key reuses a part's text where it already is the canonical form (one value; sorted attributes)
 * instead of serialising it again.
 */
export interface ClaimTexts {
  subjects: string;
  predicates: string;
  contexts: string;
  actors: string;
  attributes: string;
}

/** Node ≥ 20.12 hashes a string in one call, without a Hash object. */
const oneShot = (crypto as { hash?: (alg: string, data: string, enc: 'buffer') => Buffer }).hash;

const TWO_32 = 2 ** 32;

/**
 * The timestamp (8 bytes, big-endian two's complement) then the first 16 bytes of the SHA-256 of
 * the canonical claim. The timestamp first keeps a batch's keys together in the unique index
 * (claims mostly arrive in time order, like the time index), where random keys would touch a
 * random page each; the timestamp is part of the claim anyway. 128 bits of hash: two claims of the
 * same millisecond share a key with a chance near n²/2¹²⁹.
 */
export function claimKey(c: Claim, stored?: ClaimTexts): Buffer {
  const ts = Math.trunc(c.timestamp);
  const s = stored && c.subjects.length === 1 ? stored.subjects : JSON.stringify(asSet(c.subjects));
  const p = stored && c.predicates.length === 1 ? stored.predicates : JSON.stringify(asSet(c.predicates));
  const x = stored && c.contexts.length === 1 ? stored.contexts : JSON.stringify(asSet(c.contexts));
  const a = stored && c.actors.length === 1 ? stored.actors : JSON.stringify(asSet(c.actors));
  const attrs = stored && isCanonical(c.attributes) ? stored.attributes : canonicalJson(c.attributes);
  const text = `[${s},${p},${x},${a},${ts},${attrs}]`;
  const digest = oneShot ? oneShot('sha256', text, 'buffer') : crypto.createHash('sha256').update(text).digest();
  // The key is written into the digest's own 32 bytes: its first 16 move up by 8, the timestamp
  // goes in front (one buffer per claim instead of two). The 64-bit timestamp as two 32-bit
  // halves (|ts| < 2⁵³): the same bytes as writeBigInt64BE.
  digest.copyWithin(8, 0, 16);
  const hi = Math.floor(ts / TWO_32);
  digest.writeInt32BE(hi, 0);
  digest.writeUInt32BE(ts - hi * TWO_32, 4);
  return digest.subarray(0, 24);
}
