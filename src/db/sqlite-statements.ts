// Prepared-statement cache for SQLite hot paths: Kysely builds and compiles the SQL, better-sqlite3
// runs it synchronously. Multi-statement writes use raw.transaction(), never an async Kysely
// transaction, so nothing else can interleave with them on the one connection.
import type BetterSqlite3 from 'better-sqlite3';
import type { CompiledQuery } from 'kysely';

const MAX_CACHED = 256;

export class SqliteStatements {
  private readonly cache = new Map<string, BetterSqlite3.Statement>();

  constructor(readonly raw: BetterSqlite3.Database) {}

  prepare(sqlText: string): BetterSqlite3.Statement {
    let st = this.cache.get(sqlText);
    if (!st) {
      st = this.raw.prepare(sqlText);
      if (this.cache.size >= MAX_CACHED) this.cache.delete(this.cache.keys().next().value!);
      this.cache.set(sqlText, st);
    }
    return st;
  }

  all<R>(q: CompiledQuery<R>): R[] {
    return this.prepare(q.sql).all(...(q.parameters as unknown[])) as R[];
  }

  get<R>(q: CompiledQuery<R>): R | undefined {
    return this.prepare(q.sql).get(...(q.parameters as unknown[])) as R | undefined;
  }

  run(q: CompiledQuery): BetterSqlite3.RunResult {
    return this.prepare(q.sql).run(...(q.parameters as unknown[]));
  }
}
