// The AX glyph: query attestations by subject, predicate, context and actor; a paged table.
// On the first page it refreshes itself when the server reports new attestations.
import { useCallback, useEffect, useId, useRef, useState, type FormEvent } from 'react';
import type { AttestationDto } from '../../../../src/protocol.js';
import { useCanvasActions } from '../../app/canvas.js';
import { useServices } from '../../app/services.js';
import { formatTimestamp } from '../../lib/format.js';
import type { GlyphBodyProps } from '../registry.js';
import { attributesText, cursorOf, firstPage, nextPage, pageLoaded, previousPage, readAxData, toQuery, type AxData, type Paging } from './ax-model.js';

const FIELDS: ReadonlyArray<{ key: keyof Omit<AxData, 'pageSize'>; label: string; placeholder: string }> = [
  { key: 'subjects', label: 'Subject', placeholder: 'any' },
  { key: 'predicates', label: 'Predicate', placeholder: 'any' },
  { key: 'contexts', label: 'Context', placeholder: 'any' },
  { key: 'actors', label: 'Actor', placeholder: 'any' },
];

export function AxGlyph({ glyph }: GlyphBodyProps) {
  const { api, bus } = useServices();
  const canvas = useCanvasActions();
  const d = readAxData(glyph.data);
  const [paging, setPaging] = useState<Paging>(firstPage);
  const [rows, setRows] = useState<AttestationDto[] | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [loading, setLoading] = useState(false);
  const ids = useId();
  const seq = useRef(0);

  const load = useCallback(
    async (p: Paging) => {
      const mine = ++seq.current;
      setLoading(true);
      try {
        const data = readAxData(canvas.getGlyph(glyph.id)?.data ?? {});
        const page = await api.ats.query(toQuery(data, cursorOf(p)));
        if (mine !== seq.current) return;
        setRows(page.attestations);
        setPaging(pageLoaded(p, page.next_cursor));
        setError(null);
      } catch (err) {
        if (mine === seq.current) setError((err as Error).message);
      } finally {
        if (mine === seq.current) setLoading(false);
      }
    },
    [api, canvas, glyph.id],
  );

  // Show results straight away, for a restored query too.
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

  const onSubmit = (e: FormEvent) => {
    e.preventDefault();
    void load(firstPage);
  };

  return (
    <div className="ax">
      <form className="ax-form" onSubmit={onSubmit}>
        {FIELDS.map((f) => (
          <div key={f.key} className="ax-field">
            <label htmlFor={`${ids}-${f.key}`}>{f.label}</label>
            <input
              id={`${ids}-${f.key}`}
              className="input mono"
              value={d[f.key]}
              placeholder={f.placeholder}
              title="Several values, separated by commas, match any of them"
              spellCheck={false}
              onChange={(e) => canvas.updateData(glyph.id, { [f.key]: e.target.value })}
            />
          </div>
        ))}
        <div className="ax-submit">
          <button type="submit" className="button primary" disabled={loading}>
            {loading ? 'Searching…' : 'Search'}
          </button>
        </div>
      </form>
      {error ? (
        <p className="form-error" role="alert">
          {error}
        </p>
      ) : null}
      <div className="ax-table-wrap" tabIndex={0} aria-label="Results">
        <table className="ax-table">
          <thead>
            <tr>
              <th scope="col">Subject</th>
              <th scope="col">Predicate</th>
              <th scope="col">Context</th>
              <th scope="col">Actor</th>
              <th scope="col">Time</th>
              <th scope="col">Attributes</th>
            </tr>
          </thead>
          <tbody>
            {rows?.map((a) => (
              <tr key={a.id} data-attestation-id={a.id}>
                <td>{a.subjects.join(', ')}</td>
                <td>{a.predicates.join(', ')}</td>
                <td>{a.contexts.join(', ')}</td>
                <td>{a.actors.join(', ')}</td>
                <td className="nowrap" title={`${a.id} · source ${a.source}`}>
                  {formatTimestamp(a.timestamp)}
                </td>
                <td className="mono small attrs" title={JSON.stringify(a.attributes)}>
                  {attributesText(a.attributes)}
                </td>
              </tr>
            ))}
          </tbody>
        </table>
        {rows && rows.length === 0 ? <p className="empty-note">No attestations match.</p> : null}
      </div>
      <div className="ax-pager">
        <span className="muted small" aria-live="polite">
          {rows ? `Page ${paging.page + 1} · ${rows.length} row${rows.length === 1 ? '' : 's'}` : ''}
        </span>
        <span className="spacer" />
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
