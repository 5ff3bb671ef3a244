// The AX glyph kind: its info, title and component.
import type { GlyphDefinition } from '../registry.js';
import { GLYPH_KINDS } from '../kinds.js';
import { AxGlyph } from './AxGlyph.js';
import { readAxData } from './ax-model.js';

/** The query it asks, so that two AX cards differ; "everything" for an empty one. */
function axTitle(data: Readonly<Record<string, unknown>>): string {
  const q = readAxData(data).query.trim().replace(/\s+/g, ' ');
  if (!q) return 'ax: everything';
  return `ax ${q.length > 60 ? `${q.slice(0, 59)}…` : q}`;
}

export const axGlyph: GlyphDefinition = {
  info: GLYPH_KINDS.ax,
  title: axTitle,
  Component: AxGlyph,
};
