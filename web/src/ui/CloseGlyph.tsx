// Closing a glyph: an IX glyph whose schedule still runs asks first, "stop its schedule" or "keep
// running", so a schedule never keeps going with nothing on the canvas that says so.
import { createContext, useCallback, useContext, useEffect, useMemo, useRef, useState, type ReactNode } from 'react';
import type { ScheduleDto } from '../../../src/protocol.js';
import { useCanvasActions } from '../app/canvas.js';
import { usePulse } from '../app/pulse.js';
import { readIxData } from '../glyphs/ix/ix-model.js';

type Ask = { glyphId: string; schedule: ScheduleDto } | null;

const CloseContext = createContext<(id: string) => void>(() => undefined);

export function useCloseGlyph(): (id: string) => void {
  return useContext(CloseContext);
}

export function CloseGlyphProvider({ children }: { children: ReactNode }) {
  const canvas = useCanvasActions();
  const pulse = usePulse();
  const schedules = useRef(pulse.state.schedules);
  schedules.current = pulse.state.schedules;
  const [ask, setAsk] = useState<Ask>(null);

  const request = useCallback(
    (id: string) => {
      const g = canvas.getGlyph(id);
      const scheduleId = g?.kind === 'ix' ? readIxData(g.data).scheduleId : null;
      const s = scheduleId ? schedules.current[scheduleId] : undefined;
      if (s && s.interval_seconds > 0 && s.state === 'active') setAsk({ glyphId: id, schedule: s });
      else canvas.close(id);
    },
    [canvas],
  );

  const stop = async () => {
    if (!ask) return;
    await pulse.actions.setState(ask.schedule.id, 'paused').catch(() => undefined);
    canvas.close(ask.glyphId);
    setAsk(null);
  };
  const keep = () => {
    if (!ask) return;
    canvas.close(ask.glyphId);
    setAsk(null);
  };

  const value = useMemo(() => request, [request]);
  return (
    <CloseContext.Provider value={value}>
      {children}
      {ask ? <CloseDialog schedule={ask.schedule} onStop={() => void stop()} onKeep={keep} onCancel={() => setAsk(null)} /> : null}
    </CloseContext.Provider>
  );
}

function CloseDialog({ schedule, onStop, onKeep, onCancel }: { schedule: ScheduleDto; onStop(): void; onKeep(): void; onCancel(): void }) {
  const first = useRef<HTMLButtonElement>(null);
  useEffect(() => {
    const restore = document.activeElement;
    first.current?.focus();
    return () => {
      if (restore instanceof HTMLElement && restore.isConnected) restore.focus();
    };
  }, []);
  return (
    <div className="palette-backdrop" onMouseDown={onCancel}>
      <div
        className="dialog"
        role="alertdialog"
        aria-modal="true"
        aria-labelledby="close-glyph-title"
        aria-describedby="close-glyph-text"
        onMouseDown={(e) => e.stopPropagation()}
        onKeyDown={(e) => {
          if (e.key === 'Escape') {
            e.preventDefault();
            onCancel();
          }
        }}
      >
        <h2 id="close-glyph-title" className="dialog-title">
          Close this IX glyph?
        </h2>
        <p id="close-glyph-text">
          Its schedule <code>{schedule.ats_code}</code> still runs. Stop it, or keep it running (it stays in the Pulse panel).
        </p>
        <div className="dialog-actions">
          <button ref={first} type="button" className="button primary" onClick={onStop}>
            Stop its schedule
          </button>
          <button type="button" className="button" onClick={onKeep}>
            Keep running
          </button>
          <button type="button" className="button subtle" onClick={onCancel}>
            Cancel
          </button>
        </div>
      </div>
    </div>
  );
}
