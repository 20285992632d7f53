// The corruptions lab (Hendrycks & Dietterich, ICLR 2019): the 15 ImageNet-C corruptions x 5 severities on a photo
// (a large before/after view and the whole grid), ImageNet-P perturbation sequences on the photo and on a digit with
// the digit models' prediction flips, and the robustness benchmark of the shipped digit models (CE, mCE, relative
// mCE, flip probability, mFR) normalised by our natural MLP, shipped precomputed and re-run live.
//
// No math here: every pixel and number comes from the engine's CorruptionsLab (src/wasm/corruptions.rs ->
// src/labs/corruptions/), painted with putImageData; the sentences come from corruptions-findings.js.
//
// Test hooks: body[data-ready="1"] once the large view is painted; [data-testid=grid] holds 75 canvases
// (data-done="1" when painted), #lab[data-grid="done"] and #lab[data-grid-ms] (worker time of the 15 rows, ms) when
// the whole grid is in; [data-testid=photo-error] an upload's error; #lab[data-photo] "w x h"; #lab[data-bench-status]
// the live benchmark; [data-testid=bench-table] its table, #lab[data-bench-source] "shipped" | "live";
// [data-testid=flips] the flip markers; #lab[data-seq] "<perturbation>|<frames>" of the digit sequence.

import { h, progress, sig3 } from '../ui/controls.js';
import { LabPage, mountLab, panel, downloadText, download, csvText, fetchJson, dataTable } from '../ui/labpage.js';
import { COMMON, TITLES, PERTURBATIONS, PTITLES, pc, errorAtSeverity, findings } from './corruptions-findings.js';

const url = (p) => new URL(p, import.meta.url).href;
const FROST = ['frost1.png', 'frost2.png', 'frost3.png', 'frost4.jpg', 'frost5.jpg'].map((f) => url(`../data/frost/${f}`));
const DATA_URL = url('../data/mnist-10k.safetensors.gz');
const SHIPPED_URL = url('../data/corruptions-bench.json');
const MODELS = [url('../models/verify/mlp-natural.safetensors'), url('../models/verify/mlp-crownibp.safetensors'),
  url('../models/lottery/vision-ticket.safetensors')];
const PHOTOS = ['chelsea', 'coffee', 'astronaut'];
const PHOTO_LABEL = { chelsea: 'Chelsea the cat', coffee: 'a cup of coffee', astronaut: 'astronaut Eileen Collins' };
/** The longer side a photo is fitted to (ImageNet-C's 224 px). */
const SIDE = 224;
const MAX_UPLOAD_MB = 30;
const FLIP_DIGITS = 200;

function paint(canvas, rgba, w, ht, offset = 0) {
  canvas.width = w;
  canvas.height = ht;
  const px = new Uint8ClampedArray(rgba.buffer, rgba.byteOffset + offset, w * ht * 4);
  canvas.getContext('2d').putImageData(new ImageData(px, w, ht), 0, 0);
}

function grayToRgba(bytes, w, ht) {
  const out = new Uint8Array(w * ht * 4);
  for (let i = 0; i < w * ht; i++) {
    out[4 * i] = out[4 * i + 1] = out[4 * i + 2] = bytes[i];
    out[4 * i + 3] = 255;
  }
  return out;
}

