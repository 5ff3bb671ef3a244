// qntx backup / restore / migrate through the real bin: a SQLite store backed up while its server
// runs a scheduled handler that reads a secret, restored into PostgreSQL, served again with the same
// key (the handler runs on its schedule and reads the secret; AX answers as before), then migrated
// back to SQLite; refusals of a non-empty store and of a newer schema.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import zlib from 'node:zlib';
import { after, before, describe, it } from 'node:test';
import { openDatabase } from '../src/db/database.js';
import { isBookkeeping, TABLES } from '../src/ops/tables.js';
import { restore } from '../src/ops/transfer.js';
import { runCli } from './cli-helpers.js';
import { prepareSchema } from './fixtures/pulse-db.js';
import { dropSchema, PG_SKIP, PG_URL, tempDir, uniqueSchema } from './helpers.js';
import { startTestServer, type TestServer } from './http-helpers.js';
import { WsClient } from './ws-helpers.js';

const KEY = Buffer.alloc(32, 9).toString('base64');
const SECRET = 'backup-secret-value-1234';

const PROBE = `
print("secret-len", len(ix.secrets["API_TOKEN"]))
attest("probe", "ran", "tick")
`;

const QUERIES = ['ax alice', 'ax ALICE is engineer', 'ax usa', 'ax usa is member', 'ax "UNITED STATES"', 'ax is member of nato'];

function pgUrl(schema: string): string {
  const u = new URL(PG_URL!);
  u.searchParams.set('options', `-c search_path=${schema}`);
  return u.toString();
}

async function axIds(s: TestServer, query: string): Promise<string[]> {
  const r = await s.request('POST', '/api/ax', { query, all: true });
  assert.equal(r.status, 200, `${query}: ${JSON.stringify(r.body)}`);
  return r.body.attestations.map((a: any) => a.id).sort();
}

/** Waits for the schedule's next finished run and returns its execution. */
async function nextRun(s: TestServer, ws: WsClient, scheduleId: string): Promise<any> {
  const started = await ws.next((m) => m.type === 'pulse_execution_started' && m.schedule_id === scheduleId);
  await ws.next((m) => (m.type === 'pulse_execution_completed' || m.type === 'pulse_execution_failed') && m.execution_id === started.execution_id);
  return (await s.request('GET', `/api/pulse/executions/${started.execution_id}`)).body;
}

