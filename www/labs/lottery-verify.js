// The lottery page's certified-network panel: the verify lab's CROWN-IBP-trained MLP pruned once by magnitude
// (LotteryVerify, src/wasm/lottery.rs), its precomputed clean and verified errors vs weights remaining, and a live
// verification of every test digit at the level the page shows (a LiveRun; results cached per level, ε and bound).
//
// Test hooks (on #lab): data-verify-status (the LiveRun), data-verify-key level|eps|method, data-verify-n,
// data-verify-clean, data-verify-verified.

import { h, sig3, pct, progress } from '../ui/controls.js';
import { LiveRun, rangeJob } from '../ui/liverun.js';
import { BandPlot } from '../ui/bandplot.js';
import { C, col, X_AXIS } from './lottery-settings.js';
import { nearestIndex } from './lottery-data.js';

const VERIFY_MODEL_URL = new URL('../models/verify/mlp-crownibp.safetensors', import.meta.url);
// The panel only evaluates: it reads the 2,000 test digits alone (0.3 MB), not the training digits.
const TEST_DATA_URL = new URL('../data/mnist-test-2k.safetensors.gz', import.meta.url);

export class CertifiedPanel {
  /** `page`: the LotteryLab (its engine, values, shipped manifest, `shown()` level, `fail`, `liveRun`, `slot`). */
  constructor(page) {
    this.page = page;
    this.cache = new Map();
    this.box = h('div', { class: 'plot', 'aria-label': 'verified error versus weights remaining' });
    this.readout = h('div', { class: 'readout', 'data-testid': 'verify-readout' });
    this.error = h('div', { class: 'error', hidden: true, 'data-testid': 'verify-error' });
    const bar = progress({ unit: 'test digits' });
    this.run = page.liveRun(new LiveRun({ root: page.root, name: 'verify', progress: bar, error: this.error, startN: 250, maxN: 2000 }));
    this.el = h('section', { class: 'panel verify-panel' }, h('h2', {}, 'Prune a certified network (with the verify lab)'),
      h('p', { class: 'sub' }, 'The verify lab’s CROWN-IBP-trained MLP 784–256–256–10, pruned once by magnitude with the '
        + 'same per-layer rule (no retraining): how much of its certified robustness survives?'),
      Object.assign(page.slot('verify'), { className: 'controls row-controls' }), this.box, this.readout, bar.el, this.error);
  }

  /** Makes the plot (the panel is in the document). */
  mounted() {
    this.plot = new BandPlot(this.box, { ...X_AXIS, aspect: 0.4, yLabel: 'error on test digits (%)', ySuffix: '%',
      yRange: () => [0, 100],
      series: [{ key: 'clean', label: 'clean error', color: C.clean, dash: [6, 4] }, { key: 'ibp', label: 'verified: IBP', color: C.ibp },
        { key: 'crownibp', label: 'verified: CROWN-IBP', color: C.crownibp, dash: [8, 3] }] });
  }

  /** The engine did not start: say so in the panel. */
  engineFailed(e) {
    this.page.fail('No live verification', { message: `the engine could not start (${e.message})` }, this.error);
  }

  /** The certified network's precomputed level nearest the level shown, or null before the plan. */
  level() {
    const vm = this.page.shipped?.verify;
    const shown = this.page.shown();
    if (!Array.isArray(vm?.remaining) || !shown) return null;
    const i = Math.max(0, shown.certifiedIndex);
    return { level: vm.levels?.[i] ?? i, remaining: vm.remaining[i] };
  }

  key() {
    const l = this.level();
    const v = this.page.values;
    return l ? `${l.level}|${v.eps}|${v.vmethod}` : null;
  }

  /** Verifies the current level, ε and bound after a short pause (settings move in steps), unless it is known. */
  schedule() {
    clearTimeout(this.timer);
    const key = this.key();
    if (!key || this.cache.has(key) || (this.pending && this.pendingKey === key)) {
      this.draw();
      return;
    }
    this.timer = setTimeout(() => this.start(), 150);
  }

  /** Verifies the pruned certified network on every test digit at the current level, ε and bound (a LiveRun);
   *  resolves when it is done, failed or was replaced by a newer one. */
  start() {
    const key = this.key();
    if (this.pending && this.pendingKey === key) return this.pending; // already on it (opening the model, or verifying)
    this.pendingKey = key;
    const p = this.verify(key).finally(() => {
      if (this.pending === p) this.pending = null;
    });
    this.pending = p;
    return p;
  }

