// The Python glyph: a CodeMirror editor; Run executes on the server, Save registers the code as the
// handler of an ix type (a new version each time), with the versions listed and restorable.
import { useCallback, useEffect, useId, useMemo, useRef, useState } from 'react';
import { ApiError } from '../../api/http.js';
import type { ExecuteResult, HandlerInfo } from '../../api/types.js';
import type { ExecutionDto } from '../../../../src/protocol.js';
import { useCanvasActions } from '../../app/canvas.js';
import { usePulse } from '../../app/pulse.js';
import { useServices } from '../../app/services.js';
import { detailValue, errorLine, exceptionLine } from '../../lib/details.js';
import { formatDuration, formatTimestamp } from '../../lib/format.js';
import { OutputBlock } from '../../ui/bits.js';
import { HookButton } from '../../ui/HookButton.js';
import type { GlyphBodyProps } from '../registry.js';
import type { CodeEditorProps } from './CodeEditor.js';
import { EditorPlaceholder, lazyEditor } from '../../ui/lazyEditor.js';
import { DryRunResult } from './DryRunResult.js';
import { VersionsPanel } from './VersionsPanel.js';
import { handlerNameProblem, lastScheduledFailure, parseTryInputs, readPyData } from './py-model.js';

/** The CodeMirror editor (Python highlighting and all), loaded when the first Python glyph shows. */
const CodeEditor = lazyEditor<CodeEditorProps>(
  () => import('./CodeEditor.js').then((m) => m.CodeEditor),
  (p) => <EditorPlaceholder className="code-editor" text={p.value} label={p.label} />,
);

type RunState = { phase: 'idle' } | { phase: 'running' } | { phase: 'done'; result: ExecuteResult } | { phase: 'error'; error: ApiError };
type SaveState = { phase: 'idle' } | { phase: 'saving' } | { phase: 'saved'; type: string; version: number | null } | { phase: 'error'; error: ApiError };

function asApiError(err: unknown): ApiError {
  return err instanceof ApiError ? err : new ApiError((err as Error).message, 0);
}

/** The line an error points at: its `line=` detail, else "line N" in the message. */
function lineOf(details: readonly string[] | undefined, message: string | null | undefined): number | undefined {
  const fromDetails = errorLine({ details });
  if (fromDetails) return fromDetails;
  const m = /\bline (\d+)\b/.exec(message ?? '');
  return m ? Number(m[1]) : undefined;
}

