// What opening the page costs, against a real `qntx serve` and the real build: the page's files go
// compressed (br, else gzip, as the browser asks) and hashed assets are cached for good while
// index.html is revalidated; API answers are compressed above a small size; and the page, opened
// on the seed's canvas (IX, Python handler, Pulse, AX), asks for each API resource once.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import http from 'node:http';
import path from 'node:path';
import zlib from 'node:zlib';
import { after, before, describe, it } from 'node:test';
import type { Browser } from 'playwright-core';
import { browserSkipReason, launchBrowser, ROOT, startQntx, waitForCanvas, type RunningQntx } from './harness.js';
import { SEED_GLYPHS, SEED_VIEWPORT, seedFlow } from './seed-glyphs.js';

const skip = browserSkipReason();
const T = { timeout: 120_000 };
const IMMUTABLE = 'public, max-age=31536000, immutable';

interface Answer {
  status: number;
  headers: http.IncomingHttpHeaders;
  /** The body as it came over the wire (still compressed, if it was). */
  raw: Buffer;
}

/** A GET whose body is kept as sent (fetch would undo the compression and hide it). */
function get(url: string, headers: Record<string, string> = {}): Promise<Answer> {
  return new Promise((resolve, reject) => {
    http
      .get(url, { headers }, (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, raw: Buffer.concat(chunks) }));
        res.on('error', reject);
      })
      .on('error', reject);
  });
}

function decoded(a: Answer): Buffer {
  const enc = a.headers['content-encoding'];
  return enc === 'br' ? zlib.brotliDecompressSync(a.raw) : enc === 'gzip' ? zlib.gunzipSync(a.raw) : a.raw;
}

const DIST = path.join(ROOT, 'web', 'dist');

