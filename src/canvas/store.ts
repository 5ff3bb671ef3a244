// The canvas store: one interface, a SQLite and a PostgreSQL implementation, picked by the database.
import type { Database } from '../db/database.js';
import { PostgresCanvasStore } from './postgres-store.js';
import { SqliteCanvasStore } from './sqlite-store.js';
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
  if (database.sqlite) return new SqliteCanvasStore(database.db, database.sqlite, now);
  return new PostgresCanvasStore(database.db, now);
}
