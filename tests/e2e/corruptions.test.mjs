// The corruptions lab: loads with the shipped benchmark and a live large view, the whole 15 x 5 grid paints, the
// severity slider moves by keyboard into the URL and the view, a grid cell selects the large view, the ImageNet-P
// players and the flip table follow the frame slider, the benchmark views switch and a small live run finishes;
// bad uploads (wrong type, truncated, 1x1, CMYK, > 20 MP) and bad URL values get a message and keep the photo; a
// Rust error and a crash of the engine leave the page working. No console errors. The first view fetches no frost
// picture, digit or model; each is fetched when asked for (its button, a setting that needs it, a live run).
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { deflateSync } from 'node:zlib';
import { startBrowser, stopBrowser, open, ready, labValues, shot, ROOT, damageFiles } from './helpers.mjs';

let srv;
let ctx;
before(async () => ({ srv, ctx } = await startBrowser()));
after(() => stopBrowser(srv, ctx));

const lab = (q) => `${srv.isolated}/?single=1&relaxed=0#/corruptions${q ? `?${q}` : ''}`;
const data = (page) => page.evaluate(() => ({ ...document.getElementById('lab').dataset }));
const text = (page, id) => page.textContent(`[data-testid=${id}]`);

const CRC = Array.from({ length: 256 }, (_, n) => {
  let c = n;
  for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
  return c >>> 0;
});
function crc32(buf) {
  let c = 0xffffffff;
  for (const b of buf) c = CRC[(c ^ b) & 0xff] ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}
function chunk(type, body) {
  const len = Buffer.alloc(4);
  len.writeUInt32BE(body.length);
  const tb = Buffer.concat([Buffer.from(type, 'ascii'), body]);
  const crc = Buffer.alloc(4);
  crc.writeUInt32BE(crc32(tb));
  return Buffer.concat([len, tb, crc]);
}
/** A gray PNG of w x h (pixels `px(x, y)`); `idat: false` puts a stub in place of the pixel data (a file whose
 *  header is fine and whose pixels are cut short). */
function png(w, ht, px = () => 128, { idat = true } = {}) {
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(w, 0);
  ihdr.writeUInt32BE(ht, 4);
  ihdr[8] = 8; // bit depth
  ihdr[9] = 0; // grayscale
  const rows = [];
  if (idat) {
    for (let y = 0; y < ht; y++) rows.push(Buffer.from([0, ...Array.from({ length: w }, (_, x) => px(x, y))]));
  }
  return Buffer.concat([Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]), chunk('IHDR', ihdr),
    chunk('IDAT', deflateSync(idat ? Buffer.concat(rows) : Buffer.alloc(64))), chunk('IEND', Buffer.alloc(0))]);
}
/** The start of a JPEG whose frame header declares 4 components (CMYK). */
const cmykJpeg = () => Buffer.from([0xff, 0xd8, 0xff, 0xc0, 0x00, 0x14, 0x08, 0x00, 0x40, 0x00, 0x40, 0x04,
  1, 0x11, 0, 2, 0x11, 0, 3, 0x11, 0, 4, 0x11, 0, 0xff, 0xd9]);

async function upload(page, name, mimeType, buffer) {
  await page.setInputFiles('[data-testid=upload]', { name, mimeType, buffer });
}

