// The onlstm lab: Ordered Neurons (Shen, Tan, Sordoni & Courville, ICLR 2019). An ON-LSTM language model trained on
// sentences of a small English-like grammar; its master forget gate gives a syntactic distance per word, and
// splitting at the largest distance, top-down, gives a constituency tree that nobody taught it.
//
// A LabPage (www/ui/labpage.js): settings declared once in spec(), the live training run a LiveRun (runBox). The
// engine's OnlstmLab (src/wasm/onlstm.rs) reads a typed sentence (distances, master-forget-gate staircase, induced
// tree per layer), samples from the model, and trains a fresh one in small steps. The shipped models' perplexity
// and parse F1 come from www/models/onlstm/manifest.json and show before the engine has loaded; the tree and the
// staircase are drawn by www/ui/tree.js. "What to notice" and the live result are worded by onlstm-findings.js.
//
// Test hooks (data attributes on #lab):
//   data-tree-status   pending | ok | error      the sentence panel
//   data-spans         JSON of the induced tree's spans [[start, end], ...] for the chosen layer (whole sentence first)
//   data-words         the words the model read, space-separated (<unk> for unknown words)
//   data-run-status    idle | running | done | cancelled | error     the live training run
//   data-tokens-per-s  tokens per second of the last live run (training: forward + backward + Adam)
//   data-samples       number of sampled sentences shown
// and body[data-ready="1"] once the engine is up and the first sentence is drawn (or either failed).

import { h, sig3 } from '../ui/controls.js';
import { LabPage, mountLab, panel, dataTable, download, downloadText, csvText, csvButton, pngButton, fetchJson } from '../ui/labpage.js';
import { CurvePlot } from '../ui/plots.js';
import { onSchemeChange } from '../ui/palette.js';
import { SVG, drawTree, Staircase, bracketed } from '../ui/tree.js';
import { f1pct, seedStats, modelSentence, chunkSentence, layerSwaps, liveSentence, treeSentence } from './onlstm-findings.js';
import { CHUNKS, modelId, modelName, modelOf, f1Series, f1Table, f1Csv, sentenceCsv } from './onlstm-data.js';
import { fidelityCard } from './onlstm-fidelity.js';

const MODELS_DIR = new URL('../models/onlstm/', import.meta.url);
const MANIFEST_URL = new URL('manifest.json', MODELS_DIR);

const DEFAULT_SENTENCE = 'the old man that the dogs like sees a bird in the park';
const EXAMPLES = [
  DEFAULT_SENTENCE,
  'alice knows that the children of the farmer sleep',
  'in the garden the queen paints the red boat quickly',
  'the king \'s horse chases some cats near the river',
  'every teacher that likes many books helps the child',
];
const LIVE_SENTENCES = 200;

class OnlstmLab extends LabPage {
  spec() {
    const opts = (pairs) => pairs.map(([value, label]) => ({ value, label }));
    return [
      { name: 'chunk', type: 'enum', values: CHUNKS, default: '4', what: 'chunk size (2, 4, 8, 16 or 32)', control: 'slider',
        label: 'Chunk size C', unit: 'neurons per level', readout: (v) => `C = ${v.chunk} · D = ${64 / Number(v.chunk)} levels`,
        hint: 'The master gates have D = 64 / C levels; each level gates C neurons. Arrow keys step ×2.', disabled: (v) => v.model === 'lstm' },
      { name: 'model', type: 'enum', values: ['onlstm', 'lstm'], default: 'onlstm', what: 'model', label: 'Model',
        options: opts([['onlstm', 'ON-LSTM (the paper’s cell)'], ['lstm', 'LSTM baseline, same size']]) },
      { name: 'layer', type: 'enum', values: ['1', '2'], default: '2', what: 'layer', label: 'Distances from layer',
        options: opts([['1', 'layer 1 (next to the words)'], ['2', 'layer 2 (the top layer)']]) },
      // The sentence box lives in the sentence panel (it re-reads on every keystroke), not in the controls column.
      { name: 's', type: 'text', maxLength: 400, default: DEFAULT_SENTENCE, control: 'none' },
      { name: 'temp', type: 'number', min: 0.2, max: 2, step: 0.1, default: 1, label: 'Sampling temperature', format: (x) => x.toFixed(1),
        hint: 'Below 1: safer sentences; above 1: wilder ones.' },
      { name: 'steps', type: 'enum', values: ['300', '1000', '3000'], default: '1000', what: 'number of steps', label: 'Steps', slot: 'run',
        options: opts([['300', '300 steps (quick look)'], ['1000', '1,000 steps'], ['3000', '3,000 steps']]) },
      { name: 'seed', type: 'int', min: 0, max: 999999, default: 1, label: 'Seed', random: true, hint: 'for sampling and for the live training run' },
      { name: 'embed', type: 'bool', default: false, share: false, hidden: true },
    ];
  }

