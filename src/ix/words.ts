// Splits an `ix` command into words the way a user expects from a shell, without being one:
// quotes group, backslashes escape, and nothing is expanded, substituted or executed.
import { ValidationError } from '../errors.js';

export interface Word {
  text: string;
  /** Any part was quoted or escaped: such a word is never a flag nor the `ix` keyword. */
  quoted: boolean;
  /** 1-based, in characters (Unicode code points) of the input. */
  column: number;
}

const SPACE = /\s/;

/** A syntax error of an ix command: the message and details name the column. */
export function ixSyntaxError(message: string, column: number, hint: string, details: string[] = []): ValidationError {
  return new ValidationError(`${message} at column ${column}`, { details: [`column=${column}`, ...details], hint });
}

/**
 * `"double quotes"` group words; inside them `\"` and `\\` are escapes and any other backslash
 * stays. `'single quotes'` are literal. Outside quotes `\x` is x for any character. Adjacent
 * parts join (`a"b c"` is one word `ab c`); `""` is an empty word.
 */
export function splitWords(input: string): Word[] {
  const words: Word[] = [];
  let cur: Word | null = null;
  let quote: '"' | "'" | null = null;
  let quoteAt = 0;
  let escapeAt = 0;
  let column = 0;
  for (const ch of input) {
    column++;
    if (ch === '\0') throw ixSyntaxError('NUL character', column, 'remove the NUL character from the command');
    if (escapeAt) {
      cur!.text += quote === '"' && ch !== '"' && ch !== '\\' ? `\\${ch}` : ch;
      escapeAt = 0;
    } else if (quote) {
      if (ch === quote) quote = null;
      else if (ch === '\\' && quote === '"') escapeAt = column;
      else cur!.text += ch;
    } else if (SPACE.test(ch)) {
      if (cur) words.push(cur);
      cur = null;
    } else {
      cur ??= { text: '', quoted: false, column };
      if (ch === '"' || ch === "'") {
        quote = ch;
        quoteAt = column;
        cur.quoted = true;
      } else if (ch === '\\') {
        escapeAt = column;
        cur.quoted = true;
      } else cur.text += ch;
    }
  }
  if (quote) throw ixSyntaxError('unterminated quote', quoteAt, `close the ${quote} opened at column ${quoteAt}, or escape it with \\`);
  if (escapeAt) throw ixSyntaxError('backslash at the end of the command', escapeAt, 'write \\\\ for a literal backslash');
  if (cur) words.push(cur);
  return words;
}