  async verify(key) {
    const page = this.page;
    if (!page.shipped?.verify) {
      page.fail('No pruned-network curves', { message: 'the manifest has no verify section' }, this.error);
      return;
    }
    if (!key || this.cache.has(key)) return;
    this.handle ||= page.engine.lab('lottery:verify', 'LotteryVerify', [VERIFY_MODEL_URL.href, TEST_DATA_URL.href]);
    let n;
    try {
      await this.handle.open();
      n = (await this.handle.call('n_test', [])).value;
    } catch (e) {
      page.fail('Could not load the verify lab’s model', e, this.error);
      return;
    }
    if (this.pendingKey !== key) return;
    const { level } = this.level();
    const { eps, vmethod } = page.values;
    const acc = { clean: 0, verified: 0 };
    const status = await this.run.start({
      ...rangeJob({ total: n, unit: 50, acc, call: (s, e) => this.handle.call('verify_range', [level, s, e, eps, vmethod]),
        add: (a, value) => Object.assign(a, { clean: a.clean + value[1], verified: a.verified + value[2] }),
        onDone: (a) => this.cache.set(key, { ...a }) }),
      finish: () => `${n.toLocaleString('en-US')} digits in ${(acc.ms / 1000).toFixed(2)} s`,
      onError: () => { page.failed = true; },
    });
    if (status === 'done') this.draw();
  }

  draw() {
    const page = this.page;
    const v = page.values;
    const vm = page.shipped?.verify;
    if (!Array.isArray(vm?.remaining)) {
      this.plot.update([], []);
      this.readout.textContent = 'No precomputed curves for the pruned certified network.';
      return;
    }
    // The precomputed ε nearest the chosen one.
    const e = nearestIndex(vm.eps, v.eps);
    const vEps = Number(Number(vm.eps[e]).toFixed(3));
    const p = (a) => a.map((x) => (Number.isFinite(x) ? x * 100 : null));
    this.plot.update(vm.remaining.map((r) => r * 100), [{ mean: p(vm.clean_err) }, { mean: p(vm.ibp_err[e]) }, { mean: p(vm.crownibp_err[e]) }]);
    const lvl = this.level();
    this.plot.setMarker(lvl ? lvl.remaining * 100 : null);
    const key = this.key();
    const live = this.cache.get(key);
    const name = v.vmethod === 'ibp' ? 'IBP' : 'CROWN-IBP';
    const mk = v.vmethod === 'ibp' ? 'ibp' : 'crownibp';
    this.plot.setLive(live ? [{ key: v.vmethod, color: C[mk], shape: 'diamond', points: [{ x: lvl.remaining * 100, y: (100 * live.verified) / live.n }],
      label: `ε = ${v.eps.toFixed(3)}: ${sig3((100 * live.verified) / live.n)}%` }] : []);
    if (live) {
      Object.assign(page.root.dataset, { verifyKey: key, verifyN: String(live.n), verifyClean: String(live.clean), verifyVerified: String(live.verified) });
      const t = page.shown().remaining;
      const aside = Math.abs(Math.log(lvl.remaining / t)) > 0.005 ? `(its precomputed level nearest the ${sig3(t * 100)}% above) ` : '';
      this.readout.replaceChildren(h('span', { class: 'big', style: `color: ${col(mk)}` }, `verified error ${pct(live.verified / live.n)}`),
        ` with ${name} at ε = ${v.eps.toFixed(3)}, pruned to ${sig3(lvl.remaining * 100)}% of its weights ${aside}`
        + `(clean error ${pct(live.clean / live.n)}), live on all ${live.n.toLocaleString('en-US')} test digits. Curves: precomputed at ε = ${vEps}.`);
    } else {
      this.readout.textContent = page.engine.backend && lvl
        ? `computing the verified error with ${name} at ε = ${v.eps.toFixed(3)}… (curves: precomputed at ε = ${vEps})`
        : `Starting the engine… the curves are precomputed at ε = ${vEps}.`;
    }
  }

  destroy() {
    clearTimeout(this.timer);
    this.plot?.destroy();
  }
}
