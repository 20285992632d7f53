// The corruptions lab (Hendrycks & Dietterich, ICLR 2019): the 15 ImageNet-C corruptions x 5 severities on a photo
// (a large before/after view and the whole grid), ImageNet-P perturbation sequences on the photo and on a digit with
// the digit models' prediction flips, and the robustness benchmark of the shipped digit models (CE, mCE, relative
// mCE, flip probability, mFR) normalised by our natural MLP, shipped precomputed and re-run live.
//
// No math here: every pixel and number comes from the engine's CorruptionsLab (src/wasm/corruptions.rs ->
// src/labs/corruptions/), painted with putImageData; the sentences come from corruptions-findings.js.
//
// First view (issue: ≤ 3 MB on the wire): the engine opens an empty session and gets only the photo; the five
// frost pictures (the frost row, the frost large view) and the digits with the three models (the digit player,
// the live benchmark) are fetched when the user first asks for them (ui/lazy.js), and added to the session.
//
// Test hooks: body[data-ready="1"] once the large view is painted; [data-testid=grid] holds 75 canvases
// (data-done="1" when painted), #lab[data-grid="done"] and #lab[data-grid-ms] (worker time of the grid call, ms) when
// the whole grid is in ("partial" while the frost row waits for its pictures); [data-testid=photo-error] an
// upload's error; #lab[data-photo] "w x h"; #lab[data-bench-status] the live benchmark; [data-testid=bench-table]
// its table, #lab[data-bench-source] "shipped" | "live"; [data-testid=flips] the flip markers; #lab[data-seq]
// "<perturbation>|<frames>" of the digit sequence; #lab[data-frost-status], [data-digits-status] the lazy files
// (idle | loading | done | error), [data-testid=frost-load], [digits-load] their buttons.

import { h, progress, sig3 } from '../ui/controls.js';
import { LabPage, mountLab, panel, downloadText, csvText, fetchJson, dataTable } from '../ui/labpage.js';
import { Lazy, fetchShipped } from '../ui/lazy.js';
import { paintRgba, grayToRgba, downloadCanvas } from '../ui/pixels.js';
import { FramePlayer } from '../ui/player.js';
import { ImageGrid } from '../ui/imagegrid.js';
import { groupBars } from '../ui/groupbars.js';
import { uploadProblem, uploadBox } from '../ui/upload.js';
import { COMMON, TITLES, PERTURBATIONS, PTITLES, DIGIT_MODELS, findings } from './corruptions-findings.js';
import { VIEWS, FLIP_DIGITS, title, ptitle, bigCaption, benchRunText, benchSourceText, benchTable, benchBars, benchCsv, digitFrame, fidelityRows, FIDELITY_NOTE } from './corruptions-views.js';

const url = (p) => new URL(p, import.meta.url).href;
const FROST = ['frost1.png', 'frost2.png', 'frost3.png', 'frost4.jpg', 'frost5.jpg'].map((f) => url(`../data/frost/${f}`));
const DATA_URL = url('../data/mnist-10k.safetensors.gz');
const SHIPPED_URL = url('../data/corruptions-bench.json');
/** The benchmark's digit models (the baseline first): MLPs, BagNets and CNNs (corruptions-findings.js). */
const MODELS = DIGIT_MODELS.map((m) => url(`../models/${m.file}`));
const PHOTOS = ['chelsea', 'coffee', 'astronaut'];
const PHOTO_LABEL = { chelsea: 'Chelsea the cat', coffee: 'a cup of coffee', astronaut: 'astronaut Eileen Collins' };
/** The longer side a photo is fitted to (ImageNet-C's 224 px). */
const SIDE = 224;
const MAX_UPLOAD_MB = 30;

class CorruptionsLab extends LabPage {
  get css() {
    return url('./corruptions.css');
  }

