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
