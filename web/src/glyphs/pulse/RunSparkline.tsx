// Durations of a schedule's runs, oldest left: an axis with the slowest run's time, and one dot per
// run whose tooltip (SVG <title>, also the dot's accessible name) says when, how long and what it made.
import { formatDuration, formatTimestamp } from '../../lib/format.js';
import { sparkGeometry } from './spark-geometry.js';

export interface SparkRun {
  id: string;
  status: string;
  startedAt: number;
  durationMs: number;
  attestations: number;
}

export function RunSparkline({ runs }: { runs: readonly SparkRun[] }) {
  if (runs.length < 2) return <span className="sparkline-empty">—</span>;
  const g = sparkGeometry(runs.map((r) => r.durationMs));
  const { pad, max, left, width, height } = g;
  const pts = runs.map((r, i) => ({ r, ...g.points[i]! }));
  return (
    <svg className="sparkline" width={width} height={height} viewBox={`0 0 ${width} ${height}`} role="group" aria-label={`Durations of the last ${runs.length} runs, longest ${formatDuration(max)}`}>
      <line x1={left - 2} y1={pad} x2={left - 2} y2={height - pad} className="spark-axis" />
      <line x1={left - 2} y1={height - pad} x2={width} y2={height - pad} className="spark-axis" />
      <text x={g.labelX} y={pad + 6} textAnchor="end" className="spark-label">
        {g.label}
      </text>
      <text x={g.labelX} y={height - pad} textAnchor="end" className="spark-label">
        0
      </text>
      <polyline points={pts.map((p) => `${p.x.toFixed(1)},${p.y.toFixed(1)}`).join(' ')} fill="none" stroke="currentColor" strokeWidth="1.5" strokeLinejoin="round" />
      {pts.map(({ r, x, y }) => {
        const tip = `${formatTimestamp(r.startedAt)} · ${r.status} · ${formatDuration(r.durationMs)} · ${r.attestations} attestation${r.attestations === 1 ? '' : 's'}`;
        return (
          <circle key={r.id} cx={x} cy={y} r="3" className={`spark-dot spark-${r.status}`} data-run-id={r.id} role="img" aria-label={tip}>
            <title>{tip}</title>
          </circle>
        );
      })}
    </svg>
  );
}