describe('backup of a running SQLite server, restored into PostgreSQL', { skip: PG_SKIP }, () => {
  const work = tempDir('qntx-backup-');
  const dataDir = path.join(work, 'data');
  const file = path.join(work, 'store.qntx.gz');
  const schema = uniqueSchema();
  let s: TestServer;
  let ws: WsClient;
  let scheduleId = '';
  const answers = new Map<string, string[]>();
  let backedUp: any;

  before(async () => {
    await prepareSchema(PG_URL!, schema);
    s = await startTestServer('sqlite', { dataDir, secretKey: KEY });
    ws = await WsClient.connect(s.url);
  });
  after(async () => {
    ws?.close();
    await s?.stop().catch(() => {});
    await dropSchema(schema);
    fs.rmSync(work, { recursive: true, force: true });
  });

  it('backs up while the server runs the scheduled handler', async () => {
    assert.equal((await s.request('PUT', '/api/secrets/API_TOKEN', { value: SECRET })).status, 200);
    assert.equal((await s.request('POST', '/api/secrets/API_TOKEN/grants', { script_type: 'probe' })).status, 200);
    assert.equal((await s.request('POST', '/api/python/register-handler', { script_type: 'probe', code: PROBE })).status, 201);
    for (const [subjects, predicates, contexts] of [
      [['alice'], ['engineer'], ['acme']],
      [['Bob'], ['engineer'], ['acme']],
      [['United States'], ['member'], ['NATO']],
    ]) {
      const r = await s.request('POST', '/api/as', { subjects, predicates, contexts });
      assert.equal(r.status, 201, JSON.stringify(r.body));
    }
    const alias = await runCli(['alias', 'USA', 'United States', '--data-dir', dataDir]);
    assert.equal(alias.code, 0, alias.stderr);
    assert.equal((await s.request('PUT', '/api/canvas/glyphs/g-1', { kind: 'ax', x: 1, y: 2, width: 100, height: 50, data: { q: 'alice' } })).status, 201);
    assert.equal((await s.request('POST', '/api/hooks', { script_type: 'probe' })).status, 201);
    const sch = await s.request('POST', '/api/pulse/schedules', { ats_code: 'ix probe', interval_seconds: 1 });
    assert.equal(sch.status, 201, JSON.stringify(sch.body));
    scheduleId = sch.body.id;
    const first = await nextRun(s, ws, scheduleId);
    assert.equal(first.status, 'completed', JSON.stringify(first));
    assert.match(first.stdout, new RegExp(`secret-len ${SECRET.length}`));
    for (const q of QUERIES) answers.set(q, await axIds(s, q));
    assert.equal(answers.get('ax usa is member')!.length, 1, 'the alias answers for United States');
    assert.deepEqual(answers.get('ax usa'), answers.get('ax "UNITED STATES"'));
    assert.equal(answers.get('ax ALICE is engineer')!.length, 1);

    // The backup runs while the schedule keeps running (every second) on the server.
    const b = await runCli(['backup', file, '--data-dir', dataDir, '--json']);
    assert.equal(b.code, 0, b.stderr);
    backedUp = JSON.parse(b.stdout);
    assert.ok(backedUp.tables.attestations >= 5);
    for (const t of ['secrets', 'secret_grants', 'ix_handler_current', 'pulse_schedules', 'canvas_glyphs', 'hooks', 'ax_alias_edges']) {
      assert.ok(backedUp.tables[t] >= 1, `${t} is in the backup`);
    }
    assert.ok(backedUp.tables.pulse_executions >= 1);
    const sealed = zlib.gunzipSync(fs.readFileSync(file)).toString();
    assert.ok(!sealed.includes(SECRET), 'the secret stays sealed in the backup');
    const more = await nextRun(s, ws, scheduleId);
    assert.equal(more.status, 'completed');
    ws.close();
    await s.stop();
  });

  it('restores into PostgreSQL: counts and ids verified, the handler runs on its schedule with the secret, AX answers as before', async () => {
    const r = await runCli(['restore', file, '--database-url', pgUrl(schema), '--json']);
    assert.equal(r.code, 0, r.stderr);
    const restored = JSON.parse(r.stdout);
    assert.deepEqual(restored.tables, backedUp.tables);
    assert.equal(restored.attestationChecksum, backedUp.attestationChecksum);

    const p = await startTestServer('postgres', { secretKey: KEY }, { pgSchema: schema });
    const pws = await WsClient.connect(p.url);
    try {
      const sch = await p.request('GET', `/api/pulse/schedules/${scheduleId}`);
      assert.equal(sch.status, 200);
      assert.equal(sch.body.ats_code, 'ix probe');
      assert.equal(sch.body.interval_seconds, 1);
      const run = await nextRun(p, pws, scheduleId);
      assert.equal(run.status, 'completed', JSON.stringify(run));
      assert.match(run.stdout, new RegExp(`secret-len ${SECRET.length}`));
      for (const q of QUERIES) assert.deepEqual(await axIds(p, q), answers.get(q), q);
      const glyph = await p.request('GET', '/api/canvas/glyphs/g-1');
      assert.deepEqual(glyph.body.data, { q: 'alice' });
      assert.equal((await p.request('GET', '/api/hooks')).body.hooks.length, 1);
      // New attestations continue the restored sequence.
      assert.equal((await p.request('POST', '/api/as', { subjects: ['carol'], predicates: ['engineer'], contexts: ['acme'] })).status, 201);
    } finally {
      pws.close();
      await p.stop();
    }
  });

  it('refuses to restore into a store that is not empty, naming what it holds', async () => {
    const r = await runCli(['restore', file, '--database-url', pgUrl(schema)]);
    assert.notEqual(r.code, 0);
    assert.match(r.stderr, /is not empty: attestations=\d+/);
  });

  it('migrates PostgreSQL back to SQLite; the copy answers the same', async () => {
    const back = path.join(work, 'back');
    const m = await runCli(['migrate', '--from', pgUrl(schema), '--to', back, '--json']);
    assert.equal(m.code, 0, m.stderr);
    // The restored server attested since (carol, and the handler's runs).
    assert.ok(JSON.parse(m.stdout).tables.attestations > backedUp.tables.attestations);
    const ax = await runCli(['ax', 'usa', '--data-dir', back, '--json']);
    assert.equal(ax.code, 0, ax.stderr);
    assert.deepEqual(JSON.parse(ax.stdout).attestations.map((a: any) => a.id).sort(), answers.get('ax usa'));
  });

  it('backs up PostgreSQL to a file that restores into SQLite', async () => {
    const file2 = path.join(work, 'pg.qntx.gz');
    const b = await runCli(['backup', file2, '--database-url', pgUrl(schema), '--json']);
    assert.equal(b.code, 0, b.stderr);
    const r = await runCli(['restore', file2, '--data-dir', path.join(work, 'from-pg'), '--json']);
    assert.equal(r.code, 0, r.stderr);
    assert.deepEqual(JSON.parse(r.stdout).tables, JSON.parse(b.stdout).tables);
    const ax = await runCli(['ax', 'ALICE', 'is', 'engineer', '--data-dir', path.join(work, 'from-pg'), '--json']);
    assert.deepEqual(JSON.parse(ax.stdout).attestations.map((a: any) => a.id).sort(), answers.get('ax ALICE is engineer'));
    const bad = await runCli(['backup', path.join(work, 'no', 'such', 'dir', 'x.gz'), '--database-url', pgUrl(schema)]);
    assert.notEqual(bad.code, 0);
    assert.match(bad.stderr, /cannot write .*x\.gz/);
  });
});

