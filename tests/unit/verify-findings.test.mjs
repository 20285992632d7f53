// The verify page's wording (www/labs/verify-findings.js) against made-up manifests: the curves are read at grid
// points and between them; the trained net's "IBP is tighter" and its "why" follow the numbers; the naturally
// trained net moves to the ε where the two bounds differ; the slope advice only where the curve really dips and the
// method has a slope; the fidelity note says "move ε to 0.3" only away from 0.3.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { metricAt, curves, slopeDip, naturalSentence, robustSentence, dipSentence, noticeSentences, fidelityNote, hereSummary, trainingComparison } from '../../www/labs/verify-findings.js';

const text = (parts) => (parts ? parts.map((x) => (typeof x === 'string' ? x : x.b)).join('') : null);
const model = (id, m) => ({ id, label: id, metrics: { eps: [0, 0.1, 0.2, 0.3], ...m } });

test('metricAt: grid points within 1e-6 (f32), linear in between, null outside or where missing', () => {
  const m = model('x', { ibp_err: [0.1, 0.2, 0.4, null] });
  assert.equal(metricAt(m, 'ibp_err', 0.10000000149011612), 0.2);
  assert.ok(Math.abs(metricAt(m, 'ibp_err', 0.15) - 0.3) < 1e-12);
  assert.equal(metricAt(m, 'ibp_err', 0.15, true), null);
  assert.equal(metricAt(m, 'ibp_err', 0.25), null, 'a missing neighbour gives no value');
  assert.equal(metricAt(m, 'ibp_err', 0.5), null);
  assert.equal(metricAt(m, 'crown_err', 0.1), null);
  assert.equal(metricAt(null, 'ibp_err', 0.1), null);
});

test('curves: percentages per series, a scalar clean error drawn flat, missing ones null', () => {
  const m = model('x', { ibp_err: [0.1, 0.2, 0.4, 0.5], clean_err: 0.05 });
  const { eps, ys } = curves(m, [{ key: 'clean', metric: 'clean_err' }, { key: 'ibp', metric: 'ibp_err' }, { key: 'pgd', metric: 'pgd_err' }]);
  assert.deepEqual(eps, [0, 0.1, 0.2, 0.3]);
  assert.deepEqual(ys[0], [5, 5, 5, 5]);
  assert.deepEqual(ys[1].map((x) => Math.round(x)), [10, 20, 40, 50]);
  assert.deepEqual(ys[2], [null, null, null, null]);
});

test('robustSentence: tighter / about as tight / looser, and the "why" only when IBP is not looser', () => {
  const tight = model('mlp-crownibp', { ibp_err: [0, 0.2, 0.4, 0.5], crown_err: [0, 0.3, 0.6, 0.7] });
  assert.match(text(robustSentence(tight, 0.3)), /IBP is tighter than CROWN \(50(\.0)?% vs 70(\.0)?%\)\. Training against intervals makes them tight/);
  const loose = model('mlp-crownibp', { ibp_err: [0, 0.5, 0.8, 0.9], crown_err: [0, 0.3, 0.6, 0.7] });
  const s = text(robustSentence(loose, 0.3));
  assert.match(s, /IBP is looser than CROWN/);
  assert.doesNotMatch(s, /makes them tight/);
  const same = model('mlp-crownibp', { ibp_err: [0, 0.3, 0.6, 0.701], crown_err: [0, 0.3, 0.6, 0.7] });
  assert.match(text(robustSentence(same, 0.3)), /about as tight as/);
  assert.match(text(robustSentence(tight, 0.3)), /^CROWN-IBP-trained MLP: /, 'names the net it is about');
  assert.match(text(robustSentence({ ...tight, config: { arch: 'cnn' } }, 0.3)), /^CROWN-IBP-trained CNN: /);
  assert.equal(robustSentence(tight, 0), null, 'nothing to compare at ε = 0');
});

test('naturalSentence: the gap at ε, or at the grid ε where the bounds differ most when they agree at ε', () => {
  const nat = model('mlp-natural', { ibp_err: [0, 0.9, 1, 1], crown_err: [0, 0.2, 1, 1] });
  assert.match(text(naturalSentence(nat, 0.1)), /^Naturally trained MLP, ε = 0\.100: IBP 90(\.0)?% vs CROWN 20(\.0)?% verified error\. Intervals forget/);
  assert.match(text(naturalSentence(nat, 0.3)), /ε = 0\.100 \(at 0\.300 both certify nothing\)/);
  const even = model('mlp-natural', { ibp_err: [0, 0.2, 0.3, 0.4], crown_err: [0, 0.2, 0.3, 0.4] });
  assert.doesNotMatch(text(naturalSentence(even, 0.2)), /Intervals forget/, 'no "looser" story when IBP is not looser');
  assert.equal(naturalSentence(even, 0), null);
});

