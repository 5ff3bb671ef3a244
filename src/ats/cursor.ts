// Keyset cursors: the (timestamp, seq) of the last row of a page, opaque to clients.
import { ValidationError } from '../errors.js';

export interface CursorKey {
  t: number;
  s: number;
}

export function encodeCursor(key: CursorKey): string {
  return Buffer.from(JSON.stringify([key.t, key.s])).toString('base64url');
}

export function decodeCursor(cursor: string): CursorKey {
  try {
    const v: unknown = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
    if (Array.isArray(v) && v.length === 2 && v.every((n) => Number.isSafeInteger(n))) {
      return { t: v[0] as number, s: v[1] as number };
    }
  } catch {
    // fall through to the error below
  }
  throw new ValidationError('invalid cursor', {
    details: [`cursor=${cursor.slice(0, 80)}`],
    hint: 'pass back the next_cursor of a previous page unchanged',
  });
}
