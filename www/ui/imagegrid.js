// A grid of small images with row and column headings (e.g. corruptions × severities): one canvas per cell,
// painted a row at a time from a stack of RGBA frames; clicking a cell picks it; one column can be marked (`on`)
// and one cell selected (`sel`). The class names are `<cls>-grid`, `<cls>-label`, `<cls>-colhead`, `<cls>-cell`,
// styled by the lab's stylesheet. Cells carry `data-r`, `data-c` (the ids) and `data-done="1"` once painted.

import { h } from './controls.js';
import { paintRgba } from './pixels.js';

export class ImageGrid {
  /** `rows`, `cols`: `[{ id, label }]`; `onPick(rowId, colId)` on a click; `cell(row, col)` the cell's words. */
  constructor({ rows, cols, cls, onPick, cell = (r, c) => `${r.label}, ${c.label}`, testid = 'grid' }) {
    Object.assign(this, { rows, cols });
    this.el = h('div', { class: `${cls}-grid`, 'data-testid': testid });
    this.heads = cols.map((c) => h('span', { class: `${cls}-colhead`, 'data-s': String(c.id) }, c.label));
    this.el.append(h('span', {}), ...this.heads);
    this.cells = [];
    for (const r of rows) {
      this.el.append(h('span', { class: `${cls}-label` }, r.label));
      for (const c of cols) {
        const words = cell(r, c);
        const cv = h('canvas', { class: `${cls}-cell`, role: 'img', 'aria-label': words, title: `${words} (click for the large view)`, 'data-c': String(r.id), 'data-s': String(c.id) });
        cv.addEventListener('click', () => onPick(r.id, c.id));
        this.cells.push(cv);
        this.el.append(cv);
      }
    }
  }

  /** Marks every cell as not painted yet. */
  reset() {
    for (const cv of this.cells) cv.dataset.done = '0';
  }

  /** Paints row `i` from `rgba`: one `w` × `ht` frame per column, in column order. */
  paintRow(i, rgba, w, ht) {
    const n = w * ht * 4;
    this.cols.forEach((_, j) => {
      const cv = this.cells[i * this.cols.length + j];
      paintRgba(cv, rgba, w, ht, j * n);
      cv.dataset.done = '1';
    });
  }

  /** Outlines column `colId` (cells and heading) and selects the cell of `rowId` in it. */
  mark(colId, rowId) {
    for (const cv of this.cells) {
      const on = cv.dataset.s === String(colId);
      cv.classList.toggle('on', on);
      cv.classList.toggle('sel', on && cv.dataset.c === String(rowId));
    }
    for (const el of this.heads) el.classList.toggle('on', el.dataset.s === String(colId));
  }
}
