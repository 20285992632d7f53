// The blind-spot lab (Zhang, Chen, Song, Boning, Dhillon & Hsieh, ICLR 2019): scale and shift the test digits,
// x' = clip(α·x + β, 0, 1), and attack three networks at ε = 0.3: a naturally trained CNN, a PGD-adversarially
// trained CNN (Madry et al.) and the verify lab's CROWN-IBP MLP. The shipped α × β table (www/models/blindspot/
// manifest.json, made by `paperlab eval blindspot`) shows first; a live run recomputes the curve at the chosen β on
// fewer digits in the engine. Below: the transformed digits, the 2-D embedding of train vs transformed test points,
// and one digit with its adversarial example. No math here: everything comes from the engine's BlindspotLab
// (src/wasm/blindspot.rs → src/labs/blindspot/); the sentences from blindspot-findings.js.
//
// Test hooks (data attributes on #lab):
//   data-run-status   idle | running | done | cancelled | error    the live run
//   data-live-rows    α values finished by the live run at the current settings
//   data-knn          mean 5-NN distance of the selected model at (α, β) (first 200 test digits), once computed
//   data-kl           KL(test ‖ train) in the 2-D embedding of the selected model
//   data-example      "label/pred_transformed/pred_adv/success" of the selected digit
// and body[data-ready="1"] after the first live drawing (digits, embedding, example) or a failure.

import { h, sig3, pct } from '../ui/controls.js';
import { LabPage, mountLab, panel, fetchJson, dataTable, downloadText, csvText } from '../ui/labpage.js';
import { CurvePlot, ImageView } from '../ui/plots.js';
import { colors, onSchemeChange } from '../ui/palette.js';
import { MODELS, rowsAtBeta, nearestBeta, series, claim, noticeSentences, liveRecord, cellAt, alphaGrid } from './blindspot-findings.js';

