// The onlstm lab: Ordered Neurons (Shen, Tan, Sordoni & Courville, ICLR 2019). An ON-LSTM language model trained on
// sentences of a small English-like grammar; its master forget gate gives a syntactic distance per word, and
// splitting at the largest distance, top-down, gives a constituency tree that nobody taught it.
//
// Wires controls, plots and the engine; does no math. The engine's OnlstmLab (src/wasm/onlstm.rs) reads a typed
// sentence (distances, master-forget-gate staircase, induced tree per layer), samples from the model, and trains a
// fresh one in small steps (progress, cancel). The shipped models' perplexity and parse F1 come from
// www/models/onlstm/manifest.json and are drawn before the engine has loaded.
//
// Test hooks (data attributes on #lab):
//   data-tree-status   pending | ok | error      the sentence panel
//   data-spans         JSON of the induced tree's spans [[start, end], ...] for the chosen layer (whole sentence first)
//   data-words         the words the model read, space-separated (<unk> for unknown words)
//   data-run-status    idle | running | done | cancelled | error     the live training run
//   data-tokens-per-s  tokens per second of the last live run (training: forward + backward + Adam)
//   data-samples       number of sampled sentences shown
// and document.body.dataset.ready = "1" once the engine is up and the first sentence is drawn (or either failed).

import { h, slider, select, intPicker, progress, notesBox, sig3 } from '../ui/controls.js';
import { parseState } from '../ui/state.js';
import { download, downloadText, csvText, ensureCss, fetchJson, labHeader, labFooter, showBackend, writeLabHash, LabState } from '../ui/labpage.js';
import { CurvePlot } from '../ui/plots.js';
import { sequential } from '../ui/heatmap.js';
import { colors, onSchemeChange } from '../ui/palette.js';
import { getEngine } from '../engine/engine.js';

const MODELS_DIR = new URL('../models/onlstm/', import.meta.url);
const MANIFEST_URL = new URL('manifest.json', MODELS_DIR);
const CSS_URL = new URL('./onlstm.css', import.meta.url);

const PAPER = {
  title: 'Ordered Neurons: Integrating Tree Structures into Recurrent Neural Networks',
  short: 'ON-LSTM',
  authors: 'Yikang Shen, Shawn Tan, Alessandro Sordoni, Aaron Courville',
  venue: 'ICLR 2019 (best paper)',
  url: 'https://arxiv.org/abs/1810.09536',
  idea:
    'Sort the LSTM’s neurons from low to high level and gate them with cumax, a cumulative softmax: when the master '
    + 'forget gate erases a high-level neuron it erases every neuron below it too, so high levels keep long '
    + 'constituents and low levels short ones — and how much the gate erases at each word is a syntactic distance '
    + 'that yields a parse tree without any tree supervision.',
  // Section 6.2, Table 2 (full WSJ test set, sentence-level F1): ON-LSTM's 2nd layer; the trivial baselines.
  // Table 2, WSJ test: ON-LSTM 2nd layer mean over runs 47.7 (sd 1.5), best run 49.4.
  f1: { onlstm: 47.7, onlstmBest: 49.4, right: 39.8, random: 21.6 },
  ptbPpl: 56.17,
};

const CHUNKS = ['2', '4', '8', '16', '32'];
const DEFAULT_SENTENCE = 'the old man that the dogs like sees a bird in the park';
const EXAMPLES = [
  DEFAULT_SENTENCE,
  'alice knows that the children of the farmer sleep',
  'in the garden the queen paints the red boat quickly',
  'the king \'s horse chases some cats near the river',
  'every teacher that likes many books helps the child',
];
const STEP_MS = 80;

function buildSpec() {
  return [
    { name: 'chunk', type: 'enum', values: CHUNKS, default: '4', what: 'chunk size (2, 4, 8, 16 or 32)' },
    { name: 'model', type: 'enum', values: ['onlstm', 'lstm'], default: 'onlstm', what: 'model' },
    { name: 'layer', type: 'enum', values: ['1', '2'], default: '2', what: 'layer' },
    { name: 's', type: 'text', maxLength: 400, default: DEFAULT_SENTENCE },
    { name: 'temp', type: 'number', min: 0.2, max: 2, step: 0.1, default: 1 },
    { name: 'steps', type: 'enum', values: ['300', '1000', '3000'], default: '1000', what: 'number of steps' },
    { name: 'seed', type: 'int', min: 0, max: 999999, default: 1 },
    { name: 'embed', type: 'bool', default: false, share: false },
  ];
}

const modelId = (v) => (v.model === 'lstm' ? 'lstm' : `onlstm-c${v.chunk}`);
const modelName = (id) => (id === 'lstm' ? 'LSTM (baseline)' : `ON-LSTM, C = ${id.replace('onlstm-c', '')}`);
/** Mean, min and max over the manifest's seeds of layer k's test F1, or null with fewer than two seeds. */
function seedStats(e, k) {
  const xs = (e?.seeds || []).map((r) => r.test_f1_by_layer?.[k]).filter(Number.isFinite);
  if (xs.length < 2) return null;
  return { mean: xs.reduce((a, x) => a + x, 0) / xs.length, min: Math.min(...xs), max: Math.max(...xs), n: xs.length };
}
const f1pct = (f) => (Number.isFinite(f) ? `${(100 * f).toFixed(1)}` : '–');

