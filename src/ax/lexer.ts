// Splits an AX query into tokens with their places, for the parser, the completion and the
// highlighter. Quoting is the ix command's: "double quotes" group words and take \" and \\ as
// escapes, 'single quotes' are literal, outside quotes \x is x; adjacent parts join into one word.
// Outside quotes a comma separates words as a space does (`alice, bob`), and the wildcard
// characters * ^ % $ # and the pipe | are marked on the word (the parser refuses them; a `*`
// ending a word is a prefix).
import { axSyntaxError } from './errors.js';
import { keywordOf, type KeywordRole } from './keywords.js';

export interface AxToken {
  /** The word with quotes and escapes removed. */
  text: string;
  /** Some part was quoted or escaped: such a word is never a keyword. */
  quoted: boolean;
  /** UTF-16 offsets of the word in the input (end exclusive): what editors use. */
  start: number;
  end: number;
  /** 1-based, in characters (Unicode code points): what error messages say. */
  column: number;
  keyword: KeywordRole | undefined;
  /** The first wildcard or pipe written outside quotes, other than a `*` ending the word. */
  special?: { char: string; column: number };
}

/** Characters that are never part of a value unless quoted. */
const SPECIAL = new Set(['*', '^', '%', '$', '#', '|']);
const COMMA = 44;

export interface LexResult {
  tokens: AxToken[];
  /** Lenient mode: the last token's quote is still open (the user is typing it). */
  openQuote: boolean;
}

const isSpace = (c: number, ch: string) =>
  c === 32 || c === 9 || c === 10 || c === 13 || c === 11 || c === 12 || (c > 127 && /\s/.test(ch));

/**
 * Strict mode throws on an unterminated quote, a trailing backslash or a NUL; lenient mode (for
 * completion while typing) accepts the first two at the end of the input.
 */
export function lex(input: string, lenient = false): LexResult {
  const tokens: AxToken[] = [];
  let i = 0;
  let column = 1;
  const n = input.length;
  while (i < n) {
    const c = input.charCodeAt(i);
    if (isSpace(c, input[i]!) || c === COMMA) {
      i++;
      column++;
      continue;
    }
    const start = i;
    const startColumn = column;
    let text = '';
    let quoted = false;
    let quote = 0; // the open quote's char code, 0 when outside quotes
    let quoteColumn = 0;
    /** Unquoted wildcards and pipes: where they are in `text`, and their columns. */
    const specials: Array<{ char: string; at: number; column: number }> = [];
    while (i < n) {
      const d = input.charCodeAt(i);
      if (d === 0) throw axSyntaxError('NUL character', column, 'remove the NUL character from the query');
      if (quote === 0 && (isSpace(d, input[i]!) || d === COMMA)) break;
      const width = d >= 0xd800 && d <= 0xdbff && i + 1 < n ? 2 : 1;
      if (quote === 0 && (d === 34 || d === 39)) {
        quote = d;
        quoteColumn = column;
        quoted = true;
      } else if (quote !== 0 && d === quote) {
        quote = 0;
      } else if (d === 92 && quote !== 39) {
        // A backslash: escapes the next character (inside "…" only \" and \\).
        const next = input.charCodeAt(i + 1);
        if (i + 1 >= n) {
          if (lenient) {
            i++;
            column++;
            break;
          }
          throw axSyntaxError('backslash at the end of the query', column, 'write \\\\ for a literal backslash');
        }
        quoted = true;
        const nw = next >= 0xd800 && next <= 0xdbff && i + 2 < n ? 2 : 1;
        const escaped = input.slice(i + 1, i + 1 + nw);
        text += quote === 34 && next !== 34 && next !== 92 ? `\\${escaped}` : escaped;
        i += 1 + nw;
        column += 2;
        continue;
      } else {
        if (quote === 0 && SPECIAL.has(input[i]!)) specials.push({ char: input[i]!, at: text.length, column });
        text += width === 1 ? input[i] : input.slice(i, i + 2);
      }
      i += width;
      column++;
    }
    if (quote !== 0 && !lenient) {
      const q = String.fromCharCode(quote);
      throw axSyntaxError('unterminated quote', quoteColumn, `close the ${q} opened at column ${quoteColumn}, or escape it with \\`);
    }
    // `src/*`: a star ending a longer word is a prefix, not a wildcard.
    const special = specials.find((x) => !(x.char === '*' && x.at === text.length - 1 && text.length > 1));
    const token: AxToken = { text, quoted, start, end: i, column: startColumn, keyword: quoted ? undefined : keywordOf(text) };
    if (special) token.special = { char: special.char, column: special.column };
    tokens.push(token);
    if (quote !== 0) return { tokens, openQuote: true };
  }
  return { tokens, openQuote: false };
}
