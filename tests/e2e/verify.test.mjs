// The verify lab on the cross-origin-isolated server (threads build): loads without errors, the epsilon slider
// works from the keyboard and the live verified error grows with epsilon, the CROWN lower-slope selector is shown
// only where it applies and changes the live numbers (live only), bad URL values are clamped with a note, a
// missing or corrupt model is reported in place while other models keep working, an engine crash is survived,
// embed mode hides the chrome, and the exports produce files.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { createHash } from 'node:crypto';
import { servers, launch, open, ready, liveResult, pgdResult, labValues, shot } from './helpers.mjs';

let srv;
let ctx;
let models;
let manifest;

before(async () => {
  srv = await servers();
  ctx = await launch();
  const res = await fetch(`${srv.isolated}/www/models/verify/manifest.json`);
  manifest = await res.json();
  models = manifest.models.map((m) => m.id);
});
after(async () => {
  await ctx?.close();
  await srv?.close();
});

const lab = (q) => `${srv.isolated}/#/verify${q ? `?${q}` : ''}`;
const noteText = (page) => page.$eval('[data-testid=notes]', (el) => (el.hidden ? '' : el.textContent));
const defaultModel = () => ['cnn-crownibp-s1', 'mlp-crownibp'].find((id) => models.includes(id)) || models[0];

test('the lab loads on the threads build with no errors and shows live results', async () => {
  const { page, errors } = await open(ctx, lab('eps=0.1&method=crown-ibp&digit=17'));
  await ready(page);
  assert.equal(await page.getAttribute('body', 'data-status'), 'ok');
  const hc = await page.evaluate(() => navigator.hardwareConcurrency);
  assert.equal(await page.evaluate(() => crossOriginIsolated), true);
  const badge = page.locator('[data-testid=backend]');
  assert.equal(await badge.getAttribute('data-backend'), 'threads');
  // Chromium has relaxed SIMD, so the fused-multiply-add variant of the threaded build runs.
  assert.equal(await badge.getAttribute('data-build'), 'pkg-parallel-relaxed');
  const n = Number(await badge.getAttribute('data-threads'));
  assert.equal(n, hc, 'one rayon thread per core');
  if (hc > 1) assert.ok(n > 1);
  assert.match(await badge.textContent(), new RegExp(`threads \\+ SIMD( \\+ FMA)? · ${n} threads?`));
  const r = await liveResult(page, `${defaultModel()}|0.1|crown-ibp|1|adaptive`);
  assert.equal(r.n, 2000);
  assert.ok(r.verified >= r.clean, 'verified errors include the clean errors');
  assert.match(await page.textContent('[data-testid=readout]'), /verified error \d/);
  await page.waitForSelector('#lab[data-digit-status="done"]');
  await page.waitForSelector('#lab[data-pgd-status="done"]', { timeout: 60000 });
  assert.match(await page.textContent('[data-testid=digit-verdict]'), /ε = 0\.100/);
  await shot(page, 'verify');
  await page.emulateMedia({ colorScheme: 'dark' });
  await page.waitForTimeout(200);
  await shot(page, 'verify-dark');
  await page.setViewportSize({ width: 420, height: 900 });
  await page.waitForTimeout(200);
  await shot(page, 'verify-narrow-dark');
  assert.deepEqual(errors, []);
  await page.close();
});

test('the precomputed curves show while the engine is still loading', async () => {
  const p = await ctx.newPage();
  const errors = [];
  p.on('pageerror', (e) => errors.push(e.message));
  let release;
  const gate = new Promise((r) => { release = r; });
  await p.route('**/paperlab_bg.wasm', async (route) => {
    await gate;
    await route.continue();
  });
  await p.goto(lab('eps=0.3&method=ibp'));
  await p.waitForFunction(() => window.paperlab?.lab?.plot?.xs?.length > 0);
  assert.equal(await p.getAttribute('body', 'data-ready'), '0');
  assert.match(await p.textContent('[data-testid=readout]'), /precomputed/);
  assert.equal(await p.textContent('[data-testid=backend]'), 'loading engine…');
  await shot(p, 'verify-loading');
  release();
  await ready(p);
  await liveResult(p, `${defaultModel()}|0.3|ibp|1|-`);
  assert.deepEqual(errors, []);
  await p.close();
});