  build() {
    const el = this.el;
    const d = this.root.dataset;
    [d.treeStatus, d.samples, this.analysisSeq, this.useLive] = ['pending', '0', 0, false];
    this.box = this.runBox({ label: 'Train a model here', labels: { run: 'train here' }, startN: 2, maxN: 200, targetMs: 80,
      job: () => this.job(), extra: [this.slot('run')] });
    el.runResult = h('div', { class: 'readout', 'data-testid': 'run-result', 'aria-live': 'polite' });
    el.useLive = h('input', { type: 'checkbox', id: 'use-live', disabled: true, onchange: () => { this.useLive = el.useLive.checked; this.scheduleAnalysis(); } });
    this.box.el.append(el.runResult, h('div', { class: 'check' }, el.useLive, h('label', { for: 'use-live' }, ' read the sentence with the model trained here')));
    el.f1Box = h('div', { class: 'plot', 'aria-label': 'parse F1 versus chunk size' });
    el.f1Readout = h('div', { class: 'readout', 'data-testid': 'f1-readout', 'aria-live': 'polite' });
    el.sentence = h('input', { type: 'text', class: 'onl-sentence', 'aria-label': 'sentence', 'data-testid': 'sentence', maxlength: 400,
      spellcheck: 'false', oninput: () => this.setSentence(el.sentence.value) });
    const read = (t) => { el.sentence.value = t; this.setSentence(t); };
    el.examples = h('div', { class: 'onl-examples' }, h('span', { class: 'sub' }, 'try: '),
      ...EXAMPLES.map((x) => h('button', { type: 'button', class: 'small', onclick: () => read(x) }, `${x.split(' ').slice(0, 4).join(' ')} …`)));
    el.treeInfo = h('p', { class: 'sub', 'data-testid': 'tree-info' });
    el.treeMsg = h('div', { class: 'plot-msg', hidden: true, 'data-testid': 'tree-msg' });
    el.svg = document.createElementNS(SVG, 'svg');
    el.svg.setAttribute('class', 'onl-tree');
    el.svg.setAttribute('role', 'img');
    el.treeBox = h('div', { class: 'onl-tree-box' }, el.svg);
    el.bracketed = h('p', { class: 'onl-bracketed', 'data-testid': 'bracketed' });
    el.stair = h('canvas', { class: 'onl-stair', role: 'img', 'aria-label': 'master forget gate per word and level' });
    el.stairInfo = h('p', { class: 'sub' });
    el.table = h('div', { class: 'onl-table', 'data-testid': 'f1-table' });
    el.samples = h('ol', { class: 'onl-samples', 'data-testid': 'samples' });
    el.sampleMsg = h('div', { class: 'plot-msg', hidden: true });
    el.lossBox = h('div', { class: 'plot small', 'aria-label': 'training loss of the live run' });
    this.readSample = read;
    return {
      left: [this.box.el],
      main: [
        panel('Unsupervised parse F1 vs chunk size (1,000 test sentences of the grammar)', el.f1Box, el.f1Readout),
        panel('Type a sentence: the tree the model induces, and the syntactic distance of each word',
          el.sentence, el.examples, el.treeInfo, el.treeMsg, el.treeBox, el.bracketed),
        panel('The master forget gate f̃ at each word: the “staircase”', el.stairInfo, h('div', { class: 'onl-stair-box' }, el.stair)),
        panel('Perplexity and parse F1 of every shipped model, the baselines, and the paper', el.table),
        panel('Sentences sampled from the language model',
          h('div', { class: 'row' }, h('button', { type: 'button', 'data-testid': 'sample', onclick: () => this.sample() }, 'sample 5 sentences')),
          el.sampleMsg, el.samples),
        panel('Live training: cross-entropy per token', el.lossBox),
      ],
    };
  }

