// The corruptions page's "What to notice" wording (www/labs/corruptions-findings.js) against made-up reports: each
// sentence says what the numbers show and changes when they change ("buys robustness" only when both mCE and
// relative mCE are below the baseline's, the perturbation named is the one with the highest flip probability, the
// slowest row is the one with the largest time, nothing is said about numbers that are not in yet).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  errorAtSeverity, questionSentence, severitySentence, flipSentence, speedSentence, sequenceSentence, pairSentence, rankingSentence, findings, pc, list,
  DIGIT_MODELS,
} from '../../www/labs/corruptions-findings.js';

/** A model report: `err(c, s)` its error on corruption c at severity s. */
function model(name, { clean = 0.05, err = () => 0.1, ce = null, rel = null, fp = null, fr = null } = {}) {
  const errors = Array.from({ length: 15 }, (_, c) => Array.from({ length: 5 }, (_, s) => err(c, s + 1)));
  const cev = ce || Array(15).fill(1);
  const relv = rel || Array(15).fill(1);
  const mean = (a) => (a.every((x) => x != null) ? a.reduce((p, q) => p + q, 0) / a.length : null);
  const fpv = fp || Array(10).fill(0.01);
  const frv = fr || Array(10).fill(1);
  return { name, clean, errors, ce: cev, rel_ce: relv, mce: mean(cev), rel_mce: mean(relv), fp: fpv, fr: frv, mfr: mean(frv) };
}

test('pc and list', () => {
  assert.equal(pc(1.628), '163%');
  assert.equal(pc(0.063), '6.30%');
  assert.equal(pc(null), '–');
  assert.equal(pc(NaN), '–');
  assert.equal(list(['a', 'b', 'c']), 'a, b and c');
  assert.equal(list(['a']), 'a');
});

test('errorAtSeverity: the mean over the 15 corruptions at that severity; null while a cell is missing', () => {
  const m = model('m', { err: (c, s) => c / 100 + s / 10 });
  assert.ok(Math.abs(errorAtSeverity(m, 2) - (0.07 + 0.2)) < 1e-12);
  m.errors[3][1] = NaN;
  assert.equal(errorAtSeverity(m, 2), null);
  assert.ok(Number.isFinite(errorAtSeverity(m, 3)));
});

