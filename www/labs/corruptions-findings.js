// What the corruptions page says about its numbers ("What to notice"): every sentence is worded from the numbers it
// names, so it stays true when a live run (other digits, another seed) changes them. DOM-free, so
// tests/unit/corruptions-findings.test.mjs checks each wording against made-up reports.
//
// A report is the engine's `bench_report` (src/labs/corruptions/bench.rs, ModelReport): one record per model,
// `{ name, clean, errors[15][5], ce[15], rel_ce[15], mce, rel_mce, fp[10], fr[10], mfr }`, errors and flip
// probabilities as fractions, CE / FR as fractions of the baseline's (1 = the baseline), null (or NaN for errors
// and fp) where a cell has not run yet. The first model is the baseline.

import { sig3 } from '../ui/controls.js';

/** The 15 ImageNet-C corruptions in the paper's order, the reference's names and the paper's titles. */
export const COMMON = ['gaussian_noise', 'shot_noise', 'impulse_noise', 'defocus_blur', 'glass_blur', 'motion_blur', 'zoom_blur',
  'snow', 'frost', 'fog', 'brightness', 'contrast', 'elastic_transform', 'pixelate', 'jpeg_compression'];
export const TITLES = ['Gaussian noise', 'Shot noise', 'Impulse noise', 'Defocus blur', 'Glass blur', 'Motion blur', 'Zoom blur',
  'Snow', 'Frost', 'Fog', 'Brightness', 'Contrast', 'Elastic', 'Pixelate', 'JPEG'];
/** The 10 ImageNet-P perturbations; the first two are noise sequences (each frame compared with the first). */
export const PERTURBATIONS = ['gaussian_noise', 'shot_noise', 'motion_blur', 'zoom_blur', 'snow', 'brightness', 'translate', 'rotate', 'tilt', 'scale'];
export const PTITLES = ['Gaussian noise', 'Shot noise', 'Motion blur', 'Zoom blur', 'Snow', 'Brightness', 'Translate', 'Rotate', 'Tilt', 'Scale'];

/** The benchmark's digit models in the shipped order (the baseline first): display name, the engine's loader
 *  (`add_digit_model` kind) and file under www/models/. The same list as src/labs/corruptions/ship.rs `MODELS`. */
export const DIGIT_MODELS = [
  { name: 'MLP natural (baseline)', kind: 'mlp', file: 'verify/mlp-natural.safetensors' },
  { name: 'MLP CROWN-IBP', kind: 'mlp', file: 'verify/mlp-crownibp.safetensors' },
  { name: 'LeNet-300-100 ticket 21.1%', kind: 'mlp', file: 'lottery/vision-ticket.safetensors' },
  { name: 'BagNet-9', kind: 'bagnet', file: 'bagnet/bagnet-q9-mnist.safetensors' },
  { name: 'BagNet-17', kind: 'bagnet', file: 'bagnet/bagnet-q17-mnist.safetensors' },
  { name: 'CNN (bagnet lab)', kind: 'bagnet', file: 'bagnet/cnn-mnist.safetensors' },
  { name: 'CNN natural (blindspot)', kind: 'cnn', file: 'blindspot/cnn-natural.safetensors' },
  { name: 'CNN PGD (blindspot)', kind: 'cnn', file: 'blindspot/cnn-madry.safetensors' },
];

const ok = (v) => v != null && Number.isFinite(v);
/** A fraction as a percentage with 3 significant digits ("163%", "6.30%"); "–" if missing. */
export const pc = (f) => (ok(f) ? `${sig3(100 * f)}%` : '–');
/** "a", "a and b", "a, b and c". */
export const list = (xs) => (xs.length < 2 ? xs.join('') : `${xs.slice(0, -1).join(', ')} and ${xs[xs.length - 1]}`);

/** Mean error of a model over the 15 corruptions at severity `s` (1..5); null until all 15 are in. */
export function errorAtSeverity(m, s) {
  const v = m.errors.map((row) => row[s - 1]);
  return v.every(ok) ? v.reduce((a, b) => a + b, 0) / v.length : null;
}

/**
 * The question of the issue behind this lab, answered from the numbers: does a model (certified training, a sparse
 * ticket) lose or gain corruption robustness relative to the baseline, beyond its clean error? `kind` words the
 * model ("certified training", "the sparse ticket"). Null until its mCE is in.
 */
export function questionSentence(m, base, kind) {
  if (!ok(m.mce) || !ok(m.rel_mce)) return null;
  const clean = m.clean < base.clean ? 'lower' : m.clean > base.clean ? 'higher' : 'the same';
  const buys = m.mce < 1 && m.rel_mce < 1 ? 'it buys corruption robustness'
    : m.mce > 1 && m.rel_mce > 1 ? 'it costs corruption robustness'
      : m.mce < 1 ? 'it gives a lower mCE, but its error grows more under corruption (relative mCE above 100%)'
        : 'it gives a higher mCE, though its error grows less under corruption (relative mCE below 100%)';
  return `Does ${kind} change robustness? Here ${buys}: clean error ${pc(m.clean)} (${clean} than the baseline\u2019s ${pc(base.clean)}), mCE ${pc(m.mce)}, relative mCE ${pc(m.rel_mce)}.`;
}

/**
 * Two models of the same architecture compared directly (not through the baseline): does `what` (PGD adversarial
 * training, a larger patch) change corruption robustness? CE ratios per corruption give where it gains and loses most.
 * Null until both mCEs are in.
 */
