// Ctrl/Cmd-K: a searchable list of canvas commands (spawn a glyph, reopen, fit, zoom) and actions
// on the focused glyph (run, try, save; pause, resume, run now, delete its schedule), each with its
// shortcut shown. Entries are unique: two glyphs with one title are told apart.
import { useEffect, useId, useMemo, useRef, useState, type KeyboardEvent } from 'react';
import { useReactFlow } from '@xyflow/react';
import { useCanvasActions, useCanvasState } from '../app/canvas.js';
import { usePulse } from '../app/pulse.js';
import { GLYPH_KINDS, KIND_ORDER, isGlyphKind } from '../glyphs/kinds.js';
import { GLYPHS } from '../glyphs/registry.js';
import { readIxData } from '../glyphs/ix/ix-model.js';
import { useServices } from '../app/services.js';
import { filterPalette, moveHighlight, uniqueLabels, type PaletteItem } from './palette-model.js';
import { FIT_SHORTCUT, RUN_SHORTCUT, SAVE_SHORTCUT, SPAWN_SHORTCUT, TRY_SHORTCUT } from './shortcuts.js';

interface Command extends PaletteItem {
  run(): void;
}

export function CommandPalette({ open, onClose }: { open: boolean; onClose(): void }) {
  const { spawn, dispatch, focus, fitAll } = useCanvasActions();
  const state = useCanvasState();
  const pulse = usePulse();
  const { bus } = useServices();
  const flow = useReactFlow();
  const [target, setTarget] = useState<string | null>(null);
  const [targetSchedule, setTargetSchedule] = useState<string | null>(null);
  const glyphsRef = useRef(state.glyphs);
  glyphsRef.current = state.glyphs;
  const [query, setQuery] = useState('');
  const [index, setIndex] = useState(0);
  const inputRef = useRef<HTMLInputElement>(null);
  const restoreRef = useRef<Element | null>(null);
  const listId = useId();

  const commands = useMemo<Command[]>(() => {
    const focused = target ? state.glyphs.find((g) => g.id === target) : undefined;
    const title = focused && isGlyphKind(focused.kind) ? GLYPHS[focused.kind].title(focused.data) : '';
    const onGlyph: Command[] = [];
    if (focused?.kind === 'py') {
      onGlyph.push(
        { id: 'py-try', label: `Try ${title}`, description: 'Dry run: writes nothing', shortcut: TRY_SHORTCUT, run: () => bus.emit('glyphCommand', { glyphId: focused.id, command: 'try' }) },
        { id: 'py-save', label: `Save ${title}`, description: 'Register the code as the handler', shortcut: SAVE_SHORTCUT, run: () => bus.emit('glyphCommand', { glyphId: focused.id, command: 'save' }) },
      );
    }
    if (focused?.kind === 'ix') {
      onGlyph.push({ id: 'ix-run', label: `Run ${title}`, description: 'Schedule or update its schedule', shortcut: RUN_SHORTCUT, run: () => bus.emit('glyphCommand', { glyphId: focused.id, command: 'run' }) });
    }
    // The schedule of the focused card or IX glyph: pause, resume, run now, delete.
    const sid = targetSchedule ?? (focused?.kind === 'ix' ? readIxData(focused.data).scheduleId : null);
    const s = sid ? pulse.state.schedules[sid] : undefined;
    if (s) {
      if (s.state === 'active' && s.interval_seconds > 0) onGlyph.push({ id: 'sched-pause', label: `Pause schedule ${s.ats_code}`, run: () => void pulse.actions.setState(s.id, 'paused') });
      if (s.state === 'paused') onGlyph.push({ id: 'sched-resume', label: `Resume schedule ${s.ats_code}`, run: () => void pulse.actions.setState(s.id, 'active') });
      onGlyph.push(
        { id: 'sched-trigger', label: `Run schedule ${s.ats_code} now`, run: () => void pulse.actions.trigger(s.id).catch(() => undefined) },
        { id: 'sched-delete', label: `Delete schedule ${s.ats_code}`, description: 'Stops it and removes its history', run: () => void pulse.actions.remove(s.id) },
      );
    }
    return uniqueLabels([
      ...onGlyph,
      ...KIND_ORDER.map((k) => ({
        id: `spawn-${k}`,
        label: `New ${GLYPH_KINDS[k].label}`,
        description: GLYPH_KINDS[k].description,
        shortcut: SPAWN_SHORTCUT[k].label,
        run: () => spawn(k),
      })),
      ...(state.closed.length
        ? [{ id: 'reopen', label: 'Reopen closed glyph', description: 'Undo the last close', run: () => dispatch({ type: 'reopenLastClosed' }) }]
        : []),
      { id: 'fit', label: 'Fit all glyphs in view', description: 'Zoom to show everything', shortcut: FIT_SHORTCUT.label, run: () => fitAll() },
      { id: 'zoom-in', label: 'Zoom in', run: () => void flow.zoomIn({ duration: 200 }) },
      { id: 'zoom-out', label: 'Zoom out', run: () => void flow.zoomOut({ duration: 200, interpolate: 'linear' }) },
      { id: 'zoom-reset', label: 'Reset zoom to 100%', run: () => void flow.zoomTo(1, { duration: 200, interpolate: 'linear' }) },
      { id: 'pulse-refresh', label: 'Refresh Pulse schedules', description: 'Reload schedules and executions', run: () => void pulse.actions.refresh() },
      ...[...state.glyphs].reverse().flatMap((g) =>
        isGlyphKind(g.kind)
          ? [{ id: `goto-${g.id}`, label: `Go to ${GLYPHS[g.kind].title(g.data)}`, description: GLYPH_KINDS[g.kind].label, run: () => focus(g.id) }]
          : [],
      ),
    ]);
  }, [bus, dispatch, fitAll, flow, focus, pulse.actions, pulse.state.schedules, spawn, state.closed.length, state.glyphs, target, targetSchedule]);
  const shown = useMemo(() => filterPalette(commands, query), [commands, query]);

  useEffect(() => {
    if (!open) return;
    restoreRef.current = document.activeElement;
    // The glyph the actions act on: the one focus was in, else the one in front.
    const inGlyph = document.activeElement?.closest('[data-glyph-id]')?.getAttribute('data-glyph-id');
    setTarget(inGlyph ?? glyphsRef.current[glyphsRef.current.length - 1]?.id ?? null);
    // Focus on a schedule card of a Pulse panel: the schedule actions act on that schedule.
    setTargetSchedule(document.activeElement?.closest('[data-schedule-id]')?.getAttribute('data-schedule-id') ?? null);
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
              {c.shortcut ? <kbd className="palette-key">{c.shortcut}</kbd> : null}
            </li>
          ))}
          {shown.length === 0 ? <li className="palette-empty">No command matches.</li> : null}
        </ul>
      </div>
    </div>
  );
}