  mounted() {
    this.f1Plot = this.view(new CurvePlot(this.el.f1Box, {
      xLabel: 'chunk size C (D = 64 / C levels)', xLabelShort: 'C', xFormat: (x) => String(Math.round(2 ** x)),
      yLabel: 'sentence-level F1 (%)', xRange: [0.8, 5.2], xTicks: [1, 2, 3, 4, 5], markerText: (x) => `C = ${Math.round(2 ** x)}`,
      yRange: (lo, hi) => [0, Math.max(70, Math.ceil(((hi ?? 60) + 5) / 10) * 10)], ySuffix: '%', markerLabel: 'log₂ C',
      series: [
        { key: 'l2', label: 'ON-LSTM layer 2', color: 'crownibp', width: 1.4 },
        { key: 'l1', label: 'ON-LSTM layer 1', color: 'ibp' },
        { key: 'right', label: 'right-branching', color: 'crown', dash: [6, 4], points: false },
        { key: 'random', label: 'random trees', color: 'clean', dash: [3, 3], points: false },
        { key: 'left', label: 'left-branching', color: 'clean', dash: [10, 4], points: false },
        { key: 'lstm', label: 'LSTM layer 2 (forget gate, for comparison)', color: 'good', dash: [2, 5], points: false },
      ],
    }));
    this.f1Plot.setEmphasis('l2');
    this.lossPlot = this.view(new CurvePlot(this.el.lossBox, {
      xLabel: 'training step', xLabelShort: 'step', xFormat: (x) => String(Math.round(x)), yLabel: 'nats per token',
      xRange: [0, 1000], markerLabel: 'step',
      yRange: (lo, hi) => [Math.max(0, Math.floor((lo ?? 2.5) * 2) / 2 - 0.5), Math.ceil((hi ?? 5.5) + 0.2)],
      series: [{ key: 'ce', label: 'training cross-entropy (mean of the last steps)', color: 'crownibp', points: false }],
    }));
    this.stairView = this.view(new Staircase(this.el.stair));
    const onResize = () => this.drawTree();
    window.addEventListener('resize', onResize);
    this.disposers.push(onSchemeChange(onResize), () => window.removeEventListener('resize', onResize),
      () => { clearTimeout(this._anTimer); clearTimeout(this._hashTimer); });
  }

  async loadShipped() {
    const json = await fetchJson(MANIFEST_URL, 'the shipped models (www/models/onlstm/manifest.json)');
    const models = (Array.isArray(json?.models) ? json.models : []).filter((m) => m && typeof m.id === 'string' && m.metrics);
    if (!models.length) throw new Error('the shipped model list (www/models/onlstm/manifest.json) is empty');
    return { ...json, models };
  }

  async firstLive() {
    await this.analyze();
  }

  engineFailed(e) {
    super.engineFailed(e);
    this.showTreeError(`The engine could not start (${e.message}), so sentences cannot be read here; the shipped F1 results above still hold.`);
  }

