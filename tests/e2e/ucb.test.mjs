// The ucb lab: loads with the shipped runs and no console errors, the pruning-ratio slider changes the shown
// accuracy (keyboard and URL), bad URL values are clamped with a visible note, and a live run in the engine fills
// at least one row of the accuracy matrix and can be cancelled.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { servers, launch, open, ready, shot } from './helpers.mjs';

let srv;
let ctx;

before(async () => {
  srv = await servers();
  ctx = await launch();
});
after(async () => {
  await ctx?.close();
  await srv?.close();
});

const lab = (q) => `${srv.isolated}/#/ucb${q ? `?${q}` : ''}`;
const noteText = (page) => page.$eval('[data-testid=notes]', (el) => (el.hidden ? '' : el.textContent));
const data = (page) => page.evaluate(() => ({ ...document.getElementById('lab').dataset }));

test('the lab loads with the shipped runs and no errors', async () => {
  const { page, errors } = await open(ctx, lab('method=ucb&mode=task&seed=1&ratio=0.5'));
  await ready(page);
  assert.equal(await page.getAttribute('body', 'data-status'), 'ok');
  const d = await data(page);
  assert.equal(d.source, 'shipped');
  assert.equal(d.runStatus, 'idle');
  assert.equal(d.pruneStatus, 'done');
  assert.match(d.pruneAcc, /^\d+(\.\d+)?%$/);
  assert.match(await page.textContent('[data-testid=metrics]'), /ACC \d+(\.\d+)?% · BWT [+−]?\d/);
  assert.equal(await noteText(page), '');
  assert.match(await page.textContent('.fidelity'), /99\.63%/);
  await shot(page, 'ucb');
  await page.emulateMedia({ colorScheme: 'dark' });
  await page.waitForTimeout(200);
  await shot(page, 'ucb-dark');
  await page.setViewportSize({ width: 420, height: 900 });
  await page.waitForTimeout(200);
  await shot(page, 'ucb-narrow-dark');
  assert.deepEqual(errors, []);
  await page.close();
});

test('the pruning slider changes the shown accuracy and the URL', async () => {
  const { page, errors } = await open(ctx, lab('ratio=0&method=bbb&mode=task&seed=2'));
  await ready(page);
  const at0 = (await data(page)).pruneAcc;
  await page.focus('#ratio');
  await page.keyboard.press('End');
  await page.waitForFunction(() => /ratio=0\.95/.test(location.hash));
  const at95 = (await data(page)).pruneAcc;
  assert.notEqual(at95, at0, 'removing 95% of the weights changes the accuracy shown');
  assert.ok(parseFloat(at95) < parseFloat(at0), `${at95} < ${at0}`);
  assert.match(await page.textContent('[data-testid=prune-readout]'), /95% of every weight matrix removed/);
  // A step down by the arrow key lands on 0.9 and shows its own number.
  await page.keyboard.press('ArrowLeft');
  await page.waitForFunction(() => /ratio=0\.9(&|$)/.test(location.hash));
  assert.match(await page.textContent('[data-testid=prune-readout]'), /90% of every weight matrix removed/);
  assert.deepEqual(errors, []);
  await page.close();
});

test('bad URL values are clamped or reset with a visible note', async () => {
  const { page, errors } = await open(ctx, lab('ratio=7&method=magic&mode=sideways&seed=-4&crit=x'));
  await ready(page);
  const notes = await noteText(page);
  assert.match(notes, /ratio=7 is above the range \[0, 0\.95\]; using 0\.95/);
  assert.match(notes, /method=magic is not a known method; using ucb/);
  assert.match(notes, /mode=sideways is not a known evaluation mode; using task/);
  assert.match(notes, /seed=-4 is below the range \[0, 999999\]; using 0/);
  assert.match(notes, /crit=x is not a known pruning criterion; using snr/);
  assert.match(await page.evaluate(() => location.hash), /ratio=0\.95&crit=snr&method=ucb&mode=task&seed=0/);
  // Seed 0 is not shipped: the page says so instead of showing numbers.
  assert.equal((await data(page)).source, 'none');
  assert.match(await page.textContent('[data-testid=matrix-msg]'), /No shipped run for seed 0/);
  assert.deepEqual(errors, []);
  await page.close();
});

test('a live run fills the matrix row by row and can be cancelled', async () => {
  const { page, errors } = await open(ctx, lab('method=ucb&mode=task&seed=1'));
  await ready(page);
  await page.click('[data-testid=run]');
  await page.waitForFunction(() => document.getElementById('lab').dataset.runStatus === 'running');
  assert.equal((await data(page)).source, 'live');
  await page.waitForFunction(() => Number(document.getElementById('lab').dataset.runRows) >= 1, null, { timeout: 90000 });
  const m = await page.evaluate(() => window.paperlab.lab.current().matrix);
  assert.ok(m[0].every(Number.isFinite), 'the first row is complete');
  assert.ok(m[0][0] > 0.97, `task 1 learned live: ${m[0][0]}`);
  assert.ok(m[4].every((v) => v === null || Number.isNaN(v)), 'the last row is not in yet');
  await shot(page, 'ucb-live');
  await page.click('[data-testid=run]');
  await page.waitForFunction(() => document.getElementById('lab').dataset.runStatus === 'cancelled');
  assert.equal((await data(page)).source, 'shipped', 'after a cancel the shipped run shows again');
  assert.deepEqual(errors, []);
  await page.close();
});
