// The AX query line: a one-line CodeMirror 6 editor that colours keywords and each clause's
// values, completes keywords and stored values (from POST /api/ax/complete), runs on Enter and
// underlines the word a server error points at.
import { useEffect, useRef } from 'react';
import { useCodeMirror } from '../../ui/useCodeMirror.js';
import { autocompletion, type CompletionContext, type CompletionResult } from '@codemirror/autocomplete';
import { EditorState, Prec, RangeSetBuilder, StateEffect, StateField } from '@codemirror/state';
import { Decoration, EditorView, keymap, placeholder, ViewPlugin, type DecorationSet, type ViewUpdate } from '@codemirror/view';
import type { AxCompletionDto } from '../../../../src/protocol.js';
import { errorRange } from './ax-model.js';
import { axSpans } from './ax-syntax.js';

export interface AxQueryEditorProps {
  value: string;
  onChange(query: string): void;
  /** Enter: run the query as it is in the editor now. */
  onRun(query: string): void;
  complete(query: string, position: number): Promise<AxCompletionDto>;
  /** UTF-16 offset of the word an error points at; null clears the mark. */
  errorAt: number | null;
}

function highlight(view: EditorView): DecorationSet {
  const b = new RangeSetBuilder<Decoration>();
  for (const s of axSpans(view.state.doc.toString())) {
    if (s.to > s.from) b.add(s.from, s.to, Decoration.mark({ class: `ax-tok ax-tok-${s.kind}`, attributes: { 'data-ax-kind': s.kind } }));
  }
  return b.finish();
}

const highlighter = ViewPlugin.fromClass(
  class {
    decorations: DecorationSet;
    constructor(view: EditorView) {
      this.decorations = highlight(view);
    }
    update(u: ViewUpdate) {
      if (u.docChanged) this.decorations = highlight(u.view);
    }
  },
  { decorations: (v) => v.decorations },
);

const setError = StateEffect.define<number | null>();
const errorField = StateField.define<DecorationSet>({
  create: () => Decoration.none,
  update(deco, tr) {
    deco = tr.docChanged ? Decoration.none : deco;
    for (const e of tr.effects) {
      if (!e.is(setError)) continue;
      const r = e.value === null ? null : errorRange(tr.state.doc.toString(), e.value);
      deco = r ? Decoration.set([Decoration.mark({ class: 'ax-error-mark', attributes: { 'data-ax-error': 'true' } }).range(r.from, r.to)]) : Decoration.none;
    }
    return deco;
  },
  provide: (f) => EditorView.decorations.from(f),
});

/** Newlines (a paste) become spaces: the query is one line. */
const oneLine = EditorState.transactionFilter.of((tr) => {
  if (!tr.docChanged || tr.newDoc.lines === 1) return tr;
  const text = tr.newDoc.toString().replace(/\r?\n/g, ' ');
  return [tr, { changes: { from: 0, to: tr.newDoc.length, insert: text }, sequential: true }];
});

const theme = EditorView.theme({
  '&': { fontSize: '13px', backgroundColor: 'var(--surface)', border: '1px solid var(--border-strong)', borderRadius: '6px', flex: '1', minWidth: '0' },
  '&.cm-focused': { outline: '2px solid var(--accent-soft)', borderColor: 'var(--accent)' },
  '.cm-content': { fontFamily: 'var(--font-mono)', padding: '5px 0' },
  '.cm-line': { padding: '0 8px' },
  '.cm-scroller': { overflowX: 'auto' },
});

export function AxQueryEditor({ value, onChange, onRun, complete, errorAt }: AxQueryEditorProps) {
  const callbacks = useRef({ onRun, complete });
  callbacks.current = { onRun, complete };
  const { host, view } = useCodeMirror({
    value,
    onChange,
    label: 'AX query',
    contentAttributes: { spellcheck: 'false' },
    extensions: () => {
      const source = async (ctx: CompletionContext): Promise<CompletionResult | null> => {
        const text = ctx.state.doc.toString();
        // Offer while typing a word, or when asked (Ctrl-Space) anywhere.
        if (!ctx.explicit && !ctx.matchBefore(/[^\s]+$/)) return null;
        let c: AxCompletionDto;
        try {
          c = await callbacks.current.complete(text, ctx.pos);
        } catch {
          return null;
        }
        if (ctx.aborted || !c.options.length) return null;
        const options = c.options.map((o) => ({ label: o.label, apply: o.apply, type: o.kind === 'value' ? 'variable' : o.kind === 'type' ? 'function' : 'keyword', detail: o.detail ?? o.kind }));
        // The server's options for a prefix hold those of any longer prefix: while an unquoted word
        // grows, the editor narrows the list itself instead of asking again (no stale list on Enter).
        const typed = text.slice(c.from, ctx.pos);
        const plain = c.field !== 'time' && !/["'\\\s]/.test(typed);
        return plain ? { from: c.from, to: c.to, options, validFor: /^[^\s"'\\]*$/ } : { from: c.from, to: c.to, options, filter: false };
      };
      return [
        keymap.of([{ key: 'Enter', run: (v) => (callbacks.current.onRun(v.state.doc.toString()), true) }]),
        // Enter accepts an option as soon as the list shows (no grace delay): what is shown is what Enter does.
        Prec.highest(autocompletion({ override: [source], activateOnTyping: true, icons: false, interactionDelay: 0 })),
        oneLine,
        highlighter,
        errorField,
        placeholder('alice is engineer of acme since 2026-01'),
        theme,
      ];
    },
  });

  useEffect(() => {
    view.current?.dispatch({ effects: setError.of(errorAt) });
  }, [errorAt, view]);

  return <div className="ax-query" ref={host} />;
}
