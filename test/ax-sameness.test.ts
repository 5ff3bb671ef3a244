// Sameness analysis as a table: at least 30 scenarios per type (evolution, verification,
// coexistence, supersession, review), each with its winner and confidence; the credibility order
// and its configurable mapping; what the resolved view hides.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { analyseSameness } from '../src/ax/sameness/analyse.js';
import { samenessConfig, DEFAULT_WINDOWS, type SamenessWindows } from '../src/ax/sameness/config.js';
import { Credibility, parseActorRules, type ActorTypeRule } from '../src/ax/sameness/credibility.js';
import type { Attestation } from '../src/ats/types.js';
import type { SamenessType } from '../src/protocol.js';

const S = 1000;
const MIN = 60 * S;
const H = 60 * MIN;
const D = 24 * H;
const T0 = Date.parse('2026-03-01T00:00:00Z');
const NOW = T0 + 10 * D;

let seq = 0;
interface ClaimSpec {
  at: number;
  by?: string | string[];
  of?: string | string[];
  attrs?: Record<string, unknown>;
  s?: string | string[];
  p?: string | string[];
}
function claim(c: ClaimSpec): Attestation {
  const list = (v: string | string[] | undefined, d: string) => (v === undefined ? [d] : Array.isArray(v) ? v : [v]);
  const id = `AS${String(++seq).padStart(26, '0')}`;
  return {
    id,
    subjects: list(c.s, 'alice'),
    predicates: list(c.p, 'title'),
    contexts: list(c.of, 'acme'),
    actors: list(c.by, 'hr'),
    timestamp: T0 + c.at,
    source: 'test',
    attributes: c.attrs ?? {},
    created_at: T0 + c.at,
    handler_version: null,
  };
}

interface Scenario {
  name: string;
  claims: ClaimSpec[];
  type: SamenessType;
  /** Index into claims of the winner; null when all stand. */
  winner: number | null;
  confidence?: number;
  windows?: Partial<SamenessWindows>;
  rules?: ActorTypeRule[];
  now?: number;
}

const ACTORS = { human: 'hr', llm: 'llm:gpt', system: 'ix:webhook', external: 'external:registry' } as const;
const HUMANS = ['hr', 'alice@example.com', 'bob', 'canvas_glyph'];
const SYSTEMS = ['ix:webhook', 'ixgest.git', 'system:cron', 'ix:csv'];
type Kind = keyof typeof ACTORS;
const KINDS: Kind[] = ['human', 'llm', 'system', 'external'];
const RANK: Record<Kind, number> = { human: 4, llm: 3, system: 2, external: 1 };
const round = (x: number) => Math.round(x * 100) / 100;

// ---- evolution: one actor, later, a different value ----
const evolution: Scenario[] = [];
for (const gap of [2 * MIN, 10 * MIN, H, 6 * H, 23 * H, 25 * H, 3 * D, 9 * D]) {
  for (const kind of KINDS) {
    evolution.push({
      name: `${kind} changes the title after ${gap / MIN} min`,
      claims: [{ at: 0, by: ACTORS[kind], attrs: { v: 'engineer' } }, { at: gap, by: ACTORS[kind], attrs: { v: 'manager' } }],
      type: 'evolution',
      winner: 1,
      confidence: round(0.5 + 0.4 * Math.min(1, gap / DEFAULT_WINDOWS.evolutionMs)),
    });
  }
}
evolution.push(
  { name: 'moves to another context a day later', claims: [{ at: 0, of: 'acme' }, { at: D, of: 'globex' }], type: 'evolution', winner: 1, confidence: 0.9 },
  { name: 'goes back to the first value', claims: [{ at: 0, attrs: { v: 1 } }, { at: D, attrs: { v: 2 } }, { at: 2 * D, attrs: { v: 1 } }], type: 'evolution', winner: 2, confidence: 0.9 },
  { name: 'restates, then changes 5 minutes later', claims: [{ at: 0, attrs: { v: 1 } }, { at: 2 * H, attrs: { v: 1 } }, { at: 2 * H + 5 * MIN, attrs: { v: 2 } }], type: 'evolution', winner: 2, confidence: round(0.5 + 0.4 * (5 * MIN) / D) },
  { name: 'changes, then restates the new value', claims: [{ at: 0, attrs: { v: 1 } }, { at: D, attrs: { v: 2 } }, { at: 3 * D, attrs: { v: 2 } }], type: 'evolution', winner: 2, confidence: 0.9 },
  { name: 'a pair of actors changes together', claims: [{ at: 0, by: ['hr', 'bob'], attrs: { v: 1 } }, { at: D, by: ['bob', 'hr'], attrs: { v: 2 } }], type: 'evolution', winner: 1, confidence: 0.9 },
  { name: 'one second over the verification window', claims: [{ at: 0, attrs: { v: 1 } }, { at: MIN + S, attrs: { v: 2 } }], type: 'evolution', winner: 1 },
  { name: 'a shorter evolution window makes an hour a clear evolution', claims: [{ at: 0, attrs: { v: 1 } }, { at: H, attrs: { v: 2 } }], type: 'evolution', winner: 1, confidence: 0.9, windows: { evolutionMs: H } },
  { name: 'handler_version alone is provenance, a changed value is not', claims: [{ at: 0, by: 'ix:a', attrs: { v: 1, handler_version: 1 } }, { at: D, by: 'ix:a', attrs: { v: 2, handler_version: 2 } }], type: 'evolution', winner: 1 },
  { name: 'five changes: the latest stands', claims: [0, 1, 2, 3, 4].map((i) => ({ at: i * D, attrs: { v: i } })), type: 'evolution', winner: 4, confidence: 0.9 },
);

