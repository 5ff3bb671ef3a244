// The floating toolbar: spawn buttons, the command palette, save state and the live connection.
import { useEffect, useState } from 'react';
import { useCanvasActions, useCanvasMeta, useCanvasState } from '../app/canvas.js';
import { usePulse } from '../app/pulse.js';
import { GLYPH_KINDS, KIND_ORDER } from '../glyphs/kinds.js';
import { SecretsButton } from './SecretsPanel.js';
import { isUnsaved, readPyData } from '../glyphs/py/py-model.js';

const SHORT: Record<string, string> = { ix: 'IX', py: 'Python', pulse: 'Pulse', ax: 'AX' };

export function Toolbar({ onOpenPalette }: { onOpenPalette(): void }) {
  const { spawn } = useCanvasActions();
  return (
    <>
      <nav className="toolbar" aria-label="Toolbar">
        <span className="brand" aria-label="qntx">
          <span className="brand-mark" aria-hidden="true" />
          qntx
        </span>
        <span className="toolbar-sep" aria-hidden="true" />
        {KIND_ORDER.map((k) => (
          <button
            key={k}
            type="button"
            className="tool-button"
            onClick={() => spawn(k)}
            title={GLYPH_KINDS[k].description}
            aria-label={`New ${GLYPH_KINDS[k].label}`}
            data-spawn={k}
          >
            <span className={`dot dot-${k}`} aria-hidden="true" />
            {SHORT[k]}
          </button>
        ))}
        <span className="toolbar-sep" aria-hidden="true" />
        <SecretsButton />
        <button type="button" className="tool-button" onClick={onOpenPalette} title="Open the command palette" aria-keyshortcuts="Control+K Meta+K">
          Commands <kbd>Ctrl K</kbd>
        </button>
      </nav>
      <div className="statusbar" role="status" aria-live="polite">
        <SaveIndicator />
        <ConnectionIndicator />
      </div>
    </>
  );
}

function SaveIndicator() {
  const { saveStatus, saveError } = useCanvasMeta();
  const { glyphs } = useCanvasState();
  // The canvas may be saved while a handler's code is not: say so, it is not what runs.
  const unsaved = glyphs.filter((g) => g.kind === 'py' && isUnsaved(readPyData(g.data))).length;
  const canvasText = { saved: 'All changes saved', pending: 'Unsaved changes', saving: 'Saving…', error: 'Save failed' }[saveStatus];
  const text = unsaved ? `${saveStatus === 'saved' ? 'Canvas saved' : canvasText} · ● ${unsaved} handler${unsaved === 1 ? '' : 's'} unsaved` : canvasText;
  return (
    <span className={`pill save-${saveStatus}${unsaved ? ' has-unsaved' : ''}`} data-save-status={saveStatus} data-unsaved-handlers={unsaved} title={saveError ?? text}>
      {text}
    </span>
  );
}

function ConnectionIndicator() {
  const { connection, actions } = usePulse();
  const [now, setNow] = useState(() => Date.now());
  useEffect(() => {
    if (connection.status !== 'closed') return;
    const t = setInterval(() => setNow(Date.now()), 500);
    return () => clearInterval(t);
  }, [connection.status]);
  if (connection.status === 'open') {
    return (
      <span className="pill conn conn-open" data-connection="open" title="Live updates over the WebSocket">
        <span className="conn-dot" aria-hidden="true" /> Live
      </span>
    );
  }
  if (connection.status === 'connecting') {
    return (
      <span className="pill conn conn-connecting" data-connection="connecting">
        <span className="conn-dot" aria-hidden="true" /> Connecting…
      </span>
    );
  }
  const left = Math.max(0, Math.ceil((connection.retryAt - now) / 1000));
  return (
    <span className="pill conn conn-closed" data-connection="closed">
      <span className="conn-dot" aria-hidden="true" /> Offline, retrying in {left} s
      <button type="button" className="link-button" onClick={actions.retryConnection}>
        Retry now
      </button>
    </span>
  );
}
