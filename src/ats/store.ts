// The attestation store: one interface, implemented on SQLite and on PostgreSQL, both held to
// one contract suite (test/ats-store.contract.ts).
import type { DbTx } from '../db/tx.js';
import type { Dialect } from '../db/migrations.js';
import type { HandlerChange, HandlerPointer } from './handler-current.js';
import type { Attestation, AttestationFilter, AttestationPage, InsertResult, NewAttestation } from './types.js';

export interface AttestationStore {
  readonly kind: Dialect;
  /**
   * Inserts every attestation in one transaction: all or none. A claim already stored (same
   * content key, see claim-key.ts) is skipped and counted as already known; an id already used by
   * another claim is a ConflictError.
   */
  insertMany(items: readonly NewAttestation[]): Promise<InsertResult>;
  /**
   * Inserts inside a transaction the caller holds (for "batch + state" atomically).
   * SQLite: synchronous; PostgreSQL: returns a promise.
   */
  insertManyIn(tx: DbTx, items: readonly NewAttestation[]): InsertResult | Promise<InsertResult>;
  /**
   * insertMany for bulk loads (import), in a transaction of its own: PostgreSQL streams the batch
   * with COPY into staging tables and moves it with one INSERT … SELECT (pg-copy-insert.ts);
   * SQLite is insertMany (its prepared multi-row load is its fast path).
   */
  insertBulk(items: readonly NewAttestation[]): Promise<InsertResult>;
  /**
   * Refreshes the planner's statistics after a bulk load (PostgreSQL: ANALYZE of the attestation
   * tables). The query plans do not need it (docs/architecture.md), estimates elsewhere do.
   * SQLite: nothing (its plans here come from the query's form; no sqlite_stat1 is kept).
   */
  analyze(): Promise<void>;
  /** The stored attestation holding the same claim, if any. */
  findClaim(a: NewAttestation): Promise<Attestation | undefined>;
  /** The attestation filter with keyset paging (stable under concurrent inserts). */
  query(filter: AttestationFilter): Promise<AttestationPage>;
  get(id: string): Promise<Attestation | undefined>;
  /** The newest attestation with this predicate and context: the handler lookup. */
  newest(predicate: string, context: string): Promise<Attestation | undefined>;
  /** The handler in force for an ix type (ix_handler_current, migration 009): primary-key reads only. */
  currentHandler(type: string): Promise<Attestation | undefined>;
  /** Every type's handler in force, with its type, ordered by type. */
  currentHandlers(): Promise<Array<{ type: string; attestation: Attestation }>>;
  /**
   * In one transaction, with writers of the same type held off: reads the type's pointer, stores
   * the attestation `make` builds from it and moves the pointer (register, remove). `make` is
   * synchronous and may throw to store nothing.
   */
  writeHandler(type: string, make: (p: HandlerPointer) => HandlerChange): Promise<NewAttestation>;
  /** The database's plan for a query, one line per step (used by tests and diagnostics). */
  explain(filter: AttestationFilter): Promise<string[]>;
  /** How many attestations match the filter (all of them without one). */
  count(filter?: AttestationFilter): Promise<number>;
  /** The plan of count(filter). */
  explainCount(filter: AttestationFilter): Promise<string[]>;
  /**
   * Runs a bulk load (import). SQLite: automatic WAL checkpoints are held back while it runs (each
   * one would copy freshly written index pages again); the next commit or close checkpoints.
   */
  bulk<T>(fn: () => Promise<T>): Promise<T>;
}
