// The corruptions lab (Hendrycks & Dietterich, ICLR 2019): the 15 ImageNet-C corruptions x 5 severities on a photo,
// a large before/after view, a perturbation sequence on a digit with its flips, and the robustness benchmark of the
// shipped digit models (CE, mCE, relative mCE, mFR normalised by our natural MLP).
//
// No math here: every pixel comes from the engine's CorruptionsLab (src/wasm/corruptions.rs ->
// src/labs/corruptions/), painted with putImageData.
//
// Test hooks: body[data-ready="1"] once the grid's first column is painted; [data-testid=grid] holds 75 canvases
// (data-done="1" when painted); [data-testid=photo-error] shows an upload's error; #lab[data-run-status] for the
// benchmark; [data-testid=bench-table] its table; [data-testid=flips] the flip markers.

import { h, progress } from '../ui/controls.js';
import { LabPage, mountLab, panel, downloadText, csvText } from '../ui/labpage.js';
import { LiveRun } from '../ui/liverun.js';

const FROST = ['frost1.png', 'frost2.png', 'frost3.png', 'frost4.jpg', 'frost5.jpg'].map((f) => new URL(`../data/frost/${f}`, import.meta.url).href);
const DATA_URL = new URL('../data/mnist-10k.safetensors.gz', import.meta.url).href;
const MODELS = [
  new URL('../models/verify/mlp-natural.safetensors', import.meta.url).href,
  new URL('../models/verify/mlp-crownibp.safetensors', import.meta.url).href,
  new URL('../models/lottery/vision-ticket.safetensors', import.meta.url).href,
];
const PHOTOS = ['chelsea', 'coffee', 'astronaut'];
const photoUrl = (p) => new URL(`../data/photos/${p}.png`, import.meta.url).href;
const COMMON = ['gaussian_noise', 'shot_noise', 'impulse_noise', 'defocus_blur', 'glass_blur', 'motion_blur', 'zoom_blur',
  'snow', 'frost', 'fog', 'brightness', 'contrast', 'elastic_transform', 'pixelate', 'jpeg_compression'];
const TITLES = ['Gaussian noise', 'Shot noise', 'Impulse noise', 'Defocus blur', 'Glass blur', 'Motion blur', 'Zoom blur',
  'Snow', 'Frost', 'Fog', 'Brightness', 'Contrast', 'Elastic', 'Pixelate', 'JPEG'];
const PERTURBATIONS = ['gaussian_noise', 'shot_noise', 'motion_blur', 'zoom_blur', 'snow', 'brightness', 'translate', 'rotate', 'tilt', 'scale'];
const SIDE = 224;
const MAX_UPLOAD = 30 << 20;

function paint(canvas, rgba, w, h) {
  canvas.width = w;
  canvas.height = h;
  canvas.getContext('2d').putImageData(new ImageData(new Uint8ClampedArray(rgba.buffer, rgba.byteOffset, w * h * 4), w, h), 0, 0);
}

function grayToRgba(bytes, w, h) {
  const out = new Uint8Array(w * h * 4);
  for (let i = 0; i < w * h; i++) {
    out[4 * i] = out[4 * i + 1] = out[4 * i + 2] = bytes[i];
    out[4 * i + 3] = 255;
  }
  return out;
}

const pct = (v) => (v == null || !Number.isFinite(v) ? '–' : `${(100 * v).toFixed(1)}%`);

class CorruptionsLab extends LabPage {
  get css() {
    return new URL('./corruptions.css', import.meta.url).href;
  }

  spec() {
    return [
      { name: 'severity', type: 'int', min: 1, max: 5, default: 3, label: 'Severity', hint: '1 (mild) to 5 (strong); arrow keys step' },
      { name: 'photo', type: 'enum', values: PHOTOS, default: 'chelsea', label: 'Photo', what: 'shipped photo' },
      { name: 'corruption', type: 'enum', values: COMMON, default: 'snow', label: 'Large view', what: 'corruption' },
      { name: 'perturbation', type: 'enum', values: PERTURBATIONS, default: 'rotate', label: 'Perturbation', what: 'perturbation' },
      { name: 'digit', type: 'int', min: 0, max: 1999, default: 0, label: 'Digit (test set index)' },
      { name: 'digits', type: 'int', min: 20, max: 2000, default: 300, label: 'Benchmark digits' },
      { name: 'seed', type: 'int', min: 0, max: 999999, default: 1, label: 'Seed', random: true },
      { name: 'embed', type: 'bool', default: false, share: false, hidden: true },
    ];
  }

