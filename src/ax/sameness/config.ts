// The windows and thresholds of sameness analysis (docs/ax.md "Sameness"), configurable through
// settings and per request.
import type { Settings } from '../../config.js';
import { Credibility, DEFAULT_ACTOR_RULES, parseActorRules, type ActorTypeRule } from './credibility.js';

export interface SamenessWindows {
  /** Different actors saying the same within this agree (verification). */
  verificationMs: number;
  /** A change after this long by the same actor is a clear evolution (confidence grows up to it). */
  evolutionMs: number;
  /** A group whose newest claim is older than this counts less (its confidence is halved). */
  obsolescenceMs: number;
  /** Below this confidence a group is sent to review. */
  reviewBelow: number;
}

export const DEFAULT_WINDOWS: SamenessWindows = {
  verificationMs: 60_000,
  evolutionMs: 24 * 3600_000,
  obsolescenceMs: 365 * 24 * 3600_000,
  reviewBelow: 0.4,
};

export interface SamenessConfig extends SamenessWindows {
  credibility: Credibility;
}

export function samenessConfig(windows: Partial<SamenessWindows> = {}, extraRules: readonly ActorTypeRule[] = []): SamenessConfig {
  return { ...DEFAULT_WINDOWS, ...windows, credibility: new Credibility([...extraRules, ...DEFAULT_ACTOR_RULES]) };
}

/** The sameness configuration the settings (QNTX_AX_* variables) name. */
export function samenessFromSettings(
  s: Pick<Settings, 'axVerificationMs' | 'axEvolutionMs' | 'axObsolescenceMs' | 'axReviewBelow' | 'axActorTypes'>,
): SamenessConfig {
  return samenessConfig(
    { verificationMs: s.axVerificationMs, evolutionMs: s.axEvolutionMs, obsolescenceMs: s.axObsolescenceMs, reviewBelow: s.axReviewBelow },
    s.axActorTypes ? parseActorRules(s.axActorTypes) : [],
  );
}
