// The IX glyph kind: its info, title and component.
import type { GlyphDefinition } from '../registry.js';
import { GLYPH_KINDS } from '../kinds.js';
import { IxGlyph } from './IxGlyph.js';
import { readIxData } from './ix-model.js';

export const ixGlyph: GlyphDefinition = {
  info: GLYPH_KINDS.ix,
  title: (data) => {
    const c = readIxData(data).command.trim();
    return c ? `ix ${c.replace(/^ix\s+/, '')}` : 'IX';
  },
  Component: IxGlyph,
};
