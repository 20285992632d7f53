// The bagnet page's wording and helpers (www/labs/bagnet-findings.js) against made-up numbers: the curves are read
// per dataset and sorted by q; "every larger patch is better" only when each q's worst seed beats the previous q's
// best; "far above chance" only when the smallest patch's worst seed is; scrambling and masking sentences follow the
// numbers; a drawing is block-averaged and centred by its centre of mass.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { curves, trend, trendSentence, scrambleSentence, maskSentence, predictionSentence, argmax, maxAbs, robustMaxAbs, drawingToInput, pictureToInput, crop } from '../../www/labs/bagnet-findings.js';

const stat = (mean, min, max) => ({ mean, sd: (max - min) / 2, min, max, n: 2 });
const entry = (dataset, q, s, scr = [0.5, 0.6]) => ({ id: `${q ?? 'cnn'}-${dataset}`, dataset, q, test_acc: s, scrambled_acc: scr.map((m) => stat(m, m, m)) });

test('curves: one dataset, BagNets sorted by q, the CNN apart', () => {
  const models = [entry('mnist', 13, stat(0.8, 0.79, 0.81)), entry('mnist', 5, stat(0.5, 0.45, 0.55)), entry('mnist', null, stat(0.95, 0.94, 0.96)), entry('fashion', 9, stat(0.7, 0.7, 0.7))];
  const c = curves(models, 'mnist');
  assert.deepEqual(c.bag.map((b) => b.q), [5, 13]);
  assert.equal(c.cnn.mean, 0.95);
  assert.deepEqual(c.bag[0].scrambled, [0.5, 0.6]);
  assert.equal(curves(models, 'fashion').cnn, null);
});

test('trend: a clear rise needs the worst seed above the previous best', () => {
  const clear = [stat(0.5, 0.48, 0.52), stat(0.6, 0.58, 0.62), stat(0.7, 0.69, 0.71)].map((s, i) => ({ q: 5 + 4 * i, ...s }));
  assert.deepEqual(trend(clear), { rises: 2, falls: 0, unclear: 0, steps: 2, monotone: true });
  const overlap = [stat(0.5, 0.4, 0.6), stat(0.55, 0.5, 0.6)].map((s, i) => ({ q: 5 + 4 * i, ...s }));
  assert.deepEqual(trend(overlap), { rises: 0, falls: 0, unclear: 1, steps: 1, monotone: false });
  const fall = [stat(0.7, 0.69, 0.71), stat(0.5, 0.48, 0.52)].map((s, i) => ({ q: 5 + 4 * i, ...s }));
  assert.equal(trend(fall).falls, 1);
});

test('trendSentence: says "every larger patch" and "far above chance" only when true', () => {
  const mk = (ss) => ({ bag: ss.map((s, i) => ({ q: 5 + 4 * i, ...s })), cnn: { mean: 0.95 } });
  const s = trendSentence(mk([stat(0.8, 0.79, 0.81), stat(0.9, 0.89, 0.91)]), 'MNIST');
  assert.match(s, /BagNet-5 reaches 80\.0% and BagNet-9 90\.0% \(the CNN 95\.0%\)/);
  assert.match(s, /every larger patch is better/);
  assert.match(s, /far above chance/);
  const weak = trendSentence(mk([stat(0.25, 0.2, 0.3), stat(0.27, 0.25, 0.3)]), 'MNIST');
  assert.doesNotMatch(weak, /every larger patch/);
  assert.doesNotMatch(weak, /far above chance/);
  assert.match(weak, /within the seed spread/);
  const mostly = trendSentence(mk([stat(0.5, 0.49, 0.51), stat(0.6, 0.55, 0.65), stat(0.62, 0.6, 0.64)]), 'X');
  assert.match(mostly, /1 of the 2 steps/);
  assert.equal(trendSentence(mk([stat(0.5, 0.5, 0.5)]), 'X'), '');
});

test('scrambleSentence: which model keeps more of its accuracy', () => {
  assert.match(scrambleSentence({ q: 5, tile: 7, bagClean: 0.8, bagAcc: 0.6, cnnClean: 0.95, cnnAcc: 0.2 }), /bag of local features keeps more/);
  assert.match(scrambleSentence({ q: 17, tile: 7, bagClean: 0.9, bagAcc: 0.2, cnnClean: 0.95, cnnAcc: 0.5 }), /CNN keeps more/);
  assert.match(scrambleSentence({ q: 9, tile: 14, bagClean: 0.8, bagAcc: 0.4, cnnClean: 0.8, cnnAcc: 0.41 }), /about the same share/);
  assert.match(scrambleSentence({ q: 9, tile: 7, bagClean: 0.88, bagAcc: 0.18, cnnClean: 0.96, cnnAcc: 0.11 }), /both fall to near chance/);
});

