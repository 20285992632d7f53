// What the ucb page says about its numbers ("What to notice"): each sentence is worded from the numbers it names, so
// it is true of them (the issue that started this: class-incremental UCB was said to "keep part of the older
// classes" while it never learned task 2). DOM-free, so tests/unit/ucb-findings.test.mjs checks every wording
// against made-up matrices. Accuracies are fractions; a matrix R is T x T, R[t][i] = accuracy on task i after
// training task t (NaN where not evaluated).

import { pct, sig3 } from '../ui/controls.js';

export const TASKS = 5;
const mean = (a) => a.reduce((p, q) => p + q, 0) / a.length;
/** A signed percentage: 0.0035 -> "+0.350%", -0.22 -> "−22.0%". */
export const signedPct = (f) => (Number.isFinite(f) ? `${f > 0 ? '+' : f < 0 ? '−' : ''}${sig3(Math.abs(f) * 100)}%` : '–');
/** "a", "a and b", "a, b and c". */
const list = (xs) => (xs.length < 2 ? xs.join('') : `${xs.slice(0, -1).join(', ')} and ${xs[xs.length - 1]}`);
const cap = (s) => `${s[0].toUpperCase()}${s.slice(1)}`;

/** ACC (mean of the last row) and BWT (mean change on tasks 1..T-1 from right after learning them to the end) of a
 *  possibly partial matrix: null until the last row is complete. */
export function accBwt(m) {
  const last = m[TASKS - 1];
  if (!last || last.some((v) => !Number.isFinite(v))) return null;
  let bwt = 0;
  for (let i = 0; i < TASKS - 1; i++) bwt += last[i] - m[i][i];
  return { acc: mean(last), bwt: bwt / (TASKS - 1) };
}

/** Each task's accuracy right after training it (the diagonal), averaged over runs (a list of matrices). */
export function learnedDiag(matrices) {
  return Array.from({ length: TASKS }, (_, t) => mean(matrices.map((m) => m[t][t])));
}

/**
 * How a method learns the new tasks and keeps the old ones: `st` = `{ acc_mean, bwt_mean, learned }` (learned: the
 * diagonal, see learnedDiag). A new task counts as learned at 80% of the way from chance (50% with a 2-way head per
 * task, 10% with one 10-way head) to 100%. Returns `{ weak (0-based tasks 2.. not learned), text }`.
 */
export function describe(name, st, mode) {
  const chance = mode === 'task' ? 0.5 : 0.1;
  const weak = [1, 2, 3, 4].filter((t) => st.learned[t] < chance + 0.8 * (1 - chance));
  const learn = weak.length
    ? `reaches only ${list(weak.map((t) => pct(st.learned[t])))} on task${weak.length > 1 ? 's' : ''} ${list(weak.map((t) => t + 1))} `
      + `right after training ${weak.length > 1 ? 'them' : 'it'} (chance: ${pct(chance)})`
    : `learns every new task (${pct(Math.min(...st.learned))} or more right after training it)`;
  const keep = st.bwt_mean >= -0.01 ? 'keeps the earlier ones' : st.bwt_mean > -0.5 ? 'loses part of the earlier ones' : 'forgets almost all earlier ones';
  return { weak, text: `${cap(name)} ${learn} and ${keep} (ACC ${pct(st.acc_mean)}, BWT ${signedPct(st.bwt_mean)})` };
}

