// The AX glyph: one query line in the AX language (highlighted, with completion), the results
// table, the sameness conflicts, and the old field inputs as an "advanced" view of the same query.
// The query is saved with the glyph; on the first page it refreshes when attestations arrive.
import { useCallback, useEffect, useId, useRef, useState, type FormEvent } from 'react';
import type { AxConflictDto, AxResponseDto } from '../../../../src/protocol.js';
import { ApiError } from '../../api/http.js';
import { useCanvasActions } from '../../app/canvas.js';
import { useServices } from '../../app/services.js';
import { saveBlob } from '../../lib/download.js';
import type { GlyphBodyProps } from '../registry.js';
import { AttestationDrawer } from './AttestationDrawer.js';
import { AxConflicts } from './AxConflicts.js';
import { AxResults } from './AxResults.js';
import { WatchSwitch } from './WatchSwitch.js';
import type { AxQueryEditorProps } from './AxQueryEditor.js';
import { EditorPlaceholder, lazyEditor } from '../../ui/lazyEditor.js';
import {
  AX_FIELDS,
  cursorOf,
  errorColumn,
  fieldsOf,
  firstPage,
  listFilterOf,
  nextPage,
  offsetOfColumn,
  pageLoaded,
  previousPage,
  readAxData,
  toRequest,
  withField,
  type AxData,
  type Paging,
} from './ax-model.js';

/** The query line's CodeMirror editor, loaded when the first AX glyph shows. */
const AxQueryEditor = lazyEditor<AxQueryEditorProps>(
  () => import('./AxQueryEditor.js').then((m) => m.AxQueryEditor),
  (p) => <EditorPlaceholder className="ax-query" text={p.value} label="AX query" />,
);

const LABELS = { subjects: 'Subject', predicates: 'Predicate', contexts: 'Context', actors: 'Actor' } as const;

