// The canvas's keyboard shortcuts, one table: App binds them, the command palette shows them.
import type { GlyphKind } from '../glyphs/kinds.js';

export const SPAWN_SHORTCUT: Readonly<Record<GlyphKind, { key: string; label: string }>> = {
  ix: { key: '1', label: 'Alt+Shift+1' },
  py: { key: '2', label: 'Alt+Shift+2' },
  pulse: { key: '3', label: 'Alt+Shift+3' },
  ax: { key: '4', label: 'Alt+Shift+4' },
};

export const FIT_SHORTCUT = { code: 'KeyF', label: 'Alt+Shift+F' };
export const PALETTE_SHORTCUT = 'Ctrl+K';
export const SAVE_SHORTCUT = 'Ctrl+S';
export const TRY_SHORTCUT = 'Ctrl+Enter';
export const RUN_SHORTCUT = 'Enter';

/** The glyph kind an Alt+Shift+digit asks for, or undefined. */
export function spawnKindOf(e: { altKey: boolean; shiftKey: boolean; ctrlKey: boolean; metaKey: boolean; code: string }): GlyphKind | undefined {
  if (!e.altKey || !e.shiftKey || e.ctrlKey || e.metaKey) return undefined;
  const digit = /^Digit([1-4])$/.exec(e.code)?.[1];
  return (Object.keys(SPAWN_SHORTCUT) as GlyphKind[]).find((k) => SPAWN_SHORTCUT[k].key === digit);
}

export function isFitShortcut(e: { altKey: boolean; shiftKey: boolean; ctrlKey: boolean; metaKey: boolean; code: string }): boolean {
  return e.altKey && e.shiftKey && !e.ctrlKey && !e.metaKey && e.code === FIT_SHORTCUT.code;
}
