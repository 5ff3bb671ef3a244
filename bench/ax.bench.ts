// Benchmark of AX (npm run bench:ax):
// 1. parsing a typical query, beside the ix parser on a command of the same length (same run);
// 2. a query through the AX engine beside the store's own query of the filter it compiles to, at
//    10k and 1M attestations (SQLite): AX costs what its filter costs;
// 3. sameness analysis per attestation at 1k, 10k and 100k results: linear.
import { AsidFactory } from '../src/ats/asid.js';
import type { NewAttestation } from '../src/ats/types.js';
import { compileAx } from '../src/ax/compile.js';
import { AliasEdges } from '../src/ax/alias-edges.js';
import { AxEngine } from '../src/ax/engine.js';
import { parseAx } from '../src/ax/parser.js';
import { analyseSameness } from '../src/ax/sameness/analyse.js';
import { samenessConfig } from '../src/ax/sameness/config.js';
import { parseIx } from '../src/ix/parser.js';
import { openTestQntx } from '../test/helpers.js';
import { fmt, machine, opsPerSecond } from './util.js';

const BIG = Number(process.env.BENCH_BIG ?? 1_000_000);
const SMALL = 10_000;
const ids = new AsidFactory();
const T0 = 1_767_225_600_000; // 2026-01-01

function synthetic(i: number): NewAttestation & { handler_version: null } {
  return {
    id: ids.next(),
    subjects: [`entity-${i}`],
    predicates: [`pred-${i % 20}`],
    contexts: [`ctx-${i % 5000}`],
    actors: [i % 3 === 0 ? 'ix:bench' : i % 3 === 1 ? 'hr' : 'llm:bench'],
    timestamp: T0 + i * 1000,
    source: 'bench',
    attributes: { v: i % 7 },
    created_at: T0 + i * 1000,
    handler_version: null,
  };
}

function parsing(): void {
  const query = 'alice bob is engineer of acme by hr since 2026-01 so notify';
  const ix = 'ix notify alice bob engineer acme --by hr --since 2026-01 x';
  const isGitRepoPath = () => false;
  const now = Date.now();
  const time = (fn: () => unknown, n = 200_000) => {
    for (let i = 0; i < n / 10; i++) fn();
    const start = performance.now();
    for (let i = 0; i < n; i++) fn();
    return ((performance.now() - start) * 1000) / n;
  };
  const ax = time(() => parseAx(query));
  const base = time(() => parseIx(ix, { isGitRepoPath }));
  const q = parseAx(query);
  const iso = time(() => compileAx(q, { now }), 20_000);
  const rel = parseAx('alice since 3 days ago in Europe/Paris');
  const relative = time(() => compileAx(rel, { now }), 5_000);
  console.log(`\n1. parsing '${query}' (${query.length} chars)`);
  console.log(`   parseAx ${fmt(ax, 2)} µs/op (target ≤ 20); parseIx of '${ix}' ${fmt(base, 2)} µs/op; ratio ${fmt(ax / base, 2)}`);
  console.log(`   compiling its time (ISO month) ${fmt(iso, 2)} µs; a relative time in a zone (chrono-node + luxon) ${fmt(relative, 1)} µs`);
}

async function queryCost(n: number): Promise<{ ax: number; store: number }> {
  const q = await openTestQntx('sqlite');
  try {
    for (let i = 0; i < n; i += 20_000) {
      await q.store.insertMany(Array.from({ length: Math.min(20_000, n - i) }, (_, k) => synthetic(i + k)));
    }
    const engine = new AxEngine({ store: q.store, aliasEdges: new AliasEdges(q.database), clock: q.clock, sameness: samenessConfig() });
    // Subjects that exist at both sizes (entity-0 … entity-9999), each with one attestation: the
    // same answer at both sizes, so only the index depth differs.
    const text = (i: number) => `entity-${(i * 7919) % SMALL} is pred-${((i * 7919) % SMALL) % 20}`;
    const filters = Array.from({ length: 1000 }, (_, i) => compileAx(parseAx(text(i)), { now: Date.now() }));
    let hits = 0;
    const runAx = async (i: number) => {
      hits += (await engine.run(filters[i % 1000]!, { limit: 50 })).attestations.length;
    };
    const runStore = async (i: number) => {
      const f = filters[i % 1000]!;
      hits += (await q.store.query({ subjects: f.subjects, predicates: f.predicates, limit: 50 })).items.length;
    };
    // Alternating rounds, so both see the same machine (other work shares it).
    let ax = 0;
    let store = 0;
    for (let round = 0; round < 6; round++) {
      ax += await opsPerSecond(runAx, 300);
      store += await opsPerSecond(runStore, 300);
    }
    if (!hits) throw new Error('the queries found nothing');
    return { ax: ax / 6, store: store / 6 };
  } finally {
    await q.cleanup();
  }
}

function sameness(): void {
  const cfg = samenessConfig();
  const now = T0 + 400 * 86_400_000;
  console.log('\n3. sameness analysis (groups of 5 claims, 3 actors, changing values)');
  let first = 0;
  for (const n of [1_000, 10_000, 100_000]) {
    const items = Array.from({ length: n }, (_, i) => ({ ...synthetic(i), subjects: [`entity-${Math.floor(i / 5)}`], predicates: ['p'] }));
    analyseSameness(items, cfg, now);
    const runs = Math.max(3, Math.round(300_000 / n));
    const start = performance.now();
    let conflicts = 0;
    for (let r = 0; r < runs; r++) conflicts = analyseSameness(items, cfg, now).conflicts.length;
    const perItem = ((performance.now() - start) * 1000) / runs / n;
    first ||= perItem;
    console.log(`   ${fmt(n)} results: ${fmt(perItem, 2)} µs per attestation (${fmt(conflicts)} groups); × ${fmt(perItem / first, 2)} of the 1k figure`);
  }
}

console.log(`AX benchmark — ${machine()}`);
parsing();
console.log(`\n2. a query (subject + predicate, one match, limit 50) through AX vs the store's own query of its filter`);
const small = await queryCost(SMALL);
console.log(`   ${fmt(SMALL)} attestations: AX ${fmt(small.ax)}/s, store ${fmt(small.store)}/s, AX/store cost ${fmt(small.store / small.ax, 2)}×`);
const big = await queryCost(BIG);
console.log(`   ${fmt(BIG)} attestations: AX ${fmt(big.ax)}/s, store ${fmt(big.store)}/s, AX/store cost ${fmt(big.store / big.ax, 2)}×`);
console.log(`   cost at ${fmt(BIG)} / cost at ${fmt(SMALL)}: AX ${fmt(small.ax / big.ax, 2)}×, store ${fmt(small.store / big.store, 2)}×`);
sameness();
