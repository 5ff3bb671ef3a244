// The AX glyph in a real browser against a real `qntx serve`: the query line colours its clauses,
// completes keywords and stored values, finds what a handler attested, shows the sameness panel,
// marks errors where they are, keeps the query with the glyph, mirrors it in the advanced fields,
// and `so <type>` hands the results to a handler.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { Browser, Page } from 'playwright-core';
import { api, browserSkipReason, launchBrowser, openCanvas, startQntx, until, waitForCanvas, type RunningQntx } from './harness.js';

const skip = browserSkipReason();
const T = { timeout: 120_000 };

// Two readings of one sensor by the same handler a day apart: an evolution.
const PINGER = `
import datetime
base = datetime.datetime(2026, 1, 1, tzinfo=datetime.timezone.utc)
attest("sensor-1", "pinged", "e2e-ax", attributes={"value": 1}, timestamp=base)
attest("sensor-1", "pinged", "e2e-ax", attributes={"value": 2}, timestamp=base + datetime.timedelta(days=1))
attest("sensor-2", "pinged", "e2e-ax", attributes={"value": 7}, timestamp=base)
`;
const ECHO = `
for a in ix.input:
    attest(a["subjects"][0], "echoed", "e2e-ax", attributes={"of": a["id"]})
`;


async function spawnAx(page: Page): Promise<string> {
  const before = await page.locator('[data-glyph-kind=ax]').count();
  await page.click('[data-spawn=ax]');
  const el = page.locator('[data-glyph-kind=ax]').nth(before);
  await el.waitFor();
  return `[data-glyph-id="${await el.getAttribute('data-glyph-id')}"]`;
}

