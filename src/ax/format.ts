// Writes queries back as text: the canonical form of a parsed query (times as written), and a
// structured filter as a query (times as ISO instants). Parsing the output gives the input back.
import { formatDuration } from './duration.js';
import { FIELD_KEYWORD, keywordOf } from './keywords.js';
import { VALUE_FIELDS, type AxFilter, type AxQuery, type TimeClause } from './query.js';

/** No space, quote, backslash, comma, wildcard or pipe; a `*` only at the end (a prefix). */
const PLAIN = /^[^\s"'\\,*^%$#|]+\*?$/;

/**
 * A value as one token: quoted when it holds spaces, quotes, backslashes, commas, wildcards or
 * pipes, is a keyword, or is `@` alone.
 */
export function quoteValue(v: string): string {
  if (PLAIN.test(v) && !keywordOf(v) && v.toLowerCase() !== 'ax' && v !== '@') return v;
  return `"${v.replace(/["\\]/g, (c) => `\\${c}`)}"`;
}

/** A time expression: its words as written, quoted whole when a word would read as a keyword. */
function quoteTime(text: string): string {
  const words = text.split(' ');
  if (words.every((w) => PLAIN.test(w) && !w.endsWith('*') && w !== '@' && !keywordOf(w) && w.toLowerCase() !== 'in')) return text;
  return quoteValue(text);
}

function timePart(c: TimeClause): string {
  return c.kind === 'between' ? `between ${quoteTime(c.from.text)} and ${quoteTime(c.to.text)}` : `${c.kind} ${quoteTime(c.expr.text)}`;
}

export function formatAx(q: AxQuery): string {
  const parts: string[] = ['ax'];
  for (const f of VALUE_FIELDS) {
    if (!q[f].length) continue;
    if (FIELD_KEYWORD[f]) parts.push(FIELD_KEYWORD[f]);
    parts.push(...q[f].map(quoteValue));
  }
  parts.push(...q.times.map(timePart));
  if (q.over) parts.push(`over ${formatDuration(q.over)}`);
  // The zone is said once, after the last time clause (it applies to all of them).
  if (q.zone && (q.times.length || q.over)) parts.push(`in ${q.zone}`);
  if (q.so.length) parts.push('so', ...q.so.map(quoteValue));
  return parts.join(' ');
}

const iso = (ms: number) => new Date(ms).toISOString();

/** A structured filter as query text: `since`/`until` at millisecond precision, so nothing shifts. */
export function formatFilter(f: AxFilter): string {
  const q: AxQuery = {
    subjects: f.subjects ?? [],
    predicates: f.predicates ?? [],
    contexts: f.contexts ?? [],
    actors: f.actors ?? [],
    times: [],
    over: f.over,
    so: f.so ?? [],
    zone: f.timezone,
  };
  if (f.time_start !== undefined) q.times.push({ kind: 'since', expr: { text: iso(f.time_start), column: 0 } });
  if (f.time_end !== undefined) q.times.push({ kind: 'until', expr: { text: iso(f.time_end), column: 0 } });
  return formatAx(q);
}