describe('restore', () => {
  it('knows every table the migrations create (a new table must be added to src/ops/tables.ts)', async () => {
    const dataDir = tempDir('qntx-backup-');
    const database = await openDatabase({ dataDir });
    try {
      const names = (database.sqlite!.prepare(`select name from sqlite_master where type = 'table'`).all() as { name: string }[]).map((r) => r.name);
      assert.deepEqual(names.filter((n) => !isBookkeeping(n)).sort(), TABLES.map((t) => t.name).sort());
    } finally {
      await database.close();
      fs.rmSync(dataDir, { recursive: true, force: true });
    }
  });

  it('resumes an interrupted restore where it stopped; --restart is refused on a store without the marker', async () => {
    const work = tempDir('qntx-backup-');
    try {
      const src = path.join(work, 'src');
      for (const who of ['alice', 'bob', 'carol']) assert.equal((await runCli(['as', who, 'is', 'engineer', 'of', 'acme', '--data-dir', src])).code, 0);
      const file = path.join(work, 'b.gz');
      assert.equal((await runCli(['backup', file, '--data-dir', src, '--quiet'])).code, 0);
      const dst = { kind: 'sqlite' as const, dataDir: path.join(work, 'dst') };
      // A failure after three field rows were committed, one row a batch.
      const crash = restore(file, dst, {
        batch: 1,
        onProgress: (p) => {
          if (p.table === 'attestation_fields' && p.done >= 3) throw new Error('interrupted');
        },
      });
      await assert.rejects(crash, /interrupted/);
      const again = await restore(file, dst, {});
      assert.equal(again.resumed, true);
      assert.equal(again.tables.attestations, 3);
      assert.equal(again.tables.attestation_fields, 12);
      const ax = await runCli(['ax', 'is', 'engineer', '--data-dir', dst.dataDir, '--json']);
      assert.equal(JSON.parse(ax.stdout).attestations.length, 3);
      const restart = await runCli(['restore', file, '--data-dir', dst.dataDir, '--restart']);
      assert.notEqual(restart.code, 0);
      assert.match(restart.stderr, /is not empty: attestations=3/);
    } finally {
      fs.rmSync(work, { recursive: true, force: true });
    }
  });

  it('a backup from a newer schema, and leaves the target empty', async () => {
    const work = tempDir('qntx-backup-');
    try {
      const src = path.join(work, 'src');
      assert.equal((await runCli(['as', 'alice', 'is', 'engineer', 'of', 'acme', '--data-dir', src])).code, 0);
      const file = path.join(work, 'b.gz');
      const b = await runCli(['backup', file, '--data-dir', src, '--quiet']);
      assert.equal(b.code, 0, b.stderr);
      const lines = zlib.gunzipSync(fs.readFileSync(file)).toString().split('\n');
      const header = JSON.parse(lines[0]!);
      header.schema.push('999_from_the_future');
      lines[0] = JSON.stringify(header);
      const newer = path.join(work, 'newer.gz');
      fs.writeFileSync(newer, zlib.gzipSync(lines.join('\n')));
      const r = await runCli(['restore', newer, '--data-dir', path.join(work, 'dst')]);
      assert.notEqual(r.code, 0);
      assert.match(r.stderr, /backup schema \d+ is newer than this qntx \(\d+\): upgrade qntx/);
      assert.match(r.stderr, /unknown_migration=999_from_the_future/);
      // The untouched backup restores into the same place afterwards.
      const ok = await runCli(['restore', file, '--data-dir', path.join(work, 'dst'), '--quiet']);
      assert.equal(ok.code, 0, ok.stderr);
    } finally {
      fs.rmSync(work, { recursive: true, force: true });
    }
  });

  it('a cut-off backup file, with an error naming it', async () => {
    const work = tempDir('qntx-backup-');
    try {
      const src = path.join(work, 'src');
      assert.equal((await runCli(['as', 'alice', 'is', 'engineer', 'of', 'acme', '--data-dir', src])).code, 0);
      const file = path.join(work, 'b.gz');
      assert.equal((await runCli(['backup', file, '--data-dir', src, '--quiet'])).code, 0);
      const lines = zlib.gunzipSync(fs.readFileSync(file)).toString().trimEnd().split('\n');
      const cut = path.join(work, 'cut.gz');
      fs.writeFileSync(cut, zlib.gzipSync(lines.slice(0, -1).join('\n') + '\n'));
      const r = await runCli(['restore', cut, '--data-dir', path.join(work, 'dst')]);
      assert.notEqual(r.code, 0);
      assert.match(r.stderr, /cut off/);
    } finally {
      fs.rmSync(work, { recursive: true, force: true });
    }
  });
});
