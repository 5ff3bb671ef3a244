// The Pulse panel kind: its info, title and component.
import type { GlyphDefinition } from '../registry.js';
import { GLYPH_KINDS } from '../kinds.js';
import { PulseGlyph } from './PulseGlyph.js';

export const pulseGlyph: GlyphDefinition = {
  info: GLYPH_KINDS.pulse,
  title: () => 'Pulse',
  Component: PulseGlyph,
};
