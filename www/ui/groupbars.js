// Grouped horizontal bars in HTML (no canvas: they reflow at any width and are readable by screen readers through
// their titles): one row per item, one thin bar per series, an optional reference line, a legend, and the numbers
// beside each row. The class names are `<cls>-legend`, `<cls>-swatch s<k>`, `<cls>-bar-row`, `<cls>-bar-name`,
// `<cls>-bar-set` (with `--ref` when there is a reference line), `<cls>-bar s<k>`, `<cls>-bar-val`, styled by the
// lab's stylesheet.

import { h } from './controls.js';

/**
 * Fills `el` with the chart `c`: `{ rows: [{ name, bars: [{ k, width (0..1), title }], value }], ref (0..1 or
 * null), aria }`; `series`: the series' names (legend, in `k` order); `refLabel`: the reference line's legend;
 * `hint`: a line after the legend.
 */
export function groupBars(el, c, { cls, series, refLabel, hint }) {
  el.setAttribute('aria-label', c.aria);
  el.replaceChildren(
    h('div', { class: `${cls}-legend` }, ...series.map((name, k) => h('span', {}, h('i', { class: `${cls}-swatch s${k}` }), name)),
      c.ref ? h('span', {}, h('i', { class: `${cls}-swatch ref` }), refLabel) : null,
      hint ? h('span', { class: 'hint' }, hint) : null),
    ...c.rows.map((row) => h('div', { class: `${cls}-bar-row` }, h('span', { class: `${cls}-bar-name` }, row.name),
      h('span', { class: `${cls}-bar-set`, style: c.ref ? `--ref:${(100 * c.ref).toFixed(1)}%` : null },
        ...row.bars.map((b) => h('span', { class: `${cls}-bar s${b.k}`, style: `width:${(100 * b.width).toFixed(1)}%`, title: b.title }))),
      h('span', { class: `${cls}-bar-val` }, row.value))));
}
