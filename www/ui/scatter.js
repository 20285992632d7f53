// A point cloud on a canvas (e.g. a 2-D embedding): groups of points, each with its colour, radius and opacity,
// on axes fitted (with a margin) to one reference group and kept while the same `key` is shown, so the other points
// visibly move off it when the data changes. Points outside the axes are drawn at the edge. Axis words in a corner.
//
//   this.cloud = new PointCloud(canvas, { xLabel: 'principal direction 1 →', yLabel: 'principal direction 2 →' });
//   this.cloud.paint(xy, { key: model, fit: [0, 1000], groups: [{ from: 0, to: 1000, colour: 'clean', r: 1.8, alpha: 0.35 }, ...] });

import { colors } from './palette.js';

export class PointCloud {
  constructor(canvas, { xLabel, yLabel, margin = 0.35 }) {
    Object.assign(this, { canvas, xLabel, yLabel, margin });
    this.range = null;
  }

  /** `xy`: interleaved x, y (Float32Array); `fit`: [from, to) of the points the axes are fitted to when `key`
   *  changes; `groups`: `[{ from, to, colour (a palette key), r (px), alpha }]`. */
  paint(xy, { key, fit, groups }) {
    this.last = { xy, key, fit, groups };
    const ctx = this.canvas.getContext('2d');
    const c = colors();
    const W = this.canvas.width;
    const H = this.canvas.height;
    ctx.fillStyle = c.bg;
    ctx.fillRect(0, 0, W, H);
    if (this.range?.key !== key) {
      let [x0, x1, y0, y1] = [Infinity, -Infinity, Infinity, -Infinity];
      for (let i = fit[0]; i < fit[1]; i++) {
        x0 = Math.min(x0, xy[2 * i]); x1 = Math.max(x1, xy[2 * i]);
        y0 = Math.min(y0, xy[2 * i + 1]); y1 = Math.max(y1, xy[2 * i + 1]);
      }
      const px = this.margin * (x1 - x0) || 1;
      const py = this.margin * (y1 - y0) || 1;
      this.range = { key, x0: x0 - px, x1: x1 + px, y0: y0 - py, y1: y1 + py };
    }
    const r = this.range;
    const X = (x) => ((x - r.x0) / (r.x1 - r.x0)) * W;
    const Y = (y) => H - ((y - r.y0) / (r.y1 - r.y0)) * H;
    for (const g of groups) {
      ctx.globalAlpha = g.alpha;
      ctx.fillStyle = c[g.colour];
      for (let i = g.from; i < Math.min(g.to, xy.length / 2); i++) {
        ctx.beginPath();
        ctx.arc(Math.max(2, Math.min(W - 2, X(xy[2 * i]))), Math.max(2, Math.min(H - 2, Y(xy[2 * i + 1]))), g.r, 0, 2 * Math.PI);
        ctx.fill();
      }
    }
    ctx.globalAlpha = 1;
    ctx.strokeStyle = c.grid;
    ctx.strokeRect(0.5, 0.5, W - 1, H - 1);
    ctx.fillStyle = c.fg2;
    ctx.font = '11px system-ui, sans-serif';
    ctx.fillText(this.xLabel, 6, H - 6);
    ctx.save();
    ctx.translate(12, H - 130);
    ctx.rotate(-Math.PI / 2);
    ctx.fillText(this.yLabel, 0, 0);
    ctx.restore();
  }

  /** Paints the last points again (after a colour-scheme change). */
  repaint() {
    if (this.last) this.paint(this.last.xy, this.last);
  }
}
