// Opening /ws from a browser, which cannot send a Bearer header on a WebSocket: a single-use ticket
// (POST /api/session/ws-ticket, with the token) offered as the subprotocol `qntx-ticket.<ticket>`
// beside `qntx`. Single use, 30 s, a bounded number outstanding; every refusal in the error shape.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import WebSocket from 'ws';
import { ManualClock } from '../src/clock.js';
import { WsTickets, offeredTicket } from '../src/server/ws-tickets.js';
import { startTestServer, type TestServer } from './http-helpers.js';
import { isErrorShape, portOf, rawRequest, type RawResponse } from './raw-http.js';

/** A WebSocket upgrade over raw HTTP (no Authorization unless given): the refusal's status and body. */
function rawUpgrade(url: string, headers: Record<string, string> = {}): Promise<RawResponse> {
  return rawRequest(portOf(url), {
    method: 'GET',
    path: '/ws',
    headers: { connection: 'Upgrade', upgrade: 'websocket', 'sec-websocket-version': '13', 'sec-websocket-key': 'dGhlIHNhbXBsZSBub25jZQ==', ...headers },
  });
}

/** Opens /ws with subprotocols and no Authorization header, as a browser does; the greeting and the chosen protocol. */
function openWithProtocols(url: string, protocols: string[]): Promise<{ protocol: string; hello: any }> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(url.replace(/^http/, 'ws') + '/ws', protocols);
    ws.once('message', (data) => {
      resolve({ protocol: ws.protocol, hello: JSON.parse(String(data)) });
      ws.close();
    });
    ws.once('error', reject);
    ws.once('unexpected-response', (_req, res) => reject(new Error(`HTTP ${res.statusCode}`)));
  });
}

async function ticketOf(s: TestServer): Promise<{ ticket: string; expires_at: number }> {
  const r = await s.request('POST', '/api/session/ws-ticket');
  assert.equal(r.status, 201, JSON.stringify(r.body));
  return r.body;
}

const asProtocols = (ticket: string) => ['qntx', `qntx-ticket.${ticket}`];

