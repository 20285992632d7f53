// The lottery lab's first-layer mask view: LeNet-300-100's 300 hidden units as 28×28 tiles (20 × 15) of the input
// weights each keeps, and a 28×28 map of the share of units keeping each pixel. It only paints: the mask bytes and
// the per-pixel shares come from the engine (LotteryMasks / LotteryVision, src/labs/lottery/page.rs).

import { onSchemeChange } from '../ui/palette.js';

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
