// What the lottery page says about its numbers (the headline's "weights remaining", "What to notice"), worded from
// the numbers so it stays true of them, and the one place where "the level shown" is decided. DOM-free:
// tests/unit/lottery-findings.test.mjs checks each wording against made-up numbers. Fractions are in [0, 1].
// Sentences that colour their numbers are lists of segments: strings, and `{ key, text }` for a number in series
// `key`'s colour (the page turns them into nodes).

import { sig3, pct } from '../ui/controls.js';

/** Index of the entry of `list` (fractions remaining) nearest `r` on a log scale (the plots' axis), or -1. */
export function nearestByLog(list, r) {
  let best = -1;
  list.forEach((x, i) => {
    if (x > 0 && (best < 0 || Math.abs(Math.log(x / r)) < Math.abs(Math.log(list[best] / r)))) best = i;
  });
  return best;
}

/**
 * The level the page shows, decided once: the last level of the engine's pruning plan (`{ levels: [{ level,
 * remaining }], stop }`, what a run reaches), and the precomputed levels nearest it (`shipped`: the curves'
 * fractions remaining; `certified`: the verify network's). Returns `{ remaining, rounds, stop, curves,
 * certifiedIndex }` (`curves`: the nearest shipped fraction, or null), or null while there is no plan yet.
 */
export function shownLevel(plan, shipped = [], certified = []) {
  const last = plan?.levels?.[plan.levels.length - 1];
  if (!last) return null;
  const i = nearestByLog(shipped, last.remaining);
  return { remaining: last.remaining, rounds: last.level, stop: plan.stop || 'target', curves: i < 0 ? null : shipped[i], certifiedIndex: nearestByLog(certified, last.remaining) };
}

/** The first precomputed level at or below the target fraction `target` (the last one if none is), as a plan
 *  stops; `points` are `{ level, remaining }` in pruning order. -1 when there are none. */
export function levelAtTarget(points, target) {
  if (!points.length) return -1;
  return (points.find((p) => p.remaining <= target + 1e-9) || points[points.length - 1]).level;
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

/**
 * The first sentence of "What to notice": the main ticket (`main`: 'ticket' or 'late') at the level shown against
 * the dense network, its re-initialised mask, random pruning and the other rewinding. Points are `{ remaining,
 * mean, min, max }` (null when missing); `fmt` formats a metric; `what` names it ("test accuracy").
 */
export function levelSentence({ main, tk, dense, re, rnd, other, fmt, what, lowerBetter }) {
  const late = main === 'late';
  const out = [`At ${sig3(tk.remaining * 100)}% of the weights, the ${late ? 'late-rewound ticket' : 'winning ticket'} reaches ${what} `,
    { key: main, text: fmt(tk.mean) }, ' (dense network: ', { key: null, text: fmt(dense.mean) },
    '); the same mask from a fresh random initialisation reaches ', { key: 'reinit', text: fmt(re.mean) }];
  if (rnd) out.push(' and a random mask with the same counts ', { key: 'random', text: fmt(rnd.mean) });
  if (other) out.push(`; the ticket ${late ? 'rewound to init' : 'rewound to iteration k'} `, { key: late ? 'ticket' : 'late', text: fmt(other.mean) });
  out.push('. ', initialValuesVerdict(tk, re, lowerBetter));
  return out;
}

/** Where the mask prunes first: the share of weights kept from the image's border pixels against the centre's
 *  (`{ border_kept, centre_kept }`, from the engine). */
export function maskSentence({ border_kept: b, centre_kept: c }) {
  const lead = 'The mask below shows which input pixels the first layer keeps';
  if (b >= 1 && c >= 1) return `${lead}: at this level it keeps them all.`;
  const shares = `the border (the outer 4 pixels, where the digits never ink) keeps ${pct(b)} of its weights, the centre ${pct(c)}`;
  if (b < c / 2) return `${lead}: ${shares} — the border goes first.`;
  if (b < c) return `${lead}: ${shares}.`;
  return `${lead}: ${shares} — here the border is not pruned first.`;
}

/**
 * The sparsest level down to which a series keeps at least `share` of the dense network's metric at every level
 * (`points`: `{ remaining, mean }`, any order; higher is better): its fraction remaining, or null when even the
 * first pruned level falls below (or there are no points).
 */
export function keptDownTo(points, dense, share = 0.95) {
  const pts = [...points].sort((a, b) => b.remaining - a.remaining);
  let last = null;
  for (const p of pts) {
    if (!(p.mean >= share * dense)) break;
    last = p.remaining;
  }
  return last;
}

/** RL: how far the ticket (`tk`, fraction remaining or null) and the re-initialised masks (`re`) keep 95% of the
 *  dense return; `name` names the ticket. */
export function keepsSentence(tk, re, name) {
  const at = (x) => (x == null ? 'at no pruned level' : `down to ${sig3(x * 100)}% of the weights`);
  const head = `The ${name} keeps at least 95% of the dense return ${at(tk)}; the re-initialised masks ${at(re)}`;
  if (tk == null && re == null) return `${head}.`;
  if (re == null || (tk != null && tk < re)) return `${head}: the ticket holds its return to a higher sparsity.`;
  if (tk == null || tk > re) return `${head}: here the re-initialised masks hold on longer.`;
  return `${head}: the same level.`;
}

/** Language: the embedding's share of the weights (`sizes[0]` of `sizes`) and, when precomputed, the late-rewound
 *  ticket with the embedding kept dense (`ne`) against it pruned (`late`), both `{ mean }` in bits per character. */
export function embeddingSentence({ sizes, vocab, width, ne, late, fmt }) {
  const share = sizes[0] / sizes.reduce((a, b) => a + b, 0);
  const out = ['Lower is better here. '];
  if (ne && late) {
    out.push(`Leaving the ${vocab}×${width} embedding dense (the LSTM then carries all the pruning): `, { key: 'noemb', text: fmt(ne.mean) },
      ' against ', { key: 'late', text: fmt(late.mean) }, ` with it pruned${ne.mean < late.mean ? ' — keeping it helps' : ne.mean > late.mean ? ' — keeping it does not help here' : ''}. `);
  }
  out.push(`A character model’s embedding is small (${sig3(share * 100)}% of the weights here); in word-level models it `
    + 'holds most of them, so whether it is pruned matters much more there.');
  return out;
}
