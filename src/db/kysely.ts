// The values of kysely the code uses, from the package's CommonJS build. Its ES-module build is
// some 260 files, and Node loads a file through require() for less than through import: about
// 50 ms less of every command's start-up (`qntx ax` among them) for the same code. Types come
// from 'kysely' itself (`import type`); this module is the only place its values are loaded from,
// so one copy of the package is in use.
import { createRequire } from 'node:module';
import type * as K from 'kysely';

const kysely = createRequire(import.meta.url)('kysely') as typeof K;

export const sql: typeof K.sql = kysely.sql;
export const Kysely: typeof K.Kysely = kysely.Kysely;
export type Kysely<DB> = K.Kysely<DB>;
export const CompiledQuery: typeof K.CompiledQuery = kysely.CompiledQuery;
export type CompiledQuery<O = unknown> = K.CompiledQuery<O>;
export const Migrator: typeof K.Migrator = kysely.Migrator;
export type Migrator = K.Migrator;
export const SqliteDialect: typeof K.SqliteDialect = kysely.SqliteDialect;
export const PostgresDialect: typeof K.PostgresDialect = kysely.PostgresDialect;
