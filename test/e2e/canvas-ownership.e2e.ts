// Glyph ownership in a real browser against a real `qntx serve`: an IX glyph owns one schedule (running it
// again updates that one, never adds one), closing it asks whether to stop the schedule, every
// schedule card names the glyph that owns it with a reveal, and the Pulse card's counts are the API's.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { Browser } from 'playwright-core';
import { api, browserSkipReason, launchBrowser, openCanvas, startQntx, until, type RunningQntx } from './harness.js';

const skip = browserSkipReason();
const T = { timeout: 120_000 };

interface Sched {
  id: string;
  ats_code: string;
  state: string;
  interval_seconds: number;
  created_from: string | null;
}

async function schedulesOf(server: RunningQntx, glyphId: string): Promise<Sched[]> {
  const { schedules } = await api(server, 'GET', '/api/pulse/schedules?limit=100');
  return (schedules as Sched[]).filter((s) => s.created_from === glyphId);
}

describe('a glyph owns its schedule', { skip }, () => {
  let browser: Browser;
  let server: RunningQntx;

  before(async () => {
    browser = await launchBrowser();
    server = await startQntx();
    await api(server, 'POST', '/api/python/register-handler', {
      script_type: 'owned',
      code: 'attest(subjects=["owned-" + str(len(ix.args))], predicates=["seen"], contexts=["own"])\nprint("ok")\n',
    });
  });
  after(async () => {
    await browser?.close();
    await server?.stop({ removeData: true });
  });

  it('updates its one schedule on every Run, names it in Pulse, and asks before leaving it running', T, async () => {
    const { page, pageErrors } = await openCanvas(browser, server);
    await page.click('[data-spawn=ix]');
    const ix = page.locator('[data-glyph-kind=ix]').first();
    const glyphId = (await ix.getAttribute('data-glyph-id'))!;
    await ix.locator('input[aria-label="ix command"]').fill('owned');
    await ix.getByLabel('Every').check();
    await ix.locator('input[aria-label="Interval amount"]').fill('1');
    await ix.locator('select[aria-label="Interval unit"]').selectOption('h');
    await ix.locator('button.ix-run').click();
    const [first] = await until('one schedule', async () => {
      const l = await schedulesOf(server, glyphId);
      return l.length === 1 ? l : undefined;
    });
    await until('the first run to end', async () => (await ix.locator('.ix-status').getAttribute('data-state')) === 'success');

    // Run again with another interval: the same schedule, changed.
    await ix.locator('input[aria-label="Interval amount"]').fill('2');
    await ix.locator('button.ix-run').click();
    await until('the interval to change', async () => {
      const l = await schedulesOf(server, glyphId);
      return l.length === 1 && l[0]!.interval_seconds === 7200;
    });
    // Other args: still one schedule for this glyph.
    await ix.locator('input[aria-label="ix command"]').fill('owned a b');
    await ix.locator('button.ix-run').click();
    const after = await until('the new command', async () => {
      const l = await schedulesOf(server, glyphId);
      return l.length === 1 && l[0]!.ats_code === 'ix owned a b' ? l : undefined;
    });
    const { schedules: all } = await api(server, 'GET', '/api/pulse/schedules?limit=100');
    assert.equal((all as Sched[]).filter((s) => s.state === 'active').length, 1, 'no second schedule runs beside the first');
    assert.ok(after[0]!.id === first!.id || !(all as Sched[]).some((s) => s.id === first!.id), 'the old schedule is updated or gone');

    // The Pulse card names its owner, and "reveal" pans to it.
    const cli = await api(server, 'POST', '/api/pulse/schedules', { ats_code: 'ix owned', interval_seconds: 0 });
    await page.click('[data-spawn=pulse]');
    const card = page.locator(`.schedule[data-schedule-id="${after[0]!.id}"]`);
    await card.waitFor();
    assert.match(await card.locator('.owner-name').innerText(), /IX glyph "ix owned a b"/);
    const other = page.locator(`.schedule[data-schedule-id="${cli.id}"]`);
    await other.waitFor();
    assert.match(await other.locator('.owner-name').innerText(), /API\/CLI/);
    const labels = await page.locator('.schedule').evaluateAll((els) => els.map((e) => e.getAttribute('aria-label')));
    assert.equal(new Set(labels).size, labels.length, `schedule cards have distinct names: ${labels.join(' | ')}`);
    await card.getByRole('button', { name: /Reveal the glyph/ }).click();
    await until('the IX glyph in view', async () => {
      const box = await ix.boundingBox();
      return box && box.x >= 0 && box.y >= 0 && box.x + box.width <= 1440 && box.y + box.height <= 900;
    });

    // Counts come from the API, not from the loaded rows.
    const stats = await api(server, 'GET', `/api/pulse/schedules/${after[0]!.id}/stats`);
    assert.ok(stats.total >= 1, 'the stats route counts the runs');
    {
      await until('the counts of the API', async () => (await card.locator('.run-counts').getAttribute('data-total')) === String(stats.total));
      // The sparkline has an axis and one dot per run, each with its tooltip.
      await until('a dot per run', async () => (await card.locator('.spark-dot').count()) === Math.min(20, stats.completed + stats.failed));
      assert.ok(stats.completed + stats.failed >= 2, 'Run twice means two runs');
      assert.match(await card.locator('.spark-dot title').first().textContent() ?? '', /\d{4}-\d\d-\d\d .* · (completed|failed) · .* · \d+ attestations?/);
      assert.equal(await card.locator('.spark-axis').count(), 2);
      const show = card.getByRole('button', { name: /Show runs/ });
      if (await show.count()) await show.click();
      assert.equal(await card.locator('.exec-table th').nth(3).innerText(), 'Attestations');
    }

    // Closing asks; "Stop its schedule" pauses it.
    await ix.getByRole('button', { name: /^Close/ }).click();
    const dialog = page.getByRole('alertdialog');
    await dialog.waitFor();
    await dialog.getByRole('button', { name: 'Stop its schedule' }).click();
    await until('the schedule to stop', async () => (await api(server, 'GET', `/api/pulse/schedules/${after[0]!.id}`)).state === 'paused');
    await until('the glyph to close', async () => (await page.locator(`[data-glyph-id="${glyphId}"]`).count()) === 0);
    assert.deepEqual(pageErrors, []);
  });
});
