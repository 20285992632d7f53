// The long-run sentences of the ucb page (www/labs/ucb-findings.js) against made-up summaries.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { beats, claimSentence, bwtByEpochs, longEpochs, nearInitByEpochs, spreadSentence, sigmaSides } from '../../www/labs/ucb-findings.js';

const row = (method, epochs, bwt_mean, bwt_std, mode = 'task') => ({ method, mode, epochs, seeds: 5, acc_mean: 0.95, acc_std: 0.01, bwt_mean, bwt_std });

test('beats needs a gap larger than the larger seed sd (and half a point)', () => {
  assert.equal(beats({ bwt_mean: 0, bwt_std: 0.01 }, { bwt_mean: -0.05, bwt_std: 0.02 }), true);
  assert.equal(beats({ bwt_mean: 0, bwt_std: 0.01 }, { bwt_mean: -0.015, bwt_std: 0.02 }), false);
  assert.equal(beats({ bwt_mean: 0, bwt_std: 0 }, { bwt_mean: -0.004, bwt_std: 0 }), false);
});

test('claim: the longest setting is used and the wording follows the numbers', () => {
  const sum = [row('ucb', 4, 0, 0.01), row('ucb-flat', 4, 0, 0.01), row('ucb-norm', 4, -0.07, 0.02), row('bbb', 4, -0.07, 0.02),
    row('ucb', 30, 0.0, 0.005), row('ucb-flat', 30, -0.03, 0.01), row('ucb-norm', 30, -0.01, 0.005), row('bbb', 30, -0.08, 0.02)];
  assert.deepEqual(longEpochs(sum, 'task'), [4, 30]);
  const c = claimSentence(sum, 'task');
  assert.equal(c.epochs, 30);
  assert.deepEqual(c.holds, { flat: true, bbb: true, norm: true });
  assert.match(c.text, /With 30 epochs per task \(5 seeds, task-incremental\), UCB forgets less than the σ-ignored ablation/);
  assert.match(c.text, /BWT 0% ± 0.5 vs −3.00% ± 1\)/);
  assert.match(c.text, /not only the slower learning/);
  // Flat as good as UCB and normalised as bad as BBB: the claim fails and the text says why.
  const bad = sum.map((s) => (s.epochs === 30 && s.method === 'ucb-flat' ? { ...s, bwt_mean: 0.001 } : s.epochs === 30 && s.method === 'ucb-norm' ? { ...s, bwt_mean: -0.08 } : s));
  const d = claimSentence(bad, 'task');
  assert.deepEqual(d.holds, { flat: false, bbb: true, norm: false });
  assert.match(d.text, /forgets about as much as the σ-ignored ablation \(within the seed spread\)/);
  assert.match(d.text, /not from which weights are uncertain/);
  // Flat clearly better than UCB, normalised worse than BBB: "more", and the σ part is said to hurt.
  const worse = sum.map((s) => (s.epochs === 30 && s.method === 'ucb-flat' ? { ...s, bwt_mean: 0.03 } : s.epochs === 30 && s.method === 'ucb-norm' ? { ...s, bwt_mean: -0.2 } : s));
  const w = claimSentence(worse, 'task');
  assert.match(w.text, /UCB forgets more than the σ-ignored ablation, beyond the seed spread/);
  assert.match(w.text, /the uncertainty-only rule forgets more than BBB/);
  assert.match(w.text, /makes forgetting worse/);
  assert.equal(claimSentence(sum, 'class'), null);
  // Everything forgotten (class-incremental): no conclusion about slowness, the text says nothing keeps the old tasks.
  const cls = ['ucb', 'ucb-flat', 'ucb-norm', 'bbb'].map((m, i) => row(m, 12, -0.99 + 0.02 * i, 0.01, 'class'));
  const c2 = claimSentence(cls, 'class');
  assert.match(c2.text, /No rule keeps the old tasks here: every method's BWT is −93\.0% or worse\.$/);
  assert.doesNotMatch(c2.text, /slower learning/);
});

test('BWT by epochs and the σ spread', () => {
  const sum = [row('bbb', 30, -0.1, 0.02), row('bbb', 4, -0.07, 0.03)];
  assert.deepEqual(bwtByEpochs(sum, 'bbb', 'task').map((r) => r.epochs), [4, 30]);
  const runs = [{ method: 'ucb', mode: 'task', epochs: 4, near_init: [1, 0.9] }, { method: 'ucb', mode: 'task', epochs: 4, near_init: [1, 0.7] },
    { method: 'ucb', mode: 'task', epochs: 30, near_init: [0.5, 0.2] }];
  const r = nearInitByEpochs(runs, 'ucb', 'task');
  assert.deepEqual(r.map((x) => x.epochs), [4, 30]);
  assert.ok(Math.abs(r[0].share - 0.8) < 1e-12);
  assert.match(spreadSentence(r), /80\.0% .* 4 epochs per task, 20\.0% with 30: longer training moves σ away from σ_init\.$/);
  assert.match(spreadSentence([{ epochs: 4, share: 0.8 }, { epochs: 30, share: 0.79 }]), /hardly moves σ/);
  // Bins at log10 σ = -2, -1.3 (σ_init), -0.5: one count below, two near, three above.
  const sides = sigmaSides([[1, 2, 3]], [-2, -1.3, -0.5], -1.3);
  assert.ok(Math.abs(sides.below - 1 / 6) < 1e-12 && Math.abs(sides.above - 0.5) < 1e-12);
  assert.match(spreadSentence(r, sides), /50\.0% of them end more than twice σ_init, 16\.7% below half of it: σ mostly grows/);
  assert.doesNotMatch(spreadSentence(r, { below: 0.4, above: 0.5 }), /mostly grows/);
  assert.equal(sigmaSides([[0, 0, 0]], [-2, -1.3, -0.5], -1.3), null);
  assert.equal(spreadSentence(r.slice(0, 1)), null);
});

test('permSentence compares UCB with BBB and fine-tuning beyond the seed spread only', async () => {
  const { permSentence } = await import('../../www/labs/ucb-findings.js');
  const r = (method, acc_mean, acc_std, bwt_mean, bwt_std, epochs = 4) => ({ method, mode: 'perm', epochs, seeds: 5, acc_mean, acc_std, bwt_mean, bwt_std });
  assert.equal(permSentence([], 4), null);
  assert.equal(permSentence([r('ucb', 0.7, 0.01, -0.05, 0.01)]), null, 'needs BBB and fine-tuning');
  const s = permSentence([r('ucb', 0.68, 0.01, -0.05, 0.01), r('bbb', 0.80, 0.02, -0.15, 0.02), r('finetune', 0.69, 0.02, -0.06, 0.02)]);
  assert.equal(s.epochs, 4);
  assert.match(s.text, /5 seeds/);
  assert.match(s.text, /UCB keeps more of the old tasks than BBB .*and ends with less accuracy than it/);
  assert.match(s.text, /UCB keeps about as much of the old tasks as fine-tuning .*and ends with about as much accuracy as it/);
  const t = permSentence([r('ucb', 0.9, 0.01, -0.2, 0.01, 12), r('bbb', 0.8, 0.01, -0.1, 0.01, 12), r('finetune', 0.8, 0.01, -0.1, 0.01, 12), r('ucb', 0.5, 0, 0, 0)]);
  assert.equal(t.epochs, 12, 'the most epochs by default');
  assert.match(t.text, /keeps less of the old tasks than BBB .*more accuracy than it/);
});
