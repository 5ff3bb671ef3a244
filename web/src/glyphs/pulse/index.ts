// The Pulse panel kind: its info, title and component.
import type { GlyphDefinition } from '../registry.js';
import { GLYPH_KINDS } from '../kinds.js';
import { PulseGlyph } from './PulseGlyph.js';

export const pulseGlyph: GlyphDefinition = {
  info: GLYPH_KINDS.pulse,
  // A Pulse panel lists every schedule: its name says so.
  title: () => 'Pulse: all schedules',
  Component: PulseGlyph,
};
