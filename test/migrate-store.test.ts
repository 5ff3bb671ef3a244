// qntx migrate of a ~100k-attestation SQLite store (with a handler, a schedule and a secret) into
// PostgreSQL, killed with SIGKILL half-way and run again: the second run resumes, completes and
// verifies; the source is never written.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import BetterSqlite3 from 'better-sqlite3';
import pg from 'pg';
import { BIN, runCli } from './cli-helpers.js';
import { prepareSchema } from './fixtures/pulse-db.js';
import { dropSchema, PG_SKIP, PG_URL, tempDir, uniqueSchema } from './helpers.js';
import { api, startProcess } from './process-helpers.js';

const N = 100_000;
const KEY = Buffer.alloc(32, 5).toString('base64');

function pgUrl(schema: string): string {
  const u = new URL(PG_URL!);
  u.searchParams.set('options', `-c search_path=${schema}`);
  return u.toString();
}

function sqliteCounts(dataDir: string): Record<string, number> {
  const db = new BetterSqlite3(path.join(dataDir, 'qntx.db'), { readonly: true });
  try {
    const out: Record<string, number> = {};
    for (const t of ['attestations', 'attestation_fields', 'secrets', 'secret_grants', 'pulse_schedules', 'ix_handler_current']) {
      out[t] = (db.prepare(`select count(*) as n from ${t}`).get() as { n: number }).n;
    }
    return out;
  } finally {
    db.close();
  }
}

describe('qntx migrate SQLite to PostgreSQL, killed half-way and run again', { skip: PG_SKIP }, () => {
  const work = tempDir('qntx-migrate-');
  const dataDir = path.join(work, 'data');
  const schema = uniqueSchema();

  before(async () => {
    await prepareSchema(PG_URL!, schema);
    const lines: string[] = [];
    for (let i = 0; i < N; i++) {
      lines.push(JSON.stringify({ subjects: [`s-${i}`], predicates: [`p-${i % 7}`], contexts: [`c-${i % 100}`], actors: ['loader'], timestamp: 1_700_000_000_000 + i, attributes: { n: i } }));
    }
    fs.writeFileSync(path.join(work, 'a.jsonl'), lines.join('\n') + '\n');
    const imp = await runCli(['import', path.join(work, 'a.jsonl'), '--data-dir', dataDir]);
    assert.equal(imp.code, 0, imp.stderr);
    const server = await startProcess(['serve', '--data-dir', dataDir, '--port', '0'], { QNTX_SECRET_KEY: KEY });
    try {
      await api(server.url!, 'PUT', '/api/secrets/API_TOKEN', { value: 'migrate-secret-value' });
      await api(server.url!, 'POST', '/api/secrets/API_TOKEN/grants', { script_type: 'probe' });
      await api(server.url!, 'POST', '/api/python/register-handler', { script_type: 'probe', code: 'print(len(ix.secrets["API_TOKEN"]))\n' });
      await api(server.url!, 'POST', '/api/pulse/schedules', { ats_code: 'ix probe', interval_seconds: 3600 });
    } finally {
      await server.kill('SIGTERM');
    }
  });
  after(async () => {
    await dropSchema(schema);
    fs.rmSync(work, { recursive: true, force: true });
  });

  it('resumes after SIGKILL, completes and verifies; the source is unchanged', async () => {
    const start = sqliteCounts(dataDir);
    assert.ok(start.attestations! > N);
    const dbFile = path.join(dataDir, 'qntx.db');
    const mtime = fs.statSync(dbFile).mtimeMs;

    const child = spawn(process.execPath, [BIN, 'migrate', '--from', dataDir, '--to', pgUrl(schema)], {
      stdio: ['ignore', 'pipe', 'pipe'],
      env: { ...process.env, QNTX_LOG_LEVEL: 'warn' },
    });
    const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => child.on('exit', (code, signal) => resolve({ code, signal })));
    let err = '';
    let killedAt = '';
    child.stderr.on('data', (d: Buffer) => {
      err += d.toString();
      const m = [...err.matchAll(/migrate: attestation_fields (\d+)\/(\d+)/g)].at(-1);
      if (!killedAt && m && Number(m[1]) > 0 && Number(m[1]) < Number(m[2])) {
        killedAt = m[0];
        child.kill('SIGKILL');
      }
    });
    const first = await exited;
    assert.equal(first.signal, 'SIGKILL', `the first run was to be killed half-way: ${err}`);

    // The target now holds part of the store and the marker: a restore into it is refused.
    const c = new pg.Client({ connectionString: pgUrl(schema) });
    await c.connect();
    try {
      const partial = Number((await c.query('select count(*) as n from attestation_fields')).rows[0].n);
      assert.ok(partial > 0 && partial < start.attestation_fields!, `${partial} field rows after ${killedAt}`);
      // Another source is refused: the target holds an unfinished copy of this one.
      const other = path.join(work, 'other');
      assert.equal((await runCli(['as', 'x', 'is', 'y', 'of', 'z', '--data-dir', other])).code, 0);
      const refused = await runCli(['migrate', '--from', other, '--to', pgUrl(schema)]);
      assert.notEqual(refused.code, 0);
      assert.match(refused.stderr, /holds an unfinished load of another source/);

      const second = await runCli(['migrate', '--from', dataDir, '--to', pgUrl(schema)]);
      assert.equal(second.code, 0, second.stderr);
      assert.match(second.stdout, /resuming an interrupted run/);
      assert.match(second.stdout, /counts and attestation ids verified/);

      for (const [t, n] of Object.entries(start)) {
        assert.equal(Number((await c.query(`select count(*) as n from ${t}`)).rows[0].n), n, t);
      }
      const marker = await c.query(`select 1 from information_schema.tables where table_schema = $1 and table_name = 'qntx_restore_state'`, [schema]);
      assert.equal(marker.rowCount, 0, 'the marker is gone once verified');
    } finally {
      await c.end();
    }
    assert.deepEqual(sqliteCounts(dataDir), start);
    assert.equal(fs.statSync(dbFile).mtimeMs, mtime, 'the source file was not written');

    // Done: a third run finds a complete, non-empty target and refuses it.
    const third = await runCli(['migrate', '--from', dataDir, '--to', pgUrl(schema)]);
    assert.notEqual(third.code, 0);
    assert.match(third.stderr, /is not empty: attestations=/);
  });
});