  restarted() {
    if (this.liveModel) {
      [this.liveModel, this.useLive, this.el.useLive.checked, this.el.useLive.disabled] = [null, false, false, true];
    }
    this.scheduleAnalysis();
  }

  syncControls() {
    super.syncControls();
    if (this.el.sentence.value !== this.values.s) this.el.sentence.value = this.values.s;
  }

  setSentence(text) {
    this.values = { ...this.values, s: text };
    clearTimeout(this._hashTimer);
    this._hashTimer = setTimeout(() => this.writeHash(), 300);
    this.scheduleAnalysis();
  }

  changed(prev) {
    const v = this.values;
    if (!prev) {
      this.fillFooter();
      this.el.sentence.value = v.s;
    }
    this.drawF1();
    this.drawTable();
    const what = v.model === 'lstm' ? 'an LSTM' : `an ON-LSTM with C = ${v.chunk}`;
    this.box.text.textContent = `Trains ${what} from scratch (seed ${v.seed}) on the 8,000 training sentences in this browser, then scores it on ${LIVE_SENTENCES} test sentences.`;
    if (prev && ['chunk', 'model', 'layer', 's'].some((k) => prev[k] !== v[k])) this.scheduleAnalysis();
    if (prev && (prev.chunk !== v.chunk || prev.model !== v.model)) {
      this.el.samples.replaceChildren();
      this.root.dataset.samples = '0';
    }
  }

  model(id) {
    return modelOf(this.shipped, id);
  }

  // ---------------------------------------------------------------- F1 plot, table, notice, fidelity
  drawF1() {
    const v = this.values;
    const b = this.shipped?.baselines_test_f1 || {};
    const { xs, ys } = f1Series(this.shipped);
    this.f1Plot.update(xs, ys);
    this.f1Plot.setMarker(Math.log2(Number(v.chunk)));
    const live = this.liveModel;
    this.f1Plot.setLive(live && Number.isFinite(live.f1?.[1]) ? [{ x: Math.log2(live.chunk || 64), y: 100 * live.f1[1], color: 'crownibp', shape: 'diamond',
      label: `trained here (${live.steps} steps, ${LIVE_SENTENCES} sentences)` }] : []);
    const e = this.model(modelId(v));
    const f = e?.metrics.test_f1_by_layer;
    this.el.f1Readout.replaceChildren(...(this.shippedError ? [h('span', { class: 'bad' }, `No shipped results: ${this.shippedError}.`)] : !e ? [] : [
      h('span', { class: 'big' }, `${modelName(e.id)}: F1 ${f1pct(f[Number(v.layer) - 1])}% (layer ${v.layer})`), ' · ',
      h('span', { class: 'big' }, `perplexity ${sig3(e.metrics.test_ppl)}`),
      h('span', { class: 'sub' }, ` — right-branching ${f1pct(b.right_branching)}%, random ${f1pct(b.random)}%, left-branching ${f1pct(b.left_branching)}%.`),
      ...(v.model === 'lstm' ? [h('br'), h('span', { class: 'sub' }, 'The LSTM has no master gate: its “distance” is 64 − Σ f (its plain forget gate), shown only to compare; the chunk slider does not apply.')] : []),
    ]));
  }

  drawTable() {
    const m = this.shipped;
    if (!m) {
      this.el.table.replaceChildren(h('p', { class: 'sub' }, this.shippedError ? `No shipped results: ${this.shippedError}.` : 'loading…'));
      return;
    }
    const cur = modelId(this.values);
    const { rows, kinds, ids } = f1Table(m);
    this.el.table.replaceChildren(dataTable({ cls: 'onl-f1', rows, head: ['model', 'perplexity', 'F1 layer 1', 'F1 layer 2', 'layer 1, 3 seeds', 'layer 2, 3 seeds'],
      caption: 'Test perplexity per token and unlabelled bracket F1 (%), sentence-averaged, single words and the whole sentence not counted. Seed 1 is shipped; the last two columns are the mean (min–max) over seeds 1–3.',
      rowClass: (i) => (kinds[i] === 'model' ? (ids[i] === cur ? 'current' : '') : kinds[i]) }));
  }

