// A consistent read of a whole store: SQLite in one read transaction (a WAL snapshot, taken on a
// read-only connection, so writers carry on), PostgreSQL in one REPEATABLE READ READ ONLY
// transaction. The counts, the attestation-id checksum and every row all come from that snapshot.
import BetterSqlite3 from 'better-sqlite3';
import fs from 'node:fs';
import pg from 'pg';
import { QntxError } from '../errors.js';
import { sqlitePath } from '../db/database.js';
import { IdChecksum } from './checksum.js';
import { describeLocation, pgTypes, type Location } from './location.js';
import { isBookkeeping, quoteId, tableSpec, TABLES, type Row, type TableSpec, type Value } from './tables.js';

export interface SnapshotInfo {
  kind: 'sqlite' | 'postgres';
  /** The names of the applied migrations, sorted. */
  schema: string[];
  tables: Record<string, { count: number; columns: string[] }>;
  attestationChecksum: string;
}

export interface Snapshot extends SnapshotInfo {
  /** The rows of `table` in its read order, after the first `skip`, in batches. */
  rows(table: string, skip: number, batch: number): AsyncIterable<Row[]>;
  close(): Promise<void>;
}

function normalise(v: unknown): Value {
  if (typeof v === 'bigint') return v >= BigInt(Number.MIN_SAFE_INTEGER) && v <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(v) : v.toString();
  if (v === null || typeof v === 'number' || typeof v === 'string' || Buffer.isBuffer(v)) return v;
  if (typeof v === 'boolean') return v ? 1 : 0;
  if (v instanceof Uint8Array) return Buffer.from(v);
  return String(v);
}

function normaliseRow(r: Record<string, unknown>): Row {
  const out: Row = {};
  for (const k of Object.keys(r)) out[k] = normalise(r[k]);
  return out;
}

/** The read order of a table as this store has it (an older schema may key it by other columns). */
function orderBy(spec: TableSpec, columns: readonly string[]): string {
  const order = [spec.order, ...(spec.olderOrders ?? [])].find((o) => o.every((c) => columns.includes(c)));
  if (!order) {
    throw new QntxError('backup', 500, `table ${spec.name} has none of the key columns this qntx reads it by`, {
      details: [`table=${spec.name}`, `columns=${columns.join(',')}`, `order=${spec.order.join(',')}`],
    });
  }
  return order.map(quoteId).join(', ');
}

function checkTables(names: string[], where: string): string[] {
  const data = names.filter((n) => !isBookkeeping(n));
  const unknown = data.filter((n) => !tableSpec(n));
  if (unknown.length) {
    throw new QntxError('backup', 500, `the store has tables this qntx does not know how to back up: ${unknown.join(', ')}`, {
      details: [`store=${where}`, ...unknown.map((n) => `table=${n}`)],
      hint: 'use the qntx version that made this store',
    });
  }
  return TABLES.map((t) => t.name).filter((n) => data.includes(n));
}

export async function openSnapshot(loc: Location): Promise<Snapshot> {
  return loc.kind === 'sqlite' ? sqliteSnapshot(loc.dataDir) : postgresSnapshot(loc.url);
}

