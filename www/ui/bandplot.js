// BandPlot: a uPlot line chart of several series, each a mean line with a shaded band (e.g. min–max over seeds),
// over an x axis that may be logarithmic and reversed (percent of weights remaining, 100 → 1), with a marker at the
// current slider value and "live" series (points computed right now, drawn over the precomputed curves, each with
// its own x values). Knows nothing about a lab or the engine.
//
//   const p = new BandPlot(el, { xLabel, yLabel, ySuffix, xLog: true, xReverse: true, xRange: [1, 100],
//                                yRange: (min, max) => [min, max], series: [{ key, label, color, dash }] });
//   p.update(xs, [{ mean: [...], lo: [...], hi: [...] }, ...])   one entry per series, aligned with xs (ascending;
//                                  null = no point there: lines join a series' own points across such gaps)
//   p.setMarker(x)                 dashed vertical line
//   p.setLive([{ key, color, points: [{ x, y }], label }])
//   p.toPNG(title)                 data URL

import uPlot from '../vendor/uPlot.esm.js';
import { colors, onSchemeChange } from './palette.js';
import { sig3, onResize } from './controls.js';

const FONT = '12px system-ui, -apple-system, "Segoe UI", Roboto, sans-serif';

/** A colour that may name a palette entry ('clean', 'ibp', ...) or be a CSS colour or a [light, dark] pair. */
function resolve(c, col) {
  if (Array.isArray(c)) return matchMedia('(prefers-color-scheme: dark)').matches ? c[1] : c[0];
  return col[c] || c;
}

function withAlpha(css, a) {
  return `color-mix(in srgb, ${css} ${Math.round(a * 100)}%, transparent)`;
}

export class BandPlot {
  constructor(el, opts) {
    this.el = el;
    this.opts = opts;
    this.xs = [];
    this.data = opts.series.map(() => ({ mean: [], lo: [], hi: [] }));
    this.marker = null;
    this.live = [];
    this._build();
    this._ro = onResize(el, () => this._resize());
    this._unscheme = onSchemeChange(() => this._build());
  }

  _size() {
    const w = Math.max(280, Math.floor(this.el.clientWidth));
    const h = Math.round(Math.min(this.opts.maxHeight || 400, Math.max(200, w * (this.opts.aspect || 0.5))));
    return { width: w, height: h };
  }

  _build() {
    if (this.u) this.u.destroy();
    const c = colors();
    this.c = c;
    const o = this.opts;
    const suffix = o.ySuffix || '';
    const axis = (label) => ({
      label, stroke: c.fg2, labelFont: FONT, font: FONT, grid: { stroke: c.grid, width: 1 }, ticks: { stroke: c.grid, width: 1 },
    });
    const series = [
      { label: o.xLabelShort || 'x', value: (u, v) => (v == null ? '–' : o.xFormat ? o.xFormat(v) : sig3(v)) },
      ...o.series.map((s) => ({
        label: s.label,
        stroke: resolve(s.color, c),
        width: 2 * (s.width || 1),
        dash: s.dash,
        points: { show: true, size: 5, fill: resolve(s.color, c) },
        value: (u, v) => (v == null ? '–' : `${o.yFormat ? o.yFormat(v) : sig3(v)}${suffix}`),
        // Series are drawn on the union of all series' x values: a series' own points are joined across the others'.
        spanGaps: true,
      })),
    ];
    const { width, height } = this._size();
    const xScale = { time: false, range: () => o.xRange, dir: o.xReverse ? -1 : 1 };
    if (o.xLog) Object.assign(xScale, { distr: 3, log: 10 });
    const xAxis = axis(o.xLabel);
    if (o.xLog) {
      // Ticks at 1, 2, 5 x 10^k within the range.
      xAxis.splits = (u, ai, min, max) => {
        const out = [];
        for (let e = Math.floor(Math.log10(min)); e <= Math.ceil(Math.log10(max)); e++) {
          for (const m of [1, 2, 5]) {
            const v = m * 10 ** e;
            if (v >= min * 0.999 && v <= max * 1.001) out.push(v);
          }
        }
        return out;
      };
      xAxis.values = (u, vals) => vals.map((v) => (o.xFormat ? o.xFormat(v) : sig3(v)));
    }
    this.u = new uPlot({
      width,
      height,
      series,
      scales: {
        x: xScale,
        y: { range: (u, min, max) => (o.yRange ? o.yRange(min, max) : [min, max]) },
      },
      axes: [xAxis, { ...axis(o.yLabel), size: 56, values: (u, vals) => vals.map((v) => `${o.yFormat ? o.yFormat(v) : sig3(v)}${suffix}`) }],
      legend: { live: true },
      cursor: { points: { size: 6 }, drag: { x: false, y: false } },
      hooks: {
        drawAxes: [(u) => this._bands(u)],
        draw: [(u) => this._overlay(u)],
        setCursor: [(u) => {
          if (u.cursor.idx == null) this._legendAtMarker();
        }],
      },
    }, [this.xs, ...this.data.map((d) => d.mean)], this.el);
  }

