// A backup written at an older schema restores into this qntx: the store it came from is made at
// migration 006c (before claim keys, attribute index rows, the handler table, alias edges, schedule
// owners and totals, cron, secrets, hooks and folded keys) with rows in that schema's form, and
// either backed up there or first migrated to 012 (alias edges of 008's form, no folded keys);
// each backup is restored into SQLite and into PostgreSQL. Every table must then hold exactly what
// the same old store holds once migrated forward in place (the migrations filled the missing
// columns and tables), and qntx answers from it. A backup from a newer schema is refused on both.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import zlib from 'node:zlib';
import { after, before, describe, it } from 'node:test';
import BetterSqlite3 from 'better-sqlite3';
import pg from 'pg';
import { openDatabase } from '../src/db/database.js';
import { migrations } from '../src/db/migrations/index.js';
import { pgTypes } from '../src/ops/location.js';
import { TABLES, quoteId } from '../src/ops/tables.js';
import { openTarget } from '../src/ops/target.js';
import { backup, restore } from '../src/ops/transfer.js';
import { runCli } from './cli-helpers.js';
import { prepareSchema } from './fixtures/pulse-db.js';
import { dropSchema, PG_SKIP, PG_URL, tempDir, uniqueSchema } from './helpers.js';

const FIRST = '006c_pulse_claim';
const version = (name: string) => migrations.findIndex((m) => m.name === name) + 1;
const T = 1_700_000_000_000;

function pgUrl(schema: string): string {
  const u = new URL(PG_URL!);
  u.searchParams.set('options', `-c search_path=${schema}`);
  return u.toString();
}

interface OldAttestation {
  id: string;
  subjects: string[];
  predicates: string[];
  contexts: string[];
  source?: string;
  attributes?: Record<string, unknown>;
}

// In 006c's form: no claim key, no handler_version column (a handler run's version is in its
// attributes), field rows for subjects, predicates, contexts and actors only, none folded.
const ROWS: OldAttestation[] = [
  { id: 'A1', subjects: ['alice'], predicates: ['engineer'], contexts: ['acme'] },
  { id: 'A2', subjects: ['ÅSA'], predicates: ['member'], contexts: ['Acme'] },
  { id: 'A3', subjects: ['USA'], predicates: ['alias'], contexts: ['United States'], source: 'cli' },
  { id: 'A4', subjects: ['United States'], predicates: ['member'], contexts: ['NATO'] },
  { id: 'A5', subjects: ['ix_handler:probe'], predicates: ['ix_handler'], contexts: ['probe'], attributes: { version: 2, code: 'print(1)\n' } },
  { id: 'A6', subjects: ['bob'], predicates: ['seen'], contexts: ['probe'], source: 'ix:probe', attributes: { handler_version: 2, repo: 'r1' } },
  // The same claim as A1 again: before 007 nothing stopped it; 007 keys only the first.
  { id: 'A7', subjects: ['alice'], predicates: ['engineer'], contexts: ['acme'] },
];

/** A store at schema `upTo`: made at 006c, its rows written in 006c's form, then migrated to `upTo`. */
async function oldStore(dataDir: string, upTo: string): Promise<void> {
  const target = await openTarget({ kind: 'sqlite', dataDir });
  try {
    await target.migrateTo(FIRST);
  } finally {
    await target.close();
  }
  const db = new BetterSqlite3(path.join(dataDir, 'qntx.db'));
  try {
    const att = db.prepare(
      'insert into attestations (seq, id, subjects, predicates, contexts, actors, timestamp, source, attributes, created_at) values (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)',
    );
    const field = db.prepare('insert into attestation_fields (field, value, timestamp, seq) values (?, ?, ?, ?)');
    db.transaction(() => {
      for (const [i, a] of ROWS.entries()) {
        const seq = i + 1;
        const ts = T + (a.id === 'A7' ? 0 : i * 1000);
        att.run(seq, a.id, JSON.stringify(a.subjects), JSON.stringify(a.predicates), JSON.stringify(a.contexts), '["tester"]', ts, a.source ?? 'api', JSON.stringify(a.attributes ?? {}), ts);
        for (const [code, values] of [[1, a.subjects], [2, a.predicates], [3, a.contexts], [4, ['tester']]] as const) {
          for (const v of values) field.run(code, v, ts, seq);
        }
      }
      db.prepare(
        `insert into pulse_schedules (id, ats_code, handler_name, payload, interval_seconds, state, next_run_at, created_at, updated_at, consecutive_failures, timeout_seconds)
         values ('sch-1', 'ix probe', 'ix', '{"type":"probe"}', 3600, 'active', ?, ?, ?, 1, 30)`,
      ).run(T + 3_600_000, T, T);
      db.prepare(`insert into pulse_executions (id, schedule_id, status, trigger, started_at, completed_at, stdout) values ('ex-1', 'sch-1', 'completed', 'schedule', ?, ?, 'ran\n')`).run(
        T,
        T + 5,
      );
      db.prepare(`insert into canvas_glyphs (id, kind, x, y, width, height, data, version, created_at, updated_at) values ('g-1', 'ax', 1.5, 2, 100, 50, '{"q":"alice"}', 1, ?, ?)`).run(T, T);
    })();
  } finally {
    db.close();
  }
  const later = await openTarget({ kind: 'sqlite', dataDir });
  try {
    await later.migrateTo(upTo);
    assert.deepEqual(await later.applied(), migrations.slice(0, version(upTo)).map((m) => m.name).sort());
  } finally {
    await later.close();
  }
}

