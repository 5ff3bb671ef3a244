// Unbounded work, bounded: pages stop at the response budget and continue with next_cursor (80
// attestations of 128 KiB against a 1 MiB budget: the 8 MiB default's paging at an eighth of the
// data; the default itself is checked on the settings), at most 1,000 values per filter, a body
// trickled a byte at a time is cut off by the request timeout, an idle connection is closed, and
// active schedules are capped.
import assert from 'node:assert/strict';
import net from 'node:net';
import { after, before, describe, it } from 'node:test';
import { loadSettings } from '../src/config.js';
import { DB_KINDS } from './helpers.js';
import { startTestServer, type TestServer } from './http-helpers.js';
import { isErrorShape, parseResponse, portOf, rawRequest } from './raw-http.js';

const MiB = 1024 * 1024;
/** The budget the paging tests run with: 80 blobs of 1/8 of it cross it ten times, as 80 × 1 MiB cross the 8 MiB default. */
const BUDGET = MiB;

describe('the response budget', () => {
  it('is 8 MiB unless set, and what the server is given', async () => {
    assert.equal(loadSettings({}, {}).responseBudgetBytes, 8 * MiB);
    assert.equal(loadSettings({}, { QNTX_RESPONSE_BUDGET_BYTES: String(MiB) }).responseBudgetBytes, MiB);
  });
});

for (const { kind, skip } of DB_KINDS) {
  describe(`pages held to the response budget (${kind})`, { skip }, () => {
    let s: TestServer;
    before(async () => {
      s = await startTestServer(kind, { workerConcurrency: 0, responseBudgetBytes: BUDGET });
      const big = 'x'.repeat(BUDGET / 8 - 200);
      for (let i = 0; i < 80; i++) {
        const r = await s.request('POST', '/api/as', { subjects: [`big-${i}`], predicates: ['big'], contexts: ['bounds'], attributes: { blob: big } });
        assert.equal(r.status, 201);
      }
    });
    after(async () => s.stop());

    for (const how of ['GET', 'POST'] as const) {
      it(`answers 80 × 128 KiB in pages of at most the 1 MiB budget that together hold each once (${how})`, async () => {
        const seen = new Set<string>();
        let cursor: string | null = null;
        let pages = 0;
        do {
          const r = await rawRequest(portOf(s.url), {
            method: how,
            path: how === 'GET' ? `/api/attestations?predicates=big&limit=1000${cursor ? `&cursor=${cursor}` : ''}` : '/api/attestations/query',
            headers: { authorization: `Bearer ${s.token}`, ...(how === 'POST' ? { 'content-type': 'application/json' } : {}) },
            ...(how === 'POST' ? { body: JSON.stringify({ predicates: ['big'], limit: 1000, ...(cursor ? { cursor } : {}) }) } : {}),
          });
          assert.equal(r.status, 200, r.text.slice(0, 300));
          assert.ok(Buffer.byteLength(r.text) <= BUDGET, `page ${pages}: ${Buffer.byteLength(r.text)} bytes`);
          assert.ok(r.json.count >= 1);
          for (const a of r.json.attestations) {
            assert.ok(!seen.has(a.id), `seen twice: ${a.id}`);
            seen.add(a.id);
          }
          cursor = r.json.next_cursor;
          pages++;
        } while (cursor && pages < 100);
        assert.equal(seen.size, 80);
        assert.ok(pages >= 10, `${pages} pages`);
      });
    }

    it('refuses more than 1,000 values in a filter (400), and a URL too long for the parser (431), in the error shape', async () => {
      const values = (n: number) => Array.from({ length: n }, (_, i) => `v${i}`);
      const ok = await s.request('POST', '/api/attestations/query', { subjects: values(1000) });
      assert.equal(ok.status, 200);
      for (const n of [1001, 40_000]) {
        const r = await s.request('POST', '/api/attestations/query', { subjects: values(n) });
        assert.equal(r.status, 400, `${n}: ${JSON.stringify(r.body).slice(0, 200)}`);
        assert.ok(isErrorShape(r.body));
        assert.match(r.body.details.join(' '), /subjects/);
      }
      const get = await s.request('GET', `/api/attestations?subjects=${values(1001).join(',')}`);
      assert.equal(get.status, 400);
      const split = await s.request('GET', `/api/attestations?subjects=${values(600).join(',')}&subject=${values(600).join(',')}`);
      assert.equal(split.status, 400, 'the singular alias counts too');
      const huge = await rawRequest(portOf(s.url), { method: 'GET', path: `/api/attestations?${values(40_000).map((v) => `subjects=${v}`).join('&')}` });
      assert.equal(huge.status, 431);
      assert.ok(isErrorShape(huge.json), huge.text);
    });
  });
}

