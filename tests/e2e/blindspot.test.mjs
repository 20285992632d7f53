// The blind-spot lab: loads with the shipped α × β table and live views (transformed digits, the 2-D embedding with
// its KL, one digit's adversarial example), no console errors; the live run recomputes every α of the curve at the
// chosen β on a few digits and cancels; α moves by keyboard and α, β by the pad into the URL; bad URL values give a
// note, not a crash. The first view fetches no network and no digits; the networks and the test digits come with the
// first move of a setting the live views show (or their button), the training digits (embedding, 5-NN, the live
// run) only when asked for.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startBrowser, stopBrowser, open, ready, labValues, shot, damageFiles } from './helpers.mjs';

let srv;
let ctx;
before(async () => ({ srv, ctx } = await startBrowser()));
after(() => stopBrowser(srv, ctx));

const lab = (q) => `${srv.isolated}/#/blindspot${q ? `?${q}` : ''}`;
const data = (page) => page.evaluate(() => ({ ...document.getElementById('lab').dataset }));

test('blindspot: shipped table, live views, live run, keyboard and pad, no errors', async () => {
  const { page, errors } = await open(ctx, lab('alpha=0.7&beta=0&digit=3&model=cnn-madry&digits=10&steps=5&seed=7'));
  await ready(page, 90000);
  assert.equal(await page.evaluate(() => document.body.dataset.status), 'ok');
  // The shipped table at β = 0: one row per α, and the words computed from it.
  const rows = await page.locator('.bs-tab tbody tr').count();
  assert.ok(rows >= 5, `${rows} table rows`);
  assert.match(await page.textContent('[data-testid=fidelity]'), /Madry/);
  assert.match(await page.textContent('[data-testid=notice]'), /adversarially trained CNN/);
  // Live views (the embedding's button fetches the networks, the test and the training digits).
  await page.click('[data-testid=train-load]');
  await page.waitForFunction(() => document.getElementById('lab').dataset.kl, null, { timeout: 90000 });
  let d = await data(page);
  assert.ok(Number.isFinite(Number(d.kl)), `kl ${d.kl}`);
  assert.ok(Number(d.knn) > 0, `knn ${d.knn}`);
  assert.match(d.example, /^\d\/\d\/\d\/[01]$/);
  assert.match(await page.textContent('[data-testid=strip]'), /Test digits 3–10/);
  assert.match(await page.textContent('[data-testid=example]'), /Digit 3, label \d/);

  // The live run: every α of the curve (the chosen one is on the grid), 10 digits each.
  await page.click('[data-testid=run]');
  await page.waitForSelector('#lab[data-run-status="done"]', { timeout: 60000 });
  d = await data(page);
  assert.equal(d.liveRows, String(await page.evaluate(() => new Set(window.paperlab.lab.shipped.table.rows.map((r) => r.alpha)).size)));
  assert.match(await page.textContent('[data-testid=live]'), /Live at α = 0\.70, β = 0\.00 \(10 digits\)/);
  // A second run is cancelled; its partial points are kept apart (new key: other steps).
  await page.fill('#steps', '40');
  await page.press('#steps', 'Enter');
  await page.click('[data-testid=run]');
  await page.waitForSelector('#lab[data-run-status="running"]');
  await page.click('[data-testid=run]');
  await page.waitForSelector('#lab[data-run-status="cancelled"]');

  // α by keyboard; the example follows.
  await page.focus('#alpha');
  await page.keyboard.press('ArrowLeft');
  await page.waitForFunction(() => window.paperlab.lab.values.alpha === 0.69);
  assert.match(page.url(), /alpha=0\.69/);
  await page.waitForFunction(() => /α = 0\.69/.test(document.querySelector('[data-testid=emb-text]').textContent), null, { timeout: 30000 });
  // The pad sets α and β together (its top right corner: α = 1, β = 0.3).
  await page.locator('[data-testid=pad]').scrollIntoViewIfNeeded();
  const box = await page.locator('[data-testid=pad]').boundingBox();
  await page.mouse.click(box.x + box.width - 3, box.y + 4);
  await page.waitForFunction(() => window.paperlab.lab.values.beta > 0.25);
  const v = await labValues(page);
  assert.ok(v.alpha > 0.95 && v.beta <= 0.3, `${v.alpha}, ${v.beta}`);
  await shot(page, 'blindspot');
  await page.setViewportSize({ width: 375, height: 900 });
  await page.waitForTimeout(300);
  await shot(page, 'blindspot-narrow');
  assert.deepEqual(errors, []);
  await page.close();
});