describe('the AX glyph in a browser', { skip }, () => {
  let browser: Browser;
  let server: RunningQntx;

  before(async () => {
    browser = await launchBrowser();
    server = await startQntx();
    for (const [type, code] of [['e2e-pinger', PINGER], ['e2e-echo', ECHO]]) {
      await api(server, 'POST', '/api/python/register-handler', { script_type: type, code });
    }
    await api(server, 'POST', '/api/pulse/schedules', { ats_code: 'ix e2e-pinger', interval_seconds: 0 });
    await until('the handler to attest', async () => (await api(server, 'POST', '/api/ax', { query: 'is pinged', all: true })).attestations.length === 3, 30_000);
  });
  after(async () => {
    await browser?.close();
    await server?.stop({ removeData: true });
  });

  it('colours, completes, finds what the handler attested, and shows the sameness panel', T, async () => {
    const { page, dialogs, pageErrors } = await openCanvas(browser, server);
    const ax = await spawnAx(page);
    const line = page.locator(`${ax} .ax-query .cm-content`);
    await line.click();

    // Completion of stored values: "is pin" offers the predicate the handler wrote.
    await page.keyboard.type('is pin');
    const options = page.locator(`${ax} .cm-tooltip-autocomplete li`);
    await until('the completion of pinged', async () => (await options.allInnerTexts()).some((t) => t.includes('pinged')));
    await page.keyboard.press('Enter'); // accepts the completion, does not run
    await until('the accepted completion', async () => (await line.innerText()) === 'is pinged');
    // Keywords complete too, and contexts from the store.
    await page.keyboard.type(' o');
    await until('the keyword of', async () => (await options.allInnerTexts()).some((t) => t.startsWith('of')));
    await page.keyboard.press('Enter');
    await page.keyboard.type(' e2e-');
    await until('the context e2e-ax', async () => (await options.allInnerTexts()).some((t) => t.includes('e2e-ax')));
    await page.keyboard.press('Enter');
    await page.keyboard.type(' since 2025-12');
    await until('the typed query', async () => (await line.innerText()) === 'is pinged of e2e-ax since 2025-12');

    // Highlighting: each word carries its clause.
    const kinds = await page.locator(`${ax} .ax-query [data-ax-kind]`).evaluateAll((els) => els.map((e) => `${e.textContent}:${e.getAttribute('data-ax-kind')}`));
    assert.deepEqual(kinds, ['is:keyword', 'pinged:predicates', 'of:keyword', 'e2e-ax:contexts', 'since:keyword', '2025-12:time']);
    const colour = (sel: string) => page.locator(`${ax} ${sel}`).first().evaluate((e) => e.ownerDocument.defaultView!.getComputedStyle(e).color);
    assert.notEqual(await colour('.ax-tok-keyword'), await colour('.ax-tok-predicates'));
    assert.notEqual(await colour('.ax-tok-predicates'), await colour('.ax-tok-contexts'));

    // Enter (no completion open) runs: the resolved view shows the newest reading of sensor-1.
    await page.keyboard.press('Escape');
    await page.keyboard.press('Enter');
    const rows = page.locator(`${ax} tbody tr`);
    await until('the results', async () => (await rows.count()) === 2);
    const text = (await rows.allInnerTexts()).join('\n');
    assert.match(text, /sensor-1[\s\S]*value: 2/);
    assert.doesNotMatch(text, /value: 1\b/);
    const panel = page.locator(`${ax} .ax-conflicts`);
    await panel.waitFor();
    assert.equal(await panel.locator('.ax-conflict').getAttribute('data-type'), 'evolution');
    assert.match(await panel.innerText(), /sensor-1 · pinged/);
    assert.equal(await panel.locator('[data-claim=winner]').count(), 1);
    assert.equal(await panel.locator('[data-claim=dropped]').count(), 1);
    // All matches shows the evolved-away reading too.
    await page.locator(`${ax} .ax-all input`).check();
    await until('every match', async () => (await rows.count()) === 3);

    assert.deepEqual(dialogs, []);
    assert.deepEqual(pageErrors, []);
  });

  it('marks an error where it is, keeps the query with the glyph, and mirrors it in the advanced fields', T, async () => {
    const { page, pageErrors } = await openCanvas(browser, server);
    const ax = await spawnAx(page);
    const line = page.locator(`${ax} .ax-query .cm-content`);
    await line.click();
    await page.keyboard.type('sensor-1 since blorp');
    await page.keyboard.press('Escape');
    await page.keyboard.press('Enter');
    const alert = page.locator(`${ax} .form-error`);
    await until('the error', async () => (await alert.count()) === 1 && /cannot read 'blorp' as a time at column 16/.test(await alert.innerText()));
    assert.equal(await page.locator(`${ax} .ax-error-mark`).innerText(), 'blorp');

    // Fix it; the glyph keeps the query across a reload.
    await page.keyboard.press('ControlOrMeta+A');
    await page.keyboard.type('sensor-2 is pinged');
    await page.keyboard.press('Escape');
    await page.keyboard.press('Enter');
    await until('sensor-2', async () => (await page.locator(`${ax} tbody tr`).count()) === 1);
    await until('the query to be saved', async () => {
      const glyphs = await api(server, 'GET', '/api/canvas');
      return glyphs.glyphs.some((g: any) => g.kind === 'ax' && g.data.query === 'sensor-2 is pinged');
    });
    await page.reload();
    await waitForCanvas(page);
    const restored = page.locator(`${ax} .ax-query .cm-content`);
    await until('the restored query', async () => (await restored.innerText()) === 'sensor-2 is pinged');
    await until('its results', async () => (await page.locator(`${ax} tbody tr`).count()) === 1);

    // The advanced view shows the same filter; editing a field rewrites the query line.
    await page.locator(ax).getByRole('button', { name: 'Advanced' }).click();
    assert.equal(await page.locator(ax).getByLabel('Subject').inputValue(), 'sensor-2');
    assert.equal(await page.locator(ax).getByLabel('Predicate').inputValue(), 'pinged');
    await page.locator(ax).getByLabel('Subject').fill('sensor-1, sensor-2');
    await until('the rewritten query', async () => (await restored.innerText()) === 'sensor-1 sensor-2 is pinged');
    await page.locator(ax).getByRole('button', { name: 'Search' }).click();
    await until('both sensors', async () => (await page.locator(`${ax} tbody tr`).count()) === 2);
    assert.deepEqual(pageErrors, []);
  });

  it('so <type> hands the results to a handler, and the glyph finds what it attested', T, async () => {
    const { page, pageErrors } = await openCanvas(browser, server);
    const ax = await spawnAx(page);
    await page.locator(`${ax} .ax-query .cm-content`).click();
    await page.keyboard.type('is pinged so e2e-echo');
    await page.keyboard.press('Escape');
    await page.keyboard.press('Enter');
    await until('the action to start', async () => /started e2e-echo/.test(await page.locator(`${ax} .ax-pager`).innerText()));
    assert.equal(await page.locator(`${ax} [data-ax-kind=type]`).innerText(), 'e2e-echo');
    await page.keyboard.press('ControlOrMeta+A');
    await page.keyboard.type('is echoed');
    await page.keyboard.press('Escape');
    await page.keyboard.press('Enter');
    // Attested once per reading the query found (three), by the echo handler's run.
    await page.locator(`${ax} .ax-all input`).check();
    await until('what the echo handler attested', async () => (await page.locator(`${ax} tbody tr`).count()) === 3, 30_000);
    const schedules = await api(server, 'GET', '/api/pulse/schedules');
    const list = Array.isArray(schedules) ? schedules : schedules.schedules ?? schedules.items;
    assert.ok(list.some((s: any) => s.ats_code === 'ax is pinged so e2e-echo'), 'one schedule, made once (refreshes start no action)');
    const made = list.filter((s: any) => s.ats_code === 'ax is pinged so e2e-echo');
    assert.equal(made.length, 1);
    assert.equal(`[data-glyph-id="${made[0].created_from}"]`, ax, 'the schedule names the glyph it came from');
    assert.deepEqual(pageErrors, []);
  });
});
