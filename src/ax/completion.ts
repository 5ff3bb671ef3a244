// Completion of a query being typed: which clause the cursor is in decides what is offered —
// stored values of that field by prefix, ix types after `so`, time words after since/until/on,
// durations after `over` — plus the keywords that may come next.
import type { FieldName } from '../ats/types.js';
import type { AxCompletionDto } from '../protocol.js';
import { quoteValue } from './format.js';
import { ZONE_WORD } from './keywords.js';
import { lex, type AxToken } from './lexer.js';
import { MAX_AX_BYTES } from './parser.js';

export interface CompletionSources {
  /** Distinct stored values of a field starting with the prefix. */
  values(field: FieldName, prefix: string, limit: number): Promise<string[]>;
  /** ix types that have a handler, starting with the prefix. */
  types(prefix: string): Promise<string[]>;
}

type Clause = FieldName | 'time' | 'between' | 'over' | 'so' | 'zone';
type Option = AxCompletionDto['options'][number];

const NEXT_KEYWORDS = ['is', 'of', 'by', 'since', 'until', 'on', 'between', 'over', 'so'];
const TIME_WORDS = ['today', 'yesterday', 'last week', 'last month', 'last year', '3 days ago', '2 hours ago'];
const DURATIONS = ['1y', '6m', '2w', '30d'];
const VALUE_LIMIT = 20;

/** The clause the word at the end of `tokens` belongs to, and where its time expression starts. */
function clauseOf(tokens: readonly AxToken[]): { clause: Clause; exprStart: number } {
  let clause: Clause = 'subjects';
  let exprStart = -1;
  tokens.forEach((t, i) => {
    if (i === 0 && !t.quoted && t.text.toLowerCase() === 'ax') return;
    const k = t.keyword;
    if (!k) {
      if ((clause === 'time' || clause === 'between' || clause === 'over') && exprStart < 0) exprStart = t.start;
      if (clause !== 'zone' && !t.quoted && t.text.toLowerCase() === ZONE_WORD && (clause === 'time' || clause === 'between' || clause === 'over')) clause = 'zone';
      return;
    }
    exprStart = -1;
    if (k.kind === 'field') clause = k.field;
    else if (k.kind === 'so') clause = 'so';
    else if (k.kind === 'time') clause = k.time === 'over' ? 'over' : k.time === 'between' ? 'between' : 'time';
    else if (clause === 'between') clause = 'time'; // the `and` of a between
  });
  return { clause, exprStart };
}

function keywordOptions(prefix: string, clause: Clause): Option[] {
  const words = clause === 'between' ? ['and'] : NEXT_KEYWORDS;
  const p = prefix.toLowerCase();
  return words.filter((w) => w.startsWith(p) && w !== p).map((w) => ({ label: w, apply: w, kind: 'keyword' as const }));
}

export async function completeAx(text: string, pos: number, src: CompletionSources): Promise<AxCompletionDto> {
  const at = Math.max(0, Math.min(text.length, Math.floor(pos)));
  const head = text.slice(0, Math.min(at, MAX_AX_BYTES));
  let tokens: AxToken[];
  try {
    tokens = lex(head, true).tokens;
  } catch {
    return { from: at, to: at, field: 'keyword', options: [] }; // a NUL: nothing sensible to offer
  }
  const last = tokens[tokens.length - 1];
  const typing = last && last.end === head.length && !/\s$/.test(head) ? last : undefined;
  const before = typing ? tokens.slice(0, -1) : tokens;
  const word = typing?.text ?? '';
  const from = typing?.start ?? at;
  const { clause, exprStart } = clauseOf(before);
  const kw = typing?.quoted || before.length === 0 ? [] : keywordOptions(word, clause);

  if (clause === 'subjects' || clause === 'predicates' || clause === 'contexts' || clause === 'actors') {
    const values = await src.values(clause, word, VALUE_LIMIT);
    const opts: Option[] = values.filter((v) => v !== word).map((v) => ({ label: v, apply: quoteValue(v), kind: 'value' as const, detail: clause }));
    return { from, to: at, field: clause, options: [...opts, ...kw] };
  }
  if (clause === 'so') {
    const types = await src.types(word);
    return { from, to: at, field: 'so', options: [...types.filter((t) => t !== word).map((t) => ({ label: t, apply: t, kind: 'type' as const })), ...kw] };
  }
  if (clause === 'zone') return { from, to: at, field: 'time', options: [] };
  // Time words span several tokens ("last week"): complete the whole expression typed so far.
  const start = exprStart >= 0 ? exprStart : from;
  const typed = head.slice(start).toLowerCase();
  const pool = clause === 'over' ? DURATIONS : TIME_WORDS;
  const times = pool.filter((t) => t.startsWith(typed) && t !== typed).map((t) => ({ label: t, apply: t, kind: 'time' as const }));
  const after = exprStart >= 0 || typing ? kw : [];
  return times.length ? { from: start, to: at, field: 'time', options: times } : { from, to: at, field: 'time', options: after };
}
