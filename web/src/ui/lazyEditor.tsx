// CodeMirror is most of the page's code: the Python editor, the AX query line and the version diff
// each load it (in their own chunks, sharing the editor core) when one first mounts, so the canvas
// and its toolbar start without it. Until it is there, a placeholder of the same box shows the text
// as plain, read-only text and says the editor is loading.
import { lazy, Suspense, type ComponentType, type ReactNode } from 'react';

/** Marks a placeholder: focusGlyph waits for the editor behind it instead of focusing something else. */
export const EDITOR_LOADING_ATTR = 'data-editor-loading';

/**
 * A component that renders `placeholder(props)` until `load()` gives the real one, then the real
 * one. `load` runs once, at the first mount of any instance.
 */
export function lazyEditor<P extends object>(load: () => Promise<ComponentType<P>>, placeholder: (props: P) => ReactNode): ComponentType<P> {
  const Editor = lazy(async () => ({ default: await load() }));
  function LazyEditor(props: P) {
    return (
      <Suspense fallback={placeholder(props)}>
        <Editor {...props} />
      </Suspense>
    );
  }
  return LazyEditor;
}

/** The placeholder's props: the box's class (the editor's own, so nothing moves), the text, its name. */
export function EditorPlaceholder({ className, text, label }: { className: string; text: string; label: string }) {
  return (
    <div className={`${className} editor-loading`} {...{ [EDITOR_LOADING_ATTR]: 'true' }} aria-busy="true" aria-label={`${label} (loading the editor)`} role="group">
      <pre className="editor-loading-text">{text}</pre>
    </div>
  );
}
