// The content key of a claim (SPEC §2): subjects, predicates, contexts and actors as sets, the
// timestamp and the attributes (key order ignored). Equal claims get equal keys, so the store keeps
// one row per claim with a unique index; id, source, created_at and handler_version are not in it.
import { createHash } from 'node:crypto';
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
  const out = [...new Set(values)];
  // Code-unit order: the same on every machine, whatever the locale.
  return out.sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
}

/** JSON with object keys sorted at every level: equal values, equal text. */
export function canonicalJson(v: unknown): string {
  if (v === null || typeof v !== 'object') return JSON.stringify(v) ?? 'null';
  if (Array.isArray(v)) return `[${v.map(canonicalJson).join(',')}]`;
  const o = v as Record<string, unknown>;
  const keys = Object.keys(o)
    .filter((k) => o[k] !== undefined)
    .sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
  return `{${keys.map((k) => `${JSON.stringify(k)}:${canonicalJson(o[k])}`).join(',')}}`;
}

/** SHA-256 of the canonical claim: 32 bytes. */
export function claimKey(c: Claim): Buffer {
  const parts = FIELDS.map((f) => JSON.stringify(asSet(c[f])));
  const text = `[${parts.join(',')},${Math.trunc(c.timestamp)},${canonicalJson(c.attributes)}]`;
  return createHash('sha256').update(text).digest();
}
