// The compressive page's views of the numbers: the recall setting's plots and tables, the memory readout, the text
// box coloured by loss and the attention heatmap. Functions of the page (www/labs/compressive.js), which calls them
// from its methods of the same names; the wording comes from compressive-findings.js, the rest from
// compressive-data.js.

import { h } from '../ui/controls.js';
import { dataTable } from '../ui/labpage.js';
import { colourText, probImage } from '../ui/charviews.js';
import { signed3, fmtBpc, trainTextSentence, recallBits, reachOf, distanceSentence, ablationSentence, GUESS_BITS } from './compressive-findings.js';
import { DIST_MODELS, distLabel, RATES, OTHER_FUNCS, funcName, lossName, DEFAULT_TEXT, seedBits, binsOf, binAt, ablationRows, recallSlot } from './compressive-data.js';
import { fmtRate } from './compressive-jobs.js';

/** The recall setting: main plot (recall bits vs c, seed range, the other f_c at c = 4), loss-vs-distance per model
 *  with ranges marked, the f_c-loss ablation, tables. */
export function drawRecall(page) {
  const v = page.values;
  const m = (id) => page.model(id);
  const stat = (id, f) => (m(id) ? f(m(id)) : null);
  const conv = (f) => RATES.map((c) => stat(`conv-c${c}`, f));
  const xl = m('xl');
  page.recallPlot.update(RATES, [conv((e) => e.recall_bits_mean), conv((e) => Math.min(...seedBits(e))), conv((e) => Math.max(...seedBits(e))),
    RATES.map(() => xl?.recall_bits_mean ?? null), RATES.map(() => GUESS_BITS),
    ...OTHER_FUNCS.map((f) => RATES.map((c) => (c === 4 ? stat(`${f}-c4`, (e) => e.recall_bits_mean) : null)))]);
  page.recallPlot.setMarker(v.xl ? null : v.c);
  page.recallPlot.setEmphasis(v.xl ? 'xl' : v.fn);
  page.el.plotMsg.hidden = true;
  const e = page.model();
  const seeds = (x) => seedBits(x).map(fmtBpc).join(' / ');
  page.el.plotReadout.replaceChildren(
    e ? h('span', { class: 'big' }, `${fmtBpc(e.recall_bits_mean)} bits`) : '', e ? ` — ${e.label}, held-out recall characters, mean of ${seedBits(e).length} seeds (${seeds(e)})` : '',
    e && xl && e.id !== 'xl' ? h('span', { class: 'sub' }, ` (${signed3(e.recall_bits_mean - xl.recall_bits_mean)} vs Transformer-XL ${fmtBpc(xl.recall_bits_mean)})`) : '');
  const ms = page.recallShipped.models;
  const cur = page.modelId();
  const xlOf = (x) => (xl && x.id !== 'xl' ? signed3(x.recall_bits_mean - xl.recall_bits_mean) : '');
  page.el.table.replaceChildren(dataTable({ cls: 'cmp-table', head: ['model', 'range (chars)', 'recall bits (mean)', 'spread (max − min)', 'seeds', 'Δ vs XL'],
    caption: `Held-out recall bits (${page.recallShipped.data.heldout_recalls} lines, D uniform in 1–${page.recallShipped.data.d_max}), per model and seed`,
    widths: ['30%', '11%', '13%', '12%', '22%', '12%'], numeric: (j) => j !== 3, // the seeds may wrap on a phone
    rows: ms.map((x) => [x.label, String(x.temporal_range), fmtBpc(x.recall_bits_mean), fmtBpc(x.recall_bits_spread), seeds(x), xlOf(x)]),
    rowClass: (i) => (ms[i].id === cur ? 'current' : null) }));
  // loss vs distance: the mean over seeds of each bin
  const present = DIST_MODELS.filter(({ id }) => m(id));
  const xs = present.length ? binsOf(m(present[0].id)).map((b) => b[0]) : [];
  page.distPlot.update(xs, DIST_MODELS.map(({ id }) => (m(id) ? binsOf(m(id)).map((b) => b[1]) : xs.map(() => null))));
  page.distPlot.setEmphasis(page.modelId());
  page.distPlot.setMarker(e ? e.temporal_range : null);
  page.distPlot.setLive(present.map(({ id, color }) => ({ x: m(id).temporal_range, y: binAt(binsOf(m(id)), m(id).temporal_range), color, label: `${id}: range ${m(id).temporal_range}` })));
  page.reaches = present.map(({ id }) => ({ label: distLabel(id), range: m(id).temporal_range, reach: reachOf(binsOf(m(id))) }));
  page.el.distReadout.textContent = distanceSentence(page.reaches, m(present[0]?.id)?.config?.seg ?? 32) || '';
  page.el.distTable.replaceChildren(dataTable({ cls: 'cmp-table', head: ['D ≤', ...present.map(({ id }) => id)],
    caption: 'Recall bits by distance bin (mean of the seeds)',
    rows: xs.map((d, k) => [String(d), ...present.map(({ id }) => fmtBpc(binsOf(m(id))[k]?.[1]))]) }));
  // the f_c-loss ablation
  page.ablation = ablationRows(ms);
  page.el.ablationReadout.textContent = ablationSentence(page.ablation, xl && { mean: xl.recall_bits_mean, spread: xl.recall_bits_spread }) || 'The ablation models are not shipped.';
  page.el.ablation.replaceChildren(dataTable({ cls: 'cmp-table', head: ['f_c loss', 'recall bits (mean)', 'spread', 'seeds', 'Δ vs XL'],
    caption: 'Conv f_c, c = 4, trained with each loss (held-out recall bits)',
    widths: ['30%', '16%', '12%', '28%', '14%'], numeric: (j) => j !== 2,
    rows: page.ablation.map((r) => [r.name, fmtBpc(r.mean), fmtBpc(r.spread), r.bits.map(fmtBpc).join(' / '), xlOf(m(r.id))]),
    rowClass: (i) => (page.ablation[i].id === cur ? 'current' : null) }));
}

