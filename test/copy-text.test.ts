// The COPY text encoding restore and migrate write into PostgreSQL with: the encoder on nasty
// values, the values PostgreSQL then holds (COPY beside a parameterised INSERT of the same rows),
// and a SQLite store full of nasty values migrated to PostgreSQL and back, byte for byte.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import BetterSqlite3 from 'better-sqlite3';
import pg from 'pg';
import { openDatabase } from '../src/db/database.js';
import { copyKind, copyValue, CopyValueError, escapeText, lineEncoder } from '../src/ops/copy-text.js';
import { pgTypes } from '../src/ops/location.js';
import { TABLES, quoteId } from '../src/ops/tables.js';
import { copyRows, insertRows } from '../src/ops/target.js';
import { migrateStore } from '../src/ops/transfer.js';
import { prepareSchema } from './fixtures/pulse-db.js';
import { dropSchema, PG_SKIP, PG_URL, tempDir, uniqueSchema } from './helpers.js';

const NASTY = [
  '',
  '\\N',
  '\\',
  '\\\\',
  '\\.',
  'a\tb',
  'line1\nline2',
  'cr\rlf\r\n',
  'tab at end\t',
  '\\t is not a tab',
  '\\x41',
  'ÅSA ünïcødé 中文 😀',
  '\u2028\u2029\ufeff',
  'ctl \u0001\u0008\u000b\u000c\u001b\u007f',
  ' spaces ',
  '"quoted" it\'s a,b;c|d',
];

function pgUrl(schema: string): string {
  const u = new URL(PG_URL!);
  u.searchParams.set('options', `-c search_path=${schema}`);
  return u.toString();
}

describe('COPY text encoding', () => {
  it('escapes backslash, tab, newline and carriage return, and nothing else', () => {
    assert.equal(escapeText('a\\b\tc\nd\re'), 'a\\\\b\\tc\\nd\\re');
    assert.equal(escapeText('ÅSA 中文 😀 \u0001 \u000b "\''), 'ÅSA 中文 😀 \u0001 \u000b "\'');
    // A literal `\N` is text, not NULL; an empty string is empty, not NULL.
    assert.equal(copyValue('\\N', 'text', 'c'), '\\\\N');
    assert.equal(copyValue('', 'text', 'c'), '');
    assert.equal(copyValue(null, 'text', 'c'), '\\N');
    assert.equal(copyValue('\\.', 'text', 'c'), '\\\\.');
    for (const s of NASTY) {
      const out = copyValue(s, 'text', 'c');
      assert.doesNotMatch(out, /[\t\n\r]/, `${JSON.stringify(s)} has no raw separator left`);
      // Undoing the four escapes gives the value back.
      assert.equal(out.replace(/\\(.)/g, (_, c: string) => ({ t: '\t', n: '\n', r: '\r' })[c] ?? c), s);
    }
  });

  it('writes bytes as escaped hex, numbers by kind, and refuses NUL naming the column', () => {
    assert.equal(copyValue(Buffer.from([0, 0x5c, 0x09, 0x0a, 0xff]), 'bytea', 'k'), '\\\\x005c090aff');
    assert.equal(copyValue(Buffer.alloc(0), 'bytea', 'k'), '\\\\x');
    assert.equal(copyValue(Buffer.from('ÅSA\tx'), 'text', 'k'), 'ÅSA\\tx');
    assert.throws(() => copyValue(Buffer.from([0xff, 0xfe]), 'text', 'k'), (e: Error) => e instanceof CopyValueError && /column k .*not UTF-8/.test(e.message));
    assert.throws(() => copyValue('a\u0000b', 'text', 'stdout'), (e: Error) => e instanceof CopyValueError && e.column === 'stdout' && /NUL/.test(e.message));
    assert.equal(copyValue(9007199254740993n.toString(), 'integer', 'n'), '9007199254740993');
    assert.equal(copyValue(-42, 'integer', 'n'), '-42');
    assert.equal(copyValue(-0, 'float', 'x'), '-0');
    assert.equal(copyValue(-0, 'integer', 'n'), '0');
    assert.equal(copyValue(Infinity, 'float', 'x'), 'Infinity');
    assert.equal(copyValue(-Infinity, 'float', 'x'), '-Infinity');
    assert.equal(copyValue(NaN, 'float', 'x'), 'NaN');
    assert.equal(copyValue(1e-300, 'float', 'x'), '1e-300');
    assert.equal(copyValue(1, 'boolean', 'b'), 't');
    assert.equal(copyValue(0, 'boolean', 'b'), 'f');
    assert.equal(copyKind('bytea'), 'bytea');
    assert.equal(copyKind('smallint'), 'integer');
    assert.equal(copyKind('double precision'), 'float');
    assert.equal(copyKind('jsonb'), 'text');
    const line = lineEncoder(['a', 'b', 'c'], new Map([['c', 'bytea' as const]]))({ a: 'x\ty', b: null, c: Buffer.from([1]) });
    assert.equal(line, 'x\\ty\t\\N\t\\\\x01\n');
  });
});