/** Fine-tuning, Bayes by Backprop and UCB side by side (stats as for describe, with bwt_std for UCB). */
export function methodsSentence({ finetune, bbb, ucb }, mode) {
  const [ft, bb, u] = [describe('fine-tuning', finetune, mode), describe('Bayes by Backprop', bbb, mode), describe('UCB', ucb, mode)];
  const why = mode === 'class' && !ft.weak.length && finetune.bwt_mean <= -0.5
    ? ': with one shared head and no task identity, each new pair of digits takes over the head' : '';
  let ucbWhy = '';
  if (mode === 'task' && ucb.bwt_mean >= -0.01 && Math.abs(ucb.bwt_mean) <= Math.max(0.01, ucb.bwt_std ?? 0)) {
    ucbWhy = ' — backward transfer close to the paper’s 0';
  } else if (u.weak.length && ucb.bwt_mean > finetune.bwt_mean) {
    const chance = mode === 'task' ? 0.5 : 0.1;
    const barely = Math.min(...u.weak.map((t) => ucb.learned[t])) < chance + 0.4 * (1 - chance);
    ucbWhy = barely ? ': it forgets less than fine-tuning mostly because the later tasks are barely learned, not because old classes survive new ones'
      : ': it keeps more of the older classes than fine-tuning because its slow hidden layers and old classes’ outputs resist the new '
        + 'task, and for the same reason it learns each new task only in part';
  } else if (!u.weak.length && ucb.bwt_mean < -0.01 && ucb.bwt_mean > finetune.bwt_mean) {
    ucbWhy = ': its slow updates keep part of the older tasks';
  }
  return `${ft.text}${why}. ${bb.text}. ${u.text}${ucbWhy}.`;
}

/** The ablation (every σ replaced by σ_init) against UCB: "about as well" within the larger seed sd (at least 1 point). */
export function ablationSentence(ucb, flat) {
  const [dA, dB] = [flat.acc_mean - ucb.acc_mean, flat.bwt_mean - ucb.bwt_mean];
  const acc = Math.abs(dA) <= Math.max(0.01, ucb.acc_std, flat.acc_std) ? 'about as well' : dA < 0 ? 'worse' : 'better';
  const bwt = Math.abs(dB) <= Math.max(0.01, ucb.bwt_std, flat.bwt_std) ? '' : dB > 0 ? ', though it forgets less' : ', and it forgets more';
  return `The ablation that replaces every σ by σ_init does ${acc} (ACC ${pct(flat.acc_mean)} against UCB’s ${pct(ucb.acc_mean)}, `
    + `BWT ${signedPct(flat.bwt_mean)} against ${signedPct(ucb.bwt_mean)})${bwt}${acc === 'about as well' && !bwt
      ? ': here the protection comes from the slower learning, not from which weights are uncertain' : ''}.`;
}

/** The share of weights with σ within a factor 2 of σ_init: `groups` of histogram counts over bin centres `xs`
 *  (log10 σ), `init` = log10 σ_init; null without counts. */
export function nearInit(groups, xs, init) {
  let near = 0;
  let all = 0;
  for (const g of groups) g.forEach((n, i) => { all += n; if (Math.abs(xs[i] - init) <= Math.log10(2)) near += n; });
  return all ? near / all : null;
}

/** What `share` (nearInit after task `task`, 1-based) says about lr · σ. */
export function sigmaSentence(share, task) {
  return `In the run shown, ${pct(share)} of the weights have σ within a factor 2 of σ_init after task ${task}, so lr · σ is `
    + (share >= 0.5 ? 'mostly a uniform drop of the learning rate by about σ_init from task 2 on.' : 'far from a uniform drop of the learning rate.');
}

/** Pruning `ratio` of each matrix by `by` (shown name) leaves accuracies `at`; `other` (or null) = the other order. */
export function pruneSentence({ ratio, by, at, otherBy, other, snrFirst }) {
  let s = `Removing ${Math.round(ratio * 100)}% of each weight matrix by ${by} leaves ${pct(mean(at))} mean accuracy`;
  if (!other) return `${s}.`;
  const d = (mean(at) - mean(other)) * (snrFirst ? 1 : -1); // |μ|/σ minus |μ|
  s += ` (by ${otherBy}: ${pct(mean(other))}). `;
  if (d > 0.005) return `${s}Removing the lowest signal-to-noise ratio |μ|/σ first costs less: those are the weights the network is least committed to.`;
  if (d < -0.005) return `${s}Here removing the smallest |μ| first costs less than the lowest |μ|/σ.`;
  return `${s}At this ratio the two orders cost about the same.`;
}

// ---------------------------------------------------------------- the longer native runs (www/models/ucb/long.json)