// ---- verification: several actors, the same value ----
const verification: Scenario[] = [];
const pairs: Array<[Kind, Kind]> = [['human', 'llm'], ['human', 'system'], ['human', 'external'], ['llm', 'system'], ['llm', 'external'], ['system', 'external']];
for (const [a, b] of pairs) {
  for (const span of [0, 30 * S, MIN, 2 * H, 2 * D]) {
    const base = span <= MIN ? 0.9 : span <= D ? 0.75 : 0.6;
    verification.push({
      name: `${a} and ${b} agree ${span / S} s apart`,
      claims: [{ at: 0, by: ACTORS[b], attrs: { v: 'x' } }, { at: span, by: ACTORS[a], attrs: { v: 'x' } }],
      type: 'verification',
      winner: 1, // the most credible source
      confidence: base,
    });
  }
}
for (const n of [3, 4, 5, 6]) {
  verification.push({
    name: `${n} systems agree within the window`,
    claims: Array.from({ length: n }, (_, i) => ({ at: i * 5 * S, by: `ix:source-${i}` })),
    type: 'verification',
    winner: n - 1,
    confidence: round(Math.min(0.99, 0.9 + 0.05 * (n - 2))),
  });
}
verification.push(
  { name: 'the most credible source wins even when it came first', claims: [{ at: 0, by: 'hr' }, { at: 10 * S, by: 'ix:a' }], type: 'verification', winner: 0, confidence: 0.9 },
  { name: 'two humans agree', claims: [{ at: 0, by: 'hr' }, { at: 10 * S, by: 'bob' }], type: 'verification', winner: 1, confidence: 0.9 },
  { name: 'agreement on a multi-context claim', claims: [{ at: 0, by: 'hr', of: ['acme', 'globex'] }, { at: S, by: 'ix:a', of: ['globex', 'acme'] }], type: 'verification', winner: 0, confidence: 0.9 },
  { name: 'a wider verification window', claims: [{ at: 0, by: 'hr' }, { at: 10 * MIN, by: 'bob' }], type: 'verification', winner: 1, confidence: 0.9, windows: { verificationMs: H } },
);

