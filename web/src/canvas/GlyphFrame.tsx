// The window every glyph lives in: a title bar to drag by, a close button, resize handles, a body.
import { NodeResizer } from '@xyflow/react';
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
  children: ReactNode;
}

export function GlyphFrame({ id, info, title, mark, selected, tone, onClose, children }: GlyphFrameProps) {
  return (
    <section
      className={`glyph glyph-${info.kind}${selected ? ' is-selected' : ''}`}
      data-glyph-id={id}
      data-glyph-kind={info.kind}
      data-tone={tone}
      aria-label={title}
    >
      <NodeResizer
        minWidth={info.minSize.width}
        minHeight={info.minSize.height}
        isVisible
        lineClassName="glyph-resize-line"
        handleClassName="glyph-resize-handle"
      />
      <header className="glyph-titlebar glyph-drag">
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
      <div className="glyph-body nodrag nowheel">{children}</div>
    </section>
  );
}
