// The AX glyph's Watch switch in a real browser against a real `qntx serve`: a query ending in
// `so welcome` becomes a watcher owned by the glyph; a new signup runs the handler (its `welcomed`
// is stored), the Pulse panel lists the watcher "on new data" with its run; switching off removes it.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { Browser } from 'playwright-core';
import { api, browserSkipReason, launchBrowser, openCanvas, startQntx, until, type RunningQntx } from './harness.js';

const skip = browserSkipReason();
const T = { timeout: 120_000 };

const WELCOME = 'for a in ix.input:\n    attest(a["subjects"][0], "welcomed", "web-e2e", attributes={"of": a["id"]})\n';

describe('the Watch switch in a browser', { skip }, () => {
  let browser: Browser;
  let server: RunningQntx;

  before(async () => {
    browser = await launchBrowser();
    server = await startQntx();
    await api(server, 'POST', '/api/python/register-handler', { script_type: 'welcome', code: WELCOME });
  });
  after(async () => {
    await browser?.close();
    await server?.stop({ removeData: true });
  });

  it('makes a watcher of a query with so, whose runs show in Pulse, and removes it', T, async () => {
    const { page, pageErrors } = await openCanvas(browser, server);
    await page.click('[data-spawn=ax]');
    const ax = page.locator('[data-glyph-kind=ax]').first();
    const glyphId = (await ax.getAttribute('data-glyph-id'))!;
    await ax.locator('.ax-query .cm-content').click();
    await page.keyboard.type('is signup of web-e2e so welcome');
    const toggle = ax.getByRole('switch');
    await toggle.click(); // on once the server made the watcher
    await ax.locator('.ax-watch[data-watching=true]').waitFor();
    const { schedules } = await api(server, 'GET', `/api/pulse/schedules?owner=glyph:${glyphId}`);
    assert.equal(schedules.length, 1);
    assert.deepEqual([schedules[0].ats_code, schedules[0].watch], ['ax is signup of web-e2e so welcome', true]);

    await api(server, 'POST', '/api/as', { subjects: ['alice'], predicates: ['signup'], contexts: ['web-e2e'] });
    await until('alice welcomed', async () => (await api(server, 'POST', '/api/ax', { query: 'alice is welcomed' })).attestations.length === 1, 30_000);

    await page.click('[data-spawn=pulse]');
    const card = page.locator(`[data-glyph-kind=pulse] .schedule[data-schedule-id="${schedules[0].id}"]`);
    await card.waitFor();
    assert.match(await card.locator('.schedule-meta').innerText(), /on new data/);
    await until('its run in the panel', async () => (await card.locator('.exec-row[data-status=completed]').count()) >= 1 || /1 runs/.test(await card.innerText()));

    await toggle.click();
    await ax.locator('.ax-watch[data-watching=false]').waitFor();
    assert.equal((await api(server, 'GET', `/api/pulse/schedules?owner=glyph:${glyphId}`)).schedules.length, 0);
    assert.deepEqual(pageErrors, []);
  });
});
