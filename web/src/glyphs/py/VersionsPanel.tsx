// A handler's versions: who saved each and when, which is current (or that the handler was
// removed, with Restore last version), Open into the editor, Restore (saved again as a new
// version) and a side-by-side diff of any two.
import { useState } from 'react';
import type { HandlerInfo, HandlerVersion } from '../../api/types.js';
import type { VersionDiffProps } from './VersionDiff.js';
import { formatTimestamp } from '../../lib/format.js';
import { lazyEditor } from '../../ui/lazyEditor.js';

/** The side-by-side diff (@codemirror/merge), loaded when one is first opened. */
const VersionDiff = lazyEditor<VersionDiffProps>(
  () => import('./VersionDiff.js').then((m) => m.VersionDiff),
  () => (
    <p className="empty-note" aria-busy="true">
      Loading the diff…
    </p>
  ),
);

export interface VersionsPanelProps {
  type: string;
  info: HandlerInfo | null;
  error: string | null;
  busy: boolean;
  onOpen(v: HandlerVersion): void;
  onRestore(version: number): void;
}

export function VersionsPanel({ type, info, error, busy, onOpen, onRestore }: VersionsPanelProps) {
  const [picked, setPicked] = useState<number[]>([]);
  const [diff, setDiff] = useState<[HandlerVersion, HandlerVersion] | null>(null);
  const list = info?.versions ?? null;
  const toggle = (n: number) => setPicked((p) => (p.includes(n) ? p.filter((x) => x !== n) : [...p, n].slice(-2)));
  const compare = () => {
    const [x, y] = [...picked].sort((m, n) => m - n).map((n) => list!.find((v) => v.version === n)!);
    if (x && y) setDiff([x, y]);
  };
  return (
    <aside className="py-versions" aria-label="Handler versions">
      <h3 className="section-title">Versions of {type}</h3>
      {error ? <p className="form-error">{error}</p> : null}
      {list === null ? <p className="muted small">Loading…</p> : null}
      {list && list.length === 0 && !error ? <p className="muted small">Not saved yet.</p> : null}
      {info?.removed ? (
        <div className="removed-note" data-removed-version={info.removed.version}>
          <p className="small">
            No handler (removed {formatTimestamp(info.removed.at)}
            {info.removed.actor ? ` by ${info.removed.actor}` : ''}).
          </p>
          <button type="button" className="button small" disabled={busy} onClick={() => onRestore(info.removed!.version)}>
            Restore last version
          </button>
        </div>
      ) : null}
      <ol className="version-list">
        {list?.map((v) => (
          <li key={v.id} data-version={v.version}>
            <label className="version-pick">
              <input type="checkbox" checked={picked.includes(v.version)} onChange={() => toggle(v.version)} aria-label={`Compare version ${v.version}`} />
              <span className="version-no">v{v.version}</span>
            </label>
            {v.version === info?.version ? <span className="tag">current</span> : null}
            <span className="muted small version-who">
              {v.actor ?? ''}
              {v.created_at ? ` · ${formatTimestamp(v.created_at)}` : ''}
            </span>
            <span className="version-actions">
              <button type="button" className="link-button" onClick={() => onOpen(v)} aria-label={`Open version ${v.version} in the editor`}>
                Open
              </button>
              {v.version !== info?.version ? (
                <button type="button" className="link-button" disabled={busy} onClick={() => onRestore(v.version)} aria-label={`Restore version ${v.version}`}>
                  Restore
                </button>
              ) : null}
            </span>
          </li>
        ))}
      </ol>
      {list && list.length > 1 ? (
        <button type="button" className="button small" disabled={picked.length !== 2} onClick={compare}>
          {picked.length === 2 ? `Compare v${Math.min(...picked)} ↔ v${Math.max(...picked)}` : 'Tick two to compare'}
        </button>
      ) : null}
      {diff ? <VersionDiff a={diff[0]} b={diff[1]} onClose={() => setDiff(null)} /> : null}
    </aside>
  );
}