test('maskSentence: the CNN is hurt more by evidence-chosen patches only when its accuracy is lower', () => {
  const r = { k: 2, bagnet: 0.3, cnn: 0.6, bagnet_random: 0.5, cnn_random: 0.8, correlation: 0.456 };
  assert.match(maskSentence(r, 9), /2 patches .* leaves the CNN 60\.0% \(80\.0% with/);
  assert.match(maskSentence(r, 9), /points at what the CNN uses/);
  assert.match(maskSentence(r, 9), /r = 0\.46/);
  assert.match(maskSentence({ ...r, k: 1, cnn: 0.8 }, 9), /1 patch with .* no more than chance/);
  assert.equal(maskSentence(undefined, 9), '');
});

test('predictionSentence: right/wrong and disagreement', () => {
  const s = predictionSentence({ q: 9, bag: { cls: 3, p: 0.8 }, cnn: { cls: 5, p: 0.9 }, label: 3 });
  assert.match(s, /BagNet-9 says 3 \(right\) with p = 0\.8.*CNN says 5 \(wrong\).*disagree/);
  const t = predictionSentence({ q: 5, bag: { cls: 1, p: 0.5 }, cnn: { cls: 1, p: 0.6 }, label: null, names: ['a', 'trouser'] });
  assert.match(t, /says trouser with/);
  assert.doesNotMatch(t, /right|wrong|disagree/);
});

test('argmax and maxAbs', () => {
  assert.equal(argmax([0.1, 0.5, 0.2, 0.5]), 1);
  assert.equal(maxAbs([0.5, -2, 1, NaN]), 2);
  assert.equal(maxAbs([0, 0]), 1e-6);
});

test('drawingToInput: block average, then centred by the centre of mass', () => {
  const side = 56;
  const alpha = new Uint8ClampedArray(side * side);
  // A 4×4 block of full ink at canvas pixels (0..3, 0..3): 2×2 pixels of 1.0 at (0..1, 0..1) after averaging.
  for (let y = 0; y < 4; y++) for (let x = 0; x < 4; x++) alpha[y * side + x] = 255;
  const { image, ink } = drawingToInput(alpha, side);
  assert.ok(Math.abs(ink - 4) < 1e-6, `ink ${ink}`);
  // Centre of mass (0.5, 0.5) moves to round(13.5 - 0.5) = 13: pixels 13..14.
  for (const [y, x] of [[13, 13], [13, 14], [14, 13], [14, 14]]) assert.equal(image[y * 28 + x], 1);
  assert.equal(image.reduce((a, b) => a + b, 0), 4);
  assert.equal(drawingToInput(new Uint8ClampedArray(side * side), side).ink, 0);
  assert.throws(() => drawingToInput(new Uint8ClampedArray(30 * 30), 30), /multiple of 28/);
});

test('crop: the q × q patch at (y, x)', () => {
  const img = Float32Array.from({ length: 784 }, (_, i) => i);
  assert.deepEqual(Array.from(crop(img, 2, 3, 2)), [2 * 28 + 3, 2 * 28 + 4, 3 * 28 + 3, 3 * 28 + 4]);
});

test('pictureToInput: grey levels, inverted when the border is light', () => {
  const rgba = new Uint8ClampedArray(4 * 784);
  // White paper with one black pixel in the middle: inverted, the pixel becomes ink 1 and the paper 0.
  for (let i = 0; i < 784; i++) rgba.set([255, 255, 255, 255], 4 * i);
  rgba.set([0, 0, 0, 255], 4 * (14 * 28 + 14));
  const a = pictureToInput(rgba, 28, 28);
  assert.equal(a.inverted, true);
  assert.ok(Math.abs(a.image[14 * 28 + 14] - 1) < 1e-6 && Math.abs(a.image[0]) < 1e-6);
  // Black background with a mid-grey pixel: kept as it is.
  const b = new Uint8ClampedArray(4 * 784);
  for (let i = 0; i < 784; i++) b.set([0, 0, 0, 255], 4 * i);
  b.set([128, 128, 128, 255], 4 * 5);
  const r = pictureToInput(b, 28, 28);
  assert.equal(r.inverted, false);
  assert.ok(Math.abs(r.image[5] - 128 / 255) < 1e-6);
  assert.throws(() => pictureToInput(new Uint8ClampedArray(16), 2, 2), /28 × 28/);
});

test('robustMaxAbs: one outlier does not set the scale', () => {
  const v = Array.from({ length: 100 }, (_, i) => (i % 2 ? -1 : 1) * (i + 1) / 100);
  v[0] = 1000;
  // |values| sorted: 0.02, 0.03, …, 1.00 (99 values) and 1000; the 98th of the 100 (nearest rank) is 0.99.
  assert.equal(robustMaxAbs(v), 99 / 100);
  assert.equal(robustMaxAbs([0, 0, 5], 0.5), 5);
  assert.equal(robustMaxAbs([]), 1e-6);
});
