// The seed's flow in a real browser against a real `qntx serve`: IX glyph → missing handler error →
// Create handler → Python glyph → Save → the IX glyph runs → Pulse shows live runs → AX finds what
// the handler attested. Plus: syntax errors mark their line, the canvas survives reload and restart,
// and user text is never HTML.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { Browser, Page } from 'playwright-core';
import {
  browserSkipReason,
  dragGlyph,
  launchBrowser,
  openCanvas,
  replaceCode,
  resizeGlyph,
  startQntx,
  until,
  waitForCanvas,
  type RunningQntx,
} from './harness.js';

const XSS = '<img src=x onerror=alert(1)>';
const HANDLER = `n = ix.state.get("n", 0) + 1
ix.state["n"] = n
attest(subjects=["e2e-event-" + str(n)], predicates=["received"], contexts=["e2e-hook"], attributes={"n": n})
print("${XSS}")
`;

const skip = browserSkipReason();
const T = { timeout: 120_000 };

async function spawnGlyph(page: Page, kind: 'ix' | 'py' | 'pulse' | 'ax'): Promise<string> {
  const before = await page.locator(`[data-glyph-kind=${kind}]`).count();
  await page.click(`[data-spawn=${kind}]`);
  const el = page.locator(`[data-glyph-kind=${kind}]`).nth(before);
  await el.waitFor();
  return `[data-glyph-id="${await el.getAttribute('data-glyph-id')}"]`;
}

async function ixState(page: Page, ix: string): Promise<string | null> {
  return page.locator(`${ix} .ix-status`).getAttribute('data-state');
}

async function noInjectedImages(page: Page): Promise<void> {
  assert.equal(await page.locator('img[src="x"]').count(), 0, 'user text was rendered as HTML');
}

