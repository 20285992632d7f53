// The corruptions page's numbers in words and rows, DOM-free (tests/unit/corruptions-views.test.mjs): the captions
// of the large view and the players, the benchmark's source line, table rows and bar chart, its CSV, and the
// fidelity rows. The page (corruptions.js) only puts them into elements.

import { sig3 } from '../ui/controls.js';
import { COMMON, TITLES, PERTURBATIONS, PTITLES, pc, errorAtSeverity } from './corruptions-findings.js';

/** The bench views: what the bar chart shows. */
export const VIEWS = [
  { value: 'ce', label: 'Corruption Error CE (mean: mCE)' },
  { value: 'rel_ce', label: 'relative CE (mean: relative mCE)' },
  { value: 'fp', label: 'flip probability FP (flip rate FR, mFR)' },
];

/** The flip rates are measured on at most this many of the run's digits. */
export const FLIP_DIGITS = 200;

/** The display name of corruption `c` (an id of COMMON). */
export const title = (c) => TITLES[COMMON.indexOf(c)];
/** The display name of perturbation `p` (an id of PERTURBATIONS). */
export const ptitle = (p) => PTITLES[PERTURBATIONS.indexOf(p)];

/** ImageNet-C's parameter tables for photos larger than 64 px on their longer side, CIFAR-10-C's otherwise. */
export const tablesFor = (w, ht) => (Math.max(w, ht) <= 64 ? 'CIFAR-10-C' : 'ImageNet-C');

/** The caption under the large view. `photo`: `{ w, h, ch, label }`; `ms`: the engine's time. */
export function bigCaption({ corruption, severity, photo, ms }) {
  return `${title(corruption)}, severity ${severity}, on ${photo.label} (${photo.w}\u00d7${photo.h}${photo.ch === 1 ? ', grayscale' : ''}; `
    + `the ${tablesFor(photo.w, photo.h)} parameter tables) \u2014 ${sig3(ms)} ms`;
}

/** What a live benchmark run of `n` digits with `models` models does (the run box's line). */
export function benchRunText(n, models = 8) {
  return `75 cells (15 corruptions \u00d7 5 severities) on the first ${n} test digits, then the 10 perturbations on the first ${Math.min(n, FLIP_DIGITS)}; all ${models} models, normalised by the natural MLP.`;
}

/** Where the benchmark shown comes from: `source` "shipped" | "live", `info` `{ n, n_flip, seed }`. */
export function benchSourceText(source, info = {}) {
  return source === 'shipped'
    ? `Shipped result, computed natively: ${info.n} test digits (flip rates on ${info.n_flip}), seed ${info.seed}. A live run replaces it.`
    : `Live: ${info.n} test digits (flip rates on ${info.n_flip}), seed ${info.seed}. \u2013 where a cell has not run yet, or where the baseline\u2019s value is 0 (its error does not grow, or it never flips, on that many digits), so the ratio is undefined.`;
}

/** The benchmark table at severity `s`: `{ head, rows }` of display strings. */
export function benchTable(report, s) {
  return {
    head: ['model', 'clean error', `error, severity ${s}`, 'mCE', 'relative mCE', 'mFR'],
    rows: report.map((m) => [m.name, pc(m.clean), pc(errorAtSeverity(m, s)), pc(m.mce), pc(m.rel_mce), pc(m.mfr)]),
  };
}

/**
 * The bar chart of `view` ("ce" | "rel_ce" | "fp"): `{ label, names, max, ref, shown, rows, aria }` where `rows[i]`
 * is `{ name, bars: [{ k, width (0..1 of the row), title }], value }` — one bar per model, `value` the numbers
 * printed beside the row (the baseline's CE is 100% by construction, so CE rows leave it out), `ref` the baseline
 * line's position (0..1) or null, `shown` the models whose numbers are printed.
 */