test('blindspot: the first view fetches no network or digits; a setting fetches the live views, a live run the training digits', async () => {
  const { page, errors } = await open(ctx, lab('digits=10&steps=3'));
  const fetched = [];
  ctx.on('request', (r) => fetched.push(new URL(r.url()).pathname));
  await ready(page, 90000);
  await page.waitForTimeout(500);
  assert.ok(!fetched.some((p) => /\.safetensors/.test(p)), `nothing lazy before the user asks: ${fetched.filter((p) => /safetensors/.test(p))}`);
  let d = await data(page);
  assert.equal(d.viewsStatus, 'idle');
  assert.equal(d.trainStatus, 'idle');
  assert.ok(await page.locator('.bs-tab tbody tr').count() >= 5, 'the shipped table');
  assert.match(await page.textContent('[data-testid=views-lazy]'), /three networks \(1\.7 MB\)/);
  // Moving α asks for the live views: the networks and the test digits, not the training digits.
  await page.focus('#alpha');
  await page.keyboard.press('ArrowRight');
  await page.waitForSelector('#lab[data-views-status="done"]', { timeout: 90000 });
  await page.waitForFunction(() => /^Digit 1, label 5/.test(document.querySelector('[data-testid=example]').textContent), null, { timeout: 60000 });
  assert.match(await page.textContent('[data-testid=strip]'), /at α = 0\.71/);
  assert.ok(fetched.some((p) => p.endsWith('mnist-test-2k.safetensors.gz')), 'the test digits');
  assert.ok(!fetched.some((p) => p.endsWith('mnist-10k.safetensors.gz')), 'no training digits yet');
  assert.equal((await data(page)).kl, undefined);
  // The live run needs them: it fetches them, then runs; the embedding follows.
  await page.click('[data-testid=run]');
  await page.waitForSelector('#lab[data-run-status="done"]', { timeout: 120000 });
  d = await data(page);
  assert.equal(d.trainStatus, 'done');
  assert.ok(fetched.some((p) => p.endsWith('mnist-10k.safetensors.gz')));
  await page.waitForFunction(() => Number(document.getElementById('lab').dataset.knn) > 0, null, { timeout: 60000 });
  assert.equal(await page.isHidden('[data-testid=train-lazy]'), true);
  assert.deepEqual(errors, []);
  await page.close();
});

test('blindspot: a damaged network is named in the live views\' box, and a retry works', async () => {
  const { page, errors } = await open(ctx, lab(''));
  await ready(page, 90000);
  const damaged = await damageFiles(page.context(), '**/cnn-natural.safetensors');
  await page.click('[data-testid=views-load]');
  await page.waitForSelector('#lab[data-views-status="error"]', { timeout: 60000 });
  assert.match(await page.textContent('[data-testid=views-error]'), /^Could not load the three networks and the test digits: .*www\/models\/blindspot\/cnn-natural\.safetensors is damaged or out of date/);
  await damaged.stop();
  await page.click('[data-testid=views-load]');
  await page.waitForSelector('#lab[data-views-status="done"]', { timeout: 60000 });
  await page.waitForFunction(() => /^Digit 1, label 5/.test(document.querySelector('[data-testid=example]').textContent), null, { timeout: 60000 });
  assert.deepEqual(errors.filter((e) => !/damaged or out of date/.test(e)), []);
  await page.close();
});

test('blindspot: bad URL values give notes, not a crash', async () => {
  const { page, errors } = await open(ctx, lab('alpha=NaN&beta=7&digit=-4&model=resnet'));
  await ready(page, 90000);
  const notes = await page.evaluate(() => [...document.querySelectorAll('[data-testid=notes]:not([hidden])')].map((e) => e.textContent).join(' '));
  for (const k of ['alpha', 'beta', 'digit', 'model']) assert.match(notes, new RegExp(k), `a note names ${k}`);
  const v = await labValues(page);
  assert.ok(v.alpha >= 0.6 && v.alpha <= 1 && v.beta >= 0 && v.beta <= 0.3 && v.digit >= 0 && v.model === 'cnn-madry', JSON.stringify(v));
  assert.equal(await page.evaluate(() => document.body.dataset.status), 'ok');
  assert.deepEqual(errors, []);
  await page.close();
});
