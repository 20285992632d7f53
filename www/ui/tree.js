// Views of a sentence's induced constituency tree (the ON-LSTM lab; any lab with a tree over words can use them):
// `drawTree(svg, ...)` draws the tree over the words with a bar per word for its syntactic distance, `Staircase`
// draws a gate value per word and level on a canvas (the master-forget-gate "staircase"), and `bracketed(words,
// spans)` writes the tree as "(the (old man))". Layout only: the spans, distances and gates come from the engine.

import { sig3, onResize } from './controls.js';
import { sequential } from './heatmap.js';
import { colors, onSchemeChange } from './palette.js';

export const SVG = 'http://www.w3.org/2000/svg';
function s(tag, attrs = {}, text) {
  const el = document.createElementNS(SVG, tag);
  for (const [k, v] of Object.entries(attrs)) el.setAttribute(k, v);
  if (text !== undefined) el.textContent = text;
  return el;
}

/**
 * The induced tree over the words, the distance bars under them. `spans` are [start, end) constituents (whole
 * sentence included); `top` is the index of the word with the largest distance (the first split).
 */
export function drawTree(svg, { words, unknown, spans, distances, width }) {
  const c = colors();
  const n = words.length;
  // Column per word, wide enough for the word (about 8 px per character at 14 px), stretched to fill the width.
  const need = words.map((w) => Math.max(34, 8 * w.length + 12));
  const sumNeed = need.reduce((a, b) => a + b, 0);
  const stretch = Math.max(1, Math.min(90 * n / sumNeed, (width - 20) / sumNeed));
  const cols = need.map((x) => x * stretch);
  const W = Math.max(width, cols.reduce((a, b) => a + b, 0) + 20);
  const x0 = (W - cols.reduce((a, b) => a + b, 0)) / 2;
  const starts = cols.map((_, i) => x0 + cols.slice(0, i).reduce((a, b) => a + b, 0));
  const xw = (i) => starts[i] + cols[i] / 2;
  const colW = Math.min(...cols);
  // Each span's height: 1 + the highest span strictly inside it.
  const sorted = spans.map(([a, b]) => ({ a, b })).sort((p, q) => (p.b - p.a) - (q.b - q.a));
  for (const sp of sorted) {
    sp.kids = [];
    let hgt = 0;
    for (const o of sorted) {
      if (o === sp || o.b - o.a >= sp.b - sp.a) continue;
      if (o.a >= sp.a && o.b <= sp.b && !sorted.some((m) => m !== sp && m !== o && m.a <= o.a && m.b >= o.b && m.a >= sp.a && m.b <= sp.b && m.b - m.a > o.b - o.a)) {
        sp.kids.push(o);
        hgt = Math.max(hgt, o.h);
      }
    }
    sp.h = hgt + 1;
  }
  const maxH = sorted.reduce((m, sp) => Math.max(m, sp.h), 0);
  const levelH = Math.max(16, Math.min(30, 200 / Math.max(1, maxH)));
  const treeTop = 10;
  const wordY = treeTop + maxH * levelH + 22;
  const barTop = wordY + 14;
  const barH = 60;
  const H = barTop + barH + 22;
  svg.setAttribute('viewBox', `0 0 ${W} ${H}`);
  svg.setAttribute('width', W);
  svg.setAttribute('height', H);
  svg.replaceChildren();
  const yOf = (hgt) => treeTop + (maxH - hgt) * levelH;
  const xOf = (sp) => (xw(sp.a) + xw(sp.b - 1)) / 2;
  const g = s('g', { class: 'tree' });
  for (const sp of sorted) {
    const x = xOf(sp);
    const y = yOf(sp.h);
    const covered = new Set();
    for (const k of sp.kids) for (let i = k.a; i < k.b; i++) covered.add(i);
    const ends = sp.kids.map((k) => [xOf(k), yOf(k.h)]);
    for (let i = sp.a; i < sp.b; i++) if (!covered.has(i)) ends.push([xw(i), wordY - 14]);
    for (const [ex, ey] of ends) g.append(s('line', { x1: x, y1: y, x2: ex, y2: ey, stroke: c.fg2, 'stroke-width': 1.3 }));
    g.append(s('circle', { cx: x, cy: y, r: 2.6, fill: c.accent }));
  }
  svg.append(g);
  const maxD = Math.max(1e-6, ...distances);
  const top = distances.indexOf(Math.max(...distances));
  words.forEach((w, i) => {
    svg.append(s('text', { x: xw(i), y: wordY, 'text-anchor': 'middle', class: unknown[i] ? 'word unk' : 'word', fill: unknown[i] ? c.bad : c.fg }, w));
    const d = distances[i];
    const bh = Math.max(1, (barH * d) / maxD);
    svg.append(s('rect', {
      x: xw(i) - Math.min(colW, cols[i]) * 0.3, y: barTop + barH - bh, width: Math.min(colW, cols[i]) * 0.6, height: bh, rx: 2,
      fill: i === top ? c.crownibp : c.ibp, opacity: i === top ? 1 : 0.75,
    }));
    svg.append(s('text', { x: xw(i), y: barTop + barH + 14, 'text-anchor': 'middle', class: 'dist', fill: c.fg2 }, sig3(d)));
  });
  svg.append(s('text', { x: 4, y: barTop + 10, class: 'axis', fill: c.fg2 }, 'd'));
  return { W, H };
}

