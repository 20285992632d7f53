// The verify lab: CROWN-IBP (Zhang et al., ICLR 2020) on small MNIST networks.
//
// A LabPage (www/ui/labpage.js): settings declared once in spec(); the full-test-set verification and the PGD
// attack are LiveRuns. The engine's VerifyLab (src/wasm/verify.rs) computes the margin bounds, PGD attacks and
// verified errors; the precomputed curves come from www/models/verify/manifest.json and are drawn before the
// engine has loaded. "What to notice" is worded from those numbers by verify-findings.js; the digit view is
// www/ui/digitbounds.js.
//
// Test hooks (data attributes, all on #lab):
//   data-live-status   running | done | error    the full-test-set verified error at the current settings
//   data-live-key      model|eps|method|beta|slope that the done result belongs to (beta is 1 unless the method is
//                      crown-ibp; slope is "-" for ibp, which has no lower slope)
//   data-live-n, data-live-clean-errors, data-live-verified-errors     its counts
//   data-pgd-status, data-pgd-key (model|eps|steps|seed), data-pgd-n, data-pgd-errors   the same for the live PGD error
//   data-digit-status  running | done | error            the selected digit's bounds
// and body[data-ready="1"] once the engine, the first live result and the digit are in (or failed).

import { h, progress, pct } from '../ui/controls.js';
import { serialiseState } from '../ui/state.js';
import { LabPage, mountLab, panel, csvButton, pngButton, fetchJson, mnistCredit } from '../ui/labpage.js';
import { LiveRun, rangeJob } from '../ui/liverun.js';
import { CurvePlot } from '../ui/plots.js';
import { DigitBounds } from '../ui/digitbounds.js';
import { methodKey } from '../ui/palette.js';
import { usesSlope, metricAt, curves, noticeSentences, fidelityNote } from './verify-findings.js';
import { METHODS, SLOPES, SLOPE_TIP, SERIES, nameOf, options, methodLabel, liveKey, pgdKey, csvRows } from './verify-data.js';
import { TrainingPanel, fidelityCard } from './verify-panels.js';

const MANIFEST_URL = new URL('../models/verify/manifest.json', import.meta.url);
const MODELS_DIR = new URL('../models/verify/', import.meta.url);
// The 2,000 test digits alone: verification never trains, so the 8,000 training digits are not downloaded.
const DATA_URL = new URL('../data/mnist-test-2k.safetensors.gz', import.meta.url);

// Digits per engine call: LiveRun sizes each call to take about 40 ms, so a digit-view request waits behind at
// most one short call. Inside a call the engine splits the digits into blocks run in parallel (verify_range: 8
// digits for CROWN, 64 otherwise; pgd_range: 64), so on the threads build a call is a whole number of rounds of
// `threads` blocks. The result never depends on the split (PGD is seeded per digit index).
const PGD_DEFAULTS = { steps: 20, seed: 2019 };
const STARTING = 'Starting the WebAssembly engine… the curves above are the precomputed results.';

/** A findings sentence (strings and `{ b, color }` parts, see verify-findings.js) as a paragraph. */
const rich = (parts) => h('p', {}, ...parts.map((x) => (typeof x === 'string' ? x : h('b', { style: x.color ? `color: var(--c-${x.color})` : null }, x.b))));

/** The default model, the first of these that is shipped. */
const DEFAULT_MODELS = ['cnn-crownibp-s1', 'mlp-crownibp'];

