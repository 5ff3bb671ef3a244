// The store at scale on both databases (npm run bench:scale-store).
// For each size (SCALE_SIZES, default 1000000; e.g. SCALE_SIZES=1000000,10000000):
// 1. a JSON-lines file of N attestations, imported with the real `qntx import` (PostgreSQL: COPY),
//    beside a bare COPY of the same rows into the same tables (PostgreSQL) or a plain prepared
//    better-sqlite3 load (SQLite), same run;
// 2. 2% more rows as `ix_handler` attestations crowding the handler types' contexts (the store's
//    bulk insert: the import refuses the reserved predicate), and 50 handlers registered;
// 3. p50/p99 in process and over HTTP: the handler lookup (registry: primary-key reads), beside a
//    bare primary-key get; the handler query form over HTTP; a by-subject lookup; a two-field
//    filter of 50 rows; a time-range page; with no VACUUM (autovacuum off on this machine);
// 4. table and index sizes on disk.
// PostgreSQL runs when QNTX_TEST_DATABASE_URL (or BENCH_DATABASE_URL) is set; SCALE_KINDS picks
// the databases (default `sqlite,postgres`).
// SCALE_STATE_DIR=D keeps each loaded store (its data directory or schema) and its import figures
// in D/<kind>-<n>.json; a later run with the same D skips the load and probes that store again
// (load under whatever else runs, probe on a quiet machine; autovacuum is off here, so the store
// stays as the import left it). Without it, each store is dropped after its probe.
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import pg from 'pg';
import { from as copyFrom } from 'pg-copy-streams';
import { AsidFactory } from '../src/ats/asid.js';
import { claimKey } from '../src/ats/claim-key.js';
import { fold } from '../src/ats/fold.js';
import { FIELD_CODE, FIELD_NAMES, type NewAttestation } from '../src/ats/types.js';
import { loadSettings } from '../src/config.js';
import { quoteIdent, sqlitePath } from '../src/db/database.js';
import { silentLogger } from '../src/logger.js';
import { startServer, type RunningServer } from '../src/server/serve.js';
import { openTestQntx, tempDir, uniqueSchema } from '../test/helpers.js';
import { fmt, httpGetter, machine, percentile } from './util.js';

const SIZES = (process.env.SCALE_SIZES ?? '1000000').split(',').map(Number);
const KINDS = (process.env.SCALE_KINDS ?? 'sqlite,postgres').split(',') as Array<'sqlite' | 'postgres'>;
const STATE_DIR = process.env.SCALE_STATE_DIR;
const PG_URL = process.env.BENCH_DATABASE_URL ?? process.env.QNTX_TEST_DATABASE_URL;
const BIN = path.resolve(import.meta.dirname, '..', 'bin', 'qntx.js');
const T0 = 1_700_000_000_000;
const TYPES = 1000;
const SAMPLES = Number(process.env.SCALE_SAMPLES ?? 400);

/** One line's attestation: 20 predicates, 5000 contexts (1 in 7 rows in a handler type's context). */
function row(i: number) {
  return {
    subjects: [`entity-${i % 200_000}`],
    predicates: [`pred-${i % 20}`],
    contexts: [i % 7 === 0 ? `type-${i % TYPES}` : `ctx-${i % 5000}`],
    actors: [`actor-${i % 50}`],
    timestamp: T0 + i * 10,
    attributes: { i, repo: `r${i % 3}` },
  };
}

function writeFile(file: string, n: number): void {
  const fd = fs.openSync(file, 'w');
  let buf: string[] = [];
  for (let i = 0; i < n; i++) {
    buf.push(JSON.stringify(row(i)));
    if (buf.length === 50_000) {
      fs.writeSync(fd, buf.join('\n') + '\n');
      buf = [];
    }
  }
  if (buf.length) fs.writeSync(fd, buf.join('\n') + '\n');
  fs.closeSync(fd);
}

function full(i: number, ids: AsidFactory): NewAttestation {
  return { ...row(i), id: ids.next(), source: 'import', created_at: T0 };
}

function cli(args: string[]): { secs: number; out: string } {
  const t = performance.now();
  const r = spawnSync(process.execPath, [BIN, ...args], { encoding: 'utf8', env: { ...process.env, QNTX_LOG_LEVEL: 'warn' }, maxBuffer: 1 << 26 });
  if (r.status !== 0) throw new Error(`qntx ${args.join(' ')} failed: ${r.stderr}`);
  return { secs: (performance.now() - t) / 1000, out: r.stdout };
}

function withSchema(url: string, schema: string): string {
  const u = new URL(url);
  u.searchParams.set('options', `-c search_path=${schema}`);
  return u.toString();
}

