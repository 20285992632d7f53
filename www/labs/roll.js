// The roll lab (Lee, Alvarez-Melis & Jaakkola, ICLR 2019): a small ReLU net on 2-D toy data, trained live with or
// without the ROLL loss; its linear regions coloured by activation pattern, the decision boundary, and a clicked
// point's exact ℓ1 / ℓ2 / ℓ∞ margin balls drawn to scale. Below, the shipped digit models: margins vs λ from the
// manifest, the live margins of one test digit, and its gradient map plain vs ROLL. No math here: everything comes
// from the engine's RollLab (src/wasm/roll.rs → src/labs/roll/).
//
// Test hooks: body[data-ready="1"] after the first region map; #lab[data-train-status] for the training run;
// #lab[data-regions] (regions in the map), [data-eps2] (the inspected point's ε̂_2), [data-iter] (steps taken),
// [data-digit-eps2] (the selected digit's ε̂_2 under the selected model).

import { fetchChecked } from '../engine/checksums.js';
import { h, progress, sig3 } from '../ui/controls.js';
import { LabPage, mountLab, panel, fetchJson, downloadText, csvText } from '../ui/labpage.js';
import { LiveRun } from '../ui/liverun.js';
import { latest } from '../ui/latest.js';
import { ImageView } from '../ui/plots.js';
import { colors } from '../ui/palette.js';

const MANIFEST_URL = new URL('../models/roll/manifest.json', import.meta.url);
// The digit panel only evaluates the shipped nets: the 2,000 test digits alone (0.3 MB) are fetched.
const DATA_URL = new URL('../data/mnist-test-2k.safetensors.gz', import.meta.url);
const G = 256;
const LO = -1.25;
const HI = 1.25;

/** A light colour for a region from its pattern hash (golden-angle hues), darker on class 1's side. */
function regionColor(hash, positive, dark) {
  const hue = ((hash >>> 8) % 360);
  const light = dark ? (positive ? 30 : 22) : (positive ? 78 : 88);
  const sat = 35 + (hash & 31);
  // HSL to RGB.
  const s = sat / 100;
  const l = light / 100;
  const k = (n) => (n + hue / 30) % 12;
  const a = s * Math.min(l, 1 - l);
  const f = (n) => l - a * Math.max(-1, Math.min(k(n) - 3, Math.min(9 - k(n), 1)));
  return [Math.round(255 * f(0)), Math.round(255 * f(8)), Math.round(255 * f(4))];
}

// Shipped bytes, checked against www/checksums.json (a damaged file is named).
const fetchBytes = fetchChecked;

class RollLabPage extends LabPage {
  drawMap = latest(() => this.mapRound());

  get css() {
    return new URL('./roll.css', import.meta.url).href;
  }

  spec() {
    return [
      { name: 'lambda', type: 'number', min: 0, max: 5, step: 0.05, default: 1, label: 'λ (ROLL weight)', hint: '0 = plain training; arrow keys step 0.05, shift+arrows more' },
      { name: 'gamma', type: 'number', min: 1, max: 100, step: 1, default: 20, label: 'γ', unit: '%', hint: 'the share of neurons with the smallest margins that the hinge averages over' },
      { name: 'c', type: 'number', min: 0.01, max: 0.5, step: 0.01, default: 0.1, label: 'C (target margin)', hint: 'the hinge max(0, C − margin) asks each selected neuron for this ℓ2 margin' },
      { name: 'dataset', type: 'enum', values: ['spirals', 'circles', 'xor', 'moons'], default: 'circles', label: 'Data' },
      { name: 'n', type: 'int', min: 20, max: 1000, default: 200, label: 'Points' },
      { name: 'noise', type: 'number', min: 0, max: 0.2, step: 0.01, default: 0.03, label: 'Noise' },
      { name: 'width', type: 'int', min: 2, max: 32, default: 16, label: 'Units per layer' },
      { name: 'depth', type: 'int', min: 1, max: 4, default: 3, label: 'Hidden layers' },
      { name: 'steps', type: 'int', min: 10, max: 20000, default: 2000, label: 'Training steps per run' },
      { name: 'seed', type: 'int', min: 0, max: 999999, default: 1, label: 'Seed', random: true },
      { name: 'click', type: 'enum', values: ['inspect', 'add class 0', 'add class 1'], default: 'inspect', label: 'A click on the map' },
      { name: 'px', type: 'number', min: -1.25, max: 1.25, step: 0.001, default: 0.3, label: 'Inspected x', hidden: true },
      { name: 'py', type: 'number', min: -1.25, max: 1.25, step: 0.001, default: 0.2, label: 'Inspected y', hidden: true },
      { name: 'model', type: 'enum', values: ['roll-0.5', 'roll-2', 'roll-8'], default: 'roll-8', label: 'Digit model (vs plain)' },
      { name: 'digit', type: 'int', min: 0, max: 1999, default: 0, label: 'Test digit' },
      { name: 'embed', type: 'bool', default: false, share: false, hidden: true },
    ];
  }

