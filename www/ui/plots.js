// Plots: each is a small class with an `update` method; no plot knows about a lab or the engine.
//
//   CurvePlot   uPlot line chart (x = slider value, several y series) with the current x marked by a vertical line
//               and "live" points (values computed right now, drawn over the precomputed curves). Exports PNG.
//   IntervalBars  horizontal bars [lo, hi] per row with a tick (clean value), an optional marker (attack value) and
//               a zero line; bars are green when lo > 0, red otherwise. Signed-log (asinh) axis so that tight and
//               very loose intervals are both readable.
//   ImageView   a small grayscale or diverging image painted with putImageData and stretched by CSS.

import uPlot from '../vendor/uPlot.esm.js';
import { colors, onSchemeChange, diverging } from './palette.js';
import { sig3, onResize } from './controls.js';
import { parseHash, visible } from './state.js';

const FONT = '12px system-ui, -apple-system, "Segoe UI", Roboto, sans-serif';

/**
 * A line chart of several series over x.
 *   new CurvePlot(el, { xLabel, yLabel, xRange, yRange, ySuffix, series: [{ key, label, color, width, dash, points }] })
 *     optional: xTicks (x values to put ticks at, labelled by xFormat), markerText(x) (the marker's label)
 *   plot.update(xs, ys)            ys: one array per series (null entries leave gaps)
 *   plot.setMarker(x)              vertical line at the current slider value
 *   plot.setLive([{ x, y, color, label, pending, progress }])   highlighted points
 *   plot.setEmphasis(key)          draw this series thicker
 */
export class CurvePlot {
  constructor(el, opts) {
    this.el = el;
    this.opts = opts;
    this.xs = [];
    this.ys = opts.series.map(() => []);
    this.marker = null;
    this.live = [];
    this.emphasis = null;
    this._build();
    this._ro = onResize(el, () => this._resize());
    this._unscheme = onSchemeChange(() => this._build());
    this._table = numbersTable(el, () => this._rows());
    // The ARIA live summary: what the plot shows at the marked x, in words, after the values settle.
    this._said = document.createElement('p');
    this._said.className = 'sr-only';
    this._said.setAttribute('aria-live', 'polite');
    this._said.dataset.testid = 'plot-summary';
    el.after(this._said);
    this._exports = exportBar(el, {
      svg: () => this.toSVG(),
      name: () => exportName(this.el, this.opts.title),
    });
  }

  /** The plotted numbers for the text alternative: header and rows (x, then one column per series). */
  _rows() {
    const o = this.opts;
    const fmt = (v) => (v == null || Number.isNaN(v) ? '–' : sig3(v));
    return {
      head: [o.xLabel || 'x', ...o.series.map((s) => s.label + (o.ySuffix ? ` (${o.ySuffix.trim()})` : ''))],
      rows: this.xs.map((x, i) => [o.xFormat ? o.xFormat(x) : sig3(x), ...this.ys.map((y) => fmt(y[i]))]),
    };
  }

  _size() {
    const w = Math.max(280, Math.floor(this.el.clientWidth));
    // At most half the window's height, so that a plot and its slider fit a 600 px embed frame together.
    const h = Math.round(Math.min(420, Math.max(200, window.innerHeight * 0.5), Math.max(240, w * 0.55)));
    return { width: w, height: h };
  }

