// Views for per-character and attention numbers: `colourText` colours each character of a text by a value (bits of
// surprise, on the sequential scale) with a legend, and `probImage` paints a probability matrix into a canvas (one
// pixel per cell, √(p / max) on the sequential scale, masked cells grey). Layout only; knows nothing about a lab.

import { h } from './controls.js';
import { sequential } from './heatmap.js';

/** Background and text colour for value `v` on a scale [0, max]. */
const shade = (v, max) => {
  const c = sequential(Math.min(1, v / max));
  return `background: rgb(${c.join(',')}); color: ${v / max > 0.6 ? '#000' : '#fff'}`;
};

/**
 * Fills `el` with one span per character of `chars`; character i > 0 is coloured by `bits[i - 1]` (the first has
 * nothing to predict it from), with a tooltip; `legend` gets the scale at 0, max/4, ..., max ("max+").
 */
export function colourText(el, legend, chars, bits, max = 8) {
  el.replaceChildren(h('span', { class: 'c0', title: 'first character: nothing to predict it from' }, chars[0]),
    ...chars.slice(1).map((ch, i) => h('span', { style: shade(bits[i], max), title: `${JSON.stringify(ch)}: ${bits[i].toFixed(2)} bits` }, ch)));
  legend.replaceChildren('bits per character: ', ...[0, 1, 2, 3, 4].map((k) => (k * max) / 4)
    .map((b) => h('span', { class: 'sw', style: shade(b, max) }, `${b}${b === max ? '+' : ''}`)));
}

/** Paints `probs` (row-major rows x cols) into `canvas`, one pixel per cell; `masked(i, j)` cells are faint grey. */
export function probImage(canvas, probs, rows, cols, masked = () => false) {
  [canvas.width, canvas.height] = [cols, rows];
  const ctx = canvas.getContext('2d');
  const img = ctx.createImageData(cols, rows);
  let mx = 0;
  for (const p of probs) mx = Math.max(mx, p);
  for (let i = 0; i < rows; i++) {
    for (let j = 0; j < cols; j++) {
      const m = masked(i, j);
      img.data.set([...(m ? [128, 128, 128] : sequential(Math.sqrt(probs[i * cols + j] / (mx || 1)))), m ? 40 : 255], 4 * (i * cols + j));
    }
  }
  ctx.putImageData(img, 0, 0);
}
