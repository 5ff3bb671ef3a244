// One attestation in full, in a drawer over the AX glyph's table: every field, the attributes as
// formatted JSON, and where it came from: the run that stored it → its schedule → the handler
// version → that version's code, each a link (the Pulse panel, the handler's Python glyph).
import { useEffect, useRef, useState } from 'react';
import type { Provenance } from '../../api/types.js';
import { useCanvasActions, useCanvasState } from '../../app/canvas.js';
import { useServices } from '../../app/services.js';
import { formatDuration, formatTimestamp } from '../../lib/format.js';
import { StatusPill } from '../../ui/bits.js';
import { readPyData } from '../py/py-model.js';

export function AttestationDrawer({ id, onClose }: { id: string; onClose(): void }) {
  const { api } = useServices();
  const canvas = useCanvasActions();
  const { glyphs } = useCanvasState();
  const [p, setP] = useState<Provenance | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [showCode, setShowCode] = useState(false);
  const closeRef = useRef<HTMLButtonElement>(null);

  useEffect(() => {
    let live = true;
    setP(null);
    setError(null);
    setShowCode(false);
    api.ats.provenance(id).then(
      (r) => live && setP(r),
      (err: Error) => live && setError(err.message),
    );
    closeRef.current?.focus();
    return () => {
      live = false;
    };
  }, [api, id]);

  const revealRun = () => {
    const pulse = glyphs.find((g) => g.kind === 'pulse');
    if (pulse) canvas.focus(pulse.id);
    else canvas.spawn('pulse');
  };
  const openHandler = (type: string, code: string) => {
    const g = glyphs.find((x) => x.kind === 'py' && readPyData(x.data).handlerFor === type);
    if (g) canvas.focus(g.id);
    else canvas.spawn('py', { data: { code, handlerFor: type, savedCode: code } });
  };

  const a = p?.attestation;
  return (
    <aside
      className="ax-drawer"
      role="dialog"
      aria-label={`Attestation ${id}`}
      data-drawer-id={id}
      onKeyDown={(e) => {
        if (e.key === 'Escape') {
          e.stopPropagation();
          onClose();
        }
      }}
    >
      <div className="ax-drawer-head">
        <h3 className="section-title">Attestation</h3>
        <span className="spacer" />
        <button ref={closeRef} type="button" className="button small" onClick={onClose}>
          Close
        </button>
      </div>
      {error ? (
        <p className="form-error" role="alert">
          {error}
        </p>
      ) : null}
      {!a && !error ? <p className="muted small">Loading…</p> : null}
      {a ? (
        <>
          <dl className="ax-fields">
            <dt>id</dt>
            <dd className="mono">{a.id}</dd>
            <dt>subjects</dt>
            <dd>{a.subjects.join(', ')}</dd>
            <dt>predicates</dt>
            <dd>{a.predicates.join(', ')}</dd>
            <dt>contexts</dt>
            <dd>{a.contexts.join(', ')}</dd>
            <dt>actors</dt>
            <dd>{a.actors.join(', ')}</dd>
            <dt>timestamp</dt>
            <dd>{formatTimestamp(a.timestamp)}</dd>
            <dt>stored</dt>
            <dd>{formatTimestamp(a.created_at)}</dd>
            <dt>source</dt>
            <dd className="mono">{a.source}</dd>
          </dl>
          <h4 className="section-title">attributes</h4>
          <pre className="output-text ax-attrs-json" tabIndex={0}>
            {JSON.stringify(a.attributes, null, 2)}
          </pre>
          <h4 className="section-title">provenance</h4>
          <ol className="provenance">
            <li data-prov="run">
              {p.execution ? (
                <>
                  run{' '}
                  <button type="button" className="link-button mono" onClick={revealRun} aria-label={`Show run ${p.execution.id} in the Pulse panel`}>
                    {p.execution.id}
                  </button>{' '}
                  <StatusPill status={p.execution.status} /> {formatDuration(p.execution.duration_ms)}
                  {p.schedule ? <span className="muted"> · schedule {p.schedule.ats_code}</span> : null}
                </>
              ) : (
                <span className="muted">not stored by a scheduled run ({a.source})</span>
              )}
            </li>
            <li data-prov="handler">
              {p.handler ? (
                <>
                  handler{' '}
                  <button type="button" className="link-button mono" onClick={() => openHandler(p.handler!.type, p.handler!.code)} aria-label={`Open handler ${p.handler.type} v${p.handler.version} in a Python glyph`}>
                    {p.handler.type} v{p.handler.version}
                  </button>
                </>
              ) : (
                <span className="muted">no handler version</span>
              )}
            </li>
            {p.handler ? (
              <li data-prov="code">
                <button type="button" className="link-button" aria-expanded={showCode} onClick={() => setShowCode((s) => !s)}>
                  {showCode ? 'Hide' : 'Show'} its code
                </button>
                {showCode ? (
                  <pre className="output-text mono" tabIndex={0}>
                    {p.handler.code}
                  </pre>
                ) : null}
              </li>
            ) : null}
          </ol>
        </>
      ) : null}
    </aside>
  );
}
