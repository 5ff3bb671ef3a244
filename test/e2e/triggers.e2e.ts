// Triggers and secrets in a real browser against a real `qntx serve`: the Secrets panel (names and grants;
// set, replace, grant, revoke, delete; the value is write-only and never reaches the page again),
// the Create hook button of the Python glyph (URL shown once, and it works), hooks in the Pulse
// panel, and the cron field of the IX glyph with its next five times.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { Browser } from 'playwright-core';
import { api, browserSkipReason, launchBrowser, openCanvas, startQntx, until, type RunningQntx } from './harness.js';

const skip = browserSkipReason();
const T = { timeout: 120_000 };
const VALUE = 'e2e-secret-value-5f4e3d';

describe('triggers and secrets in a browser', { skip }, () => {
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

  it('the Secrets panel sets, replaces, grants, revokes and deletes; the value is write-only', T, async () => {
    const { page, pageErrors } = await openCanvas(browser, server);
    await page.click('[data-open=secrets]');
    const panel = page.locator('[role=dialog][aria-label=Secrets]');
    await panel.waitFor();
    await panel.locator('input[aria-label="Secret name"]').fill('api_token');
    await panel.locator('input[aria-label="Secret value"]').fill(VALUE);
    assert.equal(await panel.locator('input[aria-label="Secret value"]').getAttribute('type'), 'password');
    await panel.locator('button[type=submit]', { hasText: 'Set' }).click();
    const row = panel.locator('[data-secret=API_TOKEN]');
    await row.waitFor();
    assert.equal(await panel.locator('input[aria-label="Secret value"]').inputValue(), '', 'the field is cleared');

    await row.locator('input[aria-label="Grant API_TOKEN to type"]').fill('gh');
    await row.locator('button', { hasText: 'Grant' }).click();
    await row.locator('[data-grant=gh]').waitFor();
    let listed = await api(server, 'GET', '/api/secrets');
    assert.deepEqual(listed.secrets.map((s: any) => [s.name, s.grants]), [['API_TOKEN', ['gh']]]);

    await row.locator('button', { hasText: 'Replace' }).click();
    await row.locator('input[aria-label="New value of API_TOKEN"]').fill(VALUE + '-2');
    await row.locator('button', { hasText: 'Save' }).click();
    const updated = await until('the value replaced', async () => {
      const l = await api(server, 'GET', '/api/secrets');
      return l.secrets[0].updated_at > listed.secrets[0].updated_at ? l : undefined;
    });
    assert.deepEqual(updated.secrets[0].grants, ['gh'], 'grants stay');

    // Nothing of the value is in the page: not the DOM, not an input.
    const html = await page.content();
    assert.ok(!html.includes(VALUE));

    await row.locator('button[aria-label="Revoke gh"]').click();
    await until('the grant revoked', async () => (await api(server, 'GET', '/api/secrets')).secrets[0].grants.length === 0);
    await row.locator('button[aria-label="Delete API_TOKEN"]').click();
    await row.waitFor({ state: 'detached' });
    listed = await api(server, 'GET', '/api/secrets');
    assert.deepEqual(listed.secrets, []);
    assert.deepEqual(pageErrors, []);
    await page.close();
  });

  it('Create hook on the Python glyph shows its URL once; a POST to it runs; the Pulse panel lists it', T, async () => {
    await api(server, 'POST', '/api/python/register-handler', { script_type: 'gh', code: 'attest("hooked", "got", str(ix.input.get("n")))\n' });
    await api(server, 'PUT', '/api/canvas/glyphs/py-hook', { kind: 'py', x: 80, y: 80, width: 520, height: 420, data: { code: 'pass\n', handlerFor: 'gh' }, version: 0 });
    const { page, pageErrors } = await openCanvas(browser, server);
    const glyph = page.locator('[data-hook-for=gh]');
    await glyph.waitFor();
    await glyph.locator('button', { hasText: 'Create hook' }).click();
    const url = await glyph.locator('[data-testid=hook-url]').innerText();
    assert.match(url, /^http:\/\/127\.0\.0\.1:\d+\/hooks\/gh\/[A-Za-z0-9_-]{43}$/);
    const res = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"n": 42}' });
    assert.equal(res.status, 202);
    const { execution_id } = (await res.json()) as { execution_id: string };
    await until('the hook run', async () => (await api(server, 'GET', `/api/pulse/executions/${execution_id}`)).status === 'completed');
    const att = await api(server, 'GET', '/api/attestations?subjects=hooked');
    assert.deepEqual(att.attestations[0].contexts, ['42']);

    await page.click('[data-spawn=pulse]');
    const listedHook = page.locator('.pulse-hooks [data-hook-id]');
    await listedHook.waitFor();
    assert.match(await listedHook.innerText(), /ix gh · 1 delivery/);
    await until('the delivery status', async () => (await listedHook.locator(`[data-execution-id="${execution_id}"]`).count()) > 0 ? true : undefined);
    await glyph.locator('button', { hasText: 'Done' }).click();
    assert.ok(!(await page.content()).includes(url.split('/').pop()!), 'the URL is gone once dismissed');
    await page.reload();
    await page.locator('[data-hook-for=gh]').waitFor();
    assert.ok(!(await page.content()).includes(url.split('/').pop()!), 'and is not shown again');
    assert.deepEqual(pageErrors, []);
    await page.close();
  });

  it('the IX glyph previews the next five cron times and schedules with cron', T, async () => {
    await api(server, 'POST', '/api/python/register-handler', { script_type: 'daily', code: 'pass\n' });
    const { page, pageErrors } = await openCanvas(browser, server);
    await page.click('[data-spawn=ix]');
    const ix = page.locator('[data-glyph-kind=ix]').first();
    await ix.locator('input[aria-label="ix command"]').fill('daily');
    await ix.locator('input[aria-label="Cron expression (instead of the interval)"]').fill('0 9 * * 1-5');
    await ix.locator('input[aria-label="Cron time zone"]').fill('Europe/Berlin');
    const next = ix.locator('[data-testid=cron-next] li');
    await until('five times', async () => ((await next.count()) === 5 ? true : undefined));
    // The times are the zone's own, named (the browser's zone here is not Berlin's): 9:00 each.
    assert.equal(await ix.locator('[data-testid=cron-next]').getAttribute('aria-label'), 'Next run times, Europe/Berlin time');
    for (const t of await next.allInnerTexts()) assert.match(t, /\b9:00\b|\b09:00\b/);
    // The cron replaces the interval: neither Once nor Every stays selected.
    assert.equal(await ix.getByLabel('Once').isChecked(), false);
    assert.equal(await ix.getByLabel('Once').isDisabled(), true);
    await ix.locator('input[aria-label="Cron expression (instead of the interval)"]').fill('0 9 * *');
    await ix.locator('[role=alert]', { hasText: 'invalid cron expression' }).waitFor();
    await ix.locator('input[aria-label="Cron expression (instead of the interval)"]').fill('0 9 * * 1-5');
    await until('five times again', async () => ((await next.count()) === 5 ? true : undefined));
    await ix.locator('button.ix-run').click();
    const made = await until('the cron schedule', async () => {
      const { schedules } = await api(server, 'GET', '/api/pulse/schedules?limit=10');
      return (schedules as Array<{ ats_code: string; cron: string | null; timezone: string | null }>).find((x) => x.ats_code === 'ix daily');
    });
    assert.deepEqual([made.cron, made.timezone], ['0 9 * * 1-5', 'Europe/Berlin']);
    assert.deepEqual(pageErrors, []);
    await page.close();
  });
});
