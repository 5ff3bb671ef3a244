// The AX glyph's results table: the resolved view (or every match), alias matches marked, rows
// that take part in a sameness group flagged. A short, copyable id per row; a row (click or
// Enter) opens its detail drawer; columns are resized by dragging (or arrow keys on) their edge.
import { useRef, useState, type KeyboardEvent, type PointerEvent } from 'react';
import type { AxAttestationDto } from '../../../../src/protocol.js';
import { formatTimestamp } from '../../lib/format.js';
import { attributesText, shortId } from './ax-model.js';

const COLUMNS = ['Id', 'Subject', 'Predicate', 'Context', 'Actor', 'Time', 'Attributes'] as const;
type Column = (typeof COLUMNS)[number];
const START: Record<Column, number> = { Id: 160, Subject: 130, Predicate: 110, Context: 110, Actor: 90, Time: 140, Attributes: 220 };
const MIN = 60;

export function AxResults(props: {
  rows: readonly AxAttestationDto[] | undefined;
  inConflict: ReadonlySet<string>;
  selected: string | null;
  onOpen(id: string): void;
}) {
  const { rows, inConflict, selected, onOpen } = props;
  const [widths, setWidths] = useState<Record<Column, number>>(START);
  const [copied, setCopied] = useState<string | null>(null);
  const drag = useRef<{ col: Column; x: number; w: number } | null>(null);

  const setWidth = (col: Column, w: number) => setWidths((ws) => ({ ...ws, [col]: Math.max(MIN, Math.round(w)) }));
  const onDown = (col: Column) => (e: PointerEvent<HTMLSpanElement>) => {
    e.preventDefault();
    e.stopPropagation();
    (e.target as HTMLElement).setPointerCapture(e.pointerId);
    drag.current = { col, x: e.clientX, w: widths[col] };
  };
  const onMove = (e: PointerEvent<HTMLSpanElement>) => {
    const d = drag.current;
    if (d) setWidth(d.col, d.w + (e.clientX - d.x));
  };
  const onUp = () => {
    drag.current = null;
  };
  const onKey = (col: Column) => (e: KeyboardEvent) => {
    if (e.key === 'ArrowLeft' || e.key === 'ArrowRight') {
      e.preventDefault();
      setWidth(col, widths[col] + (e.key === 'ArrowRight' ? 20 : -20));
    }
  };
  const copy = (id: string) => {
    void navigator.clipboard?.writeText(id).catch(() => undefined);
    setCopied(id);
  };

  return (
    <table className="ax-table" style={{ width: Object.values(widths).reduce((a, b) => a + b, 0) }}>
      <colgroup>
        {COLUMNS.map((c) => (
          <col key={c} style={{ width: widths[c] }} />
        ))}
      </colgroup>
      <thead>
        <tr>
          {COLUMNS.map((c, i) => (
            <th key={c} scope="col" data-col={c}>
              {c}
              <span
                className="col-resize nodrag"
                role="separator"
                aria-orientation="vertical"
                aria-label={`Resize column ${i + 1}`}
                title={`Drag (or arrow keys) to resize the ${c} column`}
                aria-valuenow={widths[c]}
                aria-valuemin={MIN}
                tabIndex={0}
                onPointerDown={onDown(c)}
                onPointerMove={onMove}
                onPointerUp={onUp}
                onKeyDown={onKey(c)}
              />
            </th>
          ))}
        </tr>
      </thead>
      <tbody>
        {rows?.map((a) => (
          <tr
            key={a.id}
            data-attestation-id={a.id}
            className={`ax-row${inConflict.has(a.id) ? ' ax-row-conflict' : ''}${selected === a.id ? ' is-selected' : ''}`}
            tabIndex={0}
            aria-selected={selected === a.id}
            onClick={() => onOpen(a.id)}
            onKeyDown={(e) => {
              if (e.key !== 'Enter' || e.target !== e.currentTarget) return;
              // The drawer takes the focus on its Close button: left to run, the same Enter would
              // then press it and close the drawer at once.
              e.preventDefault();
              onOpen(a.id);
            }}
          >
            <td className="mono small ax-id">
              <span title={a.id}>{shortId(a.id)}</span>
              <button
                type="button"
                className="link-button copy-id"
                onClick={(e) => {
                  e.stopPropagation();
                  copy(a.id);
                }}
                aria-label={`Copy id ${a.id}`}
                title="Copy the whole id"
              >
                {copied === a.id ? 'copied' : 'copy'}
              </button>
            </td>
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
            <td className="nowrap" title={`source ${a.source}`}>
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
