// The summary of a result page: counts, conflicts by type and the most frequent values.
import type { Attestation } from '../ats/types.js';
import type { AxConflictDto, AxSummaryDto, SamenessType } from '../protocol.js';

const TOP = 10;

function top(items: readonly Attestation[], field: 'subjects' | 'predicates' | 'contexts' | 'actors'): Record<string, number> {
  const counts = new Map<string, number>();
  for (const a of items) for (const v of a[field]) counts.set(v, (counts.get(v) ?? 0) + 1);
  return Object.fromEntries([...counts].sort((x, y) => y[1] - x[1] || (x[0] < y[0] ? -1 : 1)).slice(0, TOP));
}

export function summarise(matched: readonly Attestation[], shown: number, conflicts: readonly AxConflictDto[]): AxSummaryDto {
  const by_type: Record<SamenessType, number> = { evolution: 0, verification: 0, coexistence: 0, supersession: 0, review: 0 };
  for (const c of conflicts) by_type[c.type]++;
  return {
    matched: matched.length,
    shown,
    conflicts: conflicts.length,
    by_type,
    subjects: top(matched, 'subjects'),
    predicates: top(matched, 'predicates'),
    contexts: top(matched, 'contexts'),
    actors: top(matched, 'actors'),
  };
}