/** The bench views: what the bar chart shows. */
const VIEWS = [
  { value: 'ce', label: 'Corruption Error CE (mean: mCE)' },
  { value: 'rel_ce', label: 'relative CE (mean: relative mCE)' },
  { value: 'fp', label: 'flip probability FP (flip rate FR, mFR)' },
];

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
    this.upload = h('input', { type: 'file', id: 'upload', accept: 'image/png,image/jpeg', 'data-testid': 'upload' });
    this.photoError = h('div', { class: 'error', hidden: true, role: 'alert', 'data-testid': 'photo-error' });
    this.upload.addEventListener('change', () => this.onUpload());

    this.before = h('canvas', { class: 'corr-big', role: 'img', 'aria-label': 'the photo' });
    this.after = h('canvas', { class: 'corr-big', role: 'img', 'aria-label': 'the corrupted photo', 'data-testid': 'after' });
    this.bigCaption = h('p', { class: 'readout', 'data-testid': 'big-caption' }, 'Loading the engine\u2026');
    this.sevMarks = h('div', { class: 'corr-sev', 'aria-hidden': 'true' }, ...[1, 2, 3, 4, 5].map((s) => h('span', { 'data-s': String(s) }, String(s))));

    this.grid = h('div', { class: 'corr-grid', 'data-testid': 'grid' });
    this.grid.append(h('span', {}), ...[1, 2, 3, 4, 5].map((s) => h('span', { class: 'corr-colhead', 'data-s': String(s) }, `severity ${s}`)));
    this.cells = [];
    for (let c = 0; c < 15; c++) {
      this.grid.append(h('span', { class: 'corr-label' }, TITLES[c]));
      for (let s = 1; s <= 5; s++) {
        const cv = h('canvas', { class: 'corr-cell', role: 'img', 'aria-label': `${TITLES[c]}, severity ${s}`, title: `${TITLES[c]}, severity ${s} (click for the large view)`, 'data-c': COMMON[c], 'data-s': String(s) });
        cv.addEventListener('click', () => this.set({ corruption: COMMON[c], severity: s }));
        this.cells.push(cv);
        this.grid.append(cv);
      }
    }
    this.gridBar = progress({ unit: 'rows' });

    this.pPhoto = h('canvas', { class: 'corr-pframe', role: 'img', 'aria-label': 'the perturbed photo' });
    this.pDigit = h('canvas', { class: 'corr-digit', role: 'img', 'aria-label': 'the perturbed digit' });
    this.pPhotoText = h('p', { class: 'hint', 'data-testid': 'photo-sequence' });
    this.playBtn = h('button', { type: 'button', class: 'small', 'data-testid': 'play', 'aria-pressed': 'false' }, 'play');
    this.playBtn.addEventListener('click', () => this.togglePlay());
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
      left: [h('div', { class: 'control' }, h('label', { for: 'upload' }, 'Your own photo (PNG or JPEG)'), this.upload,
        h('p', { class: 'hint' }, `Fitted to ${SIDE} px on its longer side; 28 px to 20 megapixels. It stays on this computer and is not part of the share link.`),
        this.photoError), this.benchBox.el],
      main: [
        panel('Before / after', h('div', { class: 'corr-pair' },
          h('figure', {}, this.before, h('figcaption', {}, 'clean')),
          h('figure', {}, this.after, h('figcaption', {}, 'corrupted'))), this.sevMarks, this.bigCaption),
        panel('ImageNet-C: the 15 corruptions \u00d7 5 severities', h('p', { class: 'hint' }, 'Noise, blur, weather and digital corruptions, each at the paper\u2019s five severities; the current severity is outlined, the large view in orange.'), this.gridBar.el, this.grid),
        panel('ImageNet-P: a perturbation sequence, and where the digit models\u2019 predictions flip',
          h('div', { class: 'corr-player' },
            h('figure', {}, this.pPhoto, h('figcaption', {}, this.pPhotoText)),
            h('figure', {}, this.pDigit, h('figcaption', {}, 'the digit (CIFAR-P settings)')),
            h('div', { class: 'corr-player-ctl' }, this.slot('player'), this.playBtn)),
          this.flipNote, this.flips, this.seqText),
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

  mounted() {
    this.disposers.push(() => this.stopPlay());
  }

  async openEngine(engine) {
    this.lab = engine.lab('corruptions', 'CorruptionsLab', [...FROST, DATA_URL, ...MODELS], []);
    await this.lab.open();
    this.models = JSON.parse((await this.lab.call('model_names', [])).value);
    this.engineUp = true;
  }

  async firstLive() {
    await this.loadShippedPhoto(this.values.photo);
    await this.drawSequences();
  }

  restarted() {
    // The photo and the sequences lived in the old worker: load them again (an upload from its kept bytes).
    this.seq = null;
    this.pseq = null;
    (async () => {
      try {
        if (this.photoBytes) await this.usePhoto(this.photoBytes, this.photoLabel);
        else await this.loadShippedPhoto(this.values.photo);
        await this.drawSequences();
      } catch (e) {
        this.fail('After the restart', e, this.bigCaption);
      }
    })();
  }

  changed(prev) {
    this.markSeverity();
    this.drawReport();
    const n = this.values.digits;
    this.benchBox.text.textContent = `75 cells (15 corruptions \u00d7 5 severities) on the first ${n} test digits, then the 10 perturbations on the first ${Math.min(n, FLIP_DIGITS)}; all three models, normalised by the natural MLP.`;
    if (!this.engineUp) return;
    const v = this.values;
    if (prev && prev.photo !== v.photo) {
      this.loadShippedPhoto(v.photo);
      return;
    }
    if (prev && prev.seed !== v.seed) this.drawGrid();
    if (prev && (prev.severity !== v.severity || prev.corruption !== v.corruption || prev.seed !== v.seed)) this.drawBig();
    if (prev && (prev.perturbation !== v.perturbation || prev.seed !== v.seed)) this.drawSequences();
    else if (prev && prev.digit !== v.digit) this.drawDigitSequence();
    else if (prev && prev.frame !== v.frame) this.showFrame();
    if (prev && prev.digits !== v.digits) this.benchBox.run.cancel('the number of digits changed');
  }

  notice() {
    return findings({ report: this.report, severity: this.values.severity, rowMs: this.rowMs, threads: this.engine.backend?.threads || 1, seq: this.seq, models: this.models });
  }

  // ---- the photo ------------------------------------------------------------------------------------------

  async loadShippedPhoto(name) {
    try {
      const res = await fetch(url(`../data/photos/${name}.png`));
      if (!res.ok) throw new Error(`www/data/photos/${name}.png: HTTP ${res.status}`);
      this.photoBytes = null;
      await this.usePhoto(new Uint8Array(await res.arrayBuffer()), `${name}.png (scikit-image sample data)`);
    } catch (e) {
      this.fail('The photo could not be loaded', e, this.photoError);
    }
  }

  async onUpload() {
    const f = this.upload.files && this.upload.files[0];
    if (!f) return;
    if (f.type && !/^image\/(png|jpeg)$/.test(f.type)) {
      this.showPhotoError(`${f.name} is ${f.type}, not a PNG or JPEG picture; choose a .png or .jpg file`);
      return;
    }
    if (f.size > MAX_UPLOAD_MB * 2 ** 20) {
      this.showPhotoError(`${f.name} is ${(f.size / 2 ** 20).toFixed(1)} MB; choose a picture under ${MAX_UPLOAD_MB} MB`);
      return;
    }
    const bytes = new Uint8Array(await f.arrayBuffer());
    try {
      await this.usePhoto(bytes, `${f.name} (your upload)`, true);
      this.photoBytes = bytes;
    } catch (e) {
      this.showPhotoError(`${f.name}: ${String(e.message || e).replace(/^image: /, '')}`);
    }
  }

  showPhotoError(msg) {
    this.photoError.textContent = `${msg.replace(/[.\s]*$/, '')}. The previous photo is kept.`;
    this.photoError.hidden = false;
    this.root.dataset.photoError = '1';
  }

  /** Makes `bytes` the photo (the engine decodes and fits it; throws its message for a bad file), then repaints. */
  async usePhoto(bytes, label, upload = false) {
    // Results in flight for the previous photo are dropped (they have its size).
    this.gridToken = (this.gridToken || 0) + 1;
    this.pToken = (this.pToken || 0) + 1;
    const { value } = await this.lab.call('load_photo', [upload ? bytes.slice() : bytes, SIDE]);
    this.photoError.hidden = true;
    delete this.root.dataset.photoError;
    [this.w, this.h, this.ch] = Array.from(value);
    this.photoLabel = label;
    this.root.dataset.photo = `${this.w}x${this.h}`;
    paint(this.before, (await this.lab.call('photo_rgba', [])).value, this.w, this.h);
    this.pseq = null;
    await this.drawBig();
    this.drawGrid();
    this.drawPhotoSequence();
  }

  tables() {
    return Math.max(this.w, this.h) <= 64 ? 'CIFAR-10-C' : 'ImageNet-C';
  }

  async drawBig() {
    if (!this.w) return;
    const v = this.values;
    try {
      const { value, ms } = await this.lab.call('corrupt', [v.corruption, v.severity, v.seed]);
      if (value.length !== this.w * this.h * 4) return;
      paint(this.after, value, this.w, this.h);
      this.after.setAttribute('aria-label', `the photo with ${TITLES[COMMON.indexOf(v.corruption)].toLowerCase()} at severity ${v.severity}`);
      this.bigCaption.textContent = `${TITLES[COMMON.indexOf(v.corruption)]}, severity ${v.severity}, on ${this.photoLabel} `
        + `(${this.w}\u00d7${this.h}${this.ch === 1 ? ', grayscale' : ''}; the ${this.tables()} parameter tables) \u2014 ${sig3(ms)} ms`;
    } catch (e) {
      this.fail('The corruption failed', e, this.bigCaption);
    }
  }

  /** The 15 rows, one engine call each (its five severities, in parallel on the threaded build). */
  async drawGrid() {
    if (!this.w) return;
    const token = (this.gridToken = (this.gridToken || 0) + 1);
    const { w, h: ht } = this;
    for (const cv of this.cells) cv.dataset.done = '0';
    this.root.dataset.grid = 'running';
    delete this.root.dataset.gridMs;
    this.rowMs = null;
    const rowMs = [];
    this.gridBar.start(15);
    for (let c = 0; c < 15; c++) {
      let res;
      try {
        res = await this.lab.call('corrupt_row', [COMMON[c], this.values.seed]);
      } catch (e) {
        if (token === this.gridToken) {
          this.gridBar.fail('stopped');
          this.root.dataset.grid = 'error';
          this.fail(`The ${TITLES[c].toLowerCase()} row failed`, e);
        }
        return;
      }
      if (token !== this.gridToken || res.value.length !== 5 * w * ht * 4) return;
      const n = w * ht * 4;
      for (let s = 0; s < 5; s++) {
        const cv = this.cells[c * 5 + s];
        paint(cv, res.value, w, ht, s * n);
        cv.dataset.done = '1';
      }
      rowMs.push(res.ms);
      this.gridBar.update(c + 1);
    }
    this.rowMs = rowMs;
    const total = rowMs.reduce((a, b) => a + b, 0);
    this.gridBar.done(`75 cells in ${sig3(total / 1000)} s (engine time)`);
    this.root.dataset.gridMs = total.toFixed(1);
    this.root.dataset.grid = 'done';
    this.refreshNotice();
  }

  markSeverity() {
    const v = this.values;
    for (const cv of this.cells) {
      const on = Number(cv.dataset.s) === v.severity;
      cv.classList.toggle('on', on);
      cv.classList.toggle('sel', on && cv.dataset.c === v.corruption);
    }
    for (const el of [...this.sevMarks.children, ...this.grid.querySelectorAll('.corr-colhead')]) el.classList.toggle('on', Number(el.dataset.s) === v.severity);
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
    this.pPhotoText.textContent = `computing the ${PTITLES[PERTURBATIONS.indexOf(v.perturbation)].toLowerCase()} sequence\u2026`;
    try {
      const { value, ms } = await this.lab.call('photo_sequence', [v.perturbation, v.seed]);
      if (token !== this.pToken || value.length % (this.w * this.h * 4)) return;
      this.pseq = { frames: value, n: value.length / (this.w * this.h * 4), ms };
      this.showFrame();
    } catch (e) {
      this.fail('The photo\u2019s perturbation sequence failed', e, this.pPhotoText);
    }
  }

  async drawDigitSequence() {
    const v = this.values;
    const token = (this.dToken = (this.dToken || 0) + 1);
    try {
      const { value: frames } = await this.lab.call('digit_frames', [v.digit, v.perturbation, v.seed]);
      const { value: json } = await this.lab.call('digit_sequence', [v.digit, v.perturbation, v.seed]);
      if (token !== this.dToken) return;
      this.seq = { pixels: frames, ...JSON.parse(json) };
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
      paint(this.pPhoto, this.pseq.frames, this.w, this.h, k * this.w * this.h * 4);
      this.pPhotoText.textContent = `the photo, frame ${k} of ${this.pseq.n - 1} (ImageNet-P settings; ${sig3(this.pseq.ms)} ms for the sequence)`;
    }
    const s = this.seq;
    if (!s) return;
    const k = Math.min(j, s.frames - 1);
    paint(this.pDigit, grayToRgba(s.pixels.subarray(k * 784, (k + 1) * 784), 28, 28), 28, 28);
    this.flipNote.textContent = `Predicted class per frame; a flip (orange) is a frame whose prediction differs from ${s.noise ? 'the first frame\u2019s (a noise sequence)' : 'the previous frame\u2019s'}; the current frame is outlined.`;
    this.flips.replaceChildren(dataTable({
      cls: 'corr-flip-table',
      head: ['model', ...Array.from({ length: s.frames }, (_, f) => String(f))],
      rows: this.models.map((name, m) => [name, ...s.preds[m].map((p, f) => ({
        value: String(p), cls: `${s.flips[m].includes(f) ? 'flip' : ''}${f === k ? ' cur' : ''}`.trim() || null,
      }))]),
    }));
    this.seqText.textContent = `Digit ${this.values.digit}, frame ${k} of ${s.frames - 1}: `
      + this.models.map((n, m) => `${n} predicts ${s.preds[m][k]}`).join(', ') + '.';
  }

  togglePlay() {
    if (this.playing) {
      this.stopPlay();
      return;
    }
    const n = Math.max(this.seq?.frames || 1, this.pseq?.n || 1);
    if (this.values.frame >= n - 1) this.set({ frame: 0 });
    this.playing = setInterval(() => {
      const last = Math.max(this.seq?.frames || 1, this.pseq?.n || 1) - 1;
      if (this.values.frame >= last) this.stopPlay();
      else this.set({ frame: this.values.frame + 1 });
    }, 150);
    this.playBtn.textContent = 'pause';
    this.playBtn.setAttribute('aria-pressed', 'true');
  }

  stopPlay() {
    clearInterval(this.playing);
    this.playing = null;
    this.playBtn.textContent = 'play';
    this.playBtn.setAttribute('aria-pressed', 'false');
  }

  // ---- the benchmark --------------------------------------------------------------------------------------

  job() {
    const v = this.values;
    const nFlip = Math.min(v.digits, FLIP_DIGITS);
    return {
      begin: async () => {
        this.benchTotal = (await this.lab.call('bench_start', [v.digits, nFlip, v.seed, 0])).value;
        return this.benchTotal;
      },
      // One cell (one corruption x severity, or one perturbation) per engine call, whatever n is.
      step: async () => {
        const { value, ms } = await this.lab.call('bench_step', []);
        const cell = JSON.parse(value);
        const done = cell ? cell.index + 1 : this.benchTotal;
        return { cell, done, finished: done >= this.benchTotal, ms, adapt: false };
      },
      onStep: async () => {
        this.report = JSON.parse((await this.lab.call('bench_report', [])).value);
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
    const info = this.reportInfo || {};
    this.root.dataset.benchSource = this.reportSource;
    this.benchSource.textContent = this.reportSource === 'shipped'
      ? `Shipped result, computed natively: ${info.n} test digits (flip rates on ${info.n_flip}), seed ${info.seed}. A live run replaces it.`
      : `Live: ${info.n} test digits (flip rates on ${info.n_flip}), seed ${info.seed}. \u2013 where a cell has not run yet, or where the baseline\u2019s value is 0 (its error does not grow, or it never flips, on that many digits), so the ratio is undefined.`;
    const head = ['model', 'clean error', `error, severity ${v.severity}`, 'mCE', 'relative mCE', 'mFR'];
    this.benchTable.replaceChildren(dataTable({
      cls: 'corr-bench',
      caption: 'Top-1 error on the digits; CE, relative CE and FR as a percentage of the baseline\u2019s (the natural MLP = 100%).',
      head,
      rows: r.map((m) => [m.name, pc(m.clean), pc(errorAtSeverity(m, v.severity)), pc(m.mce), pc(m.rel_mce), pc(m.mfr)]),
    }));
    const fp = v.view === 'fp';
    const names = fp ? PTITLES : TITLES;
    const vals = r.map((m) => (fp ? m.fp : v.view === 'rel_ce' ? m.rel_ce : m.ce));
    const finite = vals.flat().filter((x) => x != null && Number.isFinite(x));
    const max = Math.max(fp ? 0.01 : 1, ...finite.map((x) => Math.max(0, x)));
    const ref = fp ? null : 1;
    const label = fp ? 'FP' : v.view === 'rel_ce' ? 'relative CE' : 'CE';
    const bar = (x, k, name) => {
      const w = x != null && Number.isFinite(x) ? Math.max(0, x) / max : 0;
      const extra = fp && Number.isFinite(r[k].fr?.[names.indexOf(name)]) ? `, FR ${pc(r[k].fr[names.indexOf(name)])}` : '';
      return h('span', { class: `corr-bar s${k}`, style: `width:${(100 * w).toFixed(1)}%`, title: `${r[k].name}: ${label} ${pc(x)}${extra}` });
    };
    this.benchChart.setAttribute('aria-label', `${label} per ${fp ? 'perturbation' : 'corruption'} for ${r.map((m) => m.name).join(', ')}; the numbers are in the CSV export`);
    this.benchChart.replaceChildren(
      h('div', { class: 'corr-legend' }, ...r.map((m, k) => h('span', {}, h('i', { class: `corr-swatch s${k}` }), m.name)),
        ref ? h('span', {}, h('i', { class: 'corr-swatch ref' }), 'the baseline (100%)') : null,
        h('span', { class: 'hint' }, `numbers: ${r.slice(fp ? 0 : 1).map((m) => m.name).join(' / ')}`)),
      ...names.map((name, i) => h('div', { class: 'corr-bar-row' }, h('span', { class: 'corr-bar-name' }, name),
        h('span', { class: 'corr-bar-set', style: ref ? `--ref:${(100 * ref / max).toFixed(1)}%` : null }, ...r.map((m, k) => bar(vals[k][i], k, name))),
        h('span', { class: 'corr-bar-val' }, vals.slice(fp ? 0 : 1).map((x) => pc(x[i])).join(' / ')))));
  }

  fidelity() {
    const r = this.shipped?.models;
    const here = (k) => (r ? r.slice(1).map((m) => `${m.name.split(' ').slice(0, 2).join(' ')} ${pc(m[k])}`).join('; ') : '\u2013');
    return {
      rows: [
        ['data', 'ImageNet validation set', '2,000 MNIST test digits', 'no ImageNet in a browser'],
        ['baseline (100%)', 'AlexNet', 'natural MLP 784-100-100-10', 'we ship no AlexNet'],
        ['ResNet-50 mCE', '76.7%', `mCE: ${here('mce')}`, 'digits and MLPs; other baseline'],
        ['ResNet-50 mFR', '58.0%', `mFR: ${here('mfr')}`, 'CIFAR-P settings on digits'],
        ['tables', 'ImageNet-C, CIFAR-10-C', 'the same', 'JPEG: another encoder'],
      ],
      after: [h('p', { class: 'hint' }, 'ResNet-50: the baseline rows of the authors\u2019 ImageNet-C and ImageNet-P leaderboards (hendrycks/robustness), normalised by AlexNet; ours are normalised by the natural MLP on digits (shipped run: 2,000 digits, flips on 500), so the numbers are not comparable, only the definitions. '
        + 'The lottery ticket is LeNet-300-100 at 21.1% of its weights, larger than the baseline, so it does not isolate sparsity. Matching against imagecorruptions 1.1.2: docs/labs/corruptions.md.')],
    };
  }

  exports() {
    return [
      ['CSV of the benchmark', () => downloadText(`paperlab-corruptions-seed${this.values.seed}.csv`, csvText([
        ['model', 'kind', 'name', 'severity', 'value'],
        ...(this.report || []).flatMap((m) => [
          [m.name, 'clean error', '', '', m.clean],
          ...COMMON.flatMap((c, ci) => m.errors[ci].map((e, s) => [m.name, 'error', c, s + 1, e])),
          ...COMMON.map((c, ci) => [m.name, 'CE', c, '', m.ce[ci]]),
          ...COMMON.map((c, ci) => [m.name, 'relative CE', c, '', m.rel_ce[ci]]),
          ...PERTURBATIONS.map((p, pi) => [m.name, 'flip probability', p, '', m.fp[pi]]),
          [m.name, 'mCE', '', '', m.mce], [m.name, 'relative mCE', '', '', m.rel_mce], [m.name, 'mFR', '', '', m.mfr],
        ]),
      ]))],
      ['PNG of the large view', () => this.after.toBlob((b) => {
        if (!b) return;
        const u = URL.createObjectURL(b);
        download(`paperlab-corruptions-${this.values.corruption}-s${this.values.severity}.png`, u);
        setTimeout(() => URL.revokeObjectURL(u), 5000);
      })],
    ];
  }
}

export const mount = mountLab(CorruptionsLab, {
  head: {
    authors: 'Dan Hendrycks & Thomas Dietterich',
    idea: 'Fifteen everyday corruptions at five severities (ImageNet-C) and frame-to-frame perturbations (ImageNet-P): how much a classifier\u2019s error grows, normalised by a baseline (mCE), and how often its prediction flips (mFR). Live: the corruptions on a photo, and the benchmark of the shipped digit models.',
  },
});
