// The compressive page's wording (www/labs/compressive-findings.js) against made-up numbers: "the extra reach helps"
// only when a compressive model beats Transformer-XL, flagged when the gain is within the seed spread; a head is said
// to look at the segment only when most of its attention is there; the default text is said to be training text,
// scoring lower or higher than validation as the numbers say.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { signed3, reachSentence, headSentence, bestSentence, trainTextSentence } from '../../www/labs/compressive-findings.js';

test('signed3 rounds to three decimals with a real minus sign', () => {
  assert.equal(signed3(-0.0151), '−0.015');
  assert.equal(signed3(0.0042), '+0.004');
  assert.equal(signed3(0.0004), '0.000');
});

test('reachSentence: helps, helps within the spread, or does not help', () => {
  const conv = [{ c: 1, bpc: 2.363 }, { c: 3, bpc: 2.3505 }, { c: 8, bpc: 2.359 }];
  assert.match(reachSentence(conv, 2.3688, 0.02), /2\.350 \(c = 3\) to 2\.363 \(c = 1\) .* 2\.369 .*helps by at most 0\.018 bits\/char, no more than retraining/);
  assert.match(reachSentence(conv, 2.3688, 0.005), /helps by at most 0\.018 bits\/char\.$/);
  assert.match(reachSentence(conv, 2.34, 0.005), /does not help/);
  assert.equal(reachSentence([], 2.3, 0.01), null);
});

test('headSentence: where the attention goes', () => {
  assert.match(headSentence({ layer: 2, head: 1, mcm: 0, mm: 0.06, mseg: 0.94 }), /94\.0% .* segment, 6\.0% on memory and 0\.0% on compressed memory: it looks mostly at the current segment/);
  assert.match(headSentence({ layer: 1, head: 3, mcm: 0.3, mm: 0.3, mseg: 0.4 }), /reaches back into the compressed memory/);
  assert.match(headSentence({ layer: 1, head: 2, mcm: 0.05, mm: 0.45, mseg: 0.5 }), /spreads over the memory/);
});

test('bestSentence and trainTextSentence follow the numbers', () => {
  const xl = { val_bpc: 2.3688 };
  assert.match(bestSentence({ label: 'conv c = 3', val_bpc: 2.3505 }, xl, 0.018), /0\.018 bits\/char better than Transformer-XL .* up to 0\.018/);
  assert.match(bestSentence({ label: 'x', val_bpc: 2.37 }, xl, NaN), /is not better than Transformer-XL \(2\.369\); in the paper.*0\.97\)\.$/);
  assert.match(trainTextSentence(2.139, 2.354), /inside the training split .* 2\.139 bits\/char, lower than the 2\.354 on the held-out validation text/);
  assert.match(trainTextSentence(2.5, 2.354), /higher than/);
  assert.equal(trainTextSentence(NaN, 2.3), null);
});

test('recallBits finds the characters after "=" and their distance to the last capital', async () => {
  const { recallBits } = await import('../../www/labs/compressive-findings.js');
  const text = 'KKKabc=K\nQQde=Q\n';
  const bits = [...text].slice(1).map((_, k) => k / 10); // bits[k] is the loss of character k + 1
  const r = recallBits(text, bits);
  assert.equal(r.n, 2);
  assert.deepEqual(r.recalls.map((x) => [x.pos, x.distance]), [[7, 4], [14, 3]]);
  assert.ok(Math.abs(r.recalls[0].bits - 0.6) < 1e-12 && Math.abs(r.recalls[1].bits - 1.3) < 1e-12);
  assert.ok(Math.abs(r.mean - 0.95) < 1e-12);
  assert.equal(recallBits('no recall here', [1, 2]).n, 0);
  assert.ok(Number.isNaN(recallBits('ab=', [1, 2]).mean), 'a trailing "=" has nothing to recall');
});

test('reachOf, recallSentence and distanceSentence follow the numbers', async () => {
  const { reachOf, recallSentence, distanceSentence } = await import('../../www/labs/compressive-findings.js');
  assert.equal(reachOf([[32, 0.1, 5], [64, 0.2, 5], [96, 3.9, 5], [128, 0.1, 5]]), 64, 'stops at the first failing bin');
  // halfway between the best bin (2.74) and a guess (4.70) is 3.72: 3.22 passes, 4.05 fails
  assert.equal(reachOf([[32, 2.74, 5], [64, 3.22, 5], [96, 4.05, 5], [128, 4.8, 5]]), 64);
  assert.equal(reachOf([[32, 4.8, 5], [64, 4.75, 5]]), 0, 'never below a guess');
  assert.equal(reachOf([[32, 0.1, 5], [64, 0.1, 5]]), 64);
  const xl = { label: 'Transformer-XL', mean: 3.9, spread: 0.05, runs: 3 };
  assert.match(recallSentence(xl, { label: 'conv c = 4', mean: 2.1, spread: 0.1, runs: 3 }), /3\.900 bits .* 4\.700\), conv c = 4 2\.100 \(means of 3 seeds\): 1\.80 bits better, far beyond seed noise \(18× the largest seed spread, 0\.100\)/);
  assert.match(recallSentence(xl, { label: 'c', mean: 3.8, spread: 0.05, runs: 3 }), /0\.10 bits better, but only 2\.0× the seed spread/);
  assert.match(recallSentence(xl, { label: 'c', mean: 3.95, spread: 0.05, runs: 3 }), /no compressive model does better/);
  assert.equal(recallSentence(null, xl), null);
  assert.match(distanceSentence([{ label: 'XL', range: 64, reach: 64 }, { label: 'c = 4', range: 160, reach: 192 }], 32), /XL recalls up to D ≈ 64 \(range 64\); c = 4 recalls up to D ≈ 192 \(range 160\)\. Each falls off/);
  assert.match(distanceSentence([{ label: 'XL', range: 64, reach: 64 }, { label: 'c = 8', range: 288, reach: 96 }], 32), /1 of 2 falls off .*; the others do not\./);
});
