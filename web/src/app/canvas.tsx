// The canvas store in React: the command reducer, loading from and saving to the server, and the
// actions glyphs use (spawn, update their data, close, focus).
import { createContext, useCallback, useContext, useEffect, useMemo, useReducer, useRef, useState, type ReactNode } from 'react';
import { useReactFlow } from '@xyflow/react';
import { CanvasPersister, type SaveStatus } from '../canvas/persister.js';
import { COMPACT_ZOOM, fitViewport, freeArea } from '../canvas/layout.js';
import { applyCommand, besidePosition, emptyCanvas, findGlyph, spawnPosition, type CanvasCommand, type CanvasState, type GlyphRecord } from '../canvas/state.js';
import { GLYPH_KINDS, isGlyphKind, type GlyphKind } from '../glyphs/kinds.js';
import { newGlyphId } from '../lib/ids.js';
import { EDITOR_LOADING_ATTR } from '../ui/lazyEditor.js';
import { useServices } from './services.js';

export interface SpawnOptions {
  data?: Record<string, unknown>;
  /** Put it to the right of this glyph instead of the middle of the view. */
  besideId?: string;
}

export interface CanvasActions {
  dispatch(cmd: CanvasCommand): void;
  spawn(kind: GlyphKind, opts?: SpawnOptions): string;
  updateData(id: string, patch: Record<string, unknown>): void;
  close(id: string): void;
  focus(id: string): void;
  getGlyph(id: string): GlyphRecord | undefined;
  reload(): Promise<void>;
  /** True once for a glyph just spawned: it then takes the keyboard focus. */
  takeFocus(id: string): boolean;
  /** Every glyph in view, clear of the toolbar, the status pills, the controls and the minimap. */
  fitAll(duration?: number): void;
}

export interface CanvasMeta {
  saveStatus: SaveStatus;
  saveError: string | null;
  loadError: string | null;
}

const ActionsContext = createContext<CanvasActions | null>(null);
const StateContext = createContext<CanvasState>(emptyCanvas);
const MetaContext = createContext<CanvasMeta>({ saveStatus: 'saved', saveError: null, loadError: null });

