// The ucb page's vocabulary and numbers, DOM-free (tests/unit/ucb-data.test.mjs): the methods, modes and pruning
// criteria; the shipped run of the manifest shaped like a live one; the pruned accuracies at a ratio; the σ
// histograms' bins; which pruning point to compute next; the CSV rows. Accuracies are fractions in [0, 1]; a matrix
// R is TASKS x TASKS, R[t][i] = accuracy on task i after training task t (NaN where not evaluated).

import { pct } from '../ui/controls.js';
import { TASKS, signedPct, pp, learnedDiag } from './ucb-findings.js';

export const METHODS = [
  { value: 'ucb', label: 'UCB (lr ∝ σ from task 2)', name: 'UCB' },
  { value: 'ucb-flat', label: 'UCB with σ ignored (ablation)', name: 'UCB, σ ignored' },
  { value: 'bbb', label: 'Bayes by Backprop (no UCB)', name: 'Bayes by Backprop', short: 'BBB' },
  { value: 'finetune', label: 'Fine-tuning (plain MLP)', name: 'fine-tuning' },
];
export const MODES = [
  { value: 'task', label: 'task-incremental: a 2-way head per task (the paper’s)', name: 'task-incremental' },
  { value: 'class', label: 'class-incremental: one shared 10-way head', name: 'class-incremental' },
];
export const CRITERIA = [
  { value: 'snr', label: 'lowest |μ| / σ (signal-to-noise, the paper’s)', name: '|μ|/σ' },
  { value: 'magnitude', label: 'lowest |μ| (magnitude)', name: '|μ|' },
];
/** The name of the entry of `list` whose value is `v`, or `v` itself. */
export const nameOf = (list, v) => list.find((x) => x.value === v)?.name || v;
/** `{ value, label }` options of a menu from one of the lists above. */
export const options = (list) => list.map(({ value, label }) => ({ value, label }));

/** The pruning ratios of the curve: 0, 0.05, ..., 0.95. */
export const RATIOS = Array.from({ length: 20 }, (_, i) => Number((i * 0.05).toFixed(2)));
/** A matrix with no cell evaluated yet. */
export const emptyMatrix = () => Array.from({ length: TASKS }, () => Array(TASKS).fill(NaN));
/** The mean of a list of numbers. */
export const mean = (a) => a.reduce((p, q) => p + q, 0) / a.length;
/** "96.1% ± 0.3" (signed: "+0.350% ± 0.3"): a mean and its sd in percentage points. */
export const meanSd = (m, sd, signed = false) => `${signed ? signedPct(m) : pct(m)} ± ${pp(sd)}`;
const num = (x) => (typeof x === 'number' && Number.isFinite(x) ? x : NaN);

/** The criterion a method is pruned by: fine-tuning has no σ, so always magnitude. */
export const critOf = (method, crit) => (method === 'finetune' ? 'magnitude' : crit);

/** A shipped run of the manifest shaped like a live one: `{ source: 'shipped', metrics (ACC/BWT, written by the
 *  engine's Rust code, or null), matrix (non-numbers as NaN), hists, prune, seconds, threads, config }`. */
export function shippedRun(r) {
  const metrics = Number.isFinite(r.acc) && Number.isFinite(r.bwt) ? { acc: r.acc, bwt: r.bwt } : null;
  return { source: 'shipped', metrics, matrix: r.matrix.map((row) => row.map(num)), hists: Array.isArray(r.hists) ? r.hists : [],
    prune: r.prune || {}, seconds: r.seconds, threads: r.threads, config: r.config };
}

/** A method's numbers over its shipped seeds for "What to notice": the manifest's summary `s` (ACC/BWT mean and
 *  sd, computed by the engine's Rust code) with `learned`, each task's accuracy right after training it (the
 *  diagonal) averaged over the shipped `runs`; null without runs or summary. */
export function methodStats(runs, s) {
  return runs.length && s ? { ...s, learned: learnedDiag(runs.map((r) => shippedRun(r).matrix)) } : null;
}

/** The key of a live pruning result: "snr|0.50". */
export const pruneKey = (crit, ratio) => `${crit}|${ratio.toFixed(2)}`;

