// A 2-D pad that sets two settings at once (e.g. α and β): a canvas with both axes, optional shaded cells behind
// (shipped results: one rectangle per cell, opacity by a value in 0..1), the current point with its cross-hairs;
// click or drag to move it, arrow keys step (left/right: x, up/down: y; shift: 10 steps). A slider for assistive
// technology (role="slider", aria-valuetext). Colours from the palette, redrawn on a colour-scheme change.
//
//   this.pad = new XYPad({ x: { key: 'alpha', min: 0.6, max: 1, step: 0.01, ticks: [...], label: 'α' }, y: {...},
//     onChange: (patch) => this.set(patch), cells: () => [{ x0, x1, y0, y1, t }] });
//   this.pad.draw({ alpha: 0.7, beta: 0 });

import { h } from './controls.js';
import { colors, onSchemeChange } from './palette.js';

const clamp = (v, lo, hi) => Math.max(lo, Math.min(hi, v));

export class XYPad {
  constructor({ x, y, onChange, cells = () => [], width = 240, height = 180, testid = 'pad', label, cls = 'xy-pad', format = (v) => v.toFixed(2), colour = 'bad' }) {
    Object.assign(this, { x, y, onChange, cells, format, colour });
    this.el = h('canvas', { class: cls, width, height, tabindex: '0', role: 'slider', 'data-testid': testid, 'aria-label': label });
    this.value = null;
    this.el.addEventListener('pointerdown', (ev) => {
      this.dragging = true;
      this.el.setPointerCapture?.(ev.pointerId);
      this.onPointer(ev);
    });
    this.el.addEventListener('pointermove', (ev) => { if (this.dragging) this.onPointer(ev); });
    this.el.addEventListener('pointerup', () => { this.dragging = false; });
    this.el.addEventListener('keydown', (ev) => this.onKey(ev));
    this.dispose = onSchemeChange(() => this.draw(this.value));
  }

  /** Canvas coordinates of the axes: X(x), Y(y) and back, A(px), B(py); `m` the margins. */
  geom() {
    const W = this.el.width;
    const H = this.el.height;
    const m = { l: 34, r: 8, t: 8, b: 26 };
    const { x, y } = this;
    return {
      W, H, m,
      X: (v) => m.l + ((v - x.min) / (x.max - x.min)) * (W - m.l - m.r),
      Y: (v) => H - m.b - ((v - y.min) / (y.max - y.min)) * (H - m.t - m.b),
      A: (px) => x.min + ((px - m.l) / (W - m.l - m.r)) * (x.max - x.min),
      B: (py) => y.min + ((H - m.b - py) / (H - m.t - m.b)) * (y.max - y.min),
    };
  }

  /** Snaps `v` to the axis' step inside its range. */
  snap(axis, v) {
    const k = Math.round(1 / axis.step);
    return Math.round(clamp(v, axis.min, axis.max) * k) / k;
  }

  onPointer(ev) {
    const r = this.el.getBoundingClientRect();
    const g = this.geom();
    const a = this.snap(this.x, g.A(((ev.clientX - r.left) / r.width) * g.W));
    const b = this.snap(this.y, g.B(((ev.clientY - r.top) / r.height) * g.H));
    if (!this.value || a !== this.value[this.x.key] || b !== this.value[this.y.key]) this.onChange({ [this.x.key]: a, [this.y.key]: b });
  }

  onKey(ev) {
    if (!this.value) return;
    const n = ev.shiftKey ? 10 : 1;
    const move = { ArrowLeft: [this.x, -1], ArrowRight: [this.x, 1], ArrowUp: [this.y, 1], ArrowDown: [this.y, -1] }[ev.key];
    if (!move) return;
    ev.preventDefault();
    const [axis, dir] = move;
    this.onChange({ [axis.key]: this.snap(axis, this.value[axis.key] + dir * n * axis.step) });
  }

  /** Draws the axes, the cells and the point `value` (an object with the two keys; null: no point yet). */
  draw(value) {
    this.value = value;
    const ctx = this.el.getContext('2d');
    const c = colors();
    const { W, H, m, X, Y } = this.geom();
    ctx.clearRect(0, 0, W, H);
    ctx.fillStyle = c.bg2;
    ctx.fillRect(m.l, m.t, W - m.l - m.r, H - m.t - m.b);
    for (const cell of this.cells()) {
      ctx.fillStyle = c[this.colour];
      ctx.globalAlpha = 0.08 + 0.8 * clamp(cell.t, 0, 1);
      ctx.fillRect(X(cell.x0), Y(cell.y1), X(cell.x1) - X(cell.x0), Y(cell.y0) - Y(cell.y1));
    }
    ctx.globalAlpha = 1;
    ctx.strokeStyle = c.grid;
    ctx.strokeRect(m.l + 0.5, m.t + 0.5, W - m.l - m.r - 1, H - m.t - m.b - 1);
    ctx.fillStyle = c.fg2;
    ctx.font = '11px system-ui, sans-serif';
    ctx.textAlign = 'center';
    for (const t of this.x.ticks) ctx.fillText(t.toFixed(1), X(t), H - m.b + 13);
    ctx.fillText(this.x.label, (m.l + W - m.r) / 2, H - 2);
    ctx.textAlign = 'right';
    for (const t of this.y.ticks) ctx.fillText(t.toFixed(1), m.l - 4, Y(t) + 4);
    ctx.save();
    ctx.translate(10, (m.t + H - m.b) / 2);
    ctx.rotate(-Math.PI / 2);
    ctx.textAlign = 'center';
    ctx.fillText(this.y.label, 0, 0);
    ctx.restore();
    if (!value) return;
    const a = value[this.x.key];
    const b = value[this.y.key];
    ctx.strokeStyle = c.accent;
    ctx.lineWidth = 2;
    ctx.beginPath();
    ctx.arc(X(a), Y(b), 6, 0, 2 * Math.PI);
    ctx.stroke();
    ctx.lineWidth = 1;
    ctx.beginPath();
    ctx.moveTo(X(a), m.t);
    ctx.lineTo(X(a), H - m.b);
    ctx.moveTo(m.l, Y(b));
    ctx.lineTo(W - m.r, Y(b));
    ctx.stroke();
    this.el.setAttribute('aria-valuetext', `${this.x.label} = ${this.format(a)}, ${this.y.label} = ${this.format(b)}`);
  }

  destroy() {
    this.dispose?.();
  }
}
