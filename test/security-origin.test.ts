// Attacks from other web pages, over raw HTTP with exact headers: DNS rebinding (a foreign Host),
// cross-site simple requests (a foreign Origin, text/plain bodies), and the same on /ws.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { startTestServer, type TestServer } from './http-helpers.js';
import { isErrorShape, portOf, rawRequest } from './raw-http.js';
import { WsClient } from './ws-helpers.js';

const CODE = 'attest(["rebound"], ["ran"], ["attack"])\nprint("ran")\n';

describe('DNS rebinding: a Host other than the server itself', () => {
  let s: TestServer;
  let port: number;
  before(async () => {
    s = await startTestServer('sqlite', { workerConcurrency: 0 });
    port = portOf(s.url);
  });
  after(async () => s.stop());

  const evil = () => ({ host: `evil.example:${port}`, origin: `http://evil.example:${port}` });

  it('refuses POST /api/python/execute with 403 in the error shape, token or not, and runs nothing', async () => {
    for (const auth of [{}, { authorization: `Bearer ${s.token}` }] as Array<Record<string, string>>) {
      const r = await rawRequest(port, {
        method: 'POST',
        path: '/api/python/execute',
        headers: { ...evil(), ...auth, 'content-type': 'application/json' },
        body: JSON.stringify({ code: CODE }),
      });
      assert.equal(r.status, 403, r.text);
      assert.ok(isErrorShape(r.json), r.text);
      assert.ok(r.json.details.includes(`host=evil.example:${port}`), r.text);
    }
    const made = await s.request('GET', '/api/attestations?subjects=rebound');
    assert.equal(made.body.count, 0);
  });

  it('refuses reads of the API, /health and the page', async () => {
    for (const path of ['/api/attestations', '/health', '/', '/index.html', '/api/openapi.json', '/nope']) {
      const r = await rawRequest(port, { method: 'GET', path, headers: { host: `evil.example:${port}`, authorization: `Bearer ${s.token}` } });
      assert.equal(r.status, 403, `${path}: ${r.text}`);
      assert.ok(isErrorShape(r.json), `${path}: ${r.text}`);
    }
  });

  it('refuses look-alike and wrong-port Hosts, and a missing Host', async () => {
    const hosts = [
      `127.evil.example:${port}`,
      `127.0.0.1.evil.example:${port}`,
      `localhost.evil.example:${port}`,
      `127.0.0.1:${port + 1}`,
      `localhost:${port}@evil.example`,
      '127.0.0.1',
      `127.0.0.1:${port}.`,
      '',
    ];
    for (const host of hosts) {
      const r = await rawRequest(port, { method: 'GET', path: '/api/attestations', headers: { host, authorization: `Bearer ${s.token}` } });
      assert.equal(r.status, 403, `Host ${JSON.stringify(host)}: ${r.status} ${r.text}`);
      assert.ok(isErrorShape(r.json), `Host ${JSON.stringify(host)}: ${r.text}`);
    }
    const none = await rawRequest(port, { method: 'GET', path: '/api/attestations', noHost: true, headers: { authorization: `Bearer ${s.token}` } });
    assert.equal(none.status, 403, none.text);
    assert.ok(isErrorShape(none.json), none.text);
  });

  it('serves its own names: 127.0.0.1, localhost and [::1] with the port', async () => {
    for (const host of [`127.0.0.1:${port}`, `localhost:${port}`, `LOCALHOST:${port}`, `[::1]:${port}`]) {
      const r = await rawRequest(port, { method: 'GET', path: '/api/attestations', headers: { host, authorization: `Bearer ${s.token}` } });
      assert.equal(r.status, 200, `${host}: ${r.text}`);
    }
  });

  it('refuses the WebSocket upgrade, with the error body', async () => {
    await assert.rejects(WsClient.connect(s.url, { host: `evil.example:${port}`, origin: `http://evil.example:${port}` }), /HTTP 403/);
    await assert.rejects(WsClient.connect(s.url, { host: `evil.example:${port}` }), /HTTP 403/);
    for (const headers of [{ host: `evil.example:${port}` }, { origin: 'http://evil.example' }, { origin: `http://127.0.0.1:${port + 1}` }] as Array<Record<string, string>>) {
      const r = await wsUpgrade(port, { authorization: `Bearer ${s.token}`, ...headers });
      assert.equal(r.status, 403, r.text);
      assert.ok(isErrorShape(r.json), r.text);
      assert.match(r.headers['content-type']!, /^application\/json/);
    }
  });
});

