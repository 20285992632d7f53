// The verify page's vocabulary and numbers, DOM-free (tests/unit/verify-data.test.mjs): the bound methods, CROWN's
// lower slopes and the plotted series; the keys that name a live result; the tightest shipped bound at an ε; the
// rows of the training-method table and of the CSV export. Errors are fractions in [0, 1] unless a name says _pct.

import { usesSlope, metricAt } from './verify-findings.js';
import { methodKey } from '../ui/palette.js';

// MNIST, CROWN-IBP, the paper's best (large) CNN: 7.02% verified test error at eps = 0.3, as its abstract states (the
// only number we could check in the paper's text); its eps = 0.4 number is not quoted here for that reason.
export const PAPER_MNIST = [{ eps: 0.3, verified: '7.02%' }, { eps: 0.4, verified: 'not quoted' }];

export const METHODS = [
  { value: 'ibp', label: 'IBP (intervals)', name: 'IBP' },
  { value: 'crown', label: 'CROWN (linear bounds)', name: 'CROWN' },
  { value: 'crown-ibp', label: 'CROWN-IBP (IBP, then CROWN)', name: 'CROWN-IBP' },
];
// CROWN's lower line alpha * z for an unstable ReLU (l < 0 < u); every alpha in [0, 1] is sound
// (src/labs/verify.rs, LowerSlope). The precomputed curves use the paper's adaptive choice.
export const SLOPES = [
  { value: 'adaptive', label: 'adaptive (the paper’s)', short: 'adaptive α' },
  { value: 'zero', label: 'α = 0', short: 'α = 0' },
  { value: 'one', label: 'α = 1', short: 'α = 1' },
  { value: 'parallel', label: 'parallel: α = u / (u − l)', short: 'α = u / (u − l)' },
];
/** The `k` (default: name) of the entry of `list` whose value is `x`, or `x` itself. */
export const nameOf = (list, x, k = 'name') => list.find((s) => s.value === x)?.[k] || x;
/** `{ value, label }` options of a menu from one of the lists above. */
export const options = (list) => list.map(({ value, label }) => ({ value, label }));
export const SLOPE_TIP = 'Which lower line CROWN uses for a ReLU whose input can be either sign (l < 0 < u): '
  + 'any α·z with α in [0, 1] is a sound lower bound. The paper picks α = 1 when u > −l and 0 otherwise '
  + '(“adaptive”). That choice is not monotone in ε: as the boxes grow, the u > −l test flips for some neurons, '
  + 'so a larger ε can give a tighter bound. The precomputed curves use the adaptive slope; other slopes are '
  + 'computed live only.';

/** The main plot's series: the manifest's metric of each, in this order. */
export const SERIES = [
  { key: 'clean', metric: 'clean_err', label: 'clean', color: 'clean', dash: [6, 4], points: false },
  { key: 'pgd', metric: 'pgd_err', label: 'PGD attack', color: 'pgd' },
  { key: 'ibp', metric: 'ibp_err', label: 'verified: IBP', color: 'ibp' },
  { key: 'crown', metric: 'crown_err', label: 'verified: CROWN', color: 'crown' },
  // Dashed: where CROWN-IBP and CROWN coincide, both stay visible.
  { key: 'crownibp', metric: 'crownibp_err', label: 'verified: CROWN-IBP', color: 'crownibp', dash: [8, 3] },
];

/** "CROWN-IBP (β = 0.50, α = 0)": the method of the settings `v` with its non-default settings. */
export function methodLabel(v) {
  const extra = [];
  if (v.method === 'crown-ibp' && v.beta !== 1) extra.push(`β = ${v.beta.toFixed(2)}`);
  if (usesSlope(v.method) && v.slope !== 'adaptive') extra.push(nameOf(SLOPES, v.slope, 'short'));
  return nameOf(METHODS, v.method) + (extra.length ? ` (${extra.join(', ')})` : '');
}

