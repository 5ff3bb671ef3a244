// Benchmark of opening the canvas (npm run bench:page-load): a real `qntx serve` with the seed's
// four glyphs (IX, the Python handler, Pulse, AX; test/e2e/seed-glyphs.ts), loaded in Chromium
// RUNS times cold (a new browser context: empty cache) and RUNS times warm (one context, reloaded).
// (kB: 1000 bytes.) Each load counts as done when every glyph has its first answer (both editors, the AX rows, the
// schedule's stats) and the socket is open. Per load: bytes over the wire (the sum of CDP's
// Network.loadingFinished encodedDataLength: headers and bodies, the WebSocket's frames left out),
// requests sent and how many the cache answered, FCP, LCP, and the time from navigation to a
// usable toolbar (its spawn buttons in the page and enabled) and to the Python editor; medians.
// The baseline, in the same run: cold loads that refuse compression (Accept-Encoding: identity),
// i.e. what the page cost before it was compressed.
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { launchBrowser, startQntx, waitForCanvas } from '../test/e2e/harness.js';
import { SEED_GLYPHS, SEED_VIEWPORT, seedFlow } from '../test/e2e/seed-glyphs.js';
import { fmt, machine } from './util.js';

const RUNS = Number(process.env.RUNS ?? 7);

interface Load {
  bytes: number;
  requests: number;
  fromCache: number;
  /** Answers that came compressed (br or gzip). */
  compressed: number;
  fcp: number;
  lcp: number;
  toolbar: number;
  editor: number;
}

/** In the page before its own code: when the toolbar and the Python editor first show, and the LCP. */
const MARKS = `(() => {
  const marks = (window.__loadMarks = { toolbar: null, editor: null, lcp: null });
  new PerformanceObserver((list) => {
    for (const e of list.getEntries()) marks.lcp = e.startTime;
  }).observe({ type: 'largest-contentful-paint', buffered: true });
  const check = () => {
    if (marks.toolbar === null) {
      const spawn = document.querySelectorAll('[data-spawn]');
      if (spawn.length === 4 && [...spawn].every((b) => !b.disabled)) marks.toolbar = performance.now();
    }
    if (marks.editor === null && document.querySelector('[data-glyph-id="${SEED_GLYPHS.py}"] .cm-content')) marks.editor = performance.now();
  };
  new MutationObserver(check).observe(document, { childList: true, subtree: true, attributes: true });
})();`;

async function settled(page: Page): Promise<void> {
  await waitForCanvas(page);
  const glyph = (id: string) => page.locator(`[data-glyph-id="${id}"]`);
  await glyph(SEED_GLYPHS.py).locator('.cm-content').waitFor({ state: 'attached' });
  await glyph(SEED_GLYPHS.ax).locator('.cm-content').waitFor({ state: 'attached' });
  await glyph(SEED_GLYPHS.ax).locator('.ax-row').first().waitFor({ state: 'attached' });
  await glyph(SEED_GLYPHS.pulse).locator('.run-counts[data-total]:not([data-total=""])').waitFor({ state: 'attached' });
  await page.locator('[data-connection="open"]').waitFor({ state: 'attached' });
}

/** One load of `url` in `page` (navigation, or a reload when `reload`), measured. */
async function measure(context: BrowserContext, page: Page, url: string, reload: boolean): Promise<Load> {
  const cdp = await context.newCDPSession(page);
  await cdp.send('Network.enable');
  const sizes = new Map<string, number>();
  let requests = 0;
  let fromCache = 0;
  let compressed = 0;
  cdp.on('Network.requestWillBeSent', () => requests++);
  cdp.on('Network.requestServedFromCache', () => fromCache++);
  cdp.on('Network.responseReceived', (e) => {
    const enc = Object.entries(e.response.headers).find(([k]) => k.toLowerCase() === 'content-encoding')?.[1];
    if (enc === 'br' || enc === 'gzip') compressed++;
  });
  cdp.on('Network.loadingFinished', (e) => sizes.set(e.requestId, e.encodedDataLength));
  if (reload) await page.reload();
  else await page.goto(url);
  await settled(page);
  const m = await page.evaluate(() => {
    const w = window as unknown as { __loadMarks: { toolbar: number | null; editor: number | null; lcp: number | null } };
    const fcp = performance.getEntriesByName('first-contentful-paint')[0]?.startTime ?? NaN;
    return { ...w.__loadMarks, fcp };
  });
  await cdp.detach();
  let bytes = 0;
  for (const n of sizes.values()) bytes += n;
  return { bytes, requests, fromCache, compressed, fcp: m.fcp, lcp: m.lcp ?? NaN, toolbar: m.toolbar ?? NaN, editor: m.editor ?? NaN };
}