  spec() {
    return [
      { name: 'severity', type: 'int', min: 1, max: 5, default: 3, control: 'slider', label: 'Severity', hint: '1 (mild) to 5 (strong), the paper\u2019s five levels; arrow keys step' },
      { name: 'corruption', type: 'enum', values: COMMON, default: 'snow', label: 'Corruption (large view)', options: COMMON.map((v, i) => ({ value: v, label: TITLES[i] })), hint: 'or click a cell of the grid' },
      { name: 'photo', type: 'enum', values: PHOTOS, default: 'chelsea', label: 'Photo', options: PHOTOS.map((v) => ({ value: v, label: `${v} (${PHOTO_LABEL[v]})` })) },
      { name: 'perturbation', type: 'enum', values: PERTURBATIONS, default: 'rotate', label: 'Perturbation (ImageNet-P)', options: PERTURBATIONS.map((v, i) => ({ value: v, label: PTITLES[i] })) },
      { name: 'frame', type: 'int', min: 0, max: 40, default: 0, control: 'slider', label: 'Frame', slot: 'player', hint: 'arrow keys step through the sequence' },
      { name: 'digit', type: 'int', min: 0, max: 1999, default: 29, label: 'Digit (test set index)', slot: 'player' },
      { name: 'view', type: 'enum', values: VIEWS.map((o) => o.value), default: 'ce', label: 'Benchmark view', options: VIEWS, slot: 'bench-view' },
      { name: 'digits', type: 'int', min: 20, max: 2000, default: 300, label: 'Digits for a live run', slot: 'bench' },
      { name: 'seed', type: 'int', min: 0, max: 999999, default: 1, label: 'Seed', random: true, hint: 'the corruptions\u2019 random draws' },
      { name: 'embed', type: 'bool', default: false, share: false, hidden: true },
    ];
  }