class VerifyLab extends LabPage {
  spec() {
    const ids = this.shipped ? this.shipped.models.map((m) => m.id) : [];
    // The CROWN-IBP-trained CNN is the default: its verified error is about half the MLP's at every ε
    // (docs/labs/verify.md); the MLPs stay in the menu as the faster view.
    const def = DEFAULT_MODELS.find((id) => ids.includes(id)) || ids[0] || '';
    // PGD defaults: those of the precomputed curves, so the live PGD point lands on the curve.
    const cfg = this.shipped?.models.find((m) => m.id === def)?.config || {};
    const ok = (x, lo, hi) => Number.isInteger(x) && x >= lo && x <= hi;
    const nTest = this.nTest;
    const asked = this.params?.get('model') || '';
    return [
      { name: 'eps', type: 'number', min: 0, max: 0.45, step: 0.005, default: 0.3, label: 'ε — perturbation radius', unit: 'L∞, pixels in [0, 1]',
        format: (x) => x.toFixed(3), hint: 'Arrow keys step 0.005, shift+arrows 0.05.' },
      { name: 'method', type: 'enum', values: METHODS.map((m) => m.value), default: 'crown-ibp', label: 'Bound method',
        options: options(METHODS) },
      { name: 'beta', type: 'number', min: 0, max: 1, step: 0.05, default: 1, label: 'β — CROWN-IBP weight', format: (x) => x.toFixed(2),
        hint: 'β = 1 is CROWN-IBP, β = 0 is IBP; bounds in between are mixed.', visible: (v) => v.method === 'crown-ibp' },
      { name: 'slope', type: 'enum', values: SLOPES.map((x) => x.value), default: 'adaptive', label: 'CROWN lower slope', title: SLOPE_TIP,
        options: options(SLOPES), visible: (v) => usesSlope(v.method),
        hint: 'α·z below a ReLU with l < 0 < u. The curves use the adaptive slope; other slopes are live only.' },
      // Without a model list the model cannot be checked; keep what the URL says.
      { name: 'model', type: 'enum', values: this.shipped ? ids : [asked], default: this.shipped ? def : asked, what: 'model', label: 'Model',
        options: (this.shipped?.models || []).map((m) => ({ value: m.id, label: m.label || m.id })) },
      // Default digit 18: correctly classified by every shipped model, so its attack and perturbation panels show something.
      { name: 'digit', type: 'int', min: 0, max: nTest - 1, default: Math.min(18, nTest - 1), label: 'Test digit', random: true,
        hint: `one of the ${nTest.toLocaleString('en-US')} test digits` },
      { name: 'steps', type: 'int', min: 1, max: 200, default: ok(cfg.pgd_steps, 1, 200) ? cfg.pgd_steps : PGD_DEFAULTS.steps, label: 'PGD steps',
        hint: 'step size 2.5·ε / steps, random start' },
      { name: 'seed', type: 'int', min: 0, max: 999999, default: ok(cfg.pgd_seed, 0, 999999) ? cfg.pgd_seed : PGD_DEFAULTS.seed, label: 'PGD seed', random: true },
      { name: 'embed', type: 'bool', default: false, share: false, hidden: true },
    ];
  }

  parse(params) {
    this.params = params;
    return super.parse(params);
  }

  build() {
    const el = this.el;
    Object.assign(this, { nTest: 2000, liveCache: new Map(), pgdCache: new Map(), digitCache: new Map(), slopeQueue: Promise.resolve() });
    el.plotBox = h('div', { class: 'plot', 'aria-label': 'error versus epsilon plot' });
    el.plotMsg = h('div', { class: 'plot-msg', hidden: true });
    el.readout = h('div', { class: 'readout', 'data-testid': 'readout', 'aria-live': 'polite' }, STARTING);
    el.progress = progress({ unit: 'test digits' });
    el.liveError = h('div', { class: 'error', hidden: true, 'data-testid': 'live-error' });
    el.fidNote = h('p', { class: 'sub' });
    this.verifyRun = this.liveRun(new LiveRun({ progress: el.progress, error: el.liveError, targetMs: 40, startN: 8, maxN: 500 }));
    this.pgdRun = this.liveRun(new LiveRun({ error: el.liveError, targetMs: 40, startN: 8, maxN: 500 }));
    this.digitView = new DigitBounds();
    el.footData.append(...mnistCredit());
    const digitPanel = panel('One test digit', ...this.digitView.nodes);
    digitPanel.classList.add('digit-panel');
    this.training = this.part(new TrainingPanel());
    return {
      main: [panel('Error on the 2,000 test digits vs ε', el.plotBox, el.plotMsg, h('div', { class: 'live' }, el.readout, el.progress.el, el.liveError)), digitPanel, this.training.el],
    };
  }

  mounted() {
    this.plot = this.view(new CurvePlot(this.el.plotBox, {
      xLabel: 'ε (L∞ radius, pixels in [0, 1])', xLabelShort: 'ε', xFormat: (x) => x.toFixed(3), yLabel: 'error on test digits (%)',
      xRange: [0, 0.45], yRange: () => [0, 100], ySuffix: '%', markerLabel: 'ε', series: SERIES,
    }));
    this.view(this.digitView);
    this.disposers.push(() => clearTimeout(this.liveTimer));
  }

