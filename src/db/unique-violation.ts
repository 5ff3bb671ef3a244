// A write refused by a unique index, on either database (PostgreSQL 23505, SQLite's constraint codes).
export function isUniqueViolation(err: unknown): boolean {
  const code = (err as { code?: unknown } | null)?.code;
  return code === '23505' || code === 'SQLITE_CONSTRAINT_UNIQUE';
}
