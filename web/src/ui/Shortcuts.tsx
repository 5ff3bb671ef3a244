// The canvas's global shortcuts (see shortcuts.ts): Alt+Shift+1…4 add a glyph, Alt+Shift+F fits
// every glyph in view. Bound in the capture phase, so they work while an editor has focus.
import { useEffect } from 'react';
import { useCanvasActions } from '../app/canvas.js';
import { isFitShortcut, spawnKindOf } from './shortcuts.js';

export function Shortcuts() {
  const { spawn, fitAll } = useCanvasActions();
  useEffect(() => {
    const onKey = (e: KeyboardEvent) => {
      const kind = spawnKindOf(e);
      if (kind) spawn(kind);
      else if (isFitShortcut(e)) fitAll();
      else return;
      e.preventDefault();
      e.stopPropagation();
    };
    window.addEventListener('keydown', onKey, true);
    return () => window.removeEventListener('keydown', onKey, true);
  }, [spawn, fitAll]);
  return null;
}
