// The lottery lab on the cross-origin-isolated server (threads build): the precomputed curves show before the
// engine is up, the sliders change the sparsity shown and the URL, a short live IMP run produces its points (the
// page's instant sparsity equals the engine's plan), a run can be cancelled, bad URL values are clamped with a
// visible note, and the pruned certified network is verified live. The plan shown is the engine's (LotteryPlanner).
// PAPERLAB_SINGLE=1 opens the one-thread build (`?single=1&relaxed=0`), the only one `make pkg` builds.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startBrowser, stopBrowser, open, ready, labValues, shot } from './helpers.mjs';

let srv;
let ctx;

before(async () => ({ srv, ctx } = await startBrowser()));
after(() => stopBrowser(srv, ctx));

const SINGLE = process.env.PAPERLAB_SINGLE === '1';
const lab = (q) => `${srv.isolated}/${SINGLE ? '?single=1&relaxed=0' : ''}#/lottery${q ? `?${q}` : ''}`;
/** Waits until the engine's plan of the current settings is in (the headline and "What to notice" use it). */
const planned = (page) => page.waitForFunction(() => document.getElementById('lab').dataset.planStatus === 'done');
const noteText = (page) => page.$eval('[data-testid=notes]', (el) => (el.hidden ? '' : el.textContent));
const dataset = (page) => page.evaluate(() => ({ ...document.getElementById('lab').dataset }));

test('loads with precomputed curves, live verification of the pruned certified net, no errors', async () => {
  const { page, errors } = await open(ctx, lab(''));
  await page.waitForFunction(() => window.paperlab?.lab?.plot?.xs?.length > 0);
  await ready(page);
  assert.equal(await page.getAttribute('body', 'data-status'), 'ok');
  assert.equal(await page.getAttribute('[data-testid=backend]', 'data-backend'), SINGLE ? 'simd' : 'threads');
  const xs = await page.evaluate(() => window.paperlab.lab.plot.xs);
  assert.equal(Math.max(...xs), 100, 'the curves start at the dense network');
  assert.ok(Math.min(...xs) < 5, `the curves reach below 5% of the weights (${Math.min(...xs)})`);
  const d = await dataset(page);
  assert.equal(d.verifyStatus, 'done');
  assert.equal(Number(d.verifyN), 2000);
  assert.ok(Number(d.verifyVerified) >= Number(d.verifyClean), 'verified errors include the clean errors');
  assert.match(await page.textContent('[data-testid=verify-readout]'), /verified error \d/);
  assert.match(await page.textContent('[data-testid=mask-caption]'), /Precomputed winning ticket/);
  // The engine paints the mask (ImageData from the worker): one ink pixel per kept weight, in either scheme.
  const inkOf = () => page.evaluate(() => {
    const { masks } = window.paperlab.lab;
    const c = document.querySelector('.mask-grid');
    const px = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;
    const dark = matchMedia('(prefers-color-scheme: dark)').matches;
    const ink = dark ? [31, 191, 143] : [0, 110, 80];
    let n = 0;
    for (let i = 0; i < px.length; i += 4) n += px[i] === ink[0] && px[i + 1] === ink[1] && px[i + 2] === ink[2];
    return { ink: n, kept: masks.shown().summary.kept };
  });
  const light = await inkOf();
  assert.ok(light.kept > 0 && light.ink === light.kept, `ink pixels ${light.ink} vs kept weights ${light.kept}`);
  // The mask sentence is worded from the engine's count of the shipped mask's border and centre.
  assert.match(await page.textContent('[data-testid=notice]'), /the border \(the outer 4 pixels.*\) keeps [\d.]+% of its weights, the centre [\d.]+%/);
  await shot(page, 'lottery');
  await page.emulateMedia({ colorScheme: 'dark' });
  await page.waitForTimeout(200);
  await shot(page, 'lottery-dark');
  const dark = await inkOf();
  assert.ok(dark.ink === dark.kept, `dark scheme: ink pixels ${dark.ink} vs kept weights ${dark.kept}`);
  assert.deepEqual(errors, []);
  await page.close();
});

