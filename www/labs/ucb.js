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

import { h, pct } from '../ui/controls.js';
import { LabPage, mountLab, panel, dataTable, csvButton, pngButton, fetchJson, mnistCredit } from '../ui/labpage.js';
import { CurvePlot } from '../ui/plots.js';
import { MatrixHeatmap } from '../ui/heatmap.js';
import { TASKS, methodsSentence, ablationSentence, nearInit, sigmaSentence, pruneSentence, signedPct,
  claimSentence, nearInitByEpochs, spreadSentence, sigmaSides } from './ucb-findings.js';
import { METHODS, MODES, CRITERIA, nameOf, options, RATIOS, emptyMatrix, mean, meanSd, critOf, shippedRun, prunedAt, pruneSeries,
  nextPrune, pruneKey, sigmaBins, histGroups, methodStats, csvRows } from './ucb-data.js';
import { sigmaGrid, LongRunsPanel, fidelityCard } from './ucb-panels.js';

const MANIFEST_URL = new URL('../models/ucb/manifest.json', import.meta.url);
const LONG_URL = new URL('../models/ucb/long.json', import.meta.url);
const DATA_URL = new URL('../data/mnist-10k.safetensors.gz', import.meta.url);

const TASK_COLORS = ['ibp', 'crown', 'good', 'crownibp', 'bad'];

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
    this.long = this.part(new LongRunsPanel(this.root));
    el.footData.append(...mnistCredit(', then into five tasks of two digits'));
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
        this.long.el,
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
    this.sigmaGrid = this.view(sigmaGrid(this.el.sigmaGrid));
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
    if (!prev || prev.method !== v.method || prev.mode !== v.mode) this.long.draw(this.shipped?.long, v, this.sigmaBins(null));
    this.box.text.textContent = `Trains ${nameOf(METHODS, v.method)} (${nameOf(MODES, v.mode)}, seed ${v.seed}) on the five `
      + 'tasks in this browser, filling the matrix as each task finishes.';
    this.draw();
    this.schedulePrune();
  }

  key(v = this.values) {
    return `${v.method}|${v.mode}|${v.seed}`;
  }

  crit() {
    return critOf(this.values.method, this.values.crit);
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
    // ACC/BWT come from the engine's Rust code: written into the manifest for shipped runs, UcbLab.metrics() live.
    return r ? shippedRun(r) : null;
  }

  /** Per-task accuracies of the shown run pruned at `ratio` by `crit`, or null (not available / computing). */
  prunedAt(cur, ratio = this.values.ratio, crit = this.crit()) {
    return prunedAt(cur, ratio, crit, this.shipped?.prune_ratios || RATIOS);
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
    this.prunePlot.update(cur ? RATIOS : [], pruneSeries(cur, this.crit(), this.shipped?.prune_ratios || RATIOS));
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
    return sigmaBins(this.shipped?.hist, cur?.config?.rho_init ?? this.shipped?.runs?.[0]?.config?.rho_init ?? -3);
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

  // ---------------------------------------------------------------- what to notice (ucb-findings.js words it)
  /** Shipped-seed numbers of a method: ACC/BWT (mean, sd) and each task's accuracy right after training it. */
  stats(method, mode) {
    return methodStats(this.shippedRuns(method, mode), this.summaryOf(method, mode));
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
    return fidelityCard(this.shipped);
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
        entry.config = (await this.handle.call('config', [])).value;
        entry.threads = this.engine.backend?.threads || 1;
        return (await this.handle.call('total_steps', [])).value + TASKS * TASKS;
      },
      step: async (n) => {
        const { value, ms } = await this.handle.call('step', [n]);
        const { kind, task, steps_done: done, cells_done: cells, on, acc } = value;
        if (entry.stopped) return { finished: true };
        const r = { kind, done: done + cells, finished: kind === 'done' };
        if (kind === 'trained') {
          // A task can end before n steps: the step size follows the time per step actually done.
          r.ms = (ms * n) / Math.max(1, done - steps);
          steps = done;
          this.pending = [task, 0];
        } else if (kind === 'evaluated') {
          r.adapt = false; // evaluating a cell says nothing about the time of n training steps
          entry.matrix[task][on] = acc;
          this.pending = on + 1 < TASKS ? [task, on + 1] : task + 1 < TASKS ? [task + 1, 0] : null;
          if (on === TASKS - 1) {
            if (v.method !== 'finetune') {
              entry.hists[task] = histGroups((await this.handle.call('hist', [task])).value, this.shipped?.hist?.bins || 40);
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
        if (r.kind === 'trained') this.heat.update({ ...this.heat.data, pending: this.pending });
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
      const job = cur && cur.source === 'live' && !cur.running && nextPrune(cur.prune, this.values);
      return job && { crit: job[0], ratio: job[1], key: this.key() };
    };
    this.pruneBusy = true;
    try {
      for (let job = pick(); job; job = pick()) {
        const { value } = await this.handle.call('prune', [job.ratio, job.crit]);
        this.live.get(job.key)?.prune.set(pruneKey(job.crit, job.ratio), Array.from(value));
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
      csvButton('CSV of the shown numbers', () => `paperlab-ucb-${base()}.csv`,
        () => csvRows(this.current(), this.values, this.crit(), this.shipped?.summary, this.shipped?.prune_ratios || RATIOS)),
      pngButton('PNG of the matrix', () => `paperlab-ucb-matrix-${base()}.png`, () => this.heat, () => `${title()} · accuracy matrix`),
      pngButton('PNG of the pruning plot', () => `paperlab-ucb-pruning-${base()}.png`, () => this.prunePlot,
        () => `${title()} · pruned by ${nameOf(CRITERIA, this.crit())}`),
    ];
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