// ---- coexistence: different contexts, one value each ----
const coexistence: Scenario[] = [];
for (const [a, b] of [...pairs, ['human', 'human'] as [Kind, Kind], ['system', 'system'] as [Kind, Kind]]) {
  for (const gap of [0, H, 5 * D]) {
    coexistence.push({
      name: `${a} in acme, ${b} in globex, ${gap / H} h apart`,
      claims: [{ at: 0, by: ACTORS[a], of: 'acme' }, { at: gap, by: b === a ? `${ACTORS[b]}-2` : ACTORS[b], of: 'globex' }],
      type: 'coexistence',
      winner: null,
      confidence: 0.8,
    });
  }
}
coexistence.push(
  { name: 'one actor names two contexts at once', claims: [{ at: 0, of: 'acme' }, { at: 10 * S, of: 'globex' }], type: 'coexistence', winner: null, confidence: 0.8 },
  { name: 'one actor, three contexts in a minute', claims: [{ at: 0, of: 'a' }, { at: 20 * S, of: 'b' }, { at: MIN, of: 'c' }], type: 'coexistence', winner: null, confidence: 0.8 },
  { name: 'contexts with their own attributes', claims: [{ at: 0, by: 'hr', of: 'acme', attrs: { since: 2020 } }, { at: D, by: 'ix:a', of: 'globex', attrs: { since: 2024 } }], type: 'coexistence', winner: null, confidence: 0.8 },
  { name: 'two sources agree on acme, a third adds globex', claims: [{ at: 0, by: 'hr', of: 'acme' }, { at: S, by: 'ix:a', of: 'acme' }, { at: 2 * S, by: 'llm:x', of: 'globex' }], type: 'coexistence', winner: null, confidence: 0.8 },
  { name: 'overlapping context sets are different contexts', claims: [{ at: 0, by: 'hr', of: ['acme'] }, { at: H, by: 'bob', of: ['acme', 'globex'] }], type: 'coexistence', winner: null, confidence: 0.8 },
  { name: 'old but not obsolete', claims: [{ at: -300 * D, by: 'hr', of: 'acme' }, { at: -200 * D, by: 'bob', of: 'globex' }], type: 'coexistence', winner: null, confidence: 0.8 },
  { name: 'obsolete coexistence still at the threshold', claims: [{ at: -500 * D, by: 'hr', of: 'acme' }, { at: -400 * D, by: 'bob', of: 'globex' }], type: 'coexistence', winner: null, confidence: 0.4 },
);

// ---- supersession: a more credible actor contradicts ----
const supersession: Scenario[] = [];
for (const [top, low] of pairs) {
  for (const topFirst of [false, true]) {
    for (const gap of [10 * S, 3 * H]) {
      const claims: ClaimSpec[] = [{ at: 0, by: ACTORS[low], attrs: { v: 'low' } }, { at: gap, by: ACTORS[top], attrs: { v: 'top' } }];
      if (topFirst) claims.reverse().forEach((c, i) => (c.at = i * gap));
      supersession.push({
        name: `${top} overrides ${low} (${topFirst ? 'first' : 'later'}, ${gap / S} s apart)`,
        claims,
        type: 'supersession',
        winner: topFirst ? 0 : 1,
        confidence: round(0.5 + 0.15 * (RANK[top] - RANK[low])),
      });
    }
  }
}
supersession.push(
  { name: 'a human over two systems that disagree with each other', claims: [{ at: 0, by: 'ix:a', attrs: { v: 1 } }, { at: S, by: 'ix:b', attrs: { v: 2 } }, { at: 2 * S, by: 'hr', attrs: { v: 3 } }], type: 'supersession', winner: 2, confidence: 0.8 },
  { name: 'two humans agree against a system', claims: [{ at: 0, by: 'hr', attrs: { v: 1 } }, { at: H, by: 'ix:a', attrs: { v: 2 } }, { at: 2 * H, by: 'bob', attrs: { v: 1 } }], type: 'supersession', winner: 2, confidence: 0.8 },
  { name: 'an email address is a human', claims: [{ at: 0, by: 'ixgest.git', attrs: { v: 1 } }, { at: H, by: 'alice@example.com', attrs: { v: 2 } }], type: 'supersession', winner: 1, confidence: 0.8 },
  { name: 'a claim with a human among its actors counts as human', claims: [{ at: 0, by: 'llm:x', attrs: { v: 1 } }, { at: H, by: ['ix:a', 'hr'], attrs: { v: 2 } }], type: 'supersession', winner: 1, confidence: 0.65 },
  { name: 'a configured rule makes bots systems', claims: [{ at: 0, by: 'bot-7', attrs: { v: 1 } }, { at: H, by: 'hr', attrs: { v: 2 } }], type: 'supersession', winner: 1, confidence: 0.8, rules: [{ pattern: 'bot-*', type: 'system' }] },
  { name: 'contradiction in one context, another context untouched', claims: [{ at: 0, by: 'ix:a', of: 'acme', attrs: { v: 1 } }, { at: S, by: 'hr', of: 'acme', attrs: { v: 2 } }, { at: 2 * S, by: 'ix:a', of: 'globex' }], type: 'supersession', winner: 1, confidence: 0.8 },
);

