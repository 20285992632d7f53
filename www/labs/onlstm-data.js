// The onlstm page's numbers, shaped for its views and exports: the F1-vs-chunk-size series, the rows of the F1 table
// and of the two CSV exports. DOM-free, so tests/unit/onlstm-data.test.mjs checks
// them against hand-made manifests. `m` is www/models/onlstm/manifest.json (`{ models: [{ id, chunk, file, metrics:
// { test_ppl, test_f1_by_layer: [l1, l2] }, seeds: [{ seed, test_ppl, test_f1_by_layer }] }], baselines_test_f1 }`);
// F1 and baselines are fractions in [0, 1].

import { sig3 } from '../ui/controls.js';
import { f1pct, seedStats, range } from './onlstm-findings.js';

/** The chunk sizes C of the shipped ON-LSTMs (D = 64 / C levels), as the settings spell them. */
export const CHUNKS = ['2', '4', '8', '16', '32'];

// Section 6.2, Table 2 (full WSJ test set, sentence-level F1): ON-LSTM's 2nd layer mean over runs 47.7 (sd 1.5),
// best run 49.4; the trivial baselines. Table 1: Penn Treebank test perplexity.
export const PAPER = { f1: { onlstm: 47.7, onlstmBest: 49.4, right: 39.8, random: 21.6 }, ptbPpl: 56.17 };

/** The shipped model's id for the settings `{ model: 'onlstm' | 'lstm', chunk }`: "lstm" or "onlstm-c4". */
export const modelId = (v) => (v.model === 'lstm' ? 'lstm' : `onlstm-c${v.chunk}`);
/** "LSTM (baseline)" or "ON-LSTM, C = 4". */
export const modelName = (id) => (id === 'lstm' ? 'LSTM (baseline)' : `ON-LSTM, C = ${id.replace('onlstm-c', '')}`);

/** The model entry of `id` in manifest `m`, or null. */
export const modelOf = (m, id) => m?.models?.find((e) => e.id === id) || null;

/**
 * The F1-vs-C plot's data: x = log2 C for each of CHUNKS, and six series in percent (null where missing): ON-LSTM
 * layer 2, layer 1, then the right-branching, random and left-branching baselines and the LSTM's layer 2 as flat
 * lines (the plot's series order).
 */
export function f1Series(m) {
  const b = m?.baselines_test_f1 || {};
  const xs = CHUNKS.map((c) => Math.log2(Number(c)));
  const pcts = (f) => (Number.isFinite(f) ? 100 * f : null);
  const layer = (k) => CHUNKS.map((c) => pcts(modelOf(m, `onlstm-c${c}`)?.metrics?.test_f1_by_layer?.[k]));
  const flat = (x) => xs.map(() => pcts(x));
  return { xs, ys: [layer(1), layer(0), flat(b.right_branching), flat(b.random), flat(b.left_branching), flat(modelOf(m, 'lstm')?.metrics?.test_f1_by_layer?.[1])] };
}

/**
 * The F1 table: one row per shipped model (perplexity, F1 of each layer, mean (min–max) over seeds per layer), the
 * three baselines and the paper's numbers (cells spanning the F1 columns). `kinds[i]` says what row i is: 'model',
 * 'base' or 'paper'; `ids[i]` the model id of a model row.
 */
export function f1Table(m) {
  const b = m.baselines_test_f1 || {};
  const spread = (e, k) => (seedStats(e, k) ? range(seedStats(e, k)).replace(/%/g, '') : '');
  const f1 = (e, k) => f1pct(e.metrics.test_f1_by_layer[k]);
  const base = [['right-branching', b.right_branching], ['left-branching', b.left_branching], [`random trees (mean of ${b.random_trees_per_sentence})`, b.random]];
  const paper = [['ON-LSTM, 2nd layer (paper, WSJ test)', PAPER.f1.onlstm], ['right-branching (paper, WSJ test)', PAPER.f1.right], ['random trees (paper, WSJ test)', PAPER.f1.random]];
  const rows = [
    ...m.models.map((e) => [modelName(e.id), sig3(e.metrics.test_ppl), f1(e, 0), f1(e, 1), spread(e, 0), spread(e, 1)]),
    ...base.map(([name, f]) => [name, '–', { value: f1pct(f), colspan: 4 }]),
    ...paper.map(([name, f]) => [name, name.startsWith('ON') ? `${PAPER.ptbPpl} (PTB)` : '–', { value: f.toFixed(1), colspan: 4 }]),
  ];
  const kinds = [...m.models.map(() => 'model'), ...base.map(() => 'base'), ...paper.map(() => 'paper')];
  return { rows, kinds, ids: m.models.map((e) => e.id) };
}

/** The F1 table as CSV rows: every seed of every shipped model (seed 1 from `metrics` when there are no seeds),
 *  then the baselines; F1 in percent. */
export function f1Csv(m) {
  const rows = [['model', 'chunk', 'test_ppl', 'f1_layer1_pct', 'f1_layer2_pct', 'seed']];
  for (const e of m?.models || []) {
    for (const r of e.seeds || [{ seed: 1, test_ppl: e.metrics.test_ppl, test_f1_by_layer: e.metrics.test_f1_by_layer }]) {
      rows.push([e.id, e.chunk, r.test_ppl, 100 * r.test_f1_by_layer[0], 100 * r.test_f1_by_layer[1], r.seed]);
    }
  }
  const b = m?.baselines_test_f1 || {};
  rows.push(['right-branching', '', '', '', 100 * b.right_branching, ''], ['left-branching', '', '', '', 100 * b.left_branching, ''], ['random', '', '', '', 100 * b.random, '']);
  return rows;
}

/** A read sentence (the engine's `analyze`: `{ tokens: { words, unknown }, distances: [L][n], nll: [n + 1] }`) as
 *  CSV rows: each word, whether it is unknown, its distance in every layer, its surprisal in nats. */
export function sentenceCsv(a) {
  const rows = [['word', 'unknown', ...a.distances.map((_, l) => `distance_layer${l + 1}`), 'surprisal_nats']];
  a.tokens.words.forEach((w, i) => rows.push([w, a.tokens.unknown[i] ? 1 : 0, ...a.distances.map((d) => d[i]), a.nll[i]]));
  return rows;
}
