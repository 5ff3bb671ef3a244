// The textual form of an attestation: `as alice is engineer of acme by hr-system at 2026-01-29`.
// `is`, `of`, `by` and `at` are keywords; several values are space-separated; quotes group words.
import { ValidationError } from '../errors.js';

export interface ParsedText {
  subjects: string[];
  predicates: string[];
  contexts: string[];
  actors?: string[];
  timestamp?: string;
}

const KEYWORDS = new Set(['is', 'of', 'by', 'at']);

export interface Token {
  text: string;
  quoted: boolean;
  column: number;
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

const HINT = "write it as: as SUBJECT... is PREDICATE... of CONTEXT... [by ACTOR...] [at TIME]";

export function parseAttestationText(input: string): ParsedText {
  return parseAttestationTokens(tokenize(input));
}

/** Parses already-split words (the CLI's argv): each word is one value or one keyword. */
export function parseAttestationWords(words: readonly string[]): ParsedText {
  let column = 1;
  const tokens = words.map((text) => {
    const t = { text, quoted: false, column };
    column += text.length + 1;
    return t;
  });
  return parseAttestationTokens(tokens);
}

function parseAttestationTokens(tokens: Token[]): ParsedText {
  if (tokens[0] && !tokens[0].quoted && tokens[0].text === 'as') tokens.shift();
  const parts: Record<string, string[]> = { subjects: [] };
  const order = ['subjects'];
  let current = 'subjects';
  const keyTo: Record<string, string> = { is: 'predicates', of: 'contexts', by: 'actors', at: 'at' };
  for (const t of tokens) {
    if (!t.quoted && KEYWORDS.has(t.text)) {
      const next = keyTo[t.text]!;
      if (parts[next]) {
        throw new ValidationError(`'${t.text}' appears twice (column ${t.column})`, {
          details: [`column=${t.column}`],
          hint: HINT,
        });
      }
      parts[next] = [];
      order.push(next);
      current = next;
      continue;
    }
    parts[current]!.push(t.text);
  }
  const expected = ['subjects', 'predicates', 'contexts'];
  if (order[1] !== 'predicates') {
    throw new ValidationError("missing 'is' in attestation text", { details: ['field=predicates'], hint: HINT });
  }
  if (order[2] !== 'contexts') {
    throw new ValidationError("missing 'of' in attestation text", { details: ['field=contexts'], hint: HINT });
  }
  for (const name of [...expected, 'actors', 'at']) {
    if (parts[name] && parts[name].length === 0) {
      throw new ValidationError(`no ${name === 'at' ? 'time' : name} given`, { details: [`field=${name}`], hint: HINT });
    }
  }
  if (parts.at && parts.at.length > 1) {
    throw new ValidationError('at takes one time', { details: ['field=at'], hint: HINT });
  }
  const out: ParsedText = {
    subjects: parts.subjects!,
    predicates: parts.predicates!,
    contexts: parts.contexts!,
  };
  if (parts.actors) out.actors = parts.actors;
  if (parts.at) out.timestamp = parts.at[0]!;
  return out;
}
