// The blind-spot lab (Zhang, Chen, Song, Boning, Dhillon & Hsieh, ICLR 2019): scale and shift the test digits,
// x' = clip(α·x + β, 0, 1), and attack three networks at ε = 0.3: a naturally trained CNN, a PGD-adversarially
// trained CNN (Madry et al.) and the verify lab's CROWN-IBP MLP. The shipped α × β table (www/models/blindspot/
// manifest.json, made by `paperlab eval blindspot`) shows first; a live run recomputes the curve at the chosen β on
// fewer digits in the engine. Below: the transformed digits, the 2-D embedding of train vs transformed test points,
// and one digit with its adversarial example. No math here: everything comes from the engine's BlindspotLab
// (src/wasm/blindspot.rs → src/labs/blindspot/); the sentences from blindspot-findings.js, the rows and captions
// from blindspot-views.js.
//
// First view (issue: ≤ 3 MB on the wire): the shipped curves, table and pad, and the engine. The live views are
// fetched when the user first asks for them (ui/lazy.js): the three networks with the 2,000 test digits alone
// (mnist-test-2k.safetensors.gz, 0.3 MB: enough for the transformed digits and the example) on the first move of a
// setting they show, or their button; the 8,000 training digits that the embedding, its KL, the 5-NN distances and
// the live run compare against (mnist-10k, 1.6 MB) for the embedding (its button) or a live run: the lab is then
// re-opened with them.
//
// Test hooks (data attributes on #lab):
//   data-run-status   idle | running | done | cancelled | error    the live run
//   data-live-rows    α values finished by the live run at the current settings
//   data-knn          mean 5-NN distance of the selected model at (α, β) (first 200 test digits), once computed
//   data-kl           KL(test ‖ train) in the 2-D embedding of the selected model
//   data-example      "label/pred_transformed/pred_adv/success" of the selected digit
//   data-views-status idle | loading | done | error    the networks and test digits ([data-testid=views-load])
//   data-train-status idle | loading | done | error    the training digits ([data-testid=train-load] fetches them)
// and body[data-ready="1"] once the shipped views are drawn and the engine is up (or failed).

import { h, sig3 } from '../ui/controls.js';
import { LabPage, mountLab, panel, fetchJson, dataTable, downloadText, csvText } from '../ui/labpage.js';
import { CurvePlot, ImageView } from '../ui/plots.js';
import { onSchemeChange } from '../ui/palette.js';
import { Lazy } from '../ui/lazy.js';
import { latest } from '../ui/latest.js';
import { XYPad } from '../ui/xypad.js';
import { PointCloud } from '../ui/scatter.js';
import { MODELS, rowsAtBeta, nearestBeta, noticeSentences, liveRecord, alphaGrid } from './blindspot-findings.js';
import { f2, modelIndex, padCells, padText, runText, plotSeries, plotNote, liveText, tableView, stripText, embText, exampleText, fidelityRows, tableCsv } from './blindspot-views.js';

const MANIFEST_URL = new URL('../models/blindspot/manifest.json', import.meta.url);
/** The first view's digits (the 2,000 test digits alone) and the full file with the 8,000 training digits. */
const TEST_URL = new URL('../data/mnist-test-2k.safetensors.gz', import.meta.url);
const DATA_URL = new URL('../data/mnist-10k.safetensors.gz', import.meta.url);
const modelUrl = (file) => new URL(`../models/blindspot/${file}`, import.meta.url);
const CROWNIBP_URL = new URL('../models/verify/mlp-crownibp.safetensors', import.meta.url);

const A_MIN = 0.6;
const A_MAX = 1.0;
const B_MIN = 0;
const B_MAX = 0.3;
const STRIP = 8;
const EMB_TRAIN = 1000;
const EMB_TEST = 400;
const KNN_DIGITS = 200;
const EXAMPLE_STEPS = 40;

/** Short names for the plot legends (the legend must fit a 700 px embed frame beside the plot). */
const SHORT = { 'cnn-natural': 'natural', 'cnn-madry': 'adv. trained', 'mlp-crownibp': 'CROWN-IBP' };

class BlindspotLabPage extends LabPage {
  get css() {
    return new URL('./blindspot.css', import.meta.url).href;
  }

