// The pan/zoom surface: React Flow renders glyphs as nodes; every move, resize and selection it
// reports becomes a canvas command (position and size live in canvas state, not in React Flow).
import { useCallback, useEffect, useMemo, useRef, useState } from 'react';
import { Background, BackgroundVariant, ControlButton, Controls, MarkerType, MiniMap, ReactFlow, type Edge, type NodeChange, type Viewport } from '@xyflow/react';
import { useCanvasActions, useCanvasMeta, useCanvasState } from '../app/canvas.js';
import { usePulse } from '../app/pulse.js';
import { edgeSides, glyphEdges } from './edges.js';
import { GlyphNode, type GlyphNodeType } from './GlyphNode.js';
import type { GlyphRecord } from './state.js';

const nodeTypes = { glyph: GlyphNode };
const VIEWPORT_KEY = 'qntx.viewport';

function savedViewport(): Viewport | undefined {
  try {
    const v = JSON.parse(window.localStorage.getItem(VIEWPORT_KEY) ?? 'null') as Viewport | null;
    return v && [v.x, v.y, v.zoom].every((n) => typeof n === 'number' && Number.isFinite(n)) ? v : undefined;
  } catch {
    return undefined;
  }
}

export function Canvas() {
  const state = useCanvasState();
  const meta = useCanvasMeta();
  const { dispatch, reload, fitAll } = useCanvasActions();
  const [selected, setSelected] = useState<ReadonlySet<string>>(() => new Set());
  const dataCache = useRef(new WeakMap<GlyphRecord, { glyph: GlyphRecord }>());
  const fitted = useRef(false);

  const nodes = useMemo<GlyphNodeType[]>(
    () =>
      state.glyphs.map((g, i) => {
        let data = dataCache.current.get(g);
        if (!data) dataCache.current.set(g, (data = { glyph: g }));
        return {
          id: g.id,
          type: 'glyph',
          position: { x: g.x, y: g.y },
          width: g.width,
          height: g.height,
          // The size it is drawn at (its style says so). Without `measured`, React Flow drops a node's
          // handle positions whenever it is given a new node object (every glyph change), and its
          // edges vanish until the node is observed again; an edge whose glyph was measured between
          // the change and the next render stayed away until the glyph was resized.
          measured: { width: g.width, height: g.height },
          data,
          selected: selected.has(g.id),
          dragHandle: '.glyph-drag',
          zIndex: i,
          ariaLabel: `${g.kind} glyph`,
        };
      }),
    [state.glyphs, selected],
  );

  const schedules = usePulse().state.schedules;
  const edges = useMemo<Edge[]>(
    () =>
      glyphEdges(state.glyphs, schedules).map((e) => {
        const sides = edgeSides(state.glyphs.find((g) => g.id === e.source)!, state.glyphs.find((g) => g.id === e.target)!);
        return {
          id: e.id,
          source: e.source,
          target: e.target,
          sourceHandle: `s-${sides.source}`,
          targetHandle: `t-${sides.target}`,
          className: `glyph-edge edge-${e.relation}`,
          ariaLabel: e.label,
          data: { relation: e.relation },
          markerEnd: { type: MarkerType.ArrowClosed, width: 16, height: 16 },
          focusable: false,
          selectable: false,
        };
      }),
    [state.glyphs, schedules],
  );

  // The first time glyphs arrive without a remembered viewport, show them all.
  useEffect(() => {
    if (!state.loaded || fitted.current) return;
    fitted.current = true;
    if (!savedViewport() && state.glyphs.length) setTimeout(() => fitAll(0), 0);
  }, [state.loaded, state.glyphs.length, fitAll]);

  const onNodesChange = useCallback(
    (changes: NodeChange<GlyphNodeType>[]) => {
      const moves = new Map<string, { x: number; y: number }>();
      const sizes = new Map<string, { width: number; height: number }>();
      let selection: Set<string> | undefined;
      for (const c of changes) {
        if (c.type === 'position' && c.position) moves.set(c.id, c.position);
        else if (c.type === 'dimensions' && c.setAttributes && c.dimensions) sizes.set(c.id, c.dimensions);
        else if (c.type === 'select') {
          selection ??= new Set(selected);
          if (c.selected) selection.add(c.id);
          else selection.delete(c.id);
        } else if (c.type === 'remove') dispatch({ type: 'close', id: c.id });
      }
      for (const [id, size] of sizes) {
        const g = state.glyphs.find((x) => x.id === id);
        if (!g) continue;
        const pos = moves.get(id) ?? { x: g.x, y: g.y };
        moves.delete(id);
        dispatch({ type: 'resize', id, ...pos, ...size });
      }
      for (const [id, pos] of moves) dispatch({ type: 'move', id, ...pos });
      if (selection) setSelected(selection);
    },
    [dispatch, selected, state.glyphs],
  );

  const onMoveEnd = useCallback((_e: unknown, v: Viewport) => {
    window.localStorage.setItem(VIEWPORT_KEY, JSON.stringify(v));
  }, []);

  const front = useCallback((_e: unknown, node: { id: string }) => dispatch({ type: 'bringToFront', id: node.id }), [dispatch]);
  // A glyph dropped on others keeps its place; they move aside.
  const dropped = useCallback((_e: unknown, node: { id: string }) => dispatch({ type: 'makeRoom', id: node.id }), [dispatch]);

  return (
    <div className="canvas" data-loaded={state.loaded ? 'true' : 'false'}>
      <ReactFlow<GlyphNodeType>
        nodes={nodes}
        edges={edges}
        nodeTypes={nodeTypes}
        onNodesChange={onNodesChange}
        onNodeDragStart={front}
        onNodeDragStop={dropped}
        onNodeClick={front}
        onMoveEnd={onMoveEnd}
        defaultViewport={savedViewport() ?? { x: 0, y: 0, zoom: 1 }}
        minZoom={0.05}
        maxZoom={2}
        deleteKeyCode={null}
        nodesConnectable={false}
        zoomOnDoubleClick={false}
        elevateNodesOnSelect={false}
        proOptions={{ hideAttribution: true }}
        aria-label="Canvas"
      >
        <Background variant={BackgroundVariant.Dots} gap={22} size={1.4} color="#c9d0da" />
        <Controls position="bottom-left" showInteractive={false} showFitView={false}>
          <ControlButton onClick={() => fitAll()} title="Fit all glyphs in view (Alt+Shift+F)" aria-label="Fit all glyphs in view">
            <svg viewBox="0 0 32 30" aria-hidden="true">
              <path d="M3.692 4.63c0-.53.4-.938.939-.938h5.215V0H4.708C2.13 0 0 2.054 0 4.63v5.216h3.692V4.631zM27.354 0h-5.2v3.692h5.17c.53 0 .984.4.984.939v5.215H32V4.631A4.624 4.624 0 0027.354 0zm.954 24.83c0 .532-.4.94-.939.94h-5.215v3.768h5.215c2.577 0 4.631-2.13 4.631-4.707v-5.139h-3.692v5.139zm-23.677.94c-.531 0-.939-.4-.939-.94v-5.138H0v5.139c0 2.577 2.13 4.707 4.708 4.707h5.138V25.77H4.631z" />
            </svg>
          </ControlButton>
        </Controls>
        {state.glyphs.length ? <MiniMap position="bottom-right" style={{ width: 168, height: 112 }} pannable zoomable nodeColor={minimapColor} nodeStrokeWidth={0} maskColor="rgba(241,243,246,0.7)" /> : null}
      </ReactFlow>
      {meta.loadError ? (
        <div className="canvas-banner" role="alert">
          <span>Could not load the canvas: {meta.loadError}</span>
          <button type="button" className="button" onClick={() => void reload()}>
            Try again
          </button>
        </div>
      ) : state.loaded && state.glyphs.length === 0 ? (
        <div className="canvas-empty">
          <p className="canvas-empty-title">An empty canvas</p>
          <p>
            Add a glyph from the toolbar, or press <kbd>Ctrl</kbd> <kbd>K</kbd> for the command palette. Start with an IX glyph: type{' '}
            <code>webhook</code> and Run.
          </p>
        </div>
      ) : null}
    </div>
  );
}

function minimapColor(n: GlyphNodeType): string {
  return { ix: '#93a5c4', py: '#d6b36a', pulse: '#a996d8', ax: '#7fb9b1' }[n.data.glyph.kind] ?? '#b8c0cc';
}
