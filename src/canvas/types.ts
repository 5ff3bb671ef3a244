// What the canvas stores: glyphs (small windows) with a position, a size and JSON contents.
import { ConflictError } from '../errors.js';
import type { GlyphDto } from '../protocol.js';

export type Glyph = GlyphDto;

export type GlyphWrite = Pick<Glyph, 'kind' | 'x' | 'y' | 'width' | 'height' | 'data'>;

/**
 * The version a write was based on: undefined writes unconditionally, 0 creates (the glyph must
 * not exist yet), n > 0 updates only when the stored version is still n.
 */
export type ExpectedVersion = number | undefined;

export interface PutResult {
  glyph: Glyph;
  created: boolean;
}

export function versionConflict(id: string, expected: number, current: number | undefined): ConflictError {
  return new ConflictError(
    current === undefined
      ? `glyph ${id} does not exist (expected version ${expected})`
      : `glyph ${id} was changed elsewhere: version ${current}, not ${expected}`,
    {
      details: [`id=${id}`, `expected_version=${expected}`, `current_version=${current ?? 'none'}`],
      hint: 'reload the canvas (GET /api/canvas) and apply the change to the current version',
    },
  );
}

/** True when a write based on `expected` may replace a row at `current` (undefined: no row). */
export function versionMatches(expected: ExpectedVersion, current: number | undefined): boolean {
  if (expected === undefined) return true;
  if (expected === 0) return current === undefined;
  return current === expected;
}
