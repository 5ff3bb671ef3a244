// How deeply a JSON value nests objects and arrays, measured without recursion: hostile input may be
// nested far deeper than any call stack (200,000 levels overflow JSON.stringify).

/** Depth of `v` ({} and [] are 1, a scalar 0); the walk stops once past `limit` (returns limit + 1). */
export function jsonDepth(v: unknown, limit: number): number {
  let depth = 0;
  const stack: Array<[unknown, number]> = [[v, 1]];
  while (stack.length) {
    const [x, d] = stack.pop()!;
    if (typeof x !== 'object' || x === null) continue;
    if (d > depth) {
      depth = d;
      if (depth > limit) return depth;
    }
    for (const c of Array.isArray(x) ? x : Object.values(x)) {
      if (typeof c === 'object' && c !== null) stack.push([c, d + 1]);
    }
  }
  return depth;
}
