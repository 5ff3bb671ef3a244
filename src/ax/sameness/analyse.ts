// Sameness analysis of a result page: the groups of differing claims, classified, and which
// attestations the resolved view leaves out (those that lost everywhere they took part).
import type { Attestation } from '../../ats/types.js';
import type { AxConflictDto } from '../../protocol.js';
import { classifyGroup } from './classify.js';
import type { SamenessConfig } from './config.js';
import { groupClaims } from './groups.js';

export interface SamenessResult {
  conflicts: AxConflictDto[];
  /** Ids the resolved view hides: superseded or evolved away in every pair they take part in. */
  hidden: Set<string>;
}

export function analyseSameness(
  items: readonly Attestation[],
  cfg: SamenessConfig,
  now: number,
  identity?: (subject: string) => string,
): SamenessResult {
  const conflicts: AxConflictDto[] = [];
  const losses = new Map<string, number>();
  const { groups, pairs } = groupClaims(items, identity);
  for (const g of groups) {
    const c = classifyGroup(g, cfg, now);
    conflicts.push(c);
    const kept = new Set(c.kept);
    for (const claim of g.claims) if (!kept.has(claim.a.id)) losses.set(claim.a.id, (losses.get(claim.a.id) ?? 0) + 1);
  }
  const hidden = new Set<string>();
  for (const [id, n] of losses) if (n === pairs.get(id)) hidden.add(id);
  return { conflicts, hidden };
}
