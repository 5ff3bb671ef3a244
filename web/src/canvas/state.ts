// Canvas state: plain readonly data with a version, changed only through named commands, so every
// change can be persisted (see persister.ts), replayed in tests and undone.
import { pushApart } from './layout.js';

export interface GlyphRecord {
  readonly id: string;
  readonly kind: string;
  readonly x: number;
  readonly y: number;
  readonly width: number;
  readonly height: number;
  readonly data: Readonly<Record<string, unknown>>;
}

export interface CanvasState {
  /** Bumped by every command that changed something. */
  readonly version: number;
  /** Back to front: the last one is drawn on top. */
  readonly glyphs: readonly GlyphRecord[];
  readonly loaded: boolean;
  /** Closed glyphs, newest last, so a close can be undone. */
  readonly closed: readonly GlyphRecord[];
}

export type CanvasCommand =
  | { type: 'load'; glyphs: readonly GlyphRecord[] }
  | { type: 'spawn'; glyph: GlyphRecord }
  | { type: 'move'; id: string; x: number; y: number }
  | { type: 'resize'; id: string; x: number; y: number; width: number; height: number }
  | { type: 'updateData'; id: string; patch: Readonly<Record<string, unknown>> }
  | { type: 'bringToFront'; id: string }
  /** Moves the glyphs `id` overlaps out of its way (after a drag ends on top of others). */
  | { type: 'makeRoom'; id: string }
  | { type: 'close'; id: string }
  | { type: 'reopenLastClosed' };

export const MIN_GLYPH_WIDTH = 220;
export const MIN_GLYPH_HEIGHT = 120;
const MAX_CLOSED = 20;

export const emptyCanvas: CanvasState = { version: 0, glyphs: [], loaded: false, closed: [] };

export function applyCommand(state: CanvasState, cmd: CanvasCommand): CanvasState {
  switch (cmd.type) {
    case 'load':
      return { version: state.version + 1, glyphs: cmd.glyphs.map(sanitize), loaded: true, closed: [] };
    case 'spawn':
      if (state.glyphs.some((g) => g.id === cmd.glyph.id)) return state;
      return makeRoom(bump(state, [...state.glyphs, sanitize(cmd.glyph)]), cmd.glyph.id);
    case 'move':
      return updateGlyph(state, cmd.id, (g) => {
        const x = Math.round(cmd.x);
        const y = Math.round(cmd.y);
        return g.x === x && g.y === y ? g : { ...g, x, y };
      });
    case 'resize': {
      const next = updateGlyph(state, cmd.id, (g) => sanitize({ ...g, x: cmd.x, y: cmd.y, width: cmd.width, height: cmd.height }));
      return next === state ? state : makeRoom(next, cmd.id);
    }
    case 'makeRoom': {
      const next = makeRoom(state, cmd.id);
      return next === state ? state : { ...next, version: state.version + 1 };
    }
    case 'updateData':
      return updateGlyph(state, cmd.id, (g) =>
        Object.entries(cmd.patch).every(([k, v]) => Object.is(g.data[k], v)) ? g : { ...g, data: { ...g.data, ...cmd.patch } },
      );
    case 'bringToFront': {
      const i = state.glyphs.findIndex((g) => g.id === cmd.id);
      if (i < 0 || i === state.glyphs.length - 1) return state;
      const glyphs = [...state.glyphs];
      const [g] = glyphs.splice(i, 1);
      glyphs.push(g!);
      return bump(state, glyphs);
    }
    case 'close': {
      const g = state.glyphs.find((x) => x.id === cmd.id);
      if (!g) return state;
      return {
        ...bump(state, state.glyphs.filter((x) => x.id !== cmd.id)),
        closed: [...state.closed, g].slice(-MAX_CLOSED),
      };
    }
    case 'reopenLastClosed': {
      const g = state.closed[state.closed.length - 1];
      if (!g) return state;
      return { ...bump(state, [...state.glyphs, g]), closed: state.closed.slice(0, -1) };
    }
  }
}

export function findGlyph(state: CanvasState, id: string): GlyphRecord | undefined {
  return state.glyphs.find((g) => g.id === id);
}