describe('COPY into PostgreSQL, beside INSERT', { skip: PG_SKIP }, () => {
  const schema = uniqueSchema();
  let pool: pg.Pool;
  const COLS = ['k', 't', 'b', 'i', 's', 'f', 'bo', 'j'];
  const TYPES: Record<string, string> = { k: 'integer', t: 'text', b: 'bytea', i: 'bigint', s: 'smallint', f: 'double precision', bo: 'boolean', j: 'jsonb' };

  before(async () => {
    await prepareSchema(PG_URL!, schema);
    pool = new pg.Pool({ connectionString: pgUrl(schema), max: 2, types: pgTypes });
    for (const t of ['by_copy', 'by_insert']) {
      await pool.query(`create table ${t} (${COLS.map((c) => `${c} ${TYPES[c]}`).join(', ')})`);
    }
  });
  after(async () => {
    await pool?.end();
    await dropSchema(schema);
  });

  it('stores every nasty value as given, as INSERT does; a NUL fails the batch before anything is written', async () => {
    const rows = NASTY.map((t, k) => ({
      k,
      t,
      b: Buffer.from(t + '\u0000\\\t', 'utf8'),
      i: k % 2 ? '9007199254740993' : -k,
      s: k,
      f: [1.5, -0, 1e-300, Infinity, -Infinity, 12345678.875][k % 6]!,
      bo: k % 2,
      j: JSON.stringify({ t, list: [t, null, ''] }),
    }));
    rows.push({ k: 100, t: null, b: null, i: null, s: null, f: null, bo: null, j: null } as never);
    const kinds = new Map(COLS.map((c) => [c, copyKind(TYPES[c]!)]));
    await copyRows(pool, 'by_copy', COLS, rows, kinds);
    await insertRows(pool, 'by_insert', COLS, rows);
    const read = async (t: string) => (await pool.query(`select ${COLS.join(', ')}, f::text as ft from ${t} order by k`)).rows;
    const copied = await read('by_copy');
    // The same rows but for the sign of zero, which INSERT's parameters lose (they send -0 as "0").
    const signless = (rs: any[]) => rs.map(({ ft: _, ...r }) => ({ ...r, f: r.f === 0 ? 0 : r.f }));
    assert.deepEqual(signless(copied), signless(await read('by_insert')));
    assert.equal(copied.length, rows.length);
    for (const [n, r] of rows.entries()) {
      const got = copied[n]!;
      assert.equal(got.t, r.t, `text ${JSON.stringify(r.t)}`);
      assert.deepEqual(got.b, r.b);
      assert.equal(got.i === null ? null : String(got.i), r.i === null ? null : String(r.i));
      assert.deepEqual(got.j, r.j === null ? null : JSON.parse(r.j));
      assert.equal(got.bo, r.bo === null ? null : r.bo === 1);
    }
    assert.equal(copied[1]!.ft, '-0', 'the sign of zero is kept');
    assert.equal(copied[3]!.ft, 'Infinity');
    // The empty string and NULL stay apart; `\N` as text is text.
    assert.equal(copied[0]!.t, '');
    assert.equal(copied[1]!.t, '\\N');
    assert.equal(copied.at(-1)!.t, null);

    await assert.rejects(copyRows(pool, 'by_copy', COLS, [{ k: 200, t: 'ok' }, { k: 201, t: 'nul\u0000here' }], kinds), /by_copy row : column t holds the NUL character/);
    assert.equal((await pool.query('select count(*)::int as n from by_copy where k >= 200')).rows[0].n, 0);
    // A value PostgreSQL itself refuses mid-COPY: the batch is rolled back, the pool goes on.
    await assert.rejects(copyRows(pool, 'by_copy', COLS, [{ k: 300, i: 1 }, { k: 301, i: 'not a number' }], kinds), /invalid input syntax for type bigint/);
    await copyRows(pool, 'by_copy', COLS, [{ k: 302, t: 'after' }], kinds);
    assert.deepEqual((await pool.query('select k from by_copy where k >= 300 order by k')).rows, [{ k: 302 }]);
  });
});