const esc = (s: string) => s.replace(/[\\\t\n\r]/g, (c) => (c === '\\' ? '\\\\' : c === '\t' ? '\\t' : c === '\n' ? '\\n' : '\\r'));

/** A bare COPY of the same rows into a fresh qntx schema's two tables (seq and key computed here). */
async function bareCopy(n: number): Promise<number> {
  const q = await openTestQntx('postgres');
  const client = await q.database.pool!.connect();
  try {
    const ids = new AsidFactory();
    const t = performance.now();
    const rows = function* () {
      for (let i = 0; i < n; i++) {
        const a = full(i, ids);
        yield `${i + 1}\t${a.id}\t${esc(JSON.stringify(a.subjects))}\t${esc(JSON.stringify(a.predicates))}\t${esc(JSON.stringify(a.contexts))}\t${esc(
          JSON.stringify(a.actors),
        )}\t${a.timestamp}\t${a.source}\t${esc(JSON.stringify(a.attributes))}\t${a.created_at}\t\\\\x${claimKey(a).toString('hex')}\n`;
      }
    };
    const fields = function* () {
      for (let i = 0; i < n; i++) {
        const a = row(i);
        for (const name of FIELD_NAMES) for (const v of a[name]) yield `${FIELD_CODE[name]}\t${esc(v)}\t${esc(fold(v))}\t${a.timestamp}\t${i + 1}\n`;
        yield `5\trepo=${a.attributes.repo}\trepo=${a.attributes.repo}\t${a.timestamp}\t${i + 1}\n`;
      }
    };
    const chunks = function* (g: Generator<string>) {
      let buf: string[] = [];
      for (const l of g) {
        buf.push(l);
        if (buf.length === 5000) {
          yield buf.join('');
          buf = [];
        }
      }
      if (buf.length) yield buf.join('');
    };
    await client.query('begin');
    await pipeline(
      Readable.from(chunks(rows())),
      client.query(copyFrom('copy attestations (seq, id, subjects, predicates, contexts, actors, timestamp, source, attributes, created_at, claim_key) from stdin')),
    );
    await pipeline(Readable.from(chunks(fields())), client.query(copyFrom('copy attestation_fields (field, value, folded, timestamp, seq) from stdin')));
    await client.query('commit');
    return n / ((performance.now() - t) / 1000);
  } finally {
    client.release();
    await q.cleanup();
  }
}

/** A plain prepared better-sqlite3 load of the same rows into a fresh qntx file (seq and key computed here). */
async function plainSqlite(n: number): Promise<number> {
  const q = await openTestQntx('sqlite');
  try {
    const raw = q.database.sqlite!;
    const insA = raw.prepare(`insert into attestations (seq, id, subjects, predicates, contexts, actors, timestamp, source, attributes, created_at, claim_key)
      values (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`);
    const insF = raw.prepare('insert into attestation_fields (field, value, folded, timestamp, seq) values (?, ?, ?, ?, ?)');
    const ids = new AsidFactory();
    const tx = raw.transaction((from: number, to: number) => {
      for (let i = from; i < to; i++) {
        const a = full(i, ids);
        insA.run(i + 1, a.id, JSON.stringify(a.subjects), JSON.stringify(a.predicates), JSON.stringify(a.contexts), JSON.stringify(a.actors),
          a.timestamp, a.source, JSON.stringify(a.attributes), a.created_at, claimKey(a));
        for (const name of FIELD_NAMES) for (const v of a[name]) insF.run(FIELD_CODE[name], v, fold(v), a.timestamp, i + 1);
        insF.run(5, `repo=${a.attributes.repo}`, a.timestamp, i + 1);
      }
    });
    const t = performance.now();
    for (let i = 0; i < n; i += 20_000) tx(i, Math.min(n, i + 20_000));
    return n / ((performance.now() - t) / 1000);
  } finally {
    await q.cleanup();
  }
}

interface Timing {
  p50: number;
  p99: number;
}

async function time(fn: (i: number) => Promise<unknown>): Promise<Timing> {
  for (let i = 0; i < 30; i++) await fn(i); // warm-up
  const ms: number[] = [];
  for (let i = 0; i < SAMPLES; i++) {
    const t = performance.now();
    await fn(i);
    ms.push(performance.now() - t);
  }
  ms.sort((a, b) => a - b);
  return { p50: percentile(ms, 50), p99: percentile(ms, 99) };
}

/** A loaded store: where it lives and what its import measured. */
interface Loaded {
  kind: 'sqlite' | 'postgres';
  n: number;
  dir: string;
  schema: string;
  import_rate: number;
  baseline_rate: number;
}

