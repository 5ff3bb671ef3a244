// Syntax errors of AX queries: the message ends with the column (in characters, from 1) and the
// details start with `column=<n>`, like the ix parser's; each carries a hint.
import { ValidationError } from '../errors.js';

export function axSyntaxError(message: string, column: number, hint: string, details: string[] = []): ValidationError {
  return new ValidationError(`${message} at column ${column}`, { details: [`column=${column}`, ...details], hint });
}

export const QUERY_HINT =
  'write it as: ax [subjects] [is predicates] [of contexts] [by actors] [since|until|on|between … and …|over N] [so types]';

/** A value as it may appear in a message: cut, so an error never echoes a huge input. */
export function shown(text: string): string {
  return text.length > 64 ? `${text.slice(0, 63)}…` : text;
}
