// The onlstm page's data shaping (www/labs/onlstm-data.js) against hand-made manifests and an independent
// computation of a sentence's perplexity; and the staircase sentence of "What to notice" (onlstm-findings.js).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { CHUNKS, modelId, modelName, f1Series, f1Table, f1Csv, sentenceCsv } from '../../www/labs/onlstm-data.js';
import { treeSentence } from '../../www/labs/onlstm-findings.js';

const model = (id, chunk, l1, l2, ppl, seeds) => ({ id, chunk, metrics: { test_ppl: ppl, test_f1_by_layer: [l1, l2] }, ...(seeds ? { seeds } : {}) });
const manifest = {
  models: [
    model('onlstm-c2', 2, 0.30, 0.40, 20.5),
    model('onlstm-c4', 4, 0.31, 0.55, 19.6, [{ seed: 1, test_ppl: 19.6, test_f1_by_layer: [0.31, 0.55] }, { seed: 2, test_ppl: 19.9, test_f1_by_layer: [0.29, 0.5] }]),
    model('lstm', 0, 0.2, 0.25, 19.7),
  ],
  baselines_test_f1: { right_branching: 0.361, left_branching: 0.264, random: 0.282, random_trees_per_sentence: 5 },
};

test('modelId and modelName', () => {
  assert.equal(modelId({ model: 'onlstm', chunk: '8' }), 'onlstm-c8');
  assert.equal(modelId({ model: 'lstm', chunk: '8' }), 'lstm');
  assert.equal(modelName('onlstm-c16'), 'ON-LSTM, C = 16');
  assert.equal(modelName('lstm'), 'LSTM (baseline)');
});

test('f1Series: x = log2 C, layer 2 then layer 1 in percent, null for chunk sizes not shipped, flat baselines', () => {
  const { xs, ys } = f1Series(manifest);
  assert.deepEqual(xs, [1, 2, 3, 4, 5]);
  assert.equal(ys.length, 6);
  assert.deepEqual(ys[0].map((y) => (y == null ? null : Math.round(y * 10) / 10)), [40, 55, null, null, null]);
  assert.deepEqual(ys[1].map((y) => (y == null ? null : Math.round(y * 10) / 10)), [30, 31, null, null, null]);
  for (const [i, f] of [[2, 36.1], [3, 28.2], [4, 26.4], [5, 25]]) {
    assert.equal(ys[i].length, CHUNKS.length);
    assert.ok(ys[i].every((y) => Math.abs(y - f) < 1e-9), `series ${i}: ${ys[i]}`);
  }
  assert.ok(f1Series(null).ys.every((s) => s.every((y) => y === null)), 'no manifest: every point missing');
});

test('f1Table: a row per model, three baselines and three paper rows, with their kinds', () => {
  const { rows, kinds, ids } = f1Table(manifest);
  assert.deepEqual(kinds, ['model', 'model', 'model', 'base', 'base', 'base', 'paper', 'paper', 'paper']);
  assert.deepEqual(ids, ['onlstm-c2', 'onlstm-c4', 'lstm']);
  assert.deepEqual(rows[1], ['ON-LSTM, C = 4', '19.6', '31.0', '55.0', '30.0 (29.0–31.0)', '52.5 (50.0–55.0)']);
  assert.equal(rows[0][4], '', 'one seed: no spread');
  assert.deepEqual(rows[3], ['right-branching', '–', { value: '36.1', colspan: 4 }]);
  assert.equal(rows[5][0], 'random trees (mean of 5)');
  assert.deepEqual(rows[6], ['ON-LSTM, 2nd layer (paper, WSJ test)', '56.17 (PTB)', { value: '47.7', colspan: 4 }]);
});

test('f1Csv: every seed of every model, seed 1 from the metrics when none are listed, then the baselines', () => {
  const rows = f1Csv(manifest);
  assert.deepEqual(rows[0], ['model', 'chunk', 'test_ppl', 'f1_layer1_pct', 'f1_layer2_pct', 'seed']);
  assert.deepEqual(rows.slice(1, 5).map((r) => [r[0], r[5]]), [['onlstm-c2', 1], ['onlstm-c4', 1], ['onlstm-c4', 2], ['lstm', 1]]);
  assert.ok(Math.abs(rows[3][4] - 50) < 1e-9);
  assert.deepEqual(rows.slice(5).map((r) => r[0]), ['right-branching', 'left-branching', 'random']);
});

test('sentenceCsv: a row per word with its distances in every layer and its surprisal', () => {
  const a = { tokens: { words: ['the', 'dog'], unknown: [false, true] }, distances: [[1, 2], [3, 4]], nll: [0.5, 2, 1] };
  assert.deepEqual(sentenceCsv(a), [['word', 'unknown', 'distance_layer1', 'distance_layer2', 'surprisal_nats'], ['the', 0, 1, 3, 0.5], ['dog', 1, 2, 4, 2]]);
});


test('treeSentence: names the tallest bar and the first split only for a gated reader', () => {
  const a = { tokens: { words: ['the', 'dog', 'sleeps'] }, distances: [[0.1, 2.5, 0.3]], spans: [[[0, 3], [0, 2]]] };
  const on = treeSentence(a, '2', true);
  assert.match(on, /Here \(layer 1\) the tallest bar is at “dog” \(d = 2\.50\): the sentence splits first into “the dog” and “sleeps”\./);
  assert.match(treeSentence(a, '1', false), /The LSTM has no master gate/);
  const none = treeSentence(null, '2', false);
  assert.doesNotMatch(none, /Here|LSTM/);
  assert.match(none, /read as <unk> and marked red\.$/);
});
