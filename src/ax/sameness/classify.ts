// Classifies one group of differing claims (docs/ax.md "Sameness"): evolution, verification,
// coexistence, supersession or review, with a confidence, the claim that stands and why.
import type { AxConflictDto, SamenessType } from '../../protocol.js';
import type { SamenessConfig } from './config.js';
import { claimAttributes, type Claim, type ClaimGroup } from './groups.js';

interface Verdict {
  type: SamenessType;
  confidence: number;
  winner: Claim | null;
  kept: Claim[];
  reason: string;
}

export function formatSpan(ms: number): string {
  const s = Math.round(ms / 1000);
  if (s < 120) return `${s} s`;
  if (s < 7200) return `${Math.round(s / 60)} min`;
  if (s < 172_800) return `${Math.round(s / 3600)} h`;
  return `${Math.round(s / 86_400)} d`;
}

const newest = (cs: readonly Claim[]) => cs[cs.length - 1]!;

/** Context sets that hold two different values (a contradiction), from the value keys. */
function contradicted(claims: readonly Claim[]): Set<string> {
  const valueOf = new Map<string, string>();
  const out = new Set<string>();
  for (const c of claims) {
    const v = valueOf.get(c.contextKey);
    if (v === undefined) valueOf.set(c.contextKey, c.valueKey);
    else if (v !== c.valueKey) out.add(c.contextKey);
  }
  return out;
}

function oneActor(g: ClaimGroup, cfg: SamenessConfig): Verdict {
  const cs = g.claims;
  const winner = newest(cs);
  const span = winner.a.timestamp - cs[0]!.a.timestamp;
  if (span > cfg.verificationMs) {
    // How long the value before the winner's held: a change right after it is a weak evolution.
    let before = cs[0]!;
    for (let i = cs.length - 2; i >= 0; i--) {
      if (cs[i]!.valueKey !== winner.valueKey) {
        before = cs[i]!;
        break;
      }
    }
    const gap = winner.a.timestamp - before.a.timestamp;
    return {
      type: 'evolution',
      confidence: 0.5 + 0.4 * Math.min(1, gap / cfg.evolutionMs),
      winner,
      kept: [winner],
      reason: `${winner.a.actors.join(', ')} changed it ${formatSpan(gap)} later; the latest stands`,
    };
  }
  if (contradicted(cs).size === 0) {
    return { type: 'coexistence', confidence: 0.8, winner: null, kept: cs, reason: 'one actor, several contexts at once: all stand' };
  }
  return {
    type: 'review',
    confidence: 0.25,
    winner: null,
    kept: cs,
    reason: `${winner.a.actors.join(', ')} said different things within ${formatSpan(cfg.verificationMs)}`,
  };
}

function severalActors(g: ClaimGroup, cfg: SamenessConfig, actorCount: number): Verdict {
  const cs = g.claims;
  const cred = cfg.credibility;
  const rank = (c: Claim) => cred.rankOf(c.a.actors);
  const top = Math.max(...cs.map(rank));
  const topClaims = cs.filter((c) => rank(c) === top);
  const first = cs[0]!;
  if (cs.every((c) => c.valueKey === first.valueKey)) {
    const span = newest(cs).a.timestamp - first.a.timestamp;
    const base = span <= cfg.verificationMs ? 0.9 : span <= cfg.evolutionMs ? 0.75 : 0.6;
    return {
      type: 'verification',
      confidence: Math.min(0.99, base + 0.05 * (actorCount - 2)),
      winner: newest(topClaims),
      kept: cs,
      reason: `${actorCount} actors agree within ${formatSpan(span)}`,
    };
  }
  const bad = contradicted(cs);
  if (bad.size === 0) {
    return { type: 'coexistence', confidence: 0.8, winner: null, kept: cs, reason: 'different contexts, one value each: all stand' };
  }
  const topValue = topClaims[0]!.valueKey;
  if (topClaims.every((c) => c.valueKey === topValue)) {
    const winner = newest(topClaims);
    // Who is overridden: the most credible of those contradicting the winner in a shared context.
    const overridden = cs.filter((c) => c.valueKey !== topValue && bad.has(c.contextKey));
    const second = Math.max(...overridden.map(rank));
    const kept = cs.filter((c) => c.valueKey === topValue || !bad.has(c.contextKey));
    const loser = overridden.find((c) => rank(c) === second)!;
    return {
      type: 'supersession',
      confidence: 0.5 + 0.15 * (top - second),
      winner,
      kept,
      reason: `${cred.bestType(winner.a.actors)} ${winner.a.actors.join(', ')} overrides ${cred.bestType(loser.a.actors)} ${loser.a.actors.join(', ')}`,
    };
  }
  return { type: 'review', confidence: 0.3, winner: null, kept: cs, reason: 'equally credible actors disagree' };
}

export function classifyGroup(g: ClaimGroup, cfg: SamenessConfig, now: number): AxConflictDto {
  const actorCount = new Set(g.claims.map((c) => c.actorKey)).size;
  const v = actorCount === 1 ? oneActor(g, cfg) : severalActors(g, cfg, actorCount);
  if (now - newest(g.claims).a.timestamp > cfg.obsolescenceMs) {
    v.confidence *= 0.5;
    v.reason += `; the newest claim is older than ${formatSpan(cfg.obsolescenceMs)}`;
  }
  if (v.type !== 'review' && v.confidence < cfg.reviewBelow) {
    v.reason = `low confidence (${v.type}): ${v.reason}`;
    v.type = 'review';
    v.winner = null;
    v.kept = g.claims;
  }
  return {
    subject: g.subject,
    predicate: g.predicate,
    type: v.type,
    confidence: Math.round(v.confidence * 100) / 100,
    winner: v.winner?.a.id ?? null,
    kept: v.kept.map((c) => c.a.id),
    claims: g.claims.map((c) => ({
      id: c.a.id,
      actors: c.a.actors,
      actor_type: cfg.credibility.bestType(c.a.actors),
      contexts: c.a.contexts,
      timestamp: c.a.timestamp,
      attributes: claimAttributes(c.a),
    })),
    reason: v.reason,
  };
}