  async loadShipped() {
    return fetchJson(MANIFEST_URL, 'the digit models (www/models/roll/manifest.json)');
  }

  build() {
    this.canvas = h('canvas', { class: 'roll-map', width: G, height: G, 'data-testid': 'map', 'aria-label': 'linear regions of the toy net' });
    this.overlay = h('canvas', { class: 'roll-overlay', width: 512, height: 512, 'aria-hidden': 'true' });
    this.mapBox = h('div', { class: 'roll-mapbox' }, this.canvas, this.overlay);
    this.readout = h('p', { class: 'readout', 'data-testid': 'readout', 'aria-live': 'polite' });
    this.pointText = h('p', { class: 'readout', 'data-testid': 'point' });
    this.trainBtn = h('button', { type: 'button', class: 'run', 'data-testid': 'train' });
    this.stepBtn = h('button', { type: 'button', 'data-testid': 'step' }, 'one step');
    this.resetBtn = h('button', { type: 'button', 'data-testid': 'reset' }, 'new net');
    this.trainError = h('div', { class: 'error', hidden: true, 'data-testid': 'train-error' });
    this.bar = progress({ unit: 'steps' });
    this.run = this.liveRun(new LiveRun({
      root: this.root, name: 'train', progress: this.bar, button: this.trainBtn, error: this.trainError,
      labels: { run: 'train', cancel: 'pause' }, startN: 5,
    }));
    this.trainBtn.addEventListener('click', () => this.run.toggle(() => this.job()));
    this.stepBtn.addEventListener('click', () => this.stepOnce());
    this.resetBtn.addEventListener('click', () => this.resetNet());
    this.overlay.addEventListener('click', (ev) => this.onClick(ev));

    this.digitTable = h('div', { 'data-testid': 'digit-table' });
    this.digitText = h('p', { class: 'readout', 'data-testid': 'digit' });
    this.digitCanvas = h('canvas', { class: 'roll-digit', 'aria-label': 'the test digit' });
    this.gradPlain = h('canvas', { class: 'roll-digit', 'aria-label': 'gradient map of the plain model' });
    this.gradRoll = h('canvas', { class: 'roll-digit', 'aria-label': 'gradient map of the ROLL model' });
    this.gradRollLabel = h('figcaption', {}, 'ROLL');
    this.views = [new ImageView(this.digitCanvas, 28, 28), new ImageView(this.gradPlain, 28, 28), new ImageView(this.gradRoll, 28, 28)];
    const legend = h('p', { class: 'roll-legend' },
      h('span', { class: 'sw l2' }), 'ℓ2 ball ', h('span', { class: 'sw l1' }), 'ℓ1 ball ', h('span', { class: 'sw linf' }), 'ℓ∞ ball ',
      h('span', { class: 'sw db' }), 'decision boundary');
    return {
      left: [h('div', { class: 'control run-box' }, h('label', {}, 'Train the toy net'), h('div', { class: 'roll-buttons' }, this.trainBtn, this.stepBtn, this.resetBtn),
        this.bar.el, this.trainError)],
      main: [
        panel('Linear regions (one colour per activation pattern), decision boundary, and the margins of the inspected point', this.mapBox, legend, this.readout, this.pointText),
        panel('Digits: margins of the shipped models vs λ (first 1,000 test digits, exact)', this.digitTable),
        panel('One test digit: its margins and its gradient map ∂f_class/∂x (constant over its linear region)',
          h('div', { class: 'roll-digits' },
            h('figure', {}, this.digitCanvas, h('figcaption', {}, 'digit')),
            h('figure', {}, this.gradPlain, h('figcaption', {}, 'plain')),
            h('figure', {}, this.gradRoll, this.gradRollLabel)),
          this.digitText),
      ],
    };
  }

