// The blind-spot page's rows and words (www/labs/blindspot-views.js) on a made-up table: the pad's cells tile the
// pad (midpoints between neighbours, the pad's edges at the ends) with the adversarial CNN's success, the table
// marks the rows near α and shows the verified error only for the MLP, the 5-NN series are relative to α = 1,
// β = 0, the example's sentence follows what PGD found, and the CSV has one row per (α, β, model).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { padCells, padText, tableView, plotSeries, plotNote, exampleText, runText, tableCsv, fidelityRows, stripText } from '../../www/labs/blindspot-views.js';

const cell = (acc, succ, knn) => ({ clean_acc: acc, pgd_success: succ, cw_success: succ / 2, verified_err: 0.5, knn, kl: 0.1 });
const row = (alpha, beta, s) => ({
  alpha, beta, models: { 'cnn-natural': cell(0.9, s, 2), 'cnn-madry': cell(0.95, s, 4 * alpha), 'mlp-crownibp': cell(0.8, s, 3) },
});
const table = {
  digits: 500, eps: 0.3, command: 'paperlab eval blindspot', seconds: 12.4, threads: 2, pgd: { steps: 40, restarts: 1, seed: 2019 },
  rows: [row(1, 0, 0.1), row(0.8, 0, 0.5), row(0.6, 0, 0.9), row(1, 0.2, 0.2), row(0.8, 0.2, 0.6), row(0.6, 0.2, 1)],
};

test('the pad cells tile the pad: midpoints inside, the pad edges outside', () => {
  const cells = padCells(table, [0.6, 1], [0, 0.3]);
  assert.equal(cells.length, 6);
  const c = cells.find((x) => x.t === 0.5); // α 0.8, β 0
  assert.deepEqual([c.x0, c.x1, c.y0], [0.7, 0.9, 0]);
  assert.ok(Math.abs(c.y1 - 0.1) < 1e-12);
  const top = cells.find((x) => x.t === 1); // α 0.6, β 0.2
  assert.deepEqual([top.x0, top.y1], [0.6, 0.3]);
  assert.deepEqual(padCells(null, [0.6, 1], [0, 0.3]), []);
  assert.match(padText(table, 0.79, 0.01), /^α = 0\.79, β = 0\.01 · nearest shipped cell \(α = 0\.80, β = 0\.00\): PGD fools 50\.0%/);
  assert.equal(padText(null, 0.7, 0), 'α = 0.70, β = 0.00');
});

test('the table: rows near α marked, verified error only for the MLP', () => {
  const cnn = tableView(table, 0, 'cnn-madry', 0.79);
  assert.equal(cnn.rows.length, 3);
  assert.deepEqual(cnn.sel, [1]);
  assert.ok(!cnn.head.includes('verified error'));
  const mlp = tableView(table, 0, 'mlp-crownibp', 1);
  assert.ok(mlp.head.includes('verified error'));
  assert.equal(mlp.rows[0][4], '50.0%');
  assert.match(mlp.caption, /^CROWN-IBP MLP at β = 0\.00/);
  assert.equal(cnn.made, 'Made by: paperlab eval blindspot (12 s, 2 threads).');
});

test('the 5-NN series are relative to each model at α = 1, β = 0', () => {
  const { xs, ys, knn } = plotSeries(table, 0.2, 'pgd');
  assert.deepEqual(xs, [1, 0.8, 0.6]);
  assert.equal(ys.length, 7);
  assert.deepEqual(ys[1], [20, 60, 100]);
  assert.deepEqual(knn[1].map((x) => Math.round(x * 100) / 100), [1, 0.8, 0.6]);
  assert.deepEqual(knn[0], [1, 1, 1]);
  assert.match(plotNote(table, 0.2, 0.25), /β = 0\.20 \(nearest to β = 0\.25\), first 500 test digits, 40-step attacks, 1 restart, seed 2019/);
  assert.doesNotMatch(plotNote(table, 0.2, 0.2), /nearest/);
});

test('the words follow the numbers', () => {
  const ex = { label: 5, pred_clean: 5, pred_transformed: 5, pred_adv: 3, success: true };
  assert.match(exampleText(ex, 1, 'cnn-madry', 40), /says 5 on x and classifies x′ correctly, but PGD \(40 steps\) finds x′ \+ δ classified as 3\.$/);
  assert.match(exampleText({ ...ex, success: false, pred_adv: 5 }, 1, 'cnn-madry', 40), /finds no misclassified point within ε = 0\.3 \(it still says 5\)/);
  assert.match(exampleText({ ...ex, pred_transformed: 8 }, 1, 'cnn-madry', 40), /already misclassifies x′ as 8/);
  assert.match(runText({ beta: 0.1, digits: 2000, steps: 1, restarts: 2 }, 6), /^6 values of α at β = 0\.10 × 2,000 digits: PGD and C&W \(1 step, 2 restarts\)/);
  assert.match(stripText(3, [1, 2, 3], 0.7, 0), /^Test digits 3–5 \(labels 1, 2, 3\)/);
  assert.equal(fidelityRows(null)[0][2], '…');
});

test('the CSV has a row per (α, β, model)', () => {
  const rows = tableCsv(table);
  assert.equal(rows.length, 1 + 6 * 3);
  assert.deepEqual(rows[1].slice(0, 4), [1, 0, 'cnn-natural', 0.9]);
});