test('the sliders change the sparsity shown and the URL', async () => {
  const { page, errors } = await open(ctx, lab('rate=0.2&target=5'));
  await ready(page);
  const shown = async () => [await page.textContent('[data-testid=sparsity]'), (await dataset(page)).targetRemaining];
  const [text0, rem0] = await shown();
  assert.match(text0, /4\.47% of weights remaining after 14 rounds at 20% per round/);
  assert.equal(rem0, '4.47');
  await page.focus('#rate');
  await page.keyboard.press('ArrowRight');
  assert.equal((await labValues(page)).rate, 0.25);
  await planned(page);
  assert.match(await page.evaluate(() => location.hash), /rate=0\.25(&|$)/);
  const [text1, rem1] = await shown();
  assert.notEqual(text1, text0);
  assert.match(text1, /at 25% per round/);
  // 0.75^11 of the hidden weights is 4.2%; the output layer (12.5% per round) keeps more.
  assert.ok(Number(rem1) < 5 && Number(rem1) > 4, rem1);
  await page.focus('#target');
  await page.keyboard.press('Shift+ArrowRight');
  assert.equal((await labValues(page)).target, 6);
  await planned(page);
  const [, rem2] = await shown();
  assert.ok(Number(rem2) <= 6 && Number(rem2) > Number(rem1), `${rem2} vs ${rem1}`);
  // The marker follows.
  const marker = await page.evaluate(() => window.paperlab.lab.plot.marker);
  assert.ok(Math.abs(marker - Number(rem2)) < 0.01);
  assert.deepEqual(errors, []);
  await page.close();
});

test('one "weights remaining" everywhere, the round cap said, and "What to notice" follows the numbers', async () => {
  const { page, errors } = await open(ctx, lab('rate=0.6&target=2'));
  await ready(page);
  const text = (id) => page.textContent(`[data-testid=${id}]`);
  const esc = (x) => x.replace('.', '\\.');
  const head = await text('sparsity');
  const reached = head.match(/^([\d.]+)% of weights remaining/)[1];
  assert.equal(Number((await dataset(page)).targetRemaining), Number(Number(reached).toFixed(2)));
  // The curves have their own levels: the headline says which one the legend and "What to notice" read, and they do.
  const read = head.match(/read them at the nearest one, ([\d.]+)%/)?.[1] || reached;
  assert.match(await text('notice'), new RegExp(`At ${esc(read)}% of the weights`));
  const legendX = await page.evaluate(() => { const l = window.paperlab.lab.plot; return l.xs[l.legendIdx]; });
  assert.equal(Number(legendX.toPrecision(3)), Number(read), 'the legend reads the curves at the level named');
  // The certified panel prunes at its level nearest the same number, and says so when it is another one.
  await page.waitForFunction(() => /verified error/.test(document.querySelector('[data-testid=verify-readout]').textContent), null, { timeout: 60000 });
  const vr = await text('verify-readout');
  const pruned = vr.match(/pruned to ([\d.]+)% of its weights/)[1];
  if (pruned !== reached) assert.match(vr, new RegExp(`nearest the ${esc(reached)}% above`));
  // A ratio too small to reach the target in 40 rounds says so.
  await page.evaluate(() => { location.hash = '#/lottery?rate=0.05&target=1'; });
  await page.waitForFunction(() => /40-round cap/.test(document.querySelector('[data-testid=sparsity]').textContent));
  assert.match(await text('sparsity'), /after 40 rounds/);
  // "Learns faster" only where the early-stopping iterations say so; the sentence changes with the target.
  const seen = new Set();
  for (const target of [50, 20, 10, 5, 2, 1]) {
    await page.evaluate((t) => { location.hash = `#/lottery?rate=0.2&target=${t}`; }, target);
    await page.waitForFunction((t) => window.paperlab.lab.values.target === t, target);
    await planned(page);
    const n = await text('notice');
    const m = n.match(/(also learns faster|does not learn faster|learns as fast as the others): the lowest validation loss comes at iteration (\d+) \(dense: (\d+), re-initialised: (\d+)\)/);
    if (!m) continue;
    const [a, d, r] = m.slice(2).map(Number);
    const want = a < d && a < r ? 'also learns faster' : a > d || a > r ? 'does not learn faster' : 'learns as fast as the others';
    assert.equal(m[1], want, `target ${target}%: ${m[0]}`);
    seen.add(m[0]);
  }
  assert.ok(seen.size >= 2, `the sentence follows the numbers as the target moves: ${[...seen].join(' | ')}`);
  assert.deepEqual(errors, []);
  await page.close();
});