  build() {
    this.upload = h('input', { type: 'file', accept: 'image/png,image/jpeg', 'data-testid': 'upload' });
    this.photoError = h('div', { class: 'error', hidden: true, 'data-testid': 'photo-error' });
    this.upload.addEventListener('change', () => this.onUpload());
    this.grid = h('div', { class: 'corr-grid', 'data-testid': 'grid' });
    this.cells = [];
    for (let c = 0; c < 15; c++) {
      this.grid.append(h('div', { class: 'corr-label' }, TITLES[c]));
      for (let s = 1; s <= 5; s++) {
        const cv = h('canvas', { class: 'corr-cell', title: `${TITLES[c]}, severity ${s}`, 'data-c': COMMON[c], 'data-s': String(s) });
        cv.addEventListener('click', () => this.set({ corruption: COMMON[c], severity: s }));
        this.cells.push(cv);
        this.grid.append(cv);
      }
    }
    this.before = h('canvas', { class: 'corr-big', 'aria-label': 'the photo' });
    this.after = h('canvas', { class: 'corr-big', 'aria-label': 'the corrupted photo', 'data-testid': 'after' });
    this.bigCaption = h('p', { class: 'readout', 'data-testid': 'big-caption' });
    this.player = h('canvas', { class: 'corr-digit', 'aria-label': 'the perturbed digit' });
    this.frame = h('input', { type: 'range', min: 0, max: 0, value: 0, 'aria-label': 'frame', 'data-testid': 'frame' });
    this.frame.addEventListener('input', () => this.showFrame());
    this.flips = h('div', { class: 'corr-flips', 'data-testid': 'flips' });
    this.seqText = h('p', { class: 'readout', 'data-testid': 'sequence' });
    this.benchBtn = h('button', { type: 'button', class: 'run', 'data-testid': 'run' });
    this.benchError = h('div', { class: 'error', hidden: true, 'data-testid': 'run-error' });
    this.bar = progress({ unit: 'cells' });
    this.benchTable = h('div', { 'data-testid': 'bench-table' });
    this.benchChart = h('div', { class: 'corr-bars', 'data-testid': 'bench-chart' });
    this.run = this.liveRun(new LiveRun({
      root: this.root, progress: this.bar, button: this.benchBtn, error: this.benchError,
      labels: { run: 'run the benchmark', cancel: 'cancel' }, startN: 1,
    }));
    this.benchBtn.addEventListener('click', () => this.run.toggle(() => this.job()));
    return {
      left: [h('div', { class: 'control' }, h('label', {}, 'Your own photo (PNG or JPEG)'), this.upload, this.photoError),
        h('div', { class: 'control run-box' }, h('label', {}, 'Digit benchmark (15 × 5 cells + 10 perturbations)'), this.benchBtn, this.bar.el, this.benchError)],
      main: [
        panel('Before / after (click a grid cell)', h('div', { class: 'corr-pair' }, this.before, this.after), this.bigCaption),
        panel('The 15 corruptions × 5 severities', this.grid),
        panel('A perturbation sequence on a digit, and where the models\u2019 predictions flip', h('div', { class: 'corr-player' }, this.player, h('div', {}, this.frame, this.flips, this.seqText))),
        panel('Robustness of the shipped digit models (normalised by the natural MLP)', this.benchChart, this.benchTable),
      ],
    };
  }

  async openEngine(engine) {
    this.lab = engine.lab('corruptions', 'CorruptionsLab', [...FROST, DATA_URL, ...MODELS], []);
    await this.lab.open();
    this.models = JSON.parse((await this.lab.call('model_names', [])).value);
    this.engineUp = true;
  }

  async firstLive() {
    await this.loadShippedPhoto(this.values.photo);
    await this.drawSequence();
  }

  changed(prev) {
    if (!this.engineUp) return;
    const v = this.values;
    if (prev && prev.photo !== v.photo) { this.loadShippedPhoto(v.photo); return; }
    if (prev && prev.seed !== v.seed) { this.drawGrid(); }
    if (!prev || prev.severity !== v.severity || prev.corruption !== v.corruption || prev.seed !== v.seed) this.drawBig();
    this.markColumn();
    if (!prev || prev.perturbation !== v.perturbation || prev.digit !== v.digit || prev.seed !== v.seed) this.drawSequence();
    if (prev && prev.digits !== v.digits) this.run.cancel('the number of digits changed');
  }