  async openEngine(engine) {
    this.lab = engine.lab('roll', 'RollLab', []);
    await this.lab.open();
    await this.resetNet();
  }

  async firstLive() {
    await this.drawMap();
    this.loadDigits();
  }

  /**
   * The new worker holds none of the old one's state: make the toy data and net again from the settings, add back the
   * points the user clicked in (the ones after the generated ones), and load the digits and models again.
   */
  async restarted() {
    const [oldPoints, oldLabels] = [this.points || [], this.labels || []];
    this.digitsReady = false;
    await this.resetNet();
    try {
      for (let i = this.labels.length; i < oldLabels.length; i++) {
        await this.lab.call('add_point', [oldPoints[2 * i], oldPoints[2 * i + 1], oldLabels[i]]);
      }
      if (oldLabels.length > this.labels.length) {
        this.points = Array.from((await this.lab.call('points', [])).value);
        this.labels = Array.from((await this.lab.call('labels', [])).value);
        await this.drawMap();
      }
    } catch (e) {
      this.fail('The added points could not be restored', e, this.trainError);
    }
    this.loadDigits();
  }

  /** Loads the digits and the four models into the worker (after the toy net is live), then draws the digit. */
  async loadDigits() {
    try {
      await this.lab.call('load_digits', [await fetchBytes(DATA_URL)]);
      for (const m of this.shipped.models) {
        await this.lab.call('load_model', [m.id, await fetchBytes(new URL(`../models/roll/${m.file}`, import.meta.url))]);
      }
      this.digitsReady = true;
      await this.drawDigit();
    } catch (e) {
      this.fail('The digit models could not be loaded', e, this.digitText);
    }
  }

  async resetNet() {
    const v = this.values;
    this.run.cancel('new net');
    try {
      await this.lab.call('reset', [v.dataset, v.n, v.noise, v.seed, v.width, v.depth, v.seed]);
      await this.lab.call('set_roll', [v.lambda, v.gamma, v.c]);
      this.iter = 0;
      this.loss = null;
      this.points = Array.from((await this.lab.call('points', [])).value);
      this.labels = Array.from((await this.lab.call('labels', [])).value);
      if (this.ready) await this.drawMap();
    } catch (e) {
      this.fail('The toy net could not be made', e, this.trainError);
    }
  }

  async stepOnce() {
    if (!this.lab || this.run.running) return;
    try {
      const r = (await this.lab.call('step', [1])).value;
      this.loss = r.loss;
      this.iter = r.iter;
      await this.drawMap();
    } catch (e) {
      this.fail('The step failed', e, this.trainError);
    }
  }

  job() {
    return {
      begin: async () => this.values.steps,
      step: async (n) => {
        const t0 = performance.now();
        const { value, ms } = await this.lab.call('step', [n]);
        const r = value;
        this.loss = r.loss;
        this.iter = r.iter;
        this.started ??= this.iter - n;
        const done = this.iter - this.started;
        this.stepMs = ms / n;
        await this.drawMap();
        return { done, finished: done >= this.values.steps, ms: performance.now() - t0 };
      },
      finish: () => { this.started = undefined; return `${this.iter} steps`; },
      onCancel: () => { this.started = undefined; },
    };
  }

  async onClick(ev) {
    if (!this.lab) return;
    const r = this.overlay.getBoundingClientRect();
    const x = LO + ((ev.clientX - r.left) / r.width) * (HI - LO);
    const y = HI - ((ev.clientY - r.top) / r.height) * (HI - LO);
    const mode = this.values.click;
    if (mode === 'inspect') {
      this.set({ px: +x.toFixed(3), py: +y.toFixed(3) });
      return;
    }
    try {
      await this.lab.call('add_point', [x, y, mode === 'add class 1' ? 1 : 0]);
      this.points = Array.from((await this.lab.call('points', [])).value);
      this.labels = Array.from((await this.lab.call('labels', [])).value);
      await this.drawMap();
    } catch (e) {
      this.fail('The point could not be added', e, this.trainError);
    }
  }

