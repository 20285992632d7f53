// The roll lab: loads with the shipped digit table and a live region map, no console errors; training runs and
// pauses and the ROLL term is reported; a click inspects a point (its margins in the URL and the readout) or adds
// a point; the λ slider moves by keyboard into the URL; the digit panel shows live margins of the selected model.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startBrowser, stopBrowser, open, ready, labValues, shot } from './helpers.mjs';

let srv;
let ctx;
before(async () => ({ srv, ctx } = await startBrowser()));
after(() => stopBrowser(srv, ctx));

const lab = (q) => `${srv.isolated}/#/roll${q ? `?${q}` : ''}`;
const data = (page) => page.evaluate(() => ({ ...document.getElementById('lab').dataset }));

test('roll: region map, training, clicks, slider and digits, no errors', async () => {
  const { page, errors } = await open(ctx, lab('dataset=circles&lambda=1&seed=2&px=0.3&py=0.2&digit=3&model=roll-8'));
  await ready(page);
  assert.equal(await page.evaluate(() => document.body.dataset.status), 'ok');
  let d = await data(page);
  assert.ok(Number(d.regions) > 1, `regions ${d.regions}`);
  assert.ok(Number(d.eps2) > 0, `eps2 ${d.eps2}`);
  assert.equal(d.points, '200');
  assert.equal(await page.locator('.roll-table tbody tr').count(), 4);
  assert.match(await page.textContent('[data-testid=fidelity]'), /4 × 300 ReLU/);
  assert.match(await page.textContent('[data-testid=point]'), /ε̂₂ = [\d.]+/);
  // The digit panel becomes live.
  await page.waitForSelector('#lab[data-digit-eps2]', { timeout: 60000 });
  assert.ok(Number((await data(page)).digitEps2) > 0);
  assert.match(await page.textContent('[data-testid=digit]'), /Digit 3 \(label \d\)/);

  // Train, then pause.
  await page.click('[data-testid=train]');
  await page.waitForSelector('#lab[data-train-status="running"]');
  await page.waitForFunction(() => Number(document.getElementById('lab').dataset.iter) >= 100, null, { timeout: 60000 });
  await page.click('[data-testid=train]');
  await page.waitForSelector('#lab[data-train-status="cancelled"]');
  assert.match(await page.textContent('[data-testid=readout]'), /ROLL term [\d.e-]+, accuracy [\d.]+%/);
  await shot(page, 'roll');

  // A click inspects: the inspected point moves (URL and readout).
  await page.locator('.roll-overlay').scrollIntoViewIfNeeded();
  let box = await page.locator('.roll-overlay').boundingBox();
  await page.mouse.click(box.x + box.width * 0.25, box.y + box.height * 0.25);
  await page.waitForFunction(() => window.paperlab.lab.values.px < 0);
  const v = await labValues(page);
  assert.ok(Math.abs(v.px - (-0.625)) < 0.02 && Math.abs(v.py - 0.625) < 0.02, `${v.px}, ${v.py}`);
  assert.match(page.url(), /px=-0\.6/);
  await page.waitForFunction(() => /At \(-0\.6/.test(document.querySelector('[data-testid=point]').textContent));
  // Adding points.
  await page.selectOption('#click', 'add class 1');
  await page.locator('.roll-overlay').scrollIntoViewIfNeeded();
  box = await page.locator('.roll-overlay').boundingBox();
  await page.mouse.click(box.x + box.width * 0.5, box.y + box.height * 0.5);
  await page.waitForSelector('#lab[data-points="201"]');

  // λ by keyboard.
  await page.focus('#lambda');
  await page.keyboard.press('ArrowRight');
  await page.waitForFunction(() => window.paperlab.lab.values.lambda === 1.05);
  assert.match(page.url(), /lambda=1\.05/);

  await page.setViewportSize({ width: 375, height: 900 });
  await page.waitForTimeout(300);
  await shot(page, 'roll-narrow');
  assert.deepEqual(errors, []);
  await page.close();
});

test('roll: after a worker crash the clicked-in points, the net and the digit panel come back', async () => {
  // Regression: the digits and models lived only in the old worker, so the next digit call failed
  // ("not loaded: call load_digits first"), and the points added by clicking were gone.
  const { page, errors } = await open(ctx, lab('dataset=moons&seed=3&digit=7&click=add%20class%200'));
  await ready(page);
  await page.waitForSelector('#lab[data-digit-eps2]', { timeout: 60000 });
  await page.locator('.roll-overlay').scrollIntoViewIfNeeded();
  const box = await page.locator('.roll-overlay').boundingBox();
  await page.mouse.click(box.x + box.width * 0.4, box.y + box.height * 0.6);
  await page.waitForSelector('#lab[data-points="201"]');
  await page.evaluate(() => document.getElementById('lab').removeAttribute('data-digit-eps2'));
  const build = await page.evaluate(() => window.paperlab.engine.backend.build);
  assert.match(await page.evaluate(() => window.paperlab.engine.crashForTest()), /crash|panic/i);
  await page.waitForFunction(() => /restarted; your settings are kept/.test(document.querySelector('[data-testid=notes]')?.textContent || ''), null, { timeout: 60000 });
  assert.equal(await page.evaluate(() => window.paperlab.engine.backend.build), build, 'the same build after the restart');
  // The digit panel is drawn again from the new worker, and a new digit works.
  await page.waitForSelector('#lab[data-digit-eps2]', { timeout: 60000 });
  await page.evaluate(() => { location.hash = '#/roll?dataset=moons&seed=3&digit=12&click=add%20class%200'; });
  await page.waitForFunction(() => /Digit 12 \(label \d\)/.test(document.querySelector('[data-testid=digit]').textContent), null, { timeout: 60000 });
  assert.equal((await data(page)).points, '201', 'the clicked-in point is kept');
  assert.doesNotMatch(await page.textContent('#lab'), /could not be (loaded|restored)/);
  assert.deepEqual(errors, []);
  await page.close();
});