  notice() {
    const v = this.values;
    const out = [];
    const a = this.analysis;
    out.push(treeSentence(a, v.layer, a && (v.model === 'onlstm' || a.source === 'live')));
    const b = this.shipped?.baselines_test_f1;
    const e = this.model(modelId(v));
    if (b && e) {
      const k = Number(v.layer) - 1;
      out.push(modelSentence({ name: `C = ${v.chunk}`, layer: v.layer, f: e.metrics.test_f1_by_layer[k], st: seedStats(e, k), b,
        ppl: e.metrics.test_ppl, lstmPpl: this.model('lstm')?.metrics?.test_ppl, isLstm: v.model === 'lstm' }));
      const lstm = this.model('lstm');
      if (v.model === 'onlstm' && lstm) {
        out[out.length - 1] += ` ${modelSentence({ layer: v.layer, f: lstm.metrics.test_f1_by_layer[k], st: seedStats(lstm, k), b, isLstm: true })}`;
      }
      const rows = CHUNKS.map((c) => ({ c, e: this.model(`onlstm-c${c}`), st: seedStats(this.model(`onlstm-c${c}`), k) }));
      const trend = chunkSentence(rows, v.layer, b);
      if (trend) out.push([trend, layerSwaps(rows)].filter(Boolean).join(' '));
    }
    return out;
  }

  fidelity() {
    return fidelityCard(this.shipped);
  }

