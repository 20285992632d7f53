// The lottery lab's declarations, DOM-free: the header, the three settings (vision, RL, language: their engine
// class, data, defaults, metric and how it is formatted), the series and their Okabe–Ito colours, the rewinding
// choices, the shared x axis of the plots, and how the page's settings map to the engine's (pageSettings) and to
// a series (ticketKey). tests/unit/lottery-data.test.mjs checks the mappings.

import { sig3 } from '../ui/controls.js';

const DATA_URL = new URL('../data/mnist-10k.safetensors.gz', import.meta.url);
const TEXT_URL = new URL('../data/moby-dick-200k.txt.gz', import.meta.url);

export const HEAD = {
  title: 'The Lottery Ticket Hypothesis · Playing the Lottery with Rewards and Multiple Languages',
  papers: [
    ['Jonathan Frankle, Michael Carbin', 'ICLR 2019', 'https://arxiv.org/abs/1803.03635', 'arXiv:1803.03635'],
    ['Haonan Yu, Sergey Edunov, Yuandong Tian, Ari S. Morcos', 'ICLR 2020', 'https://arxiv.org/abs/1906.02768', 'arXiv:1906.02768'],
  ],
  idea: 'Train a network, prune the smallest weights, rewind the survivors to their initial values and train again: '
    + 'the sparse “winning ticket” trains as well as the dense network, while the same sparse structure from a '
    + 'fresh random initialisation does not. Rewinding to an early iteration instead of the initialisation makes '
    + 'tickets appear in reinforcement learning and language models too.',
};

// Okabe–Ito colours, [light, dark].
export const C = {
  ticket: ['#009e73', '#1fbf8f'], late: ['#0072b2', '#56b4e9'], reinit: ['#d55e00', '#f07838'], random: ['#7a7a7a', '#a0a0a0'],
  ibp: ['#0072b2', '#56b4e9'], crownibp: ['#cc79a7', '#e08ec0'], clean: ['#7a7a7a', '#9a9a9a'], noemb: ['#e69f00', '#f0b030'],
};
/** Series `k`'s colour in the current colour scheme. */
export const col = (k) => (matchMedia('(prefers-color-scheme: dark)').matches ? C[k][1] : C[k][0]);

export const SERIES = [
  { key: 'ticket', label: 'winning ticket (rewind to init)', color: C.ticket },
  { key: 'late', label: 'late rewinding (iteration k)', color: C.late, dash: [7, 3] },
  { key: 'reinit', label: 'random re-init', color: C.reinit },
  { key: 'random', label: 'random pruning', color: C.random, dash: [3, 3] },
  { key: 'noemb', label: 'late rewinding, embedding not pruned', color: C.noemb, dash: [2, 2], only: 'lm' },
];
/** The series a setting draws (the language model adds the dense-embedding one). */
export const seriesFor = (setting) => SERIES.filter((x) => !x.only || x.only === setting);

export const REWINDS = [
  { value: 'init', label: 'rewind to init (winning ticket)' },
  { value: 'late', label: 'rewind to iteration k (late rewinding)' },
  { value: 'reinit', label: 'random re-init (same masks)' },
  { value: 'random', label: 'random pruning (same counts)' },
];

export const SETTINGS = {
  vision: {
    label: 'Vision: LeNet-300-100 on MNIST', short: 'LeNet-300-100 on MNIST', cls: 'LotteryVision', urls: [DATA_URL],
    defaults: { iters: 1500, k: 100, itersMin: 20, itersMax: 5000 },
    metricName: 'test accuracy', metricKey: 'metric_at_es', shippedKey: 'metric', scale: 100, suffix: '%',
    fmt: (x) => `${sig3(x * 100)}%`, yLabel: 'test accuracy at early stop (%)',
    yRange: (min, max) => [Math.max(0, Math.floor(min - 1)), Math.min(100, Math.ceil(max + 0.5))],
    esLabel: 'Early-stopping iteration (lowest validation loss)', unit: 'iterations', reinitFrom: 'init', mask: true,
  },
  rl: {
    label: 'Reinforcement learning: CartPole', short: 'CartPole (policy gradient)', cls: 'LotteryRl', urls: [],
    defaults: { iters: 100, k: 10, itersMin: 5, itersMax: 1000 },
    metricName: 'episode return', metricKey: 'metric_tail', shippedKey: 'metric_tail', scale: 1, suffix: '',
    fmt: (x) => sig3(x), yLabel: 'greedy return, last quarter of training', yRange: () => [0, 520],
    esLabel: 'Update with the best greedy return', unit: 'updates', reinitFrom: 'late',
  },
  lm: {
    label: 'Language: character LSTM on Moby-Dick', short: 'character LSTM on Moby-Dick', cls: 'LotteryText', urls: [TEXT_URL],
    defaults: { iters: 600, k: 50, itersMin: 10, itersMax: 5000 },
    metricName: 'validation bits per character', metricKey: 'metric_at_es', shippedKey: 'metric', scale: 1, suffix: '',
    lowerBetter: true, fmt: (x) => `${Number(x).toFixed(3)} bits/char`, yLabel: 'validation bits per character (lower is better)',
    yRange: (min, max) => [Math.floor(min * 10) / 10, Math.ceil(max * 10) / 10],
    esLabel: 'Iteration with the lowest validation bits per character', unit: 'iterations', reinitFrom: 'late', hasEmb: true,
  },
};

// Tick labels: 50, 20, 5, 2, 1.5, 4.47 (no trailing zeros); uPlot passes null for ticks it leaves out.
const pctFmt = (v) => (v >= 10 ? String(Math.round(v)) : String(Number(v.toPrecision(3))));
export const X_AXIS = {
  xLabel: 'weights remaining (%, log scale)', xLabelShort: 'remaining', xLog: true, xReverse: true, xRange: [1, 100],
  xFormat: (v) => (v == null ? '' : `${pctFmt(v)}%`), markerLabel: (x) => `target ${sig3(x)}%`,
};

/** The page's settings as the engine reads them (src/labs/lottery/page.rs, PageSettings). */
export function pageSettings(v) {
  return { rate: v.rate, target: v.target, rewind: v.rewind, k: v.k, global: v.scope === 'global', iters: v.iters, seed: v.seed, prune_embedding: !!v.emb };
}

/** Which series a run's ticket belongs to: rewound to init, or late (also for re-init runs whose masks come from
 *  the late-rewound ticket), or late with the embedding kept dense. */
export function ticketKey(v) {
  const s = SETTINGS[v.setting];
  const late = v.rewind === 'late' || (v.rewind === 'reinit' && s.reinitFrom === 'late');
  if (late && s.hasEmb && !v.emb) return 'noemb';
  return late ? 'late' : 'ticket';
}