// ---- review: nothing decides, or too little confidence ----
const review: Scenario[] = [];
for (const kind of KINDS) {
  review.push({ name: `a ${kind} says two things at once`, claims: [{ at: 0, by: ACTORS[kind], attrs: { v: 1 } }, { at: 10 * S, by: ACTORS[kind], attrs: { v: 2 } }], type: 'review', winner: null, confidence: 0.25 });
  review.push({ name: `two ${kind}s disagree`, claims: [{ at: 0, by: `${ACTORS[kind]}-1`, attrs: { v: 1 } }, { at: H, by: `${ACTORS[kind]}-2`, attrs: { v: 2 } }], type: 'review', winner: null, confidence: 0.3 });
}
for (const h of HUMANS.slice(1)) {
  review.push({ name: `hr and ${h} disagree`, claims: [{ at: 0, by: 'hr', attrs: { v: 1 } }, { at: D, by: h, attrs: { v: 2 } }], type: 'review', winner: null, confidence: 0.3 });
}
for (const sys of SYSTEMS.slice(1)) {
  review.push({ name: `ix:webhook and ${sys} disagree`, claims: [{ at: 0, by: 'ix:webhook', attrs: { v: 1 } }, { at: S, by: sys, attrs: { v: 2 } }], type: 'review', winner: null, confidence: 0.3 });
}
for (const gap of [2 * MIN, 30 * MIN, 2 * H, 8 * H]) {
  review.push({
    name: `an obsolete evolution ${gap / MIN} min after the change`,
    claims: [{ at: -400 * D, attrs: { v: 1 } }, { at: -400 * D + gap, attrs: { v: 2 } }],
    type: 'review',
    winner: null,
    confidence: round((0.5 + 0.4 * (gap / D)) * 0.5),
  });
}
for (const [top, low] of [['llm', 'system'], ['system', 'external'], ['human', 'llm']] as Array<[Kind, Kind]>) {
  review.push({
    name: `an obsolete supersession of ${low} by ${top}`,
    claims: [{ at: -400 * D, by: ACTORS[low], attrs: { v: 1 } }, { at: -399 * D, by: ACTORS[top], attrs: { v: 2 } }],
    type: 'review',
    winner: null,
    confidence: round((0.5 + 0.15 * (RANK[top] - RANK[low])) * 0.5),
  });
}
review.push(
  { name: 'the two most credible disagree above a system', claims: [{ at: 0, by: 'ix:a', attrs: { v: 0 } }, { at: S, by: 'hr', attrs: { v: 1 } }, { at: 2 * S, by: 'bob', attrs: { v: 2 } }], type: 'review', winner: null, confidence: 0.3 },
  { name: 'a stricter threshold reviews a supersession', claims: [{ at: 0, by: 'llm:x', attrs: { v: 1 } }, { at: H, by: 'hr', attrs: { v: 2 } }], type: 'review', winner: null, confidence: 0.65, windows: { reviewBelow: 0.7 } },
  { name: 'a stricter threshold reviews a quick evolution', claims: [{ at: 0, attrs: { v: 1 } }, { at: 5 * MIN, attrs: { v: 2 } }], type: 'review', winner: null, windows: { reviewBelow: 0.6 } },
  { name: 'a shorter obsolescence window', claims: [{ at: 0, by: 'ix:a', attrs: { v: 1 } }, { at: MIN, by: 'llm:x', attrs: { v: 2 } }], type: 'review', winner: null, confidence: 0.33, windows: { obsolescenceMs: D } },
  { name: 'same actor, same time, one context with two values and another', claims: [{ at: 0, of: 'acme', attrs: { v: 1 } }, { at: S, of: 'acme', attrs: { v: 2 } }, { at: 2 * S, of: 'globex' }], type: 'review', winner: null, confidence: 0.25 },
  { name: 'an obsolete verification spread over days', claims: [{ at: -400 * D, by: 'hr' }, { at: -398 * D, by: 'ix:a' }], type: 'review', winner: null, confidence: 0.3 },
  { name: 'three actors, three values, one context', claims: [{ at: 0, by: 'ix:a', attrs: { v: 1 } }, { at: S, by: 'ix:b', attrs: { v: 2 } }, { at: 2 * S, by: 'ix:c', attrs: { v: 3 } }], type: 'review', winner: null, confidence: 0.3 },
  { name: 'two LLMs disagree over a human-free context', claims: [{ at: 0, by: 'llm:a', of: 'acme', attrs: { v: 1 } }, { at: D, by: 'llm:b', of: 'acme', attrs: { v: 2 } }], type: 'review', winner: null, confidence: 0.3 },
  { name: 'a wider verification window makes a quick change a contradiction', claims: [{ at: 0, attrs: { v: 1 } }, { at: 30 * MIN, attrs: { v: 2 } }], type: 'review', winner: null, confidence: 0.25, windows: { verificationMs: H } },
);