  async loadShipped() {
    const json = await fetchJson(MANIFEST_URL, 'the model list (www/models/verify/manifest.json)');
    const models = (Array.isArray(json?.models) ? json.models : [])
      .filter((m) => m && typeof m.id === 'string' && typeof m.file === 'string')
      .filter((m) => !m.lab || m.lab === 'verify');
    if (!models.length) throw new Error('the model list (www/models/verify/manifest.json) has no models');
    return { ...json, models };
  }

  async openEngine() {
    await this.selecting;
  }

  async firstLive() {
    this.engineUp = true;
    this.digitDirty = true;
    await Promise.all([this.runDigit(), this.startLive()]);
  }

  engineFailed(e) {
    this.failLive(`The WebAssembly engine could not start: ${e.message}`);
  }

  restarted() {
    this.liveInfo = null;
    this.pgdInfo = null;
    this.scheduleDigit();
    this.scheduleLive();
  }

  changed(prev) {
    const v = this.values;
    if (!prev || prev.model !== v.model) this.selecting = this.selectModel();
    if (!prev || prev.model !== v.model || prev.digit !== v.digit) this.digitView.reset();
    this.el.fidNote.textContent = fidelityNote(this.robust(), v.eps);
    this.drawCurves();
    if (!this.engineUp) return;
    this.scheduleDigit();
    this.scheduleLive();
  }

  get model() {
    return this.shipped?.models.find((m) => m.id === this.values.model) || null;
  }

  robust() {
    const models = this.shipped?.models || [];
    return DEFAULT_MODELS.map((id) => models.find((m) => m.id === id)).find(Boolean) || models.find((m) => /crown-?ibp/.test(m.id));
  }

  liveKey(v = this.values) {
    return liveKey(v);
  }

  pgdKey(v = this.values) {
    return pgdKey(v);
  }

  // ---------------------------------------------------------------- "What to notice", fidelity
  notice() {
    return noticeSentences(this.shipped?.models || [], this.values).map(rich);
  }

  fidelity() {
    return fidelityCard(this.robust(), this.nTest, this.el.fidNote);
  }

  // ---------------------------------------------------------------- precomputed curves and the live points
  drawCurves() {
    if (this.shipped) this.training.draw(this.shipped.models);
    const v = this.values;
    const { eps, ys } = curves(this.model, SERIES);
    this.plot.update(eps, ys);
    this.plot.setEmphasis(methodKey(v.method));
    this.plot.setMarker(v.eps);
    this.el.plotMsg.hidden = eps.length > 0;
    if (!eps.length) {
      this.el.plotMsg.textContent = this.shippedError ? `No precomputed curves: ${this.shippedError}` : 'The model list has no precomputed curves for this model.';
    }
    this.drawLive();
  }

  drawLive() {
    const v = this.values;
    const pts = [];
    const pgd = this.pgdCache.get(this.pgdKey());
    if (pgd) pts.push({ x: v.eps, y: (100 * pgd.errors) / pgd.n, color: 'pgd', shape: 'diamond' });
    const live = this.liveCache.get(this.liveKey());
    const mk = methodKey(v.method);
    if (live) pts.push({ x: v.eps, y: (100 * live.verified) / live.n, color: mk, label: pct(live.verified / live.n) });
    else if (this.liveInfo?.key === this.liveKey()) pts.push({ x: v.eps, y: null, color: mk, pending: true, progress: this.liveInfo.done / this.liveInfo.total });
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
    const hnd = this.engine.lab(`verify:${model.id}`, 'VerifyLab', [new URL(model.file, MODELS_DIR).href, DATA_URL.href]);
    this.handle = hnd;
    try {
      await hnd.open({ retry: true });
      if (this.handle !== hnd) return;
      const n = (await hnd.call('n_test')).value;
      if (Number.isFinite(n) && n > 0 && n !== (this.nTest)) {
        this.nTest = n;
        this.update(new URLSearchParams(serialiseState(this.specList, this.values)));
        this.makeControls();
        this.refreshFidelity();
      }
    } catch (e) {
      if (this.handle !== hnd) return;
      const why = String(e.message || e).trim().replace(/[.\s]*$/, '.');
      this.openError = `Could not load the model “${model.label || model.id}”: ${why} `
        + 'Choose another model in the Model menu; the precomputed curves above still come from the model list.';
    }
  }

