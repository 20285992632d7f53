// The lottery page's wording (www/labs/lottery-findings.js) against made-up numbers: the level shown is the plan's
// last one, and the precomputed levels are the nearest on a log scale; the headline says when the round cap or
// rounding stopped the pruning before the target and where the curves are read; "the initial values matter" only
// when the seed bands do not overlap; "learns faster" only when the ticket stops earliest.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { nearestByLog, shownLevel, sparsityText, initialValuesVerdict, fasterSentence } from '../../www/labs/lottery-findings.js';
import { planLevels } from '../../www/labs/lottery.js';

test('nearestByLog: log distance, not linear', () => {
  // 2.64 is linearly nearer 2.87 than 2.3, and also on a log scale; 1.5 is linearly nearer 1 than 2.5 but on a log scale nearer 2.
  assert.equal(nearestByLog([0.023, 0.0287, 0.05], 0.0264), 1);
  assert.equal(nearestByLog([0.01, 0.025], 0.015), 0);
  assert.equal(nearestByLog([0.01, 0.02], 0.015), 1);
  assert.equal(nearestByLog([], 0.5), -1);
});

test('shownLevel: one level, with the nearest precomputed curve and certified levels', () => {
  const plan = [{ level: 0, remaining: 1 }, { level: 1, remaining: 0.4 }, { level: 2, remaining: 0.0264 }];
  const s = shownLevel(plan, [1, 0.5, 0.0287, 0.01], [1, 0.8, 0.0457, 0.0185]);
  assert.deepEqual(s, { remaining: 0.0264, rounds: 2, stop: 'target', curves: 0.0287, certifiedIndex: 3 });
});

test('sparsityText: the cap, rounding, and the level the curves are read at', () => {
  const o = { rate: 0.6, global: false, target: 0.02 };
  const t = sparsityText({ remaining: 0.0264, rounds: 4, stop: 'target', curves: 0.0287 }, o);
  assert.equal(t.big, '2.64% of weights remaining');
  assert.match(t.rest, /after 4 rounds at 60% per round \(output layer 30\.0%\) — 97\.4% sparse\./);
  assert.match(t.rest, /no level at 2\.64%: the legend and “What to notice” read them at the nearest one, 2\.87%/);
  assert.doesNotMatch(sparsityText({ remaining: 0.0287, rounds: 4, stop: 'target', curves: 0.0287 }, o).rest, /nearest/);
  assert.match(sparsityText({ remaining: 0.129, rounds: 40, stop: 'cap', curves: null }, { ...o, target: 0.01 }).rest, /40-round cap stops the pruning here, before the target 1(\.00)?%/);
  assert.match(sparsityText({ remaining: 0.5, rounds: 3, stop: 'stuck', curves: null }, o).rest, /Rounding stops the pruning here/);
});

test('planLevels says why it stopped: target, cap or stuck', () => {
  assert.equal(planLevels([1000], ['hidden'], 0.2, 0.5, false).stop, 'target');
  const capped = planLevels([100000], ['hidden'], 0.05, 0.01, false);
  assert.equal(capped.stop, 'cap');
  assert.equal(capped.length, 41);
  assert.ok(capped[40].remaining > 0.01);
  assert.equal(planLevels([3], ['hidden'], 0.1, 0.01, false).stop, 'stuck');
});

test('initialValuesVerdict: only non-overlapping bands say the initial values matter', () => {
  assert.match(initialValuesVerdict({ min: 0.95, max: 0.96 }, { min: 0.9, max: 0.92 }, false), /initial values matter/);
  assert.match(initialValuesVerdict({ min: 0.9, max: 0.96 }, { min: 0.91, max: 0.92 }, false), /overlap/);
  assert.match(initialValuesVerdict({ min: 0.8, max: 0.85 }, { min: 0.9, max: 0.92 }, false), /re-initialised mask does better/);
  assert.match(initialValuesVerdict({ min: 2.0, max: 2.1 }, { min: 2.3, max: 2.4 }, true), /initial values matter/);
});

test('fasterSentence follows the iterations', () => {
  assert.match(fasterSentence(900, 1000, 1500), /^Here the ticket also learns faster: .*iteration 900 \(dense: 1000, re-initialised: 1500\)/);
  assert.match(fasterSentence(1333, 600, 1500), /does not learn faster/);
  assert.match(fasterSentence(600, 600, 600), /as fast as the others/);
});
