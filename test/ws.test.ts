// The WebSocket endpoint: hello, events, per-schedule subscription, origin and token checks.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { startTestServer, type TestServer } from './http-helpers.js';
import { WsClient } from './ws-helpers.js';

describe('WebSocket /ws', () => {
  let s: TestServer;
  before(async () => {
    s = await startTestServer();
  });
  after(async () => {
    await s.stop();
  });

  it('greets, and pushes attestations_created when the API attests', async () => {
    const c = await WsClient.connect(s.url);
    try {
      assert.equal((await c.next()).type, 'hello');
      await s.request('POST', '/api/as', { text: 'as a is b of c' });
      const ev = await c.next((m) => m.type === 'attestations_created');
      assert.deepEqual(ev, { type: 'attestations_created', count: 1, source: 'api' });
    } finally {
      c.close();
    }
  });

  it('sends only one schedule’s events after subscribe, and answers ping', async () => {
    const c = await WsClient.connect(s.url);
    try {
      await c.next((m) => m.type === 'hello');
      c.send({ type: 'subscribe', schedule_id: 'SC1' });
      c.send({ type: 'ping' });
      await c.next((m) => m.type === 'pong');
      s.qntx.events.emit({ type: 'pulse_execution_skipped', schedule_id: 'SC2', reason: 'x', at: 1 });
      s.qntx.events.emit({ type: 'pulse_execution_skipped', schedule_id: 'SC1', reason: 'y', at: 2 });
      const ev = await c.next((m) => m.type === 'pulse_execution_skipped');
      assert.equal(ev.schedule_id, 'SC1');
      c.send({ type: 'nonsense' });
      assert.equal((await c.next((m) => m.type === 'error')).error, 'unknown message');
    } finally {
      c.close();
    }
  });

  it('refuses a page of another origin', async () => {
    await assert.rejects(WsClient.connect(s.url, { origin: 'http://evil.example' }), /HTTP 403/);
  });

  it('requires the token when one is set', async () => {
    const t = await startTestServer('sqlite', { token: 'another-secret-token-456' });
    try {
      await assert.rejects(WsClient.connect(t.url, { authorization: '' }), /HTTP 401/);
      const ok = await WsClient.connect(t.url + '', { authorization: 'Bearer another-secret-token-456' });
      assert.equal((await ok.next()).type, 'hello');
      ok.close();
    } finally {
      await t.stop();
    }
  });
});