export function CanvasProvider({ children }: { children: ReactNode }) {
  const { api } = useServices();
  const flow = useReactFlow();
  const [state, dispatch] = useReducer(applyCommand, emptyCanvas);
  const stateRef = useRef(state);
  stateRef.current = state;
  const [meta, setMeta] = useState<CanvasMeta>({ saveStatus: 'saved', saveError: null, loadError: null });

  const persister = useMemo(
    () =>
      new CanvasPersister({
        api: { put: (id, b, k) => api.canvas.put(id, b, k), remove: (id, k) => api.canvas.remove(id, k), get: (id) => api.canvas.get(id) },
        onStatus: (saveStatus, err) => setMeta((m) => ({ ...m, saveStatus, saveError: err ? err.message : null })),
      }),
    [api],
  );

  const reload = useCallback(async () => {
    try {
      const dtos = await api.canvas.list();
      const glyphs = dtos.filter((g) => isGlyphKind(g.kind));
      persister.baseline(glyphs);
      dispatch({ type: 'load', glyphs });
      setMeta((m) => ({ ...m, loadError: null }));
    } catch (err) {
      setMeta((m) => ({ ...m, loadError: (err as Error).message }));
    }
  }, [api, persister]);

  useEffect(() => {
    void reload();
  }, [reload]);

  useEffect(() => persister.update(state), [persister, state]);

  useEffect(() => {
    const flushNow = () => {
      if (persister.isDirty()) void persister.flush(true);
    };
    const onVisibility = () => {
      if (document.visibilityState === 'hidden') flushNow();
    };
    window.addEventListener('pagehide', flushNow);
    document.addEventListener('visibilitychange', onVisibility);
    return () => {
      window.removeEventListener('pagehide', flushNow);
      document.removeEventListener('visibilitychange', onVisibility);
    };
  }, [persister]);

  const pendingFocus = useRef<string | null>(null);
  const actions = useMemo<CanvasActions>(() => {
    const focus = (id: string) => {
      const g = findGlyph(stateRef.current, id);
      if (!g) return;
      dispatch({ type: 'bringToFront', id });
      focusGlyph(id);
      void flow.setCenter(g.x + g.width / 2, g.y + g.height / 2, { zoom: Math.max(flow.getZoom(), COMPACT_ZOOM), duration: 300, interpolate: 'linear' });
    };
    const fitAll = (duration = 300) => {
      const v = fitViewport(stateRef.current.glyphs, freeArea(window.innerWidth, window.innerHeight));
      if (v) void flow.setViewport(v, { duration, interpolate: 'linear' });
    };
    return {
      dispatch,
      focus,
      fitAll,
      takeFocus: (id) => {
        if (pendingFocus.current !== id) return false;
        pendingFocus.current = null;
        return true;
      },
      getGlyph: (id) => findGlyph(stateRef.current, id),
      updateData: (id, patch) => dispatch({ type: 'updateData', id, patch }),
      close: (id) => dispatch({ type: 'close', id }),
      reload,
      spawn(kind, opts = {}) {
        const info = GLYPH_KINDS[kind];
        const size = info.defaultSize;
        const anchor = opts.besideId ? findGlyph(stateRef.current, opts.besideId) : undefined;
        const center = flow.screenToFlowPosition({ x: window.innerWidth / 2, y: window.innerHeight / 2 + 20 });
        const area = freeArea(window.innerWidth, window.innerHeight);
        const topLeft = flow.screenToFlowPosition({ x: area.left, y: area.top });
        const bottomRight = flow.screenToFlowPosition({ x: area.right, y: area.bottom });
        const view = { ...topLeft, width: bottomRight.x - topLeft.x, height: bottomRight.y - topLeft.y };
        const pos = anchor ? besidePosition(anchor) : spawnPosition(stateRef.current, center, size, view);
        const id = newGlyphId(kind);
        pendingFocus.current = id;
        dispatch({ type: 'spawn', glyph: { id, kind, ...pos, ...size, data: { ...info.defaultData(), ...opts.data } } });
        // Bring it into view when it landed (partly) off screen; with its anchor, when it has one.
        const tl = flow.flowToScreenPosition(pos);
        const br = flow.flowToScreenPosition({ x: pos.x + size.width, y: pos.y + size.height });
        // Zoomed out to title cards, zoom in so the new glyph can be used. Moves are linear: the
        // default path zooms out while it pans, and below COMPACT_ZOOM bodies are hidden, which
        // would take the keyboard focus from the glyph just added (the browser drops focus from
        // a hidden element).
        const zoom = flow.getZoom();
        if (zoom < COMPACT_ZOOM || tl.x < area.left || tl.y < area.top || br.x > area.right || br.y > area.bottom) {
          const mine = [{ ...pos, ...size }];
          const maxZoom = zoom < COMPACT_ZOOM ? 1 : zoom;
          let v = fitViewport(anchor ? [anchor, ...mine] : mine, area, maxZoom);
          if (!v || v.zoom < COMPACT_ZOOM) v = fitViewport(mine, area, maxZoom, Math.min(1, maxZoom));
          if (v) setTimeout(() => void flow.setViewport(v, { duration: 250, interpolate: 'linear' }), 0);
        }
        return id;
      },
    };
  }, [flow, reload]);

  return (
    <ActionsContext.Provider value={actions}>
      <MetaContext.Provider value={meta}>
        <StateContext.Provider value={state}>{children}</StateContext.Provider>
      </MetaContext.Provider>
    </ActionsContext.Provider>
  );
}

export function useCanvasActions(): CanvasActions {
  const a = useContext(ActionsContext);
  if (!a) throw new Error('useCanvasActions outside CanvasProvider');
  return a;
}

export function useCanvasState(): CanvasState {
  return useContext(StateContext);
}

export function useCanvasMeta(): CanvasMeta {
  return useContext(MetaContext);
}

/** The last focus request: a newer one (or the user moving focus) ends an older one's retries. */
let focusRequest = 0;

/** Puts the keyboard in a glyph: its code or query editor, else its first field, else its first button. */
export function focusGlyph(id: string): void {
  const mine = ++focusRequest;
  const from = document.activeElement;
  const attempt = (tries: number) =>
    setTimeout(() => {
      // Focus moved on meanwhile (a palette, a click, another glyph): leave it there.
      if (mine !== focusRequest || (document.activeElement !== from && document.activeElement !== document.body)) return;
      const body = document.querySelector(`[data-glyph-id="${CSS.escape(id)}"] .glyph-body`);
      // An editor still loading is what the glyph will focus: nothing else until it is there.
      const editorLoading = !!body?.querySelector(`[${EDITOR_LOADING_ATTR}]`);
      const target =
        body?.querySelector<HTMLElement>('.cm-content') ??
        (editorLoading ? null : (body?.querySelector<HTMLElement>('input:not([type=radio]):not([disabled]), textarea') ?? body?.querySelector<HTMLElement>('button:not([disabled])')));
      target?.focus({ preventScroll: true });
      // An editor loaded lazily is not there yet (its code on a busy machine can take seconds), or
      // React Flow keeps a node hidden until measured: try again a little later (20 s at most;
      // focus moved elsewhere meanwhile ends it).
      const took = !!target && (document.activeElement === target || target.contains(document.activeElement));
      if (!took && tries > 0) attempt(tries - 1);
    }, 50);
  attempt(400);
}