test('slopeDip and dipSentence: only a real drop of more than 5 points, only for methods with a slope', () => {
  const dip = model('mlp-crownibp', { crown_err: [0, 0.7, 0.45, 0.6] });
  assert.deepEqual(slopeDip(dip), { epsHi: 0.1, hi: 0.7, epsLo: 0.2, lo: 0.45 });
  assert.match(text(dipSentence(dip, 'crown')), /70(\.0)?% at ε = 0\.100 but 45(\.0)?% at 0\.200/);
  assert.equal(dipSentence(dip, 'ibp'), null);
  assert.equal(slopeDip(model('m', { crown_err: [0, 0.5, 0.47, 0.6] })), null, 'a 3-point wobble is not a dip');
});

test('noticeSentences: the ε = 0 line only at 0; the PGD line always', () => {
  const models = [model('mlp-crownibp', { ibp_err: [0, 0.2, 0.4, 0.5], crown_err: [0, 0.3, 0.6, 0.7] })];
  const at0 = noticeSentences(models, { eps: 0, method: 'ibp' }).map(text);
  assert.match(at0[0], /At ε = 0 every bound/);
  const at3 = noticeSentences(models, { eps: 0.3, method: 'ibp' }).map(text);
  assert.ok(!at3.some((s) => /At ε = 0/.test(s)));
  assert.match(at3.at(-1), /PGD is an attack/);
  assert.equal(at3.length, 2);
});

test('fidelityNote: "move ε to 0.3" only away from 0.3', () => {
  const r = { id: 'mlp-crownibp', label: 'MLP' };
  assert.match(fidelityNote(r, 0.3), /same count, recomputed/);
  assert.match(fidelityNote(r, 0.30000000000000004), /same count/);
  assert.match(fidelityNote(r, 0.25), /Move ε to 0\.3 to recompute it live/);
  assert.match(fidelityNote(null, 0.3), /no CROWN-IBP-trained model/);
});

test('hereSummary: each deviation next to the paper, from the manifest config', () => {
  const s = hereSummary({ config: { dims: [784, 256, 10], train_digits: 8000, train: { epochs: 80, train_eps: 0.30000001192092896 } } });
  assert.equal(s, 'Here: an MLP 784–256–10 (paper: a large CNN); 8,000 training digits (paper: 60,000); trained at ε = 0.3 (paper: 0.4); 80 epochs.');
  assert.equal(hereSummary(null), 'Here: a small MLP (paper: a large CNN).');
  const cnn = hereSummary({ label: 'CNN conv 8 4x4/2, conv 16 4x4/2, dense 100, dense 10, CROWN-IBP training at epsilon 0.4, seed 1',
    config: { arch: 'cnn', dims: [], train_digits: 8000, train: { epochs: 20, train_eps: 0.4000000059604645 } } });
  assert.equal(cnn, 'Here: a small CNN, conv 8 4x4/2, conv 16 4x4/2, dense 100, dense 10 (paper: a large CNN); 8,000 training digits (paper: 60,000); trained at ε = 0.4 (paper: 0.4); 20 epochs.');
});

test('trainingComparison averages seeds, takes the tighter verifier and skips missing methods', () => {
  const mk = (id, ibp, cib, clean = 0.02) => ({ id, metrics: { eps: [0, 0.3], clean_err: clean, ibp_err: ibp, crownibp_err: cib } });
  const { eps, rows } = trainingComparison([
    mk('mlp-crownibp', [0.1, 0.5], [0.1, 0.6]),
    mk('cnn-crownibp-s1', [0.02, 0.20], [0.02, 0.30]),
    mk('cnn-crownibp-s2', [0.04, 0.40], [0.04, 0.30], 0.04),
    mk('cnn-natural', [0.01, 1], [0.01, 1]),
  ]);
  assert.deepEqual(eps, [0, 0.3]);
  assert.deepEqual(rows.map((r) => r.key), ['crownibp', 'natural']);
  const c = rows[0];
  assert.deepEqual(c.ids, ['cnn-crownibp-s1', 'cnn-crownibp-s2']);
  assert.ok(Math.abs(c.mean[1] - 25) < 1e-9 && Math.abs(c.min[1] - 20) < 1e-9 && Math.abs(c.max[1] - 30) < 1e-9);
  assert.ok(Math.abs(c.clean - 3) < 1e-9);
  assert.deepEqual(trainingComparison(null), { eps: [], rows: [] });
});