/** Every row of every data table, in its read order, values as comparable JSON. */
function dumpSqlite(dataDir: string): Record<string, unknown[]> {
  const db = new BetterSqlite3(path.join(dataDir, 'qntx.db'), { readonly: true });
  try {
    const out: Record<string, unknown[]> = {};
    for (const t of TABLES) {
      const rows = db
        .prepare(`select * from ${quoteId(t.name)} order by ${t.order.map(quoteId).join(', ')}`)
        .safeIntegers(true)
        .all() as Record<string, unknown>[];
      out[t.name] = rows.map((r) =>
        Object.fromEntries(Object.entries(r).map(([k, v]) => [k, typeof v === 'bigint' ? `int:${v}` : Buffer.isBuffer(v) ? `hex:${v.toString('hex')}` : v])),
      );
    }
    return out;
  } finally {
    db.close();
  }
}

async function dumpPostgres(url: string): Promise<Record<string, unknown[]>> {
  const c = new pg.Client({ connectionString: url, types: pgTypes });
  await c.connect();
  try {
    const out: Record<string, unknown[]> = {};
    for (const t of TABLES) {
      const { rows } = await c.query(`select * from ${quoteId(t.name)} order by ${t.order.map(quoteId).join(', ')}`);
      out[t.name] = rows.map((r: Record<string, unknown>) => Object.fromEntries(Object.entries(r).map(([k, v]) => [k, Buffer.isBuffer(v) ? `hex:${v.toString('hex')}` : v])));
    }
    return out;
  } finally {
    await c.end();
  }
}

/** A migrated SQLite store with nasty values written straight into its tables. */
async function nastyStore(dataDir: string, extra?: (db: BetterSqlite3.Database) => void): Promise<void> {
  await (await openDatabase({ dataDir })).close();
  const db = new BetterSqlite3(path.join(dataDir, 'qntx.db'));
  try {
    const att = db.prepare(
      `insert into attestations (seq, id, subjects, predicates, contexts, actors, timestamp, source, attributes, created_at, claim_key, handler_version)
       values (?, ?, ?, '["p"]', '["c"]', '["a"]', ?, 'api', ?, ?, ?, ?)`,
    );
    const field = db.prepare('insert into attestation_fields (field, value, folded, timestamp, seq) values (4, ?, ?, ?, ?)');
    const exec = db.prepare(
      `insert into pulse_executions (id, schedule_id, status, trigger, started_at, error, stdout, stderr) values (?, ?, 'completed', 'manual', ?, ?, ?, ?)`,
    );
    const glyph = db.prepare(`insert into canvas_glyphs (id, kind, x, y, width, height, data, version, created_at, updated_at) values (?, 'ax', ?, ?, 1, 1, ?, 1, 0, 0)`);
    db.transaction(() => {
      for (const [i, s] of NASTY.entries()) {
        const seq = i + 1;
        att.run(seq, `id-${i}-${s}`, JSON.stringify([s]), 1_700_000_000_000 + i, JSON.stringify({ s }), i % 2 ? 9007199254740993n : i, Buffer.from([i, 0, 0x5c, 0x09, 0x0a, 0x0d]), i % 3 ? null : i);
        field.run(s, s.toLowerCase(), 1_700_000_000_000 + i, seq);
        exec.run(`e-${i}`, i % 2 ? null : '', i, i % 3 ? null : '', s, `${s}\n${s}`);
        glyph.run(`g-${i}`, [-0, 1e-300, 1.5, -2.25][i % 4], i, s);
      }
      extra?.(db);
    })();
  } finally {
    db.close();
  }
}

