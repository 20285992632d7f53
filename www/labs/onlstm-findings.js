// What the onlstm page says about its numbers ("What to notice", the live run's result): every comparison with the
// baselines is read off the numbers (the issue that started this: C = 16's layer-2 F1 of 12.2% was called "near
// the baselines" while random trees score 28.2%). DOM-free, so tests/unit/onlstm-findings.test.mjs checks each
// wording against made-up numbers. F1 and baselines are fractions; `b` is the manifest's baselines_test_f1
// `{ left_branching, random, right_branching }`.

import { sig3 } from '../ui/controls.js';

/** F1 as a percentage with one decimal: 0.1221 -> "12.2". */
export const f1pct = (f) => (Number.isFinite(f) ? `${(100 * f).toFixed(1)}` : '–');
const MARGIN = 0.01; // one F1 point: closer than this to a baseline counts as "among" the baselines
const sum = (a) => a.reduce((x, y) => x + y, 0);

/** Mean, min, max and the per-seed values over a model entry's seeds of layer k's test F1 (null under 2 seeds). */
export function seedStats(e, k) {
  const xs = (e?.seeds || []).map((r) => r.test_f1_by_layer?.[k]).filter(Number.isFinite);
  if (xs.length < 2) return null;
  return { mean: sum(xs) / xs.length, min: Math.min(...xs), max: Math.max(...xs), n: xs.length, xs };
}

/** "30.4% (12.2–49.3%)". */
export const range = (st) => (st ? `${f1pct(st.mean)}% (${f1pct(st.min)}–${f1pct(st.max)}%)` : '–');

/** The baselines by name, lowest first. */
function baselines(b) {
  return [['left-branching', b.left_branching], ['random trees', b.random], ['right-branching', b.right_branching]]
    .filter(([, x]) => Number.isFinite(x)).sort((p, q) => p[1] - q[1]);
}

/** Where an F1 stands against the baselines: 'above' (all, by more than a point), 'below' (all) or 'among'. */
export function standing(f, b) {
  const bs = baselines(b);
  if (!bs.length || !Number.isFinite(f)) return null;
  if (f > bs[bs.length - 1][1] + MARGIN) return 'above';
  if (f < bs[0][1] - MARGIN) return 'below';
  return 'among';
}

/** The standing in words, naming the baseline(s) it is measured against. */
export function relation(f, b) {
  const bs = baselines(b);
  const s = standing(f, b);
  if (s === 'above') return `above all three baselines (best: ${bs[bs.length - 1][0]} ${f1pct(bs[bs.length - 1][1])}%)`;
  if (s === 'below') return `below all three baselines (lowest: ${bs[0][0]} ${f1pct(bs[0][1])}%)`;
  if (s === 'among') return `among the baselines (${bs.map(([n, x]) => `${n} ${f1pct(x)}%`).join(', ')})`;
  return '';
}

/**
 * The selected model and layer against the baselines: the shipped model (seed 1) and the spread over seeds.
 * `name` e.g. "C = 16" or "the LSTM"; `f` the shipped F1; `st` seedStats; `ppl`/`lstmPpl` test perplexities for
 * the ON-LSTM-vs-LSTM clause (only said when the trees beat the baselines and perplexity is within 2%).
 */
export function modelSentence({ name, layer, f, st, b, ppl, lstmPpl, isLstm }) {
  const bs = baselines(b);
  let s = `${isLstm ? 'Read the same way, the LSTM’s plain forget gate gives' : `With ${name}, the shipped model’s`} layer-${layer} trees `
    + `${isLstm ? 'with' : 'reach'} F1 ${f1pct(f)}%, ${relation(f, b)}.`;
  if (st) {
    const beat = st.xs.filter((x) => standing(x, b) === 'above').length;
    s += ` Over ${st.n} seeds: ${range(st)}; ${beat} of ${st.n} above every baseline.`;
  }
  const strong = st ? standing(st.mean, b) === 'above' : standing(f, b) === 'above';
  if (!isLstm && strong && bs.length) {
    s += ' No tree was ever shown to the model.';
    if (Number.isFinite(ppl) && Number.isFinite(lstmPpl) && Math.abs(ppl - lstmPpl) / lstmPpl < 0.02) {
      s += ` Its perplexity hardly differs from the LSTM’s (${sig3(ppl)} vs ${sig3(lstmPpl)}): the trees come from the ordered gates, not from a better language model.`;
    }
  }
  return s;
}

/**
 * Over all chunk sizes (`rows`: `[{ c, st }]` for the chosen layer): how many seeds beat every baseline, and
 * "more levels work more reliably" only if that count never grows with C.
 */