  spec() {
    return [
      { name: 'alpha', type: 'number', min: A_MIN, max: A_MAX, step: 0.01, default: 0.7, main: true, label: 'Scale α',
        format: f2, hint: "x' = clip(α·x + β, 0, 1); the paper scans α from 1.0 down to 0.6. Arrow keys step 0.01, shift+arrows 0.1" },
      { name: 'beta', type: 'number', min: B_MIN, max: B_MAX, step: 0.01, default: 0, label: 'Shift β', format: f2,
        hint: 'the paper scans β from 0 to 0.3; the shipped table has β = 0, 0.05, 0.1, 0.2, 0.3 (the curves show the nearest)' },
      { name: 'attack', type: 'enum', values: ['pgd', 'cw'], default: 'pgd', label: 'Attack plotted',
        options: [{ value: 'pgd', label: 'PGD (cross-entropy)' }, { value: 'cw', label: 'C&W margin loss (L∞)' }] },
      { name: 'model', type: 'enum', values: MODELS.map((m) => m.id), default: 'cnn-madry', label: 'Model (table, embedding, digit)',
        options: MODELS.map((m) => ({ value: m.id, label: m.label })) },
      // Default digit 1 (a 5): the adversarially trained CNN classifies it and its transform correctly; PGD fails on it
      // at α = 1 and succeeds at the default α = 0.7, so the example shows the blind spot (digit 0 is misclassified).
      { name: 'digit', type: 'int', min: 0, max: 1999, default: 1, label: 'Test digit' },
      { name: 'digits', type: 'int', min: 10, max: 2000, default: 50, label: 'Digits per α', slot: 'run',
        hint: 'the live run evaluates the first this many test digits at each α of the curve' },
      { name: 'steps', type: 'int', min: 1, max: 200, default: 20, label: 'Attack steps', slot: 'run',
        hint: 'projected sign-gradient steps of size 2.5·ε / steps (the shipped table: 40)' },
      { name: 'restarts', type: 'int', min: 1, max: 10, default: 1, label: 'Random restarts', slot: 'run' },
      { name: 'seed', type: 'int', min: 0, max: 999999, default: 2019, label: 'Seed', random: true,
        hint: 'seeds the random start of every attack (the shipped table: 2019)' },
      { name: 'embed', type: 'bool', default: false, share: false, hidden: true },
    ];
  }

  async loadShipped() {
    const m = await fetchJson(MANIFEST_URL, 'the blind-spot models and table (www/models/blindspot/manifest.json)');
    if (!m || !Array.isArray(m.models)) throw new Error('www/models/blindspot/manifest.json lists no models');
    // Without the α × β table (not made yet) the live views and the live run still work.
    if (!m.table || !Array.isArray(m.table.rows)) m.table = null;
    return m;
  }

