// `npm run fuzz`: the long campaign of test/fuzz/api-fuzz.ts, 50,000 generated requests (every
// operation of the OpenAPI document and the ix grammar) on SQLite and on PostgreSQL
// (QNTX_TEST_DATABASE_URL). Prints the figures docs/security.md quotes; exits non-zero on a failure.
// FUZZ_RUNS=n changes the count, FUZZ_SEED=n replays a campaign.
import { fuzzApi } from '../test/fuzz/api-fuzz.js';
import { PG_URL } from '../test/helpers.js';
import { startTestServer } from '../test/http-helpers.js';
import { portOf } from '../test/raw-http.js';

const runs = Number(process.env.FUZZ_RUNS ?? 50_000);
const seed = process.env.FUZZ_SEED ? Number(process.env.FUZZ_SEED) : Math.floor(Math.random() * 2 ** 31);

async function campaign(kind: 'sqlite' | 'postgres'): Promise<boolean> {
  const s = await startTestServer(kind, { workerConcurrency: 0, maxActiveSchedules: 1_000_000 });
  const started = Date.now();
  try {
    const doc = (await s.request('GET', '/api/openapi.json')).body;
    const ops = Object.values<Record<string, unknown>>(doc.paths).reduce((n, item) => n + Object.keys(item).length, 0);
    let failed: unknown;
    const stats = await fuzzApi({ port: portOf(s.url), token: s.token!, doc, routes: s.app.qntxRoutes }, runs, seed).catch((err: unknown) => {
      failed = err;
      return undefined;
    });
    const health = await s.request('GET', '/health');
    const secs = (Date.now() - started) / 1000;
    if (failed || !stats) {
      console.log(`${kind}: FAILED after ${secs.toFixed(0)} s (seed ${seed})\n${String((failed as Error)?.message ?? failed)}`);
      return false;
    }
    const byStatus = [...stats.byStatus.entries()].sort(([a], [b]) => a - b).map(([c, n]) => `${c}: ${n}`).join(', ');
    const fivexx = [...stats.byStatus.entries()].filter(([c]) => c >= 500).reduce((n, [, k]) => n + k, 0);
    console.log(`${kind}: ${stats.cases} requests over ${ops} operations in ${secs.toFixed(0)} s (seed ${seed}); 5xx: ${fivexx}; /health after: ${health.status}`);
    console.log(`  by status: ${byStatus}`);
    return fivexx === 0 && health.status === 200;
  } finally {
    await s.stop();
  }
}

let ok = await campaign('sqlite');
if (PG_URL) ok = (await campaign('postgres')) && ok;
else console.log('postgres: skipped (set QNTX_TEST_DATABASE_URL)');
process.exitCode = ok ? 0 : 1;
