// The template lab (make new-lab copies this file): it becomes ready, the slider moves the engine's curve (the
// slope at 0 read off it is k/4, computed here independently), the live run converges to the closed form and can
// be cancelled, bad URL values get notes, and there are no page or console errors.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startBrowser, stopBrowser, open, ready, labValues } from './helpers.mjs';

let srv;
let ctx;
before(async () => ({ srv, ctx } = await startBrowser()));
after(() => stopBrowser(srv, ctx));

const slope = async (page) => Number((await page.textContent('[data-testid=readout]')).match(/≈ (-?[\d.]+)/)[1]);

test('template: the slider moves the curve, the run converges and cancels, no errors', async () => {
  const { page, errors } = await open(ctx, `${srv.isolated}/#/_template?k=2&samples=20000&seed=3`);
  await ready(page);
  assert.equal(await page.evaluate(() => document.body.dataset.status), 'ok');
  assert.ok(Math.abs((await slope(page)) - 2 / 4) < 0.01);
  // Keyboard: focus the slider and step up by shift+arrow (10 steps of 0.1).
  await page.focus('#k');
  await page.keyboard.press('Shift+ArrowRight');
  await page.waitForFunction(() => /k\/4 = 0\.750/.test(document.querySelector('[data-testid=readout]').textContent));
  assert.equal((await labValues(page)).k, 3);
  assert.ok(Math.abs((await slope(page)) - 3 / 4) < 0.02);
  assert.match(page.url(), /k=3/);
  // The live run: done, and within 4 standard errors of the closed form.
  await page.click('[data-testid=run]');
  await page.waitForSelector('#lab[data-run-status="done"]');
  const est = await page.textContent('[data-testid=estimate]');
  const [, f, se, exact] = est.match(/([\d.]+)% ± ([\d.]+) after .* exact ([\d.]+)%/);
  assert.ok(Math.abs(Number(f) - Number(exact)) <= 4 * Number(se) + 0.01, est);
  assert.ok(Math.abs(Number(exact) - 100 * (5 - Math.log(9) / 3) / 10) < 0.01, est);
  // A long run cancelled by moving k.
  await page.fill('#samples', '1000000000');
  await page.press('#samples', 'Enter');
  await page.click('[data-testid=run]');
  await page.waitForSelector('#lab[data-run-status="running"]');
  await page.focus('#k');
  await page.keyboard.press('ArrowLeft');
  await page.waitForSelector('#lab[data-run-status="cancelled"]');
  assert.deepEqual(errors, []);
  await page.close();
});

test('template: out-of-range and NaN URL values are clamped with a note', async () => {
  const { page, errors } = await open(ctx, `${srv.isolated}/#/_template?k=NaN&samples=1e308&seed=-4`);
  await ready(page);
  const notes = await page.textContent('[data-testid=notes]');
  assert.match(notes, /k=NaN is not a number; using 2/);
  assert.match(notes, /samples=1e308 is above the range/);
  assert.match(notes, /seed=-4 is below the range/);
  const v = await labValues(page);
  assert.deepEqual([v.k, v.samples, v.seed], [2, 1000000000, 0]);
  // A typed value outside the range is clamped with a note too.
  await page.fill('#k + input.num', '55');
  await page.press('#k + input.num', 'Enter');
  await page.waitForFunction(() => /Steepness k 55 is above the range/.test(document.querySelector('[data-testid=notes]').textContent));
  assert.equal((await labValues(page)).k, 10);
  assert.deepEqual(errors, []);
  await page.close();
});
