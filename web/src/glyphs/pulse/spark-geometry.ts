// Where the run sparkline draws: the axis label's room on the left (as wide as the slowest run's
// time needs), then one point per run, oldest left, scaled to the slowest.
import { formatDuration } from '../../lib/format.js';

/** 12 px monospace: at most this many pixels a character. */
export const LABEL_CHAR_PX = 7.3;

export function sparkGeometry(durations: readonly number[], plotWidth = 102, height = 30) {
  const pad = 3;
  const max = Math.max(...durations, 1);
  const label = formatDuration(max);
  const left = Math.ceil(label.length * LABEL_CHAR_PX) + 8;
  const width = left + plotWidth;
  const step = (width - left - pad) / Math.max(1, durations.length - 1);
  const points = durations.map((d, i) => ({ x: left + i * step, y: height - pad - (d / max) * (height - 2 * pad) }));
  /** The label is anchored at its end, here. */
  const labelX = left - 5;
  return { pad, max, label, left, width, height, points, labelX };
}
