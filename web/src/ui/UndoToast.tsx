// After a glyph is closed: a short-lived note with Undo (the canvas keeps closed glyphs to reopen).
import { useEffect, useRef, useState } from 'react';
import { useCanvasActions, useCanvasState } from '../app/canvas.js';
import { GLYPHS } from '../glyphs/registry.js';
import { isGlyphKind } from '../glyphs/kinds.js';

const SHOW_MS = 6000;

export function UndoToast() {
  const state = useCanvasState();
  const { dispatch } = useCanvasActions();
  const [title, setTitle] = useState<string | null>(null);
  const seen = useRef(state.closed.length);

  useEffect(() => {
    const grew = state.closed.length > seen.current;
    seen.current = state.closed.length;
    const last = state.closed[state.closed.length - 1];
    if (!grew || !last) {
      if (!state.closed.length) setTitle(null);
      return;
    }
    setTitle(isGlyphKind(last.kind) ? GLYPHS[last.kind].title(last.data) : last.kind);
    const t = setTimeout(() => setTitle(null), SHOW_MS);
    return () => clearTimeout(t);
  }, [state.closed]);

  if (!title) return null;
  return (
    <div className="toast" role="status">
      <span>
        Closed <strong>{title}</strong>
      </span>
      <button
        type="button"
        className="link-button"
        onClick={() => {
          dispatch({ type: 'reopenLastClosed' });
          setTitle(null);
        }}
      >
        Undo
      </button>
    </div>
  );
}