  build() {
    this.liveRuns = new Map(); // run key -> { rows: Map(alpha -> record), alphas }
    this.root.dataset.liveRows = '0';
    this.pad = this.view(new XYPad({
      x: { key: 'alpha', min: A_MIN, max: A_MAX, step: 0.01, ticks: [0.6, 0.7, 0.8, 0.9, 1.0], label: 'α' },
      y: { key: 'beta', min: B_MIN, max: B_MAX, step: 0.01, ticks: [0, 0.1, 0.2, 0.3], label: 'β' },
      cls: 'bs-pad', label: 'α and β together: click or drag; arrow keys move α (left/right) and β (up/down)',
      onChange: (patch) => this.set(patch), cells: () => padCells(this.shipped?.table, [A_MIN, A_MAX], [B_MIN, B_MAX]),
    }));
    this.padText = h('p', { class: 'hint', 'data-testid': 'pad-text' });
    this.box = this.runBox({ label: 'Recompute the curve at this β here', unit: 'digits', labels: { run: 'run live', cancel: 'cancel' },
      startN: 10, maxN: 2000, extra: [this.slot('run')], job: () => this.job() });
    this.runText = this.box.text;

    this.plotBox = h('div', { class: 'plot', 'data-testid': 'main-plot' });
    this.knnBox = h('div', { class: 'plot bs-knn', 'data-testid': 'knn-plot' });
    this.plotNote = h('p', { class: 'hint', 'data-testid': 'plot-note' });
    this.liveText = h('p', { class: 'readout', 'data-testid': 'live', 'aria-live': 'polite' });
    this.tableBox = h('div', { class: 'bs-table', 'data-testid': 'table' });

    this.stripCanvases = Array.from({ length: STRIP }, () => h('canvas', { class: 'bs-digit' }));
    this.strip = this.stripCanvases.map((c) => new ImageView(c, 28, 28));
    this.stripText = h('p', { class: 'hint', 'data-testid': 'strip' });

    this.emb = h('canvas', { class: 'bs-emb', width: 480, height: 360, 'data-testid': 'embedding', 'aria-label': '2-D embedding of training and transformed test digits' });
    this.cloud = new PointCloud(this.emb, { xLabel: 'principal direction 1 →', yLabel: 'principal direction 2 →' });
    this.embText = h('p', { class: 'readout', 'data-testid': 'emb-text' });
    this.embLegend = h('p', { class: 'bs-legend' }, h('span', { class: 'sw train' }), 'training digits ', h('span', { class: 'sw test' }), "transformed test digits x'");
    this.views = new Lazy({
      root: this.root, name: 'views', what: 'the three networks and the test digits', button: 'compute them here',
      why: 'The transformed digits, the example and the embedding are computed in your browser from the three networks (1.7 MB) and the 2,000 test digits (0.3 MB), fetched when you ask for them or move a setting they show.',
      files: [], use: () => this.openViews(), after: () => Promise.all([this.drawStrip(), this.drawExample(), this.drawEmbedding()]),
    });
    this.train = new Lazy({
      root: this.root, name: 'train', what: 'the 8,000 training digits', button: 'load the training digits',
      why: 'The embedding, its KL and the 5-NN distances compare the test digits with the 8,000 training digits (1.6 MB); they are fetched when you ask for them.',
      files: [], use: async () => {
        await this.views.load();
        await this.openTrain();
      },
      after: () => this.drawEmbedding(),
    });

    const fig = (label) => {
      const c = h('canvas', { class: 'bs-digit big' });
      return { c, fig: h('figure', {}, c, h('figcaption', {}, label)) };
    };
    this.exFigs = [fig('digit x'), fig("x' = α·x + β"), fig("adversarial x' + δ"), fig('δ (‖δ‖∞ ≤ 0.3)')];
    this.exViews = this.exFigs.map((f) => new ImageView(f.c, 28, 28));
    this.exText = h('p', { class: 'readout', 'data-testid': 'example' });
    this.disposers.push(onSchemeChange(() => this.cloud.repaint()));

    this.drawStrip = latest(() => this.strip1());
    this.drawEmbedding = latest(() => this.embedding1());
    this.drawExample = latest(() => this.example1());

    return {
      left: [h('div', { class: 'control bs-padbox' }, h('label', {}, 'α × β (colour: PGD success on the adversarially trained CNN, shipped)'), this.pad.el, this.padText),
        this.box.el],
      main: [
        panel('Attack success at ε = 0.3 vs α (β fixed); accuracy on x′ dashed', this.plotBox, this.plotNote, this.liveText,
          h('h3', { class: 'bs-sub' }, 'Mean 5-NN distance of x′ to the training digits in each network’s penultimate layer, relative to α = 1, β = 0'), this.knnBox),
        panel('The transformed test digits x′', this.views.el, h('div', { class: 'bs-strip' }, ...this.stripCanvases), this.stripText),
        panel('Train vs transformed test in the network’s embedding (2-D PCA of the penultimate layer; the paper uses t-SNE)', this.train.el, this.emb, this.embLegend, this.embText),
        panel('One digit: x, x′ and the adversarial example PGD finds at ε = 0.3', h('div', { class: 'bs-example' }, ...this.exFigs.map((f) => f.fig)), this.exText),
        panel('The shipped α × β table', this.tableBox),
      ],
    };
  }

