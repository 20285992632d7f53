// The blind-spot page's wording (www/labs/blindspot-findings.js) against made-up tables: rows are picked by β and
// sorted by α; the claim holds only when accuracy stays and attack success rises; the sentences follow the numbers.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { rowsAtBeta, betas, nearestBeta, series, claim, noticeSentences, cellAt, alphaGrid, liveRecord } from '../../www/labs/blindspot-findings.js';

const cell = (acc, pgd, knn, ver = null) => ({ clean_acc: acc, pgd_success: pgd, cw_success: pgd, verified_err: ver, knn });
const row = (alpha, beta, madry, mlp) => ({ alpha, beta, models: { 'cnn-madry': madry, 'mlp-crownibp': mlp } });
const table = { rows: [
  row(0.6, 0.1, cell(0.97, 0.6, 3.0), cell(0.8, 0.9, 2, 0.95)),
  row(1.0, 0.1, cell(0.98, 0.1, 1.0), cell(0.85, 0.3, 1, 0.4)),
  row(0.8, 0.1, cell(0.98, 0.3, 2.0), cell(0.84, 0.5, 1.5, 0.6)),
  row(1.0, 0.0, cell(0.99, 0.05, 0.9), cell(0.86, 0.2, 1, 0.3)),
  row(0.6, 0.0, cell(0.80, 0.5, 2.5), cell(0.8, 0.25, 1, 0.31)),
] };

test('rowsAtBeta / betas / nearestBeta', () => {
  assert.deepEqual(rowsAtBeta(table, 0.1).map((r) => r.alpha), [1.0, 0.8, 0.6]);
  assert.deepEqual(rowsAtBeta(table, 0.2), []);
  assert.deepEqual(betas(table), [0, 0.1]);
  assert.equal(nearestBeta(table, 0.07), 0.1);
  assert.equal(nearestBeta({ rows: [] }, 0.1), null);
  assert.deepEqual(rowsAtBeta(null, 0), []);
});

test('series: percent for rates, raw for knn, null where missing', () => {
  assert.deepEqual(series(table, 0.1, 'cnn-madry', 'pgd_success').ys.map(Math.round), [10, 30, 60]);
  assert.deepEqual(series(table, 0.1, 'cnn-madry', 'knn').ys, [1, 2, 3]);
  assert.deepEqual(series(table, 0.1, 'cnn-natural', 'knn').ys, [null, null, null]);
});

test('claim holds only with accuracy kept and success risen', () => {
  const c = claim(table, 0.1);
  // From the untransformed digits (α = 1, β = 0) to α = 0.6 at β = 0.1.
  assert.ok(c.holds && Math.round(c.rise) === 55 && Math.round(c.accDrop) === 2, JSON.stringify(c));
  assert.deepEqual([c.from.alpha, c.from.beta, c.to.alpha, c.to.beta], [1, 0, 0.6, 0.1]);
  const d = claim(table, 0.0);
  assert.ok(!d.holds, 'accuracy fell 19 points');
  assert.equal(claim(table, 0.3), null);
});

test('sentences follow the numbers', () => {
  const s = noticeSentences(table, 0.1);
  assert.match(s[0], /blind-spot effect/);
  assert.match(s[0], /60\.0%/);
  assert.match(s[1], /farther/);
  assert.match(s[2], /do not survive/);
  const t = noticeSentences(table, 0.0);
  assert.match(t[0], /clean accuracy also drops by 19\.0 points/);
  assert.match(t[2], /stays near 31\.0%/);
  assert.deepEqual(noticeSentences({ rows: [] }, 0.1), []);
});

test('cellAt: the nearest row by |Δα| + |Δβ|', () => {
  assert.deepEqual([cellAt(table, 0.97, 0.04).alpha, cellAt(table, 0.97, 0.04).beta], [1.0, 0.0]);
  assert.deepEqual([cellAt(table, 0.62, 0.09).alpha, cellAt(table, 0.62, 0.09).beta], [0.6, 0.1]);
  assert.equal(cellAt({ rows: [] }, 1, 0), null);
});

test('alphaGrid: the table\'s α values rounded, plus the chosen one, descending', () => {
  assert.deepEqual(alphaGrid({ rows: [{ alpha: 0.8999999761581421 }, { alpha: 1 }, { alpha: 0.6000000238418579 }] }, 0.73), [1, 0.9, 0.73, 0.6]);
  assert.deepEqual(alphaGrid({ rows: [{ alpha: 1 }, { alpha: 0.9 }] }, 0.9), [1, 0.9]);
  assert.deepEqual(alphaGrid(null, 0.65), [1, 0.9, 0.8, 0.7, 0.65, 0.6]);
});

test('liveRecord: rates among correct digits, verified error only for the MLP', () => {
  const acc = (n, correct, pgd, cw, ver = 0) => ({ n, correct, pgd_fooled: pgd, cw_fooled: cw, verified_err: ver });
  const r = liveRecord(0.7, 0.1, [acc(100, 95, 95, 94), acc(100, 90, 45, 30), acc(100, 80, 40, 20, 70)], [1.5, 2.5, 3.5]);
  assert.equal(r.n, 100);
  assert.equal(r.models['cnn-natural'].pgd_success, 1);
  assert.equal(r.models['cnn-madry'].clean_acc, 0.9);
  assert.equal(r.models['cnn-madry'].pgd_success, 0.5);
  assert.ok(Math.abs(r.models['cnn-madry'].cw_success - 1 / 3) < 1e-12);
  assert.equal(r.models['cnn-madry'].verified_err, null);
  assert.equal(r.models['mlp-crownibp'].verified_err, 0.7);
  assert.equal(r.models['mlp-crownibp'].knn, 3.5);
  // No correct digit: no success rate (not 0 %).
  const z = liveRecord(0.6, 0, [acc(10, 0, 0, 0), acc(10, 0, 0, 0), acc(10, 0, 0, 0, 10)], [NaN, 1, 1]);
  assert.equal(z.models['cnn-natural'].pgd_success, null);
  assert.equal(z.models['cnn-natural'].knn, null);
  // The record feeds series() like a shipped row.
  assert.deepEqual(series({ rows: [r] }, 0.1, 'cnn-madry', 'pgd_success').ys, [50]);
});
