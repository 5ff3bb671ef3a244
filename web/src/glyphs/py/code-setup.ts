// The CodeMirror pieces every Python editor of the canvas shares: the look, Python, indentation,
// wrapped lines. Used by the editor and by the version diff, so both read the same.
import { python } from '@codemirror/lang-python';
import { HighlightStyle, indentUnit, syntaxHighlighting } from '@codemirror/language';
import { tags } from '@lezer/highlight';
import type { Extension } from '@codemirror/state';
import { EditorView } from '@codemirror/view';

export const pythonTheme = EditorView.theme({
  '&': { height: '100%', fontSize: '13px', backgroundColor: '#fbfcfd' },
  '.cm-scroller': { fontFamily: 'var(--font-mono)', lineHeight: '1.55' },
  '.cm-gutters': { backgroundColor: '#f4f6f8', color: '#545c69', borderRight: '1px solid #e6e9ee' },
  '.cm-activeLine': { backgroundColor: 'rgba(59,91,219,0.045)' },
  '.cm-activeLineGutter': { backgroundColor: 'rgba(59,91,219,0.08)' },
  '&.cm-focused': { outline: 'none' },
  '.cm-error-line': { backgroundColor: 'rgba(220,38,38,0.10)', boxShadow: 'inset 3px 0 0 #dc2626' },
});

/**
 * Colours of CodeMirror's default highlighting that read below 4.5:1 on the editor's background
 * (escapes and format specifiers #e40, invalid #f00), darkened; the rest keeps the default.
 */
const readableColours = HighlightStyle.define([
  { tag: [tags.regexp, tags.escape, tags.special(tags.string)], color: '#b02f00' },
  { tag: tags.invalid, color: '#c00000' },
]);

/** Python, four-space indents, the shared look, wrapped lines. */
export function pythonCode(): Extension {
  return [python(), indentUnit.of('    '), pythonTheme, syntaxHighlighting(readableColours), EditorView.lineWrapping];
}
