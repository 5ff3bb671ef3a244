// The attestation store: one interface, implemented on SQLite and on PostgreSQL, both held to
// one contract suite (test/ats-store.contract.ts).
import type { DbTx } from '../db/tx.js';
import type { Dialect } from '../db/migrations.js';
import type { Attestation, AttestationFilter, AttestationPage, NewAttestation } from './types.js';

export interface AttestationStore {
  readonly kind: Dialect;
  /** Inserts every attestation in one transaction: all or none. A duplicate id is a ConflictError. */
  insertMany(items: readonly NewAttestation[]): Promise<void>;
  /**
   * Inserts inside a transaction the caller holds (for "last batch + state" atomically).
   * SQLite: synchronous, returns undefined; PostgreSQL: returns a promise.
   */
  insertManyIn(tx: DbTx, items: readonly NewAttestation[]): void | Promise<void>;
  /** SPEC §2 filter with keyset paging (stable under concurrent inserts). */
  query(filter: AttestationFilter): Promise<AttestationPage>;
  get(id: string): Promise<Attestation | undefined>;
  /** The newest attestation with this predicate and context: the handler lookup. */
  newest(predicate: string, context: string): Promise<Attestation | undefined>;
  /** The database's plan for a query, one line per step (used by tests and diagnostics). */
  explain(filter: AttestationFilter): Promise<string[]>;
  count(): Promise<number>;
  /**
   * Runs a bulk load (import). SQLite: automatic WAL checkpoints are held back while it runs (each
   * one would copy freshly written index pages again); the next commit or close checkpoints.
   */
  bulk<T>(fn: () => Promise<T>): Promise<T>;
}