  mounted() {
    const xFormat = (a) => a.toFixed(2);
    const base = { xLabel: 'α (scale of the pixels)', xLabelShort: 'α', xRange: [A_MIN - 0.01, A_MAX + 0.01], xFormat, markerLabel: 'α', markerText: (a) => `α = ${a.toFixed(2)}` };
    this.plot = this.view(new CurvePlot(this.plotBox, {
      ...base, yLabel: '% of digits', ySuffix: '%', yRange: () => [0, 100],
      series: [
        ...MODELS.map((m) => ({ key: `succ-${m.id}`, label: `success, ${SHORT[m.id]}`, color: m.color, width: 1.6 })),
        ...MODELS.map((m) => ({ key: `acc-${m.id}`, label: `accuracy, ${SHORT[m.id]}`, color: m.color, dash: [6, 4], points: false })),
        { key: 'verified', label: 'verified error, CROWN-IBP', color: 'crownibp', dash: [2, 3], points: false },
      ],
    }));
    this.knnPlot = this.view(new CurvePlot(this.knnBox, {
      ...base, yLabel: 'relative 5-NN distance', yRange: (lo, hi) => [Math.min(0.9, lo ?? 1), Math.max(1.1, hi ?? 1) * 1.02],
      series: MODELS.map((m) => ({ key: `knn-${m.id}`, label: `5-NN distance, ${SHORT[m.id]}`, color: m.color, width: 1.6 })),
    }));
  }

  /** The lab with the three models and `data` (the test digits alone, or with the training digits), under `key`. */
  openLab(key, data) {
    const m = this.shipped;
    if (!m) throw new Error(this.shippedError || 'no manifest');
    const file = (id) => {
      const e = m.models.find((x) => x.id === id);
      if (!e) throw new Error(`the manifest lists no model ${id}`);
      return modelUrl(e.file);
    };
    return this.engine.lab(key, 'BlindspotLab', [file('cnn-natural'), file('cnn-madry'), CROWNIBP_URL, data]);
  }

  /** The lab for the live views: the networks and the test digits alone. */
  async openViews() {
    this.lab = this.openLab('blindspot', TEST_URL);
    await this.lab.open({ retry: true }); // (the user may be trying again after a failed download)
    this.nTest = (await this.lab.call('n_test', [])).value;
    this.labels = Array.from((await this.lab.call('test_labels', [])).value);
  }

  /** A second lab with the training digits too (the models come from the worker's cache; the same test digits)
   *  takes over from the first, which is closed. */
  async openTrain() {
    const lab = this.openLab('blindspot:train', DATA_URL);
    await lab.open({ retry: true });
    const old = this.lab;
    this.lab = lab;
    old.close();
  }

  restarted() {
    this.baseKnn = null;
  }

  // ---- settings ----------------------------------------------------------------------------------------------
  runKey(v = this.values) {
    return [f2(v.beta), v.digits, v.steps, v.restarts, v.seed].join('|');
  }

  changed(prev) {
    const v = this.values;
    if (prev && this.box.run.running && this.running && this.running.key !== this.runKey()) this.box.run.cancel('settings changed');
    this.drawPlot();
    this.drawTable();
    this.pad.draw(v);
    this.padText.textContent = padText(this.shipped?.table, v.alpha, v.beta);
    this.runText.textContent = runText(v, alphaGrid(this.shipped?.table, v.alpha).length);
    if (!prev) return;
    const ab = prev.alpha !== v.alpha || prev.beta !== v.beta;
    if (!this.views.done) {
      // A setting the live views show: the user wants to see them (they draw once loaded).
      if (ab || ['digit', 'model', 'seed'].some((k) => prev[k] !== v[k])) this.views.load().catch(() => {});
      return;
    }
    if (ab || prev.digit !== v.digit) this.drawStrip();
    if (ab || prev.model !== v.model) this.drawEmbedding();
    if (ab || prev.model !== v.model || prev.digit !== v.digit || prev.seed !== v.seed) this.drawExample();
  }

  // ---- the main plot and the table ---------------------------------------------------------------------------
  shownBeta() {
    return nearestBeta(this.shipped?.table, this.values.beta);
  }

  drawPlot() {
    const t = this.shipped?.table;
    const v = this.values;
    const b = this.shownBeta();
    if (b == null) {
      this.plotNote.textContent = this.shippedError ? `The shipped table could not be loaded: ${this.shippedError}`
        : 'The shipped α × β table is not made yet (paperlab eval blindspot); run the curve live.';
      this.drawLive();
      return;
    }
    const { xs, ys, knn } = plotSeries(t, b, v.attack);
    this.plot.update(xs, ys);
    this.plot.setMarker(v.alpha);
    this.plot.setEmphasis('succ-cnn-madry');
    this.knnPlot.update(xs, knn);
    this.knnPlot.setMarker(v.alpha);
    this.plotNote.textContent = plotNote(t, b, v.beta);
    this.drawLive();
  }