/** The key of a live verified error: model|eps|method|beta|slope (beta 1 unless crown-ibp; slope "-" for ibp). */
export const liveKey = (v) => `${v.model}|${v.eps}|${v.method}|${v.method === 'crown-ibp' ? v.beta : 1}|${usesSlope(v.method) ? v.slope : '-'}`;
/** The key of a live PGD error: model|eps|steps|seed. */
export const pgdKey = (v) => `${v.model}|${v.eps}|${v.steps}|${v.seed}`;

/** The tightest of the three sound bounds (IBP, CROWN, CROWN-IBP) the model's curves give at `eps` (each is an
 *  upper bound on the true robust error): `{ v, name }`, or null without curves. */
export function bestBound(model, eps) {
  return SERIES.filter((x) => ['ibp', 'crown', 'crownibp'].includes(x.key))
    .map((s) => ({ v: model ? metricAt(model, s.metric, eps) : null, name: s.label.replace('verified: ', '') }))
    .filter((x) => x.v != null).reduce((a, b) => (!a || b.v < a.v ? b : a), null);
}

/**
 * The training-method table's rows from `trainingComparison` (verify-findings.js: `{ eps, rows: [{ key, label, ids,
 * clean, mean, min, max }] }`, percentages): training, seeds, clean error, verified error at ε = 0.1, 0.3 (with the
 * paper's), 0.4 (with the paper's). A cell is "m%" or "m% (min–max)" over several seeds, "–" where missing; the
 * paper's numbers are for CROWN-IBP training only.
 */
export function trainingRows({ eps, rows }) {
  const at = (r, e) => {
    const i = eps.findIndex((x) => Math.abs(x - e) < 1e-6);
    if (i < 0 || r.mean[i] == null) return '–';
    const spread = r.ids.length > 1 ? ` (${r.min[i].toFixed(1)}–${r.max[i].toFixed(1)})` : '';
    return `${r.mean[i].toFixed(1)}%${spread}`;
  };
  const paper = (r, e) => (r.key === 'crownibp' ? PAPER_MNIST.find((p) => p.eps === e)?.verified || '–' : '–');
  return rows.map((r) => [r.label, String(r.ids.length), r.clean == null ? '–' : `${r.clean.toFixed(1)}%`, at(r, 0.1), at(r, 0.3), paper(r, 0.3), at(r, 0.4), paper(r, 0.4)]);
}

/**
 * The CSV export: the precomputed curves of `model` (`eps`, `ys`: from `curves`, in percent) and every live result
 * so far (`live`: liveKey → `{ n, clean, verified }`, `pgd`: pgdKey → `{ n, errors }`), one row each, errors in
 * percent with 4 decimals.
 */
export function csvRows(model, { eps, ys }, live, pgd) {
  const f = (x) => (x == null ? '' : Number(x.toFixed(4)));
  const rows = [['source', 'model', 'eps', ...SERIES.map((s) => `${s.key}_err_pct`), 'beta', 'slope', 'pgd_steps', 'pgd_seed', 'n_digits']];
  eps.forEach((e, i) => rows.push(['precomputed', model, e, ...ys.map((y) => f(y[i])), 1, 'adaptive', '', '', '']));
  for (const [key, r] of live) {
    const [m, e, method, beta, slope] = key.split('|');
    const row = SERIES.map((s) => (s.key === methodKey(method) ? f((100 * r.verified) / r.n) : s.key === 'clean' ? f((100 * r.clean) / r.n) : ''));
    rows.push(['live', m, e, ...row, beta, slope === '-' ? '' : slope, '', '', r.n]);
  }
  for (const [key, r] of pgd) {
    const [m, e, steps, seed] = key.split('|');
    rows.push(['live', m, e, ...SERIES.map((s) => (s.key === 'pgd' ? f((100 * r.errors) / r.n) : '')), '', '', steps, seed, r.n]);
  }
  return rows;
}
