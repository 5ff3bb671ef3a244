// The AX glyph's results table: the resolved view (or every match), alias matches marked,
// rows that take part in a sameness group flagged.
import type { AxAttestationDto } from '../../../../src/protocol.js';
import { formatTimestamp } from '../../lib/format.js';
import { attributesText } from './ax-model.js';

export function AxResults({ rows, inConflict }: { rows: readonly AxAttestationDto[] | undefined; inConflict: ReadonlySet<string> }) {
  return (
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
          <tr key={a.id} data-attestation-id={a.id} className={inConflict.has(a.id) ? 'ax-row-conflict' : undefined}>
            <td>
              {a.subjects.join(', ')}
              {a.matched_aliases?.map((m) => (
                <span key={`${m.field}${m.value}`} className="ax-alias" title={`${m.field}: ${m.value} is an alias of ${m.alias_of}`}>
                  {' '}≈ {m.alias_of}
                </span>
              ))}
            </td>
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
  );
}
