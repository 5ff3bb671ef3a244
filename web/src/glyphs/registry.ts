// One module per glyph kind: each declares its kind info (type, default props) and its component.
import type { ComponentType } from 'react';
import type { GlyphRecord } from '../canvas/state.js';
import { axGlyph } from './ax/index.js';
import { ixGlyph } from './ix/index.js';
import type { GlyphKind, GlyphKindInfo } from './kinds.js';
import { pulseGlyph } from './pulse/index.js';
import { pyGlyph } from './py/index.js';

export interface GlyphBodyProps {
  glyph: GlyphRecord;
  /** Lets the body colour its frame (the IX glyph's state). */
  setTone(tone: string | undefined): void;
}

export interface GlyphDefinition {
  info: GlyphKindInfo;
  title(data: Readonly<Record<string, unknown>>): string;
  /** A mark beside the title ("unsaved"), or undefined. */
  mark?(data: Readonly<Record<string, unknown>>): string | undefined;
  Component: ComponentType<GlyphBodyProps>;
}

export const GLYPHS: Readonly<Record<GlyphKind, GlyphDefinition>> = {
  ix: ixGlyph,
  py: pyGlyph,
  pulse: pulseGlyph,
  ax: axGlyph,
};