  build() {
    this.upload = uploadBox({
      root: this.root, id: 'upload', label: 'Your own photo (PNG or JPEG)', accept: 'image/png,image/jpeg', kept: 'The previous photo is kept.',
      hint: `Fitted to ${SIDE} px on its longer side; 28 px to 20 megapixels. It stays on this computer and is not part of the share link.`,
      check: (f) => uploadProblem(f, { types: /^image\/(png|jpeg)$/, kinds: 'a PNG or JPEG picture', choose: 'a .png or .jpg file', maxMB: MAX_UPLOAD_MB }),
      use: async (f) => {
        const bytes = new Uint8Array(await f.arrayBuffer());
        await this.usePhoto(bytes, `${f.name} (your upload)`, true);
        this.photoBytes = bytes;
      },
    });

    this.before = h('canvas', { class: 'corr-big', role: 'img', 'aria-label': 'the photo' });
    this.after = h('canvas', { class: 'corr-big', role: 'img', 'aria-label': 'the corrupted photo', 'data-testid': 'after' });
    this.bigCaption = h('p', { class: 'readout', 'data-testid': 'big-caption' }, 'Loading the engine\u2026');
    this.sevMarks = h('div', { class: 'corr-sev', 'aria-hidden': 'true' }, ...[1, 2, 3, 4, 5].map((s) => h('span', { 'data-s': String(s) }, String(s))));

    this.grid = new ImageGrid({
      rows: COMMON.map((id, i) => ({ id, label: TITLES[i] })), cols: [1, 2, 3, 4, 5].map((id) => ({ id, label: `severity ${id}` })),
      cls: 'corr', cell: (r, c) => `${r.label}, severity ${c.id}`, onPick: (corruption, severity) => this.set({ corruption, severity }),
    });
    this.gridBar = progress({ unit: 'rows' });

    // The files the first view does without, each with its box where its result goes.
    this.frost = new Lazy({
      root: this.root, name: 'frost', what: 'the five frost pictures', button: 'load the frost pictures',
      why: 'Frost overlays photos of frost (ImageNet-C\u2019s pictures, about 2 MB); they are fetched when you ask for them.',
      files: FROST, use: (bytes) => this.giveFrost(bytes),
      after: () => {
        if (this.values.corruption === 'frost') this.drawBig();
        this.drawGrid();
      },
    });
    this.digits = new Lazy({
      root: this.root, name: 'digits', what: `the digits and the ${DIGIT_MODELS.length} models`, button: 'load the digits and models',
      why: `The digit player and the live benchmark need the 2,000 test digits and the ${DIGIT_MODELS.length} digit models (MLPs, BagNets, CNNs; about 4.9 MB).`,
      files: [DATA_URL, ...MODELS], use: (bytes) => this.giveDigits(bytes), after: () => this.drawDigitSequence(),
    });

    this.pPhoto = h('canvas', { class: 'corr-pframe', role: 'img', 'aria-label': 'the perturbed photo' });
    this.pDigit = h('canvas', { class: 'corr-digit', role: 'img', 'aria-label': 'the perturbed digit' });
    this.pPhotoText = h('p', { class: 'hint', 'data-testid': 'photo-sequence' });
    const frames = () => Math.max(this.seq?.frames || 1, this.pseq?.n || 1);
    this.player = new FramePlayer({ get: () => this.values.frame, set: (f) => this.set({ frame: f }), frames });
    this.disposers.push(() => this.player.stop());
    this.flips = h('div', { class: 'corr-flips', 'data-testid': 'flips', tabindex: '0', role: 'region', 'aria-label': 'predicted class per frame (scrolls sideways)' });
    this.seqText = h('p', { class: 'readout', 'data-testid': 'sequence' });
    this.flipNote = h('p', { class: 'hint' });

    this.benchBox = this.runBox({
      label: 'Live benchmark on the shipped digits', name: 'bench', unit: 'cells', job: () => this.job(),
      labels: { run: 'run the benchmark', cancel: 'cancel' }, startN: 1, extra: [this.slot('bench')],
    });
    this.benchTable = h('div', { 'data-testid': 'bench-table' });
    this.benchChart = h('div', { class: 'corr-bars', 'data-testid': 'bench-chart', role: 'img' });
    this.benchSource = h('p', { class: 'hint', 'data-testid': 'bench-source' });

    return {
      left: [this.upload.el, this.benchBox.el],
      main: [
        panel('Before / after', h('div', { class: 'corr-pair' },
          h('figure', {}, this.before, h('figcaption', {}, 'clean')),
          h('figure', {}, this.after, h('figcaption', {}, 'corrupted'))), this.sevMarks, this.bigCaption),
        panel('ImageNet-C: the 15 corruptions \u00d7 5 severities', h('p', { class: 'hint' }, 'Noise, blur, weather and digital corruptions, each at the paper\u2019s five severities; the current severity is outlined, the large view in orange.'), this.frost.el, this.gridBar.el, this.grid.el),
        panel('ImageNet-P: a perturbation sequence, and where the digit models\u2019 predictions flip',
          h('div', { class: 'corr-player' },
            h('figure', {}, this.pPhoto, h('figcaption', {}, this.pPhotoText)),
            h('figure', {}, this.pDigit, h('figcaption', {}, 'the digit (CIFAR-P settings)')),
            h('div', { class: 'corr-player-ctl' }, this.slot('player'), this.player.button)),
          this.digits.el, this.flipNote, this.flips, this.seqText),
        panel('Robustness of the shipped digit models (normalised by the natural MLP)', this.slot('bench-view'), this.benchChart, this.benchTable, this.benchSource),
      ],
    };
  }

  async loadShipped() {
    const s = await fetchJson(SHIPPED_URL, 'the precomputed benchmark (www/data/corruptions-bench.json)');
    this.report = s.models;
    this.reportSource = 'shipped';
    this.reportInfo = s;
    return s;
  }

  async openEngine(engine) {
    // An empty session: the photo comes next; frost pictures, digits and models when they are asked for.
    this.lab = engine.lab('corruptions', 'CorruptionsLab.empty', [], []);
    await this.lab.open();
    this.models = [];
    this.engineUp = true;
  }

  async firstLive() {
    await this.loadShippedPhoto(this.values.photo);
  }

  /** Hands the frost pictures to the session (the engine decodes them once all five are in). */
  async giveFrost(bytes) {
    for (const b of bytes) await this.lab.call('add_frost', [b]);
  }

