// CodeMirror 6 as a React component: Python highlighting, indentation, bracket matching, line
// numbers, wrapped lines; Mod-Enter tries, Mod-S saves; an error line from the server is marked,
// scrolled into view and focused.
import { useEffect, useRef } from 'react';
import { basicSetup } from 'codemirror';
import { indentWithTab } from '@codemirror/commands';
import { lintGutter, setDiagnostics } from '@codemirror/lint';
import { EditorState, Prec, StateEffect, StateField, type Extension } from '@codemirror/state';
import { Decoration, EditorView, keymap, type DecorationSet } from '@codemirror/view';
import { pythonCode } from './code-setup.js';

export interface CodeEditorProps {
  value: string;
  onChange(code: string): void;
  onRun(): void;
  onSave(): void;
  /** 1-based line to mark as the error, with its message; null clears it. */
  errorLine: { line: number; message: string } | null;
  label: string;
}

const setErrorLine = StateEffect.define<number | null>();

const errorLineField = StateField.define<DecorationSet>({
  create: () => Decoration.none,
  update(deco, tr) {
    deco = deco.map(tr.changes);
    for (const e of tr.effects) {
      if (!e.is(setErrorLine)) continue;
      if (e.value === null || e.value > tr.state.doc.lines) deco = Decoration.none;
      else deco = Decoration.set([Decoration.line({ class: 'cm-error-line' }).range(tr.state.doc.line(e.value).from)]);
    }
    return deco;
  },
  provide: (f) => EditorView.decorations.from(f),
});


export function CodeEditor({ value, onChange, onRun, onSave, errorLine, label }: CodeEditorProps) {
  const host = useRef<HTMLDivElement>(null);
  const view = useRef<EditorView | null>(null);
  const callbacks = useRef({ onChange, onRun, onSave });
  callbacks.current = { onChange, onRun, onSave };

  useEffect(() => {
    const keys: Extension = Prec.highest(
      keymap.of([
        { key: 'Mod-Enter', run: () => (callbacks.current.onRun(), true) },
        { key: 'Mod-s', run: () => (callbacks.current.onSave(), true), preventDefault: true },
      ]),
    );
    const v = new EditorView({
      parent: host.current!,
      state: EditorState.create({
        doc: value,
        extensions: [
          keys,
          basicSetup,
          keymap.of([indentWithTab]),
          pythonCode(),
          lintGutter(),
          errorLineField,
          EditorView.contentAttributes.of({ 'aria-label': label, tabindex: '0' }),
          EditorView.updateListener.of((u) => {
            if (u.docChanged) callbacks.current.onChange(u.state.doc.toString());
          }),
        ],
      }),
    });
    view.current = v;
    return () => {
      v.destroy();
      view.current = null;
    };
    // The editor is made once; later `value`s arrive through the effect below.
  }, []);

  // A value from outside (a restored version, another tab) replaces the text; our own edits match.
  useEffect(() => {
    const v = view.current;
    if (v && v.state.doc.toString() !== value) v.dispatch({ changes: { from: 0, to: v.state.doc.length, insert: value } });
  }, [value]);

  useEffect(() => {
    const v = view.current;
    if (!v) return;
    const line = errorLine && errorLine.line <= v.state.doc.lines ? v.state.doc.line(errorLine.line) : null;
    v.dispatch(
      setDiagnostics(v.state, line ? [{ from: line.from, to: Math.max(line.from, line.to), severity: 'error', message: errorLine!.message }] : []),
    );
    v.dispatch({ effects: setErrorLine.of(line ? errorLine!.line : null) });
    // The marked line is brought into view, with the cursor on it, so the error is where one looks.
    if (line) {
      v.dispatch({ selection: { anchor: line.from }, effects: EditorView.scrollIntoView(line.from, { y: 'center' }) });
      v.focus();
    }
  }, [errorLine]);

  return <div className="code-editor" ref={host} data-error-line={errorLine?.line ?? undefined} />;
}
