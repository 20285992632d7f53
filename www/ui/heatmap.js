// A labelled matrix heatmap on a canvas: one coloured cell per value with the value written in it, row and column
// labels, an optional extra row drawn apart below the matrix, and a colour bar. Knows nothing about a lab.
//
//   const hm = new MatrixHeatmap(canvas, { rowLabel: (r) => `after task ${r + 1}`, colLabel: (c) => `task ${c + 1}` });
//   hm.update({ values, domain: [0.5, 1], dim: (r, c) => c > r, pending: [r, c], extra: { label, values } });
//   hm.toPNG(title)          a PNG data URL of the current picture
//
// Values are fractions; NaN cells are drawn empty (not computed yet). `dim(r, c)` cells are drawn faded (e.g. tasks
// not trained yet). The colour scale is sequential (viridis-like) over `domain`; values outside are clamped.

import { colors, onSchemeChange } from './palette.js';
import { onResize } from './controls.js';

// Viridis at nine evenly spaced stops (perceptually uniform, colour-blind safe).
const VIRIDIS = [
  [68, 1, 84], [72, 40, 120], [62, 73, 137], [49, 104, 142], [38, 130, 142],
  [31, 158, 137], [53, 183, 121], [110, 206, 88], [253, 231, 37],
];

/** Sequential colour for t in [0, 1] as [r, g, b] (viridis, interpolated). */
export function sequential(t) {
  const x = Math.min(1, Math.max(0, Number.isFinite(t) ? t : 0)) * (VIRIDIS.length - 1);
  const i = Math.min(VIRIDIS.length - 2, Math.floor(x));
  const f = x - i;
  return [0, 1, 2].map((k) => Math.round(VIRIDIS[i][k] + (VIRIDIS[i + 1][k] - VIRIDIS[i][k]) * f));
}

const rgb = (c) => `rgb(${c[0]}, ${c[1]}, ${c[2]})`;
// Relative luminance, to pick black or white text on a cell.
const light = (c) => 0.2126 * c[0] + 0.7152 * c[1] + 0.0722 * c[2] > 140;

export class MatrixHeatmap {
  constructor(canvas, opts = {}) {
    this.canvas = canvas;
    this.opts = opts;
    this.data = null;
    this._ro = onResize(canvas.parentElement || canvas, () => this.draw());
    this._unscheme = onSchemeChange(() => this.draw());
  }

  update(data) {
    this.data = data;
    this.draw();
  }

  _layout(cssW) {
    const d = this.data;
    const rows = d.values.length;
    const cols = rows ? d.values[0].length : 0;
    const narrow = cssW < 480;
    const labelW = narrow ? 78 : 118;
    const headH = 34;
    const cellH = narrow ? 34 : 40;
    const gap = d.extra ? 12 : 0;
    const barH = 38;
    const cellW = Math.max(30, (cssW - labelW - 4) / Math.max(1, cols));
    const h = headH + rows * cellH + (d.extra ? gap + cellH : 0) + barH;
    return { rows, cols, labelW, headH, cellH, cellW, gap, barH, h, narrow };
  }