  changed(prev) {
    const v = this.values;
    if (!prev) {
      this.drawDigitTable();
      return;
    }
    if (!this.lab) return;
    const net = ['dataset', 'n', 'noise', 'width', 'depth', 'seed'].some((k) => prev[k] !== v[k]);
    if (net) {
      this.resetNet();
    } else if (['lambda', 'gamma', 'c'].some((k) => prev[k] !== v[k])) {
      this.lab.call('set_roll', [v.lambda, v.gamma, v.c]).catch((e) => this.fail('λ, γ or C', e, this.trainError));
    }
    if (prev.px !== v.px || prev.py !== v.py) this.drawMap();
    if (prev.model !== v.model || prev.digit !== v.digit) this.drawDigit();
    this.drawDigitTable();
  }

  /** One round of the region map, the inspected point's margins and the readout (through `drawMap`, which runs
   *  one more round when settings changed during a round, never a backlog). */
  async mapRound() {
    try {
      const t0 = performance.now();
      const { value: ids, ms } = await this.lab.call('region_map', [G, LO, LO, HI, HI]);
      const score = (await this.lab.call('region_score', [])).value;
      const hashes = (await this.lab.call('region_hashes', [])).value;
      this.mapMs = ms;
      this.regions = hashes.length;
      this.paintRegions(ids, score, hashes);
      const pm = (await this.lab.call('point_margins', [this.values.px, this.values.py])).value;
      this.pm = pm;
      this.paintOverlay(pm);
      this.roundMs = performance.now() - t0;
      this.root.dataset.regions = String(this.regions);
      this.root.dataset.eps2 = pm.eps[1] == null ? 'inf' : String(pm.eps[1]);
      this.root.dataset.iter = String(this.iter ?? 0);
      this.root.dataset.points = String(this.labels.length);
      this.writeReadout();
      this.ready = true;
      this.refreshNotice();
    } catch (e) {
      this.fail('The region map could not be computed', e, this.readout);
    }
  }

  paintRegions(ids, score, hashes) {
    const ctx = this.canvas.getContext('2d');
    const img = ctx.createImageData(G, G);
    const dark = matchMedia('(prefers-color-scheme: dark)').matches;
    const cache = new Map();
    for (let i = 0; i < G * G; i++) {
      const pos = score[i] > 0;
      const key = ids[i] * 2 + (pos ? 1 : 0);
      let c = cache.get(key);
      if (!c) {
        c = regionColor(hashes[ids[i]], pos, dark);
        cache.set(key, c);
      }
      let [r, g, b] = c;
      const col = i % G;
      const row = (i / G) | 0;
      // Region edges (another id to the right or below) in grey; the decision boundary (score changes sign) dark.
      const right = col + 1 < G ? i + 1 : i;
      const down = row + 1 < G ? i + G : i;
      if ((score[right] > 0) !== pos || (score[down] > 0) !== pos) {
        [r, g, b] = dark ? [240, 240, 240] : [20, 20, 20];
      } else if (ids[right] !== ids[i] || ids[down] !== ids[i]) {
        [r, g, b] = dark ? [90, 90, 90] : [150, 150, 150];
      }
      img.data[4 * i] = r;
      img.data[4 * i + 1] = g;
      img.data[4 * i + 2] = b;
      img.data[4 * i + 3] = 255;
    }
    ctx.putImageData(img, 0, 0);
  }

