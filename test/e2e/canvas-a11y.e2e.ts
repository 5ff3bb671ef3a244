/// <reference lib="dom" />
// Accessibility in a real browser: axe-core (injected through playwright-core) finds no
// serious or critical violation on a canvas with every kind of glyph, and the seed's flow works
// with the keyboard alone (palette, Tab, Enter, Ctrl+S).
import assert from 'node:assert/strict';
import fs from 'node:fs';
import { createRequire } from 'node:module';
import { after, before, describe, it } from 'node:test';
import type { Browser, Page } from 'playwright-core';
import { api, browserSkipReason, launchBrowser, openCanvas, startQntx, until, type RunningQntx } from './harness.js';

const skip = browserSkipReason();
const T = { timeout: 180_000 };
const AXE = createRequire(import.meta.url).resolve('axe-core/axe.min.js');

interface AxeViolation {
  id: string;
  impact: string | null;
  help: string;
  nodes: Array<{ target: unknown[]; failureSummary?: string }>;
}

async function seriousViolations(page: Page): Promise<AxeViolation[]> {
  // The page's CSP (script-src 'self') refuses an injected <script>; evaluating through the
  // DevTools protocol is not a page script, so axe-core's source runs as it is.
  await page.evaluate(fs.readFileSync(AXE, 'utf8'));
  const res = await page.evaluate(async () => {
    const axe = (window as unknown as { axe: { run(ctx: unknown, opts: unknown): Promise<{ violations: AxeViolation[] }> } }).axe;
    return axe.run(document, { resultTypes: ['violations'] });
  });
  return res.violations.filter((v) => v.impact === 'serious' || v.impact === 'critical');
}

/** Key presses of the flow, typed text aside (a user types that whatever the interface). */
let presses = 0;
async function press(page: Page, key: string): Promise<void> {
  presses++;
  await page.keyboard.press(key);
}

/** Ctrl+K, then the command typed once the palette has focus, then Enter. */
async function command(page: Page, text: string): Promise<void> {
  await press(page, 'ControlOrMeta+K');
  await until('the palette', async () => page.evaluate(() => document.activeElement?.classList.contains('palette-input')));
  await page.keyboard.type(text);
  await press(page, 'Enter');
  await until('the palette to close', async () => (await page.locator('.palette').count()) === 0);
}

function describeViolations(vs: AxeViolation[]): string {
  return vs.map((v) => `${v.impact} ${v.id}: ${v.help}\n  ${v.nodes.slice(0, 4).map((n) => `${JSON.stringify(n.target)} ${n.failureSummary?.split('\n')[1] ?? ''}`).join('\n  ')}`).join('\n');
}

/** axe-core in one state of the page, glyph bodies shown (no title cards): what it finds, named. */
async function axeAt(page: Page, state: string, found: string[]): Promise<void> {
  // After a spawn or a focus the view pans (and may zoom) for 250–300 ms: look at the page at rest.
  let last = '';
  await until(`${state}: the view at rest`, async () => {
    const now = await page.evaluate(() => document.querySelector('.react-flow__viewport')?.getAttribute('style') ?? '');
    const same = now === last;
    last = now;
    return same;
  }, 10_000, 150);
  assert.equal(await page.locator('.glyph.is-compact').count(), 0, `${state}: glyph bodies visible`);
  const vs = await seriousViolations(page);
  if (vs.length) found.push(`${state}:\n${describeViolations(vs)}`);
}

describe('accessibility', { skip }, () => {
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

  it('the seed flow by keyboard alone, then axe-core finds no serious or critical violation', T, async () => {
    const { page, pageErrors } = await openCanvas(browser, server);
    const found: string[] = [];
    await axeAt(page, 'empty', found);
    // A new IX glyph from the palette; its command field has focus.
    await command(page, 'new ix');
    const ix = page.locator('[data-glyph-kind=ix]').first();
    await until('focus in the command field', async () => page.evaluate(() => document.activeElement?.getAttribute('aria-label') === 'ix command'));
    await page.keyboard.type('kbd');
    await press(page, 'Enter');
    await until('the missing handler', async () => (await ix.locator('.ix-status').getAttribute('data-state')) === 'error');
    // Tab to "Create handler for kbd", Enter: the Python glyph opens with focus in its editor.
    for (let i = 0; i < 30; i++) {
      await press(page, 'Tab');
      if (await page.evaluate(() => document.activeElement?.textContent?.includes('Create handler for kbd'))) break;
    }
    await press(page, 'Enter');
    const py = page.locator('[data-glyph-kind=py]').first();
    await py.waitFor();
    await until('focus in the editor', async () => page.evaluate(() => !!document.activeElement?.closest('.cm-content'))).catch(async (err: Error) => {
      throw new Error(`${err.message}; focus is on ${await page.evaluate(() => document.activeElement?.outerHTML.slice(0, 200))}`);
    });
    await axeAt(page, 'error + template', found);
    await press(page, 'ControlOrMeta+End');
    await page.keyboard.insertText('\nattest(subjects=["kbd-1"], predicates=["typed"], contexts=["keys"])\n');
    await press(page, 'ControlOrMeta+Enter');
    await py.locator('[data-dry-run=true]').waitFor({ timeout: 30_000 });
    await axeAt(page, 'dry run', found);
    await press(page, 'ControlOrMeta+S');
    await py.locator('[data-save=ok]').waitFor({ timeout: 20_000 });
    await until('the IX glyph to run by itself and turn green', async () => (await ix.locator('.ix-status').getAttribute('data-state')) === 'success', 30_000);
    // Pulse and AX from the palette too.
    await command(page, 'new pulse');
    await page.locator('[data-glyph-kind=pulse]').waitFor();
    await command(page, 'new ax');
    const ax = page.locator('[data-glyph-kind=ax]').first();
    await ax.waitFor();
    await until('focus in the query', async () => page.evaluate(() => !!document.activeElement?.closest('[data-glyph-kind=ax] .cm-content'))).catch(async (err: Error) => {
      throw new Error(`${err.message}; focus is on ${await page.evaluate(() => document.activeElement?.outerHTML.slice(0, 300))}`);
    });
    await page.keyboard.type('of keys');
    await press(page, 'Enter');
    await until('the attested row', async () => (await ax.locator('tbody tr.ax-row', { hasText: 'kbd-1' }).count()) === 1);
    const s = (await api(server, 'GET', '/api/pulse/schedules')).schedules;
    assert.equal(s.length, 1);
    const flowPresses = presses;
    console.log(`seed flow: ${flowPresses} key presses beyond the typed text`);
    await axeAt(page, 'the flow done', found);

    // The other states a user reaches: a row's drawer, a handler's versions, the secrets panel.
    await ax.locator('tbody tr.ax-row').first().focus();
    await page.keyboard.press('Enter');
    await ax.locator('.ax-drawer').waitFor();
    await axeAt(page, 'drawer', found);
    await page.keyboard.press('Escape');
    await command(page, 'go to handler: kbd');
    await py.getByRole('button', { name: 'Versions' }).click();
    await py.locator('.py-versions').waitFor();
    await axeAt(page, 'versions', found);
    await page.getByRole('button', { name: 'Secrets' }).click();
    await page.locator('.secrets-panel').waitFor();
    await axeAt(page, 'secrets', found);

    assert.equal(found.length, 0, found.join('\n'));
    assert.ok(flowPresses <= 60, `the seed flow took ${flowPresses} key presses beyond the typed text`);
    assert.deepEqual(pageErrors, []);
  });
});
