// The Python glyph kind: its info, title (`handler: <type>` for a handler) and component. The
// component (with CodeMirror) loads on first use, so the canvas itself starts light.
import { lazy } from 'react';
import type { GlyphDefinition } from '../registry.js';
import { GLYPH_KINDS } from '../kinds.js';
import { isUnsaved, pyTitle, readPyData } from './py-model.js';

export const pyGlyph: GlyphDefinition = {
  info: GLYPH_KINDS.py,
  title: (data) => pyTitle(readPyData(data)),
  mark: (data) => (isUnsaved(readPyData(data)) ? 'unsaved' : undefined),
  Component: lazy(() => import('./PyGlyph.js').then((m) => ({ default: m.PyGlyph }))),
};