test('questionSentence: "buys" only when mCE and relative mCE are both below 100%, "costs" when both above', () => {
  const base = model('base', { clean: 0.06 });
  const good = model('ticket', { clean: 0.05, ce: Array(15).fill(0.8), rel: Array(15).fill(0.6) });
  assert.match(questionSentence(good, base, 'the ticket'), /Does the ticket change robustness\? Here it buys corruption robustness: clean error 5\.00% \(lower than the baseline’s 6\.00%\), mCE 80\.0%, relative mCE 60\.0%/);
  const bad = model('cert', { clean: 0.12, ce: Array(15).fill(1.6), rel: Array(15).fill(5.7) });
  assert.match(questionSentence(bad, base, 'certified training'), /Here it costs corruption robustness: clean error 12\.0% \(higher/);
  const mixed = model('mixed', { ce: Array(15).fill(0.9), rel: Array(15).fill(1.3) });
  assert.match(questionSentence(mixed, base, 'x'), /Here it gives a lower mCE, but its error grows more/);
  const mixed2 = model('mixed', { ce: Array(15).fill(1.2), rel: Array(15).fill(0.7) });
  assert.match(questionSentence(mixed2, base, 'x'), /Here it gives a higher mCE, though its error grows less/);
  const partial = model('p', { ce: [null, ...Array(14).fill(1)] });
  assert.equal(questionSentence(partial, base, 'x'), null, 'no sentence before the mCE is in');
});

test('severitySentence follows the slider and names every model', () => {
  const r = [model('base', { clean: 0.06, err: (c, s) => 0.1 * s }), model('other', { err: (c, s) => 0.05 * s })];
  assert.equal(severitySentence(r, 1), 'At severity 1 the baseline’s error averages 10.0% over the 15 corruptions (clean: 6.00%); other 5.00%.');
  assert.match(severitySentence(r, 4), /At severity 4 .* 40\.0% .* other 20\.0%/);
  r[0].errors[0][4] = NaN;
  assert.equal(severitySentence(r, 5), null);
  assert.equal(severitySentence(null, 3), null);
});

test('flipSentence names the perturbation with the highest flip probability', () => {
  const fp = [0.007, 0.003, 0.037, 0.002, 0.008, 0.024, 0.298, 0.012, 0.004, 0.044];
  const r = [model('base', { fp }), model('cert', { fr: Array(10).fill(1.6) })];
  assert.equal(flipSentence(r), 'Translate flips the baseline’s prediction most often: FP 29.8% between frames. mFR (the baseline = 100%): cert 160%.');
  fp[6] = 0.001;
  assert.match(flipSentence(r), /^Scale flips/);
  fp[2] = NaN;
  assert.equal(flipSentence(r), null, 'not before every perturbation has run');
});

test('speedSentence: the grid time and the mean per cell', () => {
  assert.equal(speedSentence(1500, 1), 'The 15 × 5 grid took 1.50 s here (1 thread): 20.0 ms a cell on average.');
  assert.equal(speedSentence(225, 2), 'The 15 × 5 grid took 0.225 s here (2 threads, the 75 cells shared by the 2 threads): 3.00 ms a cell on average.');
  assert.equal(speedSentence(NaN, 1), null);
  assert.equal(speedSentence(0, 1), null);
  assert.equal(speedSentence(null, 1), null);
});

test('sequenceSentence: the flip counts and the rule of the sequence', () => {
  const seq = { frames: 31, noise: false, preds: [[], []], flips: [[3, 7], []] };
  assert.equal(sequenceSentence(seq, ['a', 'b']), 'On this 31-frame sequence the predictions flip (each frame against the previous one): a 2 and b 0.');
  seq.noise = true;
  assert.match(sequenceSentence(seq, ['a', 'b']), /against the first \(a noise sequence\)/);
});

test('findings: only the sentences whose numbers are in, in order', () => {
  assert.deepEqual(findings({ report: null, severity: 3, gridMs: null, threads: 1, seq: null, models: [] }), []);
  const r = [model('base'), model('cert', { ce: Array(15).fill(1.5), rel: Array(15).fill(2) }), model('ticket', { ce: Array(15).fill(0.8), rel: Array(15).fill(0.7) })];
  const f = findings({ report: r, severity: 2, gridMs: 750, threads: 1, seq: null, models: [] });
  assert.equal(f.length, 5);
  assert.match(f[0], /^At severity 2/);
  assert.match(f[1], /certified training \(CROWN-IBP\) change robustness\? Here it costs/);
  assert.match(f[2], /sparse lottery ticket .* Here it buys/);
  assert.match(f[3], /flips the baseline/);
  assert.match(f[4], /0\.750 s here/);
});

test('pairSentence: the direct comparison of two models, where it helps most and least', () => {
  const ce = Array(15).fill(0.5);
  ce[3] = 0.2; // defocus: helps most
  ce[9] = 0.9; // fog: hurts
  const pgd = model('CNN PGD', { clean: 0.02, ce });
  const nat = model('CNN nat', { clean: 0.03, ce: Array(15).fill(0.6) });
  assert.equal(pairSentence(pgd, nat, 'PGD'),
    'PGD lowers the mCE: CNN PGD 50.7% vs CNN nat 60.0% (clean error 2.00% vs 3.00%); it helps most on defocus blur (CE 20.0% vs 60.0%) and hurts on fog (CE 90.0% vs 60.0%).');
  const worse = model('B', { ce: Array(15).fill(0.7) });
  worse.ce[0] = 0.65;
  assert.match(pairSentence(worse, nat, 'X'), /^X raises the mCE: .* helps most on gaussian noise .* hurts on shot noise/);
  const better = model('C', { ce: Array(15).fill(0.3) });
  assert.match(pairSentence(better, nat, 'X'), /helps least on/);
  assert.equal(pairSentence(undefined, nat, 'X'), null);
  const missing = model('D', { ce: [...Array(14).fill(0.3), null] });
  assert.equal(pairSentence(missing, nat, 'X'), null);
});

test('rankingSentence: models by mCE, and how many CNNs beat every MLP', () => {
  const r = [model('MLP a', { ce: Array(15).fill(1) }), model('MLP b', { ce: Array(15).fill(0.8) }),
    model('CNN x', { ce: Array(15).fill(0.5) }), model('BagNet y', { ce: Array(15).fill(1.2) })];
  assert.equal(rankingSentence(r), 'Ranked by mCE: CNN x 50.0%, MLP b 80.0%, MLP a 100% and BagNet y 120%. 1 of the 2 convolutional models has a lower mCE than every MLP.');
  r[3] = model('BagNet y', { ce: Array(15).fill(0.6) });
  assert.match(rankingSentence(r), /All 2 convolutional models have a lower mCE/);
  assert.equal(rankingSentence(r.slice(0, 2)), null, 'MLPs only');
  assert.equal(rankingSentence([...r.slice(0, 3), model('CNN z', { ce: [null, ...Array(14).fill(1)] })]), null);
});

test('DIGIT_MODELS: the baseline first, one loader kind each', () => {
  assert.equal(DIGIT_MODELS[0].name, 'MLP natural (baseline)');
  assert.ok(DIGIT_MODELS.every((m) => ['mlp', 'bagnet', 'cnn'].includes(m.kind) && m.file.endsWith('.safetensors')));
});
