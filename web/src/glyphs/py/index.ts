// The Python glyph kind: its info, title (`handler: <type>` for a handler) and component. Its
// editor (CodeMirror) loads when the first one shows (PyGlyph.tsx), so the canvas starts light.
import type { GlyphDefinition } from '../registry.js';
import { GLYPH_KINDS } from '../kinds.js';
import { PyGlyph } from './PyGlyph.js';
import { isUnsaved, pyTitle, readPyData } from './py-model.js';

export const pyGlyph: GlyphDefinition = {
  info: GLYPH_KINDS.py,
  title: (data) => pyTitle(readPyData(data)),
  mark: (data) => (isUnsaved(readPyData(data)) ? 'unsaved' : undefined),
  Component: PyGlyph,
};
