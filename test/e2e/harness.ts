// Browser test harness: starts the real `qntx serve` (the bin) on a free port with a temp data dir,
// and Debian's chromium through playwright-core. Shared by the e2e suite and `npm run screenshot`.
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium, type Browser, type Page } from 'playwright-core';

export const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');

const CHROMIUM_CANDIDATES = ['/usr/bin/chromium', '/usr/bin/chromium-browser', '/usr/lib/chromium/chromium'];

export function chromiumPath(): string | undefined {
  const fromEnv = process.env.QNTX_CHROMIUM;
  if (fromEnv) return fs.existsSync(fromEnv) ? fromEnv : undefined;
  return CHROMIUM_CANDIDATES.find((p) => fs.existsSync(p));
}

/** Why the browser suite cannot run here, or false. In CI a missing browser is a failure, not a skip. */
export function browserSkipReason(): string | false {
  if (chromiumPath()) return false;
  const why = 'chromium not found: apt-get install -y chromium (or set QNTX_CHROMIUM)';
  if (process.env.CI) throw new Error(why);
  return why;
}

/** The server runs the compiled CLI and serves the built web app: both must exist. */
export function assertBuilt(): void {
  const missing = [path.join(ROOT, 'dist', 'cli', 'main.js'), path.join(ROOT, 'web', 'dist', 'index.html')].filter((f) => !fs.existsSync(f));
  if (missing.length) throw new Error(`not built: ${missing.join(', ')}; run npm run build && npm run build:web`);
}

export interface RunningQntx {
  /** The base URL (http://127.0.0.1:<port>). */
  url: string;
  /** The line `qntx serve` printed: the base URL with ?token=…, what a user opens. */
  pageUrl: string;
  token: string;
  /** `{authorization: 'Bearer …'}` for API calls made by the test itself. */
  auth: Record<string, string>;
  dataDir: string;
  /** Everything the server printed, for failure messages. */
  output(): string;
  /** Stops the server; `removeData` also deletes its data directory. */
  stop(opts?: { removeData?: boolean }): Promise<void>;
}

export async function startQntx(dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'qntx-e2e-'))): Promise<RunningQntx> {
  assertBuilt();
  const child = spawn(process.execPath, [path.join(ROOT, 'bin', 'qntx.js'), 'serve', '--port', '0', '--data-dir', dataDir], {
    cwd: ROOT,
    // Empty means unset to qntx: the test's server never inherits a database, token or address.
    env: { ...process.env, QNTX_DATABASE_URL: '', QNTX_TOKEN: '', QNTX_HOST: '', QNTX_PORT: '', QNTX_DATA_DIR: '', QNTX_LOG_LEVEL: process.env.QNTX_LOG_LEVEL ?? 'warn' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  const started = new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`qntx serve did not start in 20 s:\n${out}`)), 20_000);
    const onData = (b: Buffer) => {
      out += b.toString();
      const m = /qntx listening on (http:\/\/\S+)\n/.exec(out);
      if (m) {
        clearTimeout(timer);
        resolve(m[1]!);
      }
    };
    child.stdout!.on('data', onData);
    child.stderr!.on('data', onData);
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`qntx serve exited with ${code}:\n${out}`));
    });
  });
  let pageUrl: string;
  try {
    pageUrl = await started;
  } catch (err) {
    child.kill('SIGKILL');
    throw err;
  }
  // Never outlive the test process, even when it fails before stop().
  const reap = () => child.kill('SIGKILL');
  process.once('exit', reap);
  const printed = new URL(pageUrl);
  const token = printed.searchParams.get('token') ?? '';
  return {
    url: printed.origin,
    pageUrl,
    token,
    auth: { authorization: `Bearer ${token}` },
    dataDir,
    output: () => out,
    stop: async (opts = {}) => {
      process.removeListener('exit', reap);
      await stopChild(child);
      if (opts.removeData) fs.rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

async function stopChild(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), 8000);
  await exited;
  clearTimeout(timer);
}

export async function launchBrowser(): Promise<Browser> {
  const executablePath = chromiumPath();
  if (!executablePath) throw new Error('chromium not found: apt-get install -y chromium');
  return chromium.launch({
    executablePath,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-dev-shm-usage'],
  });
}

