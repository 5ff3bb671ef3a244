/// <reference lib="dom" />
// The attestation browser in a real browser: system attestations hidden by default,
// totals equal the API's count, a row opens a drawer with provenance links (run → handler version
// → code), ids are short and copy whole, columns resize, and the export buttons download the filter.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import { after, before, describe, it } from 'node:test';
import type { Browser } from 'playwright-core';
import { api, browserSkipReason, launchBrowser, openCanvas, startQntx, until, type RunningQntx } from './harness.js';

const skip = browserSkipReason();
const T = { timeout: 120_000 };

describe('the attestation browser', { skip }, () => {
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

  it('hides system rows, counts like the API, opens provenance, copies ids, resizes and exports', T, async () => {
    await api(server, 'POST', '/api/python/register-handler', {
      script_type: 'browse',
      code: 'for i in range(3):\n    attest(subjects=[f"browse-{i}"], predicates=["browsed"], contexts=["shelf"], attributes={"i": i, "deep": {"k": [1, 2]}})\n',
    });
    const s = await api(server, 'POST', '/api/pulse/schedules', { ats_code: 'ix browse', interval_seconds: 0 });
    await until('the run to finish', async () => (await api(server, 'GET', `/api/pulse/schedules/${s.id}`)).last_status === 'completed');
    const dataCount = (await api(server, 'GET', '/api/attestations/count?exclude_system=true')).count as number;
    const allCount = (await api(server, 'GET', '/api/attestations/count')).count as number;
    assert.ok(allCount > dataCount, 'the handler version is a system attestation');

    const { page, pageErrors } = await openCanvas(browser, server);
    await page.context().grantPermissions(['clipboard-read', 'clipboard-write']);
    await page.click('[data-spawn=ax]');
    const ax = page.locator('[data-glyph-kind=ax]').first();
    await until('the rows', async () => (await ax.locator('tbody tr.ax-row').count()) === dataCount);
    assert.equal(await ax.locator('.ax-total').getAttribute('data-total'), String(dataCount));
    assert.equal(await ax.locator('tbody tr.ax-row', { hasText: 'ix_handler' }).count(), 0, 'system rows hidden');
    await ax.getByLabel('hide system').uncheck();
    await until('system rows shown', async () => (await ax.locator('.ax-total').getAttribute('data-total')) === String(allCount));
    await ax.getByLabel('hide system').check();
    await until('hidden again', async () => (await ax.locator('.ax-total').getAttribute('data-total')) === String(dataCount));

    // Short ids, copied whole.
    const row = ax.locator('tbody tr.ax-row', { hasText: 'browse-1' });
    const id = (await row.getAttribute('data-attestation-id'))!;
    const shown = await row.locator('.ax-id span').innerText();
    assert.ok(shown.length < id.length, `${shown} is shorter than ${id}`);
    await row.getByRole('button', { name: `Copy id ${id}` }).click();
    await until('the whole id on the clipboard', async () => (await page.evaluate(() => navigator.clipboard.readText())) === id);
    assert.equal(await row.locator('.copy-id').innerText(), 'copied');

    // Columns resize by their edge.
    const th = ax.locator('th[data-col=Subject]');
    const before = (await th.boundingBox())!.width;
    const handle = (await th.locator('.col-resize').boundingBox())!;
    await page.mouse.move(handle.x + 3, handle.y + handle.height / 2);
    await page.mouse.down();
    await page.mouse.move(handle.x + 83, handle.y + handle.height / 2, { steps: 4 });
    await page.mouse.up();
    assert.ok((await th.boundingBox())!.width > before + 40, 'the column grew');

    // Export: the buttons download the current filter (system rows hidden), fetched with the
    // page's Bearer header: no link holds a credential, so a plain GET of the route is refused.
    const download = async (name: string) => {
      const [file] = await Promise.all([page.waitForEvent('download'), ax.getByRole('button', { name }).click()]);
      assert.equal(file.suggestedFilename(), `attestations.${name.toLowerCase()}`);
      return fs.readFileSync((await file.path())!, 'utf8');
    };
    assert.equal((await download('JSONL')).trim().split('\n').length, dataCount);
    assert.equal((await download('CSV')).trim().split('\n').length, dataCount + 1, 'a header and a line each');
    assert.equal(await page.evaluate(async () => (await fetch('/api/attestations/export?format=jsonl')).status), 401);
    // A row opens its drawer: the fields, attributes as JSON, provenance links.
    await row.click();
    const drawer = ax.getByRole('dialog', { name: `Attestation ${id}` });
    await drawer.waitFor();
    await drawer.locator('[data-prov=handler] button').waitFor();
    assert.match(await drawer.locator('.ax-attrs-json').innerText(), /"deep": \{\n\s+"k": \[/);
    assert.match(await drawer.locator('[data-prov=run]').innerText(), /run EX|run \w+/);
    assert.match(await drawer.locator('[data-prov=handler]').innerText(), /browse v1/);
    await drawer.getByRole('button', { name: 'Show its code' }).click();
    assert.match(await drawer.locator('[data-prov=code] pre').innerText(), /attest\(subjects=/);
    await drawer.getByRole('button', { name: /Show run .* in the Pulse panel/ }).click();
    await page.locator('[data-glyph-kind=pulse]').waitFor({ state: 'attached' });
    // The new Pulse panel moved the view: the keyboard reaches the drawer wherever it is.
    // locator.press focuses and presses in one step (a glyph that opens meanwhile cannot take the key).
    await drawer.getByRole('button', { name: /^Open handler browse v\d+ in a Python glyph$/ }).press('Enter');
    await until('the handler in a Python glyph', async () => (await page.locator('[data-glyph-kind=py] .glyph-title', { hasText: 'handler: browse' }).count()) === 1);
    await drawer.getByRole('button', { name: 'Close' }).press('Enter');
    await until('the drawer to close', async () => (await drawer.count()) === 0);

    assert.deepEqual(pageErrors, []);
  });
});