const int = (v: unknown) => (typeof v === 'bigint' ? (v >= BigInt(Number.MIN_SAFE_INTEGER) && v <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(v) : v.toString()) : v);

/** Every data table as rows of sorted keys, the rows sorted (the two databases order text apart). */
function canonical(tables: Record<string, Record<string, unknown>[]>): Record<string, string[]> {
  const out: Record<string, string[]> = {};
  for (const [t, rows] of Object.entries(tables)) {
    out[t] = rows
      .map((r) => JSON.stringify(Object.fromEntries(Object.keys(r).sort().map((k) => [k, Buffer.isBuffer(r[k]) ? `hex:${(r[k] as Buffer).toString('hex')}` : int(r[k])]))))
      .sort();
  }
  return out;
}

function dumpSqlite(dataDir: string): Record<string, string[]> {
  const db = new BetterSqlite3(path.join(dataDir, 'qntx.db'), { readonly: true });
  try {
    return canonical(Object.fromEntries(TABLES.map((t) => [t.name, db.prepare(`select * from ${quoteId(t.name)}`).safeIntegers(true).all() as Record<string, unknown>[]])));
  } finally {
    db.close();
  }
}

async function dumpPostgres(url: string): Promise<Record<string, string[]>> {
  const c = new pg.Client({ connectionString: url, types: pgTypes });
  await c.connect();
  try {
    const out: Record<string, Record<string, unknown>[]> = {};
    for (const t of TABLES) out[t.name] = (await c.query(`select * from ${quoteId(t.name)}`)).rows;
    return canonical(out);
  } finally {
    await c.end();
  }
}

