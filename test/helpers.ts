// Shared test fixtures: temp data dirs, PostgreSQL schemas per test, and a qntx instance on either.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { createQntx, type Qntx, type QntxOptions } from '../src/app.js';
import { loadSettings, type Settings, type SettingsInput } from '../src/config.js';
import { quoteIdent } from '../src/db/database.js';
import { silentLogger } from '../src/logger.js';

/** The PostgreSQL server tests may use; unset means PostgreSQL tests are skipped (visibly). */
export const PG_URL = process.env.QNTX_TEST_DATABASE_URL;

// In CI a missing PostgreSQL is a failure, not a skip (.ci/run sets the URL or stops).
if (!PG_URL && process.env.CI) throw new Error('CI is set but QNTX_TEST_DATABASE_URL is not: PostgreSQL tests must run in CI');

export const PG_SKIP = PG_URL ? false : 'QNTX_TEST_DATABASE_URL is not set: PostgreSQL tests skipped';

export function tempDir(prefix = 'qntx-test-'): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), prefix));
}

export function uniqueSchema(): string {
  return `qntx_test_${randomBytes(6).toString('hex')}`;
}

export async function dropSchema(schema: string): Promise<void> {
  if (!PG_URL) return;
  const c = new pg.Client({ connectionString: PG_URL });
  await c.connect();
  try {
    await c.query(`drop schema if exists ${quoteIdent(schema)} cascade`);
  } finally {
    await c.end();
  }
}

export type DbKind = 'sqlite' | 'postgres';

export interface TestQntx extends Qntx {
  /** Closes and removes what the test made (temp dir or schema). */
  cleanup(): Promise<void>;
  pgSchema: string | undefined;
}

/** A qntx instance on a temp SQLite file or on a fresh PostgreSQL schema. */
export async function openTestQntx(
  kind: DbKind,
  flags: SettingsInput = {},
  opts: QntxOptions = {},
): Promise<TestQntx> {
  const dataDir = tempDir();
  const pgSchema = kind === 'postgres' ? uniqueSchema() : undefined;
  const settings: Settings = loadSettings(
    { dataDir, logLevel: 'silent', ...(kind === 'postgres' ? { databaseUrl: PG_URL } : {}), ...flags },
    {},
  );
  const q = await createQntx(settings, { logger: silentLogger(), ...opts, ...(pgSchema ? { pgSchema } : {}) });
  return Object.assign(q, {
    pgSchema,
    async cleanup() {
      await q.close();
      if (pgSchema) await dropSchema(pgSchema);
      fs.rmSync(dataDir, { recursive: true, force: true });
    },
  });
}

/** Runs `fn` once per database kind, skipping PostgreSQL visibly when it is not configured. */
export const DB_KINDS: Array<{ kind: DbKind; skip: string | false }> = [
  { kind: 'sqlite', skip: false },
  { kind: 'postgres', skip: PG_SKIP },
];

/**
 * Undoes migration 013 (folded keys): the field index's keys, and the alias edges with their
 * triggers. The edges of 008 are gone with it (013 rebuilt their table), so the store is then as
 * before 008 as far as aliases go.
 */
export function undoFoldedKeys(kind: 'sqlite' | 'postgres'): string[] {
  return [
    kind === 'postgres' ? 'drop function ax_alias_edges_fields() cascade' : 'drop trigger ax_alias_edges_fields',
    'drop table ax_alias_edges',
    'drop index attestation_fields_folded',
    'alter table attestation_fields drop column folded',
  ];
}

/**
 * Statements that undo migrations 010 and later, for tests that take a store back to an earlier
 * migration and upgrade it again (migrations have no down step). Both databases.
 */
export const UNDO_AFTER_009: readonly string[] = [
  'drop index pulse_schedules_owner',
  'alter table pulse_schedules drop column owner',
  ...['pruned_runs', 'pruned_completed', 'pruned_failed', 'pruned_attestations'].map((c) => `alter table pulse_schedules drop column ${c}`),
  'alter table pulse_schedules drop column cron',
  'alter table pulse_schedules drop column timezone',
  'drop table secret_grants',
  'drop table secrets',
  'drop table hook_bodies',
  'drop table hook_deliveries',
  'drop table hooks',
  // 014_watchers
  'drop index pulse_schedules_watch',
  ...['watch', 'watch_cursor', 'watch_batch_size', 'watch_max_runs_per_minute', 'watch_max_pending', 'watch_attributes'].map(
    (c) => `alter table pulse_schedules drop column ${c}`,
  ),
  ...['watch_after', 'watch_through', 'watch_chain'].map((c) => `alter table pulse_executions drop column ${c}`),
];
