// Long sessions, every live lab (bounded, ~20–40 s each): a slider storm on the lab's main control (300 key
// presses, each an input event), then — where the lab has a run button — 20 starts and cancels, each after a short
// random wait. Afterwards:
//   - every status the lab mirrors (`#lab[data-*-status]`) settles, none is "error", none is left "running";
//   - the page still answers within a frame (a requestAnimationFrame round trip under 250 ms);
//   - after the storm, what it shows equals a fresh load of the same URL: the settings, and the numbers behind
//     every line chart (their "numbers as a table"), with timings masked (runs change a lab's state by design, so
//     after them only the settings are compared);
//   - the JS heap and the engine's wasm memory stay within a bound (printed: before → after).
// The lab list comes from the registry, so a new lab is soaked as soon as it is live.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startBrowser, stopBrowser, open, ready, labValues, liveLabs, settle as settleStatuses } from './helpers.mjs';

const LIVE = liveLabs();
const PRESSES = 150;
const RUNS = 20;
// Bounds: the heap may grow by 40 MB plus half again (caches of shipped curves are fine, a leak per event is not);
// the wasm memory (which never shrinks) by 64 MB.
const HEAP_SLACK = 40e6;
const WASM_SLACK = 64 * 2 ** 20;

let srv;
let ctx;
before(async () => ({ srv, ctx } = await startBrowser()));
after(() => stopBrowser(srv, ctx));

// Debounced views (live summaries, deferred redraws) catch up for 800 ms after the statuses settle.
const settle = (page) => settleStatuses(page, { timeout: 120000, after: 800 });

/** What the lab shows, to compare with a fresh load: settings, and every line chart's numbers (timings masked). */
async function shown(page) {
  return {
    values: await labValues(page),
    tables: await page.evaluate(() => [...document.querySelectorAll('#lab details.plot-table')].map((d) => {
      d.open = true;
      d.dispatchEvent(new Event('toggle'));
      return d.querySelector('table')?.innerText.replace(/\d+(\.\d+)?\s?(ms|s)\b/g, '#') ?? '';
    })),
  };
}

async function footprint(page) {
  const heap = await page.evaluate(() => performance.memory?.usedJSHeapSize ?? 0);
  const { memoryBytes } = await page.evaluate(() => window.paperlab.engine.stats());
  return { heap, wasm: memoryBytes };
}

const mb = (b) => `${(b / 2 ** 20).toFixed(1)} MB`;

for (const id of LIVE) {
  test(`soak: ${id} after a slider storm and ${RUNS} start/cancel cycles equals a fresh load`, { timeout: 300000 }, async () => {
    const { page, errors } = await open(ctx, `${srv.plain}/#/${id}`);
    try {
      await ready(page, 90000);
      await settle(page);
      const before0 = await footprint(page);

      const ctl = page.locator('[data-main="control"]').locator('input[type=range], select, input').first();
      await ctl.focus();
      for (let i = 0; i < PRESSES; i++) await page.keyboard.press('ArrowRight');
      for (let i = 0; i < PRESSES; i++) await page.keyboard.press(i % 3 ? 'ArrowLeft' : 'Shift+ArrowLeft');

      // The storm's result against a fresh load (before any run: a run — a fine-tune, a training — changes the
      // lab's state by design, so its plots are history, not a function of the URL).
      await settle(page);
      const soaked = await shown(page);
      const url = page.url();
      const fresh = await open(ctx, url);
      try {
        await ready(fresh.page, 90000);
        await settle(fresh.page);
        assert.deepEqual(await shown(fresh.page), soaked, `${id}: the page after the storm differs from a fresh load of ${url}`);
        assert.deepEqual(fresh.errors, []);
      } finally {
        await fresh.page.close();
      }

      const run = page.locator('[data-testid=run]');
      if (await run.count()) {
        await settle(page);
        for (let i = 0; i < RUNS; i++) {
          await run.click();
          await page.waitForTimeout(20 + ((i * 37) % 90));
          await run.click();
          await page.waitForTimeout(10);
        }
      }
      const statuses = await settle(page);
      for (const [k, s] of Object.entries(statuses)) assert.notEqual(s, 'error', `${id}: ${k} is "error"`);

      const rtt = await page.evaluate(() => new Promise((r) => { const t0 = performance.now(); requestAnimationFrame(() => r(performance.now() - t0)); }));
      assert.ok(rtt < 250, `${id}: a frame took ${rtt.toFixed(0)} ms after the storm`);

      const after0 = await footprint(page);
      console.log(`${id}: JS heap ${mb(before0.heap)} → ${mb(after0.heap)}, wasm memory ${mb(before0.wasm)} → ${mb(after0.wasm)}, frame ${rtt.toFixed(0)} ms`);
      assert.ok(after0.heap <= before0.heap * 1.5 + HEAP_SLACK, `${id}: JS heap grew ${mb(before0.heap)} → ${mb(after0.heap)}`);
      assert.ok(after0.wasm <= before0.wasm + WASM_SLACK, `${id}: wasm memory grew ${mb(before0.wasm)} → ${mb(after0.wasm)}`);
      assert.deepEqual(await labValues(page), soaked.values, `${id}: the runs changed the settings`);
      assert.deepEqual(errors, []);
    } finally {
      await page.close();
    }
  });
}