/**
 * Where a new glyph goes: the free spot nearest to `center` (no overlap with another glyph, with a
 * margin, inside `view` when given). When the view is full, the free spot nearest to the middle of
 * the glyphs already there, so that the canvas grows as one compact cluster (searching from the view
 * again, after the caller panned to the last glyph, drifted every new one further off: a staircase).
 * When there is none, at `center`, stepped so spawns never stack exactly.
 */
export function spawnPosition(
  state: CanvasState,
  center: { x: number; y: number },
  size: { width: number; height: number },
  /** The visible part of the canvas: a free spot must lie inside it (when the glyph fits at all). */
  view?: { x: number; y: number; width: number; height: number },
): { x: number; y: number } {
  const x0 = Math.round(center.x - size.width / 2);
  const y0 = Math.round(center.y - size.height / 2);
  const margin = 24;
  const fitsView = !view || size.width > view.width || size.height > view.height;
  const inView = (x: number, y: number) =>
    fitsView || (x >= view!.x && y >= view!.y && x + size.width <= view!.x + view!.width && y + size.height <= view!.y + view!.height);
  const freeOfGlyphs = (x: number, y: number) =>
    state.glyphs.every(
      (g) => x + size.width + margin <= g.x || g.x + g.width + margin <= x || y + size.height + margin <= g.y || g.y + g.height + margin <= y,
    );
  const free = (x: number, y: number) => inView(x, y) && freeOfGlyphs(x, y);
  const step = 40;
  const around = (ax: number, ay: number) => {
    const spots: Array<{ x: number; y: number; d: number }> = [];
    for (let i = -40; i <= 40; i++) {
      // Sideways is cheaper than up or down: screens are wider than tall.
      for (let j = -40; j <= 40; j++) spots.push({ x: ax + i * step, y: ay + j * step, d: (i * step) ** 2 + (j * step * 1.6) ** 2 });
    }
    return spots.sort((a, b) => a.d - b.d);
  };
  const inside = around(x0, y0).find((p) => free(p.x, p.y));
  if (inside) return { x: inside.x, y: inside.y };
  if (state.glyphs.length) {
    const cx = state.glyphs.reduce((t, g) => t + g.x + g.width / 2, 0) / state.glyphs.length;
    const cy = state.glyphs.reduce((t, g) => t + g.y + g.height / 2, 0) / state.glyphs.length;
    const near = around(Math.round(cx - size.width / 2), Math.round(cy - size.height / 2)).find((p) => freeOfGlyphs(p.x, p.y));
    if (near) return { x: near.x, y: near.y };
  }
  let x = x0;
  let y = y0;
  for (let i = 0; i < 50 && state.glyphs.some((g) => Math.abs(g.x - x) < 12 && Math.abs(g.y - y) < 12); i++) {
    x += 28;
    y += 28;
  }
  return { x, y };
}

/** A spot right of `anchor` (e.g. the Python glyph that Create handler opens beside its IX glyph). */
export function besidePosition(anchor: GlyphRecord, gap = 40): { x: number; y: number } {
  return { x: anchor.x + anchor.width + gap, y: anchor.y };
}

/** A glyph that grew or arrived pushes the neighbours it overlaps aside (they move, it stays). */
function makeRoom(state: CanvasState, id: string): CanvasState {
  const moved = pushApart(state.glyphs, id);
  if (!moved.size) return state;
  return { ...state, glyphs: state.glyphs.map((g) => (moved.has(g.id) ? { ...g, ...moved.get(g.id)! } : g)) };
}

function bump(state: CanvasState, glyphs: readonly GlyphRecord[]): CanvasState {
  return { ...state, version: state.version + 1, glyphs };
}

function updateGlyph(state: CanvasState, id: string, fn: (g: GlyphRecord) => GlyphRecord): CanvasState {
  const i = state.glyphs.findIndex((g) => g.id === id);
  if (i < 0) return state;
  const before = state.glyphs[i]!;
  const after = fn(before);
  if (after === before) return state;
  const glyphs = [...state.glyphs];
  glyphs[i] = after;
  return bump(state, glyphs);
}

function sanitize(g: GlyphRecord): GlyphRecord {
  const width = Math.max(MIN_GLYPH_WIDTH, Math.round(g.width));
  const height = Math.max(MIN_GLYPH_HEIGHT, Math.round(g.height));
  const x = Math.round(g.x);
  const y = Math.round(g.y);
  return width === g.width && height === g.height && x === g.x && y === g.y ? g : { ...g, x, y, width, height };
}
