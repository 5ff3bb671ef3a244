// The AX glyph's logic without React: the query form, its request, and cursor paging.
import type { AttestationQuery } from '../../api/types.js';

export interface AxData {
  subjects: string;
  predicates: string;
  contexts: string;
  actors: string;
  pageSize: number;
}

export const axDefaults: AxData = { subjects: '', predicates: '', contexts: '', actors: '', pageSize: 25 };

export function readAxData(data: Readonly<Record<string, unknown>>): AxData {
  const s = (k: keyof AxData) => (typeof data[k] === 'string' ? (data[k] as string) : '');
  const size = typeof data.pageSize === 'number' && data.pageSize > 0 ? Math.min(200, Math.round(data.pageSize)) : axDefaults.pageSize;
  return { subjects: s('subjects'), predicates: s('predicates'), contexts: s('contexts'), actors: s('actors'), pageSize: size };
}

/** "alice, bob" → ["alice", "bob"]; blanks dropped. */
export function splitValues(text: string): string[] {
  return text
    .split(',')
    .map((v) => v.trim())
    .filter((v) => v.length > 0);
}

export function toQuery(d: AxData, cursor: string | null): AttestationQuery {
  return {
    subjects: splitValues(d.subjects),
    predicates: splitValues(d.predicates),
    contexts: splitValues(d.contexts),
    actors: splitValues(d.actors),
    limit: d.pageSize,
    cursor,
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