  /** The open handle of the shown model, or throws the reason it could not be opened. */
  async opened() {
    const hnd = this.handle;
    if (!hnd) throw new Error(this.openError || 'No model selected.');
    try {
      await hnd.open();
    } catch (e) {
      await this.selecting;
      throw new Error(this.openError || e.message);
    }
    return hnd;
  }

  scheduleLive() {
    clearTimeout(this.liveTimer);
    this.verifyRun.cancel('settings changed');
    this.pgdRun.cancel('settings changed');
    this.showLive();
    if (this.liveCache.has(this.liveKey()) && this.pgdCache.has(this.pgdKey())) return;
    this.liveTimer = setTimeout(() => this.startLive(), 120);
  }

  async startLive() {
    const v = this.values;
    let hnd;
    try {
      hnd = await this.opened();
    } catch (e) {
      if (this.values === v) this.failLive(e.message);
      return;
    }
    if (this.values !== v) return;
    this.el.liveError.hidden = true;
    const threads = this.engine.backend?.threads || 1;
    const unit = (block) => (threads > 1 ? block * threads : 8);
    if (!this.liveCache.has(this.liveKey(v))) {
      const beta = v.method === 'crown-ibp' ? v.beta : 1;
      const job = this.rangeJob(v, 'liveInfo', this.liveKey(v), unit(v.method === 'crown' ? 8 : 64),
        (s, e) => this.boundsCall(hnd, 'verify_range', [s, e, v.eps, v.method, beta], v.method, v.slope),
        { clean: 0, verified: 0 }, (acc, x) => { acc.clean += x[1]; acc.verified += x[2]; }, this.liveCache);
      job.finish = (r) => `${r.acc.n.toLocaleString('en-US')} test digits verified in ${(r.acc.ms / 1000).toFixed(2)} s`;
      if ((await this.verifyRun.start(job)) !== 'done') return;
    }
    if (!this.pgdCache.has(this.pgdKey(v))) {
      await this.pgdRun.start(this.rangeJob(v, 'pgdInfo', this.pgdKey(v), unit(64), (s, e) => hnd.call('pgd_range', [s, e, v.eps, v.steps, v.seed]),
        { errors: 0 }, (acc, x) => { acc.errors += x[1]; }, this.pgdCache));
    }
  }

