// Where a store is: a SQLite data directory or a PostgreSQL URL (its schema from the URL's
// `options=-c search_path=…`), and how to name it without its password.
import path from 'node:path';
import pg from 'pg';

export type Location = { kind: 'sqlite'; dataDir: string } | { kind: 'postgres'; url: string };

/** `postgres://…` or `postgresql://…` is PostgreSQL; anything else is a data directory. */
export function parseLocation(text: string): Location {
  return /^postgres(ql)?:\/\//i.test(text) ? { kind: 'postgres', url: text } : { kind: 'sqlite', dataDir: path.resolve(text) };
}

/** For messages and the resume marker: the URL without its password. */
export function describeLocation(loc: Location): string {
  if (loc.kind === 'sqlite') return `sqlite:${loc.dataDir}`;
  try {
    const u = new URL(loc.url);
    if (u.password) u.password = '***';
    return u.toString();
  } catch {
    return 'postgres:(unparsable URL)';
  }
}

const INT8_OID = 20;

/** BIGINT as a number when it is exact, else as its decimal text. */
export const pgTypes = {
  getTypeParser: (oid: number, format?: 'text' | 'binary') =>
    oid === INT8_OID
      ? (v: string) => {
          const n = Number(v);
          return Number.isSafeInteger(n) ? n : v;
        }
      : pg.types.getTypeParser(oid, format as 'text'),
} as pg.CustomTypesConfig;
