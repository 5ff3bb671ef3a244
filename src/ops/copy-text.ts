// Rows as PostgreSQL's COPY text format (the default of `COPY … FROM STDIN`): one line a row,
// columns separated by a tab, `\N` for NULL. In a value, backslash, tab, newline and carriage
// return are written as `\\`, `\t`, `\n`, `\r` (every other character stands for itself, so a
// value `\N` becomes `\\N` and an empty string stays empty, unlike NULL). bytea is written as its
// hex input form `\x…`, whose backslash is doubled like any other. PostgreSQL text cannot hold the
// NUL character: a value holding one is refused here, naming the column, before anything is sent.
import type { Value } from './tables.js';

/** How a column's values are written, from its type (information_schema.columns.data_type). */
export type CopyKind = 'text' | 'bytea' | 'integer' | 'float' | 'boolean';

export function copyKind(dataType: string): CopyKind {
  switch (dataType) {
    case 'bytea':
      return 'bytea';
    case 'smallint':
    case 'integer':
    case 'bigint':
      return 'integer';
    case 'real':
    case 'double precision':
    case 'numeric':
      return 'float';
    case 'boolean':
      return 'boolean';
    default:
      // text, character varying, json, jsonb and the rest take their text input form.
      return 'text';
  }
}

export class CopyValueError extends Error {
  constructor(
    message: string,
    readonly column: string,
  ) {
    super(message);
  }
}

const SPECIAL = /[\\\t\n\r]/;
const SPECIAL_ALL = /[\\\t\n\r]/g;
const ESCAPES: Record<string, string> = { '\\': '\\\\', '\t': '\\t', '\n': '\\n', '\r': '\\r' };

/** A string as a COPY text field. */
export function escapeText(s: string): string {
  return SPECIAL.test(s) ? s.replace(SPECIAL_ALL, (c) => ESCAPES[c]!) : s;
}

const utf8 = new TextDecoder('utf-8', { fatal: true });

/** One value as a COPY text field for a column of the given kind. */
export function copyValue(v: Value, kind: CopyKind, column: string): string {
  if (v === null) return '\\N';
  if (typeof v === 'number') {
    if (kind === 'boolean') return v !== 0 ? 't' : 'f';
    // String() gives Infinity, -Infinity and NaN as PostgreSQL spells them; only -0 needs help.
    if (Object.is(v, -0)) return kind === 'float' ? '-0' : '0';
    return String(v);
  }
  if (Buffer.isBuffer(v)) {
    if (kind === 'bytea') return `\\\\x${v.toString('hex')}`;
    // Bytes in a column that is not bytea (SQLite lets a blob into any column): kept only when
    // they are UTF-8 text, as a parameterised INSERT would.
    let s: string;
    try {
      s = utf8.decode(v);
    } catch {
      throw new CopyValueError(`column ${column} (not bytea) holds bytes that are not UTF-8 text`, column);
    }
    return copyValue(s, kind, column);
  }
  if (v.includes('\u0000')) {
    throw new CopyValueError(`column ${column} holds the NUL character (U+0000), which PostgreSQL text cannot store`, column);
  }
  return escapeText(v);
}

/** Encoders of a table's columns, in the COPY column list's order. */
export function lineEncoder(columns: readonly string[], kinds: ReadonlyMap<string, CopyKind>): (row: Record<string, Value>) => string {
  const cols = columns.map((c) => ({ c, k: kinds.get(c) ?? 'text' }));
  return (row) => {
    let line = '';
    for (let i = 0; i < cols.length; i++) {
      const { c, k } = cols[i]!;
      if (i) line += '\t';
      line += copyValue(row[c] ?? null, k, c);
    }
    return line + '\n';
  };
}
