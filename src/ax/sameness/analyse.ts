// Sameness analysis of a result page: the groups of differing claims, classified, and which
// attestations the resolved view leaves out (those that lost everywhere they took part).
import type { Attestation } from '../../ats/types.js';
import type { AxConflictDto } from '../../protocol.js';
import { classifyGroup } from './classify.js';
import type { SamenessConfig } from './config.js';
import { groupClaims } from './groups.js';

export interface SamenessResult {
  conflicts: AxConflictDto[];
  /** Ids the resolved view hides: superseded or evolved away in a group, kept in none. */
  hidden: Set<string>;
}

export function analyseSameness(
  items: readonly Attestation[],
  cfg: SamenessConfig,
  now: number,
  identity?: (subject: string) => string,
): SamenessResult {
  const conflicts: AxConflictDto[] = [];
  const lost = new Set<string>();
  const kept = new Set<string>();
  for (const g of groupClaims(items, identity)) {
    const c = classifyGroup(g, cfg, now);
    conflicts.push(c);
    const k = new Set(c.kept);
    for (const claim of g.claims) (k.has(claim.a.id) ? kept : lost).add(claim.a.id);
  }
  const hidden = new Set<string>();
  for (const id of lost) if (!kept.has(id)) hidden.add(id);
  return { conflicts, hidden };
}
