// The parsed form of an AX query (what the text says, times still as written) and the structured
// filter it compiles to (times resolved to milliseconds), which the API also accepts directly.
import type { AttestationFilter } from '../ats/types.js';
import type { ValueField } from './keywords.js';

export type DurationUnit = 'y' | 'm' | 'w' | 'd';

/** `over 3y`: a claim that has held for longer than this. */
export interface Duration {
  amount: number;
  unit: DurationUnit;
}

/** A time expression as written (`2026-01`, `3 days ago`), with its column for error messages. */
export interface TimeExpr {
  text: string;
  column: number;
}

export type TimeClause =
  | { kind: 'since' | 'until' | 'on'; expr: TimeExpr }
  | { kind: 'between'; from: TimeExpr; to: TimeExpr };

export interface AxQuery {
  subjects: string[];
  predicates: string[];
  contexts: string[];
  actors: string[];
  times: TimeClause[];
  over?: Duration | undefined;
  /** `so <types…>`: the ix types whose handlers get the results. */
  so: string[];
  /** The IANA zone (or UTC offset) the query named with `in <zone>`; otherwise the default (UTC). */
  zone?: string | undefined;
}

/** The structured filter: what a query compiles to, and what POST /api/ax also takes as `query`. */
export interface AxFilter {
  subjects?: string[] | undefined;
  predicates?: string[] | undefined;
  contexts?: string[] | undefined;
  actors?: string[] | undefined;
  /** Inclusive bounds on the attestation's timestamp, ms. */
  time_start?: number | undefined;
  time_end?: number | undefined;
  over?: Duration | undefined;
  so?: string[] | undefined;
  /** The zone `over`'s calendar arithmetic uses; default UTC. */
  timezone?: string | undefined;
  order?: 'asc' | 'desc' | undefined;
  /** Attribute equality (the store's filter; no text form): key → any of these values. */
  attributes?: Record<string, string[]> | undefined;
  /** The subjects of another filter's matches as the subject filter (the store's join; no text form). */
  subjects_from?: AttestationFilter | undefined;
}

export const VALUE_FIELDS: readonly ValueField[] = ['subjects', 'predicates', 'contexts', 'actors'];

export function emptyQuery(): AxQuery {
  return { subjects: [], predicates: [], contexts: [], actors: [], times: [], so: [] };
}