describe('WebSocket tickets over HTTP', () => {
  let s: TestServer;
  const clock = new ManualClock(Date.UTC(2026, 11, 7, 21));
  before(async () => {
    s = await startTestServer('sqlite', { workerConcurrency: 0 }, { clock });
  });
  after(async () => s.stop());

  it('issues a ticket only with the Bearer token, valid for 30 s', async () => {
    const denied = await s.request('POST', '/api/session/ws-ticket', undefined, { authorization: '' });
    assert.equal(denied.status, 401);
    assert.ok(isErrorShape(denied.body));
    const { ticket, expires_at } = await ticketOf(s);
    assert.match(ticket, /^[A-Za-z0-9_-]{43}$/);
    assert.equal(expires_at, clock.now() + 30_000);
  });

  it('opens /ws once with the ticket, answering the subprotocol qntx (never the ticket)', async () => {
    const { ticket } = await ticketOf(s);
    const first = await openWithProtocols(s.url, asProtocols(ticket));
    assert.equal(first.protocol, 'qntx');
    assert.equal(first.hello.type, 'hello');
    await assert.rejects(openWithProtocols(s.url, asProtocols(ticket)), /HTTP 401/, 'a ticket opens one connection');
    const again = await rawUpgrade(s.url, { 'sec-websocket-protocol': asProtocols(ticket).join(', ') });
    assert.equal(again.status, 401);
    assert.ok(isErrorShape(again.json), again.text);
    assert.match(again.json.error, /ticket/);
    assert.match(again.headers['content-type']!, /^application\/json/);
  });

  it('refuses an expired ticket: usable until 30 s have passed, not after', async () => {
    const early = await ticketOf(s);
    clock.advance(29_999);
    assert.equal((await openWithProtocols(s.url, asProtocols(early.ticket))).hello.type, 'hello');
    const late = await ticketOf(s);
    clock.advance(30_000);
    const r = await rawUpgrade(s.url, { 'sec-websocket-protocol': asProtocols(late.ticket).join(', ') });
    assert.equal(r.status, 401, r.text);
    assert.ok(isErrorShape(r.json), r.text);
  });

  it('refuses a wrong or absent ticket, a ticket in the URL, and the token as a subprotocol: 401 with a JSON body', async () => {
    const cases: Array<{ path?: string; headers: Record<string, string> }> = [
      { headers: {} },
      { headers: { 'sec-websocket-protocol': 'qntx' } },
      { headers: { 'sec-websocket-protocol': 'qntx, qntx-ticket.' } },
      { headers: { 'sec-websocket-protocol': `qntx, qntx-ticket.${'A'.repeat(43)}` } },
      { headers: { 'sec-websocket-protocol': `qntx, qntx-ticket.${s.token}` } },
      { path: `/ws?ticket=${(await ticketOf(s)).ticket}`, headers: {} },
    ];
    for (const c of cases) {
      const r = await rawRequest(portOf(s.url), {
        method: 'GET',
        path: c.path ?? '/ws',
        headers: { connection: 'Upgrade', upgrade: 'websocket', 'sec-websocket-version': '13', 'sec-websocket-key': 'dGhlIHNhbXBsZSBub25jZQ==', ...c.headers },
      });
      assert.equal(r.status, 401, `${JSON.stringify(c)}: ${r.text}`);
      assert.ok(isErrorShape(r.json), r.text);
      assert.match(r.headers['content-type']!, /^application\/json/);
    }
  });

  it('asks for the subprotocol qntx beside a ticket (400), and keeps the ticket', async () => {
    const { ticket } = await ticketOf(s);
    const r = await rawUpgrade(s.url, { 'sec-websocket-protocol': `qntx-ticket.${ticket}` });
    assert.equal(r.status, 400, r.text);
    assert.ok(isErrorShape(r.json), r.text);
    assert.match(r.json.hint, /qntx-ticket/);
    assert.equal((await openWithProtocols(s.url, asProtocols(ticket))).protocol, 'qntx');
  });

  it('answers a malformed handshake and another path in the error shape too', async () => {
    const auth = { authorization: `Bearer ${s.token}` };
    for (const headers of [{ 'sec-websocket-key': 'short' }, { 'sec-websocket-version': '7' }, { 'sec-websocket-protocol': 'qntx,,bad token' }] as Array<Record<string, string>>) {
      const r = await rawUpgrade(s.url, { ...auth, ...headers });
      assert.equal(r.status, 400, `${JSON.stringify(headers)}: ${r.text}`);
      assert.ok(isErrorShape(r.json), r.text);
    }
    const elsewhere = await rawRequest(portOf(s.url), {
      method: 'GET',
      path: '/wsx',
      headers: { ...auth, connection: 'Upgrade', upgrade: 'websocket', 'sec-websocket-version': '13', 'sec-websocket-key': 'dGhlIHNhbXBsZSBub25jZQ==' },
    });
    assert.equal(elsewhere.status, 404, elsewhere.text);
    assert.ok(isErrorShape(elsewhere.json), elsewhere.text);
  });

  it('still takes the Bearer header on /ws for clients that can send it', async () => {
    const hello = await new Promise<any>((resolve, reject) => {
      const ws = new WebSocket(s.url.replace(/^http/, 'ws') + '/ws', { headers: { authorization: `Bearer ${s.token}` } });
      ws.once('message', (d) => (resolve(JSON.parse(String(d))), ws.close()));
      ws.once('error', reject);
    });
    assert.equal(hello.type, 'hello');
  });
});

describe('the ticket store', () => {
  it('keeps at most `max` outstanding: the oldest gives way, expired ones are swept', () => {
    let now = 1_000;
    const t = new WsTickets({ now: () => now, max: 3 });
    const issued = [t.issue(), t.issue(), t.issue(), t.issue()];
    assert.equal(t.size, 3);
    assert.equal(t.redeem(issued[0]!.ticket), false, 'the oldest gave way');
    assert.equal(t.redeem(issued[3]!.ticket), true);
    assert.equal(t.redeem(issued[3]!.ticket), false, 'single use');
    now += 30_000;
    t.issue();
    assert.equal(t.size, 1, 'the expired ones were swept when the next was issued');
    assert.equal(t.redeem(issued[1]!.ticket), false);
  });

  it('reads the ticket out of Sec-WebSocket-Protocol', () => {
    assert.deepEqual(offeredTicket('qntx, qntx-ticket.abc'), { ticket: 'abc', qntx: true });
    assert.deepEqual(offeredTicket('qntx-ticket.abc'), { ticket: 'abc', qntx: false });
    assert.deepEqual(offeredTicket('qntx,qntx-ticket.'), { ticket: undefined, qntx: true });
    assert.deepEqual(offeredTicket(undefined), { ticket: undefined, qntx: false });
  });
});