test('corruptions: grid, large view, players, benchmark, uploads, bad URL values, engine errors', { timeout: 600000 }, async () => {
  const { page, errors } = await open(ctx, lab('severity=2&corruption=fog&perturbation=rotate&digit=3&seed=4&digits=20&frame=5'));
  await ready(page, 120000);
  assert.equal(await page.evaluate(() => document.body.dataset.status), 'ok');
  let d = await data(page);
  assert.equal(d.photo, '224x149', 'chelsea.png (451 x 300) fitted to 224 px');
  assert.equal(d.benchSource, 'shipped');
  // The shipped table: the three MLPs, the bagnet lab's two BagNets and CNN, the blindspot lab's two CNNs.
  assert.equal(await page.locator('[data-testid=bench-table] tbody tr').count(), 8);
  assert.match(await text(page, 'bench-table'), /BagNet-17.*CNN PGD \(blindspot\)/s);
  assert.match(await text(page, 'bench-source'), /Shipped result, computed natively: 2000 test digits/);
  assert.match(await text(page, 'big-caption'), /^Fog, severity 2, on chelsea\.png .*224×149; the ImageNet-C parameter tables\) — [\d.]+ ms$/);
  assert.match(await text(page, 'fidelity'), /76\.7%/);
  assert.match(await text(page, 'notice'), /At severity 2 the baseline’s error averages [\d.]+% over the 15 corruptions/);

  // The whole grid (the frost row once its pictures are fetched).
  await page.waitForSelector('#lab[data-grid="partial"]', { timeout: 120000 });
  await page.click('[data-testid=frost-load]');
  await page.waitForSelector('#lab[data-grid="done"]', { timeout: 120000 });
  assert.equal(await page.locator('[data-testid=grid] canvas[data-done="1"]').count(), 75);
  assert.ok(Number((await data(page)).gridMs) > 0);
  assert.match(await text(page, 'notice'), /The 15 × 5 grid took [\d.]+ s here \(1 thread\): [\d.]+ ms a cell on average/);
  assert.match(await text(page, 'notice'), /PGD adversarial training .* the mCE: CNN PGD \(blindspot\)/);
  assert.match(await text(page, 'notice'), /Ranked by mCE: /);
  await shot(page, 'corruptions');

  // Severity by keyboard: URL, large view, the outlined column and the severity sentence follow.
  await page.focus('#severity');
  await page.keyboard.press('ArrowRight');
  await page.waitForFunction(() => window.paperlab.lab.values.severity === 3);
  assert.match(page.url(), /severity=3/);
  await page.waitForFunction(() => /^Fog, severity 3/.test(document.querySelector('[data-testid=big-caption]').textContent));
  assert.equal(await page.locator('canvas.corr-cell.on').count(), 15);
  assert.match(await text(page, 'notice'), /At severity 3/);
  // A grid cell picks the large view.
  await page.click('canvas.corr-cell[data-c="zoom_blur"][data-s="5"]');
  await page.waitForFunction(() => /^Zoom blur, severity 5/.test(document.querySelector('[data-testid=big-caption]').textContent));
  const v = await labValues(page);
  assert.equal(v.corruption, 'zoom_blur');
  assert.equal(v.severity, 5);
  assert.match(page.url(), /corruption=zoom_blur/);

  // The players: rotate has 31 frames on the digit; the flip table has a row per model and marks the frame.
  await page.click('[data-testid=digits-load]');
  await page.waitForSelector('#lab[data-seq="rotate|31"]', { timeout: 60000 });
  assert.equal(await page.locator('.corr-flip-table tbody tr').count(), 8);
  assert.equal(await page.locator('.corr-flip-table td.cur').count(), 8);
  assert.match(await text(page, 'sequence'), /^Digit 3, frame 5 of 30: MLP natural \(baseline\) predicts \d/);
  await page.waitForFunction(() => /frame 5 of 30 \(ImageNet-P/.test(document.querySelector('[data-testid=photo-sequence]').textContent));
  await page.focus('#frame');
  await page.keyboard.press('End');
  await page.waitForFunction(() => window.paperlab.lab.values.frame === 40);
  assert.match(await text(page, 'sequence'), /frame 30 of 30/, 'a shorter sequence shows its last frame');
  // Translate: 16 frames on the digit (CIFAR-P), 41 on the photo (ImageNet-P).
  await page.selectOption('#perturbation', 'translate');
  await page.waitForSelector('#lab[data-seq="translate|16"]');
  await page.waitForFunction(() => /frame 40 of 40/.test(document.querySelector('[data-testid=photo-sequence]').textContent));
  assert.match(await text(page, 'notice'), /On this 16-frame sequence the predictions flip \(each frame against the previous one\)/);

  // Benchmark views.
  assert.equal(await page.locator('.corr-bar-row').count(), 15);
  await page.selectOption('#view', 'fp');
  await page.waitForFunction(() => document.querySelectorAll('.corr-bar-row').length === 10);
  assert.match(page.url(), /view=fp/);
  await page.selectOption('#view', 'rel_ce');
  await page.waitForFunction(() => document.querySelectorAll('.corr-bar-row').length === 15);

  // A live run on 20 digits replaces the shipped result; the baseline's mCE is 100% by construction.
  await page.click('[data-testid=bench-run]');
  await page.waitForSelector('#lab[data-bench-status="running"]');
  await page.waitForSelector('#lab[data-bench-status="done"]', { timeout: 300000 });
  d = await data(page);
  assert.equal(d.benchSource, 'live');
  assert.match(await text(page, 'bench-source'), /Live: 20 test digits \(flip rates on 20\), seed 4/);
  const base = await page.$$eval('[data-testid=bench-table] tbody tr:first-child td', (tds) => tds.map((t) => t.textContent));
  // On 20 digits the baseline may never flip, or its error not grow, on some perturbation or corruption: then its
  // relative mCE / mFR are undefined (a zero denominator) and shown as "–", which the source line explains.
  assert.equal(base[2], '100%', `baseline row ${base}`);
  for (const x of [base[3], base[4]]) assert.ok(x === '100%' || x === '–', `baseline row ${base}`);
  assert.match(await text(page, 'bench-source'), /or where the baseline’s value is 0/);

  // Bad uploads: a message each, the photo stays.
  const cases = [
    ['notes.txt', 'text/plain', Buffer.from('hello'), /notes\.txt is text\/plain, not a PNG or JPEG picture/],
    ['cut.png', 'image/png', readFileSync(join(ROOT, 'www/data/photos/chelsea.png')).subarray(0, 5000), /cut\.png: .*truncated/],
    ['dot.png', 'image/png', png(1, 1), /dot\.png: .*1x1 is too small: corruptions need at least 28x28 pixels/],
    ['cmyk.jpg', 'image/jpeg', cmykJpeg(), /cmyk\.jpg: .*CMYK JPEG; save it as RGB/],
    ['huge.png', 'image/png', png(6000, 4000, undefined, { idat: false }), /huge\.png: .*6000x4000 has more than 20 megapixels/],
    ['renamed.png', '', Buffer.from('GIF89a not really'), /renamed\.png: .*not supported|not a PNG or JPEG/],
  ];
  for (const [name, mime, buf, re] of cases) {
    await upload(page, name, mime, buf);
    await page.waitForFunction((n) => document.querySelector('[data-testid=photo-error]').textContent.startsWith(n), name);
    const msg = await text(page, 'photo-error');
    assert.match(msg, re);
    assert.match(msg, /The previous photo is kept\.$/);
    assert.equal((await data(page)).photo, '224x149');
  }
  // A good 40 x 30 grayscale upload (made RGB, as imagecorruptions does): the CIFAR-10-C tables; the error goes away.
  await upload(page, 'small.png', 'image/png', png(40, 30, (x, y) => (x * 6 + y * 3) % 256));
  await page.waitForSelector('#lab[data-photo="40x30"]');
  assert.equal(await page.isHidden('[data-testid=photo-error]'), true);
  await page.waitForFunction(() => /small\.png \(your upload\) \(40×30; the CIFAR-10-C parameter tables\)/.test(document.querySelector('[data-testid=big-caption]').textContent));
  await page.waitForSelector('#lab[data-grid="done"]', { timeout: 120000 });

  // A Rust error (a JsError) leaves the instance working.
  const msg = await page.evaluate(() => window.paperlab.lab.lab.call('corrupt', ['not_a_corruption', 3, 1]).then(() => 'no error', (e) => e.message));
  assert.match(msg, /'not_a_corruption' is not one of gaussian_noise/);
  await page.focus('#severity');
  await page.keyboard.press('ArrowLeft');
  await page.waitForFunction(() => /^Zoom blur, severity 4/.test(document.querySelector('[data-testid=big-caption]').textContent));

  // A crash: the engine restarts, the page loads the (uploaded) photo again and keeps working.
  await page.evaluate(() => { delete document.getElementById('lab').dataset.grid; });
  const crash = await page.evaluate(() => window.paperlab.engine.crashForTest());
  assert.match(crash, /engine crashed/);
  await page.waitForFunction(() => /restarted; your settings are kept/.test(document.querySelector('[data-testid=notes]').textContent));
  await page.waitForSelector('#lab[data-grid="done"]', { timeout: 120000 });
  assert.equal((await data(page)).photo, '40x30');
  await page.focus('#severity');
  await page.keyboard.press('ArrowLeft');
  await page.waitForFunction(() => /^Zoom blur, severity 3, on small\.png/.test(document.querySelector('[data-testid=big-caption]').textContent));

  await page.setViewportSize({ width: 375, height: 900 });
  await page.waitForTimeout(300);
  const overflow = await page.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth);
  assert.ok(overflow <= 0, `no horizontal page scroll at 375 px (${overflow} px)`);
  await shot(page, 'corruptions-narrow');
  assert.deepEqual(errors, []);
  await page.close();
});

