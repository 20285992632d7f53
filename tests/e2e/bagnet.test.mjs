// The bagnet lab: loads with the precomputed accuracy-vs-q curves and the live evidence maps of a test image, no
// console errors; the q slider moves by keyboard into the URL and the patch map shrinks as q grows (OH = (28 − q)/2
// + 1); the live test-set accuracy run ends with the shipped model's own accuracy from the manifest; a drawing on
// the pad is classified; a corrupt upload and a wrong-sized image sent to the engine give messages, and the worker
// keeps working after them; the data switch loads the clothes models.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { startBrowser, stopBrowser, open, ready, labValues, shot, ROOT } from './helpers.mjs';

let srv;
let ctx;
before(async () => ({ srv, ctx } = await startBrowser()));
after(() => stopBrowser(srv, ctx));

const lab = (q) => `${srv.isolated}/?single=1&relaxed=0#/bagnet${q ? `?${q}` : ''}`;
const data = (page) => page.evaluate(() => ({ ...document.getElementById('lab').dataset }));
const manifest = JSON.parse(readFileSync(join(ROOT, 'www/models/bagnet/manifest.json'), 'utf8'));

test('bagnet: curves, evidence maps, slider, live accuracy, drawing, bad input, data switch, no errors', async () => {
  const { page, errors } = await open(ctx, lab('q=9&dataset=mnist&image=3&k=2&tile=7'));
  await ready(page);
  assert.equal(await page.evaluate(() => document.body.dataset.status), 'ok');
  let d = await data(page);
  assert.equal(d.mapSide, '10', 'BagNet-9 on 28 × 28: (28 − 9) / 2 + 1 = 10 locations per side');
  assert.ok(Number(d.heatMs) >= 0);
  assert.equal(await page.locator('.bagnet-maps canvas').count(), 10);
  assert.equal(await page.locator('.bagnet-gallery canvas').count(), 6);
  assert.match(await page.textContent('[data-testid=prediction]'), /Test image 3, label \d\. BagNet-9 says \d/);
  assert.match(await page.textContent('[data-testid=fidelity]'), /87\.6% top-5/);
  assert.match(await page.textContent('[data-testid=trend]'), /On MNIST, BagNet-5 reaches [\d.]+%/);
  assert.match(await page.textContent('[data-testid=mask-table]'), /BagNet-9 top-k %/);

  // q by keyboard: the map shrinks to (28 − 13) / 2 + 1 = 8.
  await page.focus('#q');
  await page.keyboard.press('ArrowRight');
  await page.waitForFunction(() => window.paperlab.lab.values.q === 13);
  assert.match(page.url(), /q=13/);
  await page.waitForSelector('#lab[data-map-side="8"]');

  // The live accuracy at q = 13 equals the shipped seed-1 model's test accuracy (same images, same weights).
  await page.click('[data-testid=run]');
  await page.waitForSelector('#lab[data-run-status="running"]');
  await page.waitForSelector('#lab[data-run-status="done"]', { timeout: 240000 });
  d = await data(page);
  const e = manifest.models.find((m) => m.id === 'bagnet-q13-mnist');
  const want = e.runs.find((r) => r.seed === 1).test_acc;
  assert.ok(Math.abs(Number(d.liveAcc) - want) <= 0.001, `live ${d.liveAcc}, manifest ${want}`);
  assert.equal(await page.locator('[data-testid=live-table] tbody tr').count(), 6);
  await shot(page, 'bagnet');

  // A drawing on the pad is classified (the image source switches to it).
  const pad = page.locator('[data-testid=pad]');
  await pad.scrollIntoViewIfNeeded();
  const b = await pad.boundingBox();
  await page.mouse.move(b.x + b.width * 0.5, b.y + b.height * 0.2);
  await page.mouse.down();
  await page.mouse.move(b.x + b.width * 0.5, b.y + b.height * 0.5, { steps: 5 });
  await page.mouse.move(b.x + b.width * 0.52, b.y + b.height * 0.8, { steps: 5 });
  await page.mouse.up();
  await page.waitForFunction(() => window.paperlab.lab.values.source === 'own');
  await page.waitForFunction(() => /^BagNet-13 says/.test(document.querySelector('[data-testid=prediction]').textContent));
  assert.match(await page.textContent('[data-testid=own-msg]'), /Your drawing/);

  // A corrupt upload: a message, nothing else changes.
  await page.setInputFiles('[data-testid=upload]', { name: 'broken.png', mimeType: 'image/png', buffer: Buffer.from('this is not a PNG') });
  await page.waitForFunction(() => /could not be read as a picture/.test(document.querySelector('[data-testid=own-msg]').textContent));

  // A Rust error (a wrong-sized image) comes back as a message; the worker keeps working.
  const msg = await page.evaluate(async () => {
    try {
      await window.paperlab.lab.lab.call('heatmap', ['q13', new Float32Array(10)]);
      return 'no error';
    } catch (err) {
      return String(err.message || err);
    }
  });
  assert.match(msg, /784/);
  await page.evaluate(() => window.paperlab.lab.set({ source: 'test', image: 7 }));
  await page.waitForFunction(() => /Test image 7/.test(document.querySelector('[data-testid=prediction]').textContent));

  // The clothes: the other dataset's models, class names in the text.
  await page.selectOption('#dataset', 'fashion');
  await page.waitForFunction(() => /Test image 7, label (T-shirt|Trouser|Pullover|Dress|Coat|Sandal|Shirt|Sneaker|Bag|Ankle)/.test(document.querySelector('[data-testid=prediction]').textContent), null, { timeout: 60000 });
  const v = await labValues(page);
  assert.equal(v.dataset, 'fashion');
  assert.match(page.url(), /dataset=fashion/);

  await page.setViewportSize({ width: 375, height: 900 });
  await page.waitForTimeout(300);
  const overflow = await page.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth);
  assert.ok(overflow <= 1, `page scrolls sideways by ${overflow} px at 375 px`);
  await shot(page, 'bagnet-narrow');
  assert.deepEqual(errors, []);
  await page.close();
});
