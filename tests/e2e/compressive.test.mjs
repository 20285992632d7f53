// The compressive lab: loads with the shipped models and no console errors, scores the text box per character and
// shows the attention split, the c slider changes model, range and URL (keyboard), bad URL values and bad text get
// a visible message, sampling streams characters, and a live fine-tune shows progress and can be cancelled; the
// long-range recall setting shows its plots, each model's reach and the recall of the text box, and switches back;
// in it, c = 3 and the f_c-loss ablation (its table, sentence and the loss choice) follow the manifest.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startBrowser, stopBrowser, open, ready, shot } from './helpers.mjs';

let srv;
let ctx;

before(async () => ({ srv, ctx } = await startBrowser()));
after(() => stopBrowser(srv, ctx));

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

test('"What to notice" and the notes follow the numbers: training text, the head shown, snapped and reset settings', async () => {
  const { page, errors } = await open(ctx, lab('c=4&fn=conv&layer=1&head=1'));
  await ready(page);
  await waitData(page, 'attnStatus', 'done');
  // The default text is the novel's opening, in the training split: said, with its score against validation.
  const train = await page.textContent('[data-testid=train-text]');
  const bpc = Number((await data(page)).scoreBpc);
  assert.match(train, new RegExp(`inside the training split .* It scores ${bpc.toFixed(3)} bits/char, (lower|higher) than the 2\\.354 on the held-out`));
  assert.match(train, bpc < 2.354 ? /lower than/ : /higher than/);
  await page.fill('[data-testid=text]', 'The sea was calm and the ship sailed on towards the south, far from any land at all.');
  await waitData(page, 'scoreStatus', 'done');
  assert.equal(await page.locator('[data-testid=train-text]').count(), 0, 'other text is not called training text');
  // Every head: the sentence about where it looks agrees with the split shown under the heatmap.
  const seen = new Set();
  for (let layer = 1; layer <= 2; layer++) {
    for (let head = 1; head <= 4; head++) {
      await page.fill('#layer', String(layer));
      await page.dispatchEvent('#layer', 'change');
      await page.fill('#head', String(head));
      await page.dispatchEvent('#head', 'change');
      await page.waitForFunction(([l, hd]) => document.getElementById('lab').dataset.attnStatus === 'done'
        && document.querySelector('[data-testid=attn-mass]').textContent.startsWith(`Layer ${l}, head ${hd},`), [layer, head]);
      const mass = await page.textContent('[data-testid=attn-mass]');
      const seg = Number(mass.match(/([\d.]+)% on the segment/)[1]);
      const notice = await page.textContent('[data-testid=notice]');
      assert.ok(notice.includes(`Layer ${layer}, head ${head} puts ${seg.toFixed(1)}% of its attention on the segment`), notice);
      const mostly = /it looks mostly at the current segment/.test(notice);
      assert.equal(mostly, seg >= 80, `layer ${layer} head ${head}: ${seg}% on the segment; "looks mostly at the segment": ${mostly}`);
      seen.add(mostly);
    }
  }
  assert.equal(seen.size, 2, 'some heads look mostly at the segment and some do not, and the sentence says which');
  // A typed rate off the trained list is snapped with a note; moving c away from a pooled f_c says it resets f_c.
  await page.fill('.control[data-setting=c] input.num', '5');
  await page.dispatchEvent('.control[data-setting=c] input.num', 'change');
  await page.waitForFunction(() => /c=4(&|$)/.test(location.hash));
  assert.match(await noteText(page), /Compression rate c 5 is not one of 1, 2, 3, 4, 8; using 4/);
  await page.selectOption('#fn', 'max');
  await page.waitForFunction(() => /fn=max/.test(location.hash));
  await page.focus('#rate');
  await page.keyboard.press('ArrowRight');
  await page.waitForFunction(() => /c=8&fn=conv/.test(location.hash));
  assert.match(await noteText(page), /f_c = max pool is shipped at c = 4 only; c = 8 shows the convolution/);
  assert.deepEqual(errors, []);
  await page.close();
});