test('corruptions: the first view fetches only the photo; frost, digits and models wait until asked for', { timeout: 300000 }, async () => {
  const { page, errors } = await open(ctx, lab(''));
  const fetched = [];
  page.on('request', (r) => fetched.push(new URL(r.url()).pathname));
  ctx.on('request', (r) => fetched.push(new URL(r.url()).pathname));
  await ready(page, 120000);
  await page.waitForSelector('#lab[data-grid="partial"]', { timeout: 120000 });
  await page.waitForTimeout(500);
  const lazy = (p) => /frost|mnist|\.safetensors/.test(p);
  assert.deepEqual(fetched.filter(lazy), [], 'nothing lazy before the user asks');
  let d = await data(page);
  assert.equal(d.frostStatus, 'idle');
  assert.equal(d.digitsStatus, 'idle');
  assert.equal(await page.locator('[data-testid=grid] canvas[data-done="1"]').count(), 70, '14 rows without frost');
  assert.match(await text(page, 'frost-lazy'), /frost pictures/);
  // Choosing frost for the large view fetches the pictures (the user asked for it) and paints it and the row.
  await page.selectOption('#corruption', 'frost');
  await page.waitForSelector('#lab[data-grid="done"]', { timeout: 120000 });
  await page.waitForFunction(() => /^Frost, severity 3/.test(document.querySelector('[data-testid=big-caption]').textContent));
  assert.equal(await page.isHidden('[data-testid=frost-lazy]'), true);
  assert.ok(fetched.some((p) => p.endsWith('frost1.png')));
  assert.ok(!fetched.some((p) => /mnist|\.safetensors/.test(p)), 'the digits still wait');
  // Moving the digit fetches the digits and models; the sequence and its flips follow.
  await page.fill('#digit', '7');
  await page.press('#digit', 'Enter');
  await page.waitForSelector('#lab[data-seq="rotate|31"]', { timeout: 120000 });
  d = await data(page);
  assert.equal(d.digitsStatus, 'done');
  assert.match(await text(page, 'sequence'), /^Digit 7, frame 0 of 30: MLP natural \(baseline\) predicts \d/);
  assert.deepEqual(errors, []);
  await page.close();
});

