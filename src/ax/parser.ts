// The AX grammar (docs/ax.md): `ax [subjects…] [is|are predicates…] [of|from contexts…]
// [by|via actors…] [since T | until T | on T | between T and T | over N] [so types…]`.
// Keywords are case-insensitive and never quoted; values of a clause are space-separated (an
// `and` between them is allowed); quotes group words. Errors name the column and give a hint.
import { MAX_VALUES_PER_FIELD, MAX_VALUE_BYTES } from '../ats/types.js';
import { ValidationError } from '../errors.js';
import { TYPE_NAME } from '../ix/handler-registry.js';
import { parseDuration } from './duration.js';
import { axSyntaxError, QUERY_HINT, shown } from './errors.js';
import { ZONE_WORD, type TimeKeyword, type ValueField } from './keywords.js';
import { lex, type AxToken } from './lexer.js';
import { emptyQuery, type AxQuery, type TimeExpr } from './query.js';
import { normalizeZone } from './time.js';

/** Longest query, in UTF-8 bytes. */
export const MAX_AX_BYTES = 8192;

const WHAT: Readonly<Record<ValueField | 'so', string>> = {
  subjects: 'a subject',
  predicates: 'a predicate',
  contexts: 'a context',
  actors: 'an actor',
  so: 'a type',
};

const TIME_HINT = 'a time is an ISO date (2026-01-29), a month (2026-01), a year, or words like yesterday, last week, 3 days ago';
const OVER_HINT = 'write a duration as a number and y, m, w or d: over 3y, over 18m, over 2w, over 10d';

function checkSize(input: string): void {
  const bytes = input.length > MAX_AX_BYTES ? input.length : Buffer.byteLength(input, 'utf8');
  if (bytes > MAX_AX_BYTES) {
    throw new ValidationError(`ax query is longer than ${MAX_AX_BYTES} bytes`, {
      details: [`length=${bytes}`, `max=${MAX_AX_BYTES}`],
      hint: 'ask for fewer values at once, or send the structured filter',
    });
  }
}

/** Parses an AX query (with or without the leading `ax`). */
export function parseAx(input: string): AxQuery {
  checkSize(input);
  return new Parser(lex(input).tokens, input).parse();
}

const WILDCARD_HINT = 'AX matches whole values (a * ending a value is a prefix: src/*); quote the character to ask for it as written';

/** Wildcards, the pipe and a lone `@` are not values (unless quoted). */
function checkWord(t: AxToken): void {
  if (t.special?.char === '|') {
    throw axSyntaxError("the pipe '|' is not supported", t.special.column, 'separate values with spaces: ax alice is author editor', ['char=|']);
  }
  if (t.special) {
    throw axSyntaxError(`wildcard '${t.special.char}' is not supported`, t.special.column, WILDCARD_HINT, [`char=${t.special.char}`]);
  }
  if (!t.quoted && t.text === '@') {
    throw axSyntaxError("'@' alone is not a value", t.column, 'write a name with it (alice@example.com), or quote it: "@"');
  }
}

class Parser {
  private readonly q = emptyQuery();
  private i = 0;
  private field: ValueField | 'so' | null = 'subjects';
  private opener: AxToken | undefined;
  private count = 0;
  private pendingAnd: AxToken | undefined;
  private readonly seenTime = new Set<TimeKeyword>();

  constructor(
    private readonly tokens: AxToken[],
    private readonly input: string,
  ) {}

  parse(): AxQuery {
    const first = this.tokens[0];
    if (first && !first.quoted && first.text.toLowerCase() === 'ax') this.i = 1;
    while (this.i < this.tokens.length) {
      const t = this.tokens[this.i]!;
      checkWord(t);
      const role = t.keyword;
      if (!role) {
        this.value(t);
        this.i++;
      } else if (role.kind === 'and') {
        if (this.field === null) {
          throw axSyntaxError("'and' cannot follow a time", t.column, 'a time clause takes one time; for a range write between 2026-01-01 and 2026-02-01');
        }
        if (this.count === 0 || this.pendingAnd) {
          throw axSyntaxError("'and' needs a value before it", t.column, "'and' joins values of one clause: alice and bob; quote it to ask for the word: \"and\"");
        }
        this.pendingAnd = t;
        this.i++;
      } else {
        this.closeClause(t);
        if (role.kind === 'time') {
          this.time(t, role.time);
          this.field = null;
          this.opener = undefined;
        } else {
          this.field = role.kind === 'so' ? 'so' : role.field;
          this.opener = t;
          this.count = 0;
          this.i++;
        }
      }
    }
    this.closeClause(undefined);
    return this.q;
  }

  /** Column where a missing word goes: the next token's, or just after the end of the input. */
  private missingAt(next: AxToken | undefined): number {
    return next ? next.column : [...this.input.trimEnd()].length + 1;
  }

