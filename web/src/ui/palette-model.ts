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