  /** Hands the digits and the digit models to the session. */
  async giveDigits([data, ...models]) {
    await this.lab.call('load_digits', [data]);
    for (let i = 0; i < models.length; i++) await this.lab.call('add_digit_model', [DIGIT_MODELS[i].name, DIGIT_MODELS[i].kind, models[i]]);
    this.models = (await this.lab.call('model_names', [])).value;
  }

  restarted() {
    // The photo, the added files and the sequences lived in the old worker: hand them over again (an upload from
    // its kept bytes), then repaint.
    this.seq = null;
    this.pseq = null;
    (async () => {
      try {
        if (this.frost.done) await this.giveFrost(this.frost.bytes);
        if (this.digits.done) await this.giveDigits(this.digits.bytes);
        if (this.photoBytes) await this.usePhoto(this.photoBytes, this.photoLabel);
        else await this.loadShippedPhoto(this.values.photo);
      } catch (e) {
        this.fail('After the restart', e, this.bigCaption);
      }
    })();
  }

  changed(prev) {
    this.markSeverity();
    this.drawReport();
    this.benchBox.text.textContent = benchRunText(this.values.digits, DIGIT_MODELS.length);
    if (!this.engineUp) return;
    const v = this.values;
    if (prev && prev.photo !== v.photo) {
      this.loadShippedPhoto(v.photo);
      return;
    }
    if (prev && prev.seed !== v.seed) this.drawGrid();
    if (prev && (prev.severity !== v.severity || prev.corruption !== v.corruption || prev.seed !== v.seed)) this.drawBig();
    if (prev && (prev.perturbation !== v.perturbation || prev.seed !== v.seed)) this.drawSequences();
    else if (prev && prev.digit !== v.digit) this.drawDigitSequence(true);
    else if (prev && prev.frame !== v.frame) this.showFrame();
    if (prev && prev.digits !== v.digits) this.benchBox.run.cancel('the number of digits changed');
  }

  notice() {
    return findings({ report: this.report, severity: this.values.severity, gridMs: this.gridMs, threads: this.engine.backend?.threads || 1, seq: this.seq, models: this.models });
  }

  // ---- the photo ------------------------------------------------------------------------------------------

  async loadShippedPhoto(name) {
    try {
      const bytes = await fetchShipped(url(`../data/photos/${name}.png`));
      this.photoBytes = null;
      await this.usePhoto(bytes, `${name}.png (scikit-image sample data)`);
    } catch (e) {
      this.fail('The photo could not be loaded', e, this.upload.error);
    }
  }

  /** Makes `bytes` the photo (the engine decodes and fits it; throws its message for a bad file), then repaints. */
  async usePhoto(bytes, label, upload = false) {
    // Results in flight for the previous photo are dropped (they have its size).
    this.gridToken = (this.gridToken || 0) + 1;
    this.pToken = (this.pToken || 0) + 1;
    let value;
    try {
      ({ value } = await this.lab.call('load_photo', [upload ? bytes.slice() : bytes, SIDE]));
    } catch (e) {
      throw new Error(String(e.message || e).replace(/^image: /, ''));
    }
    this.upload.clear();
    ({ width: this.w, height: this.h, channels: this.ch } = value);
    this.photoLabel = label;
    this.root.dataset.photo = `${this.w}x${this.h}`;
    paintRgba(this.before, (await this.lab.call('photo_rgba', [])).value, this.w, this.h);
    this.pseq = null;
    await this.drawBig();
    this.drawGrid();
    this.drawSequences();
  }

  async drawBig() {
    if (!this.w) return;
    const v = this.values;
    try {
      if (v.corruption === 'frost' && !this.frost.done) {
        this.bigCaption.textContent = 'Frost needs its pictures: loading them\u2026';
        await this.frost.load(); // paints the large view when they are in
        return;
      }
      const { value, ms } = await this.lab.call('corrupt', [v.corruption, v.severity, v.seed]);
      if (value.length !== this.w * this.h * 4) return;
      paintRgba(this.after, value, this.w, this.h);
      this.after.setAttribute('aria-label', `the photo with ${title(v.corruption).toLowerCase()} at severity ${v.severity}`);
      this.bigCaption.textContent = bigCaption({ corruption: v.corruption, severity: v.severity, photo: { w: this.w, h: this.h, ch: this.ch, label: this.photoLabel }, ms });
    } catch (e) {
      this.fail('The corruption failed', e, this.bigCaption);
    }
  }