/** A JSON API call of the test itself (with the server's token); a status >= 300 fails the test. */
export async function api(server: Pick<RunningQntx, 'url' | 'auth'>, method: string, path: string, body?: unknown): Promise<any> {
  const res = await fetch(server.url + path, {
    method,
    headers: { 'content-type': 'application/json', ...server.auth },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const json: unknown = res.status === 204 ? null : await res.json();
  if (res.status >= 300) throw new Error(`${method} ${path}: ${res.status} ${JSON.stringify(json)}`);
  return json;
}

/** A fresh page on the canvas, opened at the printed URL (with its token), with console errors and dialogs recorded. */
export async function openCanvas(browser: Browser, server: Pick<RunningQntx, 'pageUrl'>, viewport = { width: 1440, height: 900 }) {
  const context = await browser.newContext({ viewport, deviceScaleFactor: 1 });
  const page = await context.newPage();
  const dialogs: string[] = [];
  const pageErrors: string[] = [];
  /** Warnings and errors the page logged (React Flow reports an edge it cannot draw here), for failure messages. */
  const consoleLog: string[] = [];
  page.on('console', (m) => {
    if ((m.type() === 'warning' || m.type() === 'error') && consoleLog.length < 50) consoleLog.push(`${m.type()}: ${m.text().slice(0, 300)}`);
  });
  page.on('dialog', (d) => {
    dialogs.push(d.message());
    void d.dismiss();
  });
  page.on('pageerror', (e) => pageErrors.push(e.message));
  await page.goto(server.pageUrl);
  await waitForCanvas(page);
  return { context, page, dialogs, pageErrors, consoleLog };
}

export async function waitForCanvas(page: Page): Promise<void> {
  await page.locator('.canvas[data-loaded="true"]').waitFor({ timeout: 15_000 });
}

/** Polls `fn` until it returns something truthy. */
export async function until<T>(what: string, fn: () => Promise<T | undefined | null | false>, timeoutMs = 15_000, everyMs = 100): Promise<T> {
  const end = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      const v = await fn();
      if (v) return v;
    } catch (err) {
      last = err;
    }
    if (Date.now() > end) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}${last ? `: ${String(last)}` : ''}`);
    await new Promise((r) => setTimeout(r, everyMs));
  }
}

/** Replaces the text of a CodeMirror editor as a user would: select all, then type. */
export async function replaceCode(page: Page, scope: string, code: string, typedPrefix = ''): Promise<void> {
  const content = page.locator(`${scope} .cm-content`);
  await content.click();
  await page.keyboard.press('ControlOrMeta+A');
  await page.keyboard.press('Delete');
  // Typed key by key (what a user does); the rest inserted at once, so auto-indent does not re-indent it.
  if (typedPrefix) await page.keyboard.type(typedPrefix);
  await page.keyboard.insertText(code);
}

/** Drags a glyph by its title bar. */
export async function dragGlyph(page: Page, selector: string, dx: number, dy: number): Promise<void> {
  await stable(page, selector);
  const bar = page.locator(`${selector} .glyph-titlebar`);
  const box = (await bar.boundingBox())!;
  const x = box.x + 60;
  const y = box.y + box.height / 2;
  await page.mouse.move(x, y);
  await page.mouse.down();
  await page.mouse.move(x + dx / 2, y + dy / 2, { steps: 5 });
  await page.mouse.move(x + dx, y + dy, { steps: 5 });
  await page.mouse.up();
}

/** Resizes a glyph by dragging its bottom-right handle. */
export async function resizeGlyph(page: Page, selector: string, dx: number, dy: number): Promise<void> {
  await stable(page, selector);
  const node = page.locator(`.react-flow__node:has(${selector})`);
  // The handle shows on hover, but takes the pointer even while transparent.
  const handle = node.locator('.react-flow__resize-control.handle.bottom.right');
  const box = (await handle.boundingBox())!;
  const x = box.x + box.width / 2;
  const y = box.y + box.height / 2;
  await page.mouse.move(x, y);
  await page.mouse.down();
  await page.mouse.move(x + dx / 2, y + dy / 2, { steps: 5 });
  await page.mouse.move(x + dx, y + dy, { steps: 5 });
  await page.mouse.up();
}

/** Waits until an element stops moving (the canvas pans with an animation after a spawn). */
export async function stable(page: Page, selector: string): Promise<void> {
  let last = '';
  await until(`${selector} to stop moving`, async () => {
    const box = JSON.stringify(await page.locator(selector).boundingBox());
    const same = box === last;
    last = box;
    return same;
  }, 5000, 120);
}