  draw(target) {
    const cv = target || this.canvas;
    const d = this.data;
    if (!d) return;
    const cssW = target ? target.width / (window.devicePixelRatio || 1) : Math.max(260, Math.floor((this.canvas.parentElement || this.canvas).clientWidth));
    const L = this._layout(cssW);
    const pr = window.devicePixelRatio || 1;
    if (!target && (cv.width !== Math.round(cssW * pr) || cv.height !== Math.round(L.h * pr))) {
      cv.width = Math.round(cssW * pr);
      cv.height = Math.round(L.h * pr);
      cv.style.width = `${cssW}px`;
      cv.style.height = `${L.h}px`;
    }
    const ctx = cv.getContext('2d');
    ctx.setTransform(pr, 0, 0, pr, 0, 0);
    const c = colors();
    ctx.clearRect(0, 0, cssW, L.h);
    const font = (px, w = 400) => `${w} ${px}px system-ui, -apple-system, "Segoe UI", Roboto, sans-serif`;
    const [lo, hi] = d.domain || [0, 1];
    const fmt = this.opts.format || ((v) => (v * 100).toFixed(1));
    const colour = (v) => sequential((v - lo) / (hi - lo));
    ctx.textBaseline = 'middle';
    // Column labels.
    ctx.fillStyle = c.fg2;
    ctx.textAlign = 'center';
    ctx.font = font(L.narrow ? 11 : 12);
    for (let j = 0; j < L.cols; j++) {
      const x = L.labelW + (j + 0.5) * L.cellW;
      const lab = this.opts.colLabel ? this.opts.colLabel(j) : String(j);
      const [a, b] = Array.isArray(lab) ? lab : [lab, ''];
      ctx.fillText(a, x, b ? 10 : L.headH / 2);
      if (b) ctx.fillText(b, x, 24);
    }
    const cell = (r, j, y, v, dimmed, pending) => {
      const x = L.labelW + j * L.cellW;
      const w = L.cellW - 2;
      const hh = L.cellH - 2;
      if (Number.isFinite(v)) {
        const col = colour(v);
        ctx.globalAlpha = dimmed ? 0.28 : 1;
        ctx.fillStyle = rgb(col);
        ctx.fillRect(x + 1, y + 1, w, hh);
        ctx.globalAlpha = 1;
        ctx.fillStyle = dimmed ? c.fg2 : light(col) ? '#111' : '#fff';
        ctx.font = font(L.narrow ? 11 : 13, dimmed ? 400 : 600);
        ctx.textAlign = 'center';
        ctx.fillText(fmt(v), x + 1 + w / 2, y + 1 + hh / 2);
      } else {
        ctx.strokeStyle = c.grid;
        ctx.lineWidth = 1;
        ctx.setLineDash([3, 3]);
        ctx.strokeRect(x + 1.5, y + 1.5, w - 1, hh - 1);
        ctx.setLineDash([]);
      }
      if (pending) {
        ctx.strokeStyle = c.accent;
        ctx.lineWidth = 2.5;
        ctx.strokeRect(x + 2, y + 2, w - 2, hh - 2);
      }
    };
    const rowLabel = (text, y) => {
      ctx.fillStyle = c.fg2;
      ctx.textAlign = 'right';
      ctx.font = font(L.narrow ? 11 : 12);
      const [a, b] = Array.isArray(text) ? text : [text, ''];
      if (b) {
        ctx.fillText(a, L.labelW - 8, y + L.cellH / 2 - 7);
        ctx.fillText(b, L.labelW - 8, y + L.cellH / 2 + 8);
      } else {
        ctx.fillText(a, L.labelW - 8, y + L.cellH / 2);
      }
    };
    for (let r = 0; r < L.rows; r++) {
      const y = L.headH + r * L.cellH;
      rowLabel(this.opts.rowLabel ? this.opts.rowLabel(r) : String(r), y);
      for (let j = 0; j < L.cols; j++) {
        const pend = d.pending && d.pending[0] === r && d.pending[1] === j;
        cell(r, j, y, d.values[r][j], d.dim ? d.dim(r, j) : false, pend);
      }
    }
    let yb = L.headH + L.rows * L.cellH;
    if (d.extra) {
      const y = yb + L.gap;
      ctx.strokeStyle = c.grid;
      ctx.lineWidth = 1;
      ctx.beginPath();
      ctx.moveTo(4, y - L.gap / 2);
      ctx.lineTo(cssW - 4, y - L.gap / 2);
      ctx.stroke();
      rowLabel(d.extra.label, y);
      for (let j = 0; j < L.cols; j++) cell(-1, j, y, d.extra.values ? d.extra.values[j] : NaN, false, false);
      yb = y + L.cellH;
    }
    // Colour bar.
    const bx = L.labelW;
    const bw = Math.max(60, Math.min(260, cssW - L.labelW - 150));
    const by = yb + 12;
    for (let i = 0; i < bw; i++) {
      ctx.fillStyle = rgb(sequential(i / (bw - 1)));
      ctx.fillRect(bx + i, by, 1, 10);
    }
    ctx.fillStyle = c.fg2;
    ctx.font = font(11);
    ctx.textAlign = 'right';
    ctx.fillText(`${fmt(lo)}${this.opts.unit || ''}`, bx - 6, by + 5);
    ctx.textAlign = 'left';
    ctx.fillText(`${fmt(hi)}${this.opts.unit || ''}${this.opts.barNote ? `  ${this.opts.barNote}` : ''}`, bx + bw + 6, by + 5);
  }

  /** A PNG (data URL) of the heatmap with a title, on the page background. */
  toPNG(title) {
    const pr = window.devicePixelRatio || 1;
    const src = this.canvas;
    const pad = 12 * pr;
    const titleH = title ? 24 * pr : 0;
    const out = document.createElement('canvas');
    out.width = src.width + 2 * pad;
    out.height = src.height + titleH + 2 * pad;
    const ctx = out.getContext('2d');
    const c = colors();
    ctx.fillStyle = c.bg;
    ctx.fillRect(0, 0, out.width, out.height);
    if (title) {
      ctx.fillStyle = c.fg;
      ctx.font = `600 ${14 * pr}px system-ui, sans-serif`;
      ctx.fillText(title, pad, pad + 14 * pr);
    }
    ctx.drawImage(src, pad, pad + titleH);
    return out.toDataURL('image/png');
  }

  destroy() {
    this._ro.disconnect();
    this._unscheme();
  }
}
