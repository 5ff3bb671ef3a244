// What held up when the HTTP surface was attacked, kept so: static files never leave the web
// directory, SQL values are matched literally, and a WebSocket client that never reads is dropped.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import net from 'node:net';
import { after, before, describe, it } from 'node:test';
import { pino } from 'pino';
import { loadSettings } from '../src/config.js';
import { startServer } from '../src/server/serve.js';
import { DB_KINDS, tempDir } from './helpers.js';
import { startTestServer, type TestServer } from './http-helpers.js';
import { portOf, rawRequest } from './raw-http.js';

describe('static files', () => {
  let s: TestServer;
  before(async () => {
    s = await startTestServer('sqlite', { workerConcurrency: 0 });
  });
  after(async () => s.stop());

  it('never serve a file outside the web directory, however the path is spelled', async () => {
    const paths = [
      '/../package.json',
      '/%2e%2e/package.json',
      '/%2E%2E%2Fpackage.json',
      '/assets/..%2f..%2fpackage.json',
      '/assets/%2e%2e/%2e%2e/package.json',
      '/..%5c..%5cpackage.json',
      '/index.html/../../package.json',
      '/....//....//package.json',
      '/%252e%252e/package.json',
      '/../../../../etc/passwd',
    ];
    for (const p of paths) {
      const r = await rawRequest(portOf(s.url), { method: 'GET', path: p });
      assert.ok([400, 403, 404].includes(r.status), `${p}: ${r.status}`);
      assert.doesNotMatch(r.text, /"name": "qntx"|root:x:0:0/, p);
    }
  });
});

for (const { kind, skip } of DB_KINDS) {
  describe(`SQL values are data (${kind})`, { skip }, () => {
    let s: TestServer;
    before(async () => {
      s = await startTestServer(kind, { workerConcurrency: 0 });
    });
    after(async () => s.stop());

    it('matches quotes, wildcards and SQL text literally', async () => {
      const hostile = ["' OR 1=1 --", '%', '_', "x'; drop table attestations; --", '"a" OR "1"="1"', '\\'];
      for (const v of hostile) assert.equal((await s.request('POST', '/api/as', { subjects: [v], predicates: ['sqli'], contexts: ['c'] })).status, 201);
      await s.request('POST', '/api/as', { subjects: ['plain'], predicates: ['sqli'], contexts: ['c'] });
      for (const v of hostile) {
        const r = await s.request('POST', '/api/attestations/query', { subjects: [v] });
        assert.deepEqual(r.body.attestations.map((a: any) => a.subjects[0]), [v], v);
      }
      assert.equal((await s.request('GET', '/api/attestations?predicates=sqli&limit=100')).body.count, hostile.length + 1);
    });
  });
}

describe('a WebSocket client that never reads', () => {
  it('is dropped once its send buffer passes the limit', async () => {
    const dataDir = tempDir();
    const warnings: string[] = [];
    const logger = pino({ level: 'warn' }, { write: (line: string) => void warnings.push(JSON.parse(line).msg) });
    const s = await startServer(loadSettings({ dataDir, port: 0, workerConcurrency: 0 }, {}), { logger });
    const socket = net.connect(portOf(s.url), '127.0.0.1');
    try {
      const upgraded = new Promise<void>((resolve, reject) => {
        socket.once('data', (d) => (/^HTTP\/1\.1 101/.test(d.toString('latin1')) ? resolve() : reject(new Error(d.toString('latin1')))));
      });
      socket.write(
        `GET /ws HTTP/1.1\r\nHost: 127.0.0.1:${portOf(s.url)}\r\nAuthorization: Bearer ${s.token}\r\nConnection: Upgrade\r\nUpgrade: websocket\r\n` +
          'Sec-WebSocket-Version: 13\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n\r\n',
      );
      await upgraded;
      socket.pause(); // never reads again
      const big = 'x'.repeat(1 << 20);
      for (let i = 0; i < 300 && !warnings.includes('dropping slow WebSocket client'); i++) {
        s.qntx.events.emit({ type: 'pulse_execution_skipped', schedule_id: 'slow', reason: big, at: i });
        await new Promise((r) => setImmediate(r));
      }
      assert.ok(warnings.includes('dropping slow WebSocket client'), warnings.join('; '));
    } finally {
      socket.destroy();
      await s.close();
      fs.rmSync(dataDir, { recursive: true, force: true });
    }
  });
});
