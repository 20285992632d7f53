// A drawing pad: black strokes on white with the mouse, a pen or a finger; when a stroke ends, `onStroke(ink)`
// gets the ink as one byte per canvas pixel (0 = paper, 255 = full ink), for the page to turn into a model input.
// `clear()` wipes it. Keyboard users get another way to choose an input from the page (say so in the label).

import { h } from './controls.js';

export class DrawPad {
  /** `side`: canvas pixels per side; `width`: the pen's width in canvas pixels. */
  constructor({ side, width = 14, cls, testid = 'pad', label, onStroke }) {
    Object.assign(this, { side, onStroke });
    this.el = h('canvas', { class: cls, width: side, height: side, 'data-testid': testid, 'aria-label': label });
    const ctx = this.el.getContext('2d');
    this.clear();
    let down = false;
    let last = null;
    const pos = (ev) => {
      const r = this.el.getBoundingClientRect();
      return [((ev.clientX - r.left) / r.width) * side, ((ev.clientY - r.top) / r.height) * side];
    };
    this.el.addEventListener('pointerdown', (ev) => {
      down = true;
      last = pos(ev);
      this.el.setPointerCapture?.(ev.pointerId);
      ev.preventDefault();
    });
    this.el.addEventListener('pointermove', (ev) => {
      if (!down) return;
      const p = pos(ev);
      ctx.strokeStyle = '#000';
      ctx.lineWidth = width;
      ctx.lineCap = 'round';
      ctx.beginPath();
      ctx.moveTo(last[0], last[1]);
      ctx.lineTo(p[0], p[1]);
      ctx.stroke();
      last = p;
      ev.preventDefault();
    });
    const up = () => {
      if (!down) return;
      down = false;
      this.onStroke(this.ink());
    };
    for (const ev of ['pointerup', 'pointercancel', 'pointerleave']) this.el.addEventListener(ev, up);
  }

  /** The ink per canvas pixel, row-major (`side`² bytes). */
  ink() {
    const rgba = this.el.getContext('2d').getImageData(0, 0, this.side, this.side).data;
    const out = new Uint8ClampedArray(this.side * this.side);
    for (let i = 0; i < out.length; i++) out[i] = 255 - rgba[4 * i];
    return out;
  }

  clear() {
    const ctx = this.el.getContext('2d');
    ctx.fillStyle = '#fff';
    ctx.fillRect(0, 0, this.side, this.side);
  }
}