  _build() {
    if (this.u) this.u.destroy();
    const c = colors();
    this.c = c;
    const o = this.opts;
    const suffix = o.ySuffix || '';
    const axis = (label) => ({
      label,
      stroke: c.fg2,
      labelFont: FONT,
      font: FONT,
      grid: { stroke: c.grid, width: 1 },
      ticks: { stroke: c.grid, width: 1 },
    });
    const series = [
      { label: o.xLabelShort || 'x', value: (u, v) => (v == null ? '–' : o.xFormat ? o.xFormat(v) : sig3(v)) },
      ...o.series.map((s) => ({
        label: s.label,
        stroke: c[s.color] || s.color,
        width: (s.key === this.emphasis ? 2.5 : 1.5) * (s.width || 1),
        dash: s.dash,
        points: { show: s.points !== false, size: s.key === this.emphasis ? 6 : 4, fill: c[s.color] || s.color },
        value: (u, v) => (v == null ? '–' : `${sig3(v)}${suffix}`),
        spanGaps: false,
      })),
    ];
    const { width, height } = this._size();
    this.u = new uPlot({
      width,
      height,
      series,
      scales: {
        x: { time: false, range: () => o.xRange },
        y: { range: (u, min, max) => (o.yRange ? o.yRange(min, max) : [min, max]) },
      },
      axes: [o.xTicks ? { ...axis(o.xLabel), splits: () => o.xTicks, values: (u, vals) => vals.map((v) => (o.xFormat ? o.xFormat(v) : String(v))) } : axis(o.xLabel), { ...axis(o.yLabel), size: 52, values: (u, vals) => vals.map((v) => `${v}${suffix}`) }],
      legend: { live: true },
      cursor: { points: { size: 6 }, drag: { x: false, y: false } },
      hooks: {
        draw: [(u) => this._overlay(u)],
        // When the pointer is not over the plot, the legend shows the values at the marked x.
        setCursor: [(u) => {
          if (u.cursor.idx == null) this._legendAtMarker();
        }],
      },
    }, [this.xs, ...this.ys], this.el);
  }

  _resize() {
    if (!this.u) return;
    const s = this._size();
    if (s.width !== this.u.width || s.height !== this.u.height) this.u.setSize(s);
  }

  update(xs, ys) {
    this.xs = xs;
    this.ys = ys;
    this.u.setData([xs, ...ys]);
    this._table.refresh();
    this._announce();
  }

  setMarker(x) {
    this.marker = x;
    this.u.redraw(false, false);
    this._legendAtMarker();
    this._announce();
  }

  /** The plot's summary in words (for the live region; also a test hook): the marked x, each series' value
   *  there, and the live points' labels. */
  summary() {
    const o = this.opts;
    if (!this.xs.length) return '';
    // At the marked x, or (a plot without a marker, e.g. a run's progress) at the last x.
    const m = this.marker ?? this.xs.at(-1);
    let best = 0;
    this.xs.forEach((x, i) => {
      if (Math.abs(x - m) < Math.abs(this.xs[best] - m)) best = i;
    });
    const name = o.markerLabel || o.xLabelShort || o.xLabel || 'x';
    const at = this.marker !== null && o.markerText ? o.markerText(m) : `${name} = ${o.xFormat ? o.xFormat(m) : sig3(m)}`;
    const parts = o.series.map((sr, i) => {
      const v = this.ys[i]?.[best];
      return v == null || !Number.isFinite(v) ? null : `${sr.label} ${sig3(v)}${o.ySuffix || ''}`;
    }).filter(Boolean);
    const live = this.live.filter((p) => p.label && p.y != null).map((p) => `now ${p.label}`);
    return `${at}: ${[...live, ...parts].join(', ')}`;
  }

  _announce() {
    clearTimeout(this._sayTimer);
    this._sayTimer = setTimeout(() => {
      const t = this.summary();
      if (t !== this._said.textContent) this._said.textContent = t;
    }, 600);
  }

  _legendAtMarker() {
    if (this.marker === null || !this.xs.length || this.u.cursor.idx != null) return;
    let best = 0;
    this.xs.forEach((x, i) => {
      if (Math.abs(x - this.marker) < Math.abs(this.xs[best] - this.marker)) best = i;
    });
    this.u.setLegend({ idx: best });
  }

  setLive(points) {
    this.live = points;
    this.u.redraw(false, false);
    this._announce();
  }

  setEmphasis(key) {
    if (key === this.emphasis) return;
    this.emphasis = key;
    this.opts.series.forEach((s, i) => {
      const ser = this.u.series[i + 1];
      const w = (s.key === key ? 2.5 : 1.5) * (s.width || 1);
      ser.width = w;
      if (ser.points) ser.points.size = s.key === key ? 6 : 4;
    });
    this.u.redraw(true, false);
  }

