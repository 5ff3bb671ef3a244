// Reads under a time limit, off the server's thread. SQLite: a filter of 1,000 predicates × 1,000
// contexts on a 200,000-row store (about a minute of work) runs in a read process while /health
// keeps answering, and is stopped at the limit with a 503 naming it; the stopped process is gone
// and the next read works. PostgreSQL: the read connections' statement_timeout answers the same
// way, and writes (a bulk load longer than the limit) are not cut by it.
import assert from 'node:assert/strict';
import { performance } from 'node:perf_hooks';
import { after, before, describe, it } from 'node:test';
import { AsidFactory } from '../src/ats/asid.js';
import type { NewAttestation } from '../src/ats/types.js';
import { startTestServer, type TestServer } from './http-helpers.js';
import { PG_SKIP } from './helpers.js';

const T0 = 1_700_000_000_000;
/** Contexts of the store: every row has one of them, each shared by N / CONTEXTS rows, and `every`. */
const CONTEXTS = 1000;

function row(ids: AsidFactory, i: number): NewAttestation {
  return {
    id: ids.next(),
    subjects: [`s-${i}`],
    predicates: ['stored'],
    contexts: [`c${i % CONTEXTS}`, 'every'],
    actors: ['loader'],
    timestamp: T0 + i,
    source: 'import',
    attributes: {},
    created_at: 0,
  };
}

async function load(server: TestServer, n: number): Promise<void> {
  const ids = new AsidFactory();
  const batch = 20_000;
  for (let b = 0; b < n; b += batch) {
    await server.qntx.store.insertBulk(Array.from({ length: Math.min(batch, n - b) }, (_, i) => row(ids, b + i)));
  }
}

/**
 * Every stored context, and 1,000 predicates none of them holds: the walk visits every row and
 * probes 1,000 predicate values for each, and finds nothing.
 */
const heavyFilter = {
  contexts: Array.from({ length: CONTEXTS }, (_, i) => `c${i}`),
  predicates: Array.from({ length: 1000 }, (_, i) => `absent-${i}`),
};

function p99(samples: number[]): number {
  const sorted = [...samples].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.ceil(sorted.length * 0.99) - 1)]!;
}