test('a short live run produces its points; the page and the engine agree on the sparsity', async () => {
  const { page, errors } = await open(ctx, lab('iters=30&target=70&rewind=reinit&seed=7'));
  await ready(page);
  await page.click('[data-testid=run]');
  await page.waitForFunction(() => document.getElementById('lab').dataset.runStatus === 'done', null, { timeout: 120000 });
  const run = await page.evaluate(() => {
    const { lab } = window.paperlab;
    return { points: lab.run.points, plan: lab.run.plan.levels, mine: lab.plan.levels };
  });
  // Levels 0 (dense), 1 (80%), 2 (64%): the ticket at each, the re-initialised control at 1 and 2.
  assert.equal(run.points.length, 5);
  assert.deepEqual(run.points.map((p) => [p.level, p.kind]), [[0, 'ticket'], [1, 'reinit'], [1, 'ticket'], [2, 'reinit'], [2, 'ticket']]);
  assert.deepEqual(run.plan.map((l) => l.level), run.mine.map((l) => l.level));
  run.plan.forEach((l, i) => assert.ok(Math.abs(l.remaining - run.mine[i].remaining) < 1e-12));
  for (const p of run.points) {
    assert.ok(p.metric_at_es > 0.5 && p.metric_at_es <= 1, `accuracy ${p.metric_at_es}`);
    assert.ok(Math.abs(p.remaining - run.plan[p.level].remaining) < 1e-12);
  }
  assert.equal((await dataset(page)).runPoints, '5');
  assert.match(await page.textContent('[data-testid=mask-caption]'), /Your run: the mask of the network trained at level 2 \(64\.\d% /);
  const runInk = await page.evaluate(() => {
    const c = document.querySelector('.mask-grid');
    const px = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;
    let n = 0;
    for (let i = 0; i < px.length; i += 4) n += px[i] === 0 && px[i + 1] === 110 && px[i + 2] === 80;
    return { ink: n, kept: window.paperlab.lab.run.mask.summary.kept };
  });
  assert.equal(runInk.ink, runInk.kept, 'the run\'s mask picture has one ink pixel per kept weight');
  const live = await page.evaluate(() => window.paperlab.lab.plot.live.map((s) => [s.key, s.points.length]));
  assert.deepEqual(live.sort(), [['reinit', 2], ['ticket', 3]]);
  await shot(page, 'lottery-run');
  assert.deepEqual(errors, []);
  await page.close();
});

test('a run can be cancelled', async () => {
  const { page, errors } = await open(ctx, lab('iters=2000&target=10'));
  await ready(page);
  await page.click('[data-testid=run]');
  await page.waitForFunction(() => {
    const p = document.querySelector('.progress progress');
    return p && p.value > 0;
  }, null, { timeout: 60000 });
  assert.equal(await page.textContent('[data-testid=run]'), 'cancel');
  await page.click('[data-testid=run]');
  assert.equal((await dataset(page)).runStatus, 'cancelled');
  assert.equal(await page.textContent('[data-testid=run]'), 'run');
  assert.match(await page.textContent('[data-testid=readout]'), /^Your run \(cancelled\)/);
  assert.deepEqual(errors, []);
  await page.close();
});

test('reached from another lab whose engine is already running: no errors, the engine-ready state shows', async () => {
  const { page, errors } = await open(ctx, `${srv.isolated}/${SINGLE ? '?single=1&relaxed=0' : ''}#/ucb`);
  await ready(page);
  await page.evaluate(() => { location.hash = '#/lottery'; });
  await page.waitForFunction(() => document.body.dataset.ready === '1' && document.querySelector('[data-testid=sparsity]'));
  await page.waitForFunction(() => /Engine ready/.test(document.querySelector('[data-testid=readout]')?.textContent || ''));
  assert.deepEqual(errors, []);
  await page.close();
});

test('bad values in the URL are clamped or reset with a visible note', async () => {
  const { page, errors } = await open(ctx, lab('rate=abc&target=500&rewind=magic&iters=5&k=99&seed=-4&setting=chess&scope=wide&eps=9'));
  await ready(page);
  const notes = await noteText(page);
  assert.match(notes, /rate=abc is not a number; using 0\.2/);
  assert.match(notes, /target=500 is above the range \[1, 100\]; using 100/);
  assert.match(notes, /rewind=magic is not one of init, late, reinit, random; using init/);
  assert.match(notes, /iters=5 is below the range \[20, 5000\]; using 20/);
  assert.match(notes, /k=99 is not below the 20 training iterations; using 19/);
  assert.match(notes, /seed=-4 is below the range \[0, 999999\]; using 0/);
  assert.match(notes, /setting=chess is not one of vision, rl, lm; using vision/);
  assert.match(notes, /scope=wide is not one of layer, global; using layer/);
  assert.match(notes, /eps=9 is above the range \[0, 0\.45\]; using 0\.45/);
  const v = await labValues(page);
  assert.deepEqual([v.rate, v.target, v.rewind, v.iters, v.k, v.seed], [0.2, 100, 'init', 20, 19, 0]);
  const hash = await page.evaluate(() => location.hash);
  for (const kv of ['rate=0.2', 'target=100', 'rewind=init', 'k=19', 'setting=vision', 'scope=layer', 'eps=0.45']) assert.ok(hash.split(/[?&]/).includes(kv), `${kv} in ${hash}`);
  assert.match(await page.textContent('[data-testid=sparsity]'), /100% of weights remaining after 0 rounds/);
  assert.deepEqual(errors, []);
  await page.close();
});

test('the language setting: embedding pruning in the URL, the plan and a short live run', async () => {
  const { page, errors } = await open(ctx, lab('setting=lm&iters=10&target=85&rewind=late&k=2&emb=0'));
  await ready(page);
  const xs = await page.evaluate(() => window.paperlab.lab.plot.xs);
  assert.ok(xs.length >= 10 && Math.max(...xs) === 100, 'precomputed curves');
  const keys = await page.evaluate(() => window.paperlab.lab.plot.opts.series.map((x) => x.key));
  assert.ok(keys.includes('noemb'), 'the embedding-not-pruned series is plotted');
  assert.equal(await page.isVisible('#emb'), true);
  // Embedding (2,400 weights) kept dense: level 1 keeps 2,400 + 6,554 + 13,107 + 4,320 = 26,381 of 31,776 = 83.0%.
  assert.match(await page.textContent('[data-testid=sparsity]'), /83\.0% of weights remaining after 1 round/);
  await page.click('[data-testid=run]');
  await page.waitForFunction(() => document.getElementById('lab').dataset.runStatus === 'done', null, { timeout: 120000 });
  const run = await page.evaluate(() => ({ points: window.paperlab.lab.run.points, plan: window.paperlab.lab.run.plan.levels }));
  assert.deepEqual(run.points.map((p) => [p.level, p.kind]), [[0, 'ticket'], [1, 'ticket']]);
  assert.deepEqual(run.points[1].counts, [2400, 6554, 13107, 4320]);
  for (const p of run.points) assert.ok(p.metric_at_es > 1 && p.metric_at_es < 7, `bits per character ${p.metric_at_es}`);
  const live = await page.evaluate(() => window.paperlab.lab.plot.live.map((x) => x.key));
  assert.deepEqual(live, ['noemb']);
  // Switching the setting keeps working and brings back the mask view.
  await page.selectOption('#setting', 'vision');
  await page.waitForFunction(() => window.paperlab.lab.values.setting === 'vision' && !document.querySelector('.mask-panel').hidden);
  assert.match(await page.evaluate(() => location.hash), /setting=vision/);
  // The vision setting's own ranges and defaults: one set of controls, keyboard-usable, the main slider first.
  assert.equal((await labValues(page)).iters, 1500);
  assert.equal(await page.locator('#rate').count(), 1);
  assert.equal(await page.locator('#eps').count(), 1, 'the verify controls are not duplicated');
  await page.focus('#rate');
  await page.keyboard.press('ArrowLeft');
  assert.equal((await labValues(page)).rate, 0.15);
  await planned(page);
  assert.match(await page.textContent('[data-testid=sparsity]'), /at 15% per round/);
  assert.deepEqual(errors, []);
  await page.close();
});

test('the reinforcement-learning setting: precomputed returns and a short live CartPole run', async () => {
  const { page, errors } = await open(ctx, lab('setting=rl&iters=5&target=70&rewind=late&k=2'));
  await ready(page);
  const xs = await page.evaluate(() => window.paperlab.lab.plot.xs);
  assert.ok(xs.length >= 15 && Math.max(...xs) === 100);
  assert.match(await page.textContent('#lab .col-main h2'), /Episode return vs weights remaining/);
  assert.equal(await page.isHidden('.mask-panel'), true, 'no mask view for the policy');
  await page.click('[data-testid=run]');
  await page.waitForFunction(() => document.getElementById('lab').dataset.runStatus === 'done', null, { timeout: 120000 });
  const pts = await page.evaluate(() => window.paperlab.lab.run.points);
  assert.deepEqual(pts.map((p) => [p.level, p.kind]), [[0, 'ticket'], [1, 'ticket'], [2, 'ticket']]);
  for (const p of pts) assert.ok(p.metric_tail >= 5 && p.metric_tail <= 500, `return ${p.metric_tail}`);
  const live = await page.evaluate(() => window.paperlab.lab.plot.live.map((s) => s.key));
  assert.deepEqual(live, ['late'], 'late rewinding is drawn as the late series');
  assert.match(await page.textContent('[data-testid=notice]'), /late-rewound ticket keeps at least 95% of the dense return (down to [\d.]+% of the weights|at no pruned level)/);
  await shot(page, 'lottery-rl');
  assert.deepEqual(errors, []);
  await page.close();
});
