// The AX glyph's Watch switch: a query that ends in `so <type>` becomes a watcher (a schedule whose
// trigger is new data, docs/watchers.md), which hands each new match to the type's handler. The glyph
// owns it ("glyph:<id>"): switching off removes it; a changed query updates it on the next switch on.
import { useState } from 'react';
import type { ScheduleDto } from '../../../../src/protocol.js';
import { useCanvasActions } from '../../app/canvas.js';
import { usePulse } from '../../app/pulse.js';
import { useServices } from '../../app/services.js';
import { formatTimestamp } from '../../lib/format.js';
import { StatusPill } from '../../ui/bits.js';
import { glyphOwner } from '../ix/own-schedule.js';
import { soTypeOf, type AxData } from './ax-model.js';

export function WatchSwitch({ glyphId, data }: { glyphId: string; data: AxData }) {
  const { api } = useServices();
  const canvas = useCanvasActions();
  const pulse = usePulse();
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const type = soTypeOf(data.query);
  const watcher: ScheduleDto | undefined = data.watchId ? pulse.state.schedules[data.watchId] : undefined;
  if (!type && !watcher) return null;
  const on = !!watcher;

  const toggle = async () => {
    setBusy(true);
    setError(null);
    try {
      if (on) {
        await api.pulse.remove(watcher.id);
        canvas.updateData(glyphId, { watchId: null });
      } else {
        const s = await api.pulse.create({ ats_code: `ax ${data.query.trim()}`, watch: true, owner: glyphOwner(glyphId), created_from: glyphId });
        canvas.updateData(glyphId, { watchId: s.id });
        await pulse.actions.loadSchedule(s.id);
      }
    } catch (err) {
      setError((err as Error).message);
    } finally {
      setBusy(false);
    }
  };

  return (
    <div className="ax-watch small" data-watching={on ? 'true' : 'false'}>
      <label className="check-label">
        <input type="checkbox" role="switch" checked={on} disabled={busy} onChange={() => void toggle()} />
        Watch: hand each new match to <code>{type ?? watcher?.ats_code}</code>
      </label>
      {watcher ? (
        <span className="muted ax-watch-state">
          <StatusPill status={watcher.state} />
          {watcher.last_run_at ? ` last run ${formatTimestamp(watcher.last_run_at).slice(11)}` : ' no run yet'}
          {watcher.paused_reason ? ` · ${watcher.paused_reason}` : ''}
        </span>
      ) : null}
      {error ? (
        <span className="form-error" role="alert">
          {error}
        </span>
      ) : null}
    </div>
  );
}