export function PyGlyph({ glyph }: GlyphBodyProps) {
  const { api, bus } = useServices();
  const canvas = useCanvasActions();
  const d = readPyData(glyph.data);
  const [run, setRun] = useState<RunState>({ phase: 'idle' });
  const [save, setSave] = useState<SaveState>({ phase: 'idle' });
  const [mark, setMark] = useState<{ line: number; message: string } | null>(null);
  const [saveAsOpen, setSaveAsOpen] = useState(false);
  const [saveAsName, setSaveAsName] = useState('');
  const [saveAsProblem, setSaveAsProblem] = useState<string | null>(null);
  const [tryArgs, setTryArgs] = useState('');
  const [tryState, setTryState] = useState('{}');
  const [tryProblem, setTryProblem] = useState<string | null>(null);
  const [versions, setVersions] = useState<{ open: boolean; info: HandlerInfo | null; error: string | null }>({ open: false, info: null, error: null });
  const [restoring, setRestoring] = useState(false);
  const nameRef = useRef<HTMLInputElement>(null);
  const ids = useId();

  // The handler's last scheduled run, when it failed: its traceback under the editor, its line marked,
  // until code is saved again (runs started before that save are then old news).
  const pulse = usePulse();
  const [quietBefore, setQuietBefore] = useState(0);
  const failure = lastScheduledFailure(d.handlerFor, pulse.state.schedules, pulse.state.executions, quietBefore);
  const failureLine = failure ? errorLine(failure) : undefined;
  const failureMessage = failure ? exceptionLine(failure) : '';
  const failureMark = useMemo(() => (failureLine ? { line: failureLine, message: failureMessage } : null), [failureLine, failureMessage]);
  const failureRef = useRef(failure);
  failureRef.current = failure;

  const codeNow = useCallback(() => readPyData(canvas.getGlyph(glyph.id)?.data ?? {}).code, [canvas, glyph.id]);

  const loadVersions = useCallback(
    async (type: string) => {
      try {
        const info = await api.python.handler(type);
        setVersions((v) => ({ ...v, info, error: null }));
      } catch (err) {
        const e = asApiError(err);
        setVersions((v) => ({ ...v, info: { script_type: type, version: null, versions: [], removed: null }, error: e.status === 404 ? null : e.message }));
      }
    },
    [api],
  );

  const tryInputs = useRef({ args: tryArgs, state: tryState });
  tryInputs.current = { args: tryArgs, state: tryState };

  /** Try (Ctrl/Cmd-Enter): runs the code with the args and state given, and stores nothing. */
  const doRun = useCallback(async () => {
    const inputs = parseTryInputs(tryInputs.current.args, tryInputs.current.state);
    setTryProblem(inputs.problem ?? null);
    if (inputs.problem) return;
    const type = readPyData(canvas.getGlyph(glyph.id)?.data ?? {}).handlerFor;
    setRun({ phase: 'running' });
    try {
      const result = await api.python.execute({
        code: codeNow(),
        dry_run: true,
        args: inputs.args,
        state: inputs.state,
        ...(type ? { script_type: type } : {}),
      });
      setRun({ phase: 'done', result });
      const line = result.success ? undefined : lineOf(result.details, result.error);
      setMark(line ? { line, message: result.error ?? 'error' } : null);
    } catch (err) {
      const e = asApiError(err);
      setRun({ phase: 'error', error: e });
      const line = lineOf(e.details, e.message);
      setMark(line ? { line, message: e.message } : null);
    }
  }, [api, canvas, codeNow, glyph.id]);

  const doSave = useCallback(
    async (typeOverride?: string) => {
      const type = typeOverride ?? readPyData(canvas.getGlyph(glyph.id)?.data ?? {}).handlerFor;
      if (!type) {
        setSaveAsOpen(true);
        setTimeout(() => nameRef.current?.focus(), 0);
        return;
      }
      setSave({ phase: 'saving' });
      try {
        const code = codeNow();
        const { version } = await api.python.registerHandler(type, code);
        canvas.updateData(glyph.id, { savedCode: code, ...(typeOverride ? { handlerFor: type } : {}) });
        if (typeOverride) setSaveAsOpen(false);
        setSave({ phase: 'saved', type, version });
        setMark(null);
        const shown = failureRef.current;
        if (shown) setQuietBefore(shown.started_at + 1);
        bus.emit('handlerSaved', { scriptType: type, version });
        if (versions.open) void loadVersions(type);
      } catch (err) {
        const e = asApiError(err);
        setSave({ phase: 'error', error: e });
        const line = lineOf(e.details, e.message);
        setMark(line ? { line, message: e.message } : null);
      }
    },
    [api, bus, canvas, codeNow, glyph.id, loadVersions, versions.open],
  );

  // The command palette's Try and Save for this glyph.
  const actionsRef = useRef({ doRun, doSave });
  actionsRef.current = { doRun, doSave };
  useEffect(
    () =>
      bus.on('glyphCommand', ({ glyphId, command }) => {
        if (glyphId !== glyph.id) return;
        if (command === 'try') void actionsRef.current.doRun();
        if (command === 'save') void actionsRef.current.doSave();
      }),
    [bus, glyph.id],
  );

  const onSaveAs = () => {
    const name = saveAsName.trim();
    const problem = handlerNameProblem(name);
    setSaveAsProblem(problem ?? null);
    if (!problem) void doSave(name);
  };

  const toggleVersions = () => {
    const open = !versions.open;
    setVersions((v) => ({ ...v, open }));
    if (open && d.handlerFor) void loadVersions(d.handlerFor);
  };

  useEffect(() => {
    if (versions.open && d.handlerFor && versions.info === null) void loadVersions(d.handlerFor);
  }, [versions.open, versions.info, d.handlerFor, loadVersions]);

  /** Restore: the old version's code is registered again as a new version, and shown. */
  const doRestore = useCallback(
    async (version: number) => {
      const type = readPyData(canvas.getGlyph(glyph.id)?.data ?? {}).handlerFor;
      if (!type) return;
      setRestoring(true);
      try {
        const r = await api.python.restoreHandler(type, version);
        const info = await api.python.handler(type);
        const code = info.versions.find((v) => v.version === (r.version ?? info.version))?.code;
        if (code !== undefined) canvas.updateData(glyph.id, { code, savedCode: code });
        setVersions((v) => ({ ...v, info, error: null }));
        setSave({ phase: 'saved', type, version: r.version });
        bus.emit('handlerSaved', { scriptType: type, version: r.version });
      } catch (err) {
        setSave({ phase: 'error', error: asApiError(err) });
      } finally {
        setRestoring(false);
      }
    },
    [api, bus, canvas, glyph.id],
  );

  // New code makes old verdicts stale: error banners and the marked line go.
  const onChange = useCallback(
    (code: string) => {
      canvas.updateData(glyph.id, { code });
      setMark(null);
      setSave((s) => (s.phase === 'error' || s.phase === 'saved' ? { phase: 'idle' } : s));
      setRun((r) => (r.phase === 'error' || (r.phase === 'done' && !r.result.success) ? { phase: 'idle' } : r));
    },
    [canvas, glyph.id],
  );

  return (
    <div className="py">
      <div className="py-actions" role="toolbar" aria-label="Python actions">
        <button
          type="button"
          className="button primary py-try"
          onClick={() => void doRun()}
          disabled={run.phase === 'running'}
          aria-keyshortcuts="Control+Enter Meta+Enter"
          title="Run the code with the args and state below; nothing is stored"
        >
          {run.phase === 'running' ? 'Trying…' : 'Try'} <kbd>Ctrl ↵</kbd>
        </button>
        {d.handlerFor ? (
          <button type="button" className="button" onClick={() => void doSave()} disabled={save.phase === 'saving'} aria-keyshortcuts="Control+S Meta+S">
            {save.phase === 'saving' ? 'Saving…' : 'Save'} <kbd>Ctrl S</kbd>
          </button>
        ) : (
          <button type="button" className="button" onClick={() => void doSave()} aria-expanded={saveAsOpen}>
            Save as handler…
          </button>
        )}
        {d.handlerFor ? (
          <button type="button" className="button subtle" onClick={toggleVersions} aria-expanded={versions.open}>
            Versions
          </button>
        ) : null}
        <span className="spacer" />
        {d.handlerFor ? <span className="muted small">runs for <code>ix {d.handlerFor}</code></span> : null}
      </div>
      <details className="py-try-inputs">
        <summary>Try with args and state</summary>
        <label>
          <span>ix.args</span>
          <input className="input mono" value={tryArgs} placeholder="./repo --since 2026-01" spellCheck={false} onChange={(e) => setTryArgs(e.target.value)} aria-label="Arguments for Try (words, as after ix type)" />
        </label>
        <label>
          <span>ix.state</span>
          <input className="input mono" value={tryState} spellCheck={false} onChange={(e) => setTryState(e.target.value)} aria-label="State for Try (a JSON object)" />
        </label>
        {tryProblem ? (
          <p className="form-error" role="alert">
            {tryProblem}
          </p>
        ) : null}
      </details>

      {saveAsOpen && !d.handlerFor ? (
        <form
          className="py-saveas"
          onSubmit={(e) => {
            e.preventDefault();
            onSaveAs();
          }}
        >
          <label htmlFor={`${ids}-name`}>Handler for ix</label>
          <input
            id={`${ids}-name`}
            ref={nameRef}
            className="input mono"
            value={saveAsName}
            placeholder="webhook"
            spellCheck={false}
            onChange={(e) => setSaveAsName(e.target.value)}
            onKeyDown={(e) => {
              if (e.key === 'Escape') setSaveAsOpen(false);
            }}
          />
          <button type="submit" className="button primary" disabled={save.phase === 'saving'}>
            Save
          </button>
          <button type="button" className="button subtle" onClick={() => setSaveAsOpen(false)}>
            Cancel
          </button>
          {saveAsProblem ? (
            <p className="form-error" role="alert">
              {saveAsProblem}
            </p>
          ) : null}
        </form>
      ) : null}

      <div className="py-main">
        <CodeEditor value={d.code} onChange={onChange} onRun={() => void doRun()} onSave={() => void doSave()} errorLine={mark ?? failureMark} label={`Python code of ${d.handlerFor ? `handler ${d.handlerFor}` : 'this glyph'}`} />
        {versions.open && d.handlerFor ? (
          <VersionsPanel
            type={d.handlerFor}
            info={versions.info}
            error={versions.error}
            busy={restoring}
            onOpen={(v) => onChange(v.code)}
            onRestore={(n) => void doRestore(n)}
          />
        ) : null}
      </div>

      <div className="py-output" aria-live="polite">
        {d.handlerFor ? <HookButton scriptType={d.handlerFor} /> : null}
        <SaveResult save={save} />
        <RunResult run={run} />
        {failure ? <ScheduledFailure failure={failure} /> : null}
      </div>
    </div>
  );
}

