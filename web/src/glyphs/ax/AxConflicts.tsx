// The conflicts panel of the AX glyph: each group of differing claims, its type, confidence,
// the claim that stands and why.
import type { AxConflictDto } from '../../../../src/protocol.js';
import { formatTimestamp } from '../../lib/format.js';
import { attributesText } from './ax-model.js';

export function AxConflicts({ conflicts }: { conflicts: readonly AxConflictDto[] }) {
  if (!conflicts.length) return null;
  return (
    <details className="ax-conflicts" open>
      <summary>
        Sameness <span className="muted small">· {conflicts.length} group{conflicts.length === 1 ? '' : 's'}</span>
      </summary>
      <ul>
        {conflicts.map((c) => (
          <li key={`${c.subject}\u0000${c.predicate}`} className="ax-conflict" data-type={c.type}>
            <div className="ax-conflict-head">
              <span className={`ax-badge ax-badge-${c.type}`}>{c.type}</span>
              <span className="mono">
                {c.subject} · {c.predicate}
              </span>
              <span className="muted small" title="confidence">
                {Math.round(c.confidence * 100)}%
              </span>
            </div>
            <div className="small ax-conflict-reason">{c.reason}</div>
            <ul className="ax-claims">
              {c.claims.map((claim) => (
                <li key={claim.id} data-claim={claim.id === c.winner ? 'winner' : c.kept.includes(claim.id) ? 'kept' : 'dropped'} title={claim.id}>
                  <span className="ax-claim-mark">{claim.id === c.winner ? '★' : c.kept.includes(claim.id) ? '·' : '×'}</span>
                  <span className="nowrap">{formatTimestamp(claim.timestamp)}</span> of {claim.contexts.join(', ')} by {claim.actors.join(', ')}{' '}
                  <span className="muted">({claim.actor_type})</span>
                  {Object.keys(claim.attributes).length ? <span className="mono small muted"> {attributesText(claim.attributes, 80)}</span> : null}
                </li>
              ))}
            </ul>
          </li>
        ))}
      </ul>
    </details>
  );
}
