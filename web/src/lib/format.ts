// Human-readable durations, intervals, countdowns and times for the glyphs.

export function formatDuration(ms: number | null | undefined): string {
  if (ms === null || ms === undefined || !Number.isFinite(ms)) return '—';
  if (ms < 1000) return `${Math.round(ms)} ms`;
  if (ms < 60_000) return `${(ms / 1000).toFixed(ms < 10_000 ? 2 : 1)} s`;
  const m = Math.floor(ms / 60_000);
  const s = Math.round((ms % 60_000) / 1000);
  return s ? `${m} min ${s} s` : `${m} min`;
}

/** "once", "every 2 s", "every 5 min", "every 1 h 30 min". */
export function formatInterval(seconds: number): string {
  if (!seconds || seconds <= 0) return 'once';
  const h = Math.floor(seconds / 3600);
  const m = Math.floor((seconds % 3600) / 60);
  const s = seconds % 60;
  const parts = [h ? `${h} h` : '', m ? `${m} min` : '', s ? `${s} s` : ''].filter(Boolean);
  return `every ${parts.join(' ')}`;
}

/** Time left until `at`: "in 4 s", "in 2 min 05 s", "due now". */
export function formatCountdown(at: number | null | undefined, now: number): string {
  if (at === null || at === undefined) return '—';
  const left = Math.ceil((at - now) / 1000);
  if (left <= 0) return 'due now';
  if (left < 60) return `in ${left} s`;
  if (left < 3600) return `in ${Math.floor(left / 60)} min ${String(left % 60).padStart(2, '0')} s`;
  const h = Math.floor(left / 3600);
  return `in ${h} h ${String(Math.floor((left % 3600) / 60)).padStart(2, '0')} min`;
}

/** Time since `at`: "3 s ago", "5 min ago", or a date for old ones. */
export function formatAgo(at: number | null | undefined, now: number): string {
  if (at === null || at === undefined) return 'never';
  const s = Math.round((now - at) / 1000);
  if (s < 2) return 'just now';
  if (s < 60) return `${s} s ago`;
  if (s < 3600) return `${Math.floor(s / 60)} min ago`;
  if (s < 86_400) return `${Math.floor(s / 3600)} h ago`;
  return new Date(at).toISOString().slice(0, 10);
}

/** A compact local date-time: "2026-01-29 14:03:07". */
export function formatTimestamp(ms: number): string {
  const d = new Date(ms);
  const p = (n: number) => String(n).padStart(2, '0');
  return `${d.getFullYear()}-${p(d.getMonth() + 1)}-${p(d.getDate())} ${p(d.getHours())}:${p(d.getMinutes())}:${p(d.getSeconds())}`;
}

/** SVG polyline points for a sparkline of `values` in a w×h box (oldest first, left to right). */
export function sparklinePoints(values: readonly number[], w: number, h: number, pad = 2): string {
  if (values.length === 0) return '';
  const max = Math.max(...values);
  const min = Math.min(...values);
  const span = max - min || 1;
  const step = values.length > 1 ? (w - 2 * pad) / (values.length - 1) : 0;
  return values
    .map((v, i) => {
      const x = values.length > 1 ? pad + i * step : w / 2;
      const y = max === min ? h / 2 : h - pad - ((v - min) / span) * (h - 2 * pad);
      return `${round(x)},${round(y)}`;
    })
    .join(' ');
}

function round(n: number): number {
  return Math.round(n * 10) / 10;
}
