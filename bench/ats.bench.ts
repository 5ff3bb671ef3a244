// Benchmark of the attestation store on SQLite (npm run bench:ats):
// 1. the handler lookup at 10k and 1M attestations, beside the seed's json_each scan;
// 2. the store's batched insert beside a raw better-sqlite3 prepared insert, same run, same rows;
// 3. `qntx import` of a 1M-line file through the real bin.
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { AsidFactory } from '../src/ats/asid.js';
import { fold } from '../src/ats/fold.js';
import { FIELD_CODE, FIELD_NAMES, type NewAttestation } from '../src/ats/types.js';
import { openTestQntx, tempDir } from '../test/helpers.js';
import { fmt, machine, opsPerSecond } from './util.js';

const BIG = Number(process.env.BENCH_BIG ?? 1_000_000);
const SMALL = 10_000;
const TYPES = 1000;
const ids = new AsidFactory();

function synthetic(i: number): NewAttestation {
  const handler = i % 50 === 0;
  return {
    id: ids.next(),
    subjects: [handler ? `handler-${i}` : `entity-${i % 100_000}`],
    predicates: [handler ? 'ix_handler' : `pred-${i % 20}`],
    contexts: [handler ? `type-${(i / 50) % TYPES}` : `ctx-${i % 5000}`],
    actors: ['bench'],
    timestamp: 1_700_000_000_000 + i,
    source: 'bench',
    attributes: { i },
    created_at: 1_700_000_000_000 + i,
  };
}

async function lookupAt(n: number): Promise<{ lookups: number; seed: number }> {
  const q = await openTestQntx('sqlite');
  try {
    for (let i = 0; i < n; i += 10_000) {
      await q.store.insertMany(Array.from({ length: Math.min(10_000, n - i) }, (_, k) => synthetic(i + k)));
    }
    const raw = q.database.sqlite!;
    let found = 0;
    // Only types that have a handler at both sizes (200 at 10k): every lookup is a hit.
    const lookups = await opsPerSecond(async (i) => {
      if (await q.store.newest('ix_handler', `type-${(i * 7919) % 200}`)) found++;
    });
    if (found === 0) throw new Error('lookups found nothing');

    // The seed's way: JSON-array columns, every row scanned with json_each.
    raw.exec(`create table seed_attestations as select id, subjects, predicates, contexts, actors, timestamp, attributes from attestations`);
    const seedStmt = raw.prepare(`select * from seed_attestations
      where exists (select 1 from json_each(seed_attestations.predicates) where value = ?)
        and exists (select 1 from json_each(seed_attestations.contexts) where value = ?)
      order by timestamp desc limit 1`);
    const seed = await opsPerSecond((i) => seedStmt.get('ix_handler', `type-${(i * 7919) % 200}`), 1500);
    return { lookups, seed };
  } finally {
    await q.cleanup();
  }
}

async function insertRates(n: number): Promise<{ store: number; raw: number }> {
  const q = await openTestQntx('sqlite');
  try {
    const rows = Array.from({ length: n }, (_, i) => synthetic(i));
    let t = performance.now();
    for (let i = 0; i < n; i += 5000) await q.store.insertMany(rows.slice(i, i + 5000));
    const store = n / ((performance.now() - t) / 1000);

    const raw = q.database.sqlite!;
    const insA = raw.prepare(`insert into attestations (id, subjects, predicates, contexts, actors, timestamp, source, attributes, created_at)
      values (?, ?, ?, ?, ?, ?, ?, ?, ?)`);
    const insF = raw.prepare('insert into attestation_fields (field, value, folded, timestamp, seq) values (?, ?, ?, ?, ?)');
    const rows2 = Array.from({ length: n }, (_, i) => synthetic(i));
    const tx = raw.transaction((batch: NewAttestation[]) => {
      for (const a of batch) {
        const seq = insA.run(a.id, JSON.stringify(a.subjects), JSON.stringify(a.predicates), JSON.stringify(a.contexts),
          JSON.stringify(a.actors), a.timestamp, a.source, JSON.stringify(a.attributes), a.created_at).lastInsertRowid;
        for (const f of FIELD_NAMES) for (const v of a[f]) insF.run(FIELD_CODE[f], v, fold(v), a.timestamp, seq);
      }
    });
    t = performance.now();
    for (let i = 0; i < n; i += 5000) tx(rows2.slice(i, i + 5000));
    const rawRate = n / ((performance.now() - t) / 1000);
    return { store, raw: rawRate };
  } finally {
    await q.cleanup();
  }
}

/**
 * Rows: a multiple of 10 × 6400 (the baseline's statements take 64 rows of 4 values each).
 * The store's batched insert (content key hashed, unique index, ON CONFLICT DO NOTHING RETURNING)
 * beside the same multi-row insert without the key (no hash, no unique index, no conflict clause),
 * same rows, same run, alternating rounds so that machine noise falls on both.
 */
