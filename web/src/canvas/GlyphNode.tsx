// A React Flow node that renders one glyph: its frame plus the body of its kind.
import { memo, Suspense, useCallback, useEffect, useState } from 'react';
import { useStore, type Node, type NodeProps } from '@xyflow/react';
import { focusGlyph, useCanvasActions } from '../app/canvas.js';
import { GLYPHS } from '../glyphs/registry.js';
import { isGlyphKind } from '../glyphs/kinds.js';
import { useCloseGlyph } from '../ui/CloseGlyph.js';
import { GlyphFrame } from './GlyphFrame.js';
import { COMPACT_ZOOM } from './layout.js';
import type { GlyphRecord } from './state.js';

export type GlyphNodeType = Node<{ glyph: GlyphRecord }, 'glyph'>;

function GlyphNodeImpl({ data, selected }: NodeProps<GlyphNodeType>) {
  const { glyph } = data;
  const close = useCloseGlyph();
  const { takeFocus } = useCanvasActions();
  // A glyph just added takes the keyboard, so the flow goes on without the mouse.
  useEffect(() => {
    if (takeFocus(glyph.id)) focusGlyph(glyph.id);
  }, [takeFocus, glyph.id]);
  const [tone, setTone] = useState<string | undefined>(undefined);
  const compact = useStore((s) => s.transform[2] < COMPACT_ZOOM);
  const onClose = useCallback(() => close(glyph.id), [close, glyph.id]);
  if (!isGlyphKind(glyph.kind)) return null;
  const def = GLYPHS[glyph.kind];
  const Body = def.Component;
  return (
    <GlyphFrame id={glyph.id} info={def.info} title={def.title(glyph.data)} mark={def.mark?.(glyph.data)} selected={!!selected} tone={tone} onClose={onClose} compact={compact}>
      <Suspense fallback={<p className="empty-note glyph-loading">Loading…</p>}>
        <Body glyph={glyph} setTone={setTone} />
      </Suspense>
    </GlyphFrame>
  );
}

export const GlyphNode = memo(GlyphNodeImpl);
