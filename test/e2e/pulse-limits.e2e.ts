// Pulse's limits in a real browser against a real `qntx serve`: the IX glyph sets a schedule's own
// timeout, and the Pulse glyph says why a schedule was paused for failing.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { Browser } from 'playwright-core';
import { api, browserSkipReason, launchBrowser, openCanvas, startQntx, until, type RunningQntx } from './harness.js';

const skip = browserSkipReason();
const T = { timeout: 120_000 };


describe('pulse limits in a browser', { skip }, () => {
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

  it('sets a timeout from the IX glyph and shows why a failing schedule was paused', T, async () => {
    await api(server, 'POST', '/api/python/register-handler', { script_type: 'broken', code: 'raise RuntimeError("always fails")\n' });
    await api(server, 'POST', '/api/python/register-handler', { script_type: 'slowish', code: 'pass\n' });
    const s = await api(server, 'POST', '/api/pulse/schedules', { ats_code: 'ix broken', interval_seconds: 3600, max_failures: 1 });
    await until('the schedule to be paused', async () => (await api(server, 'GET', `/api/pulse/schedules/${s.id}`)).state === 'paused');

    const { page, pageErrors } = await openCanvas(browser, server);
    await page.click('[data-spawn=pulse]');
    const card = page.locator(`.schedule[data-schedule-id="${s.id}"]`);
    await card.waitFor();
    assert.match(await card.locator('[data-testid=paused-reason]').innerText(), /Paused: failing: .*always fails/);

    await page.click('[data-spawn=ix]');
    const ix = page.locator('[data-glyph-kind=ix]').first();
    await ix.locator('input[aria-label="ix command"]').fill('slowish');
    await ix.locator('input.ix-timeout').fill('600');
    await ix.locator('button.ix-run').click();
    const made = await until('the schedule with its timeout', async () => {
      const { schedules } = await api(server, 'GET', '/api/pulse/schedules?limit=10');
      return (schedules as Array<{ ats_code: string; timeout_seconds: number | null }>).find((x) => x.ats_code === 'ix slowish');
    }).catch(async (err: Error) => {
      // What the glyph shows, holds and the server has: a Run that never reached the server says why.
      const status = await ix.locator('.ix-status').innerText().catch(() => '?');
      const formError = await ix.locator('.form-error').allInnerTexts();
      const cmd = await ix.locator('input[aria-label="ix command"]').inputValue().catch(() => '?');
      const glyphs = await api(server, 'GET', '/api/canvas').catch(() => '?');
      const schedules = await api(server, 'GET', '/api/pulse/schedules?limit=10').catch(() => '?');
      throw new Error(`${err.message}; status ${JSON.stringify(status)}, form error ${JSON.stringify(formError)}, command ${JSON.stringify(cmd)}, glyphs ${JSON.stringify(glyphs)}, schedules ${JSON.stringify(schedules)}`);
    });
    assert.equal(made.timeout_seconds, 600);
    assert.deepEqual(pageErrors, []);
  });
});