/** The memory sizes and temporal range of the shown model. */
export function drawMemory(page) {
  const e = page.model();
  const cfg = e?.config;
  if (!cfg) {
    page.el.memory.textContent = '';
    return;
  }
  const row = (k, x, attrs = {}) => h('tr', attrs.em ? { class: 'em' } : {}, h('th', {}, k), h('td', attrs.em ? { 'data-testid': 'range' } : {}, x));
  page.el.memory.replaceChildren(
    h('div', { class: 'sub' }, `Model: ${e.label}${page.tuned.has(e.id) ? ' (fine-tuned here)' : ''}`),
    h('table', { class: 'cmp-mem' }, h('tbody', {}, row('segment n_s', `${cfg.seg}`), row('memory n_m', `${cfg.mem}`),
      row('compressed n_cm', `${cfg.cmem}`), row('rate c', cfg.cmem ? `${cfg.rate}` : '–'), row('f_c', cfg.cmem ? funcName(cfg.func) : '–'),
      ...(cfg.cmem && cfg.fc_loss !== 'attention' ? [row('f_c loss', lossName(cfg.fc_loss))] : []),
      row('temporal range', `${e.temporal_range} chars / layer`, { em: true }))),
    h('div', { class: 'hint' }, cfg.cmem ? `n_m + c·n_cm = ${cfg.mem} + ${cfg.rate}·${cfg.cmem}` : 'n_m (overflow discarded)'));
}

