// The AX glyph's smaller states in a real browser against a real `qntx serve`: no total beside a
// query with a time clause (the count would ignore it), results kept after an error marked as stale,
// and the drawer's attributes box keeps its size when the handler's code is shown under it.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { Browser, Page } from 'playwright-core';
import { api, browserSkipReason, launchBrowser, openCanvas, startQntx, until, type RunningQntx } from './harness.js';

const skip = browserSkipReason();
const T = { timeout: 120_000 };

async function query(page: Page, ax: string, text: string): Promise<void> {
  await page.locator(`${ax} .ax-query .cm-content`).click();
  await page.keyboard.press('ControlOrMeta+A');
  await page.keyboard.type(text);
  await page.keyboard.press('Enter');
}

describe('the AX glyph states', { skip }, () => {
  let browser: Browser;
  let server: RunningQntx;

  before(async () => {
    browser = await launchBrowser();
    server = await startQntx();
    const code = 'for i in range(3):\n    attest("r-%d" % i, "received", "states", attributes={"n": i, "text": "x" * 40})\n';
    await api(server, 'POST', '/api/python/register-handler', { script_type: 'states', code });
    await api(server, 'POST', '/api/pulse/schedules', { ats_code: 'ix states', interval_seconds: 0 });
    await until('the handler to attest', async () => (await api(server, 'POST', '/api/ax', { query: 'is received' })).attestations.length === 3, 30_000);
  });
  after(async () => {
    await browser?.close();
    await server?.stop({ removeData: true });
  });

  it('counts only what it can, marks stale results, and keeps the attributes box', T, async () => {
    const { page, pageErrors } = await openCanvas(browser, server);
    await page.click('[data-spawn=ax]');
    const ax = `[data-glyph-id="${await page.locator('[data-glyph-kind=ax]').first().getAttribute('data-glyph-id')}"]`;

    await query(page, ax, 'is received');
    await until('the total', async () => (await page.locator(`${ax} .ax-total`).getAttribute('data-total').catch(() => null)) === '3');
    await query(page, ax, 'is received since 2030-01-01');
    await until('nothing shown', async () => /0 shown/.test(await page.locator(`${ax} .ax-pager`).innerText()));
    assert.equal(await page.locator(`${ax} .ax-total`).count(), 0, 'no total that the time clause would contradict');

    await query(page, ax, 'is received');
    await page.locator(`${ax} tr.ax-row`).first().waitFor();
    await query(page, ax, 'is received since');
    await page.locator(`${ax} [data-testid=ax-stale]`).waitFor();
    assert.match(await page.locator(`${ax} .ax-table-wrap`).getAttribute('class') ?? '', /is-stale/);
    await query(page, ax, 'is received');
    await until('fresh again', async () => (await page.locator(`${ax} [data-testid=ax-stale]`).count()) === 0);

    await page.locator(`${ax} tr.ax-row`).first().click();
    const drawer = page.locator(`${ax} .ax-drawer`);
    await drawer.getByRole('button', { name: 'Show its code' }).click();
    const box = (await drawer.locator('.ax-attrs-json').boundingBox())!;
    assert.ok(box.height >= 40, `the attributes box is ${box.height} px tall`);
    assert.deepEqual(pageErrors, []);
  });
});
