// Glyph ids: short, readable, unique enough for one canvas, valid for the canvas API.

export function newGlyphId(kind: string, random: () => number = Math.random): string {
  const alphabet = '0123456789abcdefghijklmnopqrstuvwxyz';
  let s = '';
  for (let i = 0; i < 10; i++) s += alphabet[Math.floor(random() * alphabet.length)];
  return `${kind}-${s}`;
}
