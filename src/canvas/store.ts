// The canvas store: one interface, one implementation over the transaction layer (both databases).
import type { Database } from '../db/database.js';
import { createTxRunner } from '../db/tx.js';
import { SqlCanvasStore } from './sql-store.js';
import type { ExpectedVersion, Glyph, GlyphWrite, PutResult } from './types.js';

export interface CanvasStore {
  /** Every glyph, oldest first. */
  list(): Promise<Glyph[]>;
  get(id: string): Promise<Glyph | undefined>;
  /** Creates or replaces a glyph; a ConflictError when `expected` no longer holds. */
  put(id: string, write: GlyphWrite, expected: ExpectedVersion): Promise<PutResult>;
  /** False when there was no such glyph. */
  remove(id: string): Promise<boolean>;
}

export function createCanvasStore(database: Database, now: () => number): CanvasStore {
  return new SqlCanvasStore(database.db, createTxRunner(database), now, database.reads);
}