  _resize() {
    if (!this.u) return;
    const s = this._size();
    if (s.width !== this.u.width || s.height !== this.u.height) this.u.setSize(s);
  }

  /** xs and one `{ mean, lo, hi }` per series (arrays aligned with xs; lo/hi may be omitted). */
  update(xs, data) {
    this.xs = xs;
    this.data = this.opts.series.map((_, i) => data[i] || { mean: xs.map(() => null) });
    this.u.setData([xs, ...this.data.map((d) => d.mean)]);
    this._legendAtMarker();
  }

  setMarker(x) {
    this.marker = x;
    this.u.redraw(false, false);
    this._legendAtMarker();
  }

  setLive(live) {
    this.live = live;
    this.u.redraw(false, false);
  }

  setVisible(key, show) {
    const i = this.opts.series.findIndex((s) => s.key === key);
    if (i >= 0 && this.u.series[i + 1].show !== show) this.u.setSeries(i + 1, { show });
  }

  _legendAtMarker() {
    if (this.marker === null || !this.xs.length || this.u.cursor.idx != null) return;
    let best = 0;
    const d = (x) => (this.opts.xLog ? Math.abs(Math.log(x) - Math.log(this.marker)) : Math.abs(x - this.marker));
    this.xs.forEach((x, i) => {
      if (d(x) < d(this.xs[best])) best = i;
    });
    this.u.setLegend({ idx: best });
  }

  _bands(u) {
    const { ctx } = u;
    const { left, top, width, height } = u.bbox;
    ctx.save();
    ctx.beginPath();
    ctx.rect(left, top, width, height);
    ctx.clip();
    this.opts.series.forEach((s, i) => {
      if (!u.series[i + 1].show) return;
      const d = this.data[i];
      if (!d || !d.lo || !d.hi) return;
      const pts = [];
      for (let j = 0; j < this.xs.length; j++) {
        if (d.lo[j] == null || d.hi[j] == null || this.xs[j] == null) continue;
        pts.push([u.valToPos(this.xs[j], 'x', true), u.valToPos(d.lo[j], 'y', true), u.valToPos(d.hi[j], 'y', true)]);
      }
      if (pts.length < 1) return;
      ctx.fillStyle = withAlpha(resolve(s.color, this.c), 0.18);
      ctx.beginPath();
      pts.forEach(([x, , hi], k) => (k ? ctx.lineTo(x, hi) : ctx.moveTo(x, hi)));
      for (let k = pts.length - 1; k >= 0; k--) ctx.lineTo(pts[k][0], pts[k][1]);
      ctx.closePath();
      ctx.fill();
      if (pts.length === 1) {
        ctx.fillRect(pts[0][0] - 3, pts[0][2], 6, pts[0][1] - pts[0][2]);
      }
    });
    ctx.restore();
  }