  _overlay(u) {
    const { ctx } = u;
    const c = this.c;
    const pr = uPlot.pxRatio;
    const { left, top, width, height } = u.bbox;
    ctx.save();
    ctx.textAlign = 'left';
    ctx.textBaseline = 'alphabetic';
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
      ctx.fillStyle = c.accent;
      ctx.font = `${12 * pr}px system-ui, sans-serif`;
      const label = this.opts.markerText ? this.opts.markerText(this.marker) : `${this.opts.markerLabel || 'x'} = ${this.marker.toFixed(3)}`;
      const tw = ctx.measureText(label).width;
      const tx = x + 6 * pr + tw > left + width ? x - 6 * pr - tw : x + 6 * pr;
      ctx.fillText(label, tx, top + height - 8 * pr);
    }
    // Live points are not clipped: one at the edge of the plot (ε = 0.45, 100%) stays whole.
    ctx.restore();
    ctx.save();
    ctx.textAlign = 'left';
    ctx.textBaseline = 'alphabetic';
    for (const p of this.live) {
      if (p.y == null && !p.pending) continue;
      const x = u.valToPos(p.x, 'x', true);
      const col = c[p.color] || p.color;
      const r = 7 * pr;
      if (p.pending || p.y == null) {
        // Computing: a ring that fills with progress, on the marker line at the previous value (or the bottom).
        const y = p.y == null ? top + height - 12 * pr : u.valToPos(p.y, 'y', true);
        ctx.lineWidth = 2 * pr;
        ctx.strokeStyle = c.grid;
        ctx.beginPath();
        ctx.arc(x, y, r, 0, 2 * Math.PI);
        ctx.stroke();
        ctx.strokeStyle = col;
        ctx.beginPath();
        ctx.arc(x, y, r, -Math.PI / 2, -Math.PI / 2 + 2 * Math.PI * (p.progress || 0));
        ctx.stroke();
        continue;
      }
      const y = u.valToPos(p.y, 'y', true);
      ctx.fillStyle = col;
      ctx.strokeStyle = c.bg;
      ctx.lineWidth = 2.5 * pr;
      ctx.beginPath();
      if (p.shape === 'diamond') {
        ctx.moveTo(x, y - r * 1.2);
        ctx.lineTo(x + r * 1.2, y);
        ctx.lineTo(x, y + r * 1.2);
        ctx.lineTo(x - r * 1.2, y);
        ctx.closePath();
      } else {
        ctx.arc(x, y, r, 0, 2 * Math.PI);
      }
      ctx.stroke();
      ctx.fill();
      if (p.label) {
        ctx.font = `bold ${12 * pr}px system-ui, sans-serif`;
        const tw = ctx.measureText(p.label).width;
        let tx = x + r + 5 * pr;
        if (tx + tw > left + width) tx = x - r * 1.3 - 5 * pr - tw;
        ctx.lineWidth = 3 * pr;
        ctx.strokeStyle = c.bg;
        ctx.strokeText(p.label, tx, y + 4 * pr);
        ctx.fillStyle = col;
        ctx.fillText(p.label, tx, y + 4 * pr);
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
      const col = c[s.color] || s.color;
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

  /**
   * The plot as a standalone SVG document (string): the title (`title`, else `opts.title`, else the heading of the
   * panel the plot sits in), a settings line (the lab and its URL settings), the axes with their ticks and labels,
   * every shown series (gaps kept, dashes kept), the marker, the live points and a legend naming every series.
   * Sizes are the plot's CSS pixels; text is real text (searchable, scalable).
   */
  toSVG(title) {
    const u = this.u;
    const o = this.opts;
    const c = this.c;
    const pr = uPlot.pxRatio;
    const W = u.width;
    const head = exportTitle(this.el, title ?? o.title);
    const measure = textWidth('12px system-ui, sans-serif');
    const small = textWidth('11px system-ui, sans-serif');
    const settings = wrapText(settingsLine(), W - 24, small);
    const titleH = 26;
    const setH = settings.length * 15 + (settings.length ? 3 : 0);
    const H = titleH + setH + u.height + 60;
    const oy = titleH + setH;
    const L = u.bbox.left / pr;
    const T = u.bbox.top / pr + oy;
    const PW = u.bbox.width / pr;
    const PH = u.bbox.height / pr;
    const X = (v) => L + u.valToPos(v, 'x');
    const Y = (v) => T + u.valToPos(v, 'y');
    const f = (v) => (Math.round(v * 100) / 100).toString();
    const out = [];
    out.push(`<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" viewBox="0 0 ${W} ${H}" font-family="system-ui, -apple-system, 'Segoe UI', Roboto, sans-serif" font-size="12">`);
    out.push(`<rect width="100%" height="100%" fill="${c.bg}"/>`);
    out.push(`<text x="12" y="18" font-size="15" font-weight="600" fill="${c.fg}">${esc(head)}</text>`);
    settings.forEach((line, i) => out.push(`<text x="12" y="${titleH + 11 + 15 * i}" font-size="11" fill="${c.fg2}">${esc(line)}</text>`));
    // Grid, ticks and tick labels from uPlot's own splits.
    const [ax, ay] = u.axes;
    const xs = (ax._splits || []).map((v, i) => [v, ax._values?.[i]]);
    const ys = (ay._splits || []).map((v, i) => [v, ay._values?.[i]]);
    for (const [v, label] of xs) {
      if (!Number.isFinite(v)) continue;
      const x = f(X(v));
      out.push(`<line x1="${x}" y1="${f(T)}" x2="${x}" y2="${f(T + PH)}" stroke="${c.grid}"/>`);
      if (label != null) out.push(`<text x="${x}" y="${f(T + PH + 16)}" text-anchor="middle" fill="${c.fg2}">${esc(label)}</text>`);
    }
    for (const [v, label] of ys) {
      if (!Number.isFinite(v)) continue;
      const y = f(Y(v));
      out.push(`<line x1="${f(L)}" y1="${y}" x2="${f(L + PW)}" y2="${y}" stroke="${c.grid}"/>`);
      if (label != null) out.push(`<text x="${f(L - 6)}" y="${y}" dy="4" text-anchor="end" fill="${c.fg2}">${esc(label)}</text>`);
    }
    out.push(`<rect x="${f(L)}" y="${f(T)}" width="${f(PW)}" height="${f(PH)}" fill="none" stroke="${c.grid}"/>`);
    if (o.xLabel) out.push(`<text x="${f(L + PW / 2)}" y="${f(T + PH + 34)}" text-anchor="middle" fill="${c.fg2}">${esc(o.xLabel)}</text>`);
    if (o.yLabel) out.push(`<text transform="translate(14 ${f(T + PH / 2)}) rotate(-90)" text-anchor="middle" fill="${c.fg2}">${esc(o.yLabel)}</text>`);
    // Series, clipped to the plot area; null values break the line as on the page.
    out.push(`<defs><clipPath id="area"><rect x="${f(L)}" y="${f(T)}" width="${f(PW)}" height="${f(PH)}"/></clipPath></defs><g clip-path="url(#area)">`);
    o.series.forEach((sr, i) => {
      if (!u.series[i + 1].show) return;
      const col = c[sr.color] || sr.color;
      const w = (sr.key === this.emphasis ? 2.5 : 1.5) * (sr.width || 1);
      const dash = sr.dash ? ` stroke-dasharray="${sr.dash.join(' ')}"` : '';
      let d = '';
      let pen = false;
      this.xs.forEach((x, j) => {
        const y = this.ys[i][j];
        if (y == null || !Number.isFinite(y)) { pen = false; return; }
        d += `${pen ? 'L' : 'M'}${f(X(x))} ${f(Y(y))}`;
        pen = true;
      });
      if (d) out.push(`<path d="${d}" fill="none" stroke="${col}" stroke-width="${w}"${dash}/>`);
      if (sr.points !== false) {
        this.xs.forEach((x, j) => {
          const y = this.ys[i][j];
          if (y != null && Number.isFinite(y)) out.push(`<circle cx="${f(X(x))}" cy="${f(Y(y))}" r="2" fill="${col}"/>`);
        });
      }
    });
    if (this.marker !== null && Number.isFinite(this.marker)) {
      const x = f(X(this.marker));
      const label = o.markerText ? o.markerText(this.marker) : `${o.markerLabel || 'x'} = ${this.marker.toFixed(3)}`;
      out.push(`<line x1="${x}" y1="${f(T)}" x2="${x}" y2="${f(T + PH)}" stroke="${c.accent}" stroke-width="1.5" stroke-dasharray="5 4"/>`);
      out.push(`<text x="${f(X(this.marker) + 6)}" y="${f(T + PH - 8)}" fill="${c.accent}">${esc(label)}</text>`);
    }
    out.push('</g>');
    for (const p of this.live) {
      if (p.y == null || !Number.isFinite(p.y)) continue;
      const col = c[p.color] || p.color;
      const [px, py] = [X(p.x), Y(p.y)];
      if (p.shape === 'diamond') out.push(`<path d="M${f(px)} ${f(py - 8)}L${f(px + 8)} ${f(py)}L${f(px)} ${f(py + 8)}L${f(px - 8)} ${f(py)}Z" fill="${col}" stroke="${c.bg}" stroke-width="2"/>`);
      else out.push(`<circle cx="${f(px)}" cy="${f(py)}" r="6" fill="${col}" stroke="${c.bg}" stroke-width="2"/>`);
      if (p.label) out.push(`<text x="${f(X(p.x) + 11)}" y="${f(Y(p.y) + 4)}" font-weight="bold" fill="${col}">${esc(p.label)}</text>`);
    }
    // Legend: every shown series, onto as many rows as the width needs.
    const rows = [[]];
    let lx = 12;
    o.series.forEach((sr, i) => {
      if (!u.series[i + 1].show) return;
      const w = 22 + measure(sr.label) + 16;
      if (lx + w > W - 8 && rows.at(-1).length) {
        rows.push([]);
        lx = 12;
      }
      rows.at(-1).push([sr, lx]);
      lx += w;
    });
    const legendTop = oy + u.height + 4;
    rows.forEach((row, r) => row.forEach(([sr, x]) => {
      const ly = legendTop + 14 + 18 * r;
      const col = c[sr.color] || sr.color;
      const dash = sr.dash ? ` stroke-dasharray="${sr.dash.join(' ')}"` : '';
      out.push(`<line x1="${f(x)}" y1="${ly - 4}" x2="${f(x + 18)}" y2="${ly - 4}" stroke="${col}" stroke-width="2"${dash}/>`);
      out.push(`<text x="${f(x + 22)}" y="${ly}" fill="${c.fg}">${esc(sr.label)}</text>`);
    }));
    const total = legendTop + 18 * rows.length + 6;
    out.push('</svg>');
    return out.join('\n').replace(`height="${H}" viewBox="0 0 ${W} ${H}"`, `height="${total}" viewBox="0 0 ${W} ${total}"`)
      .replace('<rect width="100%" height="100%"', `<rect width="${W}" height="${total}"`);
  }

  destroy() {
    this._ro.disconnect();
    this._unscheme();
    this._table.remove();
    this._exports.remove();
    clearTimeout(this._sayTimer);
    this._said.remove();
    this.u.destroy();
  }
}

/** Text for SVG/XML: `&`, `<`, `>` and quotes escaped; control and direction characters shown by code point. */
function esc(text) {
  return visible(String(text)).replace(/[&<>"']/g, (ch) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[ch]);
}

/** A function measuring text width (CSS px) in `font`, on a scratch canvas. */
function textWidth(font) {
  const ctx = document.createElement('canvas').getContext('2d');
  ctx.font = font;
  return (t) => ctx.measureText(t).width;
}

/** `text` broken at ", " into lines no wider than `width` (by `measure`); [] for no text. */
function wrapText(text, width, measure) {
  if (!text) return [];
  const lines = [''];
  for (const part of text.split(/(?<=, )/)) {
    if (lines.at(-1) && measure(lines.at(-1) + part) > width) lines.push('');
    lines[lines.length - 1] += part;
  }
  return lines.map((l) => l.trimEnd());
}

/** The title of an exported plot: the given one, else the heading of the panel the plot sits in, else the page's. */
function exportTitle(el, title) {
  if (title) return title;
  const panel = el.closest('section, .panel, article');
  const hd = panel?.querySelector('h2, h3, h4');
  const lab = document.title.split(' — ')[0];
  return hd ? `${lab} · ${hd.textContent.trim()}` : document.title;
}

/** The settings line of an export: the lab and its URL settings ("verify: eps=0.3, method=crown-ibp, …"). */
function settingsLine() {
  const { route, params } = parseHash(location.hash);
  const kv = [...params].filter(([k]) => k !== 'embed').map(([k, v]) => `${k}=${v.length > 24 ? `${v.slice(0, 24)}…` : v}`);
  const line = route ? `Paperlab ${route}${kv.length ? `: ${kv.join(', ')}` : ''}` : '';
  return line.length > 140 ? `${line.slice(0, 139)}…` : line;
}

/** A file name for an export: `paperlab-<lab>-<title words>`. */
function exportName(el, title) {
  const { route } = parseHash(location.hash);
  const words = exportTitle(el, title).split(' · ').slice(1).join(' ').toLowerCase().replace(/[^a-z0-9]+/g, '-').replace(/^-|-$/g, '');
  return `paperlab-${route || 'plot'}${words ? `-${words.slice(0, 40)}` : ''}`;
}

/** Renders an SVG string to a PNG blob at `scale`× its size (2 by default: sharp on paper and on HiDPI screens). */
export async function svgToPng(svg, scale = 2) {
  const img = new Image();
  img.src = `data:image/svg+xml;charset=utf-8,${encodeURIComponent(svg)}`;
  await img.decode();
  const cv = document.createElement('canvas');
  cv.width = Math.round(img.naturalWidth * scale);
  cv.height = Math.round(img.naturalHeight * scale);
  const ctx = cv.getContext('2d');
  ctx.scale(scale, scale);
  ctx.drawImage(img, 0, 0);
  return new Promise((resolve, reject) => cv.toBlob((b) => (b ? resolve(b) : reject(new Error('the browser could not encode the PNG'))), 'image/png'));
}

/**
 * Two small buttons after a plot's element `el` — "SVG" and "PNG (2×)" — that download `svg()` and its 2× PNG
 * rendering as `<name()>.svg` / `.png`. Returns `{ el, remove() }`.
 */
export function exportBar(el, { svg, name }) {
  const bar = document.createElement('div');
  bar.className = 'plot-export';
  const save = (blob, ext) => {
    const url = URL.createObjectURL(blob);
    const a = document.createElement('a');
    a.href = url;
    a.download = `${name()}.${ext}`;
    document.body.append(a);
    a.click();
    a.remove();
    setTimeout(() => URL.revokeObjectURL(url), 5000);
  };
  const button = (label, format, title, onclick) => {
    const b = document.createElement('button');
    b.type = 'button';
    b.textContent = label;
    b.title = title;
    b.dataset.format = format;
    b.addEventListener('click', onclick);
    return b;
  };
  bar.append(
    button('SVG', 'svg', 'Download this plot as SVG (title, axes, legend and settings included)',
      () => save(new Blob([svg()], { type: 'image/svg+xml' }), 'svg')),
    button('PNG (2×)', 'png', 'Download this plot as a PNG at twice its size',
      async () => {
        try {
          save(await svgToPng(svg()), 'png');
        } catch (e) {
          console.warn('PNG export failed', e);
        }
      }),
  );
  el.after(bar);
  return { el: bar, remove: () => bar.remove() };
}

/**
 * The text alternative of a chart: a "the numbers as a table" toggle (`<details>`) right after the chart's element
 * `el`, whose table is built from `rows()` (`{ head, rows }` of strings) when it is opened and rebuilt on
 * `refresh()` while open. Returns `{ el, refresh(), remove() }`.
 */
export function numbersTable(el, rows) {
  const details = document.createElement('details');
  details.className = 'plot-table';
  const summary = document.createElement('summary');
  summary.textContent = 'the numbers as a table';
  details.append(summary);
  const render = () => {
    if (!details.open) return;
    const { head, rows: body } = rows();
    const table = document.createElement('table');
    const tr = (cells, tag) => {
      const r = document.createElement('tr');
      cells.forEach((c, j) => {
        const cell = document.createElement(j === 0 && tag === 'td' ? 'th' : tag);
        if (cell.tagName === 'TH') cell.scope = tag === 'th' ? 'col' : 'row';
        cell.textContent = c;
        r.append(cell);
      });
      return r;
    };
    const thead = document.createElement('thead');
    thead.append(tr(head, 'th'));
    const tbody = document.createElement('tbody');
    tbody.append(...body.map((r) => tr(r, 'td')));
    if (!body.length) table.append(Object.assign(document.createElement('caption'), { textContent: 'nothing plotted yet' }));
    table.append(thead, tbody);
    details.replaceChildren(summary, table);
  };
  details.addEventListener('toggle', render);
  el.after(details);
  return { el: details, refresh: render, remove: () => details.remove() };
}

const asinh = Math.asinh;


/**
 * Horizontal interval bars on a signed-log axis.
 *   new IntervalBars(canvas, { rowLabel: (i) => 'class 3', xLabel })
 *   bars.update({ lo, hi, tick, mark, skip })   arrays of equal length; rows in `skip` are drawn as "—"
 *   bars.reset()                               forget the sticky axis range (call on a new digit or model)
 * The axis range only grows while the same subject is shown, so dragging a slider does not make it jump.
 */
export class IntervalBars {
  constructor(canvas, opts = {}) {
    this.canvas = canvas;
    this.opts = opts;
    this.data = null;
    this.range = null;
    this._ro = onResize(canvas.parentElement || canvas, () => this.draw());
    this._unscheme = onSchemeChange(() => this.draw());
  }

  reset() {
    this.range = null;
  }

  update(data) {
    this.data = data;
    const vals = [];
    data.lo.forEach((v, i) => {
      if (data.skip?.includes(i)) return;
      vals.push(v, data.hi[i], data.tick?.[i] ?? 0);
      if (data.mark) vals.push(data.mark[i]);
    });
    vals.push(0);
    const finite = vals.filter(Number.isFinite);
    let lo = asinh(Math.min(...finite));
    let hi = asinh(Math.max(...finite));
    const padd = Math.max(0.15, (hi - lo) * 0.04);
    lo -= padd;
    hi += padd;
    if (!this.range) this.range = [lo, hi];
    else this.range = [Math.min(this.range[0], lo), Math.max(this.range[1], hi)];
    this.draw();
  }

  draw() {
    const cv = this.canvas;
    const d = this.data;
    const cssW = Math.max(260, Math.floor((cv.parentElement || cv).clientWidth));
    const rowH = 22;
    const n = d ? d.lo.length : 10;
    const top = 8;
    const axisH = 34;
    const cssH = top + n * rowH + axisH;
    const pr = window.devicePixelRatio || 1;
    if (cv.width !== Math.round(cssW * pr) || cv.height !== Math.round(cssH * pr)) {
      cv.width = Math.round(cssW * pr);
      cv.height = Math.round(cssH * pr);
      cv.style.width = `${cssW}px`;
      cv.style.height = `${cssH}px`;
    }
    const ctx = cv.getContext('2d');
    ctx.setTransform(pr, 0, 0, pr, 0, 0);
    const c = colors();
    ctx.clearRect(0, 0, cssW, cssH);
    // After reset() (a new digit or model) a resize can redraw before the next update() sets the range.
    if (!d || !this.range) return;
    const narrow = cssW < 520;
    const labelW = narrow ? 52 : 64;
    const valueW = narrow ? 118 : 150;
    const x0 = labelW;
    const x1 = cssW - valueW;
    const [a, b] = this.range;
    const X = (v) => x0 + ((asinh(v) - a) / (b - a)) * (x1 - x0);
    ctx.font = narrow ? FONT.replace('12px', '11px') : FONT;
    ctx.textBaseline = 'middle';
    // Grid and ticks at 0, ±1, ±10, ±100, ...
    const ticks = [0];
    for (let k = 0; k < 8; k++) {
      const t = 10 ** k;
      if (asinh(t) <= b) ticks.push(t);
      if (-asinh(t) >= a) ticks.push(-t);
    }
    ctx.strokeStyle = c.grid;
    ctx.lineWidth = 1;
    ctx.fillStyle = c.fg2;
    ctx.textAlign = 'center';
    for (const t of ticks) {
      const x = Math.round(X(t)) + 0.5;
      ctx.beginPath();
      ctx.moveTo(x, top);
      ctx.lineTo(x, top + n * rowH);
      ctx.stroke();
      ctx.fillText(t === 0 ? '0' : t > 0 ? `${t >= 1000 ? `1e${Math.log10(t)}` : t}` : `−${-t >= 1000 ? `1e${Math.log10(-t)}` : -t}`, x, top + n * rowH + 10);
    }
    if (this.opts.xLabel) ctx.fillText(this.opts.xLabel, (x0 + x1) / 2, top + n * rowH + 26);
    // Zero line.
    const xz = Math.round(X(0)) + 0.5;
    ctx.strokeStyle = c.fg;
    ctx.lineWidth = 1.5;
    ctx.beginPath();
    ctx.moveTo(xz, top - 4);
    ctx.lineTo(xz, top + n * rowH + 2);
    ctx.stroke();
    for (let i = 0; i < n; i++) {
      const yc = top + i * rowH + rowH / 2;
      ctx.textAlign = 'left';
      ctx.fillStyle = c.fg2;
      ctx.fillText(this.opts.rowLabel ? this.opts.rowLabel(i) : String(i), 4, yc);
      if (d.skip?.includes(i)) {
        ctx.fillStyle = c.fg2;
        ctx.textAlign = 'left';
        ctx.fillText(this.opts.skipText || '—', x1 + 10, yc);
        continue;
      }
      const lo = d.lo[i];
      const hi = d.hi[i];
      const good = lo > 0;
      const col = good ? c.good : c.bad;
      const xa = Math.max(x0, X(lo));
      const xb = Math.min(x1, Math.max(X(hi), xa + 2));
      ctx.fillStyle = col;
      ctx.globalAlpha = 0.8;
      ctx.fillRect(xa, yc - 6, xb - xa, 12);
      ctx.globalAlpha = 1;
      if (d.tick) {
        const xt = X(d.tick[i]);
        ctx.strokeStyle = c.fg;
        ctx.lineWidth = 2;
        ctx.beginPath();
        ctx.moveTo(xt, yc - 9);
        ctx.lineTo(xt, yc + 9);
        ctx.stroke();
      }
      if (d.mark && Number.isFinite(d.mark[i])) {
        const xm = X(d.mark[i]);
        ctx.fillStyle = c.bg;
        ctx.strokeStyle = c.fg;
        ctx.lineWidth = 1.5;
        ctx.beginPath();
        ctx.moveTo(xm, yc - 5);
        ctx.lineTo(xm + 5, yc);
        ctx.lineTo(xm, yc + 5);
        ctx.lineTo(xm - 5, yc);
        ctx.closePath();
        ctx.fill();
        ctx.stroke();
      }
      ctx.textAlign = 'left';
      ctx.fillStyle = col;
      ctx.fillText(`${good ? '✓' : '✗'} [${sig3(lo)}, ${sig3(hi)}]`, x1 + 10, yc);
    }
  }

  destroy() {
    this._ro.disconnect();
    this._unscheme();
  }
}

/**
 * A small image on a canvas, stretched by CSS (image-rendering: pixelated).
 *   new ImageView(canvas, w, h)
 *   view.gray(bytesOrFloats, scale)    0..255 bytes (scale 1) or 0..1 floats (scale 255)
 *   view.signed(values, maxAbs)        diverging colours, 0 is neutral
 */
export class ImageView {
  constructor(canvas, w, h) {
    this.canvas = canvas;
    canvas.width = w;
    canvas.height = h;
    this.w = w;
    this.h = h;
    this.ctx = canvas.getContext('2d');
  }

  gray(values, scale = 1) {
    const img = this.ctx.createImageData(this.w, this.h);
    for (let i = 0; i < this.w * this.h; i++) {
      // Ink dark on paper, as digits are usually printed.
      const v = 255 - Math.max(0, Math.min(255, Math.round(values[i] * scale)));
      img.data[4 * i] = v;
      img.data[4 * i + 1] = v;
      img.data[4 * i + 2] = v;
      img.data[4 * i + 3] = 255;
    }
    this.ctx.putImageData(img, 0, 0);
  }

  signed(values, maxAbs) {
    const img = this.ctx.createImageData(this.w, this.h);
    const dark = matchMedia('(prefers-color-scheme: dark)').matches;
    for (let i = 0; i < this.w * this.h; i++) {
      const [r, g, b] = diverging(maxAbs > 0 ? values[i] / maxAbs : 0, dark);
      img.data[4 * i] = r;
      img.data[4 * i + 1] = g;
      img.data[4 * i + 2] = b;
      img.data[4 * i + 3] = 255;
    }
    this.ctx.putImageData(img, 0, 0);
  }

  clear() {
    this.ctx.clearRect(0, 0, this.w, this.h);
  }
}
