// The ucb page's data shaping (www/labs/ucb-data.js) against hand-made runs: the shipped run as the page shows it,
// pruned accuracies and their mean, the order of the live pruning points, the σ bins (σ_init = softplus(ρ_init),
// computed here independently), the diagonals averaged over seeds, and the CSV rows.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { RATIOS, shippedRun, prunedAt, pruneSeries, nextPrune, pruneKey, sigmaBins, histGroups, methodStats, csvRows, critOf, meanSd } from '../../www/labs/ucb-data.js';

const close = (a, b, what) => assert.ok(Math.abs(a - b) < 1e-12, `${what}: ${a} vs ${b}`);
/** A 5 x 5 matrix: row t holds t + i / 10 + `d` in column i. */
const matrix = (d = 0) => Array.from({ length: 5 }, (_, t) => Array.from({ length: 5 }, (_, i) => (i > t ? null : 0.5 + t / 20 + i / 100 + d)));

test('shippedRun: non-numbers become NaN, ACC/BWT only when both are numbers', () => {
  const r = shippedRun({ matrix: matrix(), acc: 0.9, bwt: -0.01, seconds: 3 });
  assert.equal(r.source, 'shipped');
  assert.deepEqual(r.metrics, { acc: 0.9, bwt: -0.01 });
  assert.ok(Number.isNaN(r.matrix[0][1]) && r.matrix[1][0] === 0.55);
  assert.equal(shippedRun({ matrix: matrix(), acc: 0.9 }).metrics, null);
});

test('prunedAt and pruneSeries: shipped rows by the manifest grid, live ones by key; the mean over the five tasks', () => {
  const grid = [0, 0.5];
  const cur = { prune: { snr: [[1, 1, 1, 1, 1], [0.9, 0.8, 0.7, 0.6, 'x']] } };
  assert.deepEqual(prunedAt(cur, 0, 'snr', grid), [1, 1, 1, 1, 1]);
  assert.ok(Number.isNaN(prunedAt(cur, 0.5, 'snr', grid)[4]));
  assert.equal(prunedAt(cur, 0.25, 'snr', grid), null, 'not on the grid');
  assert.equal(prunedAt(cur, 0, 'magnitude', grid), null);
  const live = { prune: new Map([[pruneKey('snr', 0.5), [0.9, 0.8, 0.7, 0.6, 0.5]], [pruneKey('snr', 0.05), [1, 0, 1, 0, 1]]]) };
  const ys = pruneSeries(live, 'snr');
  assert.equal(ys.length, 6);
  assert.ok(ys.every((y) => y.length === RATIOS.length));
  const i = RATIOS.indexOf(0.5);
  close(ys[2][i], 70, 'task 3 at 50%');
  close(ys[5][i], (90 + 80 + 70 + 60 + 50) / 5, 'mean at 50%');
  close(ys[5][1], 60, 'mean at 5%');
  assert.equal(ys[5][0], null, 'no numbers at 0%');
  assert.ok(pruneSeries(null, 'snr').every((y) => y.length === 0));
});

test('nextPrune: the current ratio by both criteria first, then the curve; fine-tuning only by magnitude', () => {
  const order = (v) => {
    const prune = new Map();
    const seen = [];
    for (let job = nextPrune(prune, v); job; job = nextPrune(prune, v)) {
      seen.push(pruneKey(...job));
      prune.set(pruneKey(...job), []);
    }
    return seen;
  };
  const ucb = order({ method: 'ucb', crit: 'snr', ratio: 0.3 });
  assert.deepEqual(ucb.slice(0, 3), ['snr|0.30', 'magnitude|0.30', 'snr|0.00']);
  assert.equal(ucb.length, 2 + RATIOS.length - 1, 'the current ratio is on the curve: computed once');
  const ft = order({ method: 'finetune', crit: 'snr', ratio: 0.3 });
  assert.ok(ft.every((k) => k.startsWith('magnitude|')), `${ft}`);
  assert.equal(ft.length, RATIOS.length);
  assert.equal(critOf('finetune', 'snr'), 'magnitude');
});

test('sigmaBins: bin centres of log10 σ and log10 softplus(ρ_init)', () => {
  const { xs, init } = sigmaBins({ bins: 4, lo: -2, hi: 0 }, -3);
  assert.deepEqual(xs, [-1.75, -1.25, -0.75, -0.25]);
  close(init, Math.log10(Math.log(1 + 1 / Math.E ** 3)), 'σ_init');
  assert.equal(sigmaBins(null).xs.length, 40);
  assert.deepEqual(histGroups(Float32Array.from([1, 2, 3, 4, 5, 6]), 2), [[1, 2], [3, 4], [5, 6]]);
});

test('methodStats: the summary with the diagonal averaged over the shipped seeds', () => {
  const s = { acc_mean: 0.9, seeds: [1, 2] };
  const st = methodStats([{ matrix: matrix(0) }, { matrix: matrix(0.1) }], s);
  assert.equal(st.acc_mean, 0.9);
  // Diagonal by hand: 0.5 + t/20 + t/100, plus 0.05 on average.
  for (let t = 0; t < 5; t++) close(st.learned[t], 0.5 + t / 20 + t / 100 + 0.05, `task ${t + 1}`);
  assert.equal(methodStats([], s), null);
  assert.equal(methodStats([{ matrix: matrix() }], null), null);
});

test('csvRows: the matrix, the pruning curve and the summaries, in percent', () => {
  const cur = { source: 'live', matrix: matrix().map((r) => r.map((x) => x ?? NaN)), prune: new Map([[pruneKey('snr', 0.5), [0.9, 0.8, 0.7, 0.6, 0.5]]]) };
  const rows = csvRows(cur, { method: 'ucb', mode: 'task', seed: 1 }, 'snr', [{ method: 'ucb', mode: 'task', seeds: [1, 2], acc_mean: 0.95, bwt_mean: -0.001 }]);
  assert.equal(rows.length, 1 + 25 + 5 + 2);
  assert.deepEqual(rows[1], ['matrix', 'live', 'ucb', 'task', 1, '', 1, '', 1, 50]);
  assert.equal(rows[2][9], '', 'not evaluated');
  assert.deepEqual(rows[26], ['pruned', 'live', 'ucb', 'task', 1, 'snr', 5, 0.5, 1, 90]);
  assert.deepEqual(rows[32], ['summary_bwt_mean', 'shipped', 'ucb', 'task', '1 2', '', '', '', '', -0.1]);
  assert.equal(meanSd(0.961, 0.003), '96.1% ± 0.3');
});