describe('timeouts', () => {
  let s: TestServer;
  before(async () => {
    s = await startTestServer('sqlite', { workerConcurrency: 0, requestTimeoutMs: 1000, connectionTimeoutMs: 1500 });
  });
  after(async () => s.stop());

  it('cuts off a body trickled a byte at a time with 408 in the error shape', async () => {
    const socket = net.connect(portOf(s.url), '127.0.0.1');
    const chunks: Buffer[] = [];
    socket.on('data', (d) => chunks.push(d));
    const started = Date.now();
    const closed = new Promise<void>((resolve) => socket.on('close', () => resolve()));
    socket.write(
      `POST /api/as HTTP/1.1\r\nHost: 127.0.0.1:${portOf(s.url)}\r\nAuthorization: Bearer ${s.token}\r\nContent-Type: application/json\r\nContent-Length: 1000\r\n\r\n{`,
    );
    // The attack: one byte every 100 ms, stopping once the server hangs up (or after 200 bytes).
    let sent = 0;
    const drip = setInterval(() => {
      if (socket.destroyed || ++sent > 200) return clearInterval(drip);
      socket.write(' ');
    }, 100);
    await closed;
    clearInterval(drip);
    const took = Date.now() - started;
    assert.ok(took < 10_000, `closed after ${took} ms`);
    const res = parseResponse(Buffer.concat(chunks));
    assert.equal(res.status, 408);
    assert.ok(isErrorShape(res.json), res.text);
  });

  it('closes a connection that sends nothing', async () => {
    const socket = net.connect(portOf(s.url), '127.0.0.1');
    socket.on('data', () => undefined);
    socket.on('error', () => undefined);
    await new Promise<void>((resolve) => socket.on('close', () => resolve()));
  });
});

describe('the active-schedule cap', () => {
  let s: TestServer;
  before(async () => {
    s = await startTestServer('sqlite', { workerConcurrency: 0, maxActiveSchedules: 3 });
    await s.request('POST', '/api/python/register-handler', { script_type: 'tick', code: 'pass\n' });
  });
  after(async () => s.stop());

  it('answers 409 with the cap in details beyond it; pausing frees a place, resuming over it is refused', async () => {
    const ids: string[] = [];
    for (let i = 0; i < 3; i++) {
      const r = await s.request('POST', '/api/pulse/schedules', { ats_code: `ix tick ${i}`, interval_seconds: 3600 });
      assert.equal(r.status, 201);
      ids.push(r.body.id);
    }
    const over = await s.request('POST', '/api/pulse/schedules', { ats_code: 'ix tick 4', interval_seconds: 3600 });
    assert.equal(over.status, 409);
    assert.ok(isErrorShape(over.body));
    assert.ok(over.body.details.includes('max_active_schedules=3'), JSON.stringify(over.body));
    assert.equal((await s.request('PATCH', `/api/pulse/schedules/${ids[0]}`, { state: 'paused' })).status, 200);
    const fourth = await s.request('POST', '/api/pulse/schedules', { ats_code: 'ix tick 5', interval_seconds: 3600 });
    assert.equal(fourth.status, 201);
    const resume = await s.request('PATCH', `/api/pulse/schedules/${ids[0]}`, { state: 'active' });
    assert.equal(resume.status, 409);
    assert.ok(resume.body.details.includes('max_active_schedules=3'));
    assert.equal((await s.request('GET', '/api/pulse/schedules?state=active')).body.schedules.length, 3);
  });
});

for (const { kind, skip } of DB_KINDS) {
  describe(`the active-schedule cap under concurrent creates (${kind})`, { skip }, () => {
    let s: TestServer;
    before(async () => {
      s = await startTestServer(kind, { workerConcurrency: 0, maxActiveSchedules: 5 });
      await s.request('POST', '/api/python/register-handler', { script_type: 'tick', code: 'pass\n' });
    });
    after(async () => s.stop());

    it('is counted in the transaction of the write: 30 at once make exactly 5', async () => {
      const all = await Promise.all(
        Array.from({ length: 30 }, (_, i) => s.request('POST', '/api/pulse/schedules', { ats_code: `ix tick c${i}`, interval_seconds: 3600 })),
      );
      assert.deepEqual(
        all.map((r) => r.status).sort(),
        [...Array(5).fill(201), ...Array(25).fill(409)].sort(),
      );
      assert.equal((await s.request('GET', '/api/pulse/schedules?state=active')).body.schedules.length, 5);
    });
  });
}
