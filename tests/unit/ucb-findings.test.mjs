// The ucb page's "What to notice" wording (www/labs/ucb-findings.js) against made-up numbers: each sentence says
// what the numbers show and changes when they change (a method that never learns task 2 is not said to learn
// every task; "close to the paper's 0" only when BWT is; "about as well" only within the seed spread).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  accBwt, learnedDiag, describe, methodsSentence, ablationSentence, nearInit, sigmaSentence, pruneSentence,
} from '../../www/labs/ucb-findings.js';

/** A 5 x 5 matrix with `diag` on the diagonal, `last` as the last row, `off` elsewhere below the diagonal. */
function matrix(diag, last, off = 0.5) {
  return Array.from({ length: 5 }, (_, t) => Array.from({ length: 5 }, (_, i) => (t === 4 ? last[i] : i === t ? diag[i] : off)));
}

test('accBwt: the mean of the last row, and the mean change on tasks 1-4 from the diagonal to the last row', () => {
  const m = matrix([1, 0.9, 0.8, 0.7, 0.6], [0.9, 0.9, 0.7, 0.3, 0.6]);
  const r = accBwt(m);
  assert.ok(Math.abs(r.acc - 3.4 / 5) < 1e-12, `${r.acc}`);
  assert.ok(Math.abs(r.bwt - (-0.1 + 0 - 0.1 - 0.4) / 4) < 1e-12, `${r.bwt}`);
  m[4][2] = NaN;
  assert.equal(accBwt(m), null, 'a partial last row has no ACC/BWT');
  // The diagonal's last cell is the last row's: 1 and 0.5 here.
  const d = learnedDiag([matrix([1, 0, 0.2, 1, 9], [1, 1, 1, 1, 1]), matrix([1, 0, 0.4, 1, 9], [1, 1, 1, 1, 0])]);
  [1, 0, 0.3, 1, 0.5].forEach((want, i) => assert.ok(Math.abs(d[i] - want) < 1e-12, `task ${i + 1}: ${d[i]} vs ${want}`));
});

const st = (learned, acc, bwt, sd = 0.005) => ({ learned, acc_mean: acc, bwt_mean: bwt, acc_std: sd, bwt_std: sd });

test('describe: "learns every new task" only when every new task is learned; otherwise names the weak ones', () => {
  assert.match(describe('UCB', st([1, 0.95, 0.96, 0.99, 0.93], 0.96, 0.001), 'task').text,
    /^UCB learns every new task \(93\.0% or more right after training it\) and keeps the earlier ones \(ACC 96\.0%, BWT \+0\.100%\)$/);
  const weak = describe('UCB', st([1, 0, 0.3, 0.95, 0.6], 0.34, -0.22), 'class');
  assert.deepEqual(weak.weak, [1, 2, 4]);
  assert.match(weak.text, /UCB reaches only 0%, 30\.0% and 60\.0% on tasks 2, 3 and 5 right after training them \(chance: 10\.0%\) and loses part of the earlier ones/);
  // The same 60% counts as learned with a 2-way head only if it is 80% of the way from 50% to 100%: it is not.
  assert.match(describe('x', st([1, 0.95, 0.95, 0.95, 0.85], 0.9, -0.6), 'task').text, /reaches only 85\.0% on task 5 right after training it .* forgets almost all/);
});

test('methodsSentence: the UCB clause follows its numbers', () => {
  const ft = st([1, 0.97, 0.99, 1, 0.98], 0.96, -0.04);
  const bbb = st([1, 0.97, 0.99, 1, 0.98], 0.93, -0.07);
  assert.match(methodsSentence({ finetune: ft, bbb, ucb: st([1, 0.92, 0.95, 0.99, 0.95], 0.967, 0.0035, 0.0067) }, 'task'), /close to the paper’s 0/);
  assert.doesNotMatch(methodsSentence({ finetune: ft, bbb, ucb: st([1, 0.92, 0.95, 0.99, 0.95], 0.9, -0.05) }, 'task'), /close to the paper’s 0/);
  const cft = st([1, 0.97, 0.99, 1, 0.97], 0.19, -0.99);
  const never = methodsSentence({ finetune: cft, bbb: cft, ucb: st([1, 0, 0.3, 0.7, 0.6], 0.34, -0.22) }, 'class');
  assert.match(never, /each new pair of digits takes over the head/);
  assert.match(never, /mostly because the later tasks are barely learned/);
  assert.doesNotMatch(never, /keep part of the older/);
  const partly = methodsSentence({ finetune: cft, bbb: cft, ucb: st([1, 0.72, 0.69, 0.89, 0.71], 0.4, -0.6) }, 'class');
  assert.match(partly, /UCB reaches only 72\.0%, 69\.0% and 71\.0% on tasks 2, 3 and 5 .*: it keeps more of the older classes than fine-tuning .* learns each new task only in part/);
  assert.doesNotMatch(partly, /barely learned/);
  const keeps = methodsSentence({ finetune: cft, bbb: cft, ucb: st([1, 0.9, 0.95, 0.97, 0.95], 0.6, -0.3) }, 'class');
  assert.match(keeps, /UCB learns every new task .*: its slow updates keep part of the older tasks/);
});

test('ablationSentence: "about as well" and the conclusion only within the seed spread', () => {
  const ucb = st([], 0.967, 0.0035, 0.0067);
  assert.match(ablationSentence(ucb, st([], 0.960, 0.0092, 0.0094)), /does about as well .*: here the protection comes from the slower learning/);
  const worse = ablationSentence(st([], 0.343, -0.222, 0.02), st([], 0.314, -0.130, 0.02));
  assert.match(worse, /does worse \(ACC 31\.4% against UCB’s 34\.3%, BWT −13\.0% against −22\.2%\), though it forgets less\.$/);
});

test('nearInit and sigmaSentence: the share within a factor 2 of σ_init decides "mostly uniform"', () => {
  const xs = [-2, -1.5, -1.3, -1.1, -0.5];
  assert.equal(nearInit([[0, 0, 3, 1, 0], [0, 0, 0, 0, 4]], xs, -1.3), 0.5);
  assert.equal(nearInit([[0, 0, 0, 0, 0]], xs, -1.3), null);
  assert.match(sigmaSentence(0.5, 5), /50\.0% .* after task 5, so lr · σ is mostly a uniform drop/);
  assert.match(sigmaSentence(0.2, 3), /far from a uniform drop/);
});

test('pruneSentence: which order costs less is read off the two accuracies', () => {
  const hi = [0.9, 0.9, 0.9, 0.9, 0.9];
  const lo = [0.8, 0.8, 0.8, 0.8, 0.8];
  const base = { ratio: 0.5, by: '|μ|/σ', otherBy: '|μ|', snrFirst: true };
  assert.match(pruneSentence({ ...base, at: hi, other: lo }), /leaves 90\.0% .*by \|μ\|: 80\.0%\)\. Removing the lowest signal-to-noise ratio/);
  assert.match(pruneSentence({ ...base, at: lo, other: hi }), /Here removing the smallest \|μ\| first costs less/);
  assert.match(pruneSentence({ ...base, by: '|μ|', otherBy: '|μ|/σ', snrFirst: false, at: lo, other: hi }), /Removing the lowest signal-to-noise ratio/);
  assert.match(pruneSentence({ ...base, at: hi, other: hi }), /cost about the same/);
  assert.equal(pruneSentence({ ...base, at: hi, other: null }), 'Removing 50% of each weight matrix by |μ|/σ leaves 90.0% mean accuracy.');
});
