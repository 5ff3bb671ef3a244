// The Pulse panel: every schedule with state, interval, next-run countdown, last result and a
// sparkline of durations; its executions with status, duration, error and output; pause, resume,
// trigger and delete. Live through the shared Pulse store (WebSocket + refetch).
import { useState } from 'react';
import type { ExecutionDto, ScheduleDto } from '../../../../src/protocol.js';
import { useCanvasActions, useCanvasState } from '../../app/canvas.js';
import { usePulse } from '../../app/pulse.js';
import { scheduleList } from '../../live/pulse-store.js';
import { formatAgo, formatCountdown, formatDuration, formatTimestamp } from '../../lib/format.js';
import { OutputBlock, StatusPill } from '../../ui/bits.js';
import { useNow } from '../../ui/useNow.js';
import { ixTitle, timingText } from '../ix/ix-model.js';
import { ownerGlyphId, scheduleOwner } from '../ix/own-schedule.js';
import type { GlyphBodyProps } from '../registry.js';
import { HooksList } from './HooksList.js';
import { RunSparkline, type SparkRun } from './RunSparkline.js';
import { useScheduleStats } from './useScheduleStats.js';

export function PulseGlyph(_props: GlyphBodyProps) {
  const { state, loadError, actions, connection } = usePulse();
  const schedules = scheduleList(state);
  const now = useNow(1000, schedules.some((s) => s.state === 'active' && s.next_run_at));
  const [openId, setOpenId] = useState<string | null>(null);
  const expanded = openId ?? schedules[0]?.id ?? null;
  return (
    <div className="pulse">
      <div className="pulse-head">
        <span className="muted small">
          {schedules.length} schedule{schedules.length === 1 ? '' : 's'}
          {connection.status === 'open' ? ' · live' : ' · polling'}
        </span>
        <span className="spacer" />
        <button type="button" className="button subtle small" onClick={() => void actions.refresh()}>
          Refresh
        </button>
      </div>
      {loadError ? (
        <p className="form-error" role="alert">
          Could not load schedules: {loadError}
        </p>
      ) : null}
      {state.loaded && schedules.length === 0 && !loadError ? (
        <p className="empty-note">No schedules yet. Run an IX glyph to make one.</p>
      ) : null}
      <ul className="schedule-list">
        {schedules.map((s) => (
          <ScheduleCard
            key={s.id}
            schedule={s}
            executions={state.executions[s.id] ?? []}
            now={now}
            open={expanded === s.id}
            onToggle={() => setOpenId(expanded === s.id ? '' : s.id)}
          />
        ))}
      </ul>
      <HooksList now={now} />
    </div>
  );
}

function ScheduleCard(props: {
  schedule: ScheduleDto;
  executions: readonly ExecutionDto[];
  now: number;
  open: boolean;
  onToggle(): void;
}) {
  const { schedule: s, executions, now, open, onToggle } = props;
  const { actions } = usePulse();
  const canvas = useCanvasActions();
  const glyphs = useCanvasState().glyphs;
  const stats = useScheduleStats(s.id, executions);
  const owner = scheduleOwner(s);
  const ownerId = ownerGlyphId(owner);
  const ownerGlyph = ownerId ? glyphs.find((g) => g.id === ownerId) : undefined;
  const ownerName = ownerGlyph ? `IX glyph "${ixTitle(ownerGlyph.data)}"` : ownerId ? 'a closed IX glyph' : owner === 'cli' ? 'CLI' : owner === 'api' ? 'API' : (owner ?? 'API/CLI');
  const name = `${s.ats_code} (${ownerName})`;
  const sparkRuns: SparkRun[] = stats
    ? stats.last
        .filter((x) => typeof x.duration_ms === 'number')
        .map((x) => ({ id: x.execution_id, status: x.status, startedAt: typeof x.started_at === 'number' ? x.started_at : Date.parse(x.started_at), durationMs: x.duration_ms as number, attestations: x.attestations_created }))
        .slice(0, 20)
        .reverse()
    : executions
        .filter((x) => x.status !== 'running' && typeof x.duration_ms === 'number')
        .slice(0, 20)
        .map((x) => ({ id: x.id, status: x.status, startedAt: x.started_at, durationMs: x.duration_ms as number, attestations: x.attestations_created }))
        .reverse();
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const act = async (fn: () => Promise<void>) => {
    setBusy(true);
    setError(null);
    try {
      await fn();
    } catch (err) {
      setError((err as Error).message);
    } finally {
      setBusy(false);
    }
  };
  const last = executions[0];
  const recurring = s.interval_seconds > 0;
  const listId = `exec-${s.id}`;
  return (
    <li className="schedule" data-schedule-id={s.id} data-state={s.state} aria-label={`Schedule ${name}`}>
      <div className="schedule-top">
        <code className="schedule-code">{s.ats_code}</code>
        <StatusPill status={s.state} />
        <span className="spacer" />
        <RunSparkline runs={sparkRuns} />
      </div>
      <div className="schedule-owner small" data-owner={owner ?? ''}>
        <span className="muted">owned by</span> <span className="owner-name">{ownerName}</span>
        {ownerGlyph ? (
          <button type="button" className="link-button" onClick={() => canvas.focus(ownerGlyph.id)} aria-label={`Reveal the glyph that owns ${s.ats_code}`}>
            reveal
          </button>
        ) : null}
      </div>
      <div className="schedule-meta">
        <span>{timingText(s)}</span>
        {recurring && s.state === 'active' ? <span className="countdown">next {formatCountdown(s.next_run_at, now)}</span> : null}
        <span>
          last: <StatusPill status={last?.status ?? s.last_status} /> {last ? formatAgo(last.started_at, now) : ''}
        </span>
        <span className="muted run-counts" data-total={stats?.total ?? ''} title={stats ? 'Every run of this schedule' : 'Counting…'}>
          {stats ? `${stats.total} runs · ${stats.completed} ok · ${stats.failed} failed · ${stats.attestations_created} attestations` : 'counting runs…'}
        </span>
      </div>
      {s.paused_reason ? (
        <p className="form-error paused-reason" data-testid="paused-reason">
          Paused: {s.paused_reason}
        </p>
      ) : s.consecutive_failures > 0 ? (
        <p className="muted">
          {s.consecutive_failures} failed in a row (paused after {s.max_failures || 'never'})
        </p>
      ) : null}
      <div className="schedule-actions">
        {recurring && s.state === 'active' ? (
          <button type="button" className="button small" disabled={busy} onClick={() => void act(() => actions.setState(s.id, 'paused'))}>
            Pause
          </button>
        ) : null}
        {s.state === 'paused' ? (
          <button type="button" className="button small" disabled={busy} onClick={() => void act(() => actions.setState(s.id, 'active'))}>
            Resume
          </button>
        ) : null}
        <button type="button" className="button small" disabled={busy} onClick={() => void act(() => actions.trigger(s.id))} aria-label={`Run now: ${name}`}>
          Run now
        </button>
        <button
          type="button"
          className="button small danger-outline"
          disabled={busy}
          onClick={() => {
            if (window.confirm(`Delete the schedule "${name}"?`)) void act(() => actions.remove(s.id));
          }}
          aria-label={`Delete schedule ${name}`}
        >
          Delete
        </button>
        <span className="spacer" />
        <button type="button" className="link-button" aria-expanded={open} aria-controls={listId} onClick={onToggle}>
          {open ? 'Hide runs' : `Show runs (${stats?.total ?? executions.length})`}
        </button>
      </div>
      {error ? (
        <p className="form-error" role="alert">
          {error}
        </p>
      ) : null}
      {open ? <ExecutionList id={listId} executions={executions} now={now} /> : null}
    </li>
  );
}