export function pairSentence(m, ref, what) {
  if (!m || !ref || !ok(m.mce) || !ok(ref.mce) || !m.ce.every(ok) || !ref.ce.every(ok)) return null;
  const ratio = m.ce.map((v, i) => v / ref.ce[i]);
  let best = 0;
  let worst = 0;
  ratio.forEach((r, i) => { if (r < ratio[best]) best = i; if (r > ratio[worst]) worst = i; });
  const verdict = m.mce < ref.mce ? 'lowers' : m.mce > ref.mce ? 'raises' : 'keeps';
  const range = (i) => `${TITLES[i].toLowerCase()} (CE ${pc(m.ce[i])} vs ${pc(ref.ce[i])})`;
  return `${what} ${verdict} the mCE: ${m.name} ${pc(m.mce)} vs ${ref.name} ${pc(ref.mce)} (clean error ${pc(m.clean)} vs ${pc(ref.clean)}); `
    + `it helps most on ${range(best)} and ${ratio[worst] > 1 ? 'hurts' : 'helps least'} on ${range(worst)}.`;
}

/** All models ranked by mCE (lowest first), and how many convolutional models (any name without "MLP" or "LeNet")
 *  beat every MLP. Null until every mCE is in, or without both kinds. */
export function rankingSentence(report) {
  if (!report || report.length < 3 || !report.every((m) => ok(m.mce))) return null;
  const mlp = (m) => /MLP|LeNet/.test(m.name);
  const [mlps, convs] = [report.filter(mlp), report.filter((m) => !mlp(m))];
  if (!mlps.length || !convs.length) return null;
  const sorted = [...report].sort((a, b) => a.mce - b.mce);
  const beat = convs.filter((m) => m.mce < Math.min(...mlps.map((x) => x.mce))).length;
  return `Ranked by mCE: ${list(sorted.map((m) => `${m.name} ${pc(m.mce)}`))}.`
    + ` ${beat === convs.length ? `All ${beat}` : `${beat} of the ${convs.length}`} convolutional model${convs.length === 1 && beat === 1 ? '' : 's'} ${beat === 1 && convs.length > 1 ? 'has' : convs.length === 1 && beat === 1 ? 'has' : 'have'} a lower mCE than every MLP.`;
}

/** The main slider's sentence: the baseline's mean error at severity `s` next to its clean error. */
export function severitySentence(report, s) {
  const b = report?.[0];
  if (!b) return null;
  const e = errorAtSeverity(b, s);
  if (!ok(e)) return null;
  const others = report.slice(1).map((m) => [m.name, errorAtSeverity(m, s)]).filter(([, v]) => ok(v));
  return `At severity ${s} the baseline\u2019s error averages ${pc(e)} over the 15 corruptions (clean: ${pc(b.clean)})`
    + `${others.length ? `; ${list(others.map(([n, v]) => `${n} ${pc(v)}`))}` : ''}.`;
}

/** Flip probabilities (ImageNet-P): the perturbation that flips the baseline most, and each model's mFR. */
export function flipSentence(report) {
  const b = report?.[0];
  if (!b || !b.fp.every(ok)) return null;
  let worst = 0;
  b.fp.forEach((v, i) => { if (v > b.fp[worst]) worst = i; });
  const mfr = report.slice(1).filter((m) => ok(m.mfr)).map((m) => `${m.name} ${pc(m.mfr)}`);
  return `${PTITLES[worst]} flips the baseline\u2019s prediction most often: FP ${pc(b.fp[worst])} between frames.`
    + `${mfr.length ? ` mFR (the baseline = 100%): ${list(mfr)}.` : ''}`;
}

/** The grid's speed, from the measured engine time of the whole 15 × 5 grid (ms, one call: 75 cells in one list,
 *  longest first, shared by the threads). */
export function speedSentence(gridMs, threads) {
  if (!ok(gridMs) || gridMs <= 0) return null;
  const shared = threads > 1 ? `, the 75 cells shared by the ${threads} threads` : '';
  return `The 15 \u00d7 5 grid took ${sig3(gridMs / 1000)} s here (${threads} thread${threads === 1 ? '' : 's'}${shared}): ${sig3(gridMs / 75)} ms a cell on average.`;
}

/** The digit sequence's flips: how many times each model's prediction flips, and under which rule. */
export function sequenceSentence(seq, models) {
  if (!seq) return null;
  const counts = models.map((n, k) => `${n} ${seq.flips[k].length}`);
  const rule = seq.noise ? 'each frame against the first (a noise sequence)' : 'each frame against the previous one';
  return `On this ${seq.frames}-frame sequence the predictions flip (${rule}): ${list(counts)}.`;
}

/** All "What to notice" sentences for the page, in order, skipping those whose numbers are not in yet. */
export function findings({ report, severity, gridMs, threads, seq, models }) {
  const out = [severitySentence(report, severity)];
  if (report && report.length > 1) {
    out.push(questionSentence(report[1], report[0], 'certified training (CROWN-IBP)'));
    if (report[2]) out.push(questionSentence(report[2], report[0], 'the sparse lottery ticket (a 300-100 net at 21.1% of its weights)'));
    const by = (n) => report.find((m) => m.name === n);
    out.push(pairSentence(by('CNN PGD (blindspot)'), by('CNN natural (blindspot)'), 'PGD adversarial training (the blindspot lab\u2019s CNN, \u03b5 = 0.3)'));
    out.push(pairSentence(by('BagNet-17'), by('BagNet-9'), 'A larger patch (BagNet-17 against BagNet-9)'));
    out.push(rankingSentence(report));
  }
  out.push(flipSentence(report), sequenceSentence(seq, models || []), speedSentence(gridMs, threads));
  return out.filter(Boolean);
}