async function newContext(browser: Browser, headers?: Record<string, string>): Promise<BrowserContext> {
  const context = await browser.newContext({ viewport: SEED_VIEWPORT, deviceScaleFactor: 1, ...(headers ? { extraHTTPHeaders: headers } : {}) });
  await context.addInitScript(MARKS);
  return context;
}

async function cold(browser: Browser, url: string, headers?: Record<string, string>): Promise<Load[]> {
  const loads: Load[] = [];
  for (let i = 0; i < RUNS; i++) {
    const context = await newContext(browser, headers);
    try {
      loads.push(await measure(context, await context.newPage(), url, false));
    } finally {
      await context.close();
    }
  }
  return loads;
}

async function warm(browser: Browser, url: string): Promise<Load[]> {
  const context = await newContext(browser);
  try {
    const page = await context.newPage();
    await page.goto(url);
    await settled(page);
    const loads: Load[] = [];
    for (let i = 0; i < RUNS; i++) loads.push(await measure(context, page, url, true));
    return loads;
  } finally {
    await context.close();
  }
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2]! : (s[s.length / 2 - 1]! + s[s.length / 2]!) / 2;
}

function summary(loads: Load[]): Record<keyof Load, number> {
  const out = {} as Record<keyof Load, number>;
  for (const k of Object.keys(loads[0]!) as Array<keyof Load>) out[k] = median(loads.map((l) => l[k]));
  return out;
}

function line(name: string, s: Record<keyof Load, number>): string {
  return (
    `${name.padEnd(22)} ${fmt(s.bytes / 1000, 1).padStart(8)} kB  ${fmt(s.requests).padStart(3)} requests (${fmt(s.fromCache)} from cache, ${fmt(s.compressed)} compressed)  ` +
    `FCP ${fmt(s.fcp).padStart(5)} ms  LCP ${fmt(s.lcp).padStart(5)} ms  toolbar ${fmt(s.toolbar).padStart(5)} ms  editor ${fmt(s.editor).padStart(5)} ms`
  );
}

console.log(machine());
const server = await startQntx();
const browser = await launchBrowser();
try {
  await seedFlow(server);
  const url = server.pageUrl;
  // A first load of the page outside the figures: the server's and the browser's first use.
  await cold(browser, url);
  const identity = summary(await cold(browser, url, { 'accept-encoding': 'identity' }));
  const coldLoads = summary(await cold(browser, url));
  const warmLoads = summary(await warm(browser, url));
  console.log(`medians of ${RUNS} loads each:`);
  console.log(line('cold, uncompressed', identity));
  console.log(line('cold', coldLoads));
  console.log(line('warm (reload)', warmLoads));
  console.log(
    `cold/uncompressed: bytes ${fmt(coldLoads.bytes / identity.bytes, 2)}, FCP ${fmt(coldLoads.fcp / identity.fcp, 2)}, LCP ${fmt(coldLoads.lcp / identity.lcp, 2)}; ` +
      `warm/cold: bytes ${fmt(warmLoads.bytes / coldLoads.bytes, 3)}, FCP ${fmt(warmLoads.fcp / coldLoads.fcp, 2)}`,
  );
  console.log(`goals: cold bytes ≤ 400 kB: ${coldLoads.bytes <= 400_000 ? 'met' : 'NOT met'}; cold FCP ≤ 400 ms (on a quiet machine): ${coldLoads.fcp <= 400 ? 'met' : 'not met here'}`);
} finally {
  await browser.close();
  await server.stop({ removeData: true });
}
