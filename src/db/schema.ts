// Kysely table types for every table of the qntx database (both dialects share them).
// Multi-valued attestation fields are normalised into attestation_fields; see docs/architecture.md.
import type { Generated } from 'kysely';
import type { CanvasSchema } from './canvas-schema.js';
import type { PulseSchema } from './pulse-schema.js';

export interface AttestationsTable {
  /** Insertion order; the tie-breaker for ordering and paging. */
  seq: Generated<number>;
  id: string;
  /** JSON arrays, kept for reading rows back. Lookups never touch them: they use attestation_fields. */
  subjects: string;
  predicates: string;
  contexts: string;
  actors: string;
  timestamp: number;
  source: string;
  attributes: string;
  created_at: number;
}

/** One row per (attestation, field, value); primary key (field, value, timestamp, seq). */
export interface AttestationFieldsTable {
  field: number;
  value: string;
  timestamp: number;
  seq: number;
}

/** AX: the (subject, context) pairs of `alias` attestations, kept by triggers (migration 008). */
export interface AxAliasEdgesTable {
  subject: string;
  context: string;
  timestamp: number;
  seq: number;
}

export interface Schema extends PulseSchema, CanvasSchema {
  attestations: AttestationsTable;
  attestation_fields: AttestationFieldsTable;
  ax_alias_edges: AxAliasEdgesTable;
}
