// Actor credibility: each actor has a type from a configurable list of patterns (first match
// wins), and the types are ordered human > LLM > system > external.
import type { ActorType } from '../../protocol.js';

export interface ActorTypeRule {
  /** `*` matches any run of characters: `llm:*`, `ixgest.*`, `bot-*`. */
  pattern: string;
  type: ActorType;
}

export const ACTOR_TYPES: readonly ActorType[] = ['human', 'llm', 'system', 'external'];

/** Higher is more credible. */
export const CREDIBILITY: Readonly<Record<ActorType, number>> = { human: 4, llm: 3, system: 2, external: 1 };

/**
 * ix handlers (`ix:<type>`), built-in ingesters (`ixgest.git`) and qntx's own parts (`qntx:pulse`)
 * are systems; `llm:*` and the names models go by (`claude-3-opus`, `gpt-4o`, `openai-assistant`)
 * are LLMs, as the original QNTX classifies them.
 */
export const DEFAULT_ACTOR_RULES: readonly ActorTypeRule[] = [
  { pattern: 'ixgest.*', type: 'system' },
  { pattern: 'ix:*', type: 'system' },
  { pattern: 'system:*', type: 'system' },
  { pattern: 'qntx:*', type: 'system' },
  { pattern: 'llm:*', type: 'llm' },
  { pattern: 'claude*', type: 'llm' },
  { pattern: 'openai*', type: 'llm' },
  { pattern: 'gpt*', type: 'llm' },
  { pattern: 'anthropic*', type: 'llm' },
  { pattern: 'external:*', type: 'external' },
];

/** Actors no rule matches. */
export const DEFAULT_ACTOR_TYPE: ActorType = 'human';

/** `llm:*=llm, bot-*=system` → rules; throws on a malformed entry (config is checked at start). */
export function parseActorRules(text: string): ActorTypeRule[] {
  return text
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean)
    .map((entry) => {
      const eq = entry.lastIndexOf('=');
      const pattern = entry.slice(0, eq).trim();
      const type = entry.slice(eq + 1).trim() as ActorType;
      if (eq <= 0 || !pattern || !ACTOR_TYPES.includes(type)) {
        throw new Error(`'${entry}' is not pattern=type with a type of ${ACTOR_TYPES.join(', ')}`);
      }
      return { pattern, type };
    });
}

function toRegExp(pattern: string): RegExp {
  const body = pattern.split('*').map((p) => p.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')).join('.*');
  // Actors compare without regard to case everywhere else, so patterns do too (`Claude*`).
  return new RegExp(`^${body}$`, 'si');
}

export class Credibility {
  private readonly rules: Array<{ re: RegExp; type: ActorType }>;
  private readonly cache = new Map<string, ActorType>();

  constructor(
    rules: readonly ActorTypeRule[] = DEFAULT_ACTOR_RULES,
    private readonly fallback: ActorType = DEFAULT_ACTOR_TYPE,
  ) {
    this.rules = rules.map((r) => ({ re: toRegExp(r.pattern), type: r.type }));
  }

  typeOf(actor: string): ActorType {
    let t = this.cache.get(actor);
    if (t === undefined) {
      t = this.rules.find((r) => r.re.test(actor))?.type ?? this.fallback;
      if (this.cache.size < 10_000) this.cache.set(actor, t);
    }
    return t;
  }

  /** A claim made by several actors counts with its most credible one. */
  rankOf(actors: readonly string[]): number {
    let best = 0;
    for (const a of actors) best = Math.max(best, CREDIBILITY[this.typeOf(a)]);
    return best;
  }

  bestType(actors: readonly string[]): ActorType {
    const r = this.rankOf(actors);
    return ACTOR_TYPES.find((t) => CREDIBILITY[t] === r) ?? this.fallback;
  }
}