export function benchBars(report, view) {
  const fp = view === 'fp';
  const names = fp ? PTITLES : TITLES;
  const vals = report.map((m) => (fp ? m.fp : view === 'rel_ce' ? m.rel_ce : m.ce));
  const finite = vals.flat().filter((x) => x != null && Number.isFinite(x));
  const max = Math.max(fp ? 0.01 : 1, ...finite.map((x) => Math.max(0, x)));
  const label = fp ? 'FP' : view === 'rel_ce' ? 'relative CE' : 'CE';
  const from = fp ? 0 : 1;
  const rows = names.map((name, i) => ({
    name,
    bars: report.map((m, k) => {
      const x = vals[k][i];
      const fr = fp && Number.isFinite(m.fr?.[i]) ? `, FR ${pc(m.fr[i])}` : '';
      return { k, width: x != null && Number.isFinite(x) ? Math.max(0, x) / max : 0, title: `${m.name}: ${label} ${pc(x)}${fr}` };
    }),
    value: vals.slice(from).map((x) => pc(x[i])).join(' / '),
  }));
  return {
    label, names, max, rows,
    ref: fp ? null : 1 / max,
    shown: report.slice(from).map((m) => m.name),
    aria: `${label} per ${fp ? 'perturbation' : 'corruption'} for ${report.map((m) => m.name).join(', ')}; the numbers are in the CSV export`,
  };
}

/** The benchmark as CSV rows (header first): every error, CE, relative CE and FP of every model, and the means. */
export function benchCsv(report) {
  return [
    ['model', 'kind', 'name', 'severity', 'value'],
    ...(report || []).flatMap((m) => [
      [m.name, 'clean error', '', '', m.clean],
      ...COMMON.flatMap((c, ci) => m.errors[ci].map((e, s) => [m.name, 'error', c, s + 1, e])),
      ...COMMON.map((c, ci) => [m.name, 'CE', c, '', m.ce[ci]]),
      ...COMMON.map((c, ci) => [m.name, 'relative CE', c, '', m.rel_ce[ci]]),
      ...PERTURBATIONS.map((p, pi) => [m.name, 'flip probability', p, '', m.fp[pi]]),
      [m.name, 'mCE', '', '', m.mce], [m.name, 'relative mCE', '', '', m.rel_mce], [m.name, 'mFR', '', '', m.mfr],
    ]),
  ];
}

/** The digit player's lines at frame `j` of `seq` (`{ frames, noise, preds, flips }`) for `models` (names):
 *  `{ k, note, text, cells }` (k: the frame shown; cells[m][f]: `{ value, cls }` for the flip table). */
export function digitFrame(seq, models, digit, j) {
  const k = Math.min(j, seq.frames - 1);
  return {
    k,
    note: `Predicted class per frame; a flip (orange) is a frame whose prediction differs from ${seq.noise ? 'the first frame\u2019s (a noise sequence)' : 'the previous frame\u2019s'}; the current frame is outlined.`,
    text: `Digit ${digit}, frame ${k} of ${seq.frames - 1}: ${models.map((n, m) => `${n} predicts ${seq.preds[m][k]}`).join(', ')}.`,
    cells: models.map((_, m) => seq.preds[m].map((p, f) => ({
      value: String(p), cls: `${seq.flips[m].includes(f) ? 'flip' : ''}${f === k ? ' cur' : ''}`.trim() || null,
    }))),
  };
}

/** The fidelity card's rows: the paper's numbers beside the shipped run's (`models`: the shipped report, or null). */
export function fidelityRows(models) {
  const here = (k) => (models ? models.slice(1).map((m) => `${m.name.split(' ').slice(0, 2).join(' ')} ${pc(m[k])}`).join('; ') : '\u2013');
  return [
    ['data', 'ImageNet validation set', '2,000 MNIST test digits', 'no ImageNet in a browser'],
    ['baseline (100%)', 'AlexNet', 'natural MLP 784-100-100-10', 'we ship no AlexNet'],
    ['ResNet-50 mCE', '76.7%', `mCE: ${here('mce')}`, 'digits and MLPs; other baseline'],
    ['ResNet-50 mFR', '58.0%', `mFR: ${here('mfr')}`, 'CIFAR-P settings on digits'],
    ['tables', 'ImageNet-C, CIFAR-10-C', 'the same', 'JPEG: another encoder'],
  ];
}

/** The words under the fidelity table. */
export const FIDELITY_NOTE = 'ResNet-50: the baseline rows of the authors\u2019 ImageNet-C and ImageNet-P leaderboards (hendrycks/robustness), normalised by AlexNet; ours are normalised by the natural MLP on digits (shipped run: 2,000 digits, flips on 500), so the numbers are not comparable, only the definitions. '
  + 'The lottery ticket is LeNet-300-100 at 21.1% of its weights, larger than the baseline, so it does not isolate sparsity. The BagNets and the CNNs are the bagnet and blindspot labs\u2019 shipped MNIST models, called through their own forward passes. The paper\u2019s per-corruption AlexNet table is not quoted: its numbers could not be checked against the paper\u2019s text here. Matching against imagecorruptions 1.1.2: docs/labs/corruptions.md.';