  paintOverlay(pm) {
    const W = this.overlay.width;
    const ctx = this.overlay.getContext('2d');
    const c = colors();
    ctx.clearRect(0, 0, W, W);
    const X = (x) => ((x - LO) / (HI - LO)) * W;
    const Y = (y) => ((HI - y) / (HI - LO)) * W;
    const S = W / (HI - LO);
    for (let i = 0; i < this.labels.length; i++) {
      ctx.beginPath();
      ctx.arc(X(this.points[2 * i]), Y(this.points[2 * i + 1]), 3.2, 0, 2 * Math.PI);
      ctx.fillStyle = this.labels[i] ? c.ibp : c.crown;
      ctx.fill();
      ctx.strokeStyle = c.bg;
      ctx.lineWidth = 1;
      ctx.stroke();
    }
    const { px, py } = this.values;
    const [e1, e2, einf] = pm.eps.map((e) => (e == null ? 10 : e));
    ctx.lineWidth = 2;
    ctx.strokeStyle = c.crownibp;
    ctx.strokeRect(X(px - einf), Y(py + einf), 2 * einf * S, 2 * einf * S);
    ctx.strokeStyle = c.good;
    ctx.beginPath();
    ctx.arc(X(px), Y(py), e2 * S, 0, 2 * Math.PI);
    ctx.stroke();
    ctx.strokeStyle = c.bad;
    ctx.beginPath();
    ctx.moveTo(X(px + e1), Y(py));
    ctx.lineTo(X(px), Y(py + e1));
    ctx.lineTo(X(px - e1), Y(py));
    ctx.lineTo(X(px), Y(py - e1));
    ctx.closePath();
    ctx.stroke();
    ctx.fillStyle = c.fg;
    ctx.beginPath();
    ctx.arc(X(px), Y(py), 2.5, 0, 2 * Math.PI);
    ctx.fill();
  }

  writeReadout() {
    const l = this.loss;
    const parts = [`${this.regions} linear regions in the ${G}×${G} map (${sig3(this.mapMs)} ms in the engine)`];
    if (l) parts.push(`step ${this.iter}: cross-entropy ${sig3(l.ce)}, ROLL term ${sig3(l.roll)}, accuracy ${(100 * l.acc).toFixed(1)}%${this.stepMs ? `, ${sig3(this.stepMs)} ms per step` : ''}`);
    else parts.push('untrained net');
    this.readout.textContent = `${parts.join(' · ')}.`;
    const f = (e) => (e == null ? '∞' : sig3(e));
    const pm = this.pm;
    this.pointText.textContent = `At (${this.values.px}, ${this.values.py}): ε̂₁ = ${f(pm.eps[0])}, ε̂₂ = ${f(pm.eps[1])}, ε̂∞ = ${f(pm.eps[2])}`
      + ` (the largest balls inside its linear region); ℓ2 distance to the region's decision boundary ${f(pm.decision[1])}; class ${pm.class}.`;
  }

  drawDigitTable() {
    const m = this.shipped;
    if (!m) return;
    const plain = m.models[0];
    const rows = m.models.map((e) => h('tr', { class: e.id === this.values.model ? 'sel' : '' },
      h('td', {}, e.id), h('td', {}, String(e.roll.lambda)), h('td', {}, `${(100 * e.test_acc).toFixed(1)}%`),
      h('td', {}, sig3(e.margins.l1.p50)), h('td', {}, sig3(e.margins.l2.p50)), h('td', {}, sig3(e.margins.linf.p50)),
      h('td', {}, `${(e.margins.l2.p50 / plain.margins.l2.p50).toFixed(1)}×`),
      h('td', { class: 'bar' }, h('span', { style: `width:${Math.min(100, (100 * e.margins.l2.p50) / m.models.reduce((a, b) => Math.max(a, b.margins.l2.p50), 0))}%` }))));
    this.digitTable.replaceChildren(h('table', { class: 'roll-table' },
      h('thead', {}, h('tr', {}, ...['model', 'λ', 'test acc', 'median ε̂₁', 'median ε̂₂', 'median ε̂∞', 'ε̂₂ vs plain', ''].map((t) => h('th', {}, t)))),
      h('tbody', {}, ...rows)),
    h('p', { class: 'hint' }, `MLP ${m.how_made.dims.join('-')}, C = ${plain.roll.c}, γ = ${plain.roll.gamma}%, ${m.how_made.train.epochs} epochs on 8,000 digits; pixels in [0, 1].`));
  }

