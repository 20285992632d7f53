// What the lottery page says about its numbers (the headline's "weights remaining", "What to notice"), worded from
// the numbers so it stays true of them, and the one place where "the level shown" is decided. DOM-free:
// tests/unit/lottery-findings.test.mjs checks each wording against made-up numbers. Fractions are in [0, 1].

import { sig3 } from '../ui/controls.js';

/** Index of the entry of `list` (fractions remaining) nearest `r` on a log scale (the plots' axis), or -1. */
export function nearestByLog(list, r) {
  let best = -1;
  list.forEach((x, i) => {
    if (x > 0 && (best < 0 || Math.abs(Math.log(x / r)) < Math.abs(Math.log(list[best] / r)))) best = i;
  });
  return best;
}

/**
 * The level the page shows, decided once: the pruning plan's last level (what a run reaches), and the precomputed
 * levels nearest it (`shipped`: the curves' fractions remaining; `certified`: the verify network's). Returns
 * `{ remaining, rounds, stop, curves, certifiedIndex }` (`curves`: the nearest shipped fraction, or null).
 */
export function shownLevel(plan, shipped = [], certified = []) {
  const last = plan[plan.length - 1] || { level: 0, remaining: 1 };
  const i = nearestByLog(shipped, last.remaining);
  return { remaining: last.remaining, rounds: last.level, stop: plan.stop || 'target', curves: i < 0 ? null : shipped[i], certifiedIndex: nearestByLog(certified, last.remaining) };
}

/** The headline under the main plot: `{ big, rest }`. Says when the 40-round cap (or rounding) stopped the pruning
 *  before the target, and at which precomputed level the curves are read when that is not the level reached. */
export function sparsityText({ remaining, rounds, stop, curves }, { rate, global, target, maxRounds = 40 }) {
  const p = (x) => `${sig3(x * 100)}%`;
  let rest = ` after ${rounds} round${rounds === 1 ? '' : 's'} at ${(rate * 100).toFixed(0)}% per round`
    + `${global ? ' (global ranking)' : ` (output layer ${((rate * 100) / 2).toFixed(1)}%)`} — ${sig3(100 - remaining * 100)}% sparse.`;
  if (stop === 'cap') rest += ` The ${maxRounds}-round cap stops the pruning here, before the target ${p(target)}: raise the pruning ratio to get there.`;
  if (stop === 'stuck') rest += ` Rounding stops the pruning here, before the target ${p(target)}: no tensor loses another weight at this ratio.`;
  if (curves != null && Math.abs(Math.log(curves / remaining)) > 0.005) rest += ` The precomputed curves have no level at ${p(remaining)}: the legend and “What to notice” read them at the nearest one, ${p(curves)}.`;
  return { big: `${p(remaining)} of weights remaining`, rest };
}

/**
 * Whether the initial values matter at this sparsity, from the ticket's and the re-initialised mask's seed bands
 * (`{ min, max }`): said only when the bands do not overlap.
 */
export function initialValuesVerdict(tk, re, lowerBetter) {
  const better = lowerBetter ? tk.max < re.min : tk.min > re.max;
  const worse = lowerBetter ? tk.min > re.max : tk.max < re.min;
  if (better) return 'Every seed of the ticket beats every seed of the re-initialised mask: the initial values matter, not only the sparse structure.';
  if (worse) return 'Here the re-initialised mask does better than the ticket on every seed.';
  return 'Their seed bands overlap here, so at this sparsity the initial values make no clear difference.';
}

/** Does the ticket learn faster? Early-stopping iterations (means) of the ticket `a`, the dense net `d` and the
 *  re-initialised mask `r`. */
export function fasterSentence(a, d, r) {
  const when = `the lowest validation loss comes at iteration ${Math.round(a)} (dense: ${Math.round(d)}, re-initialised: ${Math.round(r)}), the lower plot`;
  if (a < d && a < r) return `Here the ticket also learns faster: ${when}. `;
  if (a > d || a > r) return `At this sparsity the ticket does not learn faster: ${when}. `;
  return `At this sparsity the ticket learns as fast as the others: ${when}. `;
}