  drawLive() {
    const v = this.values;
    const live = this.liveRuns.get(this.runKey());
    const pts = [];
    const kpts = [];
    const metric = v.attack === 'cw' ? 'cw_success' : 'pgd_success';
    const base = rowsAtBeta(this.shipped?.table, 0).find((r) => Math.abs(r.alpha - 1) < 1e-6);
    let n = 0;
    if (live) {
      for (const [alpha, rec] of [...live.rows.entries()].sort((a, b) => b[0] - a[0])) {
        n += 1;
        const here = Math.abs(alpha - v.alpha) < 1e-6;
        for (const m of MODELS) {
          const c = rec.models[m.id];
          if (!c) continue;
          if (Number.isFinite(c[metric])) pts.push({ x: alpha, y: 100 * c[metric], color: m.color, label: here && m.id === 'cnn-madry' ? `live ${sig3(100 * c[metric])}%` : '' });
          const k0 = live.base?.[modelIndex(m.id)] ?? base?.models?.[m.id]?.knn;
          if (Number.isFinite(c.knn) && k0) kpts.push({ x: alpha, y: c.knn / k0, color: m.color, label: '' });
        }
      }
      if (live.pending != null) pts.push({ x: live.pending, y: null, pending: true, progress: live.progress || 0, color: 'pgd' });
    }
    this.plot.setLive(pts);
    this.knnPlot.setLive(kpts);
    this.root.dataset.liveRows = String(n);
    const here = live?.rows.get(Math.round(v.alpha * 100) / 100);
    if (here) this.liveText.textContent = liveText(here, v);
    else if (!live) this.liveText.textContent = '';
  }

  drawTable() {
    const t = this.shipped?.table;
    if (!t) return;
    const tv = tableView(t, this.shownBeta(), this.values.model, this.values.alpha);
    this.tableBox.replaceChildren(
      dataTable({ head: tv.head, rows: tv.rows, cls: 'bs-tab', rowClass: (i) => (tv.sel.includes(i) ? 'sel' : null), caption: tv.caption }),
      h('p', { class: 'hint' }, tv.made));
  }

  // ---- the live run --------------------------------------------------------------------------------------------
  job() {
    const v = { ...this.values };
    const key = this.runKey(v);
    const alphas = alphaGrid(this.shipped?.table, v.alpha);
    const live = { rows: new Map(), alphas, pending: null };
    this.liveRuns.set(key, live);
    this.running = { key };
    let ai = 0;
    let started = false;
    let doneBefore = 0;
    let engineMs = 0;
    const total = alphas.length * Math.min(v.digits, this.nTest || 2000);
    return {
      begin: async () => {
        await this.train.load(); // the 5-NN distances compare with the training digits
        // The live run's own reference for the relative 5-NN distance: the same digits untransformed.
        live.base = [];
        for (const m of MODELS) live.base.push((await this.lab.call('knn', [modelIndex(m.id), 1, 0, v.digits, 5])).value);
        return total;
      },
      step: async (n) => {
        const alpha = alphas[ai];
        if (!started) {
          await this.lab.call('start', [alpha, v.beta, v.digits, v.steps, v.restarts, v.seed]);
          started = true;
          live.pending = alpha;
        }
        const { value, ms } = await this.lab.call('step', [n]);
        engineMs += ms;
        live.progress = value.done / value.total;
        if (value.finished) {
          const knn = [];
          for (const m of MODELS) knn.push((await this.lab.call('knn', [modelIndex(m.id), alpha, v.beta, value.total, 5])).value);
          live.rows.set(alpha, liveRecord(alpha, v.beta, value.models, knn));
          doneBefore += value.total;
          ai += 1;
          started = false;
          live.pending = null;
        }
        this.drawLive();
        const done = value.finished ? doneBefore : doneBefore + value.done;
        return { done, finished: ai >= alphas.length, ms };
      },
      finish: () => {
        this.running = null;
        this.liveMs = engineMs;
        return `${alphas.length} × ${Math.min(v.digits, this.nTest || 2000)} digits in ${(engineMs / 1000).toFixed(1)} s in the engine`;
      },
      onCancel: () => {
        this.running = null;
        live.pending = null;
        this.drawLive();
      },
    };
  }

