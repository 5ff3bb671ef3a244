// Kysely table types for every table of the qntx database (both dialects share them).
// Multi-valued attestation fields are normalised into attestation_fields; see docs/architecture.md.
import type { Generated } from 'kysely';
import type { CanvasSchema } from './canvas-schema.js';
import type { PulseSchema } from './pulse-schema.js';
import type { SecretsSchema } from './secrets-schema.js';

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
  /** SHA-256 of the claim (src/ats/claim-key.ts), unique: the same claim is stored once. */
  claim_key: Buffer;
  /** Provenance: the handler version whose run stored the claim (null outside handler runs). */
  handler_version: number | null;
}

/** One row per (attestation, field, value); primary key (field, value, timestamp, seq). */
export interface AttestationFieldsTable {
  field: number;
  /** As written. */
  value: string;
  /** What lookups compare: the value's case fold (src/ats/fold.ts); attribute rows keep their case. */
  folded: string;
  timestamp: number;
  seq: number;
}

/**
 * AX: the (subject, context) pairs of `alias` attestations, kept by triggers on the field index
 * (migration 013): keyed by their folded values, the spellings beside them.
 */
export interface AxAliasEdgesTable {
  subject_key: string;
  context_key: string;
  subject: string;
  context: string;
  timestamp: number;
  seq: number;
}

/** The handler in force per ix type (migration 009): the handler lookup is a primary-key read. */
export interface IxHandlerCurrentTable {
  script_type: string;
  /** The `ix_handler` attestation in force; null after a removal. */
  attestation_id: string | null;
  /** The last version number given for the type (removals keep it: the next save counts on). */
  version: number;
  updated_at: number;
}

/** Ingest state per source (handler type + arguments), shared by every run of that source. */
export interface IxSourceStateTable {
  /** SHA-256 (hex) of source_key: the key itself may be longer than an index entry may be. */
  key_hash: string;
  source_key: string;
  /** JSON */
  state: string;
  last_success_at: number | null;
  updated_at: number;
}

export interface Schema extends PulseSchema, CanvasSchema, SecretsSchema {
  attestations: AttestationsTable;
  attestation_fields: AttestationFieldsTable;
  ax_alias_edges: AxAliasEdgesTable;
  ix_source_state: IxSourceStateTable;
  ix_handler_current: IxHandlerCurrentTable;
}
