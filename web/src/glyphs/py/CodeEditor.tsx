// CodeMirror 6 as a React component: Python highlighting, indentation, bracket matching, line
// numbers, wrapped lines; Mod-Enter tries, Mod-S saves; an error line from the server is marked,
// scrolled into view and focused.
import { useEffect, useRef } from 'react';
import { basicSetup } from 'codemirror';
import { indentWithTab } from '@codemirror/commands';
import { lintGutter, setDiagnostics } from '@codemirror/lint';
import { Prec, StateEffect, StateField } from '@codemirror/state';
import { Decoration, EditorView, keymap, type DecorationSet } from '@codemirror/view';
import { useCodeMirror } from '../../ui/useCodeMirror.js';
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
  const callbacks = useRef({ onRun, onSave });
  callbacks.current = { onRun, onSave };
  const { host, view } = useCodeMirror({
    value,
    onChange,
    label,
    extensions: () => [
      Prec.highest(
        keymap.of([
          { key: 'Mod-Enter', run: () => (callbacks.current.onRun(), true) },
          { key: 'Mod-s', run: () => (callbacks.current.onSave(), true), preventDefault: true },
        ]),
      ),
      basicSetup,
      keymap.of([indentWithTab]),
      pythonCode(),
      lintGutter(),
      errorLineField,
    ],
  });

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
  }, [errorLine, view]);

  return <div className="code-editor" ref={host} data-error-line={errorLine?.line ?? undefined} />;
}