const statePath = (kind: string, n: number) => path.join(STATE_DIR!, `${kind}-${n}.json`);

/** Imports n attestations with the real CLI (and the baseline beside it), then crowds the handler types. */
async function load(kind: 'sqlite' | 'postgres', n: number): Promise<Loaded> {
  const dir = tempDir('qntx-scale-');
  const file = path.join(dir, 'a.jsonl');
  writeFile(file, n);
  const schema = uniqueSchema();
  const loaded: Loaded = { kind, n, dir, schema, import_rate: 0, baseline_rate: 0 };
  if (kind === 'postgres') await withAdmin((admin) => admin.query(`create schema ${quoteIdent(schema)}`));
  const dbArgs = kind === 'postgres' ? ['--database-url', withSchema(PG_URL!, schema)] : ['--data-dir', dir];
  const imp = cli(['import', file, ...dbArgs, '--json']);
  fs.rmSync(file);
  loaded.import_rate = n / imp.secs;
  loaded.baseline_rate = kind === 'postgres' ? await bareCopy(n) : await plainSqlite(n);
  const server = await open(loaded);
  try {
    const q = server.qntx;
    // Handler attestations crowding the types' contexts, then 50 handlers through the registry.
    const ids = new AsidFactory();
    const extra = Math.floor(n / 50);
    for (let b = 0; b < extra; b += 20_000) {
      await q.ats.store.insertBulk(
        Array.from({ length: Math.min(20_000, extra - b) }, (_, k) => ({
          id: ids.next(),
          subjects: [`old-handler-${b + k}`],
          predicates: ['ix_handler'],
          contexts: [`type-${(b + k) % TYPES}`],
          actors: ['bench'],
          timestamp: T0 + (b + k) * 500,
          source: 'api',
          attributes: { code: 'pass', version: 1, retracted: true },
          created_at: T0,
        })),
      );
    }
    for (let t = 0; t < 50; t++) await q.handlers.register({ script_type: `type-${t}`, code: `print(${t})` }, 'bench');
  } finally {
    await server.close();
  }
  return loaded;
}

async function withAdmin<T>(fn: (admin: pg.Client) => Promise<T>): Promise<T> {
  const admin = new pg.Client({ connectionString: PG_URL });
  await admin.connect();
  try {
    return await fn(admin);
  } finally {
    await admin.end();
  }
}

function open(l: Loaded): Promise<RunningServer> {
  const settings = loadSettings({ dataDir: l.dir, port: 0, logLevel: 'silent', ...(l.kind === 'postgres' ? { databaseUrl: PG_URL } : {}) }, {});
  return startServer(settings, { logger: silentLogger(), ...(l.kind === 'postgres' ? { pgSchema: l.schema } : {}) });
}

async function drop(l: Loaded): Promise<void> {
  if (l.kind === 'postgres') await withAdmin((admin) => admin.query(`drop schema if exists ${quoteIdent(l.schema)} cascade`));
  fs.rmSync(l.dir, { recursive: true, force: true });
}