describe('migrate of nasty values SQLite → PostgreSQL → SQLite', { skip: PG_SKIP }, () => {
  const work = tempDir('qntx-copy-');
  const schemas = [uniqueSchema(), uniqueSchema(), uniqueSchema()];
  before(async () => {
    for (const s of schemas) await prepareSchema(PG_URL!, s);
  });
  after(async () => {
    for (const s of schemas) await dropSchema(s);
    fs.rmSync(work, { recursive: true, force: true });
  });

  it('COPY stores what INSERT stores, and the way back gives the source byte for byte', async () => {
    const src = path.join(work, 'src');
    await nastyStore(src);
    const [copySchema, insertSchema] = schemas as [string, string];
    const byCopy = await migrateStore({ kind: 'sqlite', dataDir: src }, { kind: 'postgres', url: pgUrl(copySchema) }, {});
    const byInsert = await migrateStore({ kind: 'sqlite', dataDir: src }, { kind: 'postgres', url: pgUrl(insertSchema) }, { pgWrite: 'insert' });
    assert.deepEqual(byCopy.tables, byInsert.tables);
    assert.equal(byCopy.tables.attestations, NASTY.length);
    const copied = await dumpPostgres(pgUrl(copySchema));
    assert.deepEqual(copied, await dumpPostgres(pgUrl(insertSchema)));
    assert.ok(copied.pulse_executions!.some((r: any) => r.stdout === '\\N'), 'the literal \\N arrives as text');
    assert.ok(copied.pulse_executions!.some((r: any) => r.schedule_id === ''), 'the empty string arrives as text');
    assert.ok(copied.pulse_executions!.some((r: any) => r.schedule_id === null));

    const back = path.join(work, 'back');
    await migrateStore({ kind: 'postgres', url: pgUrl(copySchema) }, { kind: 'sqlite', dataDir: back }, {});
    assert.deepEqual(dumpSqlite(back), dumpSqlite(src));
  });

  it('a NUL in a text value stops the migrate with the table, row and column named; the batch writes nothing; once fixed, the same migrate resumes', async () => {
    const src = path.join(work, 'nul');
    await nastyStore(src, (db) => {
      db.prepare(`insert into pulse_executions (id, status, trigger, started_at, stdout) values ('e-nul', 'failed', 'manual', 0, ?)`).run('before\u0000after');
    });
    const target = pgUrl(schemas[2]!);
    await assert.rejects(
      migrateStore({ kind: 'sqlite', dataDir: src }, { kind: 'postgres', url: target }, {}),
      /pulse_executions row id=e-nul: column stdout holds the NUL character/,
    );
    const dump = await dumpPostgres(target);
    assert.equal(dump.attestations!.length, NASTY.length, 'the tables before it were copied');
    assert.equal(dump.pulse_executions!.length, 0, 'the batch with the NUL wrote nothing');

    const fix = new BetterSqlite3(path.join(src, 'qntx.db'));
    try {
      fix.prepare(`update pulse_executions set stdout = 'beforeafter' where id = 'e-nul'`).run();
    } finally {
      fix.close();
    }
    const again = await migrateStore({ kind: 'sqlite', dataDir: src }, { kind: 'postgres', url: target }, {});
    assert.equal(again.resumed, true);
    assert.equal(again.tables.pulse_executions, NASTY.length + 1);
    assert.ok((await dumpPostgres(target)).pulse_executions!.some((r: any) => r.id === 'e-nul' && r.stdout === 'beforeafter'));
  });
});