  /** The 15 rows in one engine call (75 cells in one list, longest first: on the threaded build the threads
   *  share them evenly); the frost row once its pictures are in. */
  async drawGrid() {
    if (!this.w) return;
    const token = (this.gridToken = (this.gridToken || 0) + 1);
    const { w, h: ht } = this;
    this.grid.reset();
    this.root.dataset.grid = 'running';
    delete this.root.dataset.gridMs;
    this.gridMs = null;
    const rows = COMMON.map((c, i) => i).filter((i) => COMMON[i] !== 'frost' || this.frost.done);
    this.gridBar.start(rows.length);
    let res;
    try {
      res = await this.lab.call('corrupt_grid', [rows.map((c) => COMMON[c]).join(','), this.values.seed]);
    } catch (e) {
      if (token === this.gridToken) {
        this.gridBar.fail('stopped');
        this.root.dataset.grid = 'error';
        this.fail('The grid failed', e);
      }
      return;
    }
    const n = 5 * w * ht * 4;
    if (token !== this.gridToken || res.value.length !== rows.length * n) return;
    rows.forEach((c, k) => this.grid.paintRow(c, res.value.subarray(k * n, (k + 1) * n), w, ht));
    this.gridBar.update(rows.length);
    this.gridBar.done(`${5 * rows.length} cells in ${sig3(res.ms / 1000)} s (engine time)`);
    if (rows.length < 15) {
      this.root.dataset.grid = 'partial';
      return;
    }
    this.gridMs = res.ms;
    this.root.dataset.gridMs = res.ms.toFixed(1);
    this.root.dataset.grid = 'done';
    this.refreshNotice();
  }

  markSeverity() {
    const v = this.values;
    this.grid.mark(v.severity, v.corruption);
    for (const el of this.sevMarks.children) el.classList.toggle('on', Number(el.dataset.s) === v.severity);
  }

  // ---- perturbation sequences ----------------------------------------------------------------------------

  async drawSequences() {
    await this.drawPhotoSequence();
    await this.drawDigitSequence();
  }

  async drawPhotoSequence() {
    if (!this.w) return;
    const v = this.values;
    const token = (this.pToken = (this.pToken || 0) + 1);
    this.pPhotoText.textContent = `computing the ${ptitle(v.perturbation).toLowerCase()} sequence\u2026`;
    try {
      const { value, ms } = await this.lab.call('photo_sequence', [v.perturbation, v.seed]);
      if (token !== this.pToken || value.length % (this.w * this.h * 4)) return;
      this.pseq = { frames: value, n: value.length / (this.w * this.h * 4), ms };
      this.showFrame();
    } catch (e) {
      this.fail('The photo\u2019s perturbation sequence failed', e, this.pPhotoText);
    }
  }

  /** The digit's sequence and its flips, once the digits and models are in (`ask`: the user moved a setting that
   *  needs them, so fetch them now). */
  async drawDigitSequence(ask = false) {
    if (!this.digits.done) {
      if (ask) await this.digits.load().catch(() => {}); // draws the sequence when they are in
      return;
    }
    const v = this.values;
    const token = (this.dToken = (this.dToken || 0) + 1);
    try {
      const { value: frames } = await this.lab.call('digit_frames', [v.digit, v.perturbation, v.seed]);
      const { value: seq } = await this.lab.call('digit_sequence', [v.digit, v.perturbation, v.seed]);
      if (token !== this.dToken) return;
      this.seq = { pixels: frames, ...seq };
      this.root.dataset.seq = `${v.perturbation}|${this.seq.frames}`;
      this.showFrame();
      this.refreshNotice();
    } catch (e) {
      this.fail('The digit\u2019s perturbation sequence failed', e, this.seqText);
    }
  }