/** The handler's last scheduled run failed: what it raised, where, and the traceback it printed. */
function ScheduledFailure({ failure }: { failure: ExecutionDto }) {
  const line = errorLine(failure);
  const version = detailValue(failure, 'handler_version');
  return (
    <div className="result result-error" role="alert" data-testid="scheduled-failure">
      <p>
        The scheduled run at {formatTimestamp(failure.started_at).slice(11)}
        {version ? ` (version ${version})` : ''} failed{line ? ` at line ${line}` : ''}: {exceptionLine(failure)}
      </p>
      {failure.stderr ? <OutputBlock label="Traceback" text={failure.stderr} tone="error" /> : null}
    </div>
  );
}

function SaveResult({ save }: { save: SaveState }) {
  if (save.phase === 'saved') {
    return (
      <p className="result result-ok" role="status" data-save="ok">
        Saved as the handler for <code>ix {save.type}</code>
        {save.version !== null ? ` (version ${save.version})` : ''}.
      </p>
    );
  }
  if (save.phase === 'error') {
    return (
      <div className="result result-error" role="alert" data-save="error">
        <p>Save failed: {save.error.message}</p>
        {save.error.hint ? <p className="muted small">{save.error.hint}</p> : null}
        {save.error.details.length ? <p className="details mono small">{save.error.details.join(' · ')}</p> : null}
      </div>
    );
  }
  return null;
}