  private closeClause(next: AxToken | undefined): void {
    if (this.pendingAnd) {
      throw axSyntaxError("'and' needs a value after it", this.missingAt(next), "'and' joins values of one clause: alice and bob");
    }
    if (this.opener && this.count === 0 && this.field) {
      const kw = this.opener.text.toLowerCase();
      throw axSyntaxError(`'${kw}' needs ${WHAT[this.field]}`, this.missingAt(next), QUERY_HINT, [`clause=${kw}`]);
    }
  }

  private value(t: AxToken): void {
    const field = this.field;
    if (field === null) throw new Error('unreachable: a time clause consumes the words after it');
    if (t.text.trim() === '') {
      throw axSyntaxError('empty value', t.column, 'values cannot be empty or blank; remove the empty quotes');
    }
    if (field === 'so') {
      if (!TYPE_NAME.test(t.text)) {
        throw axSyntaxError(`invalid type '${shown(t.text)}'`, t.column, "'so' takes ix types: 1-64 lowercase letters, digits, - or _", [`type=${shown(t.text)}`]);
      }
    } else if (t.text.length > MAX_VALUE_BYTES / 3 && Buffer.byteLength(t.text) > MAX_VALUE_BYTES) {
      throw axSyntaxError(`value longer than ${MAX_VALUE_BYTES} bytes`, t.column, 'stored values are at most 2000 bytes, so a longer one matches nothing', [`field=${field}`]);
    }
    const list = field === 'so' ? this.q.so : this.q[field];
    if (!list.includes(t.text)) {
      if (list.length >= MAX_VALUES_PER_FIELD) {
        throw axSyntaxError(`more than ${MAX_VALUES_PER_FIELD} values in one clause`, t.column, 'split the query', [`field=${field}`]);
      }
      list.push(t.text);
    }
    this.count++;
    this.pendingAnd = undefined;
  }

  /** Words up to the next keyword (an `and` included, which ends a between's first time). */
  private words(): AxToken[] {
    const out: AxToken[] = [];
    while (this.i < this.tokens.length && !this.tokens[this.i]!.keyword) out.push(this.tokens[this.i++]!);
    return out;
  }

  private time(kw: AxToken, kind: TimeKeyword): void {
    const name = kw.text.toLowerCase();
    if (this.seenTime.has(kind)) {
      throw axSyntaxError(`'${name}' appears twice`, kw.column, 'give each time clause once; since and until together make a range');
    }
    this.seenTime.add(kind);
    this.i++;
    if (kind === 'over') {
      const ws = this.zoneSuffix(this.words());
      const text = ws.map((w) => w.text).join(' ');
      if (!ws.length) throw axSyntaxError("'over' needs a duration", this.missingAt(this.tokens[this.i]), OVER_HINT);
      const d = ws.length <= 2 ? parseDuration(text) : undefined;
      if (!d) throw axSyntaxError(`invalid duration '${shown(text)}'`, ws[0]!.column, OVER_HINT, [`duration=${shown(text)}`]);
      this.q.over = d;
      return;
    }
    const from = this.expr(name);
    if (kind !== 'between') {
      this.q.times.push({ kind, expr: from });
      return;
    }
    const and = this.tokens[this.i];
    if (!and || and.keyword?.kind !== 'and') {
      throw axSyntaxError("'between' needs 'and' between its two times", this.missingAt(and), 'between 2026-01-01 and 2026-02-01');
    }
    this.i++;
    this.q.times.push({ kind, from, to: this.expr('and') });
  }

  /** One time expression; `in <zone>` at its end names the query's time zone. */
  private expr(after: string): TimeExpr {
    const ws = this.zoneSuffix(this.words());
    if (!ws.length) throw axSyntaxError(`'${after}' needs a time`, this.missingAt(this.tokens[this.i]), TIME_HINT);
    return { text: ws.map((w) => w.text).join(' '), column: ws[0]!.column };
  }

  /** Takes a trailing `in <zone>` off the words of a time clause. */
  private zoneSuffix(ws: AxToken[]): AxToken[] {
    const n = ws.length;
    if (n < 2 || ws[n - 2]!.quoted || ws[n - 2]!.text.toLowerCase() !== ZONE_WORD) return ws;
    this.zone(ws[n - 1]!);
    return ws.slice(0, n - 2);
  }

  private zone(t: AxToken): void {
    const z = normalizeZone(t.text);
    if (!z) {
      throw axSyntaxError(`unknown time zone '${shown(t.text)}'`, t.column, 'name an IANA zone (Europe/Paris, America/New_York), UTC or UTC+2', [`zone=${shown(t.text)}`]);
    }
    if (this.q.zone !== undefined && this.q.zone !== z) {
      throw axSyntaxError('a second time zone', t.column, 'a query has one time zone; name it once');
    }
    this.q.zone = z;
  }
}
