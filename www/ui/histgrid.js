// HistogramGrid: small histograms side by side, one per group (e.g. a network's layers), each with one curve per
// stage (e.g. after each task, coloured along the sequential scale), counts shown as a share of the group in %, and
// a marker line (e.g. the initial value). Knows nothing about a lab.
//
//   const g = new HistogramGrid(container, { groups: ['layer 1', 'layer 2'], stages: 5,
//     stageLabel: (t) => `after task ${t + 1}`, xLabel, xRange, markerLabel, cellClass });   // + any CurvePlot option
//   g.update(xs, counts, marker)   // xs: bin centres; counts[stage][group]: bin counts (missing stages are gaps)
//   g.destroy()

import { h } from './controls.js';
import { CurvePlot } from './plots.js';
import { sequential } from './heatmap.js';

export class HistogramGrid {
  constructor(container, { groups, stages, stageLabel = (t) => `stage ${t + 1}`, cellClass = 'hist-cell', ...plotOpts }) {
    this.stages = stages;
    this.plots = groups.map((name) => {
      const box = h('div', { class: 'plot small' });
      container.append(h('div', { class: cellClass }, h('h3', {}, name), box));
      return new CurvePlot(box, {
        yLabel: 'share (%)', ySuffix: '%', yRange: (lo, hi) => [0, Math.max(5, Math.ceil((hi ?? 5) / 5) * 5)],
        ...plotOpts,
        series: Array.from({ length: stages }, (_, t) => ({
          key: `s${t}`, label: stageLabel(t), color: `rgb(${sequential(0.1 + 0.8 * (t / Math.max(1, stages - 1))).join(',')})`, points: false,
        })),
      });
    });
  }

  update(xs, counts, marker) {
    this.plots.forEach((plot, g) => {
      plot.update(xs, Array.from({ length: this.stages }, (_, t) => {
        const c = counts[t]?.[g];
        if (!Array.isArray(c)) return xs.map(() => null);
        const total = c.reduce((a, b) => a + b, 0) || 1;
        return c.map((n) => (100 * n) / total);
      }));
      if (marker !== undefined) plot.setMarker(marker);
    });
  }

  destroy() {
    for (const p of this.plots) p.destroy();
  }
}