  _overlay(u) {
    const { ctx } = u;
    const c = this.c;
    const pr = uPlot.pxRatio;
    const { left, top, width, height } = u.bbox;
    ctx.save();
    ctx.beginPath();
    ctx.rect(left, top, width, height);
    ctx.clip();
    if (this.marker !== null && Number.isFinite(this.marker)) {
      const x = Math.round(u.valToPos(this.marker, 'x', true)) + 0.5;
      ctx.strokeStyle = c.accent;
      ctx.lineWidth = 1.5 * pr;
      ctx.setLineDash([5 * pr, 4 * pr]);
      ctx.beginPath();
      ctx.moveTo(x, top);
      ctx.lineTo(x, top + height);
      ctx.stroke();
      ctx.setLineDash([]);
      if (this.opts.markerLabel) {
        ctx.fillStyle = c.accent;
        ctx.font = `${12 * pr}px system-ui, sans-serif`;
        const label = this.opts.markerLabel(this.marker);
        const tw = ctx.measureText(label).width;
        const tx = x + 6 * pr + tw > left + width ? x - 6 * pr - tw : x + 6 * pr;
        ctx.fillText(label, tx, top + 14 * pr);
      }
    }
    ctx.restore();
    // Live series: a thin line through the points and large dots (not clipped, so edge points stay whole).
    ctx.save();
    for (const s of this.live) {
      const col = resolve(s.color, c);
      const pts = s.points.filter((p) => p.y != null && Number.isFinite(p.y) && p.x > 0)
        .map((p) => [u.valToPos(p.x, 'x', true), u.valToPos(p.y, 'y', true)]);
      if (!pts.length) continue;
      ctx.strokeStyle = col;
      ctx.lineWidth = 1.5 * pr;
      ctx.setLineDash([2 * pr, 3 * pr]);
      ctx.beginPath();
      pts.forEach(([x, y], k) => (k ? ctx.lineTo(x, y) : ctx.moveTo(x, y)));
      ctx.stroke();
      ctx.setLineDash([]);
      const r = 5.5 * pr;
      for (const [x, y] of pts) {
        ctx.fillStyle = col;
        ctx.strokeStyle = c.bg;
        ctx.lineWidth = 2 * pr;
        ctx.beginPath();
        if (s.shape === 'diamond') {
          ctx.moveTo(x, y - r * 1.25);
          ctx.lineTo(x + r * 1.25, y);
          ctx.lineTo(x, y + r * 1.25);
          ctx.lineTo(x - r * 1.25, y);
          ctx.closePath();
        } else {
          ctx.arc(x, y, r, 0, 2 * Math.PI);
        }
        ctx.stroke();
        ctx.fill();
      }
      if (s.label) {
        const [x, y] = pts[pts.length - 1];
        ctx.font = `bold ${12 * pr}px system-ui, sans-serif`;
        const tw = ctx.measureText(s.label).width;
        let tx = x + r + 5 * pr;
        if (tx + tw > left + width) tx = x - r - 5 * pr - tw;
        ctx.lineWidth = 3 * pr;
        ctx.strokeStyle = c.bg;
        ctx.strokeText(s.label, tx, y - 8 * pr);
        ctx.fillStyle = col;
        ctx.fillText(s.label, tx, y - 8 * pr);
      }
    }
    ctx.restore();
  }

  /** A PNG (data URL) of the plot with a title and a legend, on the page background. */
  toPNG(title) {
    const src = this.u.ctx.canvas;
    const pr = uPlot.pxRatio;
    const c = this.c;
    const pad = 12 * pr;
    const titleH = title ? 22 * pr : 0;
    const legendH = 22 * pr;
    const out = document.createElement('canvas');
    out.width = src.width + 2 * pad;
    out.height = src.height + titleH + legendH + 2 * pad;
    const ctx = out.getContext('2d');
    ctx.fillStyle = c.bg;
    ctx.fillRect(0, 0, out.width, out.height);
    ctx.fillStyle = c.fg;
    ctx.font = `600 ${14 * pr}px system-ui, sans-serif`;
    if (title) ctx.fillText(title, pad, pad + 14 * pr);
    ctx.drawImage(src, pad, pad + titleH);
    let x = pad + 50 * pr;
    const y = out.height - pad - 6 * pr;
    ctx.font = `${12 * pr}px system-ui, sans-serif`;
    this.opts.series.forEach((s, i) => {
      if (!this.u.series[i + 1].show) return;
      const col = resolve(s.color, c);
      ctx.strokeStyle = col;
      ctx.lineWidth = 2 * pr;
      ctx.setLineDash(s.dash ? s.dash.map((d) => d * pr) : []);
      ctx.beginPath();
      ctx.moveTo(x, y - 4 * pr);
      ctx.lineTo(x + 18 * pr, y - 4 * pr);
      ctx.stroke();
      ctx.setLineDash([]);
      ctx.fillStyle = c.fg;
      ctx.fillText(s.label, x + 22 * pr, y);
      x += 22 * pr + ctx.measureText(s.label).width + 16 * pr;
    });
    return out.toDataURL('image/png');
  }

  destroy() {
    this._ro.disconnect();
    this._unscheme();
    this.u.destroy();
  }
}