const MANIFEST_URL = new URL('../models/blindspot/manifest.json', import.meta.url);
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
const modelLabel = (id) => MODELS.find((m) => m.id === id)?.label || id;
const modelIndex = (id) => MODELS.findIndex((m) => m.id === id);
const f2 = (x) => Number(x).toFixed(2);

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
    this.pad = h('canvas', { class: 'bs-pad', width: 240, height: 180, tabindex: '0', role: 'slider', 'data-testid': 'pad',
      'aria-label': 'α and β together: click or drag; arrow keys move α (left/right) and β (up/down)' });
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
    this.embText = h('p', { class: 'readout', 'data-testid': 'emb-text' });
    this.embLegend = h('p', { class: 'bs-legend' }, h('span', { class: 'sw train' }), 'training digits ', h('span', { class: 'sw test' }), "transformed test digits x'");

    const fig = (label) => {
      const c = h('canvas', { class: 'bs-digit big' });
      return { c, fig: h('figure', {}, c, h('figcaption', {}, label)) };
    };
    this.exFigs = [fig('digit x'), fig("x' = α·x + β"), fig("adversarial x' + δ"), fig('δ (‖δ‖∞ ≤ 0.3)')];
    this.exViews = this.exFigs.map((f) => new ImageView(f.c, 28, 28));
    this.exText = h('p', { class: 'readout', 'data-testid': 'example' });

    this.pad.addEventListener('pointerdown', (ev) => { this.padDrag = true; this.pad.setPointerCapture?.(ev.pointerId); this.onPad(ev); });
    this.pad.addEventListener('pointermove', (ev) => { if (this.padDrag) this.onPad(ev); });
    this.pad.addEventListener('pointerup', () => { this.padDrag = false; });
    this.pad.addEventListener('keydown', (ev) => this.onPadKey(ev));
    this.disposers.push(onSchemeChange(() => { this.drawPad(); this.paintEmbedding(); }));

    return {
      left: [h('div', { class: 'control bs-padbox' }, h('label', {}, 'α × β (colour: PGD success on the adversarially trained CNN, shipped)'), this.pad, this.padText),
        this.box.el],
      main: [
        panel('Attack success at ε = 0.3 vs α (β fixed); accuracy on x′ dashed', this.plotBox, this.plotNote, this.liveText,
          h('h3', { class: 'bs-sub' }, 'Mean 5-NN distance of x′ to the training digits in each network’s penultimate layer, relative to α = 1, β = 0'), this.knnBox),
        panel('The transformed test digits x′', h('div', { class: 'bs-strip' }, ...this.stripCanvases), this.stripText),
        panel('Train vs transformed test in the network’s embedding (2-D PCA of the penultimate layer; the paper uses t-SNE)', this.emb, this.embLegend, this.embText),
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

  async openEngine(engine) {
    const m = this.shipped;
    if (!m) throw new Error(this.shippedError || 'no manifest');
    const file = (id) => {
      const e = m.models.find((x) => x.id === id);
      if (!e) throw new Error(`the manifest lists no model ${id}`);
      return modelUrl(e.file);
    };
    this.lab = engine.lab('blindspot', 'BlindspotLab', [file('cnn-natural'), file('cnn-madry'), CROWNIBP_URL, DATA_URL]);
    await this.lab.open();
    this.nTest = (await this.lab.call('n_test', [])).value;
    this.labels = Array.from((await this.lab.call('test_labels', [])).value);
  }

  async firstLive() {
    await Promise.all([this.drawStrip(), this.drawEmbedding(), this.drawExample()]);
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
    this.drawPad();
    this.describeRun();
    if (!prev || !this.lab) return;
    const ab = prev.alpha !== v.alpha || prev.beta !== v.beta;
    if (ab || prev.digit !== v.digit) this.drawStrip();
    if (ab || prev.model !== v.model) this.drawEmbedding();
    if (ab || prev.model !== v.model || prev.digit !== v.digit || prev.seed !== v.seed) this.drawExample();
  }

  describeRun() {
    const v = this.values;
    const alphas = alphaGrid(this.shipped?.table, v.alpha);
    this.runText.textContent = `${alphas.length} values of α at β = ${f2(v.beta)} × ${v.digits.toLocaleString('en-US')} digits: PGD and C&W `
      + `(${v.steps} steps, ${v.restarts} restart${v.restarts === 1 ? '' : 's'}) on all three networks, the CROWN-IBP bound and the 5-NN distance.`;
  }

  // ---- the 2-D pad ---------------------------------------------------------------------------------------------
  padGeom() {
    const W = this.pad.width;
    const H = this.pad.height;
    const m = { l: 34, r: 8, t: 8, b: 26 };
    const X = (a) => m.l + ((a - A_MIN) / (A_MAX - A_MIN)) * (W - m.l - m.r);
    const Y = (b) => H - m.b - ((b - B_MIN) / (B_MAX - B_MIN)) * (H - m.t - m.b);
    const A = (x) => A_MIN + ((x - m.l) / (W - m.l - m.r)) * (A_MAX - A_MIN);
    const B = (y) => B_MIN + ((H - m.b - y) / (H - m.t - m.b)) * (B_MAX - B_MIN);
    return { W, H, m, X, Y, A, B };
  }

  drawPad() {
    const ctx = this.pad.getContext('2d');
    const c = colors();
    const { W, H, m, X, Y } = this.padGeom();
    ctx.clearRect(0, 0, W, H);
    ctx.fillStyle = c.bg2;
    ctx.fillRect(m.l, m.t, W - m.l - m.r, H - m.t - m.b);
    const rows = this.shipped?.table?.rows || [];
    const alphas = [...new Set(rows.map((r) => r.alpha))].sort((a, b) => a - b);
    const betas = [...new Set(rows.map((r) => r.beta))].sort((a, b) => a - b);
    // Each shipped cell fills the pad up to the midpoints with its neighbours (to the pad's edges at the ends).
    const edges = (list, i, lo, hi) => [i > 0 ? (list[i - 1] + list[i]) / 2 : lo, i + 1 < list.length ? (list[i] + list[i + 1]) / 2 : hi];
    for (const r of rows) {
      const s = r.models?.['cnn-madry']?.pgd_success;
      if (!Number.isFinite(s)) continue;
      const [a0, a1] = edges(alphas, alphas.indexOf(r.alpha), A_MIN, A_MAX);
      const [b0, b1] = edges(betas, betas.indexOf(r.beta), B_MIN, B_MAX);
      ctx.fillStyle = c.bad;
      ctx.globalAlpha = 0.08 + 0.8 * Math.max(0, Math.min(1, s));
      ctx.fillRect(X(a0), Y(b1), X(a1) - X(a0), Y(b0) - Y(b1));
    }
    ctx.globalAlpha = 1;
    ctx.strokeStyle = c.grid;
    ctx.strokeRect(m.l + 0.5, m.t + 0.5, W - m.l - m.r - 1, H - m.t - m.b - 1);
    ctx.fillStyle = c.fg2;
    ctx.font = '11px system-ui, sans-serif';
    ctx.textAlign = 'center';
    for (const a of [0.6, 0.7, 0.8, 0.9, 1.0]) ctx.fillText(a.toFixed(1), X(a), H - m.b + 13);
    ctx.fillText('α', (m.l + W - m.r) / 2, H - 2);
    ctx.textAlign = 'right';
    for (const b of [0, 0.1, 0.2, 0.3]) ctx.fillText(b.toFixed(1), m.l - 4, Y(b) + 4);
    ctx.save();
    ctx.translate(10, (m.t + H - m.b) / 2);
    ctx.rotate(-Math.PI / 2);
    ctx.textAlign = 'center';
    ctx.fillText('β', 0, 0);
    ctx.restore();
    if (!this.values) return;
    const { alpha, beta } = this.values;
    ctx.strokeStyle = c.accent;
    ctx.lineWidth = 2;
    ctx.beginPath();
    ctx.arc(X(alpha), Y(beta), 6, 0, 2 * Math.PI);
    ctx.stroke();
    ctx.lineWidth = 1;
    ctx.beginPath();
    ctx.moveTo(X(alpha), m.t);
    ctx.lineTo(X(alpha), H - m.b);
    ctx.moveTo(m.l, Y(beta));
    ctx.lineTo(W - m.r, Y(beta));
    ctx.stroke();
    this.pad.setAttribute('aria-valuetext', `α = ${f2(alpha)}, β = ${f2(beta)}`);
    const cell = cellAt(this.shipped?.table, alpha, beta);
    const s = cell?.models?.['cnn-madry'];
    this.padText.textContent = `α = ${f2(alpha)}, β = ${f2(beta)}`
      + (s ? ` · nearest shipped cell (α = ${f2(cell.alpha)}, β = ${f2(cell.beta)}): PGD fools ${pct(s.pgd_success)} of the adversarially trained CNN's correct digits` : '');
  }

  onPad(ev) {
    const r = this.pad.getBoundingClientRect();
    const g = this.padGeom();
    const x = ((ev.clientX - r.left) / r.width) * g.W;
    const y = ((ev.clientY - r.top) / r.height) * g.H;
    const alpha = Math.round(Math.max(A_MIN, Math.min(A_MAX, g.A(x))) * 100) / 100;
    const beta = Math.round(Math.max(B_MIN, Math.min(B_MAX, g.B(y))) * 100) / 100;
    if (alpha !== this.values.alpha || beta !== this.values.beta) this.set({ alpha, beta });
  }

  onPadKey(ev) {
    const d = ev.shiftKey ? 0.1 : 0.01;
    const v = this.values;
    const clamp = (x, lo, hi) => Math.round(Math.max(lo, Math.min(hi, x)) * 100) / 100;
    const patch = {
      ArrowLeft: { alpha: clamp(v.alpha - d, A_MIN, A_MAX) },
      ArrowRight: { alpha: clamp(v.alpha + d, A_MIN, A_MAX) },
      ArrowUp: { beta: clamp(v.beta + d, B_MIN, B_MAX) },
      ArrowDown: { beta: clamp(v.beta - d, B_MIN, B_MAX) },
    }[ev.key];
    if (!patch) return;
    ev.preventDefault();
    this.set(patch);
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
    const metric = v.attack === 'cw' ? 'cw_success' : 'pgd_success';
    const xs = series(t, b, 'cnn-madry', metric).alphas;
    const ys = [
      ...MODELS.map((m) => series(t, b, m.id, metric).ys),
      ...MODELS.map((m) => series(t, b, m.id, 'clean_acc').ys),
      series(t, b, 'mlp-crownibp', 'verified_err').ys,
    ];
    this.plot.update(xs, ys);
    this.plot.setMarker(v.alpha);
    this.plot.setEmphasis('succ-cnn-madry');
    const base = rowsAtBeta(t, 0).find((r) => Math.abs(r.alpha - 1) < 1e-6) || rowsAtBeta(t, b)[0];
    const rel = (id) => series(t, b, id, 'knn').ys.map((y) => (y == null || !base?.models?.[id]?.knn ? null : y / base.models[id].knn));
    this.knnPlot.update(xs, MODELS.map((m) => rel(m.id)));
    this.knnPlot.setMarker(v.alpha);
    const tb = this.shipped.table;
    this.plotNote.textContent = `Lines: the shipped table at β = ${f2(b)}${Math.abs(b - v.beta) > 1e-6 ? ` (nearest to β = ${f2(v.beta)})` : ''}, `
      + `first ${tb.digits.toLocaleString('en-US')} test digits, ${tb.pgd.steps}-step attacks, ${tb.pgd.restarts} restart${tb.pgd.restarts === 1 ? '' : 's'}, seed ${tb.pgd.seed}. `
      + 'Attack success counts only the digits each network still classifies correctly at x′. Dots: the live run.';
    this.drawLive();
  }

  drawLive() {
    const v = this.values;
    const live = this.liveRuns.get(this.runKey());
    const pts = [];
    const kpts = [];
    const metric = v.attack === 'cw' ? 'cw_success' : 'pgd_success';
    const t = this.shipped?.table;
    const base = rowsAtBeta(t, 0).find((r) => Math.abs(r.alpha - 1) < 1e-6);
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
    if (here) {
      const a = here.models['cnn-madry'];
      const nat = here.models['cnn-natural'];
      const mlp = here.models['mlp-crownibp'];
      this.liveText.textContent = `Live at α = ${f2(v.alpha)}, β = ${f2(v.beta)} (${here.n} digits): accuracy on x′ ${pct(nat.clean_acc)} / ${pct(a.clean_acc)} / ${pct(mlp.clean_acc)}, `
        + `${v.attack === 'cw' ? 'C&W' : 'PGD'} success ${pct(nat[metric])} / ${pct(a[metric])} / ${pct(mlp[metric])} (natural / adversarially trained / CROWN-IBP); `
        + `CROWN-IBP verified error ${pct(mlp.verified_err)}.`;
    } else if (!live) {
      this.liveText.textContent = '';
    }
  }

  drawTable() {
    const t = this.shipped?.table;
    if (!t) return;
    const b = this.shownBeta();
    const id = this.values.model;
    const rows = rowsAtBeta(t, b);
    const isMlp = id === 'mlp-crownibp';
    const head = ['α', 'accuracy on x′', 'PGD success', 'C&W success', ...(isMlp ? ['verified error'] : []), '5-NN distance', 'KL (2-D KDE)'];
    const fmt = (x) => (Number.isFinite(x) ? pct(x) : '–');
    const num = (x) => (Number.isFinite(x) ? sig3(x) : '–');
    const body = rows.map((r) => {
      const c = r.models?.[id] || {};
      return [f2(r.alpha), fmt(c.clean_acc), fmt(c.pgd_success), fmt(c.cw_success), ...(isMlp ? [fmt(c.verified_err)] : []), num(c.knn), num(c.kl)];
    });
    const near = (a) => Math.abs(a - this.values.alpha) < 0.025;
    this.tableBox.replaceChildren(
      dataTable({ head, rows: body, cls: 'bs-tab', rowClass: (i) => (near(rows[i].alpha) ? 'sel' : null),
        caption: `${modelLabel(id)} at β = ${f2(b)} (change “Model” for the others): first ${t.digits.toLocaleString('en-US')} test digits, ε = ${sig3(t.eps)}, ${t.pgd.steps} steps.` }),
      h('p', { class: 'hint' }, `Made by: ${t.command} (${Math.round(t.seconds)} s, ${t.threads} thread${t.threads === 1 ? '' : 's'}).`));
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
  /** Runs `f` for the latest settings only: a call while one is running marks it to run once more afterwards. */
  async serial(name, f) {
    const st = (this.serials ||= {});
    if (st[name]) {
      st[name] = 'again';
      return;
    }
    st[name] = 'busy';
    try {
      await f();
    } finally {
      const again = st[name] === 'again';
      st[name] = null;
      if (again) await this.serial(name, f);
    }
  }

  drawStrip() {
    return this.serial('strip', async () => {
      const { alpha, beta, digit } = this.values;
      const first = Math.min(digit, (this.nTest || 2000) - STRIP);
      try {
        const px = (await this.lab.call('transformed', [first, STRIP, alpha, beta])).value;
        this.strip.forEach((view, i) => view.gray(px.subarray(i * 784, (i + 1) * 784), 255));
        this.stripText.textContent = `Test digits ${first}–${first + STRIP - 1} (labels ${this.labels.slice(first, first + STRIP).join(', ')}) at α = ${f2(alpha)}, β = ${f2(beta)}: `
          + 'still easy to read, though the ink is lighter and the background grey.';
      } catch (e) {
        this.fail('The transformed digits could not be made', e, this.stripText);
      }
    });
  }

  drawEmbedding() {
    return this.serial('emb', async () => {
      const { alpha, beta, model } = this.values;
      const mi = modelIndex(model);
      try {
        const pts = (await this.lab.call('embedding2d', [mi, alpha, beta, EMB_TRAIN, EMB_TEST])).value;
        const kl = (await this.lab.call('kde_kl', [mi, alpha, beta, 2000, EMB_TEST])).value;
        const knn = (await this.lab.call('knn', [mi, alpha, beta, KNN_DIGITS, 5])).value;
        this.baseKnn ||= {};
        if (this.baseKnn[model] == null) this.baseKnn[model] = (await this.lab.call('knn', [mi, 1, 0, KNN_DIGITS, 5])).value;
        this.embPts = { pts, model };
        this.paintEmbedding();
        this.kl = kl;
        this.knn = knn;
        this.root.dataset.kl = String(kl);
        this.root.dataset.knn = String(knn);
        this.embText.textContent = `${modelLabel(model)} at α = ${f2(alpha)}, β = ${f2(beta)}: KL(test ‖ train) of Gaussian kernel densities in this plane ${sig3(kl)} nats `
          + `(2,000 training vs ${EMB_TEST} test digits); mean 5-NN distance in the full ${model === 'mlp-crownibp' ? 256 : 100}-d embedding ${sig3(knn)} `
          + `(${sig3(this.baseKnn[model])} for the untransformed digits; first ${KNN_DIGITS} test digits).`;
        this.refreshNotice();
      } catch (e) {
        this.fail('The embedding could not be computed', e, this.embText);
      }
    });
  }

  paintEmbedding() {
    if (!this.embPts) return;
    const { pts, model } = this.embPts;
    const ctx = this.emb.getContext('2d');
    const c = colors();
    const W = this.emb.width;
    const H = this.emb.height;
    ctx.fillStyle = c.bg;
    ctx.fillRect(0, 0, W, H);
    // The axes are fitted to the training points of this model (so the test points visibly move off them).
    const key = `${model}`;
    if (this.embRange?.key !== key) {
      let [x0, x1, y0, y1] = [Infinity, -Infinity, Infinity, -Infinity];
      for (let i = 0; i < EMB_TRAIN; i++) {
        x0 = Math.min(x0, pts[2 * i]); x1 = Math.max(x1, pts[2 * i]);
        y0 = Math.min(y0, pts[2 * i + 1]); y1 = Math.max(y1, pts[2 * i + 1]);
      }
      const px = 0.35 * (x1 - x0) || 1;
      const py = 0.35 * (y1 - y0) || 1;
      this.embRange = { key, x0: x0 - px, x1: x1 + px, y0: y0 - py, y1: y1 + py };
    }
    const r = this.embRange;
    const X = (x) => ((x - r.x0) / (r.x1 - r.x0)) * W;
    const Y = (y) => H - ((y - r.y0) / (r.y1 - r.y0)) * H;
    const dot = (x, y, col, rad) => {
      ctx.fillStyle = col;
      ctx.beginPath();
      ctx.arc(Math.max(2, Math.min(W - 2, X(x))), Math.max(2, Math.min(H - 2, Y(y))), rad, 0, 2 * Math.PI);
      ctx.fill();
    };
    ctx.globalAlpha = 0.35;
    for (let i = 0; i < EMB_TRAIN; i++) dot(pts[2 * i], pts[2 * i + 1], c.clean, 1.8);
    ctx.globalAlpha = 0.8;
    const n = pts.length / 2;
    for (let i = EMB_TRAIN; i < n; i++) dot(pts[2 * i], pts[2 * i + 1], c.bad, 2);
    ctx.globalAlpha = 1;
    ctx.strokeStyle = c.grid;
    ctx.strokeRect(0.5, 0.5, W - 1, H - 1);
    ctx.fillStyle = c.fg2;
    ctx.font = '11px system-ui, sans-serif';
    ctx.fillText('principal direction 1 →', 6, H - 6);
    ctx.save();
    ctx.translate(12, H - 130);
    ctx.rotate(-Math.PI / 2);
    ctx.fillText('principal direction 2 →', 0, 0);
    ctx.restore();
  }

  drawExample() {
    return this.serial('example', async () => {
      const { alpha, beta, model, digit, seed } = this.values;
      const mi = modelIndex(model);
      try {
        const ex = (await this.lab.call('example', [digit, mi, alpha, beta, EXAMPLE_STEPS, seed])).value;
        const img = (await this.lab.call('example_images', [digit, mi, alpha, beta, EXAMPLE_STEPS, seed])).value;
        const x = img.subarray(0, 784);
        const xp = img.subarray(784, 1568);
        const adv = img.subarray(1568, 2352);
        this.exViews[0].gray(x, 255);
        this.exViews[1].gray(xp, 255);
        this.exViews[2].gray(adv, 255);
        const d = new Float32Array(784);
        for (let i = 0; i < 784; i++) d[i] = adv[i] - xp[i];
        this.exViews[3].signed(d, 0.3);
        this.example = ex;
        this.root.dataset.example = `${ex.label}/${ex.pred_transformed}/${ex.pred_adv}/${ex.success ? 1 : 0}`;
        const what = ex.pred_transformed !== ex.label
          ? `already misclassifies x′ as ${ex.pred_transformed} (not attacked)`
          : ex.success ? `classifies x′ correctly, but PGD (${EXAMPLE_STEPS} steps) finds x′ + δ classified as ${ex.pred_adv}`
            : `classifies x′ correctly, and PGD (${EXAMPLE_STEPS} steps) finds no misclassified point within ε = 0.3 (it still says ${ex.pred_adv})`;
        this.exText.textContent = `Digit ${digit}, label ${ex.label}: the ${modelLabel(model)} says ${ex.pred_clean} on x and ${what}.`;
      } catch (e) {
        this.fail('The example could not be computed', e, this.exText);
      }
    });
  }

  // ---- words -------------------------------------------------------------------------------------------------
  notice() {
    const t = this.shipped?.table;
    if (!t) return [];
    return noticeSentences(t, this.shownBeta());
  }

  fidelity() {
    const m = this.shipped;
    const mad = m?.models?.find((x) => x.id === 'cnn-madry');
    const nat = m?.models?.find((x) => x.id === 'cnn-natural');
    const tr = mad?.config?.train;
    const c = m?.table ? claim(m.table, 0) : null;
    const t = m?.table;
    return {
      rows: [
        ['adversarial training', 'PGD at ε = 0.3, 40 steps; 60,000 digits; 2 conv (32, 64) + 1,024 units',
          tr ? `PGD at ε = 0.3 (ramped over ${tr.ramp_epochs} epochs), ${tr.pgd_steps} steps, ${tr.epochs} epochs; 8,000 digits; CNN 8c-16c-100` : '…', 'two shared CPU cores'],
        ['accuracy at α = 1, β = 0', '≈ 98% clean, ≈ 88% under the best white-box attack (Madry’s MNIST model, the paper’s introduction)',
          mad && nat ? `clean ${pct(mad.metrics.clean_acc)}, ${pct(mad.metrics.pgd20_robust_acc)} under PGD-20 (natural twin: ${pct(nat.metrics.clean_acc)}, ${pct(nat.metrics.pgd20_robust_acc)})` : '…',
          'smaller net, fewer digits'],
        ['blind-spot trend', 'accuracy on x′ stays high; attack success rises sharply as α falls',
          c ? `β = 0, α 1 → ${f2(c.to.alpha)}: accuracy ${pct(c.from.clean_acc)} → ${pct(c.to.clean_acc)}, PGD success ${pct(c.from.pgd_success)} → ${pct(c.to.pgd_success)}` : '…',
          'the paper’s tables are not quoted (not read)'],
        ['certified defence', 'Wong & Kolter; Sinha et al.', 'the verify lab’s CROWN-IBP MLP', 'the one this site has'],
        ['2-D embedding', 't-SNE', 'PCA', 'deterministic, fast'],
        ['attack budget', 'PGD and C&W; 10,000 test digits', t ? `${t.pgd.steps} steps, ${t.pgd.restarts} restart; ${t.digits.toLocaleString('en-US')} test digits` : '…', 'time'],
      ],
    };
  }

  exports() {
    return [['CSV of the α × β table', () => {
      const t = this.shipped?.table;
      if (!t) return;
      const rows = [['alpha', 'beta', 'model', 'clean_acc', 'pgd_success', 'cw_success', 'verified_err', 'knn', 'kl']];
      for (const r of t.rows) for (const mm of MODELS) {
        const c = r.models?.[mm.id];
        if (c) rows.push([r.alpha, r.beta, mm.id, c.clean_acc, c.pgd_success, c.cw_success, c.verified_err ?? '', c.knn, c.kl ?? '']);
      }
      downloadText('paperlab-blindspot-table.csv', csvText(rows));
    }]];
  }
}

export const mount = mountLab(BlindspotLabPage, {
  head: { authors: 'Huan Zhang, Hongge Chen, Zhao Song, Duane Boning, Inderjit S. Dhillon, Cho-Jui Hsieh' },
});
