// The IX glyph kind: its info, title and component.
import type { GlyphDefinition } from '../registry.js';
import { GLYPH_KINDS } from '../kinds.js';
import { IxGlyph } from './IxGlyph.js';
import { ixTitle } from './ix-model.js';

export const ixGlyph: GlyphDefinition = {
  info: GLYPH_KINDS.ix,
  title: ixTitle,
  Component: IxGlyph,
};