  // ---- digits, embedding, example -----------------------------------------------------------------------------
  // ---- digits, embedding, example (each `latest`: a call while one runs makes one more run afterwards) ---------
  async strip1() {
    if (!this.views.done) return;
    const { alpha, beta, digit } = this.values;
    const first = Math.min(digit, (this.nTest || 2000) - STRIP);
    try {
      const px = (await this.lab.call('transformed', [first, STRIP, alpha, beta])).value;
      this.strip.forEach((view, i) => view.gray(px.subarray(i * 784, (i + 1) * 784), 255));
      this.stripText.textContent = stripText(first, this.labels.slice(first, first + STRIP), alpha, beta);
    } catch (e) {
      this.fail('The transformed digits could not be made', e, this.stripText);
    }
  }

  async embedding1() {
    if (!this.train.done) return; // the box above the plot offers the training digits
    const { alpha, beta, model } = this.values;
    const mi = modelIndex(model);
    try {
      const pts = (await this.lab.call('embedding2d', [mi, alpha, beta, EMB_TRAIN, EMB_TEST])).value;
      const kl = (await this.lab.call('kde_kl', [mi, alpha, beta, 2000, EMB_TEST])).value;
      const knn = (await this.lab.call('knn', [mi, alpha, beta, KNN_DIGITS, 5])).value;
      this.baseKnn ||= {};
      if (this.baseKnn[model] == null) this.baseKnn[model] = (await this.lab.call('knn', [mi, 1, 0, KNN_DIGITS, 5])).value;
      // The axes are fitted to the training points of this model (so the test points visibly move off them).
      this.cloud.paint(pts, { key: model, fit: [0, EMB_TRAIN], groups: [
        { from: 0, to: EMB_TRAIN, colour: 'clean', r: 1.8, alpha: 0.35 }, { from: EMB_TRAIN, to: Infinity, colour: 'bad', r: 2, alpha: 0.8 }] });
      this.kl = kl;
      this.knn = knn;
      this.root.dataset.kl = String(kl);
      this.root.dataset.knn = String(knn);
      this.embText.textContent = embText({ model, alpha, beta, kl, knn, base: this.baseKnn[model], nTest: EMB_TEST, nKnn: KNN_DIGITS });
      this.refreshNotice();
    } catch (e) {
      this.fail('The embedding could not be computed', e, this.embText);
    }
  }

  async example1() {
    if (!this.views.done) return;
    const { alpha, beta, model, digit, seed } = this.values;
    const mi = modelIndex(model);
    try {
      const ex = (await this.lab.call('example', [digit, mi, alpha, beta, EXAMPLE_STEPS, seed])).value;
      const img = (await this.lab.call('example_images', [digit, mi, alpha, beta, EXAMPLE_STEPS, seed])).value;
      const [x, xp, adv] = [0, 1, 2].map((k) => img.subarray(k * 784, (k + 1) * 784));
      this.exViews[0].gray(x, 255);
      this.exViews[1].gray(xp, 255);
      this.exViews[2].gray(adv, 255);
      const d = new Float32Array(784);
      for (let i = 0; i < 784; i++) d[i] = adv[i] - xp[i];
      this.exViews[3].signed(d, 0.3);
      this.example = ex;
      this.root.dataset.example = `${ex.label}/${ex.pred_transformed}/${ex.pred_adv}/${ex.success ? 1 : 0}`;
      this.exText.textContent = exampleText(ex, digit, model, EXAMPLE_STEPS);
    } catch (e) {
      this.fail('The example could not be computed', e, this.exText);
    }
  }

  // ---- words -------------------------------------------------------------------------------------------------
  notice() {
    const t = this.shipped?.table;
    if (!t) return [];
    return noticeSentences(t, this.shownBeta());
  }

  fidelity() {
    return { rows: fidelityRows(this.shipped) };
  }

  exports() {
    return [['CSV of the α × β table', () => {
      if (this.shipped?.table) downloadText('paperlab-blindspot-table.csv', csvText(tableCsv(this.shipped.table)));
    }]];
  }
}

export const mount = mountLab(BlindspotLabPage, {
  head: { authors: 'Huan Zhang, Hongge Chen, Zhao Song, Duane Boning, Inderjit S. Dhillon, Cho-Jui Hsieh' },
});