/** The text box's characters coloured by their loss, with the mean, speed and the recall characters' bits. */
export function drawColored(page) {
  const { text, bits, ms } = page.bits;
  const chars = [...text];
  const mean = bits.reduce((a, b) => a + b, 0) / bits.length;
  page.root.dataset.scoreBpc = mean.toFixed(3);
  const train = text === DEFAULT_TEXT ? trainTextSentence(mean, page.model()?.val_bpc) : null;
  const rec = page.values.data === 'recall' ? recallBits(text, bits) : null;
  if (rec) page.root.dataset.recallBits = rec.n ? rec.mean.toFixed(3) : '';
  page.el.scoreReadout.replaceChildren(
    h('span', { class: 'big' }, `${mean.toFixed(3)} bits/char`),
    ` over ${bits.length.toLocaleString('en-US')} predicted characters`,
    h('span', { class: 'sub' }, ` · evaluated in ${ms.toFixed(0)} ms (${fmtRate((bits.length / ms) * 1000)} characters/s, ${page.engine.badge()})`),
    train ? h('div', { class: 'sub', 'data-testid': 'train-text' }, train) : '',
    rec ? h('div', { class: 'sub', 'data-testid': 'recall-readout' }, rec.n
      ? `Recall characters (after "="): ${rec.recalls.map((r) => `D = ${r.distance}: ${r.bits.toFixed(2)} bits`).join(' · ')}; a blind guess is ${GUESS_BITS.toFixed(2)} bits.`
      : 'No recall character in this text (a capital right after "=").') : '');
  colourText(page.el.colored, page.el.legend, chars, bits, 8);
}

/** One head's attention over [compressed memory; memory; segment] and, at a recall, the slot it reads. */
export function drawAttention(page, meta, probs) {
  const { t, s, cm_rows: ncm, m_rows: nm, mass_cm: mcm, mass_m: mm, mass_seg: mseg } = meta;
  const head = page.values.head;
  const layer = Math.min(page.values.layer, page.model()?.config?.layers ?? 2);
  probImage(page.el.attnCanvas, probs, t, s, (i, j) => j > s - t + i); // grey: future positions
  const pctW = (k) => `${(100 * k) / s}%`;
  page.el.attnLabels.replaceChildren(
    ncm ? h('span', { class: 'part cm', style: `width: ${pctW(ncm)}` }, `compressed (${ncm})`) : '',
    nm ? h('span', { class: 'part m', style: `width: ${pctW(nm)}` }, `memory (${nm})`) : '',
    h('span', { class: 'part seg', style: `width: ${pctW(t)}` }, `segment (${t})`));
  page.el.attnMsg.hidden = true;
  const p1 = (x) => `${(100 * x).toFixed(1)}%`;
  page.el.attnCanvas.setAttribute('aria-label', `attention of layer ${layer}, head ${head}: ${p1(mcm)} on compressed memory, ${p1(mm)} on memory, ${p1(mseg)} on the segment`);
  page.attn = { layer, head, mcm, mm, mseg };
  let recallNote = '';
  if (page.attnAtRecall && t >= 1) {
    const r = recallSlot(probs, t, s, ncm, nm, page.model()?.config?.rate ?? 1);
    recallNote = `When it reads the "=" and must recall the key, this head looks hardest at ${r.part} (${p1(r.p)}); ${p1(r.onCm)} of that query's attention is on compressed memory.`;
    page.root.dataset.recallSlot = r.slot;
  }
  page.el.attnMass.replaceChildren(
    `Layer ${layer}, head ${head}, mean over the ${t} queries: `,
    h('span', { class: 'big' }, p1(mcm)), ' on compressed memory · ', h('span', { class: 'big' }, p1(mm)), ' on memory · ',
    h('span', { class: 'big' }, p1(mseg)), ' on the segment',
    h('span', { class: 'sub' }, ncm ? '' : page.values.xl ? ' (Transformer-XL has no compressed memory)' : ' (the text is too short to fill the compressed memory)'),
    recallNote ? h('div', { 'data-testid': 'recall-slot' }, recallNote) : '',
    h('div', { class: 'sub' }, 'Colour: √(probability / row maximum), viridis; grey: future positions (masked).'));
}