/** The master-forget-gate staircase: one column per word, one row per level (level 1 at the bottom). */
export class Staircase {
  constructor(canvas) {
    this.canvas = canvas;
    this.data = null;
    this._ro = onResize(canvas.parentElement || canvas, () => this.draw());
    this._unscheme = onSchemeChange(() => this.draw());
  }

  update(data) {
    this.data = data;
    this.draw();
  }

  draw() {
    const d = this.data;
    const cv = this.canvas;
    if (!d || !cv.parentElement) return;
    const c = colors();
    const dpr = window.devicePixelRatio || 1;
    const { words, gates, width: Wd, rowLabel } = d;
    const n = words.length;
    const cssW = Math.max(280, cv.parentElement.clientWidth);
    const left = 46;
    const right = 70;
    const bottom = 58;
    const topPad = 8;
    const cellW = Math.max(8, (cssW - left - right) / n);
    const cellH = Math.max(2, Math.min(16, 220 / Wd));
    const plotH = cellH * Wd;
    const cssH = topPad + plotH + bottom;
    cv.style.width = `${cssW}px`;
    cv.style.height = `${cssH}px`;
    cv.width = Math.round(cssW * dpr);
    cv.height = Math.round(cssH * dpr);
    const ctx = cv.getContext('2d');
    ctx.setTransform(dpr, 0, 0, dpr, 0, 0);
    ctx.fillStyle = c.bg;
    ctx.fillRect(0, 0, cssW, cssH);
    for (let t = 0; t < n; t++) {
      for (let k = 0; k < Wd; k++) {
        const v = gates[t * Wd + k];
        const col = sequential(v);
        ctx.fillStyle = `rgb(${col[0]}, ${col[1]}, ${col[2]})`;
        // level k (0-based) drawn from the bottom up
        ctx.fillRect(left + t * cellW, topPad + plotH - (k + 1) * cellH, Math.ceil(cellW), Math.ceil(cellH));
      }
    }
    ctx.strokeStyle = c.grid;
    ctx.strokeRect(left + 0.5, topPad + 0.5, cellW * n, plotH);
    ctx.fillStyle = c.fg2;
    ctx.font = '11px system-ui, sans-serif';
    ctx.textAlign = 'right';
    ctx.fillText('high', left - 5, topPad + 10);
    ctx.fillText('low', left - 5, topPad + plotH - 2);
    ctx.save();
    ctx.translate(12, topPad + plotH / 2);
    ctx.rotate(-Math.PI / 2);
    ctx.textAlign = 'center';
    ctx.fillText(rowLabel, 0, 0);
    ctx.restore();
    ctx.fillStyle = c.fg;
    ctx.font = '12px system-ui, sans-serif';
    for (let t = 0; t < n; t++) {
      ctx.save();
      ctx.translate(left + (t + 0.5) * cellW, topPad + plotH + 8);
      ctx.rotate(-Math.PI / 5);
      ctx.textAlign = 'right';
      ctx.fillStyle = d.unknown[t] ? c.bad : c.fg;
      ctx.fillText(words[t], 0, 8);
      ctx.restore();
    }
    // colour bar
    const bx = left + cellW * n + 18;
    for (let i = 0; i < plotH; i++) {
      const col = sequential(1 - i / plotH);
      ctx.fillStyle = `rgb(${col[0]}, ${col[1]}, ${col[2]})`;
      ctx.fillRect(bx, topPad + i, 10, 1.5);
    }
    ctx.fillStyle = c.fg2;
    ctx.textAlign = 'left';
    ctx.font = '11px system-ui, sans-serif';
    ctx.fillText('1 keep', bx + 13, topPad + 9);
    ctx.fillText('0 erase', bx + 13, topPad + plotH);
  }

  toPNG() {
    return this.canvas.toDataURL('image/png');
  }

  destroy() {
    this._ro.disconnect();
    this._unscheme();
  }
}

/** The tree as brackets: `spans` are [start, end) constituents over `words` (whole sentence included). */
export function bracketed(words, spans) {
  const open = Array(words.length).fill(0);
  const close = Array(words.length).fill(0);
  for (const [a, b] of spans) {
    open[a] += 1;
    close[b - 1] += 1;
  }
  return words.map((w, i) => `${'('.repeat(open[i])}${w}${')'.repeat(close[i])}`).join(' ');
}