/** Long-run names, in table order; ucb-norm is UCB with lr · σ / σ_init (only the uncertainty-dependent part). */
export const LONG_METHODS = ['ucb', 'ucb-flat', 'ucb-norm', 'bbb', 'finetune'];
export const LONG_NAMES = { ucb: 'UCB', 'ucb-flat': 'σ ignored', 'ucb-norm': 'uncertainty only', bbb: 'BBB', finetune: 'fine-tuning' };

/** The summary row of `method`, `mode`, `epochs` in long.json's summary, or null. */
export function longRow(summary, method, mode, epochs) {
  return (summary || []).find((s) => s.method === method && s.mode === mode && s.epochs === epochs) || null;
}

/** Epoch settings present for `mode`, ascending. */
export function longEpochs(summary, mode) {
  return [...new Set((summary || []).filter((s) => s.mode === mode).map((s) => s.epochs))].sort((a, b) => a - b);
}

/** Whether `a` has a higher BWT than `b` by more than the larger of their seed sds (at least 0.5 points). */
export function beats(a, b) {
  return a.bwt_mean - b.bwt_mean > Math.max(0.005, a.bwt_std, b.bwt_std);
}

/**
 * The paper's claim tested on the long runs at the most epochs per task present for `mode`: does UCB forget less
 * than the σ-ignored ablation and than BBB, and does the uncertainty-only rule forget less than BBB, each by more
 * than the seed spread? Returns `{ epochs, holds: { flat, bbb, norm }, text }` or null without the rows.
 */
export function claimSentence(summary, mode) {
  const eps = longEpochs(summary, mode);
  if (!eps.length) return null;
  const e = eps[eps.length - 1];
  const [u, f, n, b] = ['ucb', 'ucb-flat', 'ucb-norm', 'bbb'].map((m) => longRow(summary, m, mode, e));
  if (!u || !f || !n || !b) return null;
  const holds = { flat: beats(u, f), bbb: beats(u, b), norm: beats(n, b) };
  const bw = (x) => `${signedPct(x.bwt_mean)} ± ${pp(x.bwt_std)}`;
  const vs = (x, y, name) => `${beats(x, y) ? `forgets less than ${name} beyond the seed spread` : beats(y, x) ? `forgets more than ${name}, beyond the seed spread`
    : `forgets about as much as ${name} (within the seed spread)`} (BWT ${bw(x)} vs ${bw(y)})`;
  const seeds = Math.min(u.seeds, f.seeds, n.seeds, b.seeds);
  let text = `With ${e} epochs per task (${seeds} seeds, ${mode}-incremental), UCB ${vs(u, f, 'the σ-ignored ablation')} `
    + `and ${vs(u, b, 'BBB')}; the uncertainty-only rule ${vs(n, b, 'BBB')}.`;
  const best = Math.max(u.bwt_mean, f.bwt_mean, n.bwt_mean, b.bwt_mean);
  if (best < -0.5) text += ` No rule keeps the old tasks here: every method's BWT is ${signedPct(best)} or worse.`;
  else if (holds.flat && holds.norm) text += ' Here the per-weight uncertainty, not only the slower learning, protects the old tasks.';
  else if (!holds.flat && !holds.norm) {
    text += beats(f, u) || beats(b, n)
      ? ' At this scale the part of the rule that depends on σ makes forgetting worse: what protects is the slower learning alone.'
      : ' At this scale the protection comes from learning the later tasks more slowly, not from which weights are uncertain.';
  }
  return { epochs: e, holds, text };
}

/** Percentage points with two significant digits (0.0663 -> "6.6"). */
export function pp(f) {
  return Number.isFinite(f) ? String(Number((f * 100).toPrecision(2))) : '–';
}

/** BWT against epochs per task for `method`: `[{ epochs, bwt_mean, bwt_std }]`. */
export function bwtByEpochs(summary, method, mode) {
  return longEpochs(summary, mode).map((e) => longRow(summary, method, mode, e)).filter(Boolean)
    .map((s) => ({ epochs: s.epochs, bwt_mean: s.bwt_mean, bwt_std: s.bwt_std }));
}

