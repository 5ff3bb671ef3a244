// The CodeMirror pieces every Python editor of the canvas shares: the look, Python, indentation,
// wrapped lines. Used by the editor and by the version diff, so both read the same.
import { python } from '@codemirror/lang-python';
import { indentUnit } from '@codemirror/language';
import type { Extension } from '@codemirror/state';
import { EditorView } from '@codemirror/view';

export const pythonTheme = EditorView.theme({
  '&': { height: '100%', fontSize: '13px', backgroundColor: '#fbfcfd' },
  '.cm-scroller': { fontFamily: 'var(--font-mono)', lineHeight: '1.55' },
  '.cm-gutters': { backgroundColor: '#f4f6f8', color: '#6b7483', borderRight: '1px solid #e6e9ee' },
  '.cm-activeLine': { backgroundColor: 'rgba(59,91,219,0.045)' },
  '.cm-activeLineGutter': { backgroundColor: 'rgba(59,91,219,0.08)' },
  '&.cm-focused': { outline: 'none' },
  '.cm-error-line': { backgroundColor: 'rgba(220,38,38,0.10)', boxShadow: 'inset 3px 0 0 #dc2626' },
});

/** Python, four-space indents, the shared look, wrapped lines. */
export function pythonCode(): Extension {
  return [python(), indentUnit.of('    '), pythonTheme, EditorView.lineWrapping];
}
