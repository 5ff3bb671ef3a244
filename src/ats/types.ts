// The attestation data model: "as SUBJECT is PREDICATE of CONTEXT by ACTOR at TIME".
import type { AttestationDto } from '../protocol.js';

/** Also the wire shape (src/protocol.ts): the API returns attestations as they are stored. */
export type Attestation = AttestationDto;

/** An attestation ready to be stored: validated and complete (see input.ts); provenance may be left out. */
export type NewAttestation = Omit<Attestation, 'handler_version'> & { handler_version?: number | null | undefined };

/** What an insert did: claims stored now, and claims that were stored already (kept as they were). */
export interface InsertResult {
  created: number;
  alreadyKnown: number;
}

export const FIELD_NAMES = ['subjects', 'predicates', 'contexts', 'actors'] as const;
export type FieldName = (typeof FIELD_NAMES)[number];

/** Codes of the multi-valued fields in attestation_fields.field. */
export const FIELD_CODE: Record<FieldName, number> = { subjects: 1, predicates: 2, contexts: 3, actors: 4 };

export interface AttestationFilter {
  /** Each field: any of the values; a value ending in `*` is a prefix (`src/*`), `\*` a literal star. */
  subjects?: string[] | undefined;
  predicates?: string[] | undefined;
  contexts?: string[] | undefined;
  actors?: string[] | undefined;
  /** Attribute equality, `attr.repo=R`: key → any of the values (indexed keys: attr-index.ts). */
  attributes?: Record<string, string[]> | undefined;
  /** The subjects of this filter's matches are the subject filter (a join: "authors of commits that modify X"). */
  subjects_from?: AttestationFilter | undefined;
  /** Leave out system attestations (reserved predicates: handler versions and their retractions). */
  exclude_system?: boolean | undefined;
  /** Inclusive bounds on timestamp, ms. */
  time_start?: number | undefined;
  time_end?: number | undefined;
  limit?: number | undefined;
  order?: 'desc' | 'asc' | undefined;
  cursor?: string | undefined;
  /**
   * Stop the page before its rows serialise to more than this many bytes (at least one row is
   * always given); the rest follows with next_cursor. Rows past the budget are never loaded.
   */
  maxBytes?: number | undefined;
}

export interface AttestationPage {
  items: Attestation[];
  /** Pass back as `cursor` for the next page; null when there is none. */
  next_cursor: string | null;
}

export const DEFAULT_LIMIT = 100;
export const MAX_LIMIT = 1000;
/** Longest subject/predicate/context/actor value, in UTF-8 bytes (PostgreSQL btree keys stop at 2704). */
export const MAX_VALUE_BYTES = 2000;
export const MAX_VALUES_PER_FIELD = 256;
/** Largest attributes object, serialised. */
export const MAX_ATTRIBUTES_BYTES = 1024 * 1024;
