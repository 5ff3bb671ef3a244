/// <reference lib="dom" />
// The page's credential in a real browser. Browsers scope cookies by host, not port: when the page
// kept the token in the cookie qntx_token_<port>, any other server on 127.0.0.1 (a dev server, a
// page the user opened) received it with its own requests. Here a second HTTP server on another
// port records everything the browser sends it, and nothing it gets may authorise a request to
// qntx. The token lives in the origin's web storage: a second tab works without ?token=, and /ws
// opens with a single-use ticket (the live events arrive).
import assert from 'node:assert/strict';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, it } from 'node:test';
import type { Browser, WebSocket as PwWebSocket } from 'playwright-core';
import { api, browserSkipReason, launchBrowser, openCanvas, startQntx, until, waitForCanvas, type RunningQntx } from './harness.js';

const skip = browserSkipReason();
const T = { timeout: 120_000 };

interface Seen {
  url: string;
  headers: http.IncomingHttpHeaders;
}

/** An HTTP server on another port of 127.0.0.1 that answers everything and records each request's headers. */
async function startProbe(): Promise<{ url: string; seen: Seen[]; close(): Promise<void> }> {
  const seen: Seen[] = [];
  const server = http.createServer((req, res) => {
    seen.push({ url: req.url ?? '', headers: req.headers });
    if (req.url === '/') {
      res.writeHead(200, { 'content-type': 'text/html' });
      res.end('<!doctype html><title>other</title><p>another local server</p>');
      return;
    }
    res.writeHead(200, { 'content-type': 'text/plain', 'access-control-allow-origin': '*' });
    res.end('ok');
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    seen,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

/** Status of GET /api/attestations on qntx with the given headers (and nothing else). */
async function statusWith(server: RunningQntx, headers: Record<string, string>): Promise<number> {
  return (await fetch(`${server.url}/api/attestations?limit=1`, { headers })).status;
}

describe('the page credential in a browser', { skip }, () => {
  let browser: Browser;
  let server: RunningQntx;
  let probe: Awaited<ReturnType<typeof startProbe>>;

  before(async () => {
    browser = await launchBrowser();
    server = await startQntx();
    probe = await startProbe();
  });
  after(async () => {
    await browser?.close();
    await probe?.close();
    await server?.stop({ removeData: true });
  });

  it('sends nothing that authorises a request to qntx to a server on another port of the host', T, async () => {
    const { page, context, pageErrors } = await openCanvas(browser, server);
    assert.equal(new URL(page.url()).search, '', 'the token left the address bar');

    // A page of the other server, in the same browser as the qntx page: its navigation and its
    // own requests carry whatever the browser keeps for the host 127.0.0.1.
    const other = await context.newPage();
    await other.goto(`${probe.url}/`);
    await other.evaluate(async () => {
      await fetch('/from-other-page', { credentials: 'include' });
      await fetch('/from-other-page-post', { method: 'POST', credentials: 'include', body: 'x' });
    });
    await other.close();
    // (The qntx page itself cannot reach it: its CSP allows connections to its own origin only.)
    const blocked = await page.evaluate(async (u) => fetch(`${u}/from-qntx-page`, { mode: 'no-cors' }).then(() => 'sent', () => 'blocked'), probe.url);
    assert.equal(blocked, 'blocked');

    const paths = probe.seen.map((s) => s.url);
    for (const p of ['/', '/from-other-page', '/from-other-page-post']) assert.ok(paths.includes(p), `the probe saw ${p}: ${paths.join(' ')}`);
    const cookies = new Map<string, string>();
    for (const s of probe.seen) {
      const text = JSON.stringify(s.headers);
      assert.ok(!text.includes(server.token), `the token reached the other server in ${s.url}: ${text}`);
      assert.ok(!text.includes(encodeURIComponent(server.token)), `the token reached the other server in ${s.url}`);
      for (const part of (s.headers.cookie ?? '').split(';')) {
        const i = part.indexOf('=');
        if (i > 0) cookies.set(part.slice(0, i).trim(), part.slice(i + 1).trim());
      }
    }
    // Whatever cookie the other server got, none opens qntx, as a cookie or as a token.
    for (const [name, value] of cookies) {
      assert.equal(await statusWith(server, { cookie: `${name}=${value}` }), 401, `cookie ${name}`);
      assert.equal(await statusWith(server, { authorization: `Bearer ${value}` }), 401, `cookie ${name} as a Bearer token`);
    }
    // qntx set none at all.
    const jar = await context.cookies();
    assert.deepEqual(jar.map((c) => c.name), []);
    assert.deepEqual(pageErrors, []);
    await context.close();
  });

  it('a second tab of the origin works without ?token=, and /ws opens with a ticket: live events arrive', T, async () => {
    await api(server, 'POST', '/api/python/register-handler', { script_type: 'tabcheck', code: 'pass\n' });
    const schedule = await api(server, 'POST', '/api/pulse/schedules', { ats_code: 'ix tabcheck', interval_seconds: 3600 });
    const { context } = await openCanvas(browser, server);

    const tab = await context.newPage();
    const sockets: PwWebSocket[] = [];
    const frames: string[] = [];
    tab.on('websocket', (ws) => {
      sockets.push(ws);
      ws.on('framereceived', (f) => frames.push(typeof f.payload === 'string' ? f.payload : f.payload.toString('utf8')));
    });
    const apiStatuses: number[] = [];
    tab.on('response', (r) => {
      if (new URL(r.url()).pathname.startsWith('/api/')) apiStatuses.push(r.status());
    });
    await tab.goto(`${server.url}/`);
    await waitForCanvas(tab);

    // Loads schedules: the Pulse panel lists one made through the API.
    await tab.click('[data-spawn=pulse]');
    await tab.locator(`.schedule[data-schedule-id="${schedule.id}"]`).waitFor({ timeout: 15_000 });
    assert.ok(apiStatuses.length > 0 && apiStatuses.every((s) => s < 400), `API answers: ${apiStatuses.join(',')}`);

    // Live: the socket is open (the toolbar says so), its URL holds no credential, and an
    // attestation made through the API arrives as an event.
    await tab.locator('[data-connection=open]').waitFor({ timeout: 15_000 });
    assert.ok(sockets.length >= 1);
    for (const ws of sockets) assert.equal(new URL(ws.url()).search, '', ws.url());
    await api(server, 'POST', '/api/as', { subjects: ['live-check'], predicates: ['seen'], contexts: ['e2e'] });
    await until('the attestations_created event on the page', async () => frames.some((f) => f.includes('"attestations_created"')));

    // The ticket the page used is spent, and a ticket is no token.
    const issued = await tab.evaluate(async () => {
      const token = localStorage.getItem('qntx.token');
      const r = await fetch('/api/session/ws-ticket', { method: 'POST', headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' } });
      return { status: r.status, ticket: ((await r.json()) as { ticket: string }).ticket };
    });
    assert.equal(issued.status, 201);
    assert.equal(await statusWith(server, { authorization: `Bearer ${issued.ticket}` }), 401);
    // No cookie did any of this: the browser holds none for qntx.
    assert.deepEqual((await context.cookies()).map((c) => c.name), []);
    await context.close();
  });
});