function ExecutionList({ id, executions, now }: { id: string; executions: readonly ExecutionDto[]; now: number }) {
  const [selected, setSelected] = useState<string | null>(null);
  if (!executions.length) return <p className="empty-note" id={id}>No runs yet.</p>;
  const shownId = selected ?? executions[0]!.id;
  const shown = executions.find((x) => x.id === shownId);
  return (
    <div className="executions" id={id}>
      <table className="exec-table">
        <thead>
          <tr>
            <th scope="col">Status</th>
            <th scope="col">Started</th>
            <th scope="col" className="exec-dur">Duration</th>
            <th scope="col" title="Attestations the run created">Attestations</th>
            <th scope="col">
              <span className="sr-only">Output</span>
            </th>
          </tr>
        </thead>
        <tbody>
          {executions.slice(0, 12).map((x) => (
            <tr key={x.id} className={`exec-row${x.id === shownId ? ' is-selected' : ''}`} data-status={x.status} data-execution-id={x.id}>
              <td>
                <StatusPill status={x.status} />
              </td>
              <td title={formatTimestamp(x.started_at)}>{formatAgo(x.started_at, now)}</td>
              <td className="exec-dur">{formatDuration(x.duration_ms)}</td>
              <td>{x.status === 'running' ? '…' : x.attestations_created}</td>
              <td>
                <button type="button" className="link-button" aria-pressed={x.id === shownId} onClick={() => setSelected(x.id)}>
                  Output
                </button>
              </td>
            </tr>
          ))}
        </tbody>
      </table>
      {shown ? <ExecutionDetail x={shown} /> : null}
    </div>
  );
}

function ExecutionDetail({ x }: { x: ExecutionDto }) {
  const { actions } = usePulse();
  const [retry, setRetry] = useState<{ busy: boolean; error: string | null }>({ busy: false, error: null });
  const nothing = !x.error && !x.stdout && !x.stderr;
  const scheduleId = x.schedule_id;
  // A failed run is retried by running its schedule now: the same command and payload.
  const doRetry = async () => {
    if (!scheduleId) return;
    setRetry({ busy: true, error: null });
    try {
      await actions.trigger(scheduleId);
      setRetry({ busy: false, error: null });
    } catch (err) {
      setRetry({ busy: false, error: (err as Error).message });
    }
  };
  return (
    <div className="exec-detail" data-execution-id={x.id}>
      <div className="muted small exec-detail-head">
        <span>
          Run {x.id} · {formatTimestamp(x.started_at)}
          {x.duration_ms !== null ? ` · ${formatDuration(x.duration_ms)}` : ''}
          {x.handler_version ? ` · handler v${x.handler_version}` : ''}
        </span>
        {x.status === 'failed' && scheduleId ? (
          <button type="button" className="button small" disabled={retry.busy} onClick={() => void doRetry()} aria-label={`Retry run ${x.id}`}>
            Retry
          </button>
        ) : null}
      </div>
      {retry.error ? (
        <p className="form-error" role="alert">
          {retry.error}
        </p>
      ) : null}
      {x.error ? <OutputBlock label="Error" text={x.error + (x.error_details.length ? `\n${x.error_details.join('\n')}` : '')} tone="error" /> : null}
      <OutputBlock label="stdout" text={x.stdout} truncated={x.stdout_truncated} />
      <OutputBlock label="stderr" text={x.stderr} tone="muted" truncated={x.stderr_truncated} />
      {nothing ? <p className="muted small">{x.status === 'running' ? 'Running…' : 'No output.'}</p> : null}
    </div>
  );
}
