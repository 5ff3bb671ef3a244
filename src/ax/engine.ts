// Runs AX queries on the store's indexed filter: aliases widen the asked values, the store pages
// newest first, `over` filters with indexed lookups, and sameness analysis classifies the page.
import type { Clock } from '../clock.js';
import type { AttestationStore } from '../ats/store.js';
import { fold } from '../ats/fold.js';
import { effectiveLimit } from '../ats/query.js';
import type { Attestation, AttestationFilter } from '../ats/types.js';
import { ValidationError } from '../errors.js';
import type { AxAliasMatchDto, AxAttestationDto, AxResponseDto } from '../protocol.js';
import type { AliasEdgeSource } from './alias-edges.js';
import { AliasResolver, DEFAULT_ALIAS_LIMITS, type AliasLimits } from './aliases.js';
import { OverCheck } from './over.js';
import type { AxFilter } from './query.js';
import { analyseSameness } from './sameness/analyse.js';
import type { SamenessConfig } from './sameness/config.js';
import { summarise } from './summary.js';
import { DEFAULT_ZONE } from './time.js';

type AliasField = AxAliasMatchDto['field'];
const ALIAS_FIELDS: readonly AliasField[] = ['subjects', 'contexts', 'actors'];

/** Most values a field may widen to through aliases (the store's IN list). */
export const MAX_EXPANDED_VALUES = 4096;
/** Rows an `over` query reads per request before it returns a short page with a cursor. */
export const OVER_SCAN_BUDGET = 5000;

export interface AxEngineOptions {
  store: AttestationStore;
  /** Where alias edges come from (migration 008's table: AliasEdges). */
  aliasEdges: AliasEdgeSource;
  clock: Clock;
  sameness: SamenessConfig;
  aliasLimits?: AliasLimits;
  /** Bounds (tests lower them): values a field may widen to, rows an `over` page reads. */
  maxExpandedValues?: number;
  overScanBudget?: number;
}

export interface AxRunOptions {
  limit?: number | undefined;
  cursor?: string | undefined;
  /** Every match instead of the resolved view. */
  all?: boolean | undefined;
  /** Leave out system attestations (reserved predicates). */
  excludeSystem?: boolean | undefined;
  sameness?: SamenessConfig | undefined;
}

/** A filter ready for the store, and how each widened value maps back to what was asked. */
export interface Prepared {
  store: AttestationFilter;
  aliasOf: Map<AliasField, Map<string, string>>;
  aliasTruncated: boolean;
  over: OverCheck | undefined;
}

export class AxEngine {
  readonly aliases: AliasResolver;

  constructor(private readonly o: AxEngineOptions) {
    this.aliases = new AliasResolver(o.aliasEdges, o.aliasLimits ?? DEFAULT_ALIAS_LIMITS);
  }

  async prepare(f: AxFilter): Promise<Prepared> {
    const store: AttestationFilter = {
      predicates: f.predicates,
      time_start: f.time_start,
      time_end: f.time_end,
      order: f.order,
      attributes: f.attributes,
      subjects_from: f.subjects_from,
    };
    const aliasOf = new Map<AliasField, Map<string, string>>();
    let aliasTruncated = false;
    await Promise.all(
      ALIAS_FIELDS.map(async (field) => {
        const asked = f[field];
        if (!asked?.length) return;
        const r = await this.aliases.resolve(asked);
        const max = this.o.maxExpandedValues ?? MAX_EXPANDED_VALUES;
        if (r.of.size > max) {
          throw new ValidationError(`aliases widen ${field} to more than ${max} values`, {
            details: [`field=${field}`, `values=${r.of.size}`],
            hint: 'ask for fewer values at once',
          });
        }
        aliasTruncated ||= r.truncated;
        aliasOf.set(field, r.of);
        store[field] = [...r.written.values()];
      }),
    );
    const over = f.over
      ? new OverCheck(this.o.store, { duration: f.over, zone: f.timezone ?? DEFAULT_ZONE, now: this.o.clock.now(), filter: store })
      : undefined;
    return { store, aliasOf, aliasTruncated, over };
  }

  /** One page of matches (before sameness): newest first, `over` applied. */
  async page(p: Prepared, limit: number, cursor: string | undefined): Promise<{ items: Attestation[]; next_cursor: string | null }> {
    if (!p.over) {
      const page = await this.o.store.query({ ...p.store, limit, cursor });
      return { items: page.items, next_cursor: page.next_cursor };
    }
    // Pages of exactly the rows still needed, so a page of ours ends where a store page ends and
    // the store's cursor stays valid; a scan budget bounds the work of a sparse `over`.
    const items: Attestation[] = [];
    let next: string | null = cursor ?? null;
    let scanned = 0;
    do {
      const page = await this.o.store.query({ ...p.store, limit: limit - items.length, cursor: next ?? undefined });
      scanned += page.items.length;
      for (const a of page.items) if (await p.over.holds(a)) items.push(a);
      next = page.next_cursor;
    } while (next && items.length < limit && scanned < (this.o.overScanBudget ?? OVER_SCAN_BUDGET));
    return { items, next_cursor: next };
  }

  async run(f: AxFilter, o: AxRunOptions = {}): Promise<AxResponseDto> {
    const p = await this.prepare(f);
    if (o.excludeSystem) p.store.exclude_system = true;
    const { items, next_cursor } = await this.page(p, effectiveLimit(o.limit), o.cursor);
    const subjectsOf = p.aliasOf.get('subjects');
    // Spellings of one subject are one identity (named as first seen on the page); so are its
    // aliases when the query widened to them (named as asked).
    const spelling = new Map<string, string>();
    const identity = (s: string) => {
      const k = fold(s);
      const asked = subjectsOf?.get(k);
      if (asked !== undefined) return asked;
      const seen = spelling.get(k);
      if (seen !== undefined) return seen;
      spelling.set(k, s);
      return s;
    };
    const { conflicts, hidden } = analyseSameness(items, o.sameness ?? this.o.sameness, this.o.clock.now(), identity);
    const shown = o.all ? items : items.filter((a) => !hidden.has(a.id));
    return {
      attestations: shown.map((a) => withAliases(a, p.aliasOf)),
      conflicts,
      summary: { ...summarise(items, shown.length, conflicts), ...(p.aliasTruncated ? { aliases_truncated: true } : {}) },
      next_cursor,
      filter: { ...f },
    };
  }
}

function withAliases(a: Attestation, aliasOf: Map<AliasField, Map<string, string>>): AxAttestationDto {
  let matches: AxAliasMatchDto[] | undefined;
  for (const [field, of] of aliasOf) {
    for (const v of a[field]) {
      const k = fold(v);
      const asked = of.get(k);
      // Another spelling of the asked value is the value itself, not an alias of it.
      if (asked !== undefined && fold(asked) !== k) (matches ??= []).push({ field, value: v, alias_of: asked });
    }
  }
  return matches ? { ...a, matched_aliases: matches } : a;
}