const TABLE: Record<SamenessType, Scenario[]> = { evolution, verification, coexistence, supersession, review };

describe('sameness scenarios', () => {
  for (const [type, scenarios] of Object.entries(TABLE)) {
    it(`has at least 30 ${type} scenarios`, () => assert.ok(scenarios.length >= 30, `${scenarios.length}`));
    for (const sc of scenarios) {
      it(`${type}: ${sc.name}`, () => {
        const items = sc.claims.map(claim);
        // The store gives newest first: the analysis must not depend on the order it is given.
        const shuffled = [...items].reverse();
        const cfg = samenessConfig(sc.windows, sc.rules);
        const { conflicts } = analyseSameness(shuffled, cfg, sc.now ?? NOW);
        assert.equal(conflicts.length, 1, JSON.stringify(conflicts));
        const c = conflicts[0]!;
        assert.equal(c.type, type, c.reason);
        assert.equal(c.winner, sc.winner === null ? null : items[sc.winner]!.id, c.reason);
        if (sc.confidence !== undefined) assert.equal(c.confidence, sc.confidence, c.reason);
        assert.ok(c.confidence > 0 && c.confidence <= 1);
        assert.ok(c.reason.length > 10);
        assert.equal(c.subject, 'alice');
        assert.equal(c.predicate, 'title');
        assert.deepEqual(c.claims.map((x) => x.id), [...items].sort((x, y) => x.timestamp - y.timestamp || (x.id < y.id ? -1 : 1)).map((x) => x.id));
        if (type === 'review' || type === 'coexistence' || type === 'verification') assert.equal(c.kept.length, items.length, 'all stand');
      });
    }
  }
});