describe('the canvas in a browser', { skip }, () => {
  let browser: Browser;
  let server: RunningQntx | undefined;

  before(async () => {
    browser = await launchBrowser();
  });
  after(async () => {
    await browser?.close();
    await server?.stop({ removeData: true });
  });

  async function freshServer(): Promise<RunningQntx> {
    await server?.stop({ removeData: true });
    server = await startQntx();
    return server;
  }

  it("walks the seed's flow: missing handler → Create handler → Save → scheduled runs → attestations", T, async () => {
    const srv = await freshServer();
    const { page, dialogs, pageErrors } = await openCanvas(browser, srv);
    // The token went into the origin's web storage and out of the address bar; no cookie holds it.
    assert.equal(new URL(page.url()).search, '');
    assert.equal(await page.evaluate("localStorage.getItem('qntx.token')"), srv.token);
    assert.deepEqual(await page.context().cookies(), []);

    // 1. An IX glyph for `ix webhook`: no handler yet, so red with Create handler.
    const ix = await spawnGlyph(page, 'ix');
    await page.locator(`${ix} input[aria-label="ix command"]`).fill('webhook');
    await page.locator(`${ix} button.ix-run`).click();
    await until('the IX glyph to turn red', async () => (await ixState(page, ix)) === 'error');
    assert.match(await page.locator(`${ix} .ix-status-message`).innerText(), /no ingest script/i);
    const create = page.getByRole('button', { name: 'Create handler for webhook' });
    await create.click();

    // 2. A Python glyph with the template, titled after the type.
    const py = page.locator('[data-glyph-kind=py]');
    await py.waitFor();
    assert.equal(await py.locator('.glyph-title').innerText(), 'handler: webhook');
    const template = await py.locator('.cm-content').innerText();
    for (const s of ['attest(', 'ix.args', 'ix.state']) assert.ok(template.includes(s), `template holds ${s}`);

    // 3. Type the handler and save it with Ctrl/Cmd-S.
    await replaceCode(page, '[data-glyph-kind=py]', HANDLER, '# typed by the e2e test\n');
    await page.keyboard.press('ControlOrMeta+S');
    await py.locator('[data-save=ok]').waitFor({ timeout: 15_000 });

    // 4. The IX glyph that showed the error runs again by itself and turns green.
    await until('the IX glyph to rerun and turn green', async () => (await ixState(page, ix)) === 'success', 30_000);

    // Saving again makes version 2; the version list shows both, newest first.
    await py.getByRole('button', { name: 'Versions' }).click();
    await py.locator('[data-version="1"]').waitFor();
    await py.locator('.cm-content').click();
    await page.keyboard.press('ControlOrMeta+End');
    await page.keyboard.type('# v2\n');
    await py.getByRole('button', { name: /^Save/ }).click();
    await until('version 2 listed first', async () => (await py.locator('.version-list li').first().getAttribute('data-version')) === '2');
    assert.match(await py.locator('[data-save=ok]').innerText(), /version 2/);

    // 5. Every 2 s, Run → green; the Pulse panel shows the schedule and runs arriving live.
    await page.locator(`${ix} input[type=radio]`).nth(1).check();
    await page.locator(`${ix} input[aria-label="Interval amount"]`).fill('2');
    await page.locator(`${ix} select[aria-label="Interval unit"]`).selectOption('s');
    await page.locator(`${ix} button.ix-run`).click();
    await until('the recurring schedule to run green', async () => {
      const txt = await page.locator(`${ix} .ix-status-message`).innerText();
      return (await ixState(page, ix)) === 'success' && txt.includes('every 2 s');
    }, 30_000);

    const pulse = await spawnGlyph(page, 'pulse');
    const card = page.locator(`${pulse} .schedule`, { hasText: 'every 2 s' });
    await card.waitFor();
    const completed = card.locator('.exec-row[data-status=completed]');
    const first = await completed.count();
    await until('two more completed runs to arrive live', async () => (await completed.count()) >= Math.max(2, first + 2), 30_000);
    await until('the WebSocket indicator to read Live', async () => (await page.locator('[data-connection=open]').count()) === 1);

    // The handler's output holds an <img> tag: shown as text, never as an element.
    await until('the run output', async () => (await card.locator('.exec-detail .output-text').first().innerText()).includes(XSS));
    await noInjectedImages(page);

    // 6. An AX glyph (opened from the command palette) finds what the handler attested.
    await page.keyboard.press('Escape');
    await page.locator('.react-flow__pane').click({ position: { x: 700, y: 860 } });
    await page.keyboard.press('ControlOrMeta+K');
    await page.getByRole('combobox', { name: 'Type a command' }).fill('ax');
    await page.keyboard.press('Enter');
    const ax = page.locator('[data-glyph-kind=ax]');
    await ax.waitFor();
    await ax.locator('.ax-query .cm-content').click();
    await page.keyboard.type('of e2e-hook');
    await page.keyboard.press('Escape'); // close the completion list, if open
    await ax.getByRole('button', { name: 'Search' }).click();
    await until('attestations of the handler in the AX glyph', async () => (await ax.locator('tbody tr', { hasText: 'received' }).count()) >= 2);
    assert.match(await ax.locator('tbody tr').first().innerText(), /e2e-event-\d+/);

    assert.deepEqual(dialogs, [], 'no alert() ran');
    assert.deepEqual(pageErrors, []);
  });

  it('marks the line of a syntax error when a handler is saved', T, async () => {
    const { page } = await openCanvas(browser, await freshServer());
    const py = await spawnGlyph(page, 'py');
    await replaceCode(page, py, 'x = 1\ny = 2\ndef broken(:\n    pass\n');
    await page.locator(py).getByRole('button', { name: 'Save as handler…' }).click();
    await page.locator(py).getByLabel('Handler for ix').fill('broken');
    await page.locator(`${py} .py-saveas button[type=submit]`).click();
    await page.locator(`${py} [data-save=error]`).waitFor({ timeout: 15_000 });
    await until('line 3 marked', async () => (await page.locator(`${py} .code-editor`).getAttribute('data-error-line')) === '3');
    const marked = page.locator(`${py} .cm-error-line`);
    assert.equal(await marked.count(), 1);
    assert.equal(await marked.innerText(), 'def broken(:');
  });

  it('keeps glyphs, positions and contents across a reload and a server restart', T, async () => {
    const srv = await freshServer();
    const { page } = await openCanvas(browser, srv);
    const ix = await spawnGlyph(page, 'ix');
    const ax = await spawnGlyph(page, 'ax');
    await page.locator(`${ix} input[aria-label="ix command"]`).fill('git ./somewhere');
    const width0 = (await page.locator(`.react-flow__node:has(${ax})`).boundingBox())!.width;
    await resizeGlyph(page, ax, 60, 40);
    await until('the resize', async () => (await page.locator(`.react-flow__node:has(${ax})`).boundingBox())!.width > width0 + 30);
    await dragGlyph(page, ix, 140, 90);
    await page.locator('[data-save-status=saved]').waitFor();
    const snapshot = async (p: Page) => ({
      ids: (await p.locator('[data-glyph-id]').evaluateAll((els) => els.map((e) => e.getAttribute('data-glyph-id')))).sort(),
      ix: await p.locator(`.react-flow__node:has(${ix})`).getAttribute('style').then((s) => /translate\([^)]*\)/.exec(s ?? '')?.[0]),
      ax: await p.locator(`.react-flow__node:has(${ax})`).getAttribute('style').then((s) => /translate\([^)]*\)/.exec(s ?? '')?.[0]),
      axSize: await p.locator(`.react-flow__node:has(${ax})`).evaluate((e) => [e.style.width, e.style.height].join(' x ')),
      command: await p.locator(`${ix} input[aria-label="ix command"]`).inputValue(),
    });
    const before = await snapshot(page);
    assert.equal(before.ids.length, 2);
    assert.ok(before.ix && before.ax);

    await page.reload();
    await waitForCanvas(page);
    await page.locator(ix).waitFor();
    assert.deepEqual(await snapshot(page), before);

    // A restart on the same data directory: still there, with the same token. (The port is new
    // here, and web storage is per origin, port included, so the page is opened from the printed URL again.)
    await srv.stop();
    server = await startQntx(srv.dataDir);
    assert.equal(server.token, srv.token);
    await page.goto(server.pageUrl);
    await waitForCanvas(page);
    await page.locator(ix).waitFor();
    assert.deepEqual(await snapshot(page), before);

    // Closing removes it for good.
    await page.locator(ix).getByRole('button', { name: /^Close / }).click();
    await page.locator('[data-save-status=saved]').waitFor();
    await page.reload();
    await waitForCanvas(page);
    await page.locator(ax).waitFor();
    assert.equal(await page.locator(ix).count(), 0);
  });

  it('shows attestation values as text, never as HTML', T, async () => {
    const srv = await freshServer();
    const res = await fetch(`${srv.url}/api/as`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...srv.auth },
      body: JSON.stringify({ subjects: [XSS], predicates: ['xss-probe'], contexts: ['e2e'], attributes: { note: XSS } }),
    });
    assert.equal(res.status, 201);
    const { page, dialogs } = await openCanvas(browser, srv);
    const ax = await spawnGlyph(page, 'ax');
    await page.locator(ax).getByRole('button', { name: 'Advanced' }).click();
    await page.locator(ax).getByLabel('Predicate').fill('xss-probe');
    await page.locator(ax).getByRole('button', { name: 'Search' }).click();
    await until('the probe row', async () => (await page.locator(`${ax} tbody tr`).count()) === 1);
    const row = await page.locator(`${ax} tbody tr`).innerText();
    assert.ok(row.includes(XSS), row);
    await noInjectedImages(page);
    assert.deepEqual(dialogs, []);
  });

  it('shows script output of a Python run as text, never as HTML', T, async () => {
    const { page, dialogs } = await openCanvas(browser, await freshServer());
    const py = await spawnGlyph(page, 'py');
    await replaceCode(page, py, `print("${XSS}")\n`);
    await page.keyboard.press('ControlOrMeta+Enter');
    await page.locator(`${py} [data-run]`).waitFor({ timeout: 20_000 });
    const out = await page.locator(`${py} .py-output`).innerText();
    assert.ok(out.includes(XSS), out);
    await noInjectedImages(page);
    assert.deepEqual(dialogs, []);
  });
});