  /** Paints frame `values.frame` of both sequences (a sequence shorter than that shows its last frame). */
  showFrame() {
    const j = this.values.frame;
    if (this.pseq) {
      const k = Math.min(j, this.pseq.n - 1);
      paintRgba(this.pPhoto, this.pseq.frames, this.w, this.h, k * this.w * this.h * 4);
      this.pPhotoText.textContent = `the photo, frame ${k} of ${this.pseq.n - 1} (ImageNet-P settings; ${sig3(this.pseq.ms)} ms for the sequence)`;
    }
    const s = this.seq;
    if (!s) return;
    const f = digitFrame(s, this.models, this.values.digit, j);
    paintRgba(this.pDigit, grayToRgba(s.pixels.subarray(f.k * 784, (f.k + 1) * 784), 28, 28), 28, 28);
    this.flipNote.textContent = f.note;
    this.flips.replaceChildren(dataTable({
      cls: 'corr-flip-table',
      head: ['model', ...Array.from({ length: s.frames }, (_, i) => String(i))],
      rows: this.models.map((name, m) => [name, ...f.cells[m]]),
    }));
    this.seqText.textContent = f.text;
  }

  // ---- the benchmark --------------------------------------------------------------------------------------

  job() {
    const v = this.values;
    const nFlip = Math.min(v.digits, FLIP_DIGITS);
    return {
      begin: async () => {
        // The benchmark runs every corruption (frost too) on the digits with the models: fetch what is missing.
        await Promise.all([this.frost.load(), this.digits.load()]);
        this.benchTotal = (await this.lab.call('bench_start', [v.digits, nFlip, v.seed, 0])).value;
        return this.benchTotal;
      },
      // One cell (one corruption x severity, or one perturbation) per engine call, whatever n is.
      step: async () => {
        const { value: cell, ms } = await this.lab.call('bench_step', []);
        const done = cell ? cell.index + 1 : this.benchTotal;
        return { cell, done, finished: done >= this.benchTotal, ms, adapt: false };
      },
      onStep: async () => {
        this.report = (await this.lab.call('bench_report', [])).value;
        this.reportSource = 'live';
        this.reportInfo = { n: v.digits, n_flip: nFlip, seed: v.seed };
        this.drawReport();
        this.refreshNotice();
      },
      finish: () => `${v.digits} digits, flips on ${nFlip}`,
    };
  }

  drawReport() {
    const r = this.report;
    if (!r) return;
    const v = this.values;
    this.root.dataset.benchSource = this.reportSource;
    this.benchSource.textContent = benchSourceText(this.reportSource, this.reportInfo);
    this.benchTable.replaceChildren(dataTable({
      cls: 'corr-bench',
      caption: 'Top-1 error on the digits; CE, relative CE and FR as a percentage of the baseline\u2019s (the natural MLP = 100%).',
      ...benchTable(r, v.severity),
    }));
    const c = benchBars(r, v.view);
    groupBars(this.benchChart, c, { cls: 'corr', series: r.map((m) => m.name), refLabel: 'the baseline (100%)', hint: `numbers: ${c.shown.join(' / ')}` });
  }

  fidelity() {
    return { rows: fidelityRows(this.shipped?.models), after: [h('p', { class: 'hint' }, FIDELITY_NOTE)] };
  }

  exports() {
    return [
      ['CSV of the benchmark', () => downloadText(`paperlab-corruptions-seed${this.values.seed}.csv`, csvText(benchCsv(this.report)))],
      ['PNG of the large view', () => downloadCanvas(this.after, `paperlab-corruptions-${this.values.corruption}-s${this.values.severity}.png`)],
    ];
  }
}

export const mount = mountLab(CorruptionsLab, {
  head: {
    authors: 'Dan Hendrycks & Thomas Dietterich',
    idea: 'Fifteen everyday corruptions at five severities (ImageNet-C) and frame-to-frame perturbations (ImageNet-P): how much a classifier\u2019s error grows, normalised by a baseline (mCE), and how often its prediction flips (mFR). Live: the corruptions on a photo, and the benchmark of the shipped digit models.',
  },
});
