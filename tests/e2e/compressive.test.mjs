// The compressive lab: loads with the shipped models and no console errors, scores the text box per character and
// shows the attention split, the c slider changes model, range and URL (keyboard), bad URL values and bad text get
// a visible message, sampling streams characters, and a live fine-tune shows progress and can be cancelled.
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

const lab = (q) => `${srv.isolated}/#/compressive${q ? `?${q}` : ''}`;
const noteText = (page) => page.$eval('[data-testid=notes]', (el) => (el.hidden ? '' : el.textContent));
const data = (page) => page.evaluate(() => ({ ...document.getElementById('lab').dataset }));
const waitData = (page, key, val, timeout = 30000) => page.waitForFunction(([k, v]) => document.getElementById('lab').dataset[k] === v, [key, val], { timeout });

test('the lab loads, scores the text and shows the attention split', async () => {
  const { page, errors } = await open(ctx, lab('c=4&fn=conv&layer=2&head=1'));
  await ready(page);
  assert.equal(await page.getAttribute('body', 'data-status'), 'ok');
  await waitData(page, 'attnStatus', 'done');
  const d = await data(page);
  assert.equal(d.model, 'conv-c4');
  assert.equal(d.scoreStatus, 'done');
  assert.ok(Number(d.scoreBpc) > 0.5 && Number(d.scoreBpc) < 5, `text bits/char ${d.scoreBpc}`);
  assert.match(await page.textContent('[data-testid=range]'), /^160 chars/);
  assert.match(await page.textContent('[data-testid=attn-mass]'), /% on compressed memory · [\d.]+% on memory · [\d.]+% on the segment/);
  assert.match(await page.textContent('[data-testid=plot-readout]'), /bits\/char/);
  assert.match(await page.textContent('.fidelity'), /0\.97/);
  assert.match(await page.textContent('[data-testid=paper-trend]'), /0\.99 → Compressive Transformer \(c = 3, conv f_c\) 0\.97/);
  const spans = await page.$$eval('[data-testid=colored] span', (els) => els.length);
  assert.ok(spans > 100, `coloured characters: ${spans}`);
  await shot(page, 'compressive');
  assert.deepEqual(errors, []);
  await page.close();
});

test('the c slider steps between trained rates and changes the model and the URL', async () => {
  const { page, errors } = await open(ctx, lab('c=4'));
  await ready(page);
  await page.focus('#rate');
  await page.keyboard.press('ArrowRight'); // 5 is not trained: lands on 8
  await page.waitForFunction(() => /c=8(&|$)/.test(location.hash));
  assert.equal((await data(page)).model, 'conv-c8');
  assert.match(await page.textContent('[data-testid=range]'), /^288 chars/);
  await page.keyboard.press('ArrowLeft'); // back over 7, 6, 5 to 4
  await page.waitForFunction(() => /c=4(&|$)/.test(location.hash));
  await page.keyboard.press('Home');
  await page.waitForFunction(() => /c=1(&|$)/.test(location.hash));
  assert.equal((await data(page)).model, 'conv-c1');
  await page.selectOption('#fn', 'most-used');
  await page.waitForFunction(() => /c=4&fn=most-used/.test(location.hash));
  assert.equal((await data(page)).model, 'most-used-c4');
  await page.check('[data-testid=xl]');
  await page.waitForFunction(() => /xl=1/.test(location.hash));
  assert.equal((await data(page)).model, 'xl');
  await waitData(page, 'attnStatus', 'done');
  assert.match(await page.textContent('[data-testid=attn-mass]'), /0\.0% on compressed memory/);
  assert.deepEqual(errors, []);
  await page.close();
});

test('bad URL values and bad text get clear messages', async () => {
  const { page, errors } = await open(ctx, lab('c=6&fn=bogus&layer=9&temp=NaN'));
  await ready(page);
  const notes = await noteText(page);
  assert.match(notes, /fn=bogus is not a known compression function; using conv/);
  assert.match(notes, /layer=9 is above the range \[1, 2\]; using 2/);
  assert.match(notes, /temp=NaN is not a number; using 0\.8/);
  assert.match(notes, /c=6 has no shipped model/);
  // empty text
  await page.fill('[data-testid=text]', '');
  await waitData(page, 'scoreStatus', 'empty');
  assert.match(await page.textContent('[data-testid=text-msg]'), /empty/);
  // unknown characters are named and read as spaces
  await page.fill('[data-testid=text]', 'naïve café — the whale');
  await waitData(page, 'scoreStatus', 'done');
  assert.match(await page.textContent('[data-testid=text-msg]'), /never saw \("ï" "é" "—"\)/);
  // invisible and direction-changing characters are named by code point, so they cannot reorder the message
  await page.fill('[data-testid=text]', 'the whale\u202e ahoy');
  await waitData(page, 'scoreStatus', 'done');
  assert.match(await page.textContent('[data-testid=text-msg]'), /never saw \(U\+202E\)/);
  // a huge paste is cut, with a message
  await page.evaluate(() => {
    const t = document.querySelector('[data-testid=text]');
    t.value = 'the sea. '.repeat(3000);
    t.dispatchEvent(new Event('input'));
  });
  await waitData(page, 'scoreStatus', 'done', 60000);
  assert.match(await page.textContent('[data-testid=text-msg]'), /only the first 20,000 are read/);
  assert.deepEqual(errors, []);
  await page.close();
});

test('sampling streams text; a live fine-tune shows progress and can be cancelled', async () => {
  const { page, errors } = await open(ctx, lab('c=2&steps=500'));
  await ready(page);
  await page.click('[data-testid=sample]');
  await waitData(page, 'sampleStatus', 'done', 60000);
  const out = await page.textContent('[data-testid=sample-out]');
  assert.ok(out.length >= 'The whale'.length + 400, `sampled ${out.length} characters`);
  await page.click('[data-testid=ft-run]');
  await waitData(page, 'ftStatus', 'running');
  await page.waitForFunction(() => /step \d+: train [\d.]+ bits\/char/.test(document.querySelector('[data-testid=ft-text]').textContent), null, { timeout: 60000 });
  await page.click('[data-testid=ft-run]');
  await waitData(page, 'ftStatus', 'cancelled', 60000);
  assert.match(await page.textContent('.progress'), /cancelled after \d+ steps/);
  assert.deepEqual(errors, []);
  await page.close();
});