  async drawDigit() {
    if (!this.digitsReady) return;
    const { digit, model } = this.values;
    try {
      const px = (await this.lab.call('digit', [digit])).value;
      this.views[0].gray(px, 255);
      const rp = (await this.lab.call('digit_margins', ['plain', digit])).value;
      const rr = (await this.lab.call('digit_margins', [model, digit])).value;
      const gp = (await this.lab.call('digit_gradient', ['plain', digit, rp.class])).value;
      const gr = (await this.lab.call('digit_gradient', [model, digit, rr.class])).value;
      const mx = (g) => g.reduce((a, v) => Math.max(a, Math.abs(v)), 0);
      this.views[1].signed(gp, mx(gp));
      this.views[2].signed(gr, mx(gr));
      this.gradRollLabel.textContent = model;
      this.digitMargins = { plain: rp, roll: rr };
      this.root.dataset.digitEps2 = String(rr.eps[1]);
      const f = (e) => (e == null ? '∞' : sig3(e));
      this.digitText.textContent = `Digit ${digit} (label ${rp.label}): plain says ${rp.class}, ε̂₂ = ${f(rp.eps[1])}, ε̂∞ = ${f(rp.eps[2])};`
        + ` ${model} says ${rr.class}, ε̂₂ = ${f(rr.eps[1])}, ε̂∞ = ${f(rr.eps[2])}. Each map is the same for every input within its ε̂ ball.`;
      this.refreshNotice();
    } catch (e) {
      this.fail('The digit could not be analysed', e, this.digitText);
    }
  }

  notice() {
    const out = [];
    const v = this.values;
    if (this.pm && this.regions) {
      out.push(v.lambda > 0
        ? `With λ = ${v.lambda} the loss pushes the ${v.gamma}% of neurons closest to each training point away from it (up to C = ${v.c}); watch the regions around the data grow while training.`
        : 'λ = 0 is plain training: nothing keeps region boundaries away from the data.');
      const e2 = this.pm.eps[1];
      if (e2 != null) out.push(`The inspected point's ℓ2 ball has radius ${sig3(e2)}; the ℓ1 ball (radius ${sig3(this.pm.eps[0])}) and ℓ∞ ball (${sig3(this.pm.eps[2])}) each touch the nearest region edge.`);
    }
    const m = this.shipped;
    if (m) {
      const plain = m.models[0];
      const best = m.models.reduce((a, b) => (b.margins.l2.p50 > a.margins.l2.p50 ? b : a));
      out.push(`On the digits, ${best.id} has a ${(best.margins.l2.p50 / plain.margins.l2.p50).toFixed(1)}× larger median ε̂₂ than plain training at ${(100 * best.test_acc).toFixed(1)}% vs ${(100 * plain.test_acc).toFixed(1)}% test accuracy.`);
    }
    return out;
  }

  fidelity() {
    const m = this.shipped;
    const plain = m?.models[0];
    const best = m?.models.reduce((a, b) => (b.margins.l2.p50 > a.margins.l2.p50 ? b : a));
    return [
      ['ε̂_{x,p}', 'closed form', 'same; brute-force checked', '—'],
      ['digit net', '4 × 300 ReLU, MNIST', m ? `4 × ${m.how_made.dims[1]}, 8k digits` : '…', 'time budget'],
      ['Table 1 trend', 'larger margins, small accuracy cost', best ? `ε̂₂ ×${(best.margins.l2.p50 / plain.margins.l2.p50).toFixed(1)}, ${(100 * plain.test_acc).toFixed(1)}% → ${(100 * best.test_acc).toFixed(1)}%` : '…', 'paper\'s numbers not quoted (table not read)'],
      ['‖∇z‖ in training', 'random projection', `${m?.how_made.train.probes ?? '…'} random coordinates`, 'see docs'],
    ];
  }

  exports() {
    return [['CSV of the digit margins', () => {
      const m = this.shipped;
      if (!m) return;
      downloadText('paperlab-roll-digit-margins.csv', csvText([['model', 'lambda', 'test_acc', 'eps1_p50', 'eps2_p50', 'epsinf_p50'],
        ...m.models.map((e) => [e.id, e.roll.lambda, e.test_acc, e.margins.l1.p50, e.margins.l2.p50, e.margins.linf.p50])]));
    }]];
  }
}

export const mount = mountLab(RollLabPage);