  async loadShippedPhoto(name) {
    try {
      const res = await fetch(photoUrl(name));
      if (!res.ok) throw new Error(`${photoUrl(name)}: HTTP ${res.status}`);
      await this.usePhoto(new Uint8Array(await res.arrayBuffer()), `${name}.png (scikit-image sample data)`);
    } catch (e) {
      this.fail('The photo could not be loaded', e, this.photoError);
    }
  }

  async onUpload() {
    const f = this.upload.files && this.upload.files[0];
    if (!f) return;
    if (f.size > MAX_UPLOAD) {
      this.showPhotoError(`${f.name} is ${(f.size / 2 ** 20).toFixed(1)} MB; choose a picture under 30 MB`);
      return;
    }
    try {
      await this.usePhoto(new Uint8Array(await f.arrayBuffer()), f.name);
    } catch (e) {
      this.showPhotoError(`${f.name}: ${e.message || e}`);
    }
  }

  showPhotoError(msg) {
    this.photoError.textContent = `${msg}. The previous photo is kept.`;
    this.photoError.hidden = false;
  }

  async usePhoto(bytes, label) {
    const { value } = await this.lab.call('load_photo', [bytes, SIDE]);
    this.photoError.hidden = true;
    [this.w, this.h] = Array.from(value);
    this.photoLabel = label;
    paint(this.before, (await this.lab.call('photo_rgba', [])).value, this.w, this.h);
    await this.drawBig();
    await this.drawGrid();
  }

  async drawBig() {
    if (!this.w) return;
    const v = this.values;
    try {
      const { value, ms } = await this.lab.call('corrupt', [v.corruption, v.severity, v.seed]);
      paint(this.after, value, this.w, this.h);
      this.bigCaption.textContent = `${TITLES[COMMON.indexOf(v.corruption)]}, severity ${v.severity}, on ${this.photoLabel} `
        + `(${this.w}×${this.h}; ${this.w <= 64 && this.h <= 64 ? 'CIFAR-10-C' : 'ImageNet-C'} tables) — ${ms.toFixed(0)} ms`;
    } catch (e) {
      this.fail('The corruption failed', e, this.bigCaption);
    }
  }

  async drawGrid() {
    const token = (this.gridToken = (this.gridToken || 0) + 1);
    const t0 = performance.now();
    for (const cv of this.cells) cv.dataset.done = '0';
    // Paint the chosen severity's column first, so something useful shows at once.
    const order = [...this.cells].sort((a, b) => (Number(b.dataset.s) === this.values.severity) - (Number(a.dataset.s) === this.values.severity));
    for (const cv of order) {
      if (token !== this.gridToken) return;
      try {
        const { value } = await this.lab.call('corrupt', [cv.dataset.c, Number(cv.dataset.s), this.values.seed]);
        if (token !== this.gridToken) return;
        paint(cv, value, this.w, this.h);
        cv.dataset.done = '1';
      } catch (e) {
        this.fail('A grid cell failed', e);
        return;
      }
    }
    this.gridMs = performance.now() - t0;
    this.refreshNotice();
  }

  markColumn() {
    for (const cv of this.cells) {
      cv.classList.toggle('on', Number(cv.dataset.s) === this.values.severity);
      cv.classList.toggle('sel', Number(cv.dataset.s) === this.values.severity && cv.dataset.c === this.values.corruption);
    }
  }

  async drawSequence() {
    const v = this.values;
    try {
      const [{ value: frames }, { value: json }] = [await this.lab.call('digit_frames', [v.digit, v.perturbation, v.seed]),
        await this.lab.call('digit_sequence', [v.digit, v.perturbation, v.seed])];
      this.seq = { frames, ...JSON.parse(json) };
      this.frame.max = String(this.seq.frames - 1);
      this.frame.value = '0';
      this.flips.replaceChildren(...this.models.map((name, k) => h('div', { class: 'corr-flip-row' },
        h('span', {}, name),
        h('span', { class: 'corr-ticks' }, ...this.seq.preds[k].map((p, j) => h('i', {
          class: this.seq.flips[k].includes(j) ? 'flip' : '', title: `frame ${j}: predicts ${p}`,
        }, String(p)))))));
      this.showFrame();
    } catch (e) {
      this.fail('The perturbation sequence failed', e, this.seqText);
    }
  }

