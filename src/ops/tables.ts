// The tables a backup holds, in the order they are restored, with the order their rows are read in
// (a total order, so that a resumed restore can skip exactly the rows an earlier run committed).
// A table not listed here makes a backup fail: a new migration's table must be added on purpose.

export interface TableSpec {
  name: string;
  /** Columns of a unique key, the read order. */
  order: readonly string[];
  /** The read orders of older schemas whose key columns were others (a backup of such a store). */
  olderOrders?: readonly (readonly string[])[];
  /**
   * Filled by a trigger from other tables as they are restored (the alias edges from the field
   * index): its rows are in the backup, to be counted, but never inserted.
   */
  derived?: boolean;
}

export const TABLES: readonly TableSpec[] = [
  { name: 'attestations', order: ['seq'] },
  { name: 'attestation_fields', order: ['field', 'value', 'timestamp', 'seq'] },
  // Keyed by (subject, context, …) from 008 until 013 rebuilt it with folded keys.
  { name: 'ax_alias_edges', order: ['subject_key', 'context_key', 'timestamp', 'seq'], olderOrders: [['subject', 'context', 'timestamp', 'seq']], derived: true },
  { name: 'ix_handler_current', order: ['script_type'] },
  { name: 'ix_source_state', order: ['key_hash'] },
  { name: 'secrets', order: ['name'] },
  { name: 'secret_grants', order: ['name', 'script_type'] },
  { name: 'pulse_schedules', order: ['id'] },
  { name: 'pulse_jobs', order: ['id'] },
  { name: 'pulse_executions', order: ['id'] },
  { name: 'canvas_glyphs', order: ['id'] },
  { name: 'hooks', order: ['id'] },
  { name: 'hook_deliveries', order: ['id'] },
  { name: 'hook_bodies', order: ['hook_id', 'body_hash'] },
];

const BY_NAME = new Map(TABLES.map((t) => [t.name, t]));

export function tableSpec(name: string): TableSpec | undefined {
  return BY_NAME.get(name);
}

/** Tables of the store that are not data: the migration bookkeeping and a restore's progress marker. */
export function isBookkeeping(name: string): boolean {
  return name.startsWith('kysely_') || name === MARKER_TABLE || name.startsWith('sqlite_');
}

/** Present while a restore or migrate into a store is unfinished (see restore.ts). */
export const MARKER_TABLE = 'qntx_restore_state';

/** A row as read: numbers (integers beyond 2^53 as decimal strings), text, bytes or null. */
export type Value = number | string | Buffer | null;
export type Row = Record<string, Value>;

export function quoteId(name: string): string {
  return `"${name.replace(/"/g, '""')}"`;
}