for (const OLD of [FIRST, '012_hook_limits']) {
  describe(`a backup written at an older schema (${version(OLD)}, ${OLD})`, () => {
    const OLD_VERSION = version(OLD);
    const work = tempDir('qntx-old-backup-');
    const old = path.join(work, 'old');
    const file = path.join(work, 'old.qntx.gz');
    const reference = path.join(work, 'reference');
    let expected: Record<string, string[]>;
    const schemas = [uniqueSchema(), uniqueSchema()];

    before(async () => {
      await oldStore(old, OLD);
      const b = await backup({ kind: 'sqlite', dataDir: old }, file);
      assert.equal(b.tables.attestations, ROWS.length);
      // What this qntx makes of the same old store by migrating it forward in place.
      fs.mkdirSync(reference);
      fs.copyFileSync(path.join(old, 'qntx.db'), path.join(reference, 'qntx.db'));
      await (await openDatabase({ dataDir: reference })).close();
      expected = dumpSqlite(reference);
      if (PG_URL) for (const s of schemas) await prepareSchema(PG_URL, s);
    });
    after(async () => {
      for (const s of schemas) await dropSchema(s);
      fs.rmSync(work, { recursive: true, force: true });
    });

    it('carries the schema it was written at', () => {
      const header = JSON.parse(zlib.gunzipSync(fs.readFileSync(file)).toString().split('\n')[0]!);
      assert.deepEqual(header.schema, migrations.slice(0, OLD_VERSION).map((m) => m.name).sort());
      assert.ok(OLD_VERSION < migrations.length);
      assert.ok(!header.tables.attestation_fields.columns.includes('folded'));
      if (OLD === FIRST) {
        assert.ok(!('ix_handler_current' in header.tables) && !('secrets' in header.tables) && !('ax_alias_edges' in header.tables));
        assert.ok(!header.tables.attestations.columns.includes('claim_key'));
      } else {
        assert.deepEqual(header.tables.ax_alias_edges, { count: 1, columns: ['subject', 'context', 'timestamp', 'seq'] });
      }
    });

    it('the reference: migrating the old store in place filled what the newer migrations add', () => {
      const att = expected.attestations!.map((r) => JSON.parse(r));
      const byId = new Map(att.map((a) => [a.id, a]));
      assert.match(byId.get('A1').claim_key, /^hex:[0-9a-f]{48}$/);
      assert.equal(byId.get('A7').claim_key, null, 'a second copy of a claim keeps no key');
      assert.equal(byId.get('A6').handler_version, 2);
      assert.deepEqual(JSON.parse(byId.get('A6').attributes), { repo: 'r1' });
      assert.ok(expected.attestation_fields!.some((r) => JSON.parse(r).value === 'ÅSA' && JSON.parse(r).folded === 'åsa'));
      assert.ok(expected.attestation_fields!.some((r) => JSON.parse(r).field === 5 && JSON.parse(r).value === 'repo=r1'));
      assert.deepEqual(expected.ix_handler_current!.map((r) => JSON.parse(r)), [{ attestation_id: 'A5', script_type: 'probe', updated_at: T + 4000, version: 2 }]);
      assert.deepEqual(
        expected.ax_alias_edges!.map((r) => JSON.parse(r)),
        [{ context: 'United States', context_key: 'united states', seq: 3, subject: 'USA', subject_key: 'usa', timestamp: T + 2000 }],
      );
      const sch = JSON.parse(expected.pulse_schedules![0]!);
      assert.equal(sch.owner, null);
      assert.equal(sch.pruned_runs, 0);
      assert.equal(sch.cron, null);
      assert.equal(sch.timeout_seconds, 30);
    });

    it('restores into SQLite: every table as the old store migrated in place', async () => {
      const dst = path.join(work, 'dst');
      const res = await restore(file, { kind: 'sqlite', dataDir: dst }, {});
      assert.equal(res.tables.attestations, ROWS.length);
      assert.deepEqual(dumpSqlite(dst), expected);
      const ax = await runCli(['ax', 'usa', 'is', 'member', '--data-dir', dst, '--json']);
      assert.equal(ax.code, 0, ax.stderr);
      assert.deepEqual(JSON.parse(ax.stdout).attestations.map((a: { id: string }) => a.id), ['A4']);
    });

    it('restores into PostgreSQL: every table as the old store migrated in place', { skip: PG_SKIP }, async () => {
      const url = pgUrl(schemas[0]!);
      const r = await runCli(['restore', file, '--database-url', url, '--json']);
      assert.equal(r.code, 0, r.stderr);
      assert.deepEqual(await dumpPostgres(url), expected);
      const c = new pg.Client({ connectionString: url });
      await c.connect();
      try {
        const applied = (await c.query('select name from kysely_migration order by name')).rows.map((x: { name: string }) => x.name);
        assert.deepEqual(applied, migrations.map((m) => m.name).sort(), 'the store ends at the current schema');
      } finally {
        await c.end();
      }
      const ax = await runCli(['ax', 'ÅSA', '--database-url', url, '--json']);
      assert.equal(ax.code, 0, ax.stderr);
      assert.deepEqual(JSON.parse(ax.stdout).attestations.map((a: { id: string }) => a.id), ['A2']);
    });

    // Once is enough: the refusal does not depend on the old schema.
    for (const kind of OLD === FIRST ? (['sqlite', 'postgres'] as const) : []) {
      it(`a backup from a newer schema is refused on ${kind}, naming both versions; the store stays empty`, { skip: kind === 'postgres' ? PG_SKIP : false }, async () => {
        const lines = zlib.gunzipSync(fs.readFileSync(file)).toString().split('\n');
        const header = JSON.parse(lines[0]!);
        header.schema = [...migrations.map((m) => m.name), '999_from_the_future'];
        lines[0] = JSON.stringify(header);
        const newer = path.join(work, `newer-${kind}.gz`);
        fs.writeFileSync(newer, zlib.gzipSync(lines.join('\n')));
        const where = kind === 'sqlite' ? ['--data-dir', path.join(work, 'newer-dst')] : ['--database-url', pgUrl(schemas[1]!)];
        const r = await runCli(['restore', newer, ...where]);
        assert.notEqual(r.code, 0);
        assert.match(r.stderr, new RegExp(`backup schema ${migrations.length + 1} is newer than this qntx \\(${migrations.length}\\): upgrade qntx`));
        assert.match(r.stderr, /unknown_migration=999_from_the_future/);
        const target = await openTarget(kind === 'sqlite' ? { kind, dataDir: path.join(work, 'newer-dst') } : { kind, url: pgUrl(schemas[1]!) });
        try {
          assert.deepEqual(await target.applied(), []);
        } finally {
          await target.close();
        }
      });
    }
  });
}