  showFrame() {
    if (!this.seq) return;
    const j = Number(this.frame.value);
    paint(this.player, grayToRgba(this.seq.frames.subarray(j * 784, (j + 1) * 784), 28, 28), 28, 28);
    const rule = this.seq.noise ? 'each frame is compared with the first (noise)' : 'each frame is compared with the previous one';
    this.seqText.textContent = `frame ${j} of ${this.seq.frames - 1}; ${rule}; flips: `
      + this.models.map((n, k) => `${n} ${this.seq.flips[k].length}`).join(', ');
  }

  job() {
    const v = this.values;
    return {
      begin: async () => {
        this.benchTotal = (await this.lab.call('bench_start', [v.digits, Math.min(v.digits, 200), v.seed, 0])).value;
        return this.benchTotal;
      },
      // One cell (one corruption x severity, or one perturbation) per engine call, whatever n is.
      step: async () => {
        const { value, ms } = await this.lab.call('bench_step', []);
        const cell = JSON.parse(value);
        const done = cell ? cell.index + 1 : this.benchTotal;
        return { cell, done, finished: done >= this.benchTotal, ms };
      },
      onStep: async () => {
        this.report = JSON.parse((await this.lab.call('bench_report', [])).value);
        this.drawReport();
        this.refreshNotice();
      },
      finish: () => `${v.digits} digits`,
    };
  }

  drawReport() {
    const r = this.report;
    if (!r) return;
    const rows = r.map((m) => h('tr', {}, h('td', {}, m.name), h('td', {}, pct(m.clean)), h('td', {}, pct(m.mce)), h('td', {}, pct(m.rel_mce)), h('td', {}, pct(m.mfr))));
    this.benchTable.replaceChildren(h('table', {}, h('thead', {}, h('tr', {}, ...['model', 'clean error', 'mCE', 'relative mCE', 'mFR'].map((t) => h('th', {}, t)))), h('tbody', {}, ...rows)));
    const max = Math.max(1, ...r.flatMap((m) => m.ce.filter((x) => x != null)));
    this.benchChart.replaceChildren(...COMMON.map((c, ci) => h('div', { class: 'corr-bar-row' }, h('span', {}, TITLES[ci]),
      h('span', { class: 'corr-bar-set' }, ...r.map((m, k) => h('i', { class: `s${k}`, style: `width:${(100 * (m.ce[ci] ?? 0) / max).toFixed(1)}%`, title: `${m.name}: CE ${pct(m.ce[ci])}` }))))));
  }

  notice() {
    const out = [];
    if (this.gridMs) out.push(`The whole 15 × 5 grid took ${(this.gridMs / 1000).toFixed(2)} s here, one cell per engine call.`);
    const r = this.report;
    if (r && r[1] && r[1].mce != null) {
      const better = COMMON.filter((_, ci) => r[1].ce[ci] < 1).map((_, ci) => ci);
      out.push(`${r[1].name}: mCE ${pct(r[1].mce)} of the baseline's; lower CE on ${better.length} of 15 corruptions.`);
    }
    if (r && r[2] && r[2].mce != null) out.push(`${r[2].name}: mCE ${pct(r[2].mce)}, relative mCE ${pct(r[2].rel_mce)}.`);
    return out;
  }

  fidelity() {
    return [
      ['data', 'ImageNet validation images', '2,000 MNIST test digits; photos for the grid', 'no ImageNet in the browser'],
      ['baseline', 'AlexNet (mCE 100%)', 'our natural MLP (mCE 100%)', 'the paper normalises by AlexNet'],
      ['ResNet-50', 'not quoted here', '–', 'its mCE/mFR could not be checked against the paper text'],
      ['corruptions', 'ImageNet-C / CIFAR-10-C code', 'the same tables; matched to imagecorruptions 1.1.2', 'JPEG encoder differs (see docs)'],
    ];
  }

  exports() {
    return [['CSV of the benchmark', () => downloadText(`paperlab-corruptions-seed${this.values.seed}.csv`,
      csvText([['model', 'corruption', 'severity', 'error'], ...(this.report || []).flatMap((m) => COMMON.flatMap((c, ci) => m.errors[ci].map((e, s) => [m.name, c, s + 1, e])))]))]];
  }
}

export const mount = mountLab(CorruptionsLab);
