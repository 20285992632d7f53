// The template lab: the smallest complete lab page, copied by `make new-lab NAME=x` (README, "Adding a lab").
//
// A page is a declaration plus a few hooks of LabPage (www/ui/labpage.js): the settings table (controls, URL hash
// and notes are generated from it), the views, what to open in the engine, and what to draw when the settings
// change. It does no math: the curve and the Monte-Carlo estimate come from the engine's TemplateLab
// (src/wasm/_template.rs → src/labs/_template/). Long work goes through LiveRun (progress, time left, cancel).
//
// Test hooks: body[data-ready="1"] once the first live curve is drawn; #lab[data-run-status] for the live run;
// [data-testid=readout] holds the slope σ'(0) = k/4 read off the engine's curve.

import { h, progress } from '../ui/controls.js';
import { LabPage, mountLab, panel, downloadText, csvText } from '../ui/labpage.js';
import { LiveRun } from '../ui/liverun.js';
import { CurvePlot } from '../ui/plots.js';

const GRID = 101;

class TemplateLab extends LabPage {
  spec() {
    return [
      { name: 'k', type: 'number', min: 0.1, max: 10, step: 0.1, default: 2, label: 'Steepness k', hint: 'y = σ(k·x); arrow keys step 0.1, shift+arrows 1' },
      { name: 'samples', type: 'int', min: 1000, max: 1000000000, default: 200000, label: 'Monte-Carlo samples' },
      { name: 'seed', type: 'int', min: 0, max: 999999, default: 1, label: 'Seed', random: true },
      { name: 'embed', type: 'bool', default: false, share: false, hidden: true },
    ];
  }

  build() {
    this.plotBox = h('div', { class: 'plot', 'aria-label': 'the logistic curve' });
    this.readout = h('p', { class: 'readout', 'data-testid': 'readout', 'aria-live': 'polite' });
    this.runBtn = h('button', { type: 'button', class: 'run', 'data-testid': 'run' });
    this.runError = h('div', { class: 'error', hidden: true, 'data-testid': 'run-error' });
    this.runText = h('p', { class: 'readout', 'data-testid': 'estimate' });
    this.bar = progress({ unit: 'samples' });
    this.run = this.liveRun(new LiveRun({
      root: this.root, progress: this.bar, button: this.runBtn, error: this.runError,
      labels: { run: 'estimate live', cancel: 'cancel' }, startN: 1000,
    }));
    this.runBtn.addEventListener('click', () => this.run.toggle(() => this.job()));
    return {
      left: [h('div', { class: 'control run-box' }, h('label', {}, 'Fraction of x with σ(k·x) > 0.9'),
        this.runBtn, this.bar.el, this.runError)],
      main: [panel('The logistic curve σ(k·x)', this.plotBox, this.readout),
        panel('Monte-Carlo estimate vs the closed form (5 − ln 9 / k) / 10', this.runText)],
    };
  }

  async openEngine(engine) {
    // Real labs pass their model/data URLs (the worker fetches them as bytes); this one only the grid size.
    this.lab = engine.lab('template', 'TemplateLab', [], [GRID]);
    await this.lab.open();
    this.xs = Array.from((await this.lab.call('xs', [])).value);
  }

  async firstLive() {
    await this.draw();
  }

  changed(prev) {
    if (!this.plot) {
      // this.view(): destroyed with the page.
      this.plot = this.view(new CurvePlot(this.plotBox, {
        xLabel: 'x', yLabel: 'σ(k·x)', xRange: [-5, 5], yRange: () => [0, 1],
        series: [{ key: 'y', label: 'σ(k·x)', color: 'ibp', width: 2 }],
      }));
    }
    if (prev && prev.k !== this.values.k) this.run.cancel('k changed');
    if (this.xs) this.draw();
  }

  async draw() {
    const k = this.values.k;
    try {
      const { value } = await this.lab.call('curve', [k]);
      if (k !== this.values.k) return;
      this.ys = Array.from(value);
      this.plot.update(this.xs, [this.ys]);
      // σ'(0) read off the curve by a central difference on the grid.
      const i = (GRID - 1) / 2;
      this.slope = (this.ys[i + 1] - this.ys[i - 1]) / (this.xs[i + 1] - this.xs[i - 1]);
      this.readout.textContent = `slope at 0 ≈ ${this.slope.toFixed(3)} (k/4 = ${(k / 4).toFixed(3)})`;
      this.refreshNotice();
    } catch (e) {
      this.fail('The curve could not be computed', e, this.readout);
    }
  }

  job() {
    const v = this.values;
    return {
      begin: async () => (await this.lab.call('start', [v.k, v.samples, v.seed])).value,
      step: async (n) => {
        const { value, ms } = await this.lab.call('step', [n]);
        return { ...value, done: value.samples, ms };
      },
      onStep: (r) => {
        this.estimate = r;
        this.runText.textContent = `${(100 * r.fraction).toFixed(2)}% ± ${(100 * r.std_error).toFixed(2)} after `
          + `${r.samples.toLocaleString('en-US')} samples; exact ${(100 * r.exact).toFixed(2)}%`;
        this.refreshNotice();
      },
      finish: (r) => `${r.samples.toLocaleString('en-US')} samples`,
    };
  }

  notice() {
    const out = [];
    if (Number.isFinite(this.slope)) {
      out.push(this.values.k >= 4
        ? `At k = ${this.values.k} the curve is nearly a step: it rises from 0.1 to 0.9 within ${(2 * Math.log(9) / this.values.k).toFixed(2)} of x = 0.`
        : `At k = ${this.values.k} the curve is gentle: it takes ${(2 * Math.log(9) / this.values.k).toFixed(2)} units of x to rise from 0.1 to 0.9.`);
    }
    const r = this.estimate;
    if (r && r.samples > 0) {
      const z = Math.abs(r.fraction - r.exact) / Math.max(r.std_error, 1e-9);
      out.push(z <= 3
        ? `The estimate is within ${z.toFixed(1)} standard errors of the closed form.`
        : `The estimate is ${z.toFixed(1)} standard errors from the closed form — more samples needed.`);
    }
    return out;
  }

  fidelity() {
    return [['model', 'σ(k·x)', 'σ(k·x)', 'the same formula (a template)']];
  }

  exports() {
    return [['CSV of the curve', () => downloadText(`paperlab-template-k${this.values.k}.csv`,
      csvText([['x', 'y'], ...(this.xs || []).map((x, i) => [x, this.ys?.[i]])]))]];
  }
}

export const mount = mountLab(TemplateLab);
