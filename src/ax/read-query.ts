// A query as the API and CLI take it: AX text, or the structured filter it compiles to.
import { ValidationError } from '../errors.js';
import { compileAx, parseAxFilter } from './compile.js';
import { formatFilter } from './format.js';
import { parseAx } from './parser.js';
import type { AxFilter, AxQuery } from './query.js';

export interface ReadQuery {
  filter: AxFilter;
  /** The parsed text; undefined for a structured filter. */
  parsed: AxQuery | undefined;
  /** The query as text (for a structured filter: written from it). */
  text: string;
}

export function readAxQuery(raw: unknown, o: { now: number; zone?: string | undefined }): ReadQuery {
  if (typeof raw === 'string') {
    const parsed = parseAx(raw);
    return { filter: compileAx(parsed, o), parsed, text: raw.trim() };
  }
  if (raw && typeof raw === 'object' && !Array.isArray(raw)) {
    const filter = parseAxFilter(raw);
    return { filter, parsed: undefined, text: formatFilter(filter) };
  }
  throw new ValidationError('query must be AX text or a filter object', {
    details: ['query=must be a string or an object'],
    hint: 'e.g. {"query": "alice is engineer of acme since 2026-01"} or {"query": {"subjects": ["alice"]}}',
  });
}