describe('allowed hosts for a reverse proxy', () => {
  it('serves a Host named in --allowed-host / QNTX_ALLOWED_HOSTS, and its origin', async () => {
    const s = await startTestServer('sqlite', { workerConcurrency: 0, allowedHosts: 'qntx.example.org,other.example' });
    try {
      const port = portOf(s.url);
      const ok = await rawRequest(port, {
        method: 'POST',
        path: '/api/as',
        headers: { host: 'qntx.example.org', origin: 'https://qntx.example.org', authorization: `Bearer ${s.token}`, 'content-type': 'application/json' },
        body: JSON.stringify({ text: 'as a is b of c' }),
      });
      assert.equal(ok.status, 201, ok.text);
      const bad = await rawRequest(port, { method: 'GET', path: '/health', headers: { host: 'qntx.example.org.evil.example' } });
      assert.equal(bad.status, 403);
    } finally {
      await s.stop();
    }
  });

  // A bare name used to allow any port: `--allowed-host localhost` let a page on
  // http://localhost:3000 (any local dev server) post to the API.
  it('takes a bare name on its default ports only (http 80, https 443), by scheme', async () => {
    const s = await startTestServer('sqlite', { workerConcurrency: 0, allowedHosts: 'qntx.example.org,localhost' });
    try {
      const port = portOf(s.url);
      const hostStatus = async (host: string) =>
        (await rawRequest(port, { method: 'GET', path: '/api/attestations', headers: { host, authorization: `Bearer ${s.token}` } })).status;
      for (const host of ['qntx.example.org', 'qntx.example.org:80', 'qntx.example.org:443', 'localhost']) assert.equal(await hostStatus(host), 200, host);
      for (const host of ['qntx.example.org:3000', 'qntx.example.org:8443', `localhost:${port + 1}`, 'localhost:3000']) assert.equal(await hostStatus(host), 403, host);

      const originStatus = async (origin: string) => (await post(port, s.token!, origin)).status;
      for (const origin of ['https://qntx.example.org', 'http://qntx.example.org', 'http://qntx.example.org:80', 'https://qntx.example.org:443', 'http://localhost', `http://localhost:${port}`]) {
        assert.equal(await originStatus(origin), 201, origin);
      }
      for (const origin of ['http://localhost:3000', 'https://localhost:3000', 'http://qntx.example.org:443', 'https://qntx.example.org:80', 'https://qntx.example.org:8443', `https://localhost:${port}`]) {
        const r = await post(port, s.token!, origin);
        assert.equal(r.status, 403, `${origin}: ${r.text}`);
        assert.ok(isErrorShape(r.json), r.text);
      }
      const ws = await wsUpgrade(port, { authorization: `Bearer ${s.token}`, origin: 'http://localhost:3000' });
      assert.equal(ws.status, 403, ws.text);
      assert.ok(isErrorShape(ws.json), ws.text);
    } finally {
      await s.stop();
    }
  });

  it('takes name:port on that port only, either scheme', async () => {
    const s = await startTestServer('sqlite', { workerConcurrency: 0, allowedHosts: 'localhost:8443,proxy.example:443' });
    try {
      const port = portOf(s.url);
      for (const origin of ['https://localhost:8443', 'http://localhost:8443', 'https://proxy.example']) assert.equal((await post(port, s.token!, origin)).status, 201, origin);
      for (const origin of ['https://localhost:8444', 'https://localhost', 'http://localhost', 'http://proxy.example', 'https://proxy.example:8443']) {
        assert.equal((await post(port, s.token!, origin)).status, 403, origin);
      }
      const hostStatus = async (host: string) =>
        (await rawRequest(port, { method: 'GET', path: '/health', headers: { host } })).status;
      for (const host of ['localhost:8443', 'proxy.example', 'proxy.example:443']) assert.equal(await hostStatus(host), 200, host);
      for (const host of ['localhost:8444', 'localhost', 'proxy.example:80', 'proxy.example:8443']) assert.equal(await hostStatus(host), 403, host);
    } finally {
      await s.stop();
    }
  });
});

/** A POST /api/as with the token from `origin` (Host: the server's own). */
function post(port: number, token: string, origin: string) {
  return rawRequest(port, {
    method: 'POST',
    path: '/api/as',
    headers: { origin, authorization: `Bearer ${token}`, 'content-type': 'application/json' },
    body: JSON.stringify({ text: 'as o is p of q' }),
  });
}

/** A WebSocket upgrade over raw HTTP: a refusal's status, headers and body. */
function wsUpgrade(port: number, headers: Record<string, string>) {
  return rawRequest(port, {
    method: 'GET',
    path: '/ws',
    headers: { connection: 'Upgrade', upgrade: 'websocket', 'sec-websocket-version': '13', 'sec-websocket-key': 'dGhlIHNhbXBsZSBub25jZQ==', ...headers },
  });
}

