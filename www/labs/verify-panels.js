// The verify page's two comparisons with the paper: the training-method panel (verified error vs ε of the CNNs
// trained with CROWN-IBP, IBP and naturally, and the table beside the paper's number) and the fidelity card. They
// only lay out numbers: trainingComparison (verify-findings.js) averages the seeds, verify-data.js shapes the rows.

import { h, pct } from '../ui/controls.js';
import { panel, dataTable } from '../ui/labpage.js';
import { CurvePlot } from '../ui/plots.js';
import { hereSummary, trainingComparison, TRAININGS } from './verify-findings.js';
import { PAPER_MNIST, bestBound, trainingRows } from './verify-data.js';

/** The training-method panel: `el` goes into the page; `draw(models)` fills it once the model list is in. */
export class TrainingPanel {
  constructor() {
    this.box = h('div', { class: 'plot', 'aria-label': 'verified error versus epsilon by training method' });
    this.note = h('p', { class: 'sub', 'data-testid': 'training-note' });
    this.table = h('div', { 'data-testid': 'training-table' });
    this.el = panel('Training method: CROWN-IBP vs IBP vs natural (the CNNs)', this.box, this.note, this.table);
    this.el.dataset.testid = 'training-panel';
  }

  /** Makes the plot (the panel is in the document: the plot measures its box). */
  mounted() {
    this.plot = new CurvePlot(this.box, {
      xLabel: 'ε (L∞ radius)', xLabelShort: 'ε', xFormat: (x) => x.toFixed(3), yLabel: 'verified error (%)',
      xRange: [0, 0.45], yRange: () => [0, 100], ySuffix: '%', markerLabel: 'ε',
      series: TRAININGS.map((r) => ({ key: r.key, label: r.label, color: r.color, dash: r.key === 'natural' ? [6, 4] : null })),
    });
  }

  /** Draws the comparison of the shipped `models` (once: the model list does not change). */
  draw(models) {
    if (this.cmp) return;
    this.cmp = trainingComparison(models);
    const { eps, rows } = this.cmp;
    this.plot.update(eps, TRAININGS.map((t) => rows.find((r) => r.key === t.key)?.mean || eps.map(() => null)));
    if (!rows.length) {
      this.note.textContent = 'The model list has no CNNs.';
      return;
    }
    this.table.replaceChildren(dataTable({ cls: 'fidelity', rows: trainingRows(this.cmp), numeric: () => false,
      head: ['training', 'seeds', 'clean error', 'verified, ε = 0.1', 'verified, ε = 0.3', 'paper, ε = 0.3', 'verified, ε = 0.4', 'paper, ε = 0.4'] }));
    this.note.textContent = 'Verified error = misclassified or not verified by the tighter of IBP and CROWN-IBP, mean over seeds '
      + '(range in brackets). Ours: a small CNN (see the model label), 8,000 training digits, a short schedule, train ε 0.4; '
      + 'the paper’s: its large CNN on the 60,000 MNIST digits, 200 epochs, train ε 0.4, CROWN-IBP only (7.02% at ε = 0.3, from the paper’s abstract; its ε = 0.4 number is not quoted: we could not check it in the paper’s text).';
  }

  destroy() {
    this.plot?.destroy();
  }
}

/**
 * The fidelity card: the paper's verified errors at ε = 0.3 and 0.4 beside the tightest bound of our CROWN-IBP
 * model `robust` (with one summary cell of how it was made), and the test set. `nTest`: the test digits the model
 * reports; `note`: a node shown below the table.
 */
export function fidelityCard(robust, nTest, note) {
  const rows = PAPER_MNIST.map((p, i) => {
    const b = bestBound(robust, p.eps);
    return [`verified error, ε = ${p.eps}`, p.verified, [b ? pct(b.v) : '–', b ? h('div', { class: 'sub' }, `by ${b.name}`) : null],
      ...(i === 0 ? [{ value: hereSummary(robust), rowspan: PAPER_MNIST.length, cls: null }] : [])];
  });
  const clean = robust?.metrics?.clean_err;
  const text = (value) => ({ value, cls: null });
  rows.push(['test set', text('10,000 MNIST test digits'),
    text(`${nTest.toLocaleString('en-US')} held-out digits${Number.isFinite(clean) ? `, clean error ${pct(clean)}` : ''}`),
    text('the shipped data are the first 10,000 MNIST training digits, split 8,000 / 2,000')]);
  return { rows, after: [note] };
}
