// The lottery lab's first-layer mask view: LeNet-300-100's 300 hidden units as 28×28 tiles (20 × 15) of the input
// weights each keeps, and a 28×28 map of the share of units keeping each pixel; and its panel, which shows the



import { h, pct } from '../ui/controls.js';
import { onSchemeChange } from '../ui/palette.js';
import { levelAtTarget } from './lottery-findings.js';

/** The mask colours, light and dark (ink = kept weight, bg = pruned weight, gap = lines between tiles), as the 18
 *  bytes the engine's `pictures` / `mask_pictures` take; the engine draws both, so a scheme change only repaints. */
export const MASK_PALETTES = new Uint8Array([
  0, 110, 80, 236, 238, 242, 255, 255, 255, // light: ink, background, gap
  31, 191, 143, 30, 33, 38, 21, 23, 27, // dark
]);

export class MaskView {
  constructor(canvas, heat) {
    Object.assign(this, { canvas, heat, pictures: null });
    canvas.width = 20 * 29 + 1;
    canvas.height = 15 * 29 + 1;
    heat.width = 28;
    heat.height = 28;
    this.unscheme = onSchemeChange(() => this.draw());
  }

  /** `pictures`: the engine's `{ light: { tiles, share }, dark: { tiles, share } }` of ImageData, or null (blank). */
  update(pictures) {
    this.pictures = pictures;
    this.draw();
  }

  /** Paints the pictures of the current scheme (no per-pixel work here: the engine drew them). */
  draw() {
    const dark = matchMedia('(prefers-color-scheme: dark)').matches;
    const pic = this.pictures?.[dark ? 'dark' : 'light'];
    const ctx = this.canvas.getContext('2d');
    const hctx = this.heat.getContext('2d');
    if (!pic) {
      const gap = MASK_PALETTES.subarray(dark ? 15 : 6, dark ? 18 : 9);
      for (const [c, el] of [[ctx, this.canvas], [hctx, this.heat]]) {
        c.fillStyle = `rgb(${gap.join(',')})`;
        c.fillRect(0, 0, el.width, el.height);
      }
      return;
    }
    ctx.putImageData(pic.tiles, 0, 0);
    hctx.putImageData(pic.share, 0, 0);
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
      this.view.update(run.mask.pictures);
      this.caption.textContent = `Your run: the mask of the network trained at level ${run.mask.level} `
        + `(${pct(run.mask.summary.kept / run.mask.summary.total)} of the first layer’s ${run.mask.summary.total.toLocaleString('en-US')} weights kept).`;
      return;
    }
    const level = this.targetLevel();
    const m = await this.at(level);
    if (page.run?.mask || level !== this.targetLevel()) return;
    this.view.update(m?.pictures || null);
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
      const pictures = (await this.masks.call('pictures', [level, MASK_PALETTES])).value;
      const summary = (await this.masks.call('summary', [level])).value;
      this.cache.set(level, { pictures, summary });
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
