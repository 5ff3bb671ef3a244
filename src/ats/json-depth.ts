// Bounds on the nesting of JSON values (attributes, payloads, glyph data, state): deeper values
// are refused before anything recurses over them (JSON.stringify overflows its stack near 4,500).
export const MAX_JSON_DEPTH = 64;

/** The path of the first value nested deeper than `max` (an object or array at depth 1 is the top), or null. */
export function tooDeepAt(value: unknown, max = MAX_JSON_DEPTH): string | null {
  const walk = (v: unknown, depth: number, path: string): string | null => {
    if (v === null || typeof v !== 'object') return null;
    if (depth > max) return path || '(root)';
    const entries: Array<[string, unknown]> = Array.isArray(v) ? v.map((x, i) => [String(i), x]) : Object.entries(v);
    for (const [k, child] of entries) {
      const found = walk(child, depth + 1, path ? `${path}.${k}` : k);
      if (found) return found;
    }
    return null;
  };
  return walk(value, 1, '');
}

/** Whether a string holds NUL, which PostgreSQL text cannot store (error 22021). */
export function hasNul(s: string): boolean {
  return s.includes('\u0000');
}

/** The latest time a timestamp may have, ms: JavaScript's Date range (and well inside BIGINT). */
export const MAX_TIMESTAMP_MS = 8.64e15;
