// The bagnet page's rows and words (www/labs/bagnet-views.js) on a made-up manifest: the evidence of location
// (i, j) lands on the 2 × 2 pixels at its patch's centre and nowhere else, the live conditions add the masked pair
// only for k > 0, the chosen model's row is marked only in its dataset's table, the captions follow the numbers,
// and the CSVs have one row per number.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { evidenceImage, conditions, accTable, maskTable, experimentTexts, runText, liveKey, liveTable, evidenceCsv, accuracyCsv, plotSeries, fidelityRows } from '../../www/labs/bagnet-views.js';

const acc = (mean) => ({ mean, sd: 0.01, min: mean - 0.01, max: mean + 0.01, n: 2 });
const entry = (dataset, q, mean) => ({ dataset, q, params: 100, test_acc: acc(mean), runs: [{ seed: 1, test_acc: mean + 0.002 }], scrambled_acc: [{ mean: mean / 2 }] });
const manifest = {
  models: [entry('mnist', 5, 0.9), entry('mnist', 9, 0.95), entry('mnist', null, 0.99), entry('fashion', 9, 0.8), entry('fashion', null, 0.88)],
  datasets: [{ id: 'mnist', train: 8000, test: 2000 }, { id: 'fashion', train: 10000, test: 2000 }],
  scramble_tiles: [7], scramble_images: 500, seeds: [1, 2], train: { epochs: 1, lr: 0.001, batch: 64 },
  masking: [{ dataset: 'mnist', q: 9, results: [{ k: 0, bagnet: 0.95, bagnet_random: 0.95, cnn: 0.99, cnn_random: 0.99, correlation: 0.5 }] }],
};

test('each location\'s evidence lands on the 2 × 2 pixels at its patch centre', () => {
  const side = 10; // BagNet-9 on 28 px
  const heat = new Float32Array(10 * side * side);
  heat[3 * side * side + 2 * side + 4] = 7; // class 3, location (2, 4)
  const { img, map } = evidenceImage(heat, side, 3, 9);
  assert.equal(map.length, side * side);
  const hot = [...img.keys()].filter((i) => img[i] !== 0);
  // centre offset (q − 1) / 2 = 4: rows 2·2 + 4 = 8, 9; columns 2·4 + 4 = 12, 13
  assert.deepEqual(hot, [8 * 28 + 12, 8 * 28 + 13, 9 * 28 + 12, 9 * 28 + 13]);
  assert.ok(hot.every((i) => img[i] === 7));
  assert.equal(evidenceImage(heat, side, 2, 9).img.some((x) => x !== 0), false, 'another class is empty');
});

test('the live run: masked conditions only for k > 0; the key names every setting', () => {
  const v = { q: 9, tile: '7', k: 0, dataset: 'mnist', seed: 3 };
  assert.deepEqual(conditions(v).map((c) => c.key), ['clean', 'cnn-clean', 'scr', 'cnn-scr']);
  const withMask = conditions({ ...v, k: 2 });
  assert.equal(withMask.length, 6);
  assert.deepEqual(withMask[4], { key: 'mask', model: 'q9', tile: 0, k: 2, label: 'BagNet-9, top 2 patches masked' });
  assert.equal(liveKey(v), 'mnist:9:7:0:3');
  assert.match(runText({ ...v, k: 2 }), /tiles scrambled, and with the top 2 patches masked\.$/);
  assert.doesNotMatch(runText(v), /masked/);
  const L = { v, res: { clean: { label: 'BagNet-9, clean', acc: 0.951, done: 2000, total: 2000, ms: 1500 } } };
  const t = liveTable(L, manifest.models);
  assert.deepEqual(t.rows[0], ['BagNet-9, clean', '95.1%', '2,000 / 2,000', '1.50 s']);
  assert.match(t.caption, /the manifest says 95\.2% clean \(mean over seeds 95\.0%\)/);
});

test('tables: the chosen row only in its dataset; the masking table or null', () => {
  const v = { q: 9, dataset: 'mnist' };
  const m = accTable(manifest, 'mnist', v);
  assert.deepEqual(m.rows.map((r) => r[0]), ['BagNet-5', 'BagNet-9', 'CNN']);
  assert.equal(m.sel, 1);
  assert.equal(accTable(manifest, 'fashion', v).sel, -1);
  assert.equal(m.caption, 'MNIST (8,000 training / 2,000 test images)');
  assert.equal(m.rows[1][3], '47.5');
  assert.equal(maskTable(manifest, v).rows[0][5], '0.50');
  assert.equal(maskTable(manifest, { q: 5, dataset: 'mnist' }), null);
  const { ys } = plotSeries(manifest.models, 0.1);
  assert.deepEqual(ys[0], [90, 95, null, null]);
  assert.deepEqual(ys[1], [99, 99, 99, 99]);
  assert.match(fidelityRows(manifest).best('fashion'), /^9: 80\.0%; CNN 88\.0%$/);
  assert.equal(fidelityRows(null).best('mnist'), '…');
});

test('captions follow the predictions; CSVs have a row per number', () => {
  const names = ['zero', 'one', 'two'];
  const w = experimentTexts({ q: 9, tile: '7', seed: 1, k: 1 }, names, 2, { sb: [0.1, 0.8, 0.1], sc: [0.7, 0.2, 0.1], mb: [0, 0, 1], mc: [0, 1, 0] });
  assert.equal(w.scrambled, 'Tiles of 7 × 7 px shuffled (seed 1) — BagNet-9: one (p = 0.800), CNN: zero (p = 0.700).');
  assert.match(w.masked, /^The 1 patch of most evidence for two set to background — BagNet-9: two/);
  assert.equal(experimentTexts({ q: 9, tile: '7', seed: 1, k: 0 }, names, 2, { sb: [1], sc: [1], mb: [1], mc: [1] }).masked, 'k = 0: nothing masked.');
  assert.equal(evidenceCsv(new Float32Array(10 * 4), 2).length, 1 + 10 * 4);
  assert.deepEqual(accuracyCsv(manifest.models)[3], ['mnist', 'cnn', '', 100, 0.99, 0.01, 0.98, 1, 2]);
});
