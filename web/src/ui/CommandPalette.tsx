// Ctrl/Cmd-K: a searchable list of canvas commands (spawn a glyph, reopen, fit, zoom).
import { useEffect, useId, useMemo, useRef, useState, type KeyboardEvent } from 'react';
import { useReactFlow } from '@xyflow/react';
import { useCanvasActions, useCanvasState } from '../app/canvas.js';
import { usePulse } from '../app/pulse.js';
import { GLYPH_KINDS, KIND_ORDER, isGlyphKind } from '../glyphs/kinds.js';
import { GLYPHS } from '../glyphs/registry.js';
import { filterPalette, moveHighlight, type PaletteItem } from './palette-model.js';

interface Command extends PaletteItem {
  run(): void;
}

export function CommandPalette({ open, onClose }: { open: boolean; onClose(): void }) {
  const { spawn, dispatch, focus } = useCanvasActions();
  const state = useCanvasState();
  const pulse = usePulse();
  const flow = useReactFlow();
  const [query, setQuery] = useState('');
  const [index, setIndex] = useState(0);
  const inputRef = useRef<HTMLInputElement>(null);
  const restoreRef = useRef<Element | null>(null);
  const listId = useId();

  const commands = useMemo<Command[]>(
    () => [
      ...KIND_ORDER.map((k) => ({
        id: `spawn-${k}`,
        label: `New ${GLYPH_KINDS[k].label}`,
        description: GLYPH_KINDS[k].description,
        run: () => spawn(k),
      })),
      ...(state.closed.length
        ? [{ id: 'reopen', label: 'Reopen closed glyph', description: 'Undo the last close', run: () => dispatch({ type: 'reopenLastClosed' }) }]
        : []),
      { id: 'fit', label: 'Fit all glyphs in view', description: 'Zoom to show everything', run: () => void flow.fitView({ padding: 0.15, maxZoom: 1, duration: 300 }) },
      { id: 'zoom-in', label: 'Zoom in', run: () => void flow.zoomIn({ duration: 200 }) },
      { id: 'zoom-out', label: 'Zoom out', run: () => void flow.zoomOut({ duration: 200 }) },
      { id: 'zoom-reset', label: 'Reset zoom to 100%', run: () => void flow.zoomTo(1, { duration: 200 }) },
      { id: 'pulse-refresh', label: 'Refresh Pulse schedules', description: 'Reload schedules and executions', run: () => void pulse.actions.refresh() },
      ...[...state.glyphs].reverse().flatMap((g) =>
        isGlyphKind(g.kind)
          ? [{ id: `goto-${g.id}`, label: `Go to ${GLYPHS[g.kind].title(g.data)}`, description: GLYPH_KINDS[g.kind].label, run: () => focus(g.id) }]
          : [],
      ),
    ],
    [dispatch, flow, focus, pulse.actions, spawn, state.closed.length, state.glyphs],
  );
  const shown = useMemo(() => filterPalette(commands, query), [commands, query]);

  useEffect(() => {
    if (!open) return;
    restoreRef.current = document.activeElement;
    setQuery('');
    setIndex(0);
    setTimeout(() => inputRef.current?.focus(), 0);
    return () => {
      if (restoreRef.current instanceof HTMLElement) restoreRef.current.focus();
    };
  }, [open]);

  useEffect(() => {
    if (!open) return;
    // Escape closes it wherever focus went (the dialog's own handler covers the usual case).
    const onKey = (e: globalThis.KeyboardEvent) => {
      if (e.key === 'Escape' && !e.defaultPrevented) onClose();
    };
    window.addEventListener('keydown', onKey);
    return () => window.removeEventListener('keydown', onKey);
  }, [open, onClose]);

  if (!open) return null;

  const runAt = (i: number) => {
    const c = shown[i];
    if (!c) return;
    onClose();
    // After the dialog is gone, so a spawned glyph can take focus.
    setTimeout(() => c.run(), 0);
  };

  const onKeyDown = (e: KeyboardEvent) => {
    if (e.key === 'ArrowDown') setIndex((i) => moveHighlight(i, 1, shown.length));
    else if (e.key === 'ArrowUp') setIndex((i) => moveHighlight(i, -1, shown.length));
    else if (e.key === 'Enter') runAt(index);
    else if (e.key === 'Escape') onClose();
    else if (e.key === 'Tab') e.preventDefault();
    else return;
    e.preventDefault();
  };

  return (
    <div className="palette-backdrop" onMouseDown={onClose}>
      <div className="palette" role="dialog" aria-modal="true" aria-label="Command palette" onMouseDown={(e) => e.stopPropagation()} onKeyDown={onKeyDown}>
        <input
          ref={inputRef}
          className="palette-input"
          role="combobox"
          aria-expanded="true"
          aria-controls={listId}
          aria-activedescendant={shown[index] ? `${listId}-${shown[index].id}` : undefined}
          aria-label="Type a command"
          placeholder="Type a command…"
          value={query}
          onChange={(e) => {
            setQuery(e.target.value);
            setIndex(0);
          }}
        />
        <ul className="palette-list" id={listId} role="listbox" aria-label="Commands">
          {shown.map((c, i) => (
            <li
              key={c.id}
              id={`${listId}-${c.id}`}
              role="option"
              aria-selected={i === index}
              className={i === index ? 'is-active' : undefined}
              onMouseEnter={() => setIndex(i)}
              onClick={() => runAt(i)}
            >
              <span className="palette-label">{c.label}</span>
              {c.description ? <span className="palette-desc">{c.description}</span> : null}
            </li>
          ))}
          {shown.length === 0 ? <li className="palette-empty">No command matches.</li> : null}
        </ul>
      </div>
    </div>
  );
}
