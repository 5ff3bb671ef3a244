// Row <-> glyph mapping of the canvas store.
import type { CanvasGlyphsTable } from '../db/canvas-schema.js';
import type { Glyph } from './types.js';

export function rowToGlyph(r: CanvasGlyphsTable): Glyph {
  return {
    id: r.id,
    kind: r.kind,
    x: Number(r.x),
    y: Number(r.y),
    width: Number(r.width),
    height: Number(r.height),
    data: JSON.parse(r.data) as Record<string, unknown>,
    version: Number(r.version),
    created_at: Number(r.created_at),
    updated_at: Number(r.updated_at),
  };
}