export function chunkSentence(rows, layer, b) {
  const counts = rows.filter((r) => r.st).map((r) => ({ c: r.c, k: r.st.xs.filter((x) => standing(x, b) === 'above').length, n: r.st.n }));
  if (counts.length < 2) return null;
  const monotone = counts.every((x, i) => i === 0 || x.k <= counts[i - 1].k);
  const spread = counts.every((x, i) => i === 0 || x.k === counts[i - 1].k);
  return `Seeds whose layer-${layer} trees beat every baseline: ${counts.map((x) => `${x.k} of ${x.n} at C = ${x.c}`).join(', ')}`
    + (monotone && !spread ? ' — more levels (smaller C) work more reliably.' : ' — no steady trend with the number of levels.');
}

/** The chunk sizes where the better layer changes from seed to seed (by more than 10 points either way). */
export function layerSwaps(rows) {
  const swaps = rows.filter(({ e }) => {
    const d = (e?.seeds || []).map((r) => r.test_f1_by_layer[0] - r.test_f1_by_layer[1]);
    return d.some((x) => x > 0.1) && d.some((x) => x < -0.1);
  }).map((r) => r.c);
  if (!swaps.length) return null;
  return `Which layer carries the structure changes from seed to seed at C = ${swaps.join(', ')}.`;
}

/** Where the tree splits first: the root's two parts (the first one is the longest span starting at word 0). */
export function firstSplit(words, spans) {
  const n = words.length;
  const k = Math.max(1, ...spans.filter(([a, e]) => a === 0 && e < n).map(([, e]) => e));
  return [words.slice(0, k).join(' '), words.slice(k).join(' ')];
}

/**
 * The live run against the shipped model and the baselines on the same test sentences. `live`, `shipped`:
 * `[ppl, f1 layer 1, f1 layer 2]`; `base`: `[right, left, random]` (the engine's order); `steps`, `shippedSteps`.
 */
export function liveSentence({ live, shipped, base, steps, shippedSteps, sentences, shippedName, spreadPts }) {
  const b = { right_branching: base[0], left_branching: base[1], random: base[2] };
  let s = `On ${sentences} test sentences: perplexity ${sig3(live[0])}, F1 layer 1 ${f1pct(live[1])}%, layer 2 ${f1pct(live[2])}%`
    + ` — layer 2 ${relation(live[2], b)}. Baselines on the same sentences: ${baselines(b).map(([n, x]) => `${n} ${f1pct(x)}%`).join(', ')}.`;
  if (shipped) {
    s += ` The shipped ${shippedName} (${shippedSteps.toLocaleString('en-US')} steps) on the same sentences: perplexity `
      + `${sig3(shipped[0])}, F1 layer 1 ${f1pct(shipped[1])}%, layer 2 ${f1pct(shipped[2])}%.`;
    const best = (x) => Math.max(x[1], x[2]);
    if (best(live) > best(shipped) + MARGIN && steps < shippedSteps) {
      s += ` The ${steps.toLocaleString('en-US')}-step model’s trees score higher here: F1 depends on the seed more than on training`
        + `${Number.isFinite(spreadPts) ? ` (the shipped seeds’ layer-2 F1 differ by up to ${spreadPts.toFixed(0)} points)` : ''}, and ${sentences} sentences are few.`;
    }
  }
  return s;
}

/**
 * The staircase sentence of "What to notice": what the master forget gate shows, and, for a reader with a master
 * gate (`gated`: an ON-LSTM, shipped or trained here), where the analysed sentence `a` (the engine's `analyze`:
 * `{ tokens: { words }, distances: [L][n], spans: [L][[start, end]] }`, or null) splits first at `layer` (1-based,
 * capped at the model's layers).
 */
export function treeSentence(a, layer, gated) {
  let tree = 'The staircase: at each word the master forget gate is 0 (erase) on the low levels and 1 (keep) above one '
    + 'split point; the height of the erased part is the word’s distance d, and the tree splits first at the tallest bar.';
  if (a && gated) {
    const L = Math.min(Number(layer), a.distances.length) - 1;
    const d = a.distances[L];
    const top = d.indexOf(Math.max(...d));
    const [left, right] = firstSplit(a.tokens.words, a.spans[L]);
    if (right) tree += ` Here (layer ${L + 1}) the tallest bar is at “${a.tokens.words[top]}” (d = ${sig3(d[top])}): the sentence splits first into “${left}” and “${right}”.`;
  } else if (a) {
    tree += ' The LSTM has no master gate: its distances (64 − Σ f) are shown only to compare.';
  }
  return `${tree} A word outside the grammar is read as <unk> and marked red.`;
}
