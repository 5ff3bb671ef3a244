// Handler versions in a real browser: the list says who saved each version and when,
// two versions diff side by side (@codemirror/merge), Restore saves an old version as a new one;
// a removed handler shows "no handler (removed …)" in Versions and in the IX glyph, with
// "Restore last version".
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { Browser } from 'playwright-core';
import { api, browserSkipReason, launchBrowser, openCanvas, startQntx, until, type RunningQntx } from './harness.js';

const skip = browserSkipReason();
const T = { timeout: 120_000 };

describe('handler versions', { skip }, () => {
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

  it('lists, diffs and restores versions; a removed handler can be restored from the IX glyph', T, async () => {
    await api(server, 'POST', '/api/python/register-handler', { script_type: 'vers', code: 'print("one")\n' });
    await api(server, 'POST', '/api/python/register-handler', { script_type: 'vers', code: 'print("two")\nprint("more")\n' });
    await api(server, 'PUT', '/api/canvas/glyphs/py-vers', { kind: 'py', x: 520, y: 100, width: 640, height: 520, data: { code: 'print("two")\nprint("more")\n', handlerFor: 'vers' }, version: 0 });
    await api(server, 'PUT', '/api/canvas/glyphs/ix-vers', { kind: 'ix', x: 40, y: 100, width: 420, height: 380, data: { command: 'vers' }, version: 0 });
    const { page, pageErrors } = await openCanvas(browser, server);
    const py = page.locator('[data-glyph-id="py-vers"]');
    await py.getByRole('button', { name: 'Versions' }).click();
    const v1 = py.locator('.version-list li[data-version="1"]');
    await v1.waitFor();
    assert.match(await v1.innerText(), /v1/);
    assert.match(await v1.locator('.version-who').innerText(), /\w+ · \d{4}-\d\d-\d\d \d\d:\d\d/);
    assert.equal(await py.locator('.version-list li[data-version="2"] .tag').innerText(), 'current');

    // Side by side: v1 ↔ v2.
    await py.getByLabel('Compare version 1').check();
    await py.getByLabel('Compare version 2').check();
    await py.getByRole('button', { name: 'Compare v1 ↔ v2' }).click();
    const diff = page.getByRole('dialog', { name: /Version 1 and version 2/ });
    await diff.waitFor();
    await diff.locator('.cm-mergeView').waitFor();
    assert.match(await diff.locator('.cm-merge-a').innerText(), /one/);
    assert.match(await diff.locator('.cm-merge-b').innerText(), /more/);
    assert.ok((await diff.locator('.cm-changedLine, .cm-changedText, .cm-deletedChunk').count()) > 0, 'the change is highlighted');
    await page.keyboard.press('Escape');
    await until('the diff to close', async () => (await diff.count()) === 0);

    // Restore v1: a new version 3 with v1's code, now in the editor.
    await py.getByRole('button', { name: 'Restore version 1' }).click();
    await until('version 3 current', async () => (await py.locator('.version-list li[data-version="3"] .tag').count()) === 1);
    const h = await api(server, 'GET', '/api/handlers/vers');
    assert.equal(h.current.version, 3);
    assert.equal(h.current.code, 'print("one")\n');
    assert.match(await py.locator('.cm-content').innerText(), /one/);

    // Removed: the IX glyph says so and brings the last version back.
    await api(server, 'DELETE', '/api/handlers/vers');
    const ix = page.locator('[data-glyph-id="ix-vers"]');
    await ix.locator('button.ix-run').click();
    const note = ix.locator('.removed-note');
    await note.waitFor({ timeout: 20_000 });
    assert.match(await note.innerText(), /No handler \(removed .*was v3\)/);
    await py.getByRole('button', { name: 'Versions' }).click();
    await py.getByRole('button', { name: 'Versions' }).click();
    await py.locator('.py-versions .removed-note').waitFor();
    assert.equal(await py.locator('.version-list .tag').count(), 0, 'no version is current while removed');
    await note.getByRole('button', { name: 'Restore last version' }).click();
    await until('the handler back', async () => (await api(server, 'GET', '/api/handlers/vers')).current?.version === 4);
    await until('the IX glyph to run again and turn green', async () => (await ix.locator('.ix-status').getAttribute('data-state')) === 'success', 30_000);
    assert.deepEqual(pageErrors, []);
  });

  it('shows a schedule paused for failing, with its reason, in the IX glyph and Pulse, and resumes it', T, async () => {
    await api(server, 'POST', '/api/python/register-handler', { script_type: 'failing', code: 'raise RuntimeError("always fails")\n' });
    const s = await api(server, 'POST', '/api/pulse/schedules', { ats_code: 'ix failing', interval_seconds: 3600, max_failures: 1, owner: 'glyph:ix-failing', created_from: 'ix-failing' });
    await until('paused for failing', async () => (await api(server, 'GET', `/api/pulse/schedules/${s.id}`)).state === 'paused');
    await api(server, 'PUT', '/api/canvas/glyphs/ix-failing', { kind: 'ix', x: 40, y: 1200, width: 420, height: 380, data: { command: 'failing', repeat: true, every: 1, unit: 'h', scheduleId: s.id }, version: 0 });
    const { page, pageErrors } = await openCanvas(browser, server);
    const ix = page.locator('[data-glyph-id="ix-failing"]');
    await ix.locator('[data-testid=paused-reason]').waitFor({ state: 'attached' });
    assert.match(await ix.locator('[data-testid=paused-reason]').textContent() ?? '', /Paused: failing: .*always fails/);
    await page.click('[data-spawn=pulse]');
    const card = page.locator(`.schedule[data-schedule-id="${s.id}"]`);
    await card.waitFor({ state: 'attached' });
    assert.match(await card.locator('[data-testid=paused-reason]').textContent() ?? '', /always fails/);
    await ix.getByRole('button', { name: 'Resume' }).focus();
    await page.keyboard.press('Enter');
    await until('active again', async () => (await api(server, 'GET', `/api/pulse/schedules/${s.id}`)).state !== 'paused' || (await api(server, 'GET', `/api/pulse/schedules/${s.id}`)).consecutive_failures > 1);
    assert.deepEqual(pageErrors, []);
  });
});
