// Kysely table types of the web canvas: one row per glyph; migration 003_canvas creates it.

export interface CanvasGlyphsTable {
  id: string;
  kind: string;
  x: number;
  y: number;
  width: number;
  height: number;
  /** JSON object: the glyph's own contents (command, code, query, …). */
  data: string;
  /** Bumped on every write: optimistic concurrency between tabs. */
  version: number;
  created_at: number;
  updated_at: number;
}

export interface CanvasSchema {
  canvas_glyphs: CanvasGlyphsTable;
}