function RunResult({ run }: { run: RunState }) {
  if (run.phase === 'error') {
    return (
      <div className="result result-error" role="alert" data-run="error">
        <p>Try failed: {run.error.message}</p>
        {run.error.hint ? <p className="muted small">{run.error.hint}</p> : null}
        {run.error.details.length ? <p className="details mono small">{run.error.details.join(' · ')}</p> : null}
      </div>
    );
  }
  if (run.phase !== 'done') return null;
  const r = run.result;
  if (r.dry_run) return <DryRunResult result={r} />;
  const n = r.attestations_created ?? 0;
  return (
    <div className={`result ${r.success ? 'result-ok' : 'result-error'}`} data-run={r.success ? 'ok' : 'error'}>
      <p>
        {r.success ? 'Ran' : 'Failed'} in {formatDuration(r.duration_ms)} · {n} attestation{n === 1 ? '' : 's'} created
      </p>
      {r.error ? <OutputBlock label="Error" text={r.error} tone="error" /> : null}
      {r.details && r.details.length ? <p className="details mono small">{r.details.join(' · ')}</p> : null}
      <OutputBlock label="stdout" text={r.stdout ?? ''} />
      <OutputBlock label="stderr" text={r.stderr ?? ''} tone="muted" />
    </div>
  );
}