async function contentKeyCost(n: number): Promise<{ withKey: number; without: number }> {
  const keyed = await openTestQntx('sqlite');
  const bare = await openTestQntx('sqlite');
  try {
    const raw = bare.database.sqlite!;
    raw.exec('drop index attestations_claim');
    const cols = '(seq, id, subjects, predicates, contexts, actors, timestamp, source, attributes, created_at)';
    const aMany = raw.prepare(`insert into attestations ${cols} values ${Array(64).fill('(?,?,?,?,?,?,?,?,?,?)').join(',')}`);
    const fMany = raw.prepare(`insert into attestation_fields (field, value, folded, timestamp, seq) values ${Array(256).fill('(?,?,?,?,?)').join(',')}`);
    let seq = 0;
    const plain = raw.transaction((batch: NewAttestation[]) => {
      for (let i = 0; i < batch.length; i += 64) {
        const a: unknown[] = [];
        const f: unknown[] = [];
        for (const x of batch.slice(i, i + 64)) {
          seq++;
          a.push(seq, x.id, JSON.stringify(x.subjects), JSON.stringify(x.predicates), JSON.stringify(x.contexts), JSON.stringify(x.actors), x.timestamp, x.source, JSON.stringify(x.attributes), x.created_at);
          for (const name of FIELD_NAMES) for (const v of x[name]) f.push(FIELD_CODE[name], v, fold(v), x.timestamp, seq);
        }
        aMany.run(a);
        for (let k = 0; k + 1280 <= f.length; k += 1280) fMany.run(f.slice(k, k + 1280));
      }
    });
    let tKeyed = 0;
    let tBare = 0;
    const rounds = 10;
    for (let r = 0; r < rounds; r++) {
      const rows = Array.from({ length: n / rounds }, (_, i) => synthetic(r * (n / rounds) + i));
      let t = performance.now();
      for (let i = 0; i < rows.length; i += 6400) await keyed.store.insertMany(rows.slice(i, i + 6400));
      tKeyed += performance.now() - t;
      t = performance.now();
      for (let i = 0; i < rows.length; i += 6400) plain(rows.slice(i, i + 6400));
      tBare += performance.now() - t;
    }
    return { withKey: n / (tKeyed / 1000), without: n / (tBare / 1000) };
  } finally {
    await keyed.cleanup();
    await bare.cleanup();
  }
}

function importRate(n: number): number {
  const dir = tempDir('qntx-bench-import-');
  try {
    const file = path.join(dir, 'a.jsonl');
    const fd = fs.openSync(file, 'w');
    let buf: string[] = [];
    for (let i = 0; i < n; i++) {
      buf.push(JSON.stringify({ subjects: [`s-${i % 100000}`], predicates: [`p-${i % 20}`], contexts: [`c-${i % 5000}`], actors: ['imp'], timestamp: 1_700_000_000_000 + i, attributes: { i } }));
      if (buf.length === 10_000) {
        fs.writeSync(fd, buf.join('\n') + '\n');
        buf = [];
      }
    }
    if (buf.length) fs.writeSync(fd, buf.join('\n') + '\n');
    fs.closeSync(fd);
    const bin = path.resolve(import.meta.dirname, '..', 'bin', 'qntx.js');
    const r = spawnSync(process.execPath, [bin, 'import', file, '--json', '--data-dir', path.join(dir, 'data')], { encoding: 'utf8' });
    if (r.status !== 0) throw new Error(`import failed: ${r.stderr}`);
    const out = JSON.parse(r.stdout) as { imported: number; seconds: number };
    if (out.imported !== n) throw new Error(`imported ${out.imported} of ${n}`);
    return out.imported / out.seconds;
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

/** BENCH_ONLY=key (or lookup, insert, import): one part of the benchmark. */
const only = process.env.BENCH_ONLY;
const part = (name: string) => !only || only.split(',').includes(name);
console.log(`machine: ${machine()}`);
if (part('lookup')) {
  const small = await lookupAt(SMALL);
  console.log(`handler lookup @ ${fmt(SMALL)}: ${fmt(small.lookups)}/s (seed json_each: ${fmt(small.seed, 1)}/s, ×${fmt(small.lookups / small.seed)})`);
  const big = await lookupAt(BIG);
  console.log(`handler lookup @ ${fmt(BIG)}: ${fmt(big.lookups)}/s (seed json_each: ${fmt(big.seed, 1)}/s, ×${fmt(big.lookups / big.seed)})`);
  console.log(`lookup cost @ ${fmt(BIG)} / @ ${fmt(SMALL)}: ${fmt(small.lookups / big.lookups, 2)}× (target ≤ 1.5×)`);
}
if (part('insert')) {
  const ins = await insertRates(100_000);
  console.log(`batched insert: store ${fmt(ins.store)}/s, raw prepared ${fmt(ins.raw)}/s, ratio ${fmt(ins.store / ins.raw, 2)} (target ≥ 0.33)`);
}
if (part('key')) {
  const key = await contentKeyCost(Number(process.env.BENCH_KEY_ROWS ?? 192_000));
  console.log(`content key: batched insert with it ${fmt(key.withKey)}/s, without ${fmt(key.without)}/s, ratio ${fmt(key.withKey / key.without, 2)} (target ≥ 0.8)`);
}
if (part('import')) {
  const imp = importRate(BIG);
  console.log(`qntx import of ${fmt(BIG)} lines: ${fmt(imp)} attestations/s (target ≥ 50,000)`);
}