/**
 * Per-task accuracies of the run `cur` pruned at `ratio` by `crit`, or null (not available / still computing). A
 * live run holds them in a Map (pruneKey → accuracies); a shipped one as `prune[crit][i]` at `grid[i]` (the
 * manifest's prune_ratios).
 */
export function prunedAt(cur, ratio, crit, grid = RATIOS) {
  if (!cur) return null;
  if (cur.prune instanceof Map) return cur.prune.get(pruneKey(crit, ratio)) || null;
  const i = grid.findIndex((r) => Math.abs(r - ratio) < 1e-6);
  const row = cur.prune?.[crit]?.[i];
  return Array.isArray(row) ? row.map(num) : null;
}

/** The pruning curve's series at RATIOS in percent: one per task, then their mean; null where a ratio has no
 *  numbers (`grid`: see prunedAt). */
export function pruneSeries(cur, crit, grid = RATIOS) {
  const ys = Array.from({ length: TASKS + 1 }, () => []);
  for (const r of cur ? RATIOS : []) {
    const a = prunedAt(cur, r, crit, grid);
    for (let t = 0; t < TASKS; t++) ys[t].push(a ? 100 * a[t] : null);
    ys[TASKS].push(a ? 100 * mean(a) : null);
  }
  return ys;
}

/**
 * The next pruning point to compute for a finished live run (`prune`: its Map): the current ratio by the current
 * criterion first, then the other criterion there (not for fine-tuning, which has no σ), then the whole curve by
 * the current criterion. `[crit, ratio]`, or null when all are in.
 */
export function nextPrune(prune, { method, crit, ratio }) {
  const c = critOf(method, crit);
  const want = [[c, ratio], ...(method === 'finetune' ? [] : [[c === 'snr' ? 'magnitude' : 'snr', ratio]]), ...RATIOS.map((r) => [c, r])];
  return want.find(([k, r]) => !prune.has(pruneKey(k, r))) || null;
}

/** The σ histograms' x axis (bin centres of log10 σ, from the manifest's `hist: { bins, lo, hi }`) and log10 σ_init
 *  for softplus(ρ_init) = log(1 + e^ρ). */
export function sigmaBins(hist, rhoInit = -3) {
  const { bins = 40, lo = -3, hi = 0 } = hist || {};
  const xs = Array.from({ length: bins }, (_, i) => lo + ((i + 0.5) * (hi - lo)) / bins);
  return { xs, bins, init: Math.log10(Math.log1p(Math.exp(rhoInit))) };
}

/** A flat histogram from the engine (groups of `bins` shares, one group per layer) as a list of groups. */
export function histGroups(flat, bins) {
  return Array.from({ length: Math.ceil(flat.length / bins) }, (_, g) => Array.from(flat.slice(g * bins, (g + 1) * bins)));
}

/**
 * The CSV export of the shown run `cur` (settings `v`, pruned by `crit`): its matrix, its pruning curve and the
 * shipped summaries of every method and mode (`summary`), accuracies in percent with 4 decimals (`grid`: see
 * prunedAt).
 */
export function csvRows(cur, v, crit, summary = [], grid = RATIOS) {
  const f = (x) => (Number.isFinite(x) ? Number((100 * x).toFixed(4)) : '');
  const rows = [['kind', 'source', 'method', 'mode', 'seed', 'criterion', 'after_task', 'removed', 'task', 'accuracy_pct']];
  cur?.matrix.forEach((row, t) => row.forEach((a, i) => rows.push(['matrix', cur.source, v.method, v.mode, v.seed, '', t + 1, '', i + 1, f(a)])));
  for (const r of cur ? RATIOS : []) {
    prunedAt(cur, r, crit, grid)?.forEach((x, i) => rows.push(['pruned', cur.source, v.method, v.mode, v.seed, crit, TASKS, r, i + 1, f(x)]));
  }
  for (const s of summary) {
    rows.push(['summary_acc_mean', 'shipped', s.method, s.mode, s.seeds.join(' '), '', '', '', '', f(s.acc_mean)]);
    rows.push(['summary_bwt_mean', 'shipped', s.method, s.mode, s.seeds.join(' '), '', '', '', '', f(s.bwt_mean)]);
  }
  return rows;
}
