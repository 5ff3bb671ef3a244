// Groups the claims of a result page by (subject identity, predicate): one attestation with
// several subjects or predicates takes part in each of its pairs. Linear in the results.
// Identities compare as queries do, without regard to case: `Acme` and `acme` are one context,
// `Engineer` and `engineer` one predicate.
import { fold } from '../../ats/fold.js';
import type { Attestation } from '../../ats/types.js';

/** Provenance the runner adds to every attestation of a run: not part of what is claimed. */
const PROVENANCE_KEYS = new Set(['handler_version']);

export interface Claim {
  a: Attestation;
  /** Sorted folded actors, joined: one key per distinct set of actors. */
  actorKey: string;
  /** Sorted folded contexts, joined. */
  contextKey: string;
  /** contextKey + the attributes without provenance: two claims with equal values say the same. */
  valueKey: string;
}

export interface ClaimGroup {
  subject: string;
  predicate: string;
  /** Oldest first (ties by id). */
  claims: Claim[];
}

function stable(v: unknown): string {
  if (v === null || typeof v !== 'object') return JSON.stringify(v) ?? 'null';
  if (Array.isArray(v)) return `[${v.map(stable).join(',')}]`;
  const o = v as Record<string, unknown>;
  return `{${Object.keys(o)
    .sort()
    .map((k) => `${JSON.stringify(k)}:${stable(o[k])}`)
    .join(',')}}`;
}

export function claimAttributes(a: Attestation): Record<string, unknown> {
  let out: Record<string, unknown> | undefined;
  for (const k of Object.keys(a.attributes)) {
    if (PROVENANCE_KEYS.has(k)) {
      out ??= { ...a.attributes };
      delete out[k];
    }
  }
  return out ?? a.attributes;
}

const SEP = '\u0000';

function toClaim(a: Attestation): Claim {
  const actorKey = a.actors.length === 1 ? fold(a.actors[0]!) : [...new Set(a.actors.map(fold))].sort().join(SEP);
  const contextKey = a.contexts.length === 1 ? fold(a.contexts[0]!) : [...new Set(a.contexts.map(fold))].sort().join(SEP);
  const attrs = claimAttributes(a);
  const valueKey = `${contextKey}${SEP}${SEP}${Object.keys(attrs).length ? stable(attrs) : ''}`;
  return { a, actorKey, contextKey, valueKey };
}

/**
 * The groups where claims differ (in contexts, attributes or actors). `identity` maps a subject to
 * the identity it stands for (an alias to what the query asked for); the default is itself.
 */
export function groupClaims(
  items: readonly Attestation[],
  identity: (subject: string) => string = (s) => s,
): { groups: ClaimGroup[]; pairs: Map<string, number> } {
  const byKey = new Map<string, ClaimGroup>();
  /** How many (subject, predicate) pairs each attestation takes part in. */
  const pairs = new Map<string, number>();
  for (const a of items) {
    const claim = toClaim(a);
    const seen = new Set<string>();
    for (const s of a.subjects) {
      const id = identity(s);
      for (const p of a.predicates) {
        const key = `${fold(id)}${SEP}${fold(p)}`;
        if (seen.has(key)) continue; // two aliases of one identity in one attestation
        seen.add(key);
        let g = byKey.get(key);
        if (!g) byKey.set(key, (g = { subject: id, predicate: p, claims: [] }));
        g.claims.push(claim);
      }
    }
    pairs.set(a.id, seen.size);
  }
  const out: ClaimGroup[] = [];
  for (const g of byKey.values()) {
    if (g.claims.length < 2) continue;
    const first = g.claims[0]!;
    if (g.claims.every((c) => c.valueKey === first.valueKey && c.actorKey === first.actorKey)) continue;
    g.claims.sort((x, y) => x.a.timestamp - y.a.timestamp || (x.a.id < y.a.id ? -1 : x.a.id > y.a.id ? 1 : 0));
    out.push(g);
  }
  return { groups: out, pairs };
}