test('corruptions: a lazy file that fails to download is explained in the page and can be retried', { timeout: 300000 }, async () => {
  const { page, errors } = await open(ctx, lab(''));
  await ready(page, 120000);
  await page.route('**/www/data/frost/frost3.png', (r) => r.fulfill({ status: 503, body: 'down' }));
  await page.click('[data-testid=frost-load]');
  await page.waitForSelector('#lab[data-frost-status="error"]');
  assert.match(await text(page, 'frost-error'), /Could not load the five frost pictures: Could not download www\/data\/frost\/frost3\.png: HTTP 503/);
  await page.unroute('**/www/data/frost/frost3.png');
  await page.click('[data-testid=frost-load]');
  await page.waitForSelector('#lab[data-grid="done"]', { timeout: 120000 });
  assert.equal(await page.isHidden('[data-testid=frost-error]'), true);
  // The failed download is a console error of the browser's own (a 503), not of the page.
  assert.deepEqual(errors.filter((e) => !/503/.test(e)), []);
  await page.close();
});

test('corruptions: a damaged model is named in the digit player\'s box', { timeout: 300000 }, async () => {
  const { page, errors } = await open(ctx, lab(''));
  await ready(page, 120000);
  const damaged = await damageFiles(page.context(), '**/mlp-crownibp.safetensors');
  await page.click('[data-testid=digits-load]');
  await page.waitForSelector('#lab[data-digits-status="error"]', { timeout: 60000 });
  assert.match(await text(page, 'digits-error'), /^Could not load the digits and the 8 models: www\/models\/verify\/mlp-crownibp\.safetensors is damaged or out of date/);
  await damaged.stop();
  assert.deepEqual(errors, []);
  await page.close();
});

test('corruptions: NaN and out-of-range URL values are explained and replaced', { timeout: 300000 }, async () => {
  const { page, errors } = await open(ctx, lab('severity=abc&digit=99999&photo=nope&frame=-3&view=zzz'));
  await ready(page, 120000);
  const notes = await text(page, 'notes');
  assert.match(notes, /severity=abc is not a number; using 3/);
  assert.match(notes, /digit=99999/);
  assert.match(notes, /photo=nope/);
  assert.match(notes, /frame=-3/);
  assert.match(notes, /view=zzz/);
  const v = await labValues(page);
  assert.equal(v.severity, 3);
  assert.equal(v.digit, 1999);
  assert.equal(v.photo, 'chelsea');
  assert.equal(v.frame, 0);
  assert.match(page.url(), /severity=3&/);
  assert.match(await text(page, 'big-caption'), /^Snow, severity 3, on chelsea\.png/);
  assert.deepEqual(errors, []);
  await page.close();
});