function sqliteSnapshot(dataDir: string): Snapshot {
  const file = sqlitePath(dataDir);
  if (!fs.existsSync(file)) {
    throw new QntxError('backup', 404, `no qntx database in ${dataDir}`, { details: [`path=${file}`], hint: 'give the data directory of a qntx store' });
  }
  const db = new BetterSqlite3(file, { readonly: true, fileMustExist: true });
  try {
    db.pragma('busy_timeout = 10000');
    db.exec('BEGIN');
    const names = (db.prepare(`select name from sqlite_master where type = 'table'`).all() as { name: string }[]).map((r) => r.name);
    const tables = checkTables(names, file);
    const schema = names.includes('kysely_migration')
      ? (db.prepare('select name from kysely_migration order by name').all() as { name: string }[]).map((r) => r.name)
      : [];
    const info: SnapshotInfo['tables'] = {};
    for (const t of tables) {
      const count = Number((db.prepare(`select count(*) as n from ${quoteId(t)}`).get() as { n: number }).n);
      const columns = (db.prepare(`select name from pragma_table_info(?) order by cid`).all(t) as { name: string }[]).map((r) => r.name);
      info[t] = { count, columns };
    }
    const sum = new IdChecksum();
    if (info.attestations) for (const r of db.prepare('select id from attestations').iterate() as Iterable<{ id: string }>) sum.add(r.id);
    return {
      kind: 'sqlite',
      schema,
      tables: info,
      attestationChecksum: sum.hex(),
      async *rows(table, skip, batch) {
        const spec = tableSpec(table)!;
        const stmt = db.prepare(`select * from ${quoteId(table)} order by ${orderBy(spec, info[table]!.columns)} limit -1 offset ?`).safeIntegers(true);
        let out: Row[] = [];
        for (const r of stmt.iterate(skip) as Iterable<Record<string, unknown>>) {
          out.push(normaliseRow(r));
          if (out.length >= batch) {
            yield out;
            out = [];
          }
        }
        if (out.length) yield out;
      },
      async close() {
        if (db.open) {
          if (db.inTransaction) db.exec('ROLLBACK');
          db.close();
        }
      },
    };
  } catch (err) {
    db.close();
    throw err;
  }
}

async function postgresSnapshot(url: string): Promise<Snapshot> {
  const client = new pg.Client({ connectionString: url, types: pgTypes });
  await client.connect();
  client.on('error', () => {});
  try {
    await client.query('begin isolation level repeatable read read only');
    const s = (await client.query<{ s: string | null }>('select current_schema() as s')).rows[0]?.s;
    if (!s) {
      throw new QntxError('backup', 400, 'the PostgreSQL URL names no existing schema', {
        details: [`url=${describeLocation({ kind: 'postgres', url })}`],
        hint: 'check the search_path in the URL options',
      });
    }
    const names = (
      await client.query<{ t: string }>(`select table_name as t from information_schema.tables where table_schema = $1 and table_type = 'BASE TABLE'`, [s])
    ).rows.map((r) => r.t);
    const tables = checkTables(names, `${describeLocation({ kind: 'postgres', url })} schema ${s}`);
    const schema = names.includes('kysely_migration')
      ? (await client.query<{ name: string }>(`select name from ${quoteId(s)}.kysely_migration order by name`)).rows.map((r) => r.name)
      : [];
    const info: SnapshotInfo['tables'] = {};
    for (const t of tables) {
      const count = Number((await client.query<{ n: string }>(`select count(*) as n from ${quoteId(t)}`)).rows[0]!.n);
      const columns = (
        await client.query<{ c: string }>(
          `select column_name as c from information_schema.columns where table_schema = $1 and table_name = $2 order by ordinal_position`,
          [s, t],
        )
      ).rows.map((r) => r.c);
      info[t] = { count, columns };
    }
    const sum = new IdChecksum();
    if (info.attestations) {
      await client.query('declare ids no scroll cursor for select id from attestations');
      for (;;) {
        const { rows } = await client.query<{ id: string }>('fetch 10000 from ids');
        if (!rows.length) break;
        for (const r of rows) sum.add(r.id);
      }
      await client.query('close ids');
    }
    let closed = false;
    return {
      kind: 'postgres',
      schema,
      tables: info,
      attestationChecksum: sum.hex(),
      async *rows(table, skip, batch) {
        const spec = tableSpec(table)!;
        await client.query(`declare rows_cursor no scroll cursor for select * from ${quoteId(table)} order by ${orderBy(spec, info[table]!.columns)}`);
        try {
          if (skip > 0) await client.query(`move forward ${Math.trunc(skip)} in rows_cursor`);
          for (;;) {
            const { rows } = await client.query<Record<string, unknown>>(`fetch ${Math.trunc(batch)} from rows_cursor`);
            if (!rows.length) break;
            yield rows.map(normaliseRow);
          }
        } finally {
          await client.query('close rows_cursor');
        }
      },
      async close() {
        if (closed) return;
        closed = true;
        await client.query('rollback').catch(() => {});
        await client.end();
      },
    };
  } catch (err) {
    await client.end().catch(() => {});
    throw err;
  }
}
