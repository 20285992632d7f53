// The lottery page's settings mappings (www/labs/lottery-settings.js) and data shaping (www/labs/lottery-data.js)
// against a hand-made manifest: the engine's view of the settings, which series a run belongs to, the union x axis
// with gaps, the nearest point on a log scale (checked by brute force), the run grouped by series, the CSV rows.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { pageSettings, ticketKey, seriesFor } from '../../www/labs/lottery-settings.js';
import { shippedCurves, pointAt, runSeries, csvRows, nearestIndex } from '../../www/labs/lottery-data.js';

const pt = (level, remaining, mean, es = 100) => ({ level, remaining, metric: { mean, min: mean - 0.01, max: mean + 0.01 }, early_stop: { mean: es, min: es, max: es } });
const sh = { series: {
  ticket: { points: [pt(0, 1, 0.95), pt(1, 0.8, 0.96), pt(2, 0.64, 0.97)] },
  reinit: { points: [pt(1, 0.8, 0.94), pt(2, 0.64, 0.9)] },
  late: { points: [] },
  random: { points: [pt(2, 0.5, 0.8)] },
} };

test('pageSettings: the engine\'s names and types', () => {
  assert.deepEqual(pageSettings({ rate: 0.2, target: 5, rewind: 'late', k: 10, scope: 'global', iters: 100, seed: 3, emb: 0 }),
    { rate: 0.2, target: 5, rewind: 'late', k: 10, global: true, iters: 100, seed: 3, prune_embedding: false });
});

test('ticketKey: late rewinding, re-init from the late ticket in RL and LM, the dense embedding', () => {
  assert.equal(ticketKey({ setting: 'vision', rewind: 'init' }), 'ticket');
  assert.equal(ticketKey({ setting: 'vision', rewind: 'reinit' }), 'ticket', 'vision re-inits the rewound-to-init ticket');
  assert.equal(ticketKey({ setting: 'vision', rewind: 'late' }), 'late');
  assert.equal(ticketKey({ setting: 'rl', rewind: 'reinit' }), 'late');
  assert.equal(ticketKey({ setting: 'lm', rewind: 'late', emb: false }), 'noemb');
  assert.equal(ticketKey({ setting: 'lm', rewind: 'late', emb: true }), 'late');
  assert.equal(ticketKey({ setting: 'rl', rewind: 'late', emb: false }), 'late', 'only the language model has an embedding');
  assert.deepEqual(seriesFor('lm').map((s) => s.key), ['ticket', 'late', 'reinit', 'random', 'noemb']);
  assert.deepEqual(seriesFor('vision').map((s) => s.key), ['ticket', 'late', 'reinit', 'random']);
});

test('shippedCurves: the union of the levels, ascending, with gaps where a series has no point', () => {
  const c = shippedCurves(sh, 'vision', 'metric', 100);
  assert.deepEqual(c.xs, [50, 64, 80, 100]);
  assert.deepEqual(c.data[0].mean.map((x) => (x == null ? null : Math.round(x * 10) / 10)), [null, 97, 96, 95]);
  assert.deepEqual(c.data[2].mean.map((x) => (x == null ? null : Math.round(x * 10) / 10)), [null, 90, 94, null]);
  assert.ok(c.data[1].mean.every((x) => x === null), 'late: no points');
  assert.ok(Math.abs(c.data[3].lo[0] - 79) < 1e-9 && Math.abs(c.data[3].hi[0] - 81) < 1e-9);
  assert.equal(shippedCurves({ series: {} }, 'vision', 'metric', 100), null);
});

test('pointAt: the point nearest on a log scale, by brute force', () => {
  for (const r of [0.05, 0.55, 0.7, 0.72, 0.9, 1.5]) {
    const p = pointAt(sh, 'ticket', r, 'metric');
    const want = sh.series.ticket.points.map((q) => [Math.abs(Math.log(q.remaining) - Math.log(r)), q]).sort((a, b) => a[0] - b[0])[0][1];
    assert.equal(p.remaining, want.remaining, `r = ${r}`);
    assert.equal(p.mean, want.metric.mean);
  }
  assert.equal(pointAt(sh, 'late', 0.5, 'metric'), null);
  assert.equal(pointAt(sh, 'ticket', 0.5, 'nope'), null);
});

const run = { values: { setting: 'vision', rewind: 'late', seed: 9 }, points: [
  { kind: 'ticket', level: 1, remaining: 0.8, metric_at_es: 0.955, early_stop_iter: 300 },
  { kind: 'reinit', level: 1, remaining: 0.8, metric_at_es: 0.93, early_stop_iter: 500 },
  { kind: 'ticket', level: 2, remaining: 0.64, metric_at_es: 0.96, early_stop_iter: 200 },
] };

test('runSeries: a run\'s networks by series (its tickets under ticketKey), none for another setting', () => {
  const by = runSeries(run, 'vision');
  assert.deepEqual(by.map(([k, rs]) => [k, rs.length]), [['late', 2], ['reinit', 1]]);
  assert.deepEqual(runSeries(run, 'rl'), []);
  assert.deepEqual(runSeries(null, 'vision'), []);
});

test('csvRows: precomputed points in percent, then the live run of the same setting', () => {
  const rows = csvRows(sh, 'vision', run);
  assert.deepEqual(rows[0], ['source', 'setting', 'series', 'seed', 'level', 'remaining_pct', 'metric_pct', 'metric_min_pct', 'metric_max_pct', 'early_stop_iter']);
  assert.equal(rows.length, 1 + 6 + 3);
  assert.deepEqual(rows[2], ['precomputed', 'vision', 'ticket', 'mean', 1, 80, 96, 95, 97, 100]);
  assert.deepEqual(rows[7], ['live', 'vision', 'ticket', 9, 1, 80, 95.5, '', '', 300]);
  assert.equal(csvRows(sh, 'rl', run).filter((r) => r[0] === 'live').length, 0);
  assert.equal(csvRows(sh, 'rl', run)[0][6], 'metric_value', 'RL returns are not percentages');
});

test('nearestIndex: the nearest precomputed ε, the first of ties', () => {
  assert.equal(nearestIndex([0, 0.1, 0.2, 0.3], 0.26), 3);
  assert.equal(nearestIndex([0, 0.1, 0.2, 0.3], 0.15), 1);
  assert.equal(nearestIndex([0.3], 0), 0);
});