test('the long-range recall setting: recall plot, reach per model, the recall in the text box, and back', async () => {
  const { page, errors } = await open(ctx, lab('data=recall&c=4'));
  await ready(page);
  await waitData(page, 'attnStatus', 'done', 60000);
  let d = await data(page);
  assert.equal(d.data, 'recall');
  assert.equal(d.model, 'conv-c4');
  assert.ok(await page.isVisible('[data-testid=recall-plot]') && await page.isVisible('[data-testid=dist-plot]'));
  assert.match(await page.textContent('[data-testid=plot-readout]'), /bits — Compressive, conv, c = 4, held-out recall characters, mean of \d seeds/);
  assert.match(await page.textContent('[data-testid=dist-readout]'), /conv c = 4 recalls up to D ≈ \d+ \(range 160\)/);
  assert.match(await page.textContent('[data-testid=range]'), /^160 chars/);
  const recallOf = async () => Number((await page.textContent('[data-testid=recall-readout]')).match(/D = 130: ([\d.]+) bits/)[1]);
  const c4 = await recallOf();
  assert.match(await page.textContent('[data-testid=recall-slot]'), /looks hardest at/);
  await page.waitForFunction(() => /held-out recall characters Transformer-XL pays/.test(document.querySelector('[data-testid=notice]')?.textContent || ''));
  await shot(page, 'compressive-recall');
  // Transformer-XL cannot see the key 130 characters back: it pays more for that recall than c = 4 does
  await page.check('[data-testid=xl]');
  await waitData(page, 'model', 'xl');
  await waitData(page, 'scoreStatus', 'done', 60000);
  const xl = await recallOf();
  assert.ok(xl > c4 + 1, `recall at D = 130: Transformer-XL ${xl} bits, conv c = 4 ${c4} bits`);
  // back to natural text: the novel's models and text
  await page.selectOption('#data', 'text');
  await waitData(page, 'data', 'text');
  await waitData(page, 'scoreStatus', 'done', 60000);
  d = await data(page);
  assert.equal(d.model, 'xl');
  assert.ok(!(await page.isVisible('[data-testid=dist-plot]')));
  assert.match(await page.inputValue('[data-testid=text]'), /^Call me Ishmael/);
  assert.deepEqual(errors, []);
  await page.close();
});

test('the recall setting: c = 3, the other f_c, and the f_c-loss ablation follow the manifest', async () => {
  const { page, errors } = await open(ctx, lab('data=recall&c=4'));
  await ready(page);
  const manifest = await page.evaluate(async () => (await fetch('www/models/compressive/recall/manifest.json')).json());
  const entry = (id) => manifest.models.find((m) => m.id === id);
  await waitData(page, 'attnStatus', 'done', 60000);
  // the ablation table: one row per shipped loss, with the manifest's means, and a sentence from the numbers
  const losses = ['conv-c4', 'conv-c4-ae', 'conv-c4-none'].filter(entry);
  assert.ok(losses.length >= 2, `ablation models shipped: ${losses}`);
  const rows = await page.$$eval('[data-testid=ablation] tbody tr', (trs) => trs.map((tr) => [...tr.cells].map((c) => c.textContent)));
  assert.equal(rows.length, losses.length);
  losses.forEach((id, k) => assert.equal(rows[k][1], entry(id).recall_bits_mean.toFixed(3), `${id} in the ablation table`));
  assert.match(await page.textContent('[data-testid=ablation-readout]'), /The loss that trains f_c \(conv, c = 4, means of 3 seeds\): .* bits; .*(beyond seed noise|within seed noise)/);
  // choosing a loss shows its model; moving c away resets it with a note
  await page.selectOption('#loss', 'none');
  await page.waitForFunction(() => /loss=none/.test(location.hash));
  await waitData(page, 'model', 'conv-c4-none');
  await page.selectOption('#loss', 'autoencoder');
  await waitData(page, 'model', 'conv-c4-ae');
  await waitData(page, 'attnStatus', 'done', 60000);
  assert.match(await page.textContent('[data-testid=memory]'), /f_c losslossless autoencoding/);
  await page.focus('#rate');
  await page.keyboard.press('ArrowLeft'); // c = 3, trained in the recall setting
  await waitData(page, 'model', 'conv-c3');
  await page.waitForFunction(() => !/loss=autoencoder/.test(location.hash));
  assert.match(await noteText(page), /lossless autoencoding is trained for the recall setting’s conv c = 4 only; back to attention reconstruction/);
  assert.match(await page.textContent('[data-testid=range]'), /^128 chars/);
  assert.match(await page.textContent('[data-testid=plot-readout]'), new RegExp(`^${entry('conv-c3').recall_bits_mean.toFixed(3)} bits — Compressive, conv, c = 3`));
  assert.match(await page.textContent('[data-testid=dist-readout]'), /conv c = 3 recalls up to D ≈ \d+ \(range 128\)/);
  // another f_c at c = 4, if shipped in the recall setting
  if (entry('max-c4')) {
    await page.selectOption('#fn', 'max');
    await waitData(page, 'model', 'max-c4');
    assert.match(await page.textContent('[data-testid=plot-readout]'), new RegExp(`^${entry('max-c4').recall_bits_mean.toFixed(3)} bits — Compressive, max, c = 4`));
  }
  // a loss in the URL outside conv c = 4 is reset with a note
  await shot(page, 'compressive-ablation');
  assert.deepEqual(errors, []);
  await page.close();
  const p2 = await open(ctx, lab('data=recall&c=8&loss=none'));
  await ready(p2.page);
  assert.match(await noteText(p2.page), /f_c loss = no loss is trained for the recall setting’s conv c = 4 only; using attention reconstruction/);
  assert.equal((await data(p2.page)).model, 'conv-c8');
  assert.deepEqual(p2.errors, []);
  await p2.page.close();
});

