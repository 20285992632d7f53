// The verify page's data shaping (www/labs/verify-data.js) against hand-made models: the method label and the keys
// of live results, the tightest bound (checked by brute force over the three bounds), the training table's cells
// and the CSV rows.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { methodLabel, liveKey, pgdKey, bestBound, trainingRows, csvRows, SERIES } from '../../www/labs/verify-data.js';
import { curves } from '../../www/labs/verify-findings.js';

const v = { model: 'm', eps: 0.3, method: 'crown-ibp', beta: 0.5, slope: 'zero', steps: 20, seed: 7 };

test('methodLabel names only the non-default settings', () => {
  assert.equal(methodLabel(v), 'CROWN-IBP (β = 0.50, α = 0)');
  assert.equal(methodLabel({ ...v, beta: 1, slope: 'adaptive' }), 'CROWN-IBP');
  assert.equal(methodLabel({ ...v, method: 'ibp' }), 'IBP', 'IBP has neither β nor a slope');
  assert.equal(methodLabel({ ...v, method: 'crown', slope: 'parallel' }), 'CROWN (α = u / (u − l))');
});

test('liveKey and pgdKey: β only for CROWN-IBP, the slope only where CROWN runs', () => {
  assert.equal(liveKey(v), 'm|0.3|crown-ibp|0.5|zero');
  assert.equal(liveKey({ ...v, method: 'crown' }), 'm|0.3|crown|1|zero');
  assert.equal(liveKey({ ...v, method: 'ibp' }), 'm|0.3|ibp|1|-');
  assert.equal(pgdKey(v), 'm|0.3|20|7');
});

const model = { metrics: { eps: [0, 0.1, 0.3], clean_err: 0.02, ibp_err: [0.02, 0.2, 0.5], crown_err: [0.02, 0.15, 0.6], crownibp_err: [0.02, 0.18, 0.4] } };

test('bestBound: the smallest of the three verified errors, by brute force, with its name', () => {
  for (const eps of [0.1, 0.2, 0.3]) {
    const b = bestBound(model, eps);
    // Independent: interpolate each bound by hand and take the minimum.
    const lerp = (ys) => (eps <= 0.1 ? ys[0] + (ys[1] - ys[0]) * (eps / 0.1) : ys[1] + (ys[2] - ys[1]) * ((eps - 0.1) / 0.2));
    const all = [['IBP', model.metrics.ibp_err], ['CROWN', model.metrics.crown_err], ['CROWN-IBP', model.metrics.crownibp_err]].map(([n, ys]) => [n, lerp(ys)]);
    const want = all.reduce((a, c) => (c[1] < a[1] ? c : a));
    assert.equal(b.name, want[0], `ε = ${eps}`);
    assert.ok(Math.abs(b.v - want[1]) < 1e-12, `ε = ${eps}: ${b.v} vs ${want[1]}`);
  }
  assert.equal(bestBound(null, 0.3), null);
  assert.equal(bestBound({ metrics: {} }, 0.3), null);
});

test('trainingRows: a spread only over several seeds, the paper only for CROWN-IBP training', () => {
  const cmp = { eps: [0.1, 0.3, 0.4], rows: [
    { key: 'crownibp', label: 'CROWN-IBP training', ids: ['a', 'b'], clean: 2.04, mean: [5, 10, 20], min: [4, 9, 18], max: [6, 11.25, 22] },
    { key: 'natural', label: 'natural training', ids: ['c'], clean: null, mean: [90, null, 100], min: [90, null, 100], max: [90, null, 100] },
  ] };
  assert.deepEqual(trainingRows(cmp), [
    ['CROWN-IBP training', '2', '2.0%', '5.0% (4.0–6.0)', '10.0% (9.0–11.3)', '7.02%', '20.0% (18.0–22.0)', 'not quoted'],
    ['natural training', '1', '–', '90.0%', '–', '–', '100.0%', '–'],
  ]);
});

test('csvRows: the curves, then each live verified and PGD result, in percent', () => {
  const live = new Map([['m|0.3|crown|1|zero', { n: 2000, clean: 40, verified: 500 }]]);
  const pgd = new Map([['m|0.3|20|7', { n: 2000, errors: 300 }]]);
  const rows = csvRows('m', curves(model, SERIES), live, pgd);
  assert.deepEqual(rows[0], ['source', 'model', 'eps', 'clean_err_pct', 'pgd_err_pct', 'ibp_err_pct', 'crown_err_pct', 'crownibp_err_pct', 'beta', 'slope', 'pgd_steps', 'pgd_seed', 'n_digits']);
  assert.deepEqual(rows[2], ['precomputed', 'm', 0.1, 2, '', 20, 15, 18, 1, 'adaptive', '', '', '']);
  assert.deepEqual(rows[4], ['live', 'm', '0.3', 2, '', '', 25, '', '1', 'zero', '', '', 2000]);
  assert.deepEqual(rows[5], ['live', 'm', '0.3', '', 15, '', '', '', '', '', '20', '7', 2000]);
  assert.equal(rows.length, 6);
});