async function loadManifest() {
  const json = await fetchJson(MANIFEST_URL, 'the shipped models (www/models/onlstm/manifest.json)');
  const models = (Array.isArray(json?.models) ? json.models : []).filter((m) => m && typeof m.id === 'string' && m.metrics);
  if (!models.length) throw new Error('the shipped model list (www/models/onlstm/manifest.json) is empty');
  return { ...json, models };
}

// ------------------------------------------------------------------ drawing helpers (no math: layout only)

const SVG = 'http://www.w3.org/2000/svg';
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
function drawTree(svg, { words, unknown, spans, distances, width }) {
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
class Staircase {
  constructor(canvas) {
    this.canvas = canvas;
    this.data = null;
    this._ro = new ResizeObserver(() => this.draw());
    this._ro.observe(canvas.parentElement || canvas);
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

// ------------------------------------------------------------------ the lab

class Lab extends LabState {
  constructor(root) {
    super();
    this.root = root;
    this.engine = getEngine();
    this.values = null;
    this.manifest = null;
    this.handles = new Map();
    this.analysis = null;
    this.analysisSeq = 0;
    this.run = null;
    this.liveModel = null; // { chunk, steps, seed, ppl, f1, seconds, tokensPerS }
    this.useLive = false;
    this.disposers = [];
  }

  // ---------------------------------------------------------------- layout
  render() {
    const el = {};
    this.el = el;
    ({ header: el.header, badge: el.badge } = labHeader({
      title: PAPER.title,
      papers: [[PAPER.authors, PAPER.venue, PAPER.url, 'arXiv:1810.09536']],
      idea: PAPER.idea,
    }));
    el.notes = notesBox();
    el.controls = h('div', { class: 'controls', role: 'group', 'aria-label': 'settings' });
    // live training
    el.runBtn = h('button', { type: 'button', class: 'run', 'data-testid': 'run', onclick: () => this.toggleRun() }, 'train here');
    el.progress = progress({ unit: 'steps' });
    el.runText = h('p', { class: 'hint', 'data-testid': 'run-text' }, '');
    el.runResult = h('div', { class: 'readout', 'data-testid': 'run-result', 'aria-live': 'polite' });
    el.runError = h('div', { class: 'error', hidden: true, 'data-testid': 'run-error' });
    el.useLive = h('input', { type: 'checkbox', id: 'use-live', disabled: true, onchange: () => { this.useLive = el.useLive.checked; this.scheduleAnalysis(); } });
    el.runBox = h('div', { class: 'control run-box' },
      h('label', {}, 'Train a model here'),
      el.runText, el.stepsSel = h('div'), el.runBtn, el.progress.el, el.runError, el.runResult,
      h('div', { class: 'check' }, el.useLive, h('label', { for: 'use-live' }, ' read the sentence with the model trained here')));
    // main column
    el.f1Box = h('div', { class: 'plot', 'aria-label': 'parse F1 versus chunk size' });
    el.f1Readout = h('div', { class: 'readout', 'data-testid': 'f1-readout', 'aria-live': 'polite' });
    el.sentence = h('input', {
      type: 'text', class: 'onl-sentence', 'aria-label': 'sentence', 'data-testid': 'sentence', maxlength: 400, spellcheck: 'false',
      oninput: () => this.setSentence(el.sentence.value),
    });
    el.examples = h('div', { class: 'onl-examples' }, h('span', { class: 'sub' }, 'try: '),
      ...EXAMPLES.map((x) => h('button', { type: 'button', class: 'small', onclick: () => { el.sentence.value = x; this.setSentence(x); } }, x.split(' ').slice(0, 4).join(' ') + ' …')));
    el.treeInfo = h('p', { class: 'sub', 'data-testid': 'tree-info' }, '');
    el.treeMsg = h('div', { class: 'plot-msg', hidden: true, 'data-testid': 'tree-msg' });
    el.svg = document.createElementNS(SVG, 'svg');
    el.svg.setAttribute('class', 'onl-tree');
    el.svg.setAttribute('role', 'img');
    el.treeBox = h('div', { class: 'onl-tree-box' }, el.svg);
    el.bracketed = h('p', { class: 'onl-bracketed', 'data-testid': 'bracketed' });
    el.stair = h('canvas', { class: 'onl-stair', role: 'img', 'aria-label': 'master forget gate per word and level' });
    el.stairBox = h('div', { class: 'onl-stair-box' }, el.stair);
    el.stairInfo = h('p', { class: 'sub' }, '');
    el.table = h('div', { class: 'onl-table', 'data-testid': 'f1-table' });
    el.sampleBtn = h('button', { type: 'button', 'data-testid': 'sample', onclick: () => this.sample() }, 'sample 5 sentences');
    el.samples = h('ol', { class: 'onl-samples', 'data-testid': 'samples' });
    el.sampleMsg = h('div', { class: 'plot-msg', hidden: true });
    el.lossBox = h('div', { class: 'plot small', 'aria-label': 'training loss of the live run' });
    el.notice = h('div', { class: 'notice' });
    el.fidelity = h('div', { class: 'fidelity' });
    Object.assign(el, labFooter({
      name: 'ON-LSTM',
      exports: [
        ['CSV of the F1 table', () => this.exportCSV()],
        ['CSV of this sentence', () => this.exportSentence()],
        ['PNG of the F1 plot', () => download(`paperlab-onlstm-f1.png`, this.f1Plot.toPNG('ON-LSTM lab · parse F1 vs chunk size'))],
        ['PNG of the staircase', () => download('paperlab-onlstm-staircase.png', this.stairView.toPNG())],
        ['model (.safetensors)', () => this.downloadModel()],
      ],
    }));

    this.root.replaceChildren(
      el.embedBar,
      el.header,
      h('div', { class: 'lab-grid' },
        h('aside', { class: 'col-left' }, el.notes.el, el.controls, el.runBox),
        h('div', { class: 'col-main' },
          h('section', { class: 'panel' },
            h('h2', {}, 'Unsupervised parse F1 vs chunk size (1,000 test sentences of the grammar)'),
            el.f1Box, el.f1Readout),
          h('section', { class: 'panel' },
            h('h2', {}, 'Type a sentence: the tree the model induces, and the syntactic distance of each word'),
            el.sentence, el.examples, el.treeInfo, el.treeMsg, el.treeBox, el.bracketed),
          h('section', { class: 'panel' },
            h('h2', {}, 'The master forget gate f̃ at each word: the “staircase”'),
            el.stairInfo, el.stairBox),
          h('section', { class: 'panel' },
            h('h2', {}, 'Perplexity and parse F1 of every shipped model, the baselines, and the paper'),
            el.table),
          h('section', { class: 'panel' },
            h('h2', {}, 'Sentences sampled from the language model'),
            h('div', { class: 'row' }, el.sampleBtn), el.sampleMsg, el.samples),
          h('section', { class: 'panel' },
            h('h2', {}, 'Live training: cross-entropy per token'),
            el.lossBox)),
        h('aside', { class: 'col-right' },
          h('section', { class: 'panel' }, h('h2', {}, 'What to notice'), el.notice),
          h('section', { class: 'panel' }, h('h2', {}, 'Fidelity'), el.fidelity))),
      el.foot);

    this.f1Plot = new CurvePlot(el.f1Box, {
      xLabel: 'chunk size C (D = 64 / C levels)',
      xLabelShort: 'C',
      xFormat: (x) => String(Math.round(2 ** x)),
      yLabel: 'sentence-level F1 (%)',
      xRange: [0.8, 5.2],
      xTicks: [1, 2, 3, 4, 5],
      markerText: (x) => `C = ${Math.round(2 ** x)}`,
      yRange: (lo, hi) => [0, Math.max(70, Math.ceil(((hi ?? 60) + 5) / 10) * 10)],
      ySuffix: '%',
      markerLabel: 'log₂ C',
      series: [
        { key: 'l2', label: 'ON-LSTM layer 2', color: 'crownibp', width: 1.4 },
        { key: 'l1', label: 'ON-LSTM layer 1', color: 'ibp' },
        { key: 'right', label: 'right-branching', color: 'crown', dash: [6, 4], points: false },
        { key: 'random', label: 'random trees', color: 'clean', dash: [3, 3], points: false },
        { key: 'left', label: 'left-branching', color: 'clean', dash: [10, 4], points: false },
        { key: 'lstm', label: 'LSTM layer 2 (forget gate, for comparison)', color: 'good', dash: [2, 5], points: false },
      ],
    });
    this.f1Plot.setEmphasis('l2');
    this.lossPlot = new CurvePlot(el.lossBox, {
      xLabel: 'training step',
      xLabelShort: 'step',
      xFormat: (x) => String(Math.round(x)),
      yLabel: 'nats per token',
      xRange: [0, 1000],
      yRange: (lo, hi) => [Math.max(0, Math.floor((lo ?? 2.5) * 2) / 2 - 0.5), Math.ceil((hi ?? 5.5) + 0.2)],
      markerLabel: 'step',
      series: [{ key: 'ce', label: 'training cross-entropy (mean of the last steps)', color: 'crownibp', points: false }],
    });
    this.stairView = new Staircase(el.stair);
    const onResize = () => this.drawTree();
    window.addEventListener('resize', onResize);
    this.disposers.push(onSchemeChange(onResize));
    this.disposers.push(() => window.removeEventListener('resize', onResize), () => this.f1Plot.destroy(), () => this.lossPlot.destroy(), () => this.stairView.destroy());
  }

  buildControls() {
    const v = this.values;
    const c = {};
    this.c = c;
    c.chunk = slider({
      id: 'chunk', label: 'Chunk size C', unit: 'neurons per level', min: 1, max: 5, step: 1,
      value: Math.log2(Number(v.chunk)), format: (x) => String(2 ** x),
      hint: 'The master gates have D = 64 / C levels; each level gates C neurons. Arrow keys step ×2.',
      onInput: (x) => this.set({ chunk: String(2 ** Math.round(x)) }),
    });
    // The range moves in log2 C; its number box would show log2 C, so a read-out of C and D replaces it.
    c.chunkOut = h('output', { class: 'onl-chunk-out', for: 'chunk', 'data-testid': 'chunk-value' });
    c.chunk.num.replaceWith(c.chunkOut);
    c.model = select({
      id: 'model', label: 'Model', value: v.model,
      options: [{ value: 'onlstm', label: 'ON-LSTM (the paper’s cell)' }, { value: 'lstm', label: 'LSTM baseline, same size' }],
      onChange: (x) => this.set({ model: x }),
    });
    c.layer = select({
      id: 'layer', label: 'Distances from layer', value: v.layer,
      options: [{ value: '1', label: 'layer 1 (next to the words)' }, { value: '2', label: 'layer 2 (the top layer)' }],
      onChange: (x) => this.set({ layer: x }),
    });
    c.temp = slider({
      id: 'temp', label: 'Sampling temperature', unit: '', min: 0.2, max: 2, step: 0.1, value: v.temp,
      format: (x) => x.toFixed(1), hint: 'Below 1: safer sentences; above 1: wilder ones.',
      onInput: (x) => this.set({ temp: x }),
    });
    c.seed = intPicker({
      id: 'seed', label: 'Seed', min: 0, max: 999999, value: v.seed, random: true,
      hint: 'for sampling and for the live training run',
      onChange: (x) => this.set({ seed: x }),
    });
    c.steps = select({
      id: 'steps', label: 'Steps', value: v.steps,
      options: [{ value: '300', label: '300 steps (quick look)' }, { value: '1000', label: '1,000 steps' }, { value: '3000', label: '3,000 steps' }],
      onChange: (x) => this.set({ steps: x }),
    });
    this.el.controls.replaceChildren(c.chunk.el, c.model.el, c.layer.el, c.temp.el, c.seed.el);
    this.el.stepsSel.replaceWith(c.steps.el);
    this.el.stepsSel = c.steps.el;
    this.syncControls();
  }

  syncControls() {
    const v = this.values;
    const c = this.c;
    if (!c) return;
    c.chunk.set(Math.log2(Number(v.chunk)));
    c.chunkOut.textContent = `C = ${v.chunk} · D = ${64 / Number(v.chunk)} levels`;
    c.chunk.el.classList.toggle('disabled', v.model === 'lstm');
    c.chunk.el.querySelectorAll('input').forEach((i) => { i.disabled = v.model === 'lstm'; });
    c.model.set(v.model);
    c.layer.set(v.layer);
    c.temp.set(v.temp);
    c.seed.set(v.seed);
    c.steps.set(v.steps);
    if (this.el.sentence.value !== v.s) this.el.sentence.value = v.s;
  }

  // ---------------------------------------------------------------- state
  parse(params) {
    this.spec = buildSpec();
    return parseState(this.spec, params);
  }

  writeHash() {
    writeLabHash('onlstm', this.spec, this.values, this.el, { title: 'Ordered Neurons lab', height: 1100 });
  }

  setSentence(text) {
    this.values = { ...this.values, s: text };
    clearTimeout(this._hashTimer);
    this._hashTimer = setTimeout(() => this.writeHash(), 300);
    this.scheduleAnalysis();
  }

  changed(prev) {
    const v = this.values;
    document.body.classList.toggle('embed', !!v.embed);
    this.drawF1();
    this.drawTable();
    this.drawNotice();
    this.syncRunButton();
    if (!prev || prev.chunk !== v.chunk || prev.model !== v.model || prev.layer !== v.layer || prev.s !== v.s) this.scheduleAnalysis();
    if (prev && (prev.chunk !== v.chunk || prev.model !== v.model)) {
      this.el.samples.replaceChildren();
      this.root.dataset.samples = '0';
    }
  }

  entry(id) {
    return this.manifest?.models.find((m) => m.id === id) || null;
  }

  // ---------------------------------------------------------------- F1 plot, table, notice, fidelity
  drawF1() {
    const v = this.values;
    const xs = CHUNKS.map((c) => Math.log2(Number(c)));
    const l = (c, k) => {
      const e = this.entry(`onlstm-c${c}`);
      const f = e?.metrics?.test_f1_by_layer?.[k];
      return Number.isFinite(f) ? 100 * f : null;
    };
    const b = this.manifest?.baselines_test_f1 || {};
    const flat = (x) => xs.map(() => (Number.isFinite(x) ? 100 * x : null));
    const lstm = this.entry('lstm')?.metrics?.test_f1_by_layer?.[1];
    this.f1Plot.update(xs, [
      CHUNKS.map((c) => l(c, 1)), CHUNKS.map((c) => l(c, 0)),
      flat(b.right_branching), flat(b.random), flat(b.left_branching), flat(lstm),
    ]);
    this.f1Plot.setMarker(Math.log2(Number(v.chunk)));
    const live = this.liveModel;
    this.f1Plot.setLive(live && Number.isFinite(live.f1?.[1]) ? [{ x: Math.log2(live.chunk || 64), y: 100 * live.f1[1], color: 'crownibp', shape: 'diamond', label: `trained here (${live.steps} steps, 200 sentences)` }] : []);
    const e = this.entry(modelId(v));
    const parts = [];
    if (this.manifestError) {
      parts.push(h('span', { class: 'bad' }, `No shipped results: ${this.manifestError}.`));
    } else if (e) {
      const f = e.metrics.test_f1_by_layer;
      parts.push(h('span', { class: 'big' }, `${modelName(e.id)}: F1 ${f1pct(f[Number(v.layer) - 1])}% (layer ${v.layer})`),
        ' · ', h('span', { class: 'big' }, `perplexity ${sig3(e.metrics.test_ppl)}`));
      parts.push(h('span', { class: 'sub' }, ` — right-branching ${f1pct(b.right_branching)}%, random ${f1pct(b.random)}%, left-branching ${f1pct(b.left_branching)}%.`));
      if (v.model === 'lstm') parts.push(h('br'), h('span', { class: 'sub' }, 'The LSTM has no master gate: its “distance” is 64 − Σ f (its plain forget gate), shown only to compare; the chunk slider does not apply.'));
    }
    this.el.f1Readout.replaceChildren(...parts);
  }

  drawTable() {
    const v = this.values;
    if (!this.manifest) {
      this.el.table.replaceChildren(h('p', { class: 'sub' }, this.manifestError ? `No shipped results: ${this.manifestError}.` : 'loading…'));
      return;
    }
    const b = this.manifest.baselines_test_f1 || {};
    const spread = (e, k) => {
      const st = seedStats(e, k);
      return st ? `${f1pct(st.mean)} (${f1pct(st.min)}–${f1pct(st.max)})` : '';
    };
    const cur = modelId(v);
    const rows = this.manifest.models.map((e) => h('tr', { class: e.id === cur ? 'current' : '' },
      h('th', { scope: 'row' }, modelName(e.id)),
      h('td', { class: 'num' }, sig3(e.metrics.test_ppl)),
      h('td', { class: 'num' }, f1pct(e.metrics.test_f1_by_layer[0])),
      h('td', { class: 'num' }, f1pct(e.metrics.test_f1_by_layer[1])),
      h('td', { class: 'num' }, spread(e, 0)),
      h('td', { class: 'num' }, spread(e, 1))));
    const base = [['right-branching', b.right_branching], ['left-branching', b.left_branching], [`random trees (mean of ${b.random_trees_per_sentence || 5})`, b.random]]
      .map(([name, f]) => h('tr', { class: 'base' }, h('th', { scope: 'row' }, name), h('td', { class: 'num' }, '–'), h('td', { class: 'num', colspan: 4 }, `${f1pct(f)}`)));
    const paper = [['ON-LSTM, 2nd layer (paper, WSJ test)', PAPER.f1.onlstm], ['right-branching (paper, WSJ test)', PAPER.f1.right], ['random trees (paper, WSJ test)', PAPER.f1.random]]
      .map(([name, f]) => h('tr', { class: 'paper' }, h('th', { scope: 'row' }, name), h('td', { class: 'num' }, name.startsWith('ON') ? `${PAPER.ptbPpl} (PTB)` : '–'), h('td', { class: 'num', colspan: 4 }, f.toFixed(1))));
    this.el.table.replaceChildren(h('table', { class: 'onl-f1' },
      h('caption', {}, 'Test perplexity per token and unlabelled bracket F1 (%), sentence-averaged, single words and the whole sentence not counted. Seed 1 is shipped; the last two columns are the mean (min–max) over seeds 1–3.'),
      h('thead', {}, h('tr', {}, h('th', {}, 'model'), h('th', {}, 'perplexity'), h('th', {}, 'F1 layer 1'), h('th', {}, 'F1 layer 2'), h('th', {}, 'layer 1, 3 seeds'), h('th', {}, 'layer 2, 3 seeds'))),
      h('tbody', {}, ...rows, ...base, ...paper)));
  }

  drawNotice() {
    const b = this.manifest?.baselines_test_f1 || {};
    const e4 = this.entry('onlstm-c4');
    const e8 = this.entry('onlstm-c8');
    const e32 = this.entry('onlstm-c32');
    const lstm = this.entry('lstm');
    const s1 = seedStats(e4, 0);
    const s2 = seedStats(e4, 1);
    const range = (st) => (st ? `${f1pct(st.mean)}% (${f1pct(st.min)}–${f1pct(st.max)}%)` : '–');
    this.el.notice.replaceChildren(
      h('p', {}, 'The staircase: at each word the master forget gate is 0 (erase) on the low levels and 1 (keep) above '
        + 'one split point. A word that starts a big constituent — the verb after a long subject, “that”, a preposition — '
        + 'pushes the split point up, and that height is the word’s distance; the tallest bar is where the tree splits first.'),
      h('p', {}, `With C = 4 the ON-LSTM’s induced trees reach ${range(s1)} F1 in layer 1 and ${range(s2)} in layer 2 `
        + `(3 seeds), against ${f1pct(b.right_branching)}% for right-branching and ${f1pct(b.random)}% for random trees — `
        + `with no tree ever shown to it. Perplexity hardly differs (${sig3(e4?.metrics?.test_ppl)} vs ${sig3(lstm?.metrics?.test_ppl)} `
        + 'for the LSTM): the trees come from the ordered gates, not from a better language model.'),
      h('p', {}, `More levels work more reliably. With C = 2 (32 levels) layer 1 gives ${range(seedStats(this.entry('onlstm-c2'), 0))}; `
        + `with C = 8 and 16 the trees are near the baselines in most seeds (layer 2: ${range(seedStats(e8, 1))} and `
        + `${range(seedStats(this.entry('onlstm-c16'), 1))}), and which layer carries the structure changes from seed to seed `
        + `(C = 32, two levels: layer 2 ${range(seedStats(e32, 1))}). The LSTM’s forget gate, read the same way, stays `
        + `below right-branching (${range(seedStats(lstm, 1))}). A word outside the grammar is read as <unk> and marked red.`));
  }

  drawFidelity() {
    const m = this.manifest;
    const b = m?.baselines_test_f1 || {};
    const e = this.entry('onlstm-c4');
    const tr = e?.train || {};
    const sizes = m?.data?.train_valid_test || [8000, 1000, 1000];
    const rows = [
      ['F1 ON-LSTM, layer 2', `${PAPER.f1.onlstm} (mean; best run ${PAPER.f1.onlstmBest})`, `${f1pct(seedStats(e, 1)?.mean ?? e?.metrics?.test_f1_by_layer?.[1])} (C = 4, mean of 3 seeds)`, 'our sentences are generated, not the WSJ'],
      ['F1 right-branching', `${PAPER.f1.right}`, f1pct(b.right_branching), 'our grammar mixes left and right attachment'],
      ['F1 random trees', `${PAPER.f1.random}`, f1pct(b.random), 'shorter sentences'],
      ['perplexity', `${PAPER.ptbPpl} (PTB)`, `${sig3(e?.metrics?.test_ppl)} (ours)`, 'other data: not comparable'],
      ['data', 'PTB: 1M words, 10k types', `${sizes[0].toLocaleString('en-US')} sentences, ${m?.data?.vocab ?? 180} types`, 'no treebank ships in a package'],
      ['model', '3 layers × 1150, C = 10', '2 layers × 64, C = 2–32', 'trains in a minute'],
      ['training', '1000 epochs, dropout', `${(tr.steps ?? 6000).toLocaleString('en-US')} Adam steps, no dropout`, 'time'],
    ].map(([k, p, here, why]) => h('tr', {}, h('th', { scope: 'row' }, k), h('td', { class: 'num' }, p), h('td', { class: 'num' }, here), h('td', {}, why)));
    this.el.fidelity.replaceChildren(
      h('table', { class: 'onl-fid' },
        h('colgroup', {}, h('col', { style: 'width: 24%' }), h('col', { style: 'width: 22%' }), h('col', { style: 'width: 24%' }), h('col', { style: 'width: 30%' })),
        h('thead', {}, h('tr', {}, h('th', {}, ''), h('th', {}, 'paper'), h('th', {}, 'here'), h('th', {}, 'why different'))),
        h('tbody', {}, ...rows)),
      h('p', { class: 'sub' }, 'Paper: Table 2 (full WSJ test set, sentence-level F1) and Table 1 (Penn Treebank). Same '
        + 'distance (D − Σ f̃), same greedy top-down split, same F1 protocol. Our choice of C = 4, layer 2 as the headline '
        + 'was made after seeing all layers and seeds (the paper reports each of its 3 layers; the 2nd is its best); '
        + 'every layer and seed is in the table. '
        + 'Word-level: the trees are over words, as in the paper; unknown words become <unk> (2% of training inputs are '
        + 'replaced by it so it has a trained embedding).'));
    this.el.footData.replaceChildren(
      'Data: generated in this project by a small English-like probabilistic grammar (src/labs/onlstm/grammar.rs, seed '
      + `${m?.data?.seed ?? 2019}), ${sizes.join(' / ')} sentences for training / validation / test, with gold trees. Models: `,
      h('a', { href: MANIFEST_URL.href }, 'www/models/onlstm/manifest.json'), ', made by paperlab train onlstm.');
  }

  // ---------------------------------------------------------------- engine: sentence, sampling, live training
  handleFor(v = this.values) {
    const id = modelId(v);
    const e = this.entry(id);
    const file = e?.file || `${id}.safetensors`;
    return this.engine.lab(`onlstm:${id}`, 'OnlstmLab', [new URL(file, MODELS_DIR).href]);
  }

  liveHandle() {
    return this.engine.lab('onlstm:live', 'OnlstmLab', [new URL(this.entry('onlstm-c4')?.file || 'onlstm-c4.safetensors', MODELS_DIR).href]);
  }

  scheduleAnalysis() {
    clearTimeout(this._anTimer);
    this.root.dataset.treeStatus = 'pending';
    this._anTimer = setTimeout(() => this.analyze(), 120);
  }

  async analyze() {
    const seq = ++this.analysisSeq;
    const v = this.values;
    const live = this.useLive && this.liveModel;
    const text = v.s;
    if (!text.trim()) {
      this.showTreeError('Type a sentence above (for example “the dog that the cats like sleeps”): the box is empty.');
      this.firstAnalysis = true; // an empty box is a valid state: the page is ready with this message
      this.maybeReady();
      return;
    }
    try {
      const hnd = live ? this.liveHandle() : this.handleFor(v);
      const { value, ms } = await hnd.call('analyze', [text]);
      if (seq !== this.analysisSeq) return;
      this.analysis = { ...JSON.parse(value), ms, source: live ? 'live' : modelId(v) };
      this.el.treeMsg.hidden = true;
      this.drawTree();
      this.root.dataset.treeStatus = 'ok';
    } catch (e) {
      if (seq !== this.analysisSeq) return;
      this.showTreeError(String(e.message || e));
    } finally {
      this.firstAnalysis = true;
      this.maybeReady();
    }
  }

  showTreeError(msg) {
    this.analysis = null;
    this.root.dataset.treeStatus = 'error';
    this.el.treeMsg.hidden = false;
    this.el.treeMsg.textContent = msg.replace(/^sentence is out of range: /, 'The sentence cannot be read: ');
    this.el.svg.replaceChildren();
    this.el.bracketed.textContent = '';
    this.el.treeInfo.textContent = '';
    this.stairView.update(null);
    const ctx = this.el.stair.getContext('2d');
    ctx.clearRect(0, 0, this.el.stair.width, this.el.stair.height);
  }

  drawTree() {
    const a = this.analysis;
    if (!a) return;
    const v = this.values;
    const L = Math.min(Number(v.layer), a.distances.length) - 1;
    const words = a.tokens.words;
    const unknown = a.tokens.unknown;
    const spans = a.spans[L];
    const d = a.distances[L];
    const width = Math.max(300, this.el.treeBox.clientWidth - 4);
    drawTree(this.el.svg, { words, unknown, spans, distances: d, width });
    this.el.svg.setAttribute('aria-label', `induced tree: ${this.bracketed(words, spans)}`);
    this.root.dataset.spans = JSON.stringify(spans);
    this.root.dataset.words = a.tokens.ids.map((id, i) => (unknown[i] ? '<unk>' : words[i])).join(' ');
    const unk = words.filter((_, i) => unknown[i]);
    const nllWords = a.nll.slice(0, words.length);
    const ppl = Math.exp(a.nll.reduce((x, y) => x + y, 0) / a.nll.length);
    const src = a.source === 'live' ? 'the model trained here' : modelName(a.source);
    this.el.treeInfo.replaceChildren(
      `${src}, layer ${L + 1} · ${words.length} words read in ${a.ms.toFixed(1)} ms · sentence perplexity ${sig3(ppl)}`,
      unk.length ? h('span', { class: 'bad' }, ` · not in the grammar’s vocabulary, read as <unk>: ${unk.join(', ')}`) : '',
      words.length < 3 ? h('span', {}, ' · with fewer than 3 words there is no bracket that counts for F1') : '');
    this.el.bracketed.textContent = this.bracketed(words, spans);
    this.el.bracketed.title = `surprisal per word (nats): ${nllWords.map((x) => x.toFixed(1)).join(' ')}`;
    const Wd = a.gate_width;
    const isOn = v.model === 'onlstm' || a.source === 'live';
    this.el.stairInfo.textContent = isOn && Wd <= 32
      ? `f̃ = cumax(·) over D = ${Wd} levels (chunk size ${64 / Wd}), layer ${L + 1}: columns are words, rows levels (level 1 at the bottom). `
        + 'Dark = erased at this word; d = D − Σ f̃ is the height of the dark part, the bars above.'
      : `The LSTM has no master gate: its ${Wd} forget-gate values per word are shown sorted, for comparison (layer ${L + 1}).`;
    this.stairView.update({ words, unknown, gates: a.gates[L], width: Wd, rowLabel: isOn && Wd <= 32 ? 'level k' : 'sorted neurons' });
  }

  bracketed(words, spans) {
    // Opening and closing brackets per word from the spans (whole sentence included).
    const open = Array(words.length).fill(0);
    const close = Array(words.length).fill(0);
    for (const [a, b] of spans) {
      open[a] += 1;
      close[b - 1] += 1;
    }
    return words.map((w, i) => `${'('.repeat(open[i])}${w}${')'.repeat(close[i])}`).join(' ');
  }

  async sample() {
    const v = this.values;
    const live = this.useLive && this.liveModel;
    this.el.sampleMsg.hidden = true;
    try {
      const hnd = live ? this.liveHandle() : this.handleFor(v);
      const { value } = await hnd.call('sample', [v.seed, v.temp, 5]);
      const lines = value.split('\n');
      this.el.samples.replaceChildren(...lines.map((t) => h('li', {},
        h('button', { type: 'button', class: 'link', title: 'read this sentence', onclick: () => { this.el.sentence.value = t; this.setSentence(t); } }, t || '(empty: <eos> first)'))));
      this.root.dataset.samples = String(lines.length);
    } catch (e) {
      this.el.sampleMsg.hidden = false;
      this.el.sampleMsg.textContent = `Sampling failed: ${e.message}`;
    }
  }

  toggleRun() {
    if (this.run && this.run.status === 'running') this.cancelRun('cancelled');
    else this.startRun();
  }

  syncRunButton() {
    const busy = this.run && this.run.status === 'running';
    this.el.runBtn.textContent = busy ? 'cancel' : 'train here';
    this.el.runBtn.classList.toggle('busy', !!busy);
    if (!busy && this.values) {
      const v = this.values;
      const what = v.model === 'lstm' ? 'an LSTM' : `an ON-LSTM with C = ${v.chunk}`;
      this.el.runText.textContent = `Trains ${what} from scratch (seed ${v.seed}) on the 8,000 training sentences in this browser, then scores it on 200 test sentences.`;
    }
  }

  cancelRun(why) {
    const run = this.run;
    if (!run || run.status !== 'running') return;
    run.cancelled = true;
    run.status = 'cancelled';
    this.root.dataset.runStatus = 'cancelled';
    this.el.progress.fail(`${why} after ${run.done} of ${run.total} steps`);
    this.syncRunButton();
  }

  async startRun() {
    const v = this.values;
    const chunk = v.model === 'lstm' ? 0 : Number(v.chunk);
    const total = Number(v.steps);
    const run = { status: 'running', cancelled: false, done: 0, total };
    this.run = run;
    this.root.dataset.runStatus = 'running';
    this.el.runError.hidden = true;
    this.el.runResult.replaceChildren();
    this.syncRunButton();
    this.el.progress.start(total);
    const xs = [];
    const ys = [];
    this.lossPlot.opts.xRange = [0, total];
    this.lossPlot.update(xs, [ys]);
    const stale = () => this.run !== run || run.cancelled;
    const hnd = this.liveHandle();
    try {
      await hnd.call('train_start', [chunk, total, v.seed]);
      const t0 = performance.now();
      let n = 2;
      let tokens = 0;
      for (;;) {
        const { value, ms } = await hnd.call('train_step', [n]);
        if (stale()) return;
        const [done, , ce, tok] = value;
        tokens = tok;
        run.done = done;
        xs.push(done);
        ys.push(ce);
        this.lossPlot.update(xs.slice(), [ys.slice()]);
        this.el.progress.update(done);
        const per = ms / Math.max(1, n);
        n = Math.max(1, Math.min(200, Math.round(STEP_MS / Math.max(per, 0.05))));
        if (done >= total) break;
      }
      const secs = (performance.now() - t0) / 1000;
      const tps = tokens / secs;
      this.root.dataset.tokensPerS = String(Math.round(tps));
      this.el.progress.done(`${total.toLocaleString('en-US')} steps in ${secs.toFixed(1)} s · ${Math.round(tps).toLocaleString('en-US')} tokens/s (training)`);
      const ev = (await hnd.call('evaluate', [200])).value;
      if (stale()) return;
      this.liveModel = { chunk, steps: total, seed: v.seed, ppl: ev[0], f1: [ev[1], ev[2]], seconds: secs, tokensPerS: tps };
      run.status = 'done';
      this.root.dataset.runStatus = 'done';
      this.el.runResult.replaceChildren(
        h('span', {}, `On 200 test sentences: perplexity ${sig3(ev[0])}, F1 layer 1 ${f1pct(ev[1])}%, layer 2 ${f1pct(ev[2])}%.`),
        h('br'), h('span', { class: 'sub' }, `The shipped models had 6,000 steps; ${total.toLocaleString('en-US')} steps are a quick look.`));
      this.el.useLive.disabled = false;
      this.syncRunButton();
      this.drawF1();
      if (this.useLive) this.scheduleAnalysis();
    } catch (e) {
      if (stale()) return;
      run.status = 'error';
      this.root.dataset.runStatus = 'error';
      this.el.runError.textContent = `The live run stopped: ${e.message}`;
      this.el.runError.hidden = false;
      this.el.progress.fail('stopped');
      this.syncRunButton();
    }
  }

  // ---------------------------------------------------------------- export
  exportCSV() {
    const rows = [['model', 'chunk', 'test_ppl', 'f1_layer1_pct', 'f1_layer2_pct', 'seed']];
    for (const e of this.manifest?.models || []) {
      for (const r of e.seeds || [{ seed: 1, test_ppl: e.metrics.test_ppl, test_f1_by_layer: e.metrics.test_f1_by_layer }]) {
        rows.push([e.id, e.chunk, r.test_ppl, 100 * r.test_f1_by_layer[0], 100 * r.test_f1_by_layer[1], r.seed]);
      }
    }
    const b = this.manifest?.baselines_test_f1 || {};
    rows.push(['right-branching', '', '', '', 100 * b.right_branching, ''], ['left-branching', '', '', '', 100 * b.left_branching, ''], ['random', '', '', '', 100 * b.random, '']);
    downloadText('paperlab-onlstm-f1.csv', csvText(rows));
  }

  exportSentence() {
    const a = this.analysis;
    if (!a) return;
    const rows = [['word', 'unknown', ...a.distances.map((_, l) => `distance_layer${l + 1}`), 'surprisal_nats']];
    a.tokens.words.forEach((w, i) => rows.push([w, a.tokens.unknown[i] ? 1 : 0, ...a.distances.map((d) => d[i]), a.nll[i]]));
    downloadText('paperlab-onlstm-sentence.csv', csvText(rows));
  }

  async downloadModel() {
    const live = this.useLive && this.liveModel;
    if (live) {
      const { value } = await this.liveHandle().call('model_bytes', []);
      const url = URL.createObjectURL(new Blob([value], { type: 'application/octet-stream' }));
      download('onlstm-trained-here.safetensors', url);
      setTimeout(() => URL.revokeObjectURL(url), 5000);
    } else {
      const e = this.entry(modelId(this.values));
      download(e?.file || 'model.safetensors', new URL(e?.file || '', MODELS_DIR).href);
    }
  }

  // ---------------------------------------------------------------- life cycle
  maybeReady() {
    if (this.engineSettled && this.manifestSettled && this.firstAnalysis) {
      const errs = !this.el.runError.hidden || !!this.manifestError;
      this.signalReady(errs);
    }
  }

  async mount(params) {
    ensureCss('onlstm-css', CSS_URL.href);
    this.render();
    this.root.dataset.runStatus = 'idle';
    this.root.dataset.treeStatus = 'pending';
    this.root.dataset.samples = '0';
    const badge = () => showBackend(this.el.badge, this.engine);
    this.disposers.push(this.engine.on((ev) => {
      if (ev.type === 'backend') badge();
      if (ev.type === 'restart') {
        this.el.notes.add(`${ev.cause} The engine was restarted; your settings are kept.`);
        if (this.run?.status === 'running') this.cancelRun('engine restarted');
        if (this.liveModel) {
          this.liveModel = null;
          this.useLive = false;
          this.el.useLive.checked = false;
          this.el.useLive.disabled = true;
        }
        this.scheduleAnalysis();
      }
    }));
    try {
      this.manifest = await loadManifest();
    } catch (e) {
      this.manifestError = e.message;
    }
    this.manifestSettled = true;
    const { values, notes } = this.parse(params);
    this.values = values;
    this.buildControls();
    this.drawFidelity();
    this.el.notes.show(notes);
    this.writeHash();
    this.changed(null);
    this.engine.ready.then(() => {
      badge();
      this.engineSettled = true;
      this.maybeReady();
    }, (e) => {
      badge();
      this.el.runError.textContent = `The WebAssembly engine could not start: ${e.message}. The shipped results above still show.`;
      this.el.runError.hidden = false;
      this.el.runBtn.disabled = true;
      this.engineSettled = true;
      this.firstAnalysis = true;
      this.showTreeError(`The engine could not start (${e.message}), so sentences cannot be read here; the shipped F1 results above still hold.`);
      this.maybeReady();
    });
    return this;
  }

  unmount() {
    if (this.run) this.run.cancelled = true;
    clearTimeout(this._anTimer);
    clearTimeout(this._hashTimer);
    this.teardown();
  }
}

export async function mount(root, params) {
  const lab = new Lab(root);
  window.paperlab = { lab, engine: lab.engine };
  document.title = `${PAPER.short} — trees from ordered neurons, live · Paperlab`;
  return lab.mount(params);
}