  /** A LiveRun job over the test digits (see rangeJob); `this[info]` is the progress the readout shows. */
  rangeJob(v, info, key, unit, call, acc, add, cache) {
    const mine = { key };
    this[info] = mine;
    return {
      ...rangeJob({ total: this.nTest, unit, call, add, acc, info: mine,
        onDone: (a) => { cache.set(key, a); this[info] = null; },
        onStep: () => { if (this.values === v) this.showLive(); } }),
      onError: (err) => {
        this[info] = null;
        if (this.values === v) this.failLive(err.message);
      },
    };
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

  failLive(msg) {
    Object.assign(this.root.dataset, { liveStatus: 'error', pgdStatus: 'error' });
    this.el.liveError.textContent = msg;
    this.el.liveError.hidden = false;
    this.el.progress.el.hidden = true;
    this.el.readout.textContent = 'No live result.';
    this.drawLive();
    this.failed = true;
  }

  showLive() {
    const v = this.values;
    const live = this.liveCache.get(this.liveKey());
    const pgd = this.pgdCache.get(this.pgdKey());
    const mname = methodLabel(v);
    const parts = [];
    const r = this.root.dataset;
    if (live) {
      Object.assign(r, { liveStatus: 'done', liveKey: this.liveKey(), liveN: String(live.n), liveCleanErrors: String(live.clean), liveVerifiedErrors: String(live.verified) });
      parts.push(h('span', { class: 'big', style: `color: var(--c-${methodKey(v.method)})` }, `verified error ${pct(live.verified / live.n)}`),
        ` with ${mname} at ε = ${v.eps.toFixed(3)} on all ${live.n.toLocaleString('en-US')} test digits`, h('br'), `clean error ${pct(live.clean / live.n)}`);
      this.el.progress.el.hidden = false;
      if (usesSlope(v.method) && v.slope !== 'adaptive') {
        const col = { crown: 'crown_err', 'crown-ibp': 'crownibp_err' }[v.method];
        const ada = v.method === 'crown' || v.beta === 1 ? metricAt(this.model, col, v.eps, true) : null;
        parts.push(h('br'), h('span', { class: 'sub' }, `Lower slope ${nameOf(SLOPES, v.slope, 'short')}: computed live only; the curves `
          + `use the adaptive slope${ada != null ? `, which gives ${pct(ada)} here` : ''}.`));
      }
    } else {
      r.liveStatus = 'running';
      parts.push(this.engine.backend ? `computing the verified error with ${mname} at ε = ${v.eps.toFixed(3)}…` : STARTING);
    }
    if (pgd) {
      Object.assign(r, { pgdStatus: 'done', pgdKey: this.pgdKey(), pgdN: String(pgd.n), pgdErrors: String(pgd.errors) });
      parts.push(' · ', h('span', { style: 'color: var(--c-pgd)' }, `PGD-${v.steps} error ${pct(pgd.errors / pgd.n)}`), ' (an attack: a lower bound on the true robust error)');
    } else if (live) {
      r.pgdStatus = 'running';
      const run = this.pgdInfo;
      parts.push(` · PGD-${v.steps} attack running${run && run.key === this.pgdKey() ? ` (${run.done} / ${run.total})` : ''}…`);
    }
    this.el.readout.replaceChildren(...parts);
    this.drawLive();
  }

  // ---------------------------------------------------------------- the digit view
  scheduleDigit() {
    this.digitDirty = true;
    this.root.dataset.digitStatus = 'running';
    if (!this.digitBusy) requestAnimationFrame(() => this.runDigit());
  }

  async runDigit() {
    if (this.digitBusy || !this.digitDirty) return;
    [this.digitBusy, this.digitDirty] = [true, false];
    const v = this.values;
    const stale = () => this.digitDirty || this.values !== v;
    try {
      const hnd = await this.opened();
      const dkey = `${v.model}|${v.digit}`;
      let d = this.digitCache.get(dkey);
      if (!d) {
        const [img, label] = await Promise.all([hnd.call('digit', [v.digit]), hnd.call('label', [v.digit])]);
        d = { img: img.value, label: label.value };
        this.digitCache.set(dkey, d);
      }
      const beta = v.method === 'crown-ibp' ? v.beta : 1;
      const b = (await this.boundsCall(hnd, 'digit_bounds', [v.digit, v.eps, v.method, beta], v.method, v.slope)).value;
      const draw = (p) => this.digitView.draw({ index: v.digit, img: d.img, label: d.label, b, eps: v.eps, by: methodLabel(v), p, steps: v.steps });
      if (!stale()) draw(null);
      if (!stale()) {
        const p = (await hnd.call('pgd_digit', [v.digit, v.eps, v.steps, v.seed])).value;
        if (!stale()) draw(p);
      }
      if (!stale()) {
        this.digitView.showError(null);
        this.root.dataset.digitStatus = 'done';
      }
    } catch (e) {
      if (!stale()) {
        this.digitView.showError(e.message);
        this.root.dataset.digitStatus = 'error';
        this.failed = true;
      }
    } finally {
      this.digitBusy = false;
      if (this.digitDirty) requestAnimationFrame(() => this.runDigit());
    }
  }

  // ---------------------------------------------------------------- export
  exports() {
    const v = () => this.values;
    return [
      csvButton('CSV of the plotted numbers', () => `paperlab-verify-${v().model}.csv`,
        () => csvRows(v().model, curves(this.model, SERIES), this.liveCache, this.pgdCache)),
      pngButton('PNG of the plot', () => `paperlab-verify-${v().model}-eps${v().eps.toFixed(3)}.png`, () => this.plot,
        () => `CROWN-IBP · ${this.model?.label || v().model} · ε = ${v().eps.toFixed(3)} · ${methodLabel(v())}`),
    ];
  }
}

export const mount = mountLab(VerifyLab, {
  head: {
    authors: 'Huan Zhang, Hongge Chen, Chaowei Xiao, Sven Gowal, Robert Stanforth, Bo Li, Duane Boning, Cho-Jui Hsieh',
    venue: 'ICLR 2020',
    link: 'arXiv:1906.06316',
    idea: 'Interval bounds (IBP) are cheap but loose and linear relaxations (CROWN) are tight but costly; bounding the '
      + 'network with IBP and only the last layer with CROWN, and training against that mix, gives networks whose '
      + 'robustness can be certified, not just attacked.',
  },
});
