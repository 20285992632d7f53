// Parts of the ucb page that only lay out shipped numbers: the σ histogram grid (used twice), the panel of the longer
// native runs (www/models/ucb/long.json: ACC/BWT tables over epochs per task, BWT vs epochs, σ histograms, Permuted
// MNIST) and the fidelity card. The numbers are read by ucb-findings.js (longRow, longEpochs, permSentence).

import { h, pct, sig3 } from '../ui/controls.js';
import { panel, dataTable } from '../ui/labpage.js';
import { CurvePlot } from '../ui/plots.js';
import { HistogramGrid } from '../ui/histgrid.js';
import { TASKS, signedPct, pp, LONG_METHODS, LONG_NAMES, longRow, longEpochs, permSentence } from './ucb-findings.js';
import { MODES, nameOf, meanSd } from './ucb-data.js';

const GROUP_NAMES = ['layer 1 (784 → 100)', 'layer 2 (100 → 100)', 'heads'];
const LONG_COLORS = { ucb: 'ibp', 'ucb-flat': 'crown', 'ucb-norm': 'good', bbb: 'bad', finetune: 'fg' };

/** A grid of σ histograms in `el`: one row per layer group, one column per task. */
export function sigmaGrid(el) {
  return new HistogramGrid(el, { groups: GROUP_NAMES, stages: TASKS, cellClass: 'ucb-sigma',
    stageLabel: (t) => `after task ${t + 1}`, xLabel: 'log₁₀ σ  (−1 is σ = 0.1)', xLabelShort: 'σ', xFormat: (x) => sig3(10 ** x),
    yLabel: 'share of weights (%)', xRange: [-3, 0], markerLabel: 'log₁₀ σ_init' });
}

/** One table of the longer runs: a row per method, a column per epoch setting; `current`: the method shown. */
function longTable(sum, mode, eps, caption, current) {
  const cell = (s) => (s ? [h('div', {}, `ACC ${meanSd(s.acc_mean, s.acc_std)}`), h('div', {}, `BWT ${meanSd(s.bwt_mean, s.bwt_std, true)}`),
    h('div', { class: 'sub' }, `new task ≥ ${pct(Math.min(...s.learned.slice(1)))}`)] : '–');
  const rows = LONG_METHODS.map((m) => [LONG_NAMES[m], ...eps.map((e) => cell(longRow(sum, m, mode, e)))]);
  return dataTable({ cls: 'ucb-table ucb-long', head: ['', ...eps.map((e) => `${e} epochs / task`)], rows, caption,
    rowClass: (i) => (LONG_METHODS[i] === current ? 'current' : null) });
}

/** The panel of the longer native runs: `el` goes into the page, `mounted()` makes its plots, `draw(...)` fills it. */
export class LongRunsPanel {
  constructor(root) {
    this.root = root;
    this.sub = h('p', { class: 'sub', 'data-testid': 'long-sub' });
    this.table = h('div', { class: 'ucb-summary', 'data-testid': 'long-table' });
    this.box = h('div', { class: 'plot', 'aria-label': 'backward transfer versus epochs per task' });
    this.sigmaSub = h('p', { class: 'sub' });
    this.sigma = h('div', { class: 'ucb-sigma-grid' });
    this.permSub = h('p', { class: 'sub', 'data-testid': 'perm-sub' });
    this.permTable = h('div', { class: 'ucb-summary', 'data-testid': 'perm-table' });
    this.el = panel('Longer native runs: does uncertainty, not just slowness, protect the old tasks?', this.sub, this.table,
      this.box, this.sigmaSub, this.sigma, this.permSub, this.permTable);
  }

  mounted() {
    this.plot = new CurvePlot(this.box, {
      xLabel: 'epochs per task', xLabelShort: 'epochs', xFormat: (x) => String(Math.round(x)), yLabel: 'BWT (points)', ySuffix: '',
      xRange: [0, 32], yRange: (lo, hi) => [Math.min(-5, Math.floor((lo ?? 0) - 1)), Math.max(2, Math.ceil((hi ?? 0) + 1))],
      series: LONG_METHODS.map((m) => ({ key: m, label: LONG_NAMES[m], color: LONG_COLORS[m], width: m === 'ucb' ? 1.6 : 0.9 })),
    });
    this.sigmaGrid = sigmaGrid(this.sigma);
  }

