// Small shared pieces: output blocks (always text, never HTML), a sparkline, a status pill.
import type { ExecutionStatus } from '../../../src/protocol.js';
import { sparklinePoints } from '../lib/format.js';

export function OutputBlock({ label, text, tone, truncated }: { label: string; text: string; tone?: 'error' | 'muted'; truncated?: boolean }) {
  if (!text) return null;
  return (
    <div className={`output output-${tone ?? 'plain'}`}>
      <div className="output-label">
        {label}
        {truncated ? <span className="output-note"> (cut at the output cap)</span> : null}
      </div>
      <pre className="output-text" tabIndex={0}>
        {text}
      </pre>
    </div>
  );
}

export function Sparkline({ values, width = 96, height = 22, label }: { values: readonly number[]; width?: number; height?: number; label: string }) {
  if (values.length < 2) return <span className="sparkline-empty" aria-label={label}>—</span>;
  const points = sparklinePoints(values, width, height);
  const last = points.split(' ').pop()!.split(',');
  return (
    <svg className="sparkline" width={width} height={height} viewBox={`0 0 ${width} ${height}`} role="img" aria-label={label}>
      <polyline points={points} fill="none" stroke="currentColor" strokeWidth="1.5" strokeLinejoin="round" strokeLinecap="round" />
      <circle cx={last[0]} cy={last[1]} r="2.2" fill="currentColor" />
    </svg>
  );
}

const STATUS_TEXT: Record<string, string> = {
  running: 'Running',
  completed: 'Completed',
  failed: 'Failed',
  skipped: 'Skipped',
  active: 'Active',
  paused: 'Paused',
  inactive: 'Done',
};

export function StatusPill({ status }: { status: ExecutionStatus | 'active' | 'paused' | 'inactive' | null | undefined }) {
  if (!status) return <span className="status-pill status-none">No runs yet</span>;
  return (
    <span className={`status-pill status-${status}`} data-status={status}>
      {STATUS_TEXT[status] ?? status}
    </span>
  );
}