/** How far σ moved in the long UCB runs: the mean over runs of the share of hidden-layer weights within a factor 2 of
 *  σ_init after the last task, per epochs setting (`runs` from long.json). */
export function nearInitByEpochs(runs, method, mode) {
  const sel = (runs || []).filter((r) => r.method === method && r.mode === mode && Array.isArray(r.near_init) && r.near_init.length);
  const eps = [...new Set(sel.map((r) => r.epochs))].sort((a, b) => a - b);
  return eps.map((e) => {
    const v = sel.filter((r) => r.epochs === e).map((r) => r.near_init[r.near_init.length - 1]);
    return { epochs: e, share: mean(v) };
  });
}

/** Shares of the counts of `groups` (σ histograms over bin centres `xs`, log10 σ) more than a factor 2 below and
 *  above σ_init (`init` = log10 σ_init); null without counts. */
export function sigmaSides(groups, xs, init) {
  let [below, above, all] = [0, 0, 0];
  for (const g of groups) g.forEach((n, i) => { all += n; if (xs[i] - init < -Math.log10(2)) below += n; else if (xs[i] - init > Math.log10(2)) above += n; });
  return all ? { below: below / all, above: above / all } : null;
}

/** One sentence on how σ moves with longer training (`rows` from nearInitByEpochs; `sides` from sigmaSides of the
 *  hidden layers after the last task of a run with the most epochs, or null). */
export function spreadSentence(rows, sides = null) {
  if (rows.length < 2) return null;
  const [a, z] = [rows[0], rows[rows.length - 1]];
  let s = `After the fifth task, ${pct(a.share)} of the hidden weights of UCB have σ within a factor 2 of σ_init with ${a.epochs} epochs per task, `
    + `${pct(z.share)} with ${z.epochs}: ${z.share < a.share - 0.05 ? 'longer training moves σ away from σ_init' : 'longer training hardly moves σ'}`;
  if (sides && z.share < a.share - 0.05) {
    s += ` (${pct(sides.above)} of them end more than twice σ_init, ${pct(sides.below)} below half of it`;
    s += sides.above > 2 * sides.below ? ': σ mostly grows, so lr · σ speeds up most weights instead of holding the important ones still)' : ')';
  }
  return `${s}.`;
}

/** Whether `a` has a higher ACC than `b` by more than the larger of their seed sds (at least 0.5 points). */
export function accBeats(a, b) {
  return a.acc_mean - b.acc_mean > Math.max(0.005, a.acc_std, b.acc_std);
}

/**
 * Permuted MNIST (long.json rows of mode 'perm') at `epochs` (default: the most present): UCB against BBB and
 * fine-tuning on BWT and on ACC, each "beyond the seed spread" only when the gap exceeds the larger sd.
 * Returns `{ epochs, text }` or null without the three rows.
 */
export function permSentence(summary, epochs) {
  const eps = longEpochs(summary, 'perm');
  if (!eps.length) return null;
  const e = epochs ?? eps[eps.length - 1];
  const [u, b, f] = ['ucb', 'bbb', 'finetune'].map((m) => longRow(summary, m, 'perm', e));
  if (!u || !b || !f) return null;
  const cmp = (better, x, y, what) => (better(x, y) ? `more ${what} than` : better(y, x) ? `less ${what} than` : `about as much ${what} as`);
  const part = (y, name) => `UCB keeps ${cmp(beats, u, y, 'of the old tasks')} ${name} (BWT ${signedPct(u.bwt_mean)} vs ${signedPct(y.bwt_mean)}) `
    + `and ends with ${cmp(accBeats, u, y, 'accuracy')} it (ACC ${pct(u.acc_mean)} vs ${pct(y.acc_mean)})`;
  return { epochs: e, text: `With ${e} epochs per task (${Math.min(u.seeds, b.seeds, f.seeds)} seeds): ${part(b, 'BBB')}; ${part(f, 'fine-tuning')} `
    + '(“more”/“less” only beyond the larger seed sd).' };
}