  fillFooter() {
    const m = this.shipped;
    this.el.footData.append('Data: generated in this project by a small English-like probabilistic grammar (src/labs/onlstm/grammar.rs'
      + `${m ? `, seed ${m.data.seed}), ${m.data.train_valid_test.join(' / ')} sentences` : '), sentences'} for training / validation / test, with gold trees. Models: `,
    h('a', { href: MANIFEST_URL.href }, 'www/models/onlstm/manifest.json'), ', made by paperlab train onlstm.');
  }

  // ---------------------------------------------------------------- engine: sentence, sampling, live training
  handleFor(v = this.values) {
    const id = modelId(v);
    return this.engine.lab(`onlstm:${id}`, 'OnlstmLab', [new URL(this.model(id)?.file || `${id}.safetensors`, MODELS_DIR).href]);
  }

  liveHandle() {
    return this.engine.lab('onlstm:live', 'OnlstmLab', [new URL(this.model('onlstm-c4')?.file || 'onlstm-c4.safetensors', MODELS_DIR).href]);
  }

  /** The model that reads and samples: the one trained here when chosen, else the shipped one of the settings. */
  reader() {
    const live = this.useLive && this.liveModel;
    return { hnd: live ? this.liveHandle() : this.handleFor(), source: live ? 'live' : modelId(this.values) };
  }

  scheduleAnalysis() {
    clearTimeout(this._anTimer);
    this.root.dataset.treeStatus = 'pending';
    this._anTimer = setTimeout(() => this.analyze(), 120);
  }

  async analyze() {
    const seq = ++this.analysisSeq;
    const text = this.values.s;
    if (!text.trim()) {
      this.showTreeError('Type a sentence above (for example “the dog that the cats like sleeps”): the box is empty.');
      return;
    }
    try {
      const { hnd, source } = this.reader();
      const { value, ms } = await hnd.call('analyze', [text]);
      if (seq !== this.analysisSeq) return;
      this.analysis = { ...value, ms, source };
      this.el.treeMsg.hidden = true;
      this.drawTree();
      this.root.dataset.treeStatus = 'ok';
    } catch (e) {
      if (seq === this.analysisSeq) this.showTreeError(String(e.message || e));
    }
    this.refreshNotice();
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
    this.el.stair.getContext('2d').clearRect(0, 0, this.el.stair.width, this.el.stair.height);
    this.refreshNotice();
  }

  drawTree() {
    const a = this.analysis;
    if (!a) return;
    const v = this.values;
    const L = Math.min(Number(v.layer), a.distances.length) - 1;
    const { words, unknown } = a.tokens;
    const spans = a.spans[L];
    drawTree(this.el.svg, { words, unknown, spans, distances: a.distances[L], width: Math.max(300, this.el.treeBox.clientWidth - 4) });
    this.el.svg.setAttribute('aria-label', `induced tree: ${bracketed(words, spans)}`);
    this.root.dataset.spans = JSON.stringify(spans);
    this.root.dataset.words = a.tokens.ids.map((id, i) => (unknown[i] ? '<unk>' : words[i])).join(' ');
    const unk = words.filter((_, i) => unknown[i]);
    this.el.treeInfo.replaceChildren(
      `${a.source === 'live' ? 'the model trained here' : modelName(a.source)}, layer ${L + 1} · ${words.length} words read in ${a.ms.toFixed(1)} ms · sentence perplexity ${sig3(a.ppl)}`,
      unk.length ? h('span', { class: 'bad' }, ` · not in the grammar’s vocabulary, read as <unk>: ${unk.join(', ')}`) : '',
      words.length < 3 ? h('span', {}, ' · with fewer than 3 words there is no bracket that counts for F1') : '');
    this.el.bracketed.textContent = bracketed(words, spans);
    this.el.bracketed.title = `surprisal per word (nats): ${a.nll.slice(0, words.length).map((x) => x.toFixed(1)).join(' ')}`;
    const Wd = a.gate_width;
    const isOn = (v.model === 'onlstm' || a.source === 'live') && Wd <= 32;
    this.el.stairInfo.textContent = isOn
      ? `f̃ = cumax(·) over D = ${Wd} levels (chunk size ${64 / Wd}), layer ${L + 1}: columns are words, rows levels (level 1 at the bottom). `
        + 'Dark = erased at this word; d = D − Σ f̃ is the height of the dark part, the bars above.'
      : `The LSTM has no master gate: its ${Wd} forget-gate values per word are shown sorted, for comparison (layer ${L + 1}).`;
    this.stairView.update({ words, unknown, gates: a.gates[L], width: Wd, rowLabel: isOn ? 'level k' : 'sorted neurons' });
  }

  async sample() {
    const v = this.values;
    this.el.sampleMsg.hidden = true;
    try {
      const lines = (await this.reader().hnd.call('sample', [v.seed, v.temp, 5])).value.split('\n');
      this.el.samples.replaceChildren(...lines.map((t) => h('li', {},
        h('button', { type: 'button', class: 'link', title: 'read this sentence', onclick: () => this.readSample(t) }, t || '(empty: <eos> first)'))));
      this.root.dataset.samples = String(lines.length);
    } catch (e) {
      this.el.sampleMsg.hidden = false;
      this.el.sampleMsg.textContent = `Sampling failed: ${e.message}`;
    }
  }

  /** The live training run (a LiveRun job): train, then score on LIVE_SENTENCES test sentences next to the shipped
   *  model of the same settings and the baselines on the same sentences. */
  job() {
    const v = { ...this.values };
    const chunk = v.model === 'lstm' ? 0 : Number(v.chunk);
    const total = Number(v.steps);
    const hnd = this.liveHandle();
    const [xs, ys] = [[], []];
    let [t0, done] = [0, 0];
    return {
      begin: async () => {
        this.el.runResult.replaceChildren();
        this.lossPlot.opts.xRange = [0, total];
        this.lossPlot.update(xs, [ys]);
        await hnd.call('train_start', [chunk, total, v.seed]);
        t0 = performance.now();
        return total;
      },
      step: async (n) => {
        const { value: st, ms } = await hnd.call('train_step', [n]);
        done = st.done;
        xs.push(done);
        ys.push(st.train_ce);
        if (done < total) return { done, ms };
        const secs = (performance.now() - t0) / 1000;
        // liveSentence reads [ppl, F1 per layer] and [right, left, random] (onlstm-findings.js).
        const row = (e) => [e.ppl, ...e.f1_by_layer];
        const ev = row((await hnd.call('evaluate', [LIVE_SENTENCES])).value);
        const b = (await hnd.call('baselines', [LIVE_SENTENCES])).value;
        const base = [b.right_branching, b.left_branching, b.random];
        const shipped = await this.handleFor(v).call('evaluate', [LIVE_SENTENCES]).then((r) => row(r.value), () => null);
        const tokens = st.tokens;
        return { done, finished: true, ms, secs, tps: tokens / secs, ev, base, shipped };
      },
      onStep: () => this.lossPlot.update(xs.slice(), [ys.slice()]),
      finish: (r) => {
        this.root.dataset.tokensPerS = String(Math.round(r.tps));
        this.liveModel = { chunk, steps: total, seed: v.seed, ppl: r.ev[0], f1: [r.ev[1], r.ev[2]], seconds: r.secs, tokensPerS: r.tps };
        const st = seedStats(this.model(modelId(v)), 1);
        this.el.runResult.replaceChildren(liveSentence({ live: r.ev, shipped: r.shipped, base: r.base, steps: total, sentences: LIVE_SENTENCES,
          shippedSteps: this.model(modelId(v))?.train.steps, shippedName: modelName(modelId(v)), spreadPts: st ? 100 * (st.max - st.min) : NaN }));
        this.el.useLive.disabled = false;
        this.drawF1();
        if (this.useLive) this.scheduleAnalysis();
        return `${total.toLocaleString('en-US')} steps in ${r.secs.toFixed(1)} s · ${Math.round(r.tps).toLocaleString('en-US')} tokens/s (training)`;
      },
      onCancel: (why) => this.box.bar.fail(`${why} after ${done} of ${total} steps`),
    };
  }

  // ---------------------------------------------------------------- export
  exports() {
    return [
      csvButton('CSV of the F1 table', 'paperlab-onlstm-f1.csv', () => f1Csv(this.shipped)),
      ['CSV of this sentence', () => this.analysis && downloadText('paperlab-onlstm-sentence.csv', csvText(sentenceCsv(this.analysis)))],
      pngButton('PNG of the F1 plot', 'paperlab-onlstm-f1.png', () => this.f1Plot, 'ON-LSTM lab · parse F1 vs chunk size'),
      pngButton('PNG of the staircase', 'paperlab-onlstm-staircase.png', () => this.stairView),
      ['model (.safetensors)', () => this.downloadModel()],
    ];
  }

  async downloadModel() {
    if (this.useLive && this.liveModel) {
      const { value } = await this.liveHandle().call('model_bytes', []);
      downloadText('onlstm-trained-here.safetensors', value, 'application/octet-stream');
    } else {
      const e = this.model(modelId(this.values));
      download(e?.file || 'model.safetensors', new URL(e?.file || '', MODELS_DIR).href);
    }
  }
}

export const mount = mountLab(OnlstmLab, {
  css: new URL('./onlstm.css', import.meta.url),
  embedHeight: 1100,
  head: {
    authors: 'Yikang Shen, Shawn Tan, Alessandro Sordoni, Aaron Courville',
    venue: 'ICLR 2019 (best paper)',
    link: 'arXiv:1810.09536',
    idea: 'Sort the LSTM’s neurons from low to high level and gate them with cumax, a cumulative softmax: when the master '
      + 'forget gate erases a high-level neuron it erases every neuron below it too, so high levels keep long '
      + 'constituents and low levels short ones — and how much the gate erases at each word is a syntactic distance '
      + 'that yields a parse tree without any tree supervision.',
  },
});
