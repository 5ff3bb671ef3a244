// The window every glyph lives in: a title bar to drag by, a close button, resize handles, a body.
import { Handle, NodeResizer, Position, useStore } from '@xyflow/react';
import type { ReactNode } from 'react';
import type { GlyphKindInfo } from '../glyphs/kinds.js';

export interface GlyphFrameProps {
  id: string;
  info: GlyphKindInfo;
  title: string;
  /** A word beside the title, with a dot: "unsaved". */
  mark?: string | undefined;
  selected: boolean;
  /** A state colour for the frame (IX glyphs): idle, running, success, error. */
  tone?: string | undefined;
  onClose(): void;
  /** Zoomed out below readable text: show a title card (kind, name, status); the body stays mounted, hidden. */
  compact?: boolean;
  children: ReactNode;
}

const SIDES = [Position.Left, Position.Right, Position.Top, Position.Bottom];

const TONE_TEXT: Record<string, string> = { idle: 'idle', running: 'running', success: 'ok', error: 'error' };

export function GlyphFrame({ id, info, title, mark, selected, tone, onClose, compact = false, children }: GlyphFrameProps) {
  return (
    <section
      className={`glyph glyph-${info.kind}${selected ? ' is-selected' : ''}${compact ? ' is-compact' : ''}`}
      data-glyph-id={id}
      data-glyph-kind={info.kind}
      data-tone={tone}
      aria-label={title}
    >
      <NodeResizer
        minWidth={info.minSize.width}
        minHeight={info.minSize.height}
        isVisible={!compact}
        lineClassName="glyph-resize-line"
        handleClassName="glyph-resize-handle"
      />
      {/* Edges between glyphs attach here; users do not draw them. */}
      {SIDES.map((side) => (
        <Handle key={`t-${side}`} id={`t-${side}`} type="target" position={side} isConnectable={false} className="glyph-handle" />
      ))}
      {SIDES.map((side) => (
        <Handle key={`s-${side}`} id={`s-${side}`} type="source" position={side} isConnectable={false} className="glyph-handle" />
      ))}
      {compact ? <TitleCard info={info} title={title} mark={mark} tone={tone} /> : null}
      <header className="glyph-titlebar glyph-drag" hidden={compact}>
        <span className={`glyph-badge badge-${info.kind}`}>{info.badge}</span>
        <h2 className="glyph-title" title={title}>
          {title}
        </h2>
        {mark ? (
          <span className={`glyph-mark mark-${mark}`} data-mark={mark}>
            ● {mark}
          </span>
        ) : null}
        <button type="button" className="icon-button glyph-close nodrag" aria-label={`Close ${title}`} title="Close" onClick={onClose}>
          <svg width="12" height="12" viewBox="0 0 12 12" aria-hidden="true">
            <path d="M2.5 2.5l7 7M9.5 2.5l-7 7" stroke="currentColor" strokeWidth="1.6" strokeLinecap="round" />
          </svg>
        </button>
      </header>
      <div className="glyph-body nodrag nowheel" hidden={compact}>
        {children}
      </div>
    </section>
  );
}

/** What a glyph shows when zoomed out: its kind, name and status, in text sized to stay readable. */
function TitleCard({ info, title, mark, tone }: { info: GlyphKindInfo; title: string; mark?: string | undefined; tone?: string | undefined }) {
  const zoom = useStore((s) => s.transform[2]);
  const status = mark ?? (tone ? TONE_TEXT[tone] : undefined);
  return (
    <div className="glyph-card glyph-drag" style={{ fontSize: `${13 / zoom}px` }} data-title-card="true">
      <span className={`glyph-card-kind badge-${info.kind}`}>{info.label}</span>
      <span className="glyph-card-title">{title}</span>
      {status ? <span className={`glyph-card-status card-${tone ?? 'idle'}`}>{status}</span> : null}
    </div>
  );
}
