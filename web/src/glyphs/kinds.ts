// The glyph kinds and what a new one of each starts with: pure data, shared by the registry and tests.
import { axDefaults } from './ax/ax-model.js';
import { ixDefaults } from './ix/ix-model.js';
import { pyDefaults } from './py/py-model.js';

export type GlyphKind = 'ix' | 'py' | 'pulse' | 'ax';

export interface GlyphKindInfo {
  kind: GlyphKind;
  /** Shown in the toolbar and the command palette. */
  label: string;
  description: string;
  /** The short tag in the title bar. */
  badge: string;
  defaultSize: { width: number; height: number };
  minSize: { width: number; height: number };
  defaultData(): Record<string, unknown>;
}

export const GLYPH_KINDS: Readonly<Record<GlyphKind, GlyphKindInfo>> = {
  ix: {
    kind: 'ix',
    label: 'IX glyph',
    description: 'Ingest: run `ix <type>` once or on an interval',
    badge: 'IX',
    defaultSize: { width: 420, height: 360 },
    minSize: { width: 320, height: 220 },
    defaultData: () => ({ ...ixDefaults }),
  },
  py: {
    kind: 'py',
    label: 'Python glyph',
    description: 'Write and run Python; save it as an ix handler',
    badge: 'PY',
    defaultSize: { width: 600, height: 480 },
    minSize: { width: 360, height: 260 },
    defaultData: () => ({ ...pyDefaults }),
  },
  pulse: {
    kind: 'pulse',
    label: 'Pulse panel',
    description: 'Schedules and executions, live',
    badge: 'PULSE',
    defaultSize: { width: 560, height: 480 },
    minSize: { width: 380, height: 240 },
    defaultData: () => ({}),
  },
  ax: {
    kind: 'ax',
    label: 'AX glyph',
    description: 'Query attestations in the AX language: alice is engineer of acme since 2026-01',
    badge: 'AX',
    defaultSize: { width: 760, height: 480 },
    minSize: { width: 420, height: 240 },
    defaultData: () => ({ ...axDefaults }),
  },
};

export const KIND_ORDER: readonly GlyphKind[] = ['ix', 'py', 'pulse', 'ax'];

export function isGlyphKind(k: string): k is GlyphKind {
  return Object.prototype.hasOwnProperty.call(GLYPH_KINDS, k);
}