// Monotonicity is checked with IBP: its intervals at a larger epsilon contain those at a smaller one, so its
// verified error can never fall as epsilon grows. (CROWN's adaptive relaxation has no such guarantee.)
test('epsilon from the keyboard; the live verified error never decreases as epsilon grows', async () => {
  const { page, errors } = await open(ctx, lab('eps=0.05&method=ibp&digit=3'));
  await ready(page);
  const m = defaultModel();
  const seen = [[0.05, (await liveResult(page, `${m}|0.05|ibp|1|-`)).verified]];
  await page.focus('#eps');
  await page.keyboard.press('ArrowRight');
  assert.equal((await labValues(page)).eps, 0.055, 'an arrow key steps 0.005');
  await page.keyboard.press('ArrowLeft');
  assert.equal((await labValues(page)).eps, 0.05);
  const lags = [];
  for (const eps of [0.1, 0.15, 0.2, 0.25, 0.3, 0.35]) {
    await page.keyboard.press('Shift+ArrowRight');
    const v = await labValues(page);
    assert.equal(v.eps, eps, 'shift+arrow steps 0.05');
    assert.match(await page.evaluate(() => location.hash), new RegExp(`eps=${eps}(&|$)`));
    assert.equal(await page.inputValue('#eps + input'), eps.toFixed(3));
    // The digit's bounds follow the slider at once (the full-test-set count comes later).
    const t0 = Date.now();
    await page.waitForFunction((e) => document.querySelector('[data-testid=digit-verdict]').textContent
      .includes(`ε = ${e}`), eps.toFixed(3));
    lags.push(Date.now() - t0);
    seen.push([eps, (await liveResult(page, `${m}|${eps}|ibp|1|-`)).verified]);
  }
  // Reported, not asserted: a timing goal belongs in a benchmark (scripts/measure-latency.mjs), where the machine's
  // load is controlled; here it only has to update.
  console.log(`digit view lag after a key press: ${lags} ms`);
  for (let i = 1; i < seen.length; i++) {
    assert.ok(seen[i][1] >= seen[i - 1][1], `verified errors ${JSON.stringify(seen)} should not decrease`);
  }
  assert.ok(seen.at(-1)[1] > seen[0][1], `verified errors ${JSON.stringify(seen)} should grow`);
  assert.deepEqual(errors, []);
  await page.close();
});

// CROWN's lower slope (alpha z for unstable ReLUs): shown only for the methods that use it, kept in the URL, and
// computed live only. With the paper's adaptive slope the live number is the manifest's; on the CROWN-IBP-trained
// net alpha = 0 is much tighter, and still sound: never below what PGD finds.
test('the lower-slope selector: CROWN methods only, in the URL, live only; alpha = 0 is tighter on the IBP-trained net', async (t) => {
  const m = 'mlp-crownibp';
  const entry = manifest.models.find((x) => x.id === m);
  if (!entry) return t.skip(`no ${m} in the manifest`);
  const { page, errors } = await open(ctx, lab(`model=${m}&eps=0.1&method=ibp&digit=17`));
  await ready(page);
  assert.equal(await page.isHidden('#slope'), true, 'IBP has no lower slope');
  await page.selectOption('#method', 'crown-ibp');
  assert.equal(await page.isVisible('#slope'), true);
  assert.match(await page.getAttribute('.control:has(#slope)', 'title'), /not monotone in ε/);
  assert.match(await page.textContent('.col-right'), /adaptive lower slope is not monotone in ε/);
  const ada = await liveResult(page, `${m}|0.1|crown-ibp|1|adaptive`);
  const k = entry.metrics.eps.findIndex((e) => Math.abs(e - 0.1) < 1e-6);
  assert.equal(ada.verified, Math.round(entry.metrics.crownibp_err[k] * ada.n), 'adaptive: the manifest value');
  const pgd = await pgdResult(page, `${m}|0.1|20|2019`);

  await page.selectOption('#slope', 'zero');
  assert.match(await page.evaluate(() => location.hash), /&slope=zero&/);
  const zero = await liveResult(page, `${m}|0.1|crown-ibp|1|zero`);
  assert.equal(zero.n, 2000);
  assert.ok(zero.verified < 0.8 * ada.verified, `alpha = 0 (${zero.verified}) much tighter than adaptive (${ada.verified})`);
  assert.ok(zero.verified >= pgd.errors, `a sound bound (${zero.verified}) never certifies what PGD breaks (${pgd.errors})`);
  assert.match(await page.textContent('[data-testid=readout]'), /Lower slope α = 0: computed live only/);
  await page.waitForFunction(() => /CROWN-IBP \(α = 0\)/.test(document.querySelector('[data-testid=digit-verdict]').textContent));

  await page.reload();
  await ready(page);
  assert.equal((await labValues(page)).slope, 'zero');
  assert.equal(await page.inputValue('#slope'), 'zero');
  await liveResult(page, `${m}|0.1|crown-ibp|1|zero`);
  await page.selectOption('#method', 'ibp');
  assert.equal(await page.isHidden('#slope'), true);
  await liveResult(page, `${m}|0.1|ibp|1|-`);
  assert.deepEqual(errors, []);
  await page.close();
});