  /** Draws long.json (`L`: `{ summary, runs }` or `{ error }`) for the settings `v`; `bins`: the σ histograms' x
   *  axis and σ_init (sigmaBins). */
  draw(L, v, { xs, init }) {
    const sum = Array.isArray(L?.summary) ? L.summary : [];
    this.drawPerm(sum, L?.runs || [], v);
    const eps = longEpochs(sum, v.mode);
    this.root.dataset.longEpochs = eps.join(',');
    if (!eps.length) {
      this.sub.textContent = L?.error ? `The longer runs could not be loaded: ${L.error}.` : `No longer runs shipped for the ${nameOf(MODES, v.mode)} setting.`;
      this.table.replaceChildren();
      this.plot.update([], LONG_METHODS.map(() => []));
      this.sigma.hidden = true;
      return;
    }
    const seeds = Math.max(...sum.filter((s) => s.mode === v.mode).map((s) => s.seeds));
    this.sub.textContent = `Trained natively (not in this page) with the shipped configuration and ${eps.join(', ')} epochs per task, `
      + `${seeds} seeds each (paperlab train ucb long); the matrix above and the live run use 4. “Uncertainty only”: UCB with `
      + 'lr · σ / σ_init, which keeps only the part of the rule that depends on σ; “σ ignored”: lr · σ_init. Mean ± sd over seeds, percentage points.';
    this.table.replaceChildren(longTable(sum, v.mode, eps,
      `${nameOf(MODES, v.mode)}: ACC, BWT and the lowest accuracy on a new task right after training it (tasks 2–5)`, v.method));
    this.plot.opts.xRange = [0, Math.max(...eps) + 2];
    this.plot.update(eps, LONG_METHODS.map((m) => eps.map((e) => { const s = longRow(sum, m, v.mode, e); return s ? 100 * s.bwt_mean : null; })));
    // σ histograms of the selected method at the most epochs (seed 1, the run that keeps them).
    const e = eps[eps.length - 1];
    const r = (L.runs || []).find((x) => x.method === v.method && x.mode === v.mode && x.epochs === e && Array.isArray(x.hists));
    this.sigma.hidden = !r;
    this.sigmaSub.textContent = r ? `σ after each task, ${LONG_NAMES[v.method]}, ${e} epochs per task, seed ${r.seed}:`
      : v.method === 'finetune' ? 'Fine-tuning has no σ.' : '';
    if (r) this.sigmaGrid.update(xs, r.hists, init);
  }

  /** Permuted MNIST (long.json rows of mode 'perm'): a table over the epoch settings, whatever the selected mode. */
  drawPerm(sum, runs, v) {
    const eps = longEpochs(sum, 'perm');
    this.root.dataset.permEpochs = eps.join(',');
    this.permTable.replaceChildren();
    if (!eps.length) {
      this.permSub.textContent = '';
      return;
    }
    const claim = permSentence(sum);
    this.permSub.textContent = 'Permuted MNIST (native runs, paperlab train ucb long --modes perm): five tasks, each all ten digits '
      + `(${(runs.find((r) => r.mode === 'perm')?.train_images ?? '?').toLocaleString('en-US')} training digits per task) under its own`
      + ' fixed pixel permutation (task 1 unpermuted), a 10-way head per task. '
      + (claim ? claim.text : '');
    this.permTable.replaceChildren(longTable(sum, 'perm', eps,
      'Permuted MNIST: ACC, BWT and the lowest accuracy on a new task right after training it (tasks 2–5)', v.method));
  }

  destroy() {
    this.plot?.destroy();
    this.sigmaGrid?.destroy();
  }
}

/** The fidelity card: the paper's 5-Split MNIST UCB row beside our shipped seeds (`m`: the manifest with `long`). */
export function fidelityCard(m) {
  const s = m?.summary?.find((x) => x.method === 'ucb' && x.mode === 'task') || null;
  const cfg = (m?.runs || []).find((x) => x.method === 'ucb' && x.mode === 'task')?.config || {};
  const trainN = Array.isArray(m?.train_images) ? m.train_images.reduce((a, b) => a + b, 0) : null;
  const here = (v, sd, signed) => (s ? [signed ? signedPct(v) : pct(v), h('div', { class: 'sub' }, `± ${pp(sd)} (sd, ${s.seeds.length} seeds)`)] : '–');
  const epochs = cfg.epochs ?? 4;
  const longer = longEpochs(m?.long?.summary, 'task');
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
        h('li', {}, `${epochs} epochs per task with Adam (paper: SGD, up to 200 epochs with early stopping)`
          + `${longer.filter((e) => e !== epochs).map((e, i, a) => `${i ? (i === a.length - 1 ? ' and ' : ', ') : '; the longer native runs: '}${e}`).join('')}`
          + `${longer.length > 1 ? ', without early stopping' : ''}.`),
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
