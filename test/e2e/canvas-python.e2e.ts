/// <reference lib="dom" />
// The Python glyph in a real browser: Try (Ctrl/Cmd-Enter) is a dry run that stores
// nothing and shows what it would attest; unsaved handler code is marked on the glyph and in the
// save pill; a syntax error's line is scrolled into view; editing clears the stale banners.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { Browser } from 'playwright-core';
import { api, browserSkipReason, launchBrowser, openCanvas, replaceCode, startQntx, until, type RunningQntx } from './harness.js';

const skip = browserSkipReason();
const T = { timeout: 120_000 };

async function count(server: RunningQntx): Promise<number> {
  const r = await api(server, 'GET', '/api/attestations/count');
  return typeof r === 'number' ? r : (r.count as number);
}

describe('the Python glyph', { skip }, () => {
  let browser: Browser;
  let server: RunningQntx;

  before(async () => {
    browser = await launchBrowser();
    server = await startQntx();
  });
  after(async () => {
    await browser?.close();
    await server?.stop({ removeData: true });
  });

  it('Try runs with args and state and writes nothing', T, async () => {
    const before = await count(server);
    const { page, pageErrors } = await openCanvas(browser, server);
    await page.click('[data-spawn=py]');
    const py = '[data-glyph-kind=py]';
    await replaceCode(
      page,
      py,
      'n = ix.state.get("n", 0)\nfor i in range(250):\n    attest(subjects=[f"try-{i}"], predicates=["tried"], contexts=[ix.args[0]])\nix.state["n"] = n + 1\nprint("tried", ix.args)\n',
    );
    await page.locator(`${py} summary`).click();
    await page.getByLabel('Arguments for Try (words, as after ix type)').fill('ctx-one');
    await page.getByLabel('State for Try (a JSON object)').fill('{"n": 41}');
    await page.locator(`${py} .cm-content`).click();
    await page.keyboard.press('ControlOrMeta+Enter');
    const result = page.locator(`${py} [data-dry-run=true]`);
    await result.waitFor({ timeout: 30_000 });
    assert.equal(await result.locator('[data-would-create]').getAttribute('data-would-create'), '250');
    assert.equal(await result.locator('.dry-table tbody tr').count(), 200, 'the first 200 are listed');
    assert.match(await result.locator('.dry-table tbody tr').first().innerText(), /try-0\s+tried\s+ctx-one/);
    const text = await result.innerText();
    assert.match(text, /tried \['ctx-one'\]/);
    assert.match(text, /"n": 41/);
    assert.match(text, /"n": 42/);
    assert.equal(await count(server), before, 'a dry run stores nothing');
    assert.deepEqual(pageErrors, []);
  });

  it('marks unsaved code, scrolls to an error line, and clears stale banners', T, async () => {
    const { page, pageErrors } = await openCanvas(browser, server);
    await page.click('[data-spawn=ix]');
    const ix = page.locator('[data-glyph-kind=ix]').first();
    await ix.locator('input[aria-label="ix command"]').fill('marked');
    await ix.locator('button.ix-run').click();
    await page.getByRole('button', { name: 'Create handler for marked' }).click();
    const handlerGlyph = page.locator('[data-glyph-kind=py]').filter({ has: page.locator('.glyph-title', { hasText: 'handler: marked' }) });
    await handlerGlyph.waitFor();
    const pySel = `[data-glyph-id="${await handlerGlyph.getAttribute('data-glyph-id')}"]`;
    const py = page.locator(pySel);
    // A new handler is not saved yet: the glyph and the save pill say so.
    await py.locator('[data-mark=unsaved]').waitFor();
    await until('the pill to count it', async () => (await page.locator('[data-unsaved-handlers]').getAttribute('data-unsaved-handlers')) === '1');
    assert.match(await page.locator('[data-unsaved-handlers]').innerText(), /1 handler unsaved/);

    // A syntax error far down: the line is marked, scrolled into view, and the editor has focus.
    const lines = Array.from({ length: 80 }, (_, i) => `x${i} = ${i}`);
    lines[0] = `# ${'a long comment '.repeat(40)}`;
    lines[69] = 'def broken(:';
    await replaceCode(page, pySel, `${lines.join('\n')}\n`);
    await page.keyboard.press('ControlOrMeta+S');
    await py.locator('[data-save=error]').waitFor({ timeout: 20_000 });
    await until('line 70 marked', async () => (await py.locator('.code-editor').getAttribute('data-error-line')) === '70');
    const marked = py.locator('.cm-error-line');
    await until('the marked line in view', async () => {
      const [lineBox, scroller] = [await marked.boundingBox(), await py.locator('.cm-scroller').boundingBox()];
      return lineBox && scroller && lineBox.y >= scroller.y && lineBox.y + lineBox.height <= scroller.y + scroller.height;
    });
    assert.ok(await py.locator('.cm-content').evaluate((el) => el.contains(document.activeElement) || el === document.activeElement), 'the editor has focus');

    // Fixing it clears the old banner and mark at once; saving clears "unsaved".
    await page.keyboard.press('End');
    await page.keyboard.press('Shift+Home');
    await page.keyboard.insertText('def fixed(): pass');
    await until('the stale banner to go', async () => (await py.locator('[data-save=error]').count()) === 0);
    assert.equal(await py.locator('.cm-error-line').count(), 0);
    await page.keyboard.press('ControlOrMeta+S');
    await py.locator('[data-save=ok]').waitFor({ timeout: 20_000 });
    await until('unsaved to go', async () => (await py.locator('[data-mark=unsaved]').count()) === 0);
    assert.equal(await page.locator('[data-unsaved-handlers]').getAttribute('data-unsaved-handlers'), '0');
    await page.keyboard.type('# more\n');
    await py.locator('[data-mark=unsaved]').waitFor();

    // Long lines wrap instead of scrolling sideways.
    const wide = await py.locator('.cm-scroller').evaluate((el) => el.scrollWidth <= el.clientWidth + 1);
    assert.ok(wide, 'no horizontal scroll');
    assert.deepEqual(pageErrors, []);
  });
});
