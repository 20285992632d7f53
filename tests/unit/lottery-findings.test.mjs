// The lottery page's wording (www/labs/lottery-findings.js) against made-up numbers: the level shown is the plan's
// last one, and the precomputed levels are the nearest on a log scale; the headline says when the round cap or
// rounding stopped the pruning before the target and where the curves are read; "the initial values matter" only
// when the seed bands do not overlap; "learns faster" only when the ticket stops earliest; "the border goes first"
// only when the border keeps far fewer weights; RL's "holds its return longer" from where each series drops below
// 95% of the dense return. (The plan itself is the engine's: tests/lottery_page.rs.)
import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  nearestByLog, shownLevel, levelAtTarget, sparsityText, initialValuesVerdict, fasterSentence, levelSentence, maskSentence,
  keptDownTo, keepsSentence, embeddingSentence,
} from '../../www/labs/lottery-findings.js';

const text = (segs) => segs.map((x) => (typeof x === 'string' ? x : x.text)).join('');

test('nearestByLog: log distance, not linear', () => {
  // 2.64 is linearly nearer 2.87 than 2.3, and also on a log scale; 1.5 is linearly nearer 1 than 2.5 but on a log scale nearer 2.
  assert.equal(nearestByLog([0.023, 0.0287, 0.05], 0.0264), 1);
  assert.equal(nearestByLog([0.01, 0.025], 0.015), 0);
  assert.equal(nearestByLog([0.01, 0.02], 0.015), 1);
  assert.equal(nearestByLog([], 0.5), -1);
});

test('shownLevel: one level, with the nearest precomputed curve and certified levels', () => {
  const plan = { levels: [{ level: 0, remaining: 1 }, { level: 1, remaining: 0.4 }, { level: 2, remaining: 0.0264 }], stop: 'cap' };
  const s = shownLevel(plan, [1, 0.5, 0.0287, 0.01], [1, 0.8, 0.0457, 0.0185]);
  assert.deepEqual(s, { remaining: 0.0264, rounds: 2, stop: 'cap', curves: 0.0287, certifiedIndex: 3 });
  assert.equal(shownLevel(null, [1]), null, 'no plan yet: nothing shown');
  assert.equal(shownLevel({ levels: [{ level: 0, remaining: 1 }] }, []).curves, null);
});

test('levelAtTarget: the first level at or below the target, else the last', () => {
  const pts = [{ level: 0, remaining: 1 }, { level: 1, remaining: 0.8 }, { level: 2, remaining: 0.64 }];
  assert.equal(levelAtTarget(pts, 0.7), 2);
  assert.equal(levelAtTarget(pts, 0.8), 1);
  assert.equal(levelAtTarget(pts, 0.1), 2);
  assert.equal(levelAtTarget(pts, 1), 0);
  assert.equal(levelAtTarget([], 0.5), -1);
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

test('levelSentence names the series shown and adds the verdict', () => {
  const fmt = (x) => `${(x * 100).toFixed(1)}%`;
  const p = (mean, min = mean, max = mean) => ({ remaining: 0.0447, mean, min, max });
  const segs = levelSentence({ main: 'ticket', tk: p(0.95, 0.94, 0.96), dense: p(0.94), re: p(0.9, 0.89, 0.91), rnd: p(0.88), other: null, fmt, what: 'test accuracy' });
  assert.match(text(segs), /^At 4\.47% of the weights, the winning ticket reaches test accuracy 95\.0% \(dense network: 94\.0%\); .* 90\.0% and a random mask with the same counts 88\.0%\. Every seed/);
  assert.deepEqual(segs.filter((x) => typeof x !== 'string').map((x) => x.key), ['ticket', null, 'reinit', 'random']);
  const late = levelSentence({ main: 'late', tk: p(400), dense: p(500), re: p(450), rnd: null, other: p(300), fmt: String, what: 'a greedy return of' });
  assert.match(text(late), /late-rewound ticket .*; the ticket rewound to init 300\. .*overlap|re-initialised mask does better/);
});

test('maskSentence: "the border goes first" only when it keeps far fewer weights', () => {
  assert.match(maskSentence({ border_kept: 0.02, centre_kept: 0.3 }), /border .* keeps 2\.00% of its weights, the centre 30\.0% — the border goes first\./);
  assert.doesNotMatch(maskSentence({ border_kept: 0.25, centre_kept: 0.3 }), /goes first/);
  assert.match(maskSentence({ border_kept: 0.3, centre_kept: 0.3 }), /not pruned first/);
  assert.match(maskSentence({ border_kept: 1, centre_kept: 1 }), /keeps them all/);
});

test('keptDownTo and keepsSentence follow where each series drops below 95% of the dense return', () => {
  const pts = [{ remaining: 1, mean: 500 }, { remaining: 0.5, mean: 490 }, { remaining: 0.1, mean: 480 }, { remaining: 0.05, mean: 300 }, { remaining: 0.02, mean: 490 }];
  assert.equal(keptDownTo(pts, 500), 0.1, 'stops at the first level below, even if a later one recovers');
  assert.equal(keptDownTo([{ remaining: 0.8, mean: 100 }], 500), null);
  assert.match(keepsSentence(0.05, 0.3, 'late-rewound ticket'), /down to 5\.00% of the weights; the re-initialised masks down to 30\.0% .*: the ticket holds its return to a higher sparsity\./);
  assert.match(keepsSentence(0.3, 0.05, 'ticket'), /here the re-initialised masks hold on longer/);
  assert.match(keepsSentence(0.1, 0.1, 'ticket'), /the same level/);
  assert.match(keepsSentence(null, 0.5, 'ticket'), /at no pruned level; .*hold on longer/);
});

test('embeddingSentence: the share from the sizes, the comparison from the numbers', () => {
  const fmt = (x) => x.toFixed(3);
  const sizes = [2400, 8192, 16384, 4800];
  const a = text(embeddingSentence({ sizes, vocab: 75, width: 32, ne: { mean: 2.1 }, late: { mean: 2.2 }, fmt }));
  assert.match(a, /75×32 embedding dense .*: 2\.100 against 2\.200 with it pruned — keeping it helps\./);
  assert.match(a, /\(7\.55% of the weights here\)/);
  assert.match(text(embeddingSentence({ sizes, vocab: 75, width: 32, ne: { mean: 2.3 }, late: { mean: 2.2 }, fmt })), /does not help here/);
  assert.doesNotMatch(text(embeddingSentence({ sizes, vocab: 75, width: 32, ne: null, late: { mean: 2.2 }, fmt })), /dense/);
});