describe('cross-site requests: a foreign Origin, and bodies that are not JSON', () => {
  let s: TestServer;
  let port: number;
  let jobId: string;
  let scheduleId: string;
  before(async () => {
    s = await startTestServer('sqlite', { workerConcurrency: 0 });
    port = portOf(s.url);
    jobId = (await s.request('POST', '/api/pulse/jobs', { handler_name: 'pulse.noop' })).body.id;
    await s.request('POST', '/api/python/register-handler', { script_type: 'quiet', code: 'pass\n' });
    scheduleId = (await s.request('POST', '/api/pulse/schedules', { ats_code: 'ix quiet', interval_seconds: 3600 })).body.id;
  });
  after(async () => s.stop());

  const post = (path: string, headers: Record<string, string>, body?: string) =>
    rawRequest(port, { method: 'POST', path, headers: { authorization: `Bearer ${s.token}`, ...headers }, ...(body === undefined ? {} : { body }) });

  it('refuses cancel and trigger as text/plain from https://evil.example (403), changing nothing', async () => {
    for (const path of [`/api/pulse/jobs/${jobId}/cancel`, `/api/pulse/schedules/${scheduleId}/trigger`]) {
      const r = await post(path, { origin: 'https://evil.example', 'content-type': 'text/plain' }, '{}');
      assert.equal(r.status, 403, `${path}: ${r.text}`);
      assert.ok(isErrorShape(r.json));
      assert.ok(r.json.details.includes('origin=https://evil.example'), r.text);
    }
    assert.equal((await s.request('GET', `/api/pulse/jobs/${jobId}`)).body.status, 'queued');
    const execs = (await s.request('GET', `/api/pulse/schedules/${scheduleId}/executions`)).body.executions;
    assert.equal(execs.filter((e: any) => e.trigger === 'manual').length, 0, 'no execution triggered by hand');
  });

  it('refuses every method but GET/HEAD from a foreign or null Origin', async () => {
    const cases: Array<[string, string]> = [
      ['POST', '/api/as'],
      ['PUT', '/api/canvas/glyphs/g1'],
      ['PATCH', `/api/pulse/schedules/${scheduleId}`],
      ['DELETE', `/api/pulse/schedules/${scheduleId}`],
    ];
    for (const origin of ['https://evil.example', 'null', `http://127.0.0.1:${port + 1}`, `https://127.0.0.1:${port}`]) {
      for (const [method, path] of cases) {
        const r = await rawRequest(port, {
          method,
          path,
          headers: { origin, authorization: `Bearer ${s.token}`, 'content-type': 'application/json' },
          body: '{}',
        });
        assert.equal(r.status, 403, `${origin} ${method} ${path}: ${r.text}`);
      }
    }
    const get = await rawRequest(port, { method: 'GET', path: '/api/attestations', headers: { origin: 'https://evil.example', authorization: `Bearer ${s.token}` } });
    assert.equal(get.status, 200);
    assert.equal(get.headers['access-control-allow-origin'], undefined, 'no CORS headers');
  });

  it('accepts its own origin', async () => {
    const r = await post('/api/as', { origin: `http://127.0.0.1:${port}`, 'content-type': 'application/json' }, JSON.stringify({ text: 'as x is y of z' }));
    assert.equal(r.status, 201, r.text);
  });

  it('answers 415 for a body that is not JSON, and for a body-less POST without a JSON content type', async () => {
    const cases: Array<[Record<string, string>, string | undefined]> = [
      [{ 'content-type': 'text/plain' }, '{}'],
      [{ 'content-type': 'text/plain;charset=UTF-8' }, '{"handler_name":"pulse.noop"}'],
      [{ 'content-type': 'application/x-www-form-urlencoded' }, 'a=1'],
      [{ 'content-type': 'multipart/form-data; boundary=x' }, '--x--'],
      [{}, undefined],
      [{}, '{}'],
    ];
    for (const [headers, body] of cases) {
      const r = await post(`/api/pulse/jobs/${jobId}/cancel`, headers, body);
      assert.equal(r.status, 415, `${JSON.stringify(headers)} ${body}: ${r.text}`);
      assert.ok(isErrorShape(r.json), r.text);
    }
    assert.equal((await s.request('GET', `/api/pulse/jobs/${jobId}`)).body.status, 'queued');
    const ok = await post(`/api/pulse/jobs/${jobId}/cancel`, { 'content-type': 'application/json' });
    assert.equal(ok.status, 200, ok.text);
    assert.equal(ok.json.status, 'cancelled');
  });

  it('refuses a cross-site WebSocket, as before, with the error body', async () => {
    await assert.rejects(WsClient.connect(s.url, { origin: 'http://evil.example' }), /HTTP 403/);
    const r = await wsUpgrade(portOf(s.url), { authorization: `Bearer ${s.token}`, origin: 'http://evil.example' });
    assert.equal(r.status, 403, r.text);
    assert.ok(isErrorShape(r.json), r.text);
    assert.ok(r.json.details.includes('origin=http://evil.example'), r.text);
  });
});

describe('security headers', () => {
  let s: TestServer;
  before(async () => {
    s = await startTestServer('sqlite', { workerConcurrency: 0 });
  });
  after(async () => s.stop());

  it('sends CSP (self, no framing), nosniff and no-referrer on the page, the API and errors', async () => {
    for (const [path, auth] of [['/api/attestations', true], ['/health', false], ['/api/nope', true], ['/api/attestations', false]] as const) {
      const r = await rawRequest(portOf(s.url), { method: 'GET', path, headers: auth ? { authorization: `Bearer ${s.token}` } : {} });
      const csp = r.headers['content-security-policy'] ?? '';
      assert.match(csp, /default-src 'self'/, `${path}: ${csp}`);
      assert.match(csp, /frame-ancestors 'none'/, path);
      assert.equal(r.headers['x-content-type-options'], 'nosniff', path);
      assert.equal(r.headers['referrer-policy'], 'no-referrer', path);
      assert.equal(r.headers['x-powered-by'], undefined, path);
    }
  });
});
