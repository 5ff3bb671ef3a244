// The canvas by keyboard, in a real browser against a real `qntx serve`: Enter on a result row opens
// its drawer and Escape brings focus back to the row; Run keeps the focus while it runs.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { Browser, Page } from 'playwright-core';
import { api, browserSkipReason, launchBrowser, openCanvas, startQntx, until, type RunningQntx } from './harness.js';

const skip = browserSkipReason();
const T = { timeout: 120_000 };

/** What has the focus: its tag and classes, or "body". */
const focused = (page: Page) =>
  page.evaluate(() => {
    const el = document.activeElement;
    return !el || el === document.body ? 'body' : `${el.tagName.toLowerCase()}.${Array.from(el.classList).join('.')}`;
  });

describe('the canvas by keyboard', { skip }, () => {
  let browser: Browser;
  let server: RunningQntx;

  before(async () => {
    browser = await launchBrowser();
    server = await startQntx();
    await api(server, 'POST', '/api/python/register-handler', { script_type: 'keys', code: 'attest("k-1", "pressed", "keyboard")\nattest("k-2", "pressed", "keyboard")\n' });
    await api(server, 'POST', '/api/pulse/schedules', { ats_code: 'ix keys', interval_seconds: 0 });
    await until('the handler to attest', async () => (await api(server, 'POST', '/api/ax', { query: 'is pressed' })).attestations.length === 2, 30_000);
  });
  after(async () => {
    await browser?.close();
    await server?.stop({ removeData: true });
  });

  it('opens a row with Enter, returns to it with Escape, and keeps focus on Run', T, async () => {
    const { page, pageErrors } = await openCanvas(browser, server);
    await page.click('[data-spawn=ax]');
    const ax = page.locator('[data-glyph-kind=ax]').first();
    await ax.locator('.ax-query .cm-content').click();
    await page.keyboard.type('is pressed');
    await page.keyboard.press('Enter');
    const row = ax.locator('tr.ax-row').first();
    await row.waitFor();
    const id = await row.getAttribute('data-attestation-id');
    await row.focus();
    await page.keyboard.press('Enter');
    await ax.locator(`.ax-drawer[data-drawer-id="${id}"]`).waitFor();
    assert.notEqual(await focused(page), 'body', 'focus stays in the drawer');
    await page.keyboard.press('Escape');
    await until('the drawer closed', async () => (await ax.locator('.ax-drawer').count()) === 0);
    // The row takes the focus on the frame after the drawer is gone.
    await until('focus back on the row', async () => (await page.evaluate(() => document.activeElement?.getAttribute('data-attestation-id') ?? null)) === id).catch(async (err: Error) => {
      throw new Error(`${err.message}; focus is on ${await focused(page)}`);
    });

    await page.click('[data-spawn=ix]');
    const ix = page.locator('[data-glyph-kind=ix]').first();
    await ix.locator('input[aria-label="ix command"]').fill('keys');
    await ix.locator('button.ix-run').focus();
    await page.keyboard.press('Enter');
    await until('the run to end', async () => (await ix.locator('.ix-status').getAttribute('data-state')) === 'success', 30_000);
    assert.equal(await focused(page), 'button.button.primary.ix-run', 'Run keeps the focus');
    assert.deepEqual(pageErrors, []);
  });
});
