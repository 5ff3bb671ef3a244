// Benchmark of the byte budget on pages (npm run bench:page): a page of 1000 small attestations
// with the budget (sizes first, then the rows that fit) beside the same page without it (one
// query, every row loaded: the fastest way to the same answer), and a page of 1 MiB rows, where
// the budget's point is what is not loaded. SQLite and, with QNTX_TEST_DATABASE_URL, PostgreSQL.
import { openTestQntx, PG_URL, type DbKind } from '../test/helpers.js';
import { fmt, machine, opsPerSecond } from './util.js';

const BUDGET = 8 * 1024 * 1024;

async function run(kind: DbKind): Promise<void> {
  const q = await openTestQntx(kind);
  try {
    for (let i = 0; i < 20_000; i += 5000) {
      await q.ats.store.insertMany(
        Array.from({ length: 5000 }, (_, k) => q.ats.prepare({ subjects: [`s-${i + k}`], predicates: ['small'], contexts: ['bench'], attributes: { n: i + k } }, { source: 'bench', actor: 'bench' })),
      );
    }
    const blob = 'x'.repeat(1024 * 1024 - 100);
    for (let i = 0; i < 40; i++) await q.ats.attest({ subjects: [`b-${i}`], predicates: ['big'], contexts: ['bench'], attributes: { blob } }, { source: 'bench', actor: 'bench' });

    const small = { predicates: ['small'], limit: 1000 };
    const plain = await opsPerSecond(() => q.store.query(small), 2000);
    const budget = await opsPerSecond(() => q.store.query({ ...small, maxBytes: BUDGET }), 2000);
    const big = { predicates: ['big'], limit: 1000 };
    const bigPlain = await opsPerSecond(() => q.store.query(big), 2000);
    const bigBudget = await opsPerSecond(() => q.store.query({ ...big, maxBytes: BUDGET }), 2000);
    const rows = (await q.store.query({ ...big, maxBytes: BUDGET })).items.length;
    console.log(`${kind}: 1000 small rows: ${fmt(plain, 1)} pages/s without the budget, ${fmt(budget, 1)} with it (ratio ${fmt(budget / plain, 2)})`);
    console.log(`${kind}: 40 rows of 1 MiB: ${fmt(bigPlain, 1)} pages/s loading all 40 (40 MiB), ${fmt(bigBudget, 1)} with the budget (${rows} rows, ratio ${fmt(bigBudget / bigPlain, 2)})`);
  } finally {
    await q.cleanup();
  }
}

console.log(machine());
await run('sqlite');
if (PG_URL) await run('postgres');
