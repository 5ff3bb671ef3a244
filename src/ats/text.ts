// The textual form of an attestation (docs/as.md), the original QNTX's grammar:
//   as SUBJECT… [is|are PREDICATE…] [of CONTEXT…] [by ACTOR…] [at|on TIME]
// The keywords are lowercase words, quoted they are values; several values are space-separated;
// quotes group words. Clauses come in any order, each once. What is left out is the original's
// placeholder `_`: `as NEO` (existence) is NEO _ _, `as NEO is human` has the context `_`. Three
// bare words are subject, predicate and context (`as JACK manager IBM`). A time is the words up
// to the next keyword: a date or instant, or words read as AX reads them (`now`, `yesterday`).
import { ValidationError } from '../errors.js';

export interface ParsedText {
  subjects: string[];
  predicates: string[];
  contexts: string[];
  actors?: string[];
  /** ms since the epoch when a time reader resolved it, else the text as written (an ISO date). */
  timestamp?: string | number;
}

/** What a left-out predicate or context is stored as (the original QNTX's placeholder). */
export const ABSENT = '_';

/** Reads a time expression to ms since the epoch, or undefined when it is not a time. */
export type TimeReader = (text: string) => number | undefined;

type Clause = 'subjects' | 'predicates' | 'contexts' | 'actors' | 'time';

const KEYWORDS: ReadonlyMap<string, Clause> = new Map([
  ['is', 'predicates'],
  ['are', 'predicates'],
  ['of', 'contexts'],
  ['by', 'actors'],
  ['at', 'time'],
  ['on', 'time'],
]);

const WHAT: Readonly<Record<Clause, string>> = {
  subjects: 'a subject',
  predicates: 'a predicate',
  contexts: 'a context',
  actors: 'an actor',
  time: 'a time',
};

export interface Token {
  text: string;
  quoted: boolean;
  column: number;
}

const HINT = 'write it as: as SUBJECT... [is PREDICATE...] [of CONTEXT...] [by ACTOR...] [at|on TIME]';
const TIME_HINT = 'a time is an ISO date or instant (2026-01-29, 2026-01-29T10:00Z), ms since the epoch, or words like now, today, yesterday, 3 days ago';

function syntaxError(message: string, column: number, hint = HINT, details: string[] = []): ValidationError {
  return new ValidationError(`${message} at column ${column}`, { details: [`column=${column}`, ...details], hint });
}

export function tokenize(input: string): Token[] {
  const tokens: Token[] = [];
  let i = 0;
  while (i < input.length) {
    const ch = input[i]!;
    if (/\s/.test(ch)) {
      i++;
      continue;
    }
    const column = i + 1;
    if (ch === '"' || ch === "'") {
      let text = '';
      i++;
      while (i < input.length && input[i] !== ch) {
        if (input[i] === '\\' && i + 1 < input.length) i++;
        text += input[i++];
      }
      if (i >= input.length) {
        throw new ValidationError(`unterminated quote at column ${column}`, {
          details: [`column=${column}`],
          hint: `close the ${ch} quote`,
        });
      }
      i++;
      tokens.push({ text, quoted: true, column });
      continue;
    }
    let text = '';
    while (i < input.length && !/\s/.test(input[i]!)) text += input[i++];
    tokens.push({ text, quoted: false, column });
  }
  return tokens;
}

export function parseAttestationText(input: string, readTime?: TimeReader): ParsedText {
  return parseAttestationTokens(tokenize(input), input, readTime);
}

/** Parses already-split words (the CLI's argv): each word is one value or one keyword. */
export function parseAttestationWords(words: readonly string[], readTime?: TimeReader): ParsedText {
  let column = 1;
  const tokens = words.map((text) => {
    const t = { text, quoted: false, column };
    column += text.length + 1;
    return t;
  });
  return parseAttestationTokens(tokens, words.join(' '), readTime);
}

function parseAttestationTokens(tokens: Token[], input: string, readTime: TimeReader | undefined): ParsedText {
  if (tokens[0] && !tokens[0].quoted && tokens[0].text === 'as') tokens.shift();
  const parts: Partial<Record<Clause, Token[]>> = { subjects: [] };
  let current: Clause = 'subjects';
  let opener: Token | undefined;
  const close = (next: Token | undefined) => {
    if (opener && parts[current]!.length === 0) {
      throw syntaxError(`'${opener.text}' needs ${WHAT[current]}`, next ? next.column : input.trimEnd().length + 1, HINT, [`clause=${opener.text}`]);
    }
  };
  for (const t of tokens) {
    const clause = t.quoted ? undefined : KEYWORDS.get(t.text);
    if (!clause) {
      parts[current]!.push(t);
      continue;
    }
    close(t);
    if (parts[clause]) throw syntaxError(`'${t.text}' appears twice`, t.column, HINT, [`clause=${t.text}`]);
    parts[clause] = [];
    current = clause;
    opener = t;
  }
  close(undefined);
  const values = (c: Clause) => parts[c]?.map((t) => t.text);
  let subjects = values('subjects')!;
  let predicates = values('predicates');
  let contexts = values('contexts');
  if (!subjects.length) {
    throw syntaxError('an attestation needs a subject', tokens[0]?.column ?? input.trimEnd().length + 1, HINT, ['field=subjects']);
  }
  // Three bare words and no `is` or `of`: subject, predicate, context.
  if (subjects.length === 3 && !predicates && !contexts) {
    [subjects, predicates, contexts] = [[subjects[0]!], [subjects[1]!], [subjects[2]!]];
  }
  const out: ParsedText = { subjects, predicates: predicates ?? [ABSENT], contexts: contexts ?? [ABSENT] };
  const actors = values('actors');
  if (actors) out.actors = actors;
  const time = parts.time;
  if (time) {
    const text = time.map((t) => t.text).join(' ');
    if (!readTime) out.timestamp = text;
    else {
      const ms = readTime(text);
      if (ms === undefined) throw syntaxError(`cannot read '${text.slice(0, 64)}' as a time`, time[0]!.column, TIME_HINT, [`time=${text.slice(0, 64)}`]);
      out.timestamp = ms;
    }
  }
  return out;
}