describe('loading the page', { skip }, () => {
  let browser: Browser;
  let server: RunningQntx;

  before(async () => {
    server = await startQntx();
    await seedFlow(server);
    browser = await launchBrowser();
  });
  after(async () => {
    await browser?.close();
    await server?.stop({ removeData: true });
  });

  it('sends every built JS and CSS file compressed as asked, cached a year; index.html revalidated', T, async () => {
    const assets = fs.readdirSync(path.join(DIST, 'assets')).filter((f) => /\.(js|css)$/.test(f));
    assert.ok(assets.some((f) => f.startsWith('editor-')), `the editor has a chunk of its own: ${assets.join(', ')}`);
    for (const file of assets) {
      const url = `${server.url}/assets/${file}`;
      const onDisk = fs.readFileSync(path.join(DIST, 'assets', file));
      for (const [asked, expected] of [['br, gzip, deflate', 'br'], ['gzip, deflate', 'gzip'], ['identity', undefined]] as const) {
        const a = await get(url, { 'accept-encoding': asked });
        assert.equal(a.status, 200, `${file} (${asked})`);
        assert.equal(a.headers['content-encoding'], expected, `${file} asked ${asked}`);
        assert.equal(a.headers['cache-control'], IMMUTABLE, file);
        assert.match(String(a.headers.vary), /accept-encoding/i, file);
        assert.match(String(a.headers['content-type']), file.endsWith('.js') ? /javascript/ : /text\/css/, file);
        assert.ok(decoded(a).equals(onDisk), `${file} (${asked}) is the file`);
        if (expected && onDisk.length > 10_000) assert.ok(a.raw.length < onDisk.length / 2.5, `${file}: ${a.raw.length} bytes sent of ${onDisk.length}`);
      }
      // Not without the page's headers: helmet's stay on every answer.
      const a = await get(url, { 'accept-encoding': 'br' });
      assert.equal(a.headers['x-content-type-options'], 'nosniff');
    }
    // The compressed copies are not files of their own.
    assert.equal((await get(`${server.url}/assets/${assets[0]}.br`)).status, 404);

    for (const page of ['/', '/index.html']) {
      const a = await get(server.url + page, { 'accept-encoding': 'br, gzip' });
      assert.equal(a.status, 200, page);
      assert.equal(a.headers['cache-control'], 'no-cache', page);
      assert.ok(a.headers['content-security-policy'], `${page} keeps its CSP`);
      // index.html is under 1 KiB: sent as is, when compressing would save less than it costs.
      const html = decoded(a).toString();
      assert.match(html, /<div id="root">/);
      assert.equal(a.headers['content-encoding'], html.length >= 1024 ? 'br' : undefined, page);
      // Revalidated, it costs a 304.
      const again = await get(server.url + page, { 'accept-encoding': 'br, gzip', 'if-none-match': String(a.headers.etag) });
      assert.equal(again.status, 304, page);
      assert.equal(again.raw.length, 0);
    }
  });

  it('compresses API answers of 1 KiB or more, not small ones; the token is still needed', T, async () => {
    const auth = { authorization: `Bearer ${server.token}` };
    const canvas = await get(`${server.url}/api/canvas`, { ...auth, 'accept-encoding': 'gzip, br' });
    assert.equal(canvas.status, 200);
    assert.ok(decoded(canvas).length >= 1024, 'the seeded canvas answer is over 1 KiB');
    assert.equal(canvas.headers['content-encoding'], 'br');
    assert.ok(JSON.parse(decoded(canvas).toString()).glyphs.length === 4);
    const gz = await get(`${server.url}/api/canvas`, { ...auth, 'accept-encoding': 'gzip' });
    assert.equal(gz.headers['content-encoding'], 'gzip');
    const plain = await get(`${server.url}/api/canvas`, auth);
    assert.equal(plain.headers['content-encoding'], undefined);
    assert.deepEqual(JSON.parse(plain.raw.toString()), JSON.parse(decoded(canvas).toString()));

    const health = await get(`${server.url}/health`, { 'accept-encoding': 'br, gzip' });
    assert.equal(health.status, 200);
    assert.ok(health.raw.length < 1024);
    assert.equal(health.headers['content-encoding'], undefined, 'a small answer goes as is');

    const refused = await get(`${server.url}/api/canvas`, { 'accept-encoding': 'br' });
    assert.equal(refused.status, 401);

    // Request bodies are never inflated: a gzipped body is read as the bytes sent, not JSON.
    const body = zlib.gzipSync(JSON.stringify({ query: 'is received' }));
    const posted = await fetch(`${server.url}/api/ax`, { method: 'POST', headers: { ...auth, 'content-type': 'application/json', 'content-encoding': 'gzip' }, body });
    assert.equal(posted.status, 400, await posted.text());
  });

  it('asks for each API resource once when it opens on the seed canvas, cold and on reload', T, async () => {
    const context = await browser.newContext({ viewport: SEED_VIEWPORT, deviceScaleFactor: 1 });
    try {
      const page = await context.newPage();
      let requests: string[] = [];
      page.on('request', (r) => {
        const u = new URL(r.url());
        if (u.pathname.startsWith('/api/')) requests.push(`${r.method()} ${u.pathname}`);
      });
      const encodings = new Map<string, string | undefined>();
      page.on('response', (r) => {
        const u = new URL(r.url());
        if (u.pathname.startsWith('/assets/')) encodings.set(u.pathname, r.headers()['content-encoding']);
      });
      const settled = async () => {
        await waitForCanvas(page);
        // Every glyph's first answer is in: the editors, the AX results, the schedule with its stats,
        // and the socket is open (its opening no longer loads Pulse a second time).
        await page.locator(`[data-glyph-id="${SEED_GLYPHS.py}"] .cm-content`).waitFor({ state: 'attached' });
        await page.locator(`[data-glyph-id="${SEED_GLYPHS.ax}"] .cm-content`).waitFor({ state: 'attached' });
        await page.locator(`[data-glyph-id="${SEED_GLYPHS.ax}"] .ax-row`).first().waitFor({ state: 'attached' });
        await page.locator(`[data-glyph-id="${SEED_GLYPHS.pulse}"] .run-counts[data-total]:not([data-total=""])`).waitFor({ state: 'attached' });
        await page.locator('[data-connection="open"]').waitFor({ state: 'attached' });
        await page.waitForLoadState('networkidle');
      };
      const once = (what: string) => {
        const counts = new Map<string, number>();
        for (const r of requests) counts.set(r, (counts.get(r) ?? 0) + 1);
        const twice = [...counts].filter(([, n]) => n > 1);
        assert.deepEqual(twice, [], `${what}: asked more than once, in ${requests.join(', ')}`);
        for (const r of ['GET /api/canvas', 'GET /api/pulse/schedules', 'POST /api/ax']) assert.ok(counts.has(r), `${what}: ${r} in ${requests.join(', ')}`);
        assert.ok(requests.some((r) => /^GET \/api\/pulse\/schedules\/[^/]+\/executions$/.test(r)), `${what}: executions`);
        assert.ok(requests.some((r) => /^GET \/api\/pulse\/schedules\/[^/]+\/stats$/.test(r)), `${what}: stats`);
      };

      await page.goto(server.pageUrl);
      await settled();
      once('cold');
      assert.ok([...encodings.values()].every((e) => e === 'br'), `assets sent br: ${JSON.stringify([...encodings])}`);
      assert.ok([...encodings.keys()].some((p) => p.includes('/editor-')), 'the editor chunk loaded once an editor showed');

      requests = [];
      await page.reload();
      await settled();
      once('reload');
    } finally {
      await context.close();
    }
  });

  it('shows the canvas and its toolbar before the editor chunk arrives, the text meanwhile', T, async () => {
    const context = await browser.newContext({ viewport: SEED_VIEWPORT, deviceScaleFactor: 1 });
    try {
      const page = await context.newPage();
      // Hold the editor chunk back until the placeholders have been seen.
      let release!: () => void;
      const held = new Promise<void>((r) => (release = r));
      await page.route('**/assets/editor-*.js', async (route) => {
        await held;
        await route.continue();
      });
      await page.goto(server.pageUrl);
      await waitForCanvas(page);
      const py = page.locator(`[data-glyph-id="${SEED_GLYPHS.py}"]`);
      const placeholder = py.locator('[data-editor-loading]');
      await placeholder.waitFor();
      assert.match(await placeholder.innerText(), /ix\.state\.get\("n", 0\)/);
      assert.equal(await placeholder.getAttribute('aria-busy'), 'true');
      await page.locator(`[data-glyph-id="${SEED_GLYPHS.ax}"] [data-editor-loading]`).waitFor();
      // The toolbar works meanwhile: it spawns a glyph.
      const before = await page.locator('[data-glyph-kind=pulse]').count();
      await page.click('[data-spawn=pulse]');
      await page.locator('[data-glyph-kind=pulse]').nth(before).waitFor();
      release();
      await py.locator('.cm-content').waitFor();
      assert.equal(await py.locator('[data-editor-loading]').count(), 0);
      assert.match(await py.locator('.cm-content').innerText(), /ix\.state\.get\("n", 0\)/);
    } finally {
      await context.close();
    }
  });
});
