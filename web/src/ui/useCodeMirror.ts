// One CodeMirror 6 editor as a controlled React value, shared by the Python editor and the AX
// query line: made once, `value` from outside replaces the text, edits go to `onChange`, and the
// content is labelled and in the tab order (axe: a scrollable editor needs focusable content).
import { useEffect, useRef, type RefObject } from 'react';
import { EditorState, type Extension } from '@codemirror/state';
import { EditorView } from '@codemirror/view';

export interface CodeMirrorOptions {
  value: string;
  onChange(text: string): void;
  /** The accessible name of the editable content. */
  label: string;
  /** Called once, when the editor is made. */
  extensions(): Extension[];
  /** More attributes of the content (e.g. spellcheck). */
  contentAttributes?: Record<string, string>;
}

export function useCodeMirror(o: CodeMirrorOptions): { host: RefObject<HTMLDivElement | null>; view: RefObject<EditorView | null> } {
  const host = useRef<HTMLDivElement>(null);
  const view = useRef<EditorView | null>(null);
  const latest = useRef(o);
  latest.current = o;

  useEffect(() => {
    const first = latest.current;
    const v = new EditorView({
      parent: host.current!,
      state: EditorState.create({
        doc: first.value,
        extensions: [
          ...first.extensions(),
          EditorView.contentAttributes.of({ 'aria-label': first.label, tabindex: '0', ...first.contentAttributes }),
          EditorView.updateListener.of((u) => {
            if (u.docChanged) latest.current.onChange(u.state.doc.toString());
          }),
        ],
      }),
    });
    view.current = v;
    return () => {
      v.destroy();
      view.current = null;
    };
    // Made once; later values arrive through the effect below.
  }, []);

  // A value from outside (a restored version, another tab) replaces the text; our own edits match.
  useEffect(() => {
    const v = view.current;
    if (v && v.state.doc.toString() !== o.value) v.dispatch({ changes: { from: 0, to: v.state.doc.length, insert: o.value } });
  }, [o.value]);

  return { host, view };
}
