// The AX glyph kind: its info, title and component.
import type { GlyphDefinition } from '../registry.js';
import { GLYPH_KINDS } from '../kinds.js';
import { AxGlyph } from './AxGlyph.js';

export const axGlyph: GlyphDefinition = {
  info: GLYPH_KINDS.ax,
  title: () => 'Attestations',
  Component: AxGlyph,
};