describe('sameness groups', () => {
  it('is no group when nothing differs, or there is one claim', () => {
    const cfg = samenessConfig();
    assert.equal(analyseSameness([claim({ at: 0 })], cfg, NOW).conflicts.length, 0);
    assert.equal(analyseSameness([claim({ at: 0 }), claim({ at: D })], cfg, NOW).conflicts.length, 0, 'a restatement');
    assert.equal(analyseSameness([claim({ at: 0, attrs: { a: 1, b: 2 } }), claim({ at: D, attrs: { b: 2, a: 1 } })], cfg, NOW).conflicts.length, 0, 'key order');
    assert.equal(analyseSameness([claim({ at: 0 }), claim({ at: D, p: 'other' }), claim({ at: D, s: 'bob' })], cfg, NOW).conflicts.length, 0);
  });

  it('groups by subject and predicate; a multi-valued attestation joins each of its pairs', () => {
    const a = claim({ at: 0, s: ['alice', 'bob'], p: ['title'], attrs: { v: 1 } });
    const b = claim({ at: D, s: 'alice', attrs: { v: 2 } });
    const c = claim({ at: D, s: 'bob', attrs: { v: 3 } });
    const { conflicts, hidden } = analyseSameness([a, b, c], samenessConfig(), NOW);
    assert.deepEqual(conflicts.map((x) => [x.subject, x.type, x.winner]).sort(), [['alice', 'evolution', b.id], ['bob', 'evolution', c.id]]);
    assert.deepEqual([...hidden], [a.id]);
  });

  it('hides only what lost everywhere it took part', () => {
    const old = claim({ at: 0, p: ['title', 'role'], attrs: { v: 1 } });
    const newer = claim({ at: D, p: 'title', attrs: { v: 2 } });
    const { hidden } = analyseSameness([old, newer], samenessConfig(), NOW);
    assert.equal(hidden.size, 0, 'old is the only claim about role, so it stays');
  });

  it('a supersession keeps the winner, its agreeing claims and untouched contexts', () => {
    const sys = claim({ at: 0, by: 'ix:a', of: 'acme', attrs: { v: 1 } });
    const human = claim({ at: S, by: 'hr', of: 'acme', attrs: { v: 2 } });
    const other = claim({ at: 2 * S, by: 'ix:a', of: 'globex' });
    const { conflicts, hidden } = analyseSameness([sys, human, other], samenessConfig(), NOW);
    assert.deepEqual(new Set(conflicts[0]!.kept), new Set([human.id, other.id]));
    assert.deepEqual([...hidden], [sys.id]);
  });

  it('a supersession names and scores the actor it overrides, not a bystander in another context', () => {
    const sys = claim({ at: 0, by: 'ix:a', of: 'acme', attrs: { v: 1 } });
    const human = claim({ at: S, by: 'hr', of: 'acme', attrs: { v: 2 } });
    const llm = claim({ at: 2 * S, by: 'llm:x', of: 'globex', attrs: { v: 3 } });
    const [c] = analyseSameness([sys, human, llm], samenessConfig(), NOW).conflicts;
    assert.equal(c!.type, 'supersession');
    assert.equal(c!.confidence, 0.8, 'human over system');
    assert.equal(c!.reason, 'human hr overrides system ix:a');
  });

  it('aliases of one identity are one subject', () => {
    const a = claim({ at: 0, s: 'ENTITY-A', attrs: { v: 1 } });
    const b = claim({ at: D, s: 'E-A', attrs: { v: 2 } });
    const identity = (s: string) => (s === 'E-A' ? 'ENTITY-A' : s);
    const { conflicts } = analyseSameness([a, b], samenessConfig(), NOW, identity);
    assert.equal(conflicts.length, 1);
    assert.equal(conflicts[0]!.subject, 'ENTITY-A');
    assert.equal(conflicts[0]!.winner, b.id);
    assert.equal(analyseSameness([a, b], samenessConfig(), NOW).conflicts.length, 0);
  });
});

describe('actor credibility', () => {
  it('orders human > LLM > system > external', () => {
    const c = new Credibility();
    const ranks = ['hr', 'llm:gpt', 'ix:webhook', 'external:registry'].map((a) => c.rankOf([a]));
    assert.deepEqual(ranks, [...ranks].sort((x, y) => y - x));
    assert.equal(new Set(ranks).size, 4);
    assert.deepEqual(['hr', 'llm:gpt', 'ix:webhook', 'ixgest.git', 'external:x'].map((a) => c.typeOf(a)), ['human', 'llm', 'system', 'system', 'external']);
  });

  it('every pair of types decides a contradiction for the higher one', () => {
    for (const hi of KINDS) {
      for (const lo of KINDS) {
        if (RANK[hi] <= RANK[lo]) continue;
        const items = [claim({ at: 0, by: ACTORS[hi], attrs: { v: 'hi' } }), claim({ at: H, by: ACTORS[lo], attrs: { v: 'lo' } })];
        const { conflicts } = analyseSameness(items, samenessConfig(), NOW);
        assert.equal(conflicts[0]!.winner, items[0]!.id, `${hi} over ${lo}`);
      }
    }
  });

  it('takes rules from settings: first match wins, before the defaults', () => {
    const rules = parseActorRules('ix:trusted=human, *-bot=system , gpt*=llm');
    assert.deepEqual(rules[1], { pattern: '*-bot', type: 'system' });
    const cfg = samenessConfig({}, rules);
    assert.deepEqual(['ix:trusted', 'ix:other', 'review-bot', 'gpt-5', 'carol'].map((a) => cfg.credibility.typeOf(a)), ['human', 'system', 'system', 'llm', 'human']);
    assert.throws(() => parseActorRules('x=robot'), /pattern=type/);
    assert.throws(() => parseActorRules('=human'), /pattern=type/);
    const fallback = new Credibility([], 'external');
    assert.equal(fallback.typeOf('anyone'), 'external');
  });
});
