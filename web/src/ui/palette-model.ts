// Command palette matching: every word of the query must start a word of the label or description.

export interface PaletteItem {
  id: string;
  label: string;
  description?: string;
  shortcut?: string;
}

export function filterPalette<T extends PaletteItem>(items: readonly T[], query: string): T[] {
  const words = query.toLowerCase().split(/\s+/).filter(Boolean);
  if (!words.length) return [...items];
  return items.filter((it) => {
    const hay = `${it.label} ${it.description ?? ''}`.toLowerCase();
    const starts = hay.split(/[^a-z0-9]+/).filter(Boolean);
    return words.every((w) => starts.some((s) => s.startsWith(w)) || hay.includes(w));
  });
}

/** Moves the highlighted row, wrapping around. */
export function moveHighlight(index: number, delta: number, count: number): number {
  if (count === 0) return 0;
  return (((index + delta) % count) + count) % count;
}

/** Labels made unique: a repeated one gets " (2)", " (3)"… so no two entries read the same. */
export function uniqueLabels<T extends PaletteItem>(items: readonly T[]): T[] {
  const seen = new Map<string, number>();
  return items.map((it) => {
    const n = (seen.get(it.label) ?? 0) + 1;
    seen.set(it.label, n);
    return n === 1 ? it : { ...it, label: `${it.label} (${n})` };
  });
}
