// One test digit under a perturbation budget: the image, the adversarial image an attack found and its
// perturbation (three 28×28 canvases), and the certified margin intervals per class (IntervalBars). A view: it
// draws what it is given and does no math beyond reading the bounds. Used by the verify lab.
//
// Test ids: digit-verdict (the certified / not certified line), digit-error (shown instead of the view).

import { h, sig3 } from './controls.js';
import { IntervalBars, ImageView } from './plots.js';

export class DigitBounds {
  constructor() {
    const cv = (label) => h('canvas', { class: 'digit', 'aria-label': label });
    const [img, adv, delta] = [cv('the selected test digit'), cv('the PGD adversarial image'), cv('the perturbation found by PGD')];
    this.cap = { digit: h('figcaption', {}, 'loading the digit…'), adv: h('figcaption', {}, 'PGD adversarial image'), delta: h('figcaption', {}, 'perturbation (blue −, red +)') };
    const barsCanvas = h('canvas', { class: 'bars', 'aria-label': 'margin bounds per class' });
    this.verdict = h('p', { class: 'sub', 'data-testid': 'digit-verdict' }, '');
    this.error = h('div', { class: 'error', hidden: true, 'data-testid': 'digit-error' });
    this.row = h('div', { class: 'digit-row' },
      h('figure', {}, img, this.cap.digit), h('figure', {}, adv, this.cap.adv), h('figure', {}, delta, this.cap.delta));
    this.barsBox = h('div', { class: 'bars-box' }, h('h3', {}, 'Certified margin intervals'), this.verdict, barsCanvas,
      h('p', { class: 'legend' },
        h('span', { class: 'sw good' }), ' lower bound > 0: class j can never beat the true class (✓) ',
        h('span', { class: 'sw bad' }), ' not certified (✗) ',
        h('span', { class: 'tick' }, '|'), ' clean margin ',
        h('span', { class: 'diamond' }, '◇'), ' margin PGD reached'));
    this.nodes = [this.row, this.error, this.barsBox];
    this.img = new ImageView(img, 28, 28);
    this.adv = new ImageView(adv, 28, 28);
    this.delta = new ImageView(delta, 28, 28);
    this.bars = new IntervalBars(barsCanvas, {
      rowLabel: (j) => (j === this.label ? `${j} (true)` : `vs ${j}`),
      xLabel: 'margin z_y − z_j  (signed log scale)',
      skipText: 'true class',
    });
  }

  /**
   * Draws digit `index` (`img`: 784 bytes 0–255, `label`) with its bounds `b` (30 floats: lower bounds, upper bounds
   * and clean values of the margins z_y − z_j) at radius `eps` by `by` (the method's name), and, if given, the attack
   * `p` of `steps` steps (10 adversarial margins, then the 784-pixel adversarial image in [0, 1]).
   */
  draw({ index, img, label, b, eps, by, p, steps }) {
    const y = label;
    this.label = y;
    const [lb, ub, clean] = [0, 10, 20].map((o) => Array.from(b.subarray(o, o + 10)));
    const argmin = (m) => m.reduce((best, x, j) => (x < m[best] ? j : best), y);
    const pred = argmin(clean);
    this.img.gray(img, 1);
    this.cap.digit.textContent = `test digit ${index} · label ${y} · predicted ${pred}${pred === y ? ' ✓' : ' ✗'}`;
    const others = lb.filter((_, j) => j !== y);
    const verified = pred === y && others.every((x) => x > 0);
    this.verdict.replaceChildren(
      h('strong', { class: verified ? 'good' : 'bad' }, verified ? '✓ certified robust' : '✗ not certified'),
      ` at ε = ${eps.toFixed(3)} by ${by}: the smallest lower bound is ${sig3(Math.min(...others))}${verified ? ' > 0' : ' ≤ 0'}.`);
    let mark = null;
    if (p) {
      mark = Array.from(p.subarray(0, 10));
      const aimg = p.subarray(10, 10 + 784);
      const apred = argmin(mark);
      this.adv.gray(aimg, 255);
      const delta = new Float32Array(784);
      for (let i = 0; i < 784; i++) delta[i] = aimg[i] - img[i] / 255;
      this.delta.signed(delta, Math.max(eps, 1e-6));
      this.cap.adv.textContent = `PGD-${steps} at ε = ${eps.toFixed(3)} · predicted ${apred}${apred === y ? ' ✓' : ' ✗ attack succeeded'}`;
      this.cap.delta.textContent = pred !== y
        ? 'no perturbation needed: the digit is misclassified without one'
        : `perturbation, ±${eps.toFixed(3)} (blue −, red +)`;
    }
    this.bars.update({ lo: lb, hi: ub, tick: clean, mark, skip: [y] });
  }

  /** Shows `msg` instead of the view (null: the view again). */
  showError(msg) {
    this.error.textContent = msg || '';
    this.error.hidden = !msg;
    this.row.hidden = !!msg;
    this.barsBox.hidden = !!msg;
  }

  reset() {
    this.bars.reset();
  }

  destroy() {
    this.bars.destroy();
  }
}
