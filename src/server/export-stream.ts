// An export of every attestation a filter matches, as JSONL or CSV, streamed page by page: the
// store is read one page (within the response budget) at a time and only as the client reads,
// so an export of millions of rows holds one page in memory.
import { Readable } from 'node:stream';
import { stringify } from 'csv-stringify/sync';
import type { AttestationStore } from '../ats/store.js';
import type { Attestation, AttestationFilter } from '../ats/types.js';

export type ExportFormat = 'jsonl' | 'csv';

const CSV_COLUMNS = ['id', 'subjects', 'predicates', 'contexts', 'actors', 'timestamp', 'source', 'attributes', 'created_at', 'handler_version'] as const;

function csvRow(a: Attestation): unknown[] {
  return [
    a.id,
    a.subjects.join('|'),
    a.predicates.join('|'),
    a.contexts.join('|'),
    a.actors.join('|'),
    new Date(a.timestamp).toISOString(),
    a.source,
    JSON.stringify(a.attributes),
    new Date(a.created_at).toISOString(),
    a.handler_version ?? '',
  ];
}

async function* lines(store: AttestationStore, filter: AttestationFilter, format: ExportFormat, pageBytes: number): AsyncGenerator<string> {
  // A cell starting with = + - @ is quoted with ' so a spreadsheet does not run it as a formula.
  if (format === 'csv') yield stringify([[...CSV_COLUMNS]]);
  let cursor: string | undefined;
  do {
    const page = await store.query({ ...filter, limit: 1000, cursor, maxBytes: pageBytes });
    if (page.items.length) {
      yield format === 'csv'
        ? stringify(page.items.map(csvRow), { escape_formulas: true })
        : page.items.map((a) => JSON.stringify(a)).join('\n') + '\n';
    }
    cursor = page.next_cursor ?? undefined;
  } while (cursor);
}

export function exportStream(store: AttestationStore, filter: AttestationFilter, format: ExportFormat, pageBytes: number): Readable {
  const { limit: _limit, cursor: _cursor, maxBytes: _max, ...rest } = filter;
  return Readable.from(lines(store, rest, format, pageBytes), { objectMode: false });
}