export function AxGlyph({ glyph }: GlyphBodyProps) {
  const { api, bus } = useServices();
  const canvas = useCanvasActions();
  const d = readAxData(glyph.data);
  const [paging, setPaging] = useState<Paging>(firstPage);
  const [res, setRes] = useState<AxResponseDto | null>(null);
  const [error, setError] = useState<{ message: string; at: number | null; hint?: string | undefined } | null>(null);
  const [loading, setLoading] = useState(false);
  const [total, setTotal] = useState<number | null>(null);
  const [openId, setOpenId] = useState<string | null>(null);
  const [exporting, setExporting] = useState(false);
  const ids = useId();
  const seq = useRef(0);

  const load = useCallback(
    async (p: Paging, runActions = false, changed: Partial<AxData> = {}) => {
      const mine = ++seq.current;
      setLoading(true);
      // `changed`: what the user just set, which the canvas state may not hold yet.
      const data = { ...readAxData(canvas.getGlyph(glyph.id)?.data ?? {}), ...changed };
      try {
        const filter = listFilterOf(data);
        // The count covers the subject, predicate, context and actor clauses only: with any other
        // clause (a time, a limit) it would count what the query does not match, so it is not asked.
        const countable = !fieldsOf(data.query).rest;
        const [page, count] = await Promise.all([
          api.ax.query(toRequest(data, cursorOf(p), runActions, glyph.id)),
          countable ? api.ats.count(filter).catch(() => null) : Promise.resolve(null),
        ]);
        if (mine !== seq.current) return;
        setRes(page);
        setTotal(count);
        setPaging(pageLoaded(p, page.next_cursor));
        setError(null);
      } catch (err) {
        if (mine !== seq.current) return;
        const col = err instanceof ApiError ? errorColumn(err.details) : null;
        setError({ message: (err as Error).message, at: col === null ? null : offsetOfColumn(data.query, col), hint: err instanceof ApiError ? err.hint : undefined });
      } finally {
        if (mine === seq.current) setLoading(false);
      }
    },
    [api, canvas, glyph.id],
  );

  // Show results straight away, for a restored query too (never re-running its actions).
  useEffect(() => {
    void load(firstPage);
  }, [load]);

  const pagingRef = useRef(paging);
  pagingRef.current = paging;
  useEffect(() => {
    let timer: ReturnType<typeof setTimeout> | undefined;
    const off = bus.on('serverEvent', (e) => {
      if (e.type !== 'attestations_created' && e.type !== 'pulse_execution_completed') return;
      if (pagingRef.current.page !== 0 || timer) return;
      timer = setTimeout(() => {
        timer = undefined;
        void load(firstPage);
      }, 400);
    });
    return () => {
      off();
      if (timer) clearTimeout(timer);
    };
  }, [bus, load]);

  // Enter passes the editor's text: the canvas state may be a keystroke behind.
  const run = (query?: string) => void load(firstPage, true, query === undefined ? {} : { query });
  const onSubmit = (e: FormEvent) => {
    e.preventDefault();
    run();
  };
  const setQuery = (query: string) => canvas.updateData(glyph.id, { query });
  const fields = fieldsOf(d.query);
  const conflicts: AxConflictDto[] = res?.conflicts ?? [];
  const inConflict = new Set(conflicts.flatMap((c) => c.claims.map((x) => x.id)));
  const filter = listFilterOf(d);
  // After a query error the results on screen are those of the last query that worked: say so.
  const stale = !!error && !!res;

  // Closing the drawer gives the focus back to the row it was opened from, as a dialog does.
  const rootRef = useRef<HTMLDivElement>(null);
  const closeDrawer = useCallback(() => {
    const id = openId;
    setOpenId(null);
    if (!id) return;
    requestAnimationFrame(() => rootRef.current?.querySelector<HTMLElement>(`tr[data-attestation-id="${CSS.escape(id)}"]`)?.focus());
  }, [openId]);

  return (
    <div className="ax" ref={rootRef}>
      <form className="ax-bar" onSubmit={onSubmit}>
        <span className="ax-prompt mono" aria-hidden="true">
          ax
        </span>
        <AxQueryEditor value={d.query} onChange={setQuery} onRun={run} complete={(q, pos) => api.ax.complete(q, pos)} errorAt={error?.at ?? null} />
        <button type="submit" className="button primary" disabled={loading}>
          {loading ? 'Searching…' : 'Search'}
        </button>
        <button
          type="button"
          className={`button small ${d.advanced ? 'active' : ''}`}
          aria-pressed={d.advanced}
          onClick={() => canvas.updateData(glyph.id, { advanced: !d.advanced })}
        >
          Advanced
        </button>
      </form>
      <WatchSwitch glyphId={glyph.id} data={d} />
      {d.advanced ? (
        <div className="ax-form" role="group" aria-label="Advanced query fields">
          {AX_FIELDS.map((f) => (
            <div key={f} className="ax-field">
              <label htmlFor={`${ids}-${f}`}>{LABELS[f]}</label>
              <input
                id={`${ids}-${f}`}
                className="input mono"
                value={fields[f]}
                placeholder="any"
                title="Several values, separated by commas, match any of them"
                spellCheck={false}
                onChange={(e) => setQuery(withField(d.query, f, e.target.value))}
              />
            </div>
          ))}
          {fields.rest ? <div className="ax-rest muted small mono">{fields.rest}</div> : null}
        </div>
      ) : null}
      {error ? (
        <p className="form-error" role="alert">
          {error.message}
          {error.hint ? <span className="muted"> — {error.hint}</span> : null}
        </p>
      ) : null}
      {stale ? (
        <p className="muted small ax-stale-note" data-testid="ax-stale">
          Showing the results of the last query that worked.
        </p>
      ) : null}
      <div className={`ax-table-wrap${stale ? ' is-stale' : ''}`} role="region" tabIndex={0} aria-label="Results">
        <AxResults rows={res?.attestations} inConflict={inConflict} selected={openId} onOpen={setOpenId} />
        {res && res.attestations.length === 0 ? <p className="empty-note">No attestations match.</p> : null}
        <AxConflicts conflicts={conflicts} />
      </div>
      {openId ? <AttestationDrawer id={openId} onClose={closeDrawer} /> : null}
      <div className="ax-pager">
        <span className="muted small" aria-live="polite">
          {res
            ? `Page ${paging.page + 1} · ${res.summary.shown} shown` +
              (res.summary.matched !== res.summary.shown ? ` of ${res.summary.matched} matched` : '') +
              (res.actions?.length ? ` · started ${res.actions.map((a) => a.type).join(', ')}` : '')
            : ''}
        </span>
        {total !== null && !stale ? (
          <span className="small ax-total" data-total={total} title="Every attestation the query matches">
            {total} total
          </span>
        ) : null}
        <span className="spacer" />
        <span className="small ax-export">
          export{' '}
          {(['jsonl', 'csv'] as const).map((format) => (
            <button
              key={format}
              type="button"
              className="link-button"
              data-export={format}
              disabled={exporting}
              title={`Download every attestation of the filter as ${format.toUpperCase()}`}
              onClick={() => {
                setExporting(true);
                api.ats
                  .exportFile(format, filter)
                  .then((blob) => saveBlob(blob, `attestations.${format}`))
                  .catch((err: unknown) => setError({ message: `export failed: ${(err as Error).message}`, at: null, hint: err instanceof ApiError ? err.hint : undefined }))
                  .finally(() => setExporting(false));
              }}
            >
              {format.toUpperCase()}
            </button>
          ))}
        </span>
        <label className="small ax-system">
          <input
            type="checkbox"
            checked={!d.showSystem}
            onChange={(e) => {
              canvas.updateData(glyph.id, { showSystem: !e.target.checked });
              void load(firstPage, false, { showSystem: !e.target.checked });
            }}
          />{' '}
          hide system
        </label>
        <label className="small ax-all">
          <input
            type="checkbox"
            checked={d.showAll}
            onChange={(e) => {
              canvas.updateData(glyph.id, { showAll: e.target.checked });
              void load(firstPage, false, { showAll: e.target.checked });
            }}
          />{' '}
          all matches
        </label>
        <button type="button" className="button small" disabled={loading || paging.page === 0} onClick={() => { const p = previousPage(paging); if (p) void load(p); }}>
          Previous
        </button>
        <button type="button" className="button small" disabled={loading || !paging.next} onClick={() => { const p = nextPage(paging); if (p) void load(p); }}>
          Next
        </button>
      </div>
    </div>
  );
}
