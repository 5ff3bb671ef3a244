// The IX glyph: `ix <type> [args]`, once or every N s/m/h, Run. Shows its state by colour and words,
// offers Create handler when the type has none, and once scheduled follows the runs live.
import { useCallback, useEffect, useId, useRef, useState, type FormEvent } from 'react';
import type { ScheduleDto } from '../../../../src/protocol.js';
import { ApiError } from '../../api/http.js';
import type { HandlerInfo } from '../../api/types.js';
import { useCanvasActions, useCanvasState } from '../../app/canvas.js';
import { usePulse } from '../../app/pulse.js';
import { useServices } from '../../app/services.js';
import { formatCountdown, formatDuration, formatTimestamp } from '../../lib/format.js';
import { StatusPill } from '../../ui/bits.js';
import { useNow } from '../../ui/useNow.js';
import { handlerTemplate, readPyData } from '../py/py-model.js';
import type { GlyphBodyProps } from '../registry.js';
import { CronField } from './CronField.js';
import { ixView, readIxData, recurring, timingText, validateIx, type IntervalUnit, type IxRequest } from './ix-model.js';
import { ownSchedule } from './own-schedule.js';

export function IxGlyph({ glyph, setTone }: GlyphBodyProps) {
  const { api, bus } = useServices();
  const canvas = useCanvasActions();
  const canvasState = useCanvasState();
  const pulse = usePulse();
  const d = readIxData(glyph.data);
  const [req, setReq] = useState<IxRequest>({ phase: d.scheduleId ? 'scheduled' : 'idle' });
  const [formError, setFormError] = useState<string | null>(null);
  const schedule = d.scheduleId ? pulse.state.schedules[d.scheduleId] : undefined;
  const executions = d.scheduleId ? pulse.state.executions[d.scheduleId] : undefined;
  const view = ixView(req, schedule, executions);
  const now = useNow(1000, !!schedule?.next_run_at && schedule.state === 'active');
  const ids = useId();

  useEffect(() => setTone(view.tone), [setTone, view.tone]);

  // A missing handler may have been removed: say when, and offer its last version back.
  const [removed, setRemoved] = useState<HandlerInfo['removed']>(null);
  const missingType = view.scriptType;
  useEffect(() => {
    setRemoved(null);
    if (!missingType) return;
    let live = true;
    api.python.handler(missingType).then(
      (info) => live && setRemoved(info.removed),
      () => undefined,
    );
    return () => {
      live = false;
    };
  }, [api, missingType]);
  const restoreRemoved = async (type: string, version: number) => {
    try {
      const r = await api.python.restoreHandler(type, version);
      setRemoved(null);
      bus.emit('handlerSaved', { scriptType: type, version: r.version });
    } catch (err) {
      setFormError((err as Error).message);
    }
  };

  const run = useCallback(async () => {
    const data = readIxData(canvas.getGlyph(glyph.id)?.data ?? {});
    const problem = validateIx(data);
    setFormError(problem ?? null);
    if (problem) return;
    setReq({ phase: 'submitting' });
    try {
      const schedule = await ownSchedule(api, glyph.id, data, pulse.state.schedules);
      canvas.updateData(glyph.id, { scheduleId: schedule.id });
      await pulse.actions.loadSchedule(schedule.id);
      setReq({ phase: 'scheduled' });
      void pulse.actions.loadExecutions(schedule.id);
    } catch (err) {
      const e = err instanceof ApiError ? err : new ApiError((err as Error).message, 0);
      setReq({ phase: 'failed', error: { message: e.message, details: e.details, hint: e.hint } });
    }
  }, [api, canvas, glyph.id, pulse.actions, pulse.state.schedules]);

  // After a handler for the type this glyph is missing is saved, run again by itself.
  const waitingFor = useRef<string | undefined>(undefined);
  waitingFor.current = view.tone === 'error' ? view.scriptType : undefined;
  const runRef = useRef(run);
  runRef.current = run;
  useEffect(
    () =>
      bus.on('handlerSaved', ({ scriptType }) => {
        if (waitingFor.current === scriptType) void runRef.current();
      }),
    [bus],
  );

  useEffect(
    () =>
      bus.on('glyphCommand', ({ glyphId, command }) => {
        if (glyphId === glyph.id && command === 'run') void runRef.current();
      }),
    [bus, glyph.id],
  );

  const createHandler = (type: string) => {
    const existing = canvasState.glyphs.find((g) => g.kind === 'py' && readPyData(g.data).handlerFor === type);
    if (existing) canvas.focus(existing.id);
    else canvas.spawn('py', { besideId: glyph.id, data: { code: handlerTemplate(type), handlerFor: type } });
  };

  /** The handler that failed, in a Python glyph: the one open for it, else a new one with its saved code. */
  const openHandler = async (type: string) => {
    const existing = canvasState.glyphs.find((g) => g.kind === 'py' && readPyData(g.data).handlerFor === type);
    if (existing) return canvas.focus(existing.id);
    try {
      const info = await api.python.handler(type);
      const code = info.versions.find((v) => v.version === info.version)?.code ?? handlerTemplate(type);
      canvas.spawn('py', { besideId: glyph.id, data: { code, savedCode: code, handlerFor: type } });
    } catch (err) {
      setFormError((err as Error).message);
    }
  };

  const onSubmit = (e: FormEvent) => {
    e.preventDefault();
    if (req.phase !== 'submitting') void run();
  };

  const set = (patch: Record<string, unknown>) => canvas.updateData(glyph.id, patch);
  const busy = req.phase === 'submitting';
  const cronSet = d.cron.trim() !== '';

  return (
    <form className="ix" onSubmit={onSubmit} aria-busy={busy}>
      <div className="ix-command">
        <label htmlFor={`${ids}-cmd`} className="ix-prefix">
          ix
        </label>
        <input
          id={`${ids}-cmd`}
          className="input mono ix-input"
          value={d.command}
          placeholder="webhook, git ./repo, …"
          spellCheck={false}
          autoComplete="off"
          aria-label="ix command"
          onChange={(e) => set({ command: e.target.value })}
        />
      </div>
      <fieldset className="ix-interval">
        <legend className="sr-only">Interval</legend>
        {/* A cron expression replaces the interval: neither Once nor Every is then what runs. */}
        <label className="radio">
          <input type="radio" name={`${ids}-repeat`} checked={!cronSet && !d.repeat} disabled={cronSet} onChange={() => set({ repeat: false })} /> Once
        </label>
        <label className="radio">
          <input type="radio" name={`${ids}-repeat`} checked={!cronSet && d.repeat} disabled={cronSet} onChange={() => set({ repeat: true })} /> Every
        </label>
        <input
          className="input ix-every"
          type="number"
          min={1}
          step={1}
          value={d.every}
          aria-label="Interval amount"
          disabled={cronSet || !d.repeat}
          onChange={(e) => set({ every: Number(e.target.value) })}
        />
        <select className="input ix-unit" value={d.unit} aria-label="Interval unit" disabled={cronSet || !d.repeat} onChange={(e) => set({ unit: e.target.value as IntervalUnit })}>
          <option value="s">seconds</option>
          <option value="m">minutes</option>
          <option value="h">hours</option>
        </select>
        <input
          className="input ix-timeout"
          type="number"
          min={1}
          step={1}
          value={d.timeoutSeconds ?? ''}
          placeholder="timeout s"
          aria-label="Timeout in seconds (empty: the handler's default)"
          onChange={(e) => set({ timeoutSeconds: e.target.value === '' ? null : Number(e.target.value) })}
        />
        {/* aria-disabled, not disabled: a disabled button drops the keyboard focus to the page. */}
        <button type="submit" className="button primary ix-run" aria-disabled={busy}>
          {busy ? 'Running…' : 'Run'}
        </button>
      </fieldset>
      <CronField cron={d.cron} tz={d.tz} onChange={set} />
      {formError ? (
        <p className="form-error" role="alert">
          {formError}
        </p>
      ) : null}

      <div className={`ix-status tone-${view.tone}`} role="status" aria-live="polite" data-state={view.tone}>
        <span className="ix-status-label">
          <span className="ix-status-dot" aria-hidden="true" />
          {view.label}
        </span>
        <p className="ix-status-message">{view.message}</p>
        {view.hint ? <p className="ix-status-hint">{view.hint}</p> : null}
        {view.scriptType && removed ? (
          <p className="removed-note small" data-removed-version={removed.version}>
            No handler (removed {formatTimestamp(removed.at)}
            {removed.actor ? ` by ${removed.actor}` : ''}, was v{removed.version}).{' '}
            <button type="button" className="button small" onClick={() => void restoreRemoved(view.scriptType!, removed.version)}>
              Restore last version
            </button>
          </p>
        ) : null}
        {view.failedHandler ? (
          <button type="button" className="button danger-outline" data-testid="open-failed-handler" onClick={() => void openHandler(view.failedHandler!.type)}>
            Open handler {view.failedHandler.type}
          </button>
        ) : null}
        {view.scriptType ? (
          <button type="button" className="button danger-outline" onClick={() => createHandler(view.scriptType!)}>
            Create handler for {view.scriptType}
          </button>
        ) : null}
      </div>

      {schedule ? <ScheduleSummary schedule={schedule} now={now} /> : null}
      {executions && executions.length ? (
        <div className="ix-runs">
          <h3 className="section-title">Last runs</h3>
          <ul className="run-list">
            {executions.slice(0, 3).map((x) => (
              <li key={x.id} className="run-row" data-status={x.status}>
                <StatusPill status={x.status} />
                <span className="run-time">{formatTimestamp(x.started_at).slice(11)}</span>
                <span className="run-dur">{formatDuration(x.duration_ms)}</span>
                <span className="run-made">{x.status === 'failed' ? (x.error ?? 'failed') : `${x.attestations_created} attestation${x.attestations_created === 1 ? '' : 's'}`}</span>
              </li>
            ))}
          </ul>
        </div>
      ) : null}
    </form>
  );
}

function ScheduleSummary({ schedule, now }: { schedule: ScheduleDto; now: number }) {
  const pulse = usePulse();
  const repeats = recurring(schedule);
  return (
    <div className="ix-schedule">
      <span className="mono">{schedule.ats_code}</span>
      <span className="muted">{timingText(schedule)}</span>
      {repeats && schedule.state === 'active' ? (
        <span className="countdown" aria-label="Next run">
          next {formatCountdown(schedule.next_run_at, now)}
        </span>
      ) : (
        <StatusPill status={schedule.state} />
      )}
      {schedule.paused_reason ? (
        <span className="form-error paused-reason" data-testid="paused-reason">
          Paused: {schedule.paused_reason}
        </span>
      ) : null}
      {repeats ? (
        schedule.state === 'active' ? (
          <button type="button" className="link-button" onClick={() => void pulse.actions.setState(schedule.id, 'paused')}>
            Pause
          </button>
        ) : schedule.state === 'paused' ? (
          <button type="button" className="link-button" onClick={() => void pulse.actions.setState(schedule.id, 'active')}>
            Resume
          </button>
        ) : null
      ) : null}
    </div>
  );
}
