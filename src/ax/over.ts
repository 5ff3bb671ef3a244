// `over N`: keeps attestations whose (subject, predicate, context) has held for longer than N:
// from its first attestation to its latest when that is a retraction, otherwise to now. Two
// indexed lookups per distinct triple (oldest, newest), cached for the request. Values compare
// as the store compares them: by case fold, a trailing `*` a prefix.
import { splitValue } from '../ats/filter-terms.js';
import { fold } from '../ats/fold.js';
import type { AttestationStore } from '../ats/store.js';
import type { Attestation, AttestationFilter } from '../ats/types.js';
import { heldLongerThan } from './duration.js';
import type { Duration } from './query.js';

/** Triples of one attestation looked at (a commit touching 256 files is checked on its first 16). */
export const MAX_TRIPLES_PER_ATTESTATION = 16;

/** Whether a stored value is one of the asked ones (exact keys, or prefixes of keys). */
function matches(value: string, asked: readonly string[]): boolean {
  const k = fold(value);
  return asked.some((a) => {
    const t = splitValue(a);
    return t.exact !== undefined ? fold(t.exact) === k : k.startsWith(fold(t.prefix!));
  });
}

export class OverCheck {
  private readonly cache = new Map<string, Promise<boolean>>();

  constructor(
    private readonly store: AttestationStore,
    private readonly o: { duration: Duration; zone: string; now: number; filter: AttestationFilter },
  ) {}

  /** True when any of the attestation's triples (restricted to the filter's values) held long enough. */
  async holds(a: Attestation): Promise<boolean> {
    const f = this.o.filter;
    const pick = (vs: string[], asked: string[] | undefined) => (asked?.length ? vs.filter((v) => matches(v, asked)) : vs);
    const subjects = pick(a.subjects, f.subjects);
    const predicates = pick(a.predicates, f.predicates);
    const contexts = pick(a.contexts, f.contexts);
    let n = 0;
    for (const s of subjects) {
      for (const p of predicates) {
        for (const c of contexts) {
          if (n++ >= MAX_TRIPLES_PER_ATTESTATION) return false;
          if (await this.triple(s, p, c)) return true;
        }
      }
    }
    return false;
  }

  private triple(s: string, p: string, c: string): Promise<boolean> {
    const key = `${fold(s)}\u0000${fold(p)}\u0000${fold(c)}`;
    let v = this.cache.get(key);
    if (!v) {
      v = this.held(s, p, c);
      this.cache.set(key, v);
    }
    return v;
  }

  private async held(s: string, p: string, c: string): Promise<boolean> {
    const f = { subjects: [s], predicates: [p], contexts: [c], limit: 1 };
    const [oldest, newest] = await Promise.all([this.store.query({ ...f, order: 'asc' }), this.store.query(f)]);
    const first = oldest.items[0];
    const last = newest.items[0];
    if (!first || !last) return false;
    const end = last.attributes.retracted === true ? last.timestamp : Math.max(this.o.now, last.timestamp);
    return heldLongerThan(first.timestamp, end, this.o.duration, this.o.zone);
  }
}