/** p50/p99 of each query shape, in process and over HTTP, and the sizes on disk. */
async function probe(l: Loaded) {
  const { kind, n } = l;
  const server = await open(l);
  const client = httpGetter(server.url, { authorization: `Bearer ${server.token}` });
  try {
    const q = server.qntx;
    const http = client.get;
    const pkGet =
      kind === 'postgres'
        ? (i: number) => q.database.pool!.query({ name: 'bench_pk', text: 'select * from attestations where seq = $1', values: [1 + ((i * 7919) % n)] })
        : (() => {
            const st = q.database.sqlite!.prepare('select * from attestations where seq = ?');
            return async (i: number) => st.get(1 + ((i * 7919) % n));
          })();
    const mid = T0 + Math.floor(n / 2) * 10;
    const res = {
      bare_pk_get: await time(pkGet),
      handler_lookup: await time(async (i) => {
        if (!(await q.handlers.current(`type-${i % 50}`))) throw new Error('no handler');
      }),
      health_http: await time(() => http('/health')),
      handler_lookup_http_query_form: await time((i) => http(`/api/attestations?predicates=ix_handler&contexts=type-${i % 50}&limit=1`)),
      by_subject: await time((i) => q.ats.store.query({ subjects: [`entity-${(i * 31) % 200_000}`] })),
      by_subject_http: await time((i) => http(`/api/attestations?subjects=entity-${(i * 31) % 200_000}`)),
      // A subject holds n / 200,000 rows (5 at 1M, 50 at 10M): its newest 5, the same result at every size.
      by_subject_5: await time((i) => q.ats.store.query({ subjects: [`entity-${(i * 31) % 200_000}`], limit: 5 })),
      by_subject_5_http: await time((i) => http(`/api/attestations?subjects=entity-${(i * 31) % 200_000}&limit=5`)),
      two_fields_50: await time((i) => q.ats.store.query({ predicates: [`pred-${(i % 10) * 2 + 1}`], contexts: [`ctx-${(i % 10) * 2 + 1 + 20 * (i % 7 + 1)}`], limit: 50 })),
      two_fields_50_http: await time((i) => http(`/api/attestations?predicates=pred-${(i % 10) * 2 + 1}&contexts=ctx-${(i % 10) * 2 + 1 + 20 * (i % 7 + 1)}&limit=50`)),
      time_range_page: await time((i) => q.ats.store.query({ predicates: [`pred-${i % 20}`], time_start: mid, time_end: mid + 3_600_000, limit: 50 })),
      time_range_page_http: await time((i) => http(`/api/attestations?predicates=pred-${i % 20}&time_start=${mid}&time_end=${mid + 3_600_000}&limit=50`)),
    };
    let sizes: Record<string, number>;
    if (kind === 'postgres') {
      const { rows } = await withAdmin((admin) =>
        admin.query<{ name: string; bytes: string }>(
          `select c.relname as name, pg_relation_size(c.oid) as bytes from pg_class c join pg_namespace s on s.oid = c.relnamespace
           where s.nspname = $1 and c.relname in ('attestations', 'attestation_fields', 'attestations_pkey', 'attestations_id_key',
             'attestations_claim', 'attestations_time', 'attestation_fields_pk') order by 1`,
          [l.schema],
        ),
      );
      sizes = Object.fromEntries(rows.map((r) => [r.name, Number(r.bytes)]));
    } else {
      try {
        const rows = q.database.sqlite!.prepare('select name, sum(pgsize) as bytes from dbstat group by name').all() as Array<{ name: string; bytes: number }>;
        sizes = Object.fromEntries(rows.filter((r) => /^(attestation|sqlite_autoindex_attestations)/.test(r.name)).map((r) => [r.name, r.bytes]));
      } catch {
        sizes = { file: fs.statSync(sqlitePath(l.dir)).size };
      }
    }
    return { kind, n, import_rate: l.import_rate, baseline_rate: l.baseline_rate, import_ratio: l.import_rate / l.baseline_rate, ...res, sizes };
  } finally {
    client.close();
    await server.close();
  }
}

async function measure(kind: 'sqlite' | 'postgres', n: number) {
  const kept = STATE_DIR && fs.existsSync(statePath(kind, n)) ? (JSON.parse(fs.readFileSync(statePath(kind, n), 'utf8')) as Loaded) : null;
  if (kept) console.log(`\n(${kind}, ${fmt(n)}: probing the store kept in ${kept.kind === 'postgres' ? `schema ${kept.schema}` : kept.dir})`);
  const l = kept ?? (await load(kind, n));
  if (STATE_DIR && !kept) {
    fs.mkdirSync(STATE_DIR, { recursive: true });
    fs.writeFileSync(statePath(kind, n), JSON.stringify(l));
  }
  try {
    return await probe(l);
  } finally {
    if (!STATE_DIR) await drop(l);
  }
}

const out: unknown[] = [];
console.log(`machine: ${machine()}`);
for (const n of SIZES) {
  for (const kind of KINDS) {
    if (kind === 'postgres' && !PG_URL) {
      console.log('PostgreSQL skipped: set QNTX_TEST_DATABASE_URL');
      continue;
    }
    const r = await measure(kind, n);
    out.push(r);
    const line = (name: string, t: Timing) => `  ${name.padEnd(34)} p50 ${fmt(t.p50, 3).padStart(8)} ms   p99 ${fmt(t.p99, 3).padStart(8)} ms`;
    console.log(`\n${kind}, ${fmt(n)} attestations`);
    console.log(`  import ${fmt(r.import_rate)}/s beside ${kind === 'postgres' ? 'bare COPY' : 'plain prepared load'} ${fmt(r.baseline_rate)}/s: ${fmt(r.import_ratio, 2)}×`);
    for (const [k, v] of Object.entries(r)) if (v && typeof v === 'object' && 'p50' in v) console.log(line(k, v as Timing));
    console.log(`  handler lookup / bare PK get (p50): ${fmt(r.bare_pk_get.p50 / r.handler_lookup.p50, 2)}×`);
    console.log(`  sizes: ${Object.entries(r.sizes).map(([k, v]) => `${k} ${fmt(v / 2 ** 20, 1)} MiB`).join(', ')}`);
  }
}
if (process.env.SCALE_JSON) fs.writeFileSync(process.env.SCALE_JSON, JSON.stringify(out, null, 2));
