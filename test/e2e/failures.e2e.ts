// A handler that raises, in a real browser against a real `qntx serve`: the IX glyph says the handler
// failed (its error's first line, a link to its code), never "Create handler"; the Python glyph shows
// the scheduled run's traceback under the editor and marks the line; Pulse retries the failed run.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { Browser } from 'playwright-core';
import { api, browserSkipReason, launchBrowser, openCanvas, startQntx, until, type RunningQntx } from './harness.js';

const skip = browserSkipReason();
const T = { timeout: 120_000 };

const RAISING = ['import json', '', 'def fetch():', '    raise ValueError("upstream returned 503")', '', 'fetch()', ''].join('\n');

describe('a failing handler in a browser', { skip }, () => {
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

  it('shows where it failed: the error in IX, the traceback and line in the editor, Retry in Pulse', T, async () => {
    await api(server, 'POST', '/api/python/register-handler', { script_type: 'webhook', code: RAISING });
    const { page, pageErrors } = await openCanvas(browser, server);

    await page.click('[data-spawn=ix]');
    const ix = page.locator('[data-glyph-kind=ix]').first();
    await ix.locator('input[aria-label="ix command"]').fill('webhook');
    await ix.locator('button.ix-run').click();
    const status = ix.locator('.ix-status[data-state=error]');
    await status.waitFor();
    await until('the failure in the IX glyph', async () => /The handler failed: ValueError: upstream returned 503/.test(await status.innerText()));
    assert.match(await status.innerText(), /line 4 of webhook/);
    assert.equal(await ix.getByRole('button', { name: /Create handler/ }).count(), 0, 'a handler that raised is not a missing one');

    await ix.getByTestId('open-failed-handler').click();
    const py = page.locator('[data-glyph-kind=py]').first();
    await py.waitFor();
    const failure = py.getByTestId('scheduled-failure');
    await failure.waitFor();
    assert.match(await failure.innerText(), /failed at line 4: ValueError: upstream returned 503/);
    assert.match(await failure.innerText(), /Traceback[\s\S]*line 4, in fetch[\s\S]*ValueError: upstream returned 503/);
    // The editor loads on first need: the line is marked once it is there.
    await until('line 4 marked in the editor', async () => (await py.locator('.code-editor').getAttribute('data-error-line')) === '4');
    await py.locator('.cm-line.cm-error-line', { hasText: 'raise ValueError' }).waitFor();

    await page.click('[data-spawn=pulse]');
    const card = page.locator('[data-glyph-kind=pulse] .schedule').first();
    await card.waitFor();
    // A schedule whose last run failed opens with its runs shown.
    await card.getByRole('button', { name: 'Hide runs' }).waitFor();
    await card.getByRole('button', { name: /^Retry run / }).click();
    const schedules = (await api(server, 'GET', '/api/pulse/schedules')).schedules as Array<{ id: string }>;
    await until('a second run', async () => {
      const runs = (await api(server, 'GET', `/api/pulse/schedules/${schedules[0]!.id}/executions`)).executions as Array<{ status: string }>;
      return runs.length >= 2 && runs.every((r) => r.status !== 'running');
    });
    assert.deepEqual(pageErrors, []);
  });
});
