// What Try (a dry run) found: nothing was stored; the attestations a run would create (the first
// 200 and the count), stdout/stderr, and ix.state before and after.
import type { ExecuteResult } from '../../api/types.js';
import { formatDuration } from '../../lib/format.js';
import { OutputBlock } from '../../ui/bits.js';

const list = (v: unknown) => (Array.isArray(v) ? v.join(', ') : '');

export function DryRunResult({ result: r }: { result: ExecuteResult }) {
  const would = r.would_create ?? { count: 0, attestations: [] };
  const shown = would.attestations.slice(0, 200);
  return (
    <div className={`result ${r.success ? 'result-ok' : 'result-error'} dry-run`} data-run={r.success ? 'ok' : 'error'} data-dry-run="true">
      <p>
        Try {r.success ? 'ran' : 'failed'} in {formatDuration(r.duration_ms)} · nothing stored ·{' '}
        <strong data-would-create={would.count}>
          would create {would.count} attestation{would.count === 1 ? '' : 's'}
        </strong>
        {would.count > shown.length ? ` (first ${shown.length} shown)` : ''}
      </p>
      {r.error ? <OutputBlock label="Error" text={r.error} tone="error" /> : null}
      {r.details && r.details.length ? <p className="details mono small">{r.details.join(' · ')}</p> : null}
      {shown.length ? (
        <div className="dry-table-wrap" tabIndex={0} role="region" aria-label="Attestations the run would create">
          <table className="dry-table">
            <thead>
              <tr>
                <th scope="col">Subjects</th>
                <th scope="col">Predicates</th>
                <th scope="col">Contexts</th>
                <th scope="col">Attributes</th>
              </tr>
            </thead>
            <tbody>
              {shown.map((a, i) => (
                <tr key={i}>
                  <td className="mono">{list(a.subjects)}</td>
                  <td className="mono">{list(a.predicates)}</td>
                  <td className="mono">{list(a.contexts)}</td>
                  <td className="mono small">{a.attributes && Object.keys(a.attributes).length ? JSON.stringify(a.attributes) : ''}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      ) : null}
      <OutputBlock label="stdout" text={r.stdout ?? ''} />
      <OutputBlock label="stderr" text={r.stderr ?? ''} tone="muted" />
      <div className="state-diff">
        <OutputBlock label="ix.state before" text={JSON.stringify(r.state_before ?? {}, null, 2)} />
        <OutputBlock label="ix.state after" text={JSON.stringify(r.state ?? {}, null, 2)} />
      </div>
    </div>
  );
}
