// The schedule grid: a schedule runs at created_at + k * interval. Pure.

/**
 * The first grid point after `now`, counting from `due` (a grid point that came due). Missed
 * points between them are not returned: a run missed during downtime fires once, not once each.
 */
export function nextGridPoint(due: number, intervalMs: number, now: number): number {
  if (intervalMs <= 0) throw new RangeError('interval must be positive');
  if (now < due) return due;
  return due + (Math.floor((now - due) / intervalMs) + 1) * intervalMs;
}

/** The first grid point at or after `now` (used when a paused schedule resumes). */
export function gridPointAtOrAfter(anchor: number, intervalMs: number, now: number): number {
  if (now <= anchor) return anchor;
  return anchor + Math.ceil((now - anchor) / intervalMs) * intervalMs;
}
