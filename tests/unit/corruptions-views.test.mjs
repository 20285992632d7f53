// The corruptions page's rows and words (www/labs/corruptions-views.js) against made-up reports: the bar chart's
// widths are the values over the largest one (the baseline's line at 100%, none for flip probabilities), the CE
// rows leave the baseline's numbers out, missing values are "–" and a zero-width bar, the CSV has one row per
// number, the digit player's flips follow the sequence's rule and frame, and the captions name the tables used.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { benchBars, benchTable, benchCsv, digitFrame, bigCaption, benchRunText, benchSourceText, fidelityRows, tablesFor, FLIP_DIGITS } from '../../www/labs/corruptions-views.js';

function model(name, k) {
  return {
    name, clean: 0.01 * k, errors: Array.from({ length: 15 }, (_, c) => Array.from({ length: 5 }, (_, s) => 0.1 * k + 0.01 * c + 0.001 * s)),
    ce: Array.from({ length: 15 }, (_, c) => (k === 0 ? 1 : 0.5 + 0.1 * c)), rel_ce: Array(15).fill(k === 0 ? 1 : 2),
    fp: Array.from({ length: 10 }, (_, p) => 0.01 * (p + 1) * (k + 1)), fr: Array(10).fill(k === 0 ? 1 : 0.5),
    mce: k === 0 ? 1 : 1.2, rel_mce: k === 0 ? 1 : 2, mfr: k === 0 ? 1 : 0.5,
  };
}
const report = [model('base', 0), model('other', 1)];

test('CE bars: widths relative to the largest CE, the baseline line at 1/max, baseline numbers left out', () => {
  const c = benchBars(report, 'ce');
  const max = 0.5 + 0.1 * 14;
  assert.equal(c.rows.length, 15);
  assert.ok(Math.abs(c.max - max) < 1e-12);
  assert.ok(Math.abs(c.ref - 1 / max) < 1e-12);
  assert.ok(Math.abs(c.rows[14].bars[1].width - 1) < 1e-12);
  assert.ok(Math.abs(c.rows[0].bars[0].width - 1 / max) < 1e-12);
  assert.equal(c.rows[0].value, '50.0%', 'only the other model');
  assert.deepEqual(c.shown, ['other']);
  assert.match(c.aria, /^CE per corruption for base, other/);
});

test('flip-probability bars: no baseline line, every model printed, FR in the titles; a missing value is a dash', () => {
  const r = [model('base', 0), { ...model('other', 1), fp: [null, ...Array(9).fill(0.02)] }];
  const c = benchBars(r, 'fp');
  assert.equal(c.rows.length, 10);
  assert.equal(c.ref, null);
  assert.deepEqual(c.shown, ['base', 'other']);
  assert.equal(c.rows[0].bars[1].width, 0);
  assert.match(c.rows[0].value, / \/ –$/);
  assert.match(c.rows[1].bars[1].title, /^other: FP 2.00%, FR 50.0%$/);
  // A chart of all-zero flip probabilities still has a positive scale (no division by zero).
  const z = benchBars([{ ...model('z', 0), fp: Array(10).fill(0) }], 'fp');
  assert.ok(z.max > 0 && z.rows.every((row) => row.bars[0].width === 0));
});

test('the table takes the error at the chosen severity; the CSV has every number once', () => {
  const t = benchTable(report, 4);
  assert.deepEqual(t.head.slice(0, 3), ['model', 'clean error', 'error, severity 4']);
  assert.equal(t.rows[1][0], 'other');
  const rows = benchCsv(report);
  assert.deepEqual(rows[0], ['model', 'kind', 'name', 'severity', 'value']);
  assert.equal(rows.length, 1 + 2 * (1 + 75 + 15 + 15 + 10 + 3));
  const e = rows.find((r) => r[0] === 'other' && r[1] === 'error' && r[2] === 'snow' && r[3] === 2);
  assert.ok(Math.abs(e[4] - (0.1 + 0.01 * 7 + 0.001)) < 1e-12, `snow is corruption 7: ${e}`);
  assert.deepEqual(benchCsv(null), [rows[0]]);
});

test('the digit player: the frame is capped at the last one, flips and the current frame are marked', () => {
  const seq = { frames: 4, noise: false, preds: [[1, 1, 7, 7], [2, 2, 2, 2]], flips: [[2], []] };
  const f = digitFrame(seq, ['a', 'b'], 5, 9);
  assert.equal(f.k, 3);
  assert.equal(f.text, 'Digit 5, frame 3 of 3: a predicts 7, b predicts 2.');
  assert.match(f.note, /the previous frame’s/);
  assert.deepEqual(f.cells[0].map((c) => c.cls), [null, null, 'flip', 'cur']);
  assert.deepEqual(f.cells[1].map((c) => c.cls), [null, null, null, 'cur']);
  assert.match(digitFrame({ ...seq, noise: true }, ['a', 'b'], 5, 0).note, /the first frame’s \(a noise sequence\)/);
});

test('captions and lines name what they show', () => {
  assert.equal(tablesFor(224, 149), 'ImageNet-C');
  assert.equal(tablesFor(40, 30), 'CIFAR-10-C');
  assert.equal(bigCaption({ corruption: 'zoom_blur', severity: 5, photo: { w: 40, h: 30, ch: 1, label: 'x.png' }, ms: 1.234 }),
    'Zoom blur, severity 5, on x.png (40×30, grayscale; the CIFAR-10-C parameter tables) — 1.23 ms');
  assert.match(benchRunText(50), /first 50 test digits, then the 10 perturbations on the first 50;/);
  assert.match(benchRunText(2000), new RegExp(`on the first ${FLIP_DIGITS};`));
  assert.match(benchSourceText('shipped', { n: 2000, n_flip: 500, seed: 1 }), /^Shipped result, computed natively: 2000 test digits \(flip rates on 500\), seed 1\./);
  assert.match(benchSourceText('live', { n: 20, n_flip: 20, seed: 4 }), /^Live: 20 test digits/);
  assert.match(fidelityRows(report)[2][2], /^mCE: other 120%$/);
  assert.equal(fidelityRows(null)[2][2], 'mCE: –');
});
