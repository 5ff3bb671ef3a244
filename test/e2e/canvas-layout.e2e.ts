/// <reference lib="dom" />
// The canvas as a whole in a real browser: edges appear as the flow creates glyphs
// (IX → handler → Pulse → AX); 20 glyphs added and resized never overlap; Fit View keeps them clear
// of the toolbar, pills, controls and minimap; text is never under 10 px at any zoom (title cards
// below that); the palette has actions with shortcuts and no duplicate entries.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { Browser, Locator, Page } from 'playwright-core';
import { api, browserSkipReason, launchBrowser, openCanvas, replaceCode, resizeGlyph, stable, startQntx, until, type RunningQntx } from './harness.js';

const skip = browserSkipReason();
const T = { timeout: 180_000 };

type Rect = { x: number; y: number; width: number; height: number };
const intersects = (a: Rect, b: Rect) => a.x < b.x + b.width && b.x < a.x + a.width && a.y < b.y + b.height && b.y < a.y + a.height;

async function nodeBoxes(page: Page): Promise<Array<Rect & { id: string }>> {
  return page.locator('.react-flow__node').evaluateAll((els) =>
    els.map((e) => {
      const r = e.getBoundingClientRect();
      return { id: e.getAttribute('data-id') ?? '', x: r.x, y: r.y, width: r.width, height: r.height };
    }),
  );
}

async function edgeIds(page: Page): Promise<string[]> {
  return page.locator('.react-flow__edge').evaluateAll((els) => els.map((e) => e.getAttribute('data-id') ?? ''));
}

/** Waits for an edge; when it does not come, says what the page and the server hold (for a flake's cause). */
async function untilEdge(page: Page, server: RunningQntx, consoleLog: string[], what: string, id: string): Promise<void> {
  try {
    await until(what, async () => (await edgeIds(page)).includes(id));
  } catch (err) {
    const glyphs = ((await api(server, 'GET', '/api/canvas')) as { glyphs: Array<{ id: string; kind: string; data: unknown }> }).glyphs;
    const schedules = ((await api(server, 'GET', '/api/pulse/schedules')) as { schedules: Array<{ id: string; ats_code: string; state: string }> }).schedules;
    const status = await page.locator('[data-glyph-kind=ix] .ix-status').first().textContent().catch(() => null);
    throw new Error(
      [
        (err as Error).message,
        `edges drawn: ${JSON.stringify(await edgeIds(page))}`,
        `IX status: ${status}`,
        `glyphs on the server: ${JSON.stringify(glyphs.map((g) => ({ id: g.id, kind: g.kind, data: g.kind === 'py' ? { handlerFor: (g.data as { handlerFor?: unknown }).handlerFor } : g.data })))}`,
        `schedules on the server: ${JSON.stringify(schedules.map((x) => [x.id, x.ats_code, x.state]))}`,
        `page console: ${JSON.stringify(consoleLog)}`,
      ].join('\n'),
    );
  }
}

/** How far a glyph's body scrolls sideways, and which controls lie past its right edge. */
async function sidewaysOverflow(glyph: Locator): Promise<{ scroll: number; outside: string[] }> {
  return glyph.locator('.glyph-body').evaluate((b) => {
    const box = b.getBoundingClientRect();
    const outside = Array.from(b.querySelectorAll('button, input, select, textarea'))
      .filter((c) => c.getClientRects().length && !c.closest('[hidden]'))
      .filter((c) => c.getBoundingClientRect().right > box.right + 0.5)
      .map((c) => `${c.tagName.toLowerCase()}.${c.className} "${(c.textContent ?? '').trim().slice(0, 30)}"`);
    return { scroll: b.scrollWidth - b.clientWidth, outside };
  });
}

/** Every visible text in a glyph, as rendered: its font size times the zoom. */
async function smallestText(page: Page): Promise<{ px: number; text: string; zoom: number }> {
  return page.evaluate(() => {
    const vp = document.querySelector('.react-flow__viewport') as HTMLElement;
    const zoom = new DOMMatrix(getComputedStyle(vp).transform).a;
    let min = { px: Infinity, text: '', zoom };
    const walker = document.createTreeWalker(document.querySelector('.react-flow__nodes')!, NodeFilter.SHOW_TEXT);
    for (let n = walker.nextNode(); n; n = walker.nextNode()) {
      if (!n.textContent?.trim()) continue;
      const el = n.parentElement!;
      if (!el.getClientRects().length || el.closest('[hidden]')) continue;
      const px = parseFloat(getComputedStyle(el).fontSize) * zoom;
      if (px < min.px) min = { px, text: n.textContent.trim().slice(0, 40), zoom };
    }
    return min;
  });
}

