// The lottery lab's first-layer mask view: LeNet-300-100's 300 hidden units as 28×28 tiles (20 × 15) of the input
// weights each keeps, and a 28×28 map of the share of units keeping each pixel; and its panel, which shows the
// user's run's latest mask or else the shipped winning ticket's at the level of the target. It only paints: the
// mask bytes and the per-pixel shares come from the engine (LotteryMasks / LotteryVision, src/labs/lottery/page.rs).

import { h, pct } from '../ui/controls.js';
import { onSchemeChange } from '../ui/palette.js';
import { levelAtTarget } from './lottery-findings.js';

export class MaskView {
  constructor(canvas, heat) {
    Object.assign(this, { canvas, heat, cols: 20, rows: 15, mask: null, share: null });
    canvas.width = this.cols * 29 + 1;
    canvas.height = this.rows * 29 + 1;
    heat.width = 28;
    heat.height = 28;
    this.unscheme = onSchemeChange(() => this.draw());
  }

  /** `mask`: 300 × 784 bytes, unit-major, nonzero = kept; `share`: 784 shares of units keeping each pixel. */
  update(mask, share) {
    this.mask = mask;
    this.share = share;
    this.draw();
  }

  draw() {
    const m = this.mask;
    const ctx = this.canvas.getContext('2d');
    const dark = matchMedia('(prefers-color-scheme: dark)').matches;
    const img = ctx.createImageData(this.canvas.width, this.canvas.height);
    const bg = dark ? [30, 33, 38] : [236, 238, 242];
    const gap = dark ? [21, 23, 27] : [255, 255, 255];
    const ink = dark ? [31, 191, 143] : [0, 110, 80];
    for (let p = 0; p < img.data.length; p += 4) img.data.set([...gap, 255], p);
    if (m) {
      for (let u = 0; u < 300; u++) {
        const ox = (u % this.cols) * 29 + 1;
        const oy = Math.floor(u / this.cols) * 29 + 1;
        for (let i = 0; i < 784; i++) {
          const at = 4 * ((oy + Math.floor(i / 28)) * this.canvas.width + ox + (i % 28));
          img.data.set([...(m[u * 784 + i] ? ink : bg), 255], at);
        }
      }
    }
    ctx.putImageData(img, 0, 0);
    const hctx = this.heat.getContext('2d');
    const himg = hctx.createImageData(28, 28);
    for (let i = 0; i < 784; i++) {
      // Sequential: background to ink (square root: a few units keeping a pixel are visible).
      const t = Math.sqrt(this.share?.[i] ?? 0);
      himg.data.set([...[0, 1, 2].map((k) => Math.round(bg[k] + (ink[k] - bg[k]) * t)), 255], 4 * i);
    }
    hctx.putImageData(himg, 0, 0);
  }

  destroy() {
    this.unscheme();
  }
}

/** The mask panel of the lottery page (vision only): `el` goes into the page; `page` is the LotteryLab (its
 *  setting, values, shipped setting `sh`, user's `run`, `refreshNotice`). */
export class MaskPanel {
  constructor(page) {
    this.page = page;
    this.cache = new Map();
    this.canvas = h('canvas', { class: 'mask-grid', role: 'img', 'aria-label': 'first-layer mask, one 28 by 28 image per hidden unit' });
    this.heat = h('canvas', { class: 'mask-heat', role: 'img', 'aria-label': 'how many units keep each input pixel' });
    this.caption = h('p', { class: 'sub', 'data-testid': 'mask-caption' }, 'Loading the masks…');
    this.el = h('section', { class: 'panel mask-panel' }, h('h2', {}, 'First-layer mask of LeNet-300-100'),
      h('div', { class: 'mask-row' },
        h('figure', {}, this.canvas, h('figcaption', {}, '300 hidden units, each a 28×28 image of the input weights it keeps (ink)')),
        h('figure', {}, this.heat, h('figcaption', {}, 'how many of the 300 units keep each pixel'))),
      this.caption);
  }

  mounted() {
    this.view = new MaskView(this.canvas, this.heat);
  }

  /** The shipped level whose mask goes with the current target (the first at or below it), or -1. */
  targetLevel() {
    return levelAtTarget(this.page.sh?.series?.ticket?.points || [], this.page.values.target / 100);
  }

  /** Opens the shipped masks in the engine and shows the one of the current target (or says why not). */
  async load(engine) {
    const file = this.page.shipped?.settings?.vision?.artifacts?.masks;
    if (!file) this.error = 'the manifest lists no mask file';
    else {
      this.masks = engine.lab('lottery:masks', 'LotteryMasks', [new URL(file, new URL('../models/lottery/', import.meta.url)).href]);
      await this.masks.open().catch((e) => { this.error = e.message; });
    }
    await this.draw();
  }

  /** The mask shown: the user's run's latest, else the shipped ticket's at the level nearest the target. */
  async draw() {
    const page = this.page;
    this.el.hidden = !page.setting.mask;
    if (!page.setting.mask) return;
    const run = page.run;
    if (run?.mask) {
      this.view.update(run.mask.data, run.mask.summary.pixel_share);
      this.caption.textContent = `Your run: the mask of the network trained at level ${run.mask.level} `
        + `(${pct(run.mask.summary.kept / run.mask.summary.total)} of the first layer’s ${run.mask.summary.total.toLocaleString('en-US')} weights kept).`;
      return;
    }
    const level = this.targetLevel();
    const m = await this.at(level);
    if (page.run?.mask || level !== this.targetLevel()) return;
    this.view.update(m?.data || null, m?.summary.pixel_share);
    this.caption.textContent = m
      ? `Precomputed winning ticket (seed 1, 20% per round) at level ${level}: ${pct(m.summary.kept / m.summary.total)} of the `
        + 'first layer’s weights kept. Move the target slider to see other rounds; press run to watch your own masks form.'
      : this.error ? `The precomputed masks could not be loaded: ${this.error}.` : 'Loading the precomputed masks…';
    page.refreshNotice();
  }

  /** The mask whose summary "What to notice" describes: the user's run's, else the shipped one of the target (if
   *  loaded), or undefined. */
  shown() {
    return this.page.run?.mask || this.cache.get(this.targetLevel());
  }

  /** The shipped mask of `level` and its summary from the engine (cached), or null (not loaded / failed). */
  async at(level) {
    if (this.cache.has(level)) return this.cache.get(level);
    if (!this.masks || level < 0 || this.error) return null;
    try {
      const [data, summary] = [(await this.masks.call('mask', [level])).value, (await this.masks.call('summary', [level])).value];
      this.cache.set(level, { data, summary });
      return this.cache.get(level);
    } catch (e) {
      if (!this.error) this.error = e.message;
      return null;
    }
  }

  destroy() {
    this.view?.destroy();
  }
}
