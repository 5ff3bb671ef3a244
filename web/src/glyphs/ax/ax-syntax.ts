// The AX query line's view of the language, for highlighting and the advanced fields: which
// words are keywords and which clause each value belongs to. The server parses for real (and
// reports errors with their column); this mirrors its keywords (test/web-ax.test.ts checks it).

export type AxClause = 'subjects' | 'predicates' | 'contexts' | 'actors' | 'time' | 'so';
export type AxSpanKind =
  | 'keyword'
  | 'subjects'
  | 'predicates'
  | 'contexts'
  | 'actors'
  | 'time'
  | 'zone'
  | 'type'
  | 'open';

export interface AxSpan {
  /** UTF-16 offsets, end exclusive. */
  from: number;
  to: number;
  kind: AxSpanKind;
  /** The word without quotes and escapes. */
  text: string;
  quoted: boolean;
}

/** Keyword → the clause it opens ('and' joins values). */
export const AX_KEYWORDS: Readonly<Record<string, AxClause | 'and'>> = {
  is: 'predicates', are: 'predicates', has: 'predicates', have: 'predicates',
  of: 'contexts', from: 'contexts',
  by: 'actors', via: 'actors',
  since: 'time', until: 'time', on: 'time', between: 'time', over: 'time',
  so: 'so', therefore: 'so',
  and: 'and',
};

/** What separates words outside quotes: white space, and a comma (`alice, bob`). */
const SPACE = /[\s,]/;

interface Word {
  from: number;
  to: number;
  text: string;
  quoted: boolean;
  open: boolean;
}

/** Words with the server's quoting rules; an unterminated quote runs to the end (the user is typing). */
export function axWords(input: string): Word[] {
  const words: Word[] = [];
  let i = 0;
  while (i < input.length) {
    if (SPACE.test(input[i]!)) {
      i++;
      continue;
    }
    const from = i;
    let text = '';
    let quoted = false;
    let quote = '';
    while (i < input.length && (quote || !SPACE.test(input[i]!))) {
      const ch = input[i]!;
      if (!quote && (ch === '"' || ch === "'")) {
        quote = ch;
        quoted = true;
      } else if (quote && ch === quote) quote = '';
      else if (ch === '\\' && quote !== "'" && i + 1 < input.length) {
        const next = input[i + 1]!;
        text += quote === '"' && next !== '"' && next !== '\\' ? `\\${next}` : next;
        quoted = true;
        i++;
      } else text += ch;
      i++;
    }
    words.push({ from, to: i, text, quoted, open: quote !== '' });
  }
  return words;
}

const keywordOf = (w: Word) => (w.quoted ? undefined : AX_KEYWORDS[w.text.toLowerCase()]);

/** Every word of the query with its kind. */
export function axSpans(input: string): AxSpan[] {
  const spans: AxSpan[] = [];
  let clause: AxClause = 'subjects';
  const words = axWords(input);
  words.forEach((w, i) => {
    const span = (kind: AxSpanKind) => spans.push({ from: w.from, to: w.to, kind: w.open ? 'open' : kind, text: w.text, quoted: w.quoted });
    if (i === 0 && !w.quoted && w.text.toLowerCase() === 'ax') return span('keyword');
    const k = keywordOf(w);
    if (k) {
      if (k !== 'and') clause = k;
      return span('keyword');
    }
    if (clause === 'time') {
      // `in <zone>` closes a time expression: the last two words before the next keyword.
      const next = words[i + 1];
      const prev = words[i - 1];
      const isIn = !w.quoted && w.text.toLowerCase() === 'in' && next && !keywordOf(next) && (!words[i + 2] || keywordOf(words[i + 2]!));
      const isZone = prev && !prev.quoted && prev.text.toLowerCase() === 'in' && (!next || keywordOf(next)) && i >= 2 && !keywordOf(words[i - 2]!);
      return span(isIn ? 'keyword' : isZone ? 'zone' : 'time');
    }
    return span(clause === 'so' ? 'type' : clause);
  });
  return spans;
}

export interface AxClauses {
  subjects: string[];
  predicates: string[];
  contexts: string[];
  actors: string[];
  /** The time and `so` clauses as written, kept whole. */
  rest: string;
}

/** The values of each clause, for the advanced fields; time and `so` clauses stay text. */
export function axClauses(input: string): AxClauses {
  const out: AxClauses = { subjects: [], predicates: [], contexts: [], actors: [], rest: '' };
  const rest: string[] = [];
  let inRest = false;
  for (const s of axSpans(input)) {
    if (s.kind === 'keyword') {
      const k = s.quoted ? undefined : AX_KEYWORDS[s.text.toLowerCase()];
      if (k === 'time' || k === 'so') inRest = true;
      else if (k && k !== 'and') inRest = false;
      if (inRest) rest.push(input.slice(s.from, s.to));
      continue;
    }
    if (inRest) rest.push(input.slice(s.from, s.to));
    else if (s.kind === 'subjects' || s.kind === 'predicates' || s.kind === 'contexts' || s.kind === 'actors') out[s.kind].push(s.text);
  }
  out.rest = rest.join(' ');
  return out;
}

/** As the server's writer: no space, quote, backslash, comma, wildcard or pipe; a `*` only at the end (a prefix). */
const PLAIN = /^[^\s"'\\,*^%$#|]+\*?$/;

export function quoteAxValue(v: string): string {
  if (PLAIN.test(v) && !AX_KEYWORDS[v.toLowerCase()] && v.toLowerCase() !== 'ax' && v !== '@') return v;
  return `"${v.replace(/["\\]/g, (c) => `\\${c}`)}"`;
}

/** The query text of the clauses: `subjects is … of … by … <rest>`. */
export function withClauses(c: AxClauses): string {
  const parts: string[] = [];
  const add = (kw: string, vs: string[]) => {
    if (!vs.length) return;
    if (kw) parts.push(kw);
    parts.push(...vs.map(quoteAxValue));
  };
  add('', c.subjects);
  add('is', c.predicates);
  add('of', c.contexts);
  add('by', c.actors);
  if (c.rest.trim()) parts.push(c.rest.trim());
  return parts.join(' ');
}