describe('query time limit (sqlite): reads run off the server thread', () => {
  const LIMIT = 3000;
  let server: TestServer;
  before(async () => {
    server = await startTestServer('sqlite', { queryTimeLimitMs: LIMIT });
    await load(server, 200_000);
  });
  after(async () => {
    await server?.stop();
  });

  it('answers /health within 250 ms p99 while a 1,000 × 1,000 filter runs, then stops the filter at the limit with a 503', { timeout: 120_000 }, async () => {
    const reader = server.qntx.database.sqliteReader!;
    let done = false;
    const started = performance.now();
    const heavy = server.request('POST', '/api/attestations/query', { ...heavyFilter, limit: 50 }).finally(() => (done = true));
    // The read process the filter runs in (one of the two a server starts).
    const samples: number[] = [];
    let pidsWhileRunning: number[] = [];
    while (!done) {
      const t = performance.now();
      const h = await server.request('GET', '/health');
      samples.push(performance.now() - t);
      assert.equal(h.status, 200);
      if (!pidsWhileRunning.length) pidsWhileRunning = reader.busyPids();
    }
    const res = await heavy;
    const elapsed = performance.now() - started;
    assert.equal(res.status, 503, JSON.stringify(res.body));
    assert.match(res.body.error, /time limit of 3000 ms/);
    assert.deepEqual(res.body.details, [`time_limit_ms=${LIMIT}`]);
    assert.ok(typeof res.body.hint === 'string');
    assert.ok(elapsed >= LIMIT && elapsed < LIMIT + 5000, `answered after ${Math.round(elapsed)} ms`);
    assert.ok(samples.length >= 20, `only ${samples.length} /health samples`);
    const worst = p99(samples);
    console.log(`/health while the filter ran: ${samples.length} requests, p99 ${worst.toFixed(1)} ms, max ${Math.max(...samples).toFixed(1)} ms`);
    assert.ok(worst <= 250, `/health p99 ${worst.toFixed(1)} ms`);

    // The process that ran the filter was killed (answered only once it had exited): its pid is gone.
    assert.equal(pidsWhileRunning.length, 1);
    assert.throws(() => process.kill(pidsWhileRunning[0]!, 0), { code: 'ESRCH' });
    assert.ok(!reader.pids().includes(pidsWhileRunning[0]!));
    // A server keeps its read processes ready: the stopped one was replaced at once.
    assert.equal(reader.pids().length, 2);

    // The server stays healthy: the next read starts a fresh process and answers.
    const ok = await server.request('POST', '/api/attestations/query', { contexts: ['c7'], limit: 3 });
    assert.equal(ok.status, 200);
    assert.equal(ok.body.count, 3);
    assert.deepEqual(ok.body.attestations.map((a: { subjects: string[] }) => a.subjects[0]), ['s-199007', 's-198007', 's-197007']);
    const count = await server.request('GET', '/api/attestations/count?contexts=c7');
    assert.deepEqual(count.body, { count: 200 });
    const samplesSorted = [...samples].sort((a, b) => a - b);
    assert.ok(samplesSorted[Math.floor(samples.length / 2)]! < 50, `median /health ${samplesSorted[Math.floor(samples.length / 2)]} ms`);
  });

  it('stops the same filter through POST /api/ax and as a page of 1,000', { timeout: 60_000 }, async () => {
    // AX takes at most 256 values a field: one context every row holds, 256 absent predicates.
    const axFilter = { contexts: ['every'], predicates: heavyFilter.predicates.slice(0, 256) };
    const ax = await server.request('POST', '/api/ax', { query: axFilter, actions: false });
    assert.equal(ax.status, 503, JSON.stringify(ax.body));
    assert.deepEqual(ax.body.details, [`time_limit_ms=${LIMIT}`]);
    const count = await server.request('POST', '/api/attestations/query', { ...heavyFilter, limit: 1000 });
    assert.equal(count.status, 503);
    const after = await server.request('POST', '/api/ax', { query: { contexts: ['c9'] }, actions: false, limit: 2 });
    assert.equal(after.status, 200, JSON.stringify(after.body));
  });
});

describe('query time limit (postgres): statement_timeout on the read connections', { skip: PG_SKIP }, () => {
  const LIMIT = 300;
  let server: TestServer;
  let loadMs = 0;
  before(async () => {
    server = await startTestServer('postgres', { queryTimeLimitMs: LIMIT });
    const t = performance.now();
    await load(server, 40_000);
    loadMs = performance.now() - t;
  });
  after(async () => {
    await server?.stop();
  });

  it('answers a read past the limit with the 503 shape; writes longer than it are not cut', { timeout: 120_000 }, async () => {
    // The bulk load ran on the write pool for longer than the read limit, and completed.
    assert.ok(loadMs > LIMIT, `the load took ${Math.round(loadMs)} ms: not longer than the limit, proves nothing`);
    assert.equal(await server.qntx.store.count({ contexts: ['c1'] }), 40);
    assert.equal(await server.qntx.store.count({ contexts: ['every'] }), 40_000);

    const res = await server.request('POST', '/api/attestations/query', { ...heavyFilter, limit: 50 });
    assert.equal(res.status, 503, JSON.stringify(res.body).slice(0, 500));
    assert.match(res.body.error, /time limit of 300 ms/);
    assert.deepEqual(res.body.details, [`time_limit_ms=${LIMIT}`]);
    const axFilter = { contexts: ['every'], predicates: heavyFilter.predicates.slice(0, 256) };
    const ax = await server.request('POST', '/api/ax', { query: axFilter, actions: false });
    assert.equal(ax.status, 503, JSON.stringify(ax.body).slice(0, 500));

    // Healthy after: reads and writes go on.
    const h = await server.request('GET', '/health');
    assert.equal(h.status, 200);
    const as = await server.request('POST', '/api/as', { subjects: ['after'], predicates: ['p'], contexts: ['c1'] });
    assert.equal(as.status, 201);
    const ok = await server.request('GET', '/api/attestations?contexts=c1&limit=2');
    assert.equal(ok.status, 200);
    assert.equal(ok.body.attestations[0].subjects[0], 'after');
  });
});
