// The ucb lab: loads with the shipped runs and no console errors, the pruning-ratio slider changes the shown
// accuracy (keyboard and URL), bad URL values are clamped with a visible note, and a live run in the engine fills
// at least one row of the accuracy matrix and can be cancelled (its finished rows stay, marked as partial, until
// discarded; the live run is class-incremental UCB, which must learn task 2: it scored 0% before the shared head's
// new rows got the base rate), every method's shipped runs learn each new task or the page says which they do not,
// and the longer native runs show with their claim sentence.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startBrowser, stopBrowser, open, ready, shot } from './helpers.mjs';

let srv;
let ctx;

before(async () => ({ srv, ctx } = await startBrowser()));
after(() => stopBrowser(srv, ctx));

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

test('a live class-incremental run learns task 2, fills the matrix row by row and can be cancelled', async () => {
  const { page, errors } = await open(ctx, lab('method=ucb&mode=class&seed=1'));
  await ready(page);
  await page.click('[data-testid=run]');
  await page.waitForFunction(() => document.getElementById('lab').dataset.runStatus === 'running');
  assert.equal((await data(page)).source, 'live');
  await page.waitForFunction(() => Number(document.getElementById('lab').dataset.runRows) >= 2, null, { timeout: 90000 });
  const m = await page.evaluate(() => window.paperlab.lab.current().matrix);
  assert.ok(m[0].every(Number.isFinite) && m[1].every(Number.isFinite), 'the first two rows are complete');
  assert.ok(m[0][0] > 0.97, `task 1 learned live: ${m[0][0]}`);
  assert.ok(m[1][1] >= 0.5, `task 2 learned live right after training it (10-way head, chance 10%): ${m[1][1]}`);
  assert.ok(m[4].every((v) => v === null || Number.isNaN(v)), 'the last row is not in yet');
  await shot(page, 'ucb-live');
  await page.click('[data-testid=run]');
  await page.waitForFunction(() => document.getElementById('lab').dataset.runStatus === 'cancelled');
  const d = await data(page);
  assert.equal(d.source, 'partial', 'after a cancel the finished rows stay, marked as a partial live run');
  const rows = Number(d.runRows);
  assert.ok(rows >= 2 && rows < 5, `rows kept: ${rows}`);
  const kept = await page.evaluate(() => window.paperlab.lab.current().matrix);
  assert.deepEqual(kept[1], m[1], 'the second row is the one trained live');
  assert.ok(kept[rows].every((v) => v === null || Number.isNaN(v)), 'the unfinished row is not shown');
  assert.match(await page.textContent('[data-testid=source]'), new RegExp(`Partial live run, stopped after ${rows} of 5 tasks`));
  assert.match(await page.textContent('[data-testid=metrics]'), /ACC and BWT appear when the last row is in/);
  await page.click('[data-testid=discard]');
  assert.equal((await data(page)).source, 'shipped', 'after discarding the partial run the shipped run shows again');
  assert.deepEqual(errors, []);
  await page.close();
});

test('"What to notice": each method learns every new task or the page names the task it does not', async () => {
  const manifest = await (await fetch(`${srv.isolated}/www/models/ucb/manifest.json`)).json();
  const { page, errors } = await open(ctx, lab('method=ucb&mode=task&seed=1'));
  await ready(page);
  const notice = () => page.textContent('[data-testid=notice]');
  for (const mode of ['task', 'class']) {
    if (mode === 'class') {
      await page.selectOption('#mode', 'class');
      await page.waitForFunction(() => /mode=class/.test(location.hash));
    }
    const text = await notice();
    const chance = mode === 'task' ? 0.5 : 0.1;
    for (const [method, name] of [['finetune', 'Fine-tuning'], ['bbb', 'Bayes by Backprop'], ['ucb', 'UCB']]) {
      const runs = manifest.runs.filter((r) => r.method === method && r.mode === mode);
      const learned = [1, 2, 3, 4].map((t) => runs.reduce((a, r) => a + r.matrix[t][t], 0) / runs.length);
      // Every method must learn the task it has just trained well above chance ...
      assert.ok(Math.min(...learned) >= chance + 0.4 * (1 - chance), `${method}/${mode}: new tasks right after training: ${learned}`);
      // ... and the page says "learns every new task" only when each reaches 80% of the way from chance.
      const all = learned.every((v) => v >= chance + 0.8 * (1 - chance));
      const said = text.match(new RegExp(`${name} (learns every new task|reaches only [^)]*\\))`));
      assert.ok(said, `${name} is described in: ${text}`);
      assert.equal(said[1].startsWith('learns every new task'), all, `${mode}: ${said[0]} (diagonal ${learned})`);
    }
    assert.doesNotMatch(text, /^$/);
    if (mode === 'task') assert.match(text, /With \d+ epochs per task \(5 seeds, task-incremental\), UCB/);
  }
  // The longer native runs' panel: a row per method (the table is for the current mode).
  assert.match(await page.textContent('[data-testid=long-sub]'), /Trained natively .* epochs per task/);
  assert.equal(await page.locator('[data-testid=long-table] tbody tr').count(), 5);
  // Permuted MNIST: its own table in the same panel, a row per method, and the UCB-vs-BBB sentence.
  assert.equal(await page.locator('[data-testid=perm-table] tbody tr').count(), 5);
  assert.match(await page.textContent('[data-testid=perm-sub]'), /Permuted MNIST.*UCB keeps .* BBB/);
  assert.deepEqual(errors, []);
  await page.close();
});
