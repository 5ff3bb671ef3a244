// The AX glyph's logic without React: its saved data (the query line; older glyphs' fields become
// a query), the advanced fields as a view of the same query, the request, and cursor paging.
import { axClauses, withClauses, type AxClauses } from './ax-syntax.js';

export interface AxData {
  /** The query, as typed on the query line (without the leading `ax`). */
  query: string;
  pageSize: number;
  /** The field inputs are open. */
  advanced: boolean;
  /** Every match, not only the resolved view. */
  showAll: boolean;
  /** System attestations (handler code, retractions…) are listed too; off by default. */
  showSystem: boolean;
  /** The watcher this glyph made (its query with `so <type>`, run on each new match), if any. */
  watchId: string | null;
}

export const axDefaults: AxData = { query: '', pageSize: 25, advanced: false, showAll: false, showSystem: false, watchId: null };

/** The type a query hands its results to (`… so <type>` at its end), or null. */
export function soTypeOf(query: string): string | null {
  return /(?:^|\s)so\s+([A-Za-z0-9_.:-]+)\s*$/.exec(query)?.[1] ?? null;
}

export type AxField = 'subjects' | 'predicates' | 'contexts' | 'actors';
export const AX_FIELDS: readonly AxField[] = ['subjects', 'predicates', 'contexts', 'actors'];

/** "alice, bob" → ["alice", "bob"]; blanks dropped. */
export function splitValues(text: string): string[] {
  return text
    .split(',')
    .map((v) => v.trim())
    .filter((v) => v.length > 0);
}

export function readAxData(data: Readonly<Record<string, unknown>>): AxData {
  const size = typeof data.pageSize === 'number' && data.pageSize > 0 ? Math.min(200, Math.round(data.pageSize)) : axDefaults.pageSize;
  let query = typeof data.query === 'string' ? data.query : undefined;
  if (query === undefined) {
    // A glyph saved before the query line: its four comma fields become the same query.
    const field = (k: AxField) => (typeof data[k] === 'string' ? splitValues(data[k] as string) : []);
    query = withClauses({ subjects: field('subjects'), predicates: field('predicates'), contexts: field('contexts'), actors: field('actors'), rest: '' });
  }
  const watchId = typeof data.watchId === 'string' && data.watchId ? data.watchId : null;
  return { query, pageSize: size, advanced: data.advanced === true, showAll: data.showAll === true, showSystem: data.showSystem === true, watchId };
}

/** The advanced fields' text: each clause's values, comma-separated. */
export function fieldsOf(query: string): Record<AxField, string> & { rest: string } {
  const c = axClauses(query);
  return { subjects: c.subjects.join(', '), predicates: c.predicates.join(', '), contexts: c.contexts.join(', '), actors: c.actors.join(', '), rest: c.rest };
}

/** The query after one advanced field changed; the other clauses (times, so) are kept. */
export function withField(query: string, field: AxField, text: string): string {
  const c: AxClauses = axClauses(query);
  c[field] = splitValues(text);
  return withClauses(c);
}

export interface AxRequest {
  query: string;
  limit: number;
  cursor?: string;
  all: boolean;
  actions: boolean;
  /** The glyph a `so` schedule was made from. */
  created_from?: string;
  /** Hide the system's own attestations (handler versions, retractions…). */
  exclude_system?: boolean;
}

/** The list filter the query's fields make (for totals and export): subjects, predicates, … */
export function listFilterOf(d: AxData): { subjects: string[]; predicates: string[]; contexts: string[]; actors: string[]; exclude_system: boolean } {
  const c = axClauses(d.query);
  return { subjects: c.subjects, predicates: c.predicates, contexts: c.contexts, actors: c.actors, exclude_system: !d.showSystem };
}

/** "AS01HZX…9KQ2": enough of an id to tell rows apart; the whole one is copied. */
export function shortId(id: string): string {
  return id.length <= 12 ? id : `${id.slice(0, 6)}…${id.slice(-4)}`;
}

/** A refresh never starts `so` actions again; only a run the user asks for does. */
export function toRequest(d: AxData, cursor: string | null, runActions: boolean, glyphId?: string): AxRequest {
  return {
    query: d.query,
    limit: d.pageSize,
    ...(cursor ? { cursor } : {}),
    all: d.showAll,
    actions: runActions,
    ...(runActions && glyphId ? { created_from: glyphId } : {}),
    ...(d.showSystem ? {} : { exclude_system: true }),
  };
}

/** Cursor paging: the cursors of the pages seen so far, so Previous needs no server support. */
export interface Paging {
  /** cursors[i] fetched page i (page 0: null). */
  readonly cursors: readonly (string | null)[];
  readonly page: number;
  readonly next: string | null;
}

export const firstPage: Paging = { cursors: [null], page: 0, next: null };

export function pageLoaded(p: Paging, next: string | null): Paging {
  return { ...p, next };
}

export function nextPage(p: Paging): Paging | undefined {
  if (!p.next) return undefined;
  return { cursors: [...p.cursors.slice(0, p.page + 1), p.next], page: p.page + 1, next: null };
}

export function previousPage(p: Paging): Paging | undefined {
  if (p.page === 0) return undefined;
  return { cursors: p.cursors, page: p.page - 1, next: null };
}

export function cursorOf(p: Paging): string | null {
  return p.cursors[p.page] ?? null;
}

/** A short text of an attestation's attributes for a table cell: `key: value, …`. */
export function attributesText(attrs: Record<string, unknown>, max = 160): string {
  const s = Object.entries(attrs)
    .map(([k, v]) => `${k}: ${typeof v === 'string' ? v : JSON.stringify(v)}`)
    .join(', ');
  return s.length > max ? `${s.slice(0, max - 1)}…` : s;
}

/** The column of a server error ("column=12"), or null. */
export function errorColumn(details: readonly string[] | undefined): number | null {
  const d = details?.find((x) => x.startsWith('column='));
  const n = d ? Number(d.slice(7)) : NaN;
  return Number.isInteger(n) && n > 0 ? n : null;
}

/** UTF-16 offset of a 1-based column counted in code points. */
export function offsetOfColumn(text: string, column: number): number {
  let offset = 0;
  let col = 1;
  for (const ch of text) {
    if (col >= column) break;
    offset += ch.length;
    col++;
  }
  return offset;
}

/** The word to underline for an error at `offset`: the word there, or the last one when the error is at the end. */
export function errorRange(text: string, offset: number): { from: number; to: number } | null {
  const at = Math.min(Math.max(0, offset), text.length);
  let from = at;
  let to = at;
  while (to < text.length && !/\s/.test(text[to]!)) to++;
  if (to === from) {
    // "needs a predicate": nothing at the column, so mark the word before it.
    while (from > 0 && /\s/.test(text[from - 1]!)) from--;
    to = from;
    while (from > 0 && !/\s/.test(text[from - 1]!)) from--;
  }
  return to > from ? { from, to } : null;
}