describe('the canvas layout', { skip }, () => {
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

  it('draws edges as the flow creates the glyphs', T, async () => {
    const { page, pageErrors, consoleLog } = await openCanvas(browser, server);
    await page.click('[data-spawn=ix]');
    const ix = page.locator('[data-glyph-kind=ix]').first();
    const ixId = (await ix.getAttribute('data-glyph-id'))!;
    await ix.locator('input[aria-label="ix command"]').fill('edgy');
    await ix.locator('button.ix-run').click();
    await page.getByRole('button', { name: 'Create handler for edgy' }).click();
    const py = page.locator('[data-glyph-kind=py]').first();
    await py.waitFor();
    const pyId = (await py.getAttribute('data-glyph-id'))!;
    await untilEdge(page, server, consoleLog, 'the IX → handler edge', `e-${ixId}-${pyId}`);
    // Every keystroke changes the glyph's data, and React Flow is given new node objects: the edge
    // must stay drawn throughout (it used to vanish until the next resize observation, and an edge
    // whose glyph was measured in between stayed away for good: a flake of the Pulse edge below).
    await page.evaluate((edgeId) => {
      const w = window as unknown as { edgeRemovals: number };
      w.edgeRemovals = 0;
      new MutationObserver((records) => {
        for (const r of records)
          for (const n of Array.from(r.removedNodes)) if (n instanceof Element && (n.getAttribute('data-id') === edgeId || n.querySelector(`[data-id="${edgeId}"]`))) w.edgeRemovals++;
      }).observe(document.querySelector('.react-flow__edges')!.parentElement!, { childList: true, subtree: true });
    }, `e-${ixId}-${pyId}`);
    await replaceCode(page, `[data-glyph-id="${pyId}"]`, 'attest(subjects=["edge-1"], predicates=["linked"], contexts=["edge-ctx"])\n');
    assert.equal(await page.evaluate(() => (window as unknown as { edgeRemovals: number }).edgeRemovals), 0, 'the IX → handler edge stays drawn while code is typed');
    await page.keyboard.press('ControlOrMeta+S');
    await until('the IX glyph to run', async () => (await ix.locator('.ix-status').getAttribute('data-state')) === 'success', 30_000);
    await page.click('[data-spawn=pulse]');
    const pulseId = (await page.locator('[data-glyph-kind=pulse]').first().getAttribute('data-glyph-id'))!;
    await untilEdge(page, server, consoleLog, 'the handler → Pulse edge', `e-${pyId}-${pulseId}`);
    await page.click('[data-spawn=ax]');
    const ax = page.locator('[data-glyph-kind=ax]').first();
    const axId = (await ax.getAttribute('data-glyph-id'))!;
    await ax.locator('.cm-content').click();
    await page.keyboard.type('of edge-ctx');
    await untilEdge(page, server, consoleLog, 'the Pulse → AX edge', `e-${pulseId}-${axId}`);
    assert.match((await page.locator(`.react-flow__edge[data-id="e-${ixId}-${pyId}"]`).getAttribute('aria-label')) ?? '', /runs this handler/);
    assert.deepEqual(pageErrors, []);

    // A fresh browser on these four glyphs: fitted, each shows its controls without zooming in.
    await until('the canvas saved', async () => ((await api(server, 'GET', '/api/canvas')) as { glyphs: unknown[] }).glyphs.length === 4);
    const fresh = await openCanvas(browser, server);
    const run = fresh.page.locator('[data-glyph-kind=ix] button.ix-run');
    await run.waitFor({ state: 'visible' });
    await fresh.page.locator('[data-glyph-kind=py] .cm-content').waitFor({ state: 'visible' });
    await fresh.page.locator('[data-glyph-kind=ax] .cm-content').waitFor({ state: 'visible' });
    await stable(fresh.page, '[data-glyph-kind=ix]');
    assert.equal(await fresh.page.locator('.glyph.is-compact').count(), 0, 'no title cards');
    const box = (await run.boundingBox())!;
    const ixBox = (await fresh.page.locator('[data-glyph-kind=ix]').boundingBox())!;
    assert.ok(box.x >= ixBox.x && box.x + box.width <= ixBox.x + ixBox.width, 'Run inside its glyph');
    await fresh.context.close();
  });

  it('never overlaps 20 glyphs added and resized, fits them clear of the chrome, and keeps text readable', T, async () => {
    const { page, pageErrors } = await openCanvas(browser, server);
    const kinds = ['1', '2', '3', '4'];
    for (let i = 0; i < 20; i++) {
      const before = await page.locator('.react-flow__node').count();
      await page.keyboard.press(`Alt+Shift+Digit${kinds[i % 4]}`);
      await until('the new glyph', async () => (await page.locator('.react-flow__node').count()) === before + 1);
      // Placed where the user is looking: once the pan is over, the new glyph is on screen.
      const sel = `.react-flow__node >> nth=${before}`;
      await stable(page, sel);
      const b = (await page.locator(sel).boundingBox())!;
      assert.ok(b.x >= 0 && b.y >= 0 && b.x + b.width <= 1440 && b.y + b.height <= 900, `glyph ${i + 1} on screen: ${JSON.stringify(b)}`);
    }
    // One compact cluster, not a staircase: all 20 fit in view at a zoom of a quarter or more.
    const span = await page.locator('.react-flow__node').evaluateAll((els) => {
      const boxes = els.map((e) => {
        const m = new DOMMatrix(getComputedStyle(e).transform);
        return { x: m.e, y: m.f, w: (e as HTMLElement).offsetWidth, h: (e as HTMLElement).offsetHeight };
      });
      const w = Math.max(...boxes.map((b) => b.x + b.w)) - Math.min(...boxes.map((b) => b.x));
      const h = Math.max(...boxes.map((b) => b.y + b.h)) - Math.min(...boxes.map((b) => b.y));
      return { w, h };
    });
    assert.ok(Math.min(1408 / span.w, 696 / span.h) >= 0.25, `the glyphs span ${Math.round(span.w)} × ${Math.round(span.h)} px`);
    // Grow a few into their neighbours. Fitted, 20 glyphs are title cards (no handles): zoom in on
    // each with the wheel until its handles are there to drag.
    await page.evaluate(() => window.localStorage.removeItem('qntx.viewport'));
    for (const n of [0, 5, 11]) {
      const id = await page.locator('.react-flow__node').nth(n).getAttribute('data-id');
      await page.keyboard.press('Alt+Shift+KeyF');
      const sel = `[data-glyph-id="${id}"]`;
      const handle = page.locator(`.react-flow__node:has(${sel}) .react-flow__resize-control.handle.bottom.right`);
      await stable(page, sel); // the fit's animation is over
      // At the glyph's centre, which a zoom about it keeps in place: a point near its top edge climbed
      // with each turn until it was under the toolbar, which took the wheel (3 runs in 14).
      const centre = async () => {
        const b = (await page.locator(sel).boundingBox())!;
        return { box: b, x: b.x + b.width / 2, y: b.y + b.height / 2 };
      };
      for (let k = 0; k < 20 && !(await handle.isVisible()); k++) {
        const { x, y } = await centre();
        await page.mouse.move(x, y);
        await page.mouse.wheel(0, -250);
        await stable(page, sel);
      }
      if (!(await handle.isVisible())) {
        // Say where the wheel went (zoom, the glyph's box, what is under the pointer).
        const { box: b, ...at } = await centre();
        const why = await page.evaluate(({ x, y }) => {
          const vp = document.querySelector('.react-flow__viewport') as HTMLElement;
          const under = document.elementFromPoint(x, y);
          return { zoom: new DOMMatrix(getComputedStyle(vp).transform).a, under: under ? `${under.tagName}.${Array.from(under.classList).join('.')}` : null };
        }, at);
        assert.fail(`the resize handle of ${sel} never showed: ${JSON.stringify({ box: b, pointer: at, ...why })}`);
      }
      await resizeGlyph(page, sel, 160, 120);
    }
    await until('no two glyphs overlap', async () => {
      const boxes = await nodeBoxes(page);
      for (const a of boxes) for (const b of boxes) if (a.id < b.id && intersects(a, b)) return false;
      return boxes.length >= 20;
    });

    // Fit View: every glyph clear of the toolbar, the pills, the controls and the minimap.
    await page.keyboard.press('Alt+Shift+KeyF');
    const chrome = await Promise.all(['.toolbar', '.statusbar', '.react-flow__controls', '.react-flow__minimap'].map(async (s) => ({ s, r: (await page.locator(s).boundingBox())! })));
    let last = '';
    await until(`the fitted view clear of the chrome`, async () => {
      const boxes = await nodeBoxes(page);
      const bad = boxes.flatMap((b) => chrome.filter((c) => intersects(b, c.r)).map((c) => `${b.id} ${JSON.stringify(b)} under ${c.s} ${JSON.stringify(c.r)}`));
      last = bad.join('\n');
      return bad.length === 0;
    }).catch((err: Error) => {
      throw new Error(`${err.message}\n${last}`);
    });
    // Zoomed out that far, glyphs are title cards; at every zoom no text is under 8 px.
    for (const wheel of [0, -300, -600, 400, 800, 1200]) {
      if (wheel) {
        await page.mouse.move(720, 450);
        await page.mouse.wheel(0, wheel);
      }
      await page.waitForTimeout(0);
      const small = await until('a settled zoom', async () => smallestText(page));
      assert.ok(small.px >= 7.99, `text "${small.text}" is ${small.px.toFixed(1)} px at zoom ${small.zoom.toFixed(2)}`);
    }
    assert.deepEqual(pageErrors, []);
  });

  it('offers actions on the focused glyph with their shortcuts, and no duplicate entries', T, async () => {
    await api(server, 'POST', '/api/python/register-handler', { script_type: 'palette', code: 'pass\n' });
    const { page, pageErrors } = await openCanvas(browser, server);
    await page.keyboard.press('Alt+Shift+Digit1');
    const ix = page.locator('[data-glyph-kind=ix]').last();
    await ix.locator('input[aria-label="ix command"]').fill('palette');
    await ix.getByLabel('Every').check();
    await ix.locator('button.ix-run').click();
    const id = (await ix.getAttribute('data-glyph-id'))!;
    const sched = await until('its schedule', async () => (await api(server, 'GET', `/api/pulse/schedules?owner=glyph:${id}`)).schedules[0]);
    await ix.locator('input[aria-label="ix command"]').focus();
    await page.keyboard.press('ControlOrMeta+K');
    const options = page.locator('.palette [role=option]');
    await options.first().waitFor();
    const labels = await options.locator('.palette-label').allInnerTexts();
    assert.equal(new Set(labels).size, labels.length, `duplicate entries: ${labels.join(' | ')}`);
    assert.ok(labels.filter((l) => l.startsWith('Go to Pulse')).length >= 2, 'several Pulse panels, told apart');
    const newIx = options.filter({ hasText: 'New IX glyph' });
    assert.equal(await newIx.locator('kbd').innerText(), 'Alt+Shift+1');
    assert.equal(await options.filter({ hasText: 'Fit all glyphs in view' }).locator('kbd').innerText(), 'Alt+Shift+F');
    await page.keyboard.type('pause schedule');
    await options.filter({ hasText: 'Pause schedule ix palette' }).click();
    await until('the schedule paused', async () => (await api(server, 'GET', `/api/pulse/schedules/${sched.id}`)).state === 'paused');
    await page.keyboard.press('ControlOrMeta+K');
    await page.keyboard.type('resume');
    await options.filter({ hasText: 'Resume schedule ix palette' }).click();
    await until('the schedule active', async () => (await api(server, 'GET', `/api/pulse/schedules/${sched.id}`)).state === 'active');
    assert.deepEqual(pageErrors, []);
  });
  it('shows every control of each glyph at its default and smallest sizes, and never scrolls the canvas to reach one', T, async () => {
    const { page, context, pageErrors } = await openCanvas(browser, server);
    for (const kind of ['ix', 'py', 'pulse', 'ax']) {
      await page.click(`[data-spawn=${kind}]`);
      const sel = `[data-glyph-kind=${kind}]`;
      await page.locator(sel).last().waitFor();
      await stable(page, `${sel} >> nth=-1`);
      assert.deepEqual(await sidewaysOverflow(page.locator(sel).last()), { scroll: 0, outside: [] }, `${kind} glyph at its default size`);
    }
    // Focusing an input of a glyph half off screen must not scroll the canvas's own box: React Flow
    // would then draw every glyph off from where the pointer finds it, and a click lands on the pane.
    await page.setViewportSize({ width: 520, height: 400 });
    // React Flow undoes such a scroll on its scroll event, a frame later: look before that.
    const scrolled = await page.locator('[data-glyph-kind=ix] input.ix-timeout').last().evaluate((el) => {
      el.scrollIntoView({ inline: 'center', block: 'center' });
      (el as HTMLElement).focus();
      const f = el.closest('.react-flow')!;
      return [f.scrollLeft, f.scrollTop];
    });
    assert.deepEqual(scrolled, [0, 0]);
    assert.deepEqual(pageErrors, []);
    await context.close();

    // The smallest size the resize allows, each kind, in a fresh browser: nothing past the right edge.
    // (Last in this file: it clears the canvas, which the tests above fill.)
    const smallest = Object.entries({ ix: [320, 220], py: [360, 260], pulse: [380, 240], ax: [420, 240] });
    for (const g of ((await api(server, 'GET', '/api/canvas')) as { glyphs: Array<{ id: string }> }).glyphs) await api(server, 'DELETE', `/api/canvas/glyphs/${g.id}`);
    let x = 0;
    for (const [kind, [width, height]] of smallest) {
      await api(server, 'PUT', `/api/canvas/glyphs/${kind}-smallest`, { kind, x, y: 5000, width, height, data: kind === 'ix' ? { command: 'webhook' } : {}, version: 0 });
      x += width! + 40;
    }
    const small = await openCanvas(browser, server, { width: 2400, height: 1400 });
    for (const [kind] of smallest) {
      const sel = `[data-glyph-id="${kind}-smallest"]`;
      await small.page.locator(`${sel} .glyph-body`).waitFor();
      assert.deepEqual(await sidewaysOverflow(small.page.locator(sel)), { scroll: 0, outside: [] }, `${kind} glyph at its smallest size`);
    }
    await small.context.close();
  });
});