test('bad values in the URL are clamped or reset with a visible note', async () => {
  const { page, errors } = await open(ctx, lab('eps=abc&method=crown-ibp'));
  await ready(page);
  assert.match(await noteText(page), /eps=abc is not a number; using 0\.3/);
  assert.equal((await labValues(page)).eps, 0.3);
  assert.equal(await page.inputValue('#eps + input'), '0.300');
  assert.match(await page.evaluate(() => location.hash), /eps=0\.3(&|$)/);

  await page.evaluate(() => { location.hash = '#/verify?eps=9&method=magic&model=nope&digit=-5&beta=2&slope=steep'; });
  await page.waitForFunction(() => /eps=9/.test(document.querySelector('[data-testid=notes]').textContent));
  const notes = await noteText(page);
  assert.match(notes, /eps=9 is above the range \[0, 0\.45\]; using 0\.45/);
  assert.match(notes, /method=magic is not one of ibp, crown, crown-ibp; using crown-ibp/);
  assert.match(notes, new RegExp(`model=nope is not a known model; using ${defaultModel()}`));
  assert.match(notes, /digit=-5 is below the range \[0, 1999\]; using 0/);
  assert.match(notes, /beta=2 is above the range \[0, 1\]; using 1/);
  assert.match(notes, /slope=steep is not one of adaptive, zero, one, parallel; using adaptive/);
  const v = await labValues(page);
  assert.deepEqual([v.eps, v.method, v.model, v.digit, v.beta, v.slope], [0.45, 'crown-ibp', defaultModel(), 0, 1, 'adaptive']);
  assert.equal(await page.inputValue('#eps + input'), '0.450');
  assert.equal(await page.inputValue('#slope'), 'adaptive');
  await liveResult(page, `${defaultModel()}|0.45|crown-ibp|1|adaptive`);

  // A repeated key: the first one counts, and the page says so; an engine switch in the hash is explained.
  await page.evaluate(() => { location.hash = '#/verify?eps=0.1&eps=0.2&single=1'; });
  await page.waitForFunction(() => /given 2 times/.test(document.querySelector('[data-testid=notes]').textContent));
  const notes2 = await noteText(page);
  assert.match(notes2, /eps is given 2 times; the first one counts/);
  assert.match(notes2, /single= picks the engine build when the page loads: put it before the “#”/);
  assert.equal((await labValues(page)).eps, 0.1);
  assert.deepEqual(errors, []);
  await page.close();
});

test('typed values that are clamped or snapped say so, and the box shows what is used', async () => {
  const { page, errors } = await open(ctx, lab('eps=0.1&method=ibp'));
  await ready(page);
  const typeInto = async (sel, text) => {
    await page.fill(sel, text);
    await page.press(sel, 'Enter');
  };
  await typeInto('#eps + input', '0.123');
  await page.waitForFunction(() => /0\.123/.test(document.querySelector('[data-testid=notes]').textContent));
  assert.match(await noteText(page), /0\.123 is not on the slider's steps of 0\.005; using 0\.125/);
  assert.equal(await page.inputValue('#eps + input'), '0.125');
  assert.equal(await page.inputValue('#eps'), '0.125', 'the thumb and the box agree');
  assert.equal((await labValues(page)).eps, 0.125);
  for (const [typed, used, why] of [['-1', '0.000', /-1 is below the range \[0, 0\.45\]; using 0\.000/],
    ['5', '0.450', /5 is above the range \[0, 0\.45\]; using 0\.450/], ['1e308', '0.450', /1e308 is above the range \[0, 0\.45\]; using 0\.450/]]) {
    if (used === '0.450' && (await page.inputValue('#eps + input')) === '0.450') await typeInto('#eps + input', '0.2');
    await typeInto('#eps + input', typed);
    await page.waitForFunction((t) => document.querySelector('[data-testid=notes]').textContent.includes(`${t} is`), typed);
    assert.match(await noteText(page), why);
    assert.equal(await page.inputValue('#eps + input'), used);
    assert.equal((await labValues(page)).eps, Number(used));
  }
  await typeInto('#digit', '1999999');
  await page.waitForFunction(() => /1999999/.test(document.querySelector('[data-testid=notes]').textContent));
  assert.match(await noteText(page), /1999999 is above the range \[0, 1999\]; using 1999/);
  assert.equal(await page.inputValue('#digit'), '1999');
  assert.equal((await labValues(page)).digit, 1999);
  assert.deepEqual(errors, []);
  await page.close();
});

test('"What to notice" is worded from the numbers: a sentence that would be false changes or goes', async () => {
  const { page, errors } = await open(ctx, lab('eps=0&method=crown-ibp'));
  await ready(page);
  const text = (id) => page.textContent(`[data-testid=${id}]`);
  assert.match(await text('notice'), /At ε = 0 every bound equals the clean margin/);
  assert.match(await text('fidelity'), /Move ε to 0\.3 to recompute it live/);
  // Up to 0.3: the ε = 0 sentence goes, the fidelity note says the live point is the paper's count.
  await page.focus('#eps');
  for (let i = 0; i < 6; i++) await page.keyboard.press('Shift+ArrowRight');
  assert.equal((await labValues(page)).eps, 0.3);
  await page.waitForFunction(() => !/At ε = 0/.test(document.querySelector('[data-testid=notice]').textContent));
  assert.match(await text('fidelity'), /The live point on the plot is the same count/);
  assert.doesNotMatch(await text('fidelity'), /Move ε to/);
  // The trained net's IBP-vs-CROWN sentence quotes the curves at the shown ε: another ε, other numbers.
  const quoted = async () => (await text('notice')).match(/IBP is [a-z ]+ CROWN \(([\d.]+%) vs ([\d.]+%)\)/)?.slice(1).join(' vs ');
  const at03 = await quoted();
  assert.ok(at03, 'the CROWN-IBP-trained sentence is shown');
  await page.keyboard.press('Shift+ArrowLeft');
  await page.keyboard.press('Shift+ArrowLeft');
  await page.waitForFunction((q) => !document.querySelector('[data-testid=notice]').textContent.includes(q), at03);
  assert.notEqual(await quoted(), at03);
  // The lower-slope advice applies to CROWN methods only: with IBP it goes.
  if (/try it under “CROWN lower slope”/.test(await text('notice'))) {
    await page.selectOption('#method', 'ibp');
    await page.waitForFunction(() => !/CROWN lower slope/.test(document.querySelector('[data-testid=notice]').textContent));
  }
  assert.deepEqual(errors, []);
  await page.close();
});

test('a missing or corrupt model file is reported in place; another model still works', async () => {
  assert.ok(models.length >= 2, 'the manifest lists at least two models');
  const [bad, good] = models[0] === defaultModel() ? [models[1], models[0]] : [models[0], defaultModel()];
  const manifest = await (await fetch(`${srv.isolated}/www/models/verify/manifest.json`)).json();
  const badFile = manifest.models.find((m) => m.id === bad).file;
  for (const mode of ['missing', 'corrupt']) {
    const p = await ctx.newPage();
    await p.route(`**/www/models/verify/${badFile}`, (route) => (mode === 'missing'
      ? route.fulfill({ status: 404, body: 'not found' })
      : route.fulfill({ status: 200, contentType: 'application/octet-stream', body: Buffer.from('this is not a safetensors file at all') })));
    const errors = [];
    p.on('pageerror', (e) => errors.push(e.message));
    await p.goto(lab(`model=${bad}&eps=0.1`));
    await ready(p);
    const msg = await p.textContent('[data-testid=live-error]');
    assert.match(msg, /Could not load the model/);
    if (mode === 'missing') assert.match(msg, /404/);
    assert.match(msg, /Choose another model/);
    assert.equal(await p.getAttribute('#lab', 'data-live-status'), 'error');
    assert.match(await p.textContent('[data-testid=digit-error]'), /Could not load the model/);
    await shot(p, `verify-model-${mode}`);
    await p.selectOption('#model', good);
    await liveResult(p, `${good}|0.1|crown-ibp|1|adaptive`);
    await p.waitForSelector('#lab[data-digit-status="done"]');
    assert.equal(await p.isHidden('[data-testid=live-error]'), true);
    assert.deepEqual(errors, []);
    await p.close();
  }
});

test('the page survives an engine crash and keeps its settings', async () => {
  const { page, errors } = await open(ctx, lab('eps=0.1&method=ibp&digit=5'));
  await ready(page);
  await liveResult(page, `${defaultModel()}|0.1|ibp|1|-`);
  const msg = await page.evaluate(() => window.paperlab.engine.crashForTest());
  assert.match(msg, /engine crashed/);
  await page.waitForFunction(() => /restarted; your settings are kept/.test(document.querySelector('[data-testid=notes]').textContent));
  assert.equal((await labValues(page)).eps, 0.1);
  await page.focus('#eps');
  await page.keyboard.press('Shift+ArrowRight');
  await liveResult(page, `${defaultModel()}|0.15|ibp|1|-`);
  await page.waitForSelector('#lab[data-digit-status="done"]');
  assert.deepEqual(errors, []);
  await page.close();
});

test('embed mode hides the chrome; share link and exports work', async () => {
  const { page, errors } = await open(ctx, lab('eps=0.2&method=crown-ibp&digit=9'));
  await ready(page);
  const share = await page.inputValue('.lab-foot input.share');
  assert.match(share, /#\/verify\?eps=0\.2&method=crown-ibp&beta=1&slope=adaptive&model=[\w-]+&digit=9&steps=\d+&seed=\d+$/);
  const embed = await page.inputValue('.lab-foot textarea');
  assert.match(embed, /^<iframe src="[^"]+&embed=1"/);

  const [csv] = await Promise.all([page.waitForEvent('download'), page.click('text=CSV of the plotted numbers')]);
  const text = readFileSync(await csv.path(), 'utf8');
  const lines = text.trim().split('\n');
  assert.equal(lines[0], 'source,model,eps,clean_err_pct,pgd_err_pct,ibp_err_pct,crown_err_pct,crownibp_err_pct,beta,slope,pgd_steps,pgd_seed,n_digits');
  assert.ok(lines.some((l) => l.startsWith('live,')), 'the live result is exported');
  const [png] = await Promise.all([page.waitForEvent('download'), page.click('text=PNG of the plot')]);
  const bytes = readFileSync(await png.path());
  assert.deepEqual([...bytes.subarray(1, 4)], [0x50, 0x4e, 0x47]);

  await page.goto(lab('eps=0.2&method=crown-ibp&digit=9&embed=1'));
  await page.waitForFunction(() => document.body.classList.contains('embed'));
  await ready(page);
  assert.equal(await page.isHidden('.lab-head'), true);
  assert.equal(await page.isHidden('.lab-foot'), true);
  assert.equal(await page.isHidden('.site-bar'), true);
  assert.equal(await page.isVisible('.plot'), true);
  await shot(page, 'verify-embed');
  assert.deepEqual(errors, []);
  await page.close();
});

/** The shipped test-digit file with only the first `n` test digits (a data file of another size). */
async function smallerTestSet(n) {
  const { gunzipSync, gzipSync } = await import('node:zlib');
  const raw = gunzipSync(readFileSync(new URL('../../www/data/mnist-test-2k.safetensors.gz', import.meta.url)));
  const len = Number(raw.readBigUInt64LE(0));
  const head = JSON.parse(raw.subarray(8, 8 + len).toString());
  const body = raw.subarray(8 + len);
  const parts = [];
  const out = { __metadata__: head.__metadata__ };
  let off = 0;
  for (const name of ['test.images', 'test.labels', 'train.images', 'train.labels']) {
    const t = head[name];
    let data = body.subarray(t.data_offsets[0], t.data_offsets[1]);
    let shape = t.shape;
    if (name.startsWith('test.')) {
      shape = [n, ...t.shape.slice(1)];
      data = data.subarray(0, shape.reduce((a, b) => a * b, 1));
    }
    out[name] = { dtype: t.dtype, shape, data_offsets: [off, off + data.length] };
    off += data.length;
    parts.push(data);
  }
  let hjson = Buffer.from(JSON.stringify(out));
  hjson = Buffer.concat([hjson, Buffer.alloc((8 - (hjson.length % 8)) % 8, 0x20)]);
  const lenBuf = Buffer.alloc(8);
  lenBuf.writeBigUInt64LE(BigInt(hjson.length));
  return gzipSync(Buffer.concat([lenBuf, hjson, ...parts]));
}

test('a data file with another test-set size re-ranges the digit setting instead of failing', async () => {
  // Regression: this branch called serialiseState without importing it and showed "Could not load the model".
  const body = await smallerTestSet(500);
  const own = await launch();
  await own.route('**/mnist-test-2k.safetensors.gz', (route) => route.fulfill({
    status: 200, body, headers: { 'content-type': 'application/gzip', 'cross-origin-resource-policy': 'same-origin' },
  }));
  // As a site that ships its own data file would: the checksum list names the new file's SHA-256.
  await own.route('**/www/checksums.json', async (route) => {
    const res = await route.fetch();
    const sums = await res.json();
    sums.files['www/data/mnist-test-2k.safetensors.gz'] = createHash('sha256').update(body).digest('hex');
    await route.fulfill({ response: res, body: JSON.stringify(sums) });
  });
  try {
    const { page, errors } = await open(own, lab('eps=0.1&method=ibp&digit=1500'));
    await ready(page);
    await page.waitForFunction(() => Number(document.getElementById('digit')?.max) === 499, null, { timeout: 60000 });
    assert.doesNotMatch(await page.textContent('#lab'), /Could not load the model/);
    assert.equal((await labValues(page)).digit, 499);
    assert.deepEqual(errors, []);
  } finally {
    await own.close();
  }
});

test('the CNNs: in the model menu, verified live with progress, the digit view works; the training-method comparison', async () => {
  const cnn = models.find((m) => /^cnn-crownibp/.test(m));
  if (!cnn) return; // a manifest without CNNs (the comparison panel then says so)
  const { page, errors } = await open(ctx, lab(`model=${cnn}&eps=0.3&method=ibp&digit=17`));
  await ready(page);
  const options = await page.$$eval('select[name=model] option, [data-setting=model] option', (os) => os.map((o) => o.value));
  if (options.length) assert.ok(options.includes(cnn) && options.some((o) => /^mlp-/.test(o)), 'MLPs and CNNs in the menu');
  const r = await liveResult(page, `${cnn}|0.3|ibp|1|-`);
  assert.equal(r.n, 2000);
  const want = manifest.models.find((m) => m.id === cnn).metrics;
  const k = want.eps.findIndex((e) => Math.abs(e - 0.3) < 1e-6);
  assert.ok(Math.abs(r.verified / r.n - want.ibp_err[k]) <= 0.001, `live IBP verified error ${r.verified / r.n} vs manifest ${want.ibp_err[k]}`);
  await page.waitForSelector('#lab[data-digit-status="done"]');
  assert.match(await page.textContent('[data-testid=digit-verdict]'), /ε = 0\.300/);
  const rows = await page.$$eval('[data-testid=training-table] tbody tr', (trs) => trs.map((tr) => tr.textContent));
  assert.ok(rows.some((t) => /CROWN-IBP training/.test(t)) && rows.some((t) => /IBP training/.test(t)), `training rows: ${rows}`);
  assert.match(await page.textContent('[data-testid=training-note]'), /abstract/);
  // The CROWN-IBP row: the paper's checked number beside ours, and our ε = 0.3 cell is the seeds' mean of the tighter
  // of the manifest's IBP and CROWN-IBP verified errors.
  const crownRow = await page.$$eval('[data-testid=training-table] tbody tr', (trs) => trs.map((tr) => [...tr.children].map((td) => td.textContent))
    .find((c) => /^CROWN-IBP training/.test(c[0])));
  assert.equal(crownRow[5], '7.02%');
  const seeds = manifest.models.filter((m) => /^cnn-crownibp/.test(m.id)).map((m) => {
    const j = m.metrics.eps.findIndex((e) => Math.abs(e - 0.3) < 1e-6);
    return 100 * Math.min(m.metrics.ibp_err[j], m.metrics.crownibp_err[j]);
  });
  const mean = seeds.reduce((a, b) => a + b, 0) / seeds.length;
  assert.ok(crownRow[4].startsWith(`${mean.toFixed(1)}%`), `CROWN-IBP row at ε = 0.3: ${crownRow[4]} vs the manifest's mean ${mean.toFixed(1)}%`);
  assert.deepEqual(errors, []);
  await page.close();
});
