// Two handler versions side by side (@codemirror/merge), read-only, in a dialog.
import { useEffect, useRef } from 'react';
import { MergeView } from '@codemirror/merge';
import { EditorState } from '@codemirror/state';
import { EditorView } from '@codemirror/view';
import type { HandlerVersion } from '../../api/types.js';
import { pythonCode } from './code-setup.js';

export interface VersionDiffProps {
  a: HandlerVersion;
  b: HandlerVersion;
  onClose(): void;
}

export function VersionDiff({ a, b, onClose }: VersionDiffProps) {
  const host = useRef<HTMLDivElement>(null);
  const closeRef = useRef<HTMLButtonElement>(null);
  useEffect(() => {
    const readOnly = [pythonCode(), EditorState.readOnly.of(true), EditorView.editable.of(false)];
    const view = new MergeView({
      a: { doc: a.code, extensions: [...readOnly, EditorView.contentAttributes.of({ 'aria-label': `Version ${a.version}` })] },
      b: { doc: b.code, extensions: [...readOnly, EditorView.contentAttributes.of({ 'aria-label': `Version ${b.version}` })] },
      parent: host.current!,
      gutter: true,
    });
    const restore = document.activeElement;
    closeRef.current?.focus();
    return () => {
      view.destroy();
      if (restore instanceof HTMLElement && restore.isConnected) restore.focus();
    };
  }, [a, b]);
  return (
    <div className="palette-backdrop" onMouseDown={onClose}>
      <div
        className="dialog diff-dialog"
        role="dialog"
        aria-modal="true"
        aria-label={`Version ${a.version} and version ${b.version} side by side`}
        onMouseDown={(e) => e.stopPropagation()}
        onKeyDown={(e) => {
          if (e.key === 'Escape') {
            e.preventDefault();
            onClose();
          }
        }}
      >
        <div className="diff-head">
          <h2 className="dialog-title">
            v{a.version} ↔ v{b.version}
          </h2>
          <span className="spacer" />
          <button ref={closeRef} type="button" className="button" onClick={onClose}>
            Close
          </button>
        </div>
        <div className="diff-cols muted small" aria-hidden="true">
          <span>v{a.version}</span>
          <span>v{b.version}</span>
        </div>
        <div className="version-diff" ref={host} data-diff={`${a.version}-${b.version}`} />
      </div>
    </div>
  );
}
