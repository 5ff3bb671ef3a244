// Where glyphs may be on screen and how they keep apart: the screen area the chrome leaves free
// (toolbar and pills above, controls and minimap below), a viewport that fits boxes into it, and
// moving neighbours out of the way of a grown or placed glyph.

export interface Box {
  readonly x: number;
  readonly y: number;
  readonly width: number;
  readonly height: number;
}

export interface Area {
  left: number;
  top: number;
  right: number;
  bottom: number;
}

/** Toolbar and status pills: 14 px from the top, 40 px tall. */
const TOP = 64;
/** Controls (bottom left) and minimap (bottom right, 112 px tall, 15 px from the edge). */
const BOTTOM = 140;
const SIDE = 16;
/** Glyphs keep this much space between them. */
export const GAP = 24;
/**
 * Below this zoom the smallest text of a glyph (12 px) would be under 8 px on screen: glyphs show a
 * title card. Above it, content scales with the zoom, as on a drawing canvas.
 */
export const COMPACT_ZOOM = 8 / 12;

export function freeArea(width: number, height: number): Area {
  return { left: SIDE, top: TOP, right: Math.max(SIDE + 1, width - SIDE), bottom: Math.max(TOP + 1, height - BOTTOM) };
}

/** The viewport (React Flow's x, y, zoom) that shows every box inside `area`, or null for none. */
export function fitViewport(boxes: readonly Box[], area: Area, maxZoom = 1, minZoom = 0.05): { x: number; y: number; zoom: number } | null {
  if (!boxes.length) return null;
  const x0 = Math.min(...boxes.map((b) => b.x));
  const y0 = Math.min(...boxes.map((b) => b.y));
  const x1 = Math.max(...boxes.map((b) => b.x + b.width));
  const y1 = Math.max(...boxes.map((b) => b.y + b.height));
  const aw = area.right - area.left;
  const ah = area.bottom - area.top;
  const zoom = Math.max(minZoom, Math.min(maxZoom, aw / (x1 - x0), ah / (y1 - y0)));
  return { x: area.left + (aw - (x1 - x0) * zoom) / 2 - x0 * zoom, y: area.top + Math.max(0, (ah - (y1 - y0) * zoom) / 2) - y0 * zoom, zoom };
}

export function overlaps(a: Box, b: Box, gap = 0): boolean {
  return a.x < b.x + b.width + gap && b.x < a.x + a.width + gap && a.y < b.y + b.height + gap && b.y < a.y + a.height + gap;
}

/**
 * Moves glyphs that `fixedId` now overlaps out of its way (right or down, whichever is shorter),
 * and those the moved ones then overlap, until none overlap. Returns the new positions by id.
 */
export function pushApart<T extends Box & { readonly id: string }>(glyphs: readonly T[], fixedId: string): Map<string, { x: number; y: number }> {
  const pos = new Map(glyphs.map((g) => [g.id, { x: g.x, y: g.y }]));
  const box = (g: T): Box => ({ ...pos.get(g.id)!, width: g.width, height: g.height });
  const queue = [fixedId];
  // Pushes only go right or down, so this ends; the guard bounds pathological canvases.
  for (let guard = 0; queue.length && guard < 2000; guard++) {
    const id = queue.shift()!;
    const mover = glyphs.find((g) => g.id === id)!;
    const m = box(mover);
    for (const g of glyphs) {
      if (g.id === fixedId || g.id === id) continue;
      const b = box(g);
      if (!overlaps(m, b, GAP - 1)) continue;
      const right = m.x + m.width + GAP - b.x;
      const down = m.y + m.height + GAP - b.y;
      pos.set(g.id, right <= down ? { x: b.x + right, y: b.y } : { x: b.x, y: b.y + down });
      queue.push(g.id);
    }
  }
  const moved = new Map<string, { x: number; y: number }>();
  for (const g of glyphs) {
    const p = pos.get(g.id)!;
    if (p.x !== g.x || p.y !== g.y) moved.set(g.id, p);
  }
  return moved;
}
