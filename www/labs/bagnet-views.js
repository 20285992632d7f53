// The bagnet page's rows and words, DOM-free (tests/unit/bagnet-views.test.mjs): the accuracy and masking tables,
// the live run's conditions and table, the captions of the evidence, scrambled and masked views, the big map's
// placement of the patch evidence on the 28 × 28 grid, the fidelity rows and the CSVs. The findings ("What to
// notice") are in bagnet-findings.js; the page (bagnet.js) only puts all this into elements.

import { sig3 } from '../ui/controls.js';
import { curves, argmax } from './bagnet-findings.js';

export const QS = [5, 9, 13, 17];
export const NAMES = {
  mnist: ['0', '1', '2', '3', '4', '5', '6', '7', '8', '9'],
  fashion: ['T-shirt/top', 'Trouser', 'Pullover', 'Dress', 'Coat', 'Sandal', 'Shirt', 'Sneaker', 'Bag', 'Ankle boot'],
};
export const DS_LABEL = { mnist: 'MNIST', fashion: 'Fashion-MNIST' };
export const pc = (x) => (Number.isFinite(x) ? `${(100 * x).toFixed(1)}%` : '–');
const n1 = (x) => (Number.isFinite(x) ? (100 * x).toFixed(1) : '–');
const en = (n) => n.toLocaleString('en-US');
const plural = (n, word) => `${n} ${word}${n === 1 ? '' : 's'}`;

/** The precomputed curves of the plot: BagNet and CNN accuracy (%) at each q for both datasets, and chance. */
export function plotSeries(models, chance) {
  const cm = curves(models, 'mnist');
  const cf = curves(models, 'fashion');
  const at = (c) => QS.map((q) => {
    const r = c.bag.find((b) => b.q === q);
    return r ? 100 * r.mean : null;
  });
  const flat = (c) => QS.map(() => (c.cnn ? 100 * c.cnn.mean : null));
  return { cm, cf, ys: [at(cm), flat(cm), at(cf), flat(cf), QS.map(() => 100 * chance)] };
}

/** The accuracy table of dataset `ds` from the manifest `m`: `{ head, rows, sel, caption }` (sel: the row of the
 *  chosen model when `ds` is the chosen dataset). */
export function accTable(m, ds, v) {
  const tiles = m.scramble_tiles || [];
  const c = curves(m.models, ds);
  const list = [...c.bag, ...(c.cnn ? [c.cnn] : [])];
  const info = m.datasets.find((d) => d.id === ds);
  return {
    head: ['', 'test acc. % (± sd)', 'seed range %', ...tiles.map((t) => `scrambled ${t}×${t} %`)],
    rows: list.map((r) => [r.q == null ? 'CNN' : `BagNet-${r.q}`, `${n1(r.mean)} ± ${n1(r.sd)}`, `${n1(r.min)}–${n1(r.max)}`, ...tiles.map((t, i) => n1(r.scrambled[i]))]),
    sel: list.findIndex((r) => ds === v.dataset && r.q === v.q),
    caption: `${DS_LABEL[ds]}${info ? ` (${en(info.train)} training / ${en(info.test)} test images)` : ''}`,
  };
}

/** The line under the accuracy tables. */
export function accNote(m) {
  return `Mean ± sample sd over ${m.seeds?.length ?? 0} seeds; ${plural(m.train.epochs, 'epoch')} of Adam per model. Scrambled: the first ${en(m.scramble_images)} test images with their tiles shuffled.`;
}

/** The precomputed masking experiment of the chosen model, `{ entry, head, rows, caption }`, or null. */
export function maskTable(m, v) {
  const e = (m.masking || []).find((x) => x.dataset === v.dataset && x.q === v.q);
  if (!e) return null;
  return {
    entry: e,
    head: ['k', `BagNet-${e.q} top-k %`, 'random k %', 'CNN top-k %', 'random k %', 'r'],
    rows: e.results.map((r) => [String(r.k), n1(r.bagnet), n1(r.bagnet_random), n1(r.cnn), n1(r.cnn_random), r.correlation.toFixed(2)]),
    caption: 'Accuracy with the k patches of most true-class evidence (top-k) or k random patches masked; r: correlation of the two models\' true-class margin drops.',
  };
}

/** What the live run classifies (the run box's line). */
export function runText(v) {
  return `Classifies the 2,000 test images with BagNet-${v.q} and the CNN: clean, with ${v.tile} × ${v.tile} tiles scrambled${v.k > 0 ? `, and with the top ${v.k} patches masked` : ''}.`;
}

/** The live run's key: a result belongs to these settings. */
export const liveKey = (v) => `${v.dataset}:${v.q}:${v.tile}:${v.k}:${v.seed}`;

/** The conditions a live run measures, in order: BagNet-q and the CNN, clean, scrambled and (k > 0) masked. */
export function conditions(v) {
  const id = `q${v.q}`;
  const t = Number(v.tile);
  return [
    { key: 'clean', model: id, tile: 0, k: 0, label: `BagNet-${v.q}, clean` },
    { key: 'cnn-clean', model: 'cnn', tile: 0, k: 0, label: 'CNN, clean' },
    { key: 'scr', model: id, tile: t, k: 0, label: `BagNet-${v.q}, ${t}×${t} tiles scrambled` },
    { key: 'cnn-scr', model: 'cnn', tile: t, k: 0, label: `CNN, ${t}×${t} tiles scrambled` },
    ...(v.k > 0 ? [{ key: 'mask', model: id, tile: 0, k: v.k, label: `BagNet-${v.q}, top ${v.k} patches masked` },
      { key: 'cnn-mask', model: 'cnn', tile: 0, k: v.k, label: `CNN, top ${v.k} BagNet-${v.q} patches masked` }] : []),
  ];
}

/** The live table of a run `L` (`{ res, v }`): `{ head, rows, caption }`; the caption quotes the shipped model. */
export function liveTable(L, models) {
  const ship = models?.find((e) => e.dataset === L.v.dataset && e.q === L.v.q);
  return {
    head: ['model, images', 'accuracy', 'images', 'engine time'],
    rows: Object.values(L.res).map((r) => [r.label, pc(r.acc), `${en(r.done)} / ${en(r.total)}`, `${sig3(r.ms / 1000)} s`]),
    caption: ship ? `Shipped seed-1 model; the manifest says ${pc(ship.runs.find((r) => r.seed === 1)?.test_acc)} clean (mean over seeds ${pc(ship.test_acc.mean)}).` : undefined,
  };
}

/** The two models' verdicts on an image: "BagNet-9: 3 (p = 0.912), CNN: 3 (p = 0.998)". */
export function verdicts(q, names, pb, pcnn) {
  return `BagNet-${q}: ${names[argmax(pb)]} (p = ${sig3(pb[argmax(pb)])}), CNN: ${names[argmax(pcnn)]} (p = ${sig3(pcnn[argmax(pcnn)])})`;
}

/** The captions of the scrambled and the masked image. */
export function experimentTexts(v, names, cls, s) {
  return {
    scrambled: `Tiles of ${v.tile} × ${v.tile} px shuffled (seed ${v.seed}) — ${verdicts(v.q, names, s.sb, s.sc)}.`,
    masked: v.k > 0 ? `The ${v.k} patch${v.k === 1 ? '' : 'es'} of most evidence for ${names[cls]} set to background — ${verdicts(v.q, names, s.mb, s.mc)}.` : 'k = 0: nothing masked.',
  };
}

/**
 * The chosen class's evidence placed at the patch centres on the 28 × 28 grid: location (i, j) of the `side` ×
 * `side` map of class `cls` in `heat` (10 maps) fills the 2 × 2 pixels at its patch's centre; pixels no patch is
 * centred on stay 0. Returns `{ img (784), map (the class's side² values) }`.
 */
export function evidenceImage(heat, side, cls, q) {
  const n = side * side;
  const map = heat.subarray ? heat.subarray(cls * n, (cls + 1) * n) : heat.slice(cls * n, (cls + 1) * n);
  const img = new Float32Array(784);
  const off = (q - 1) / 2;
  for (let i = 0; i < side; i++) {
    for (let j = 0; j < side; j++) {
      for (let a = 0; a < 2; a++) for (let b = 0; b < 2; b++) img[(2 * i + off + a) * 28 + 2 * j + off + b] = map[i * side + j];
    }
  }
  return { img, map };
}

/** The fidelity card's rows from the manifest `m` ("…" before it is in). */
export function fidelityRows(m) {
  const best = (ds) => {
    const c = m ? curves(m.models, ds) : null;
    return c && c.bag.length ? `${c.bag.map((b) => `${b.q}: ${pc(b.mean)}`).join(', ')}; CNN ${pc(c.cnn?.mean)}` : '…';
  };
  return {
    best,
    rows: [
      ['model', 'ResNet-50, most 3×3 convs 1×1; q = 9, 17, 33', '16 channels, 4 blocks, no batch norm; q = 5–17', 'browser-sized'],
      ['data', 'ImageNet 224²', `MNIST, Fashion-MNIST 28² (${m ? m.datasets.map((d) => `${sig3(d.train / 1000)}k`).join(' / ') : '…'} training images)`, 'size'],
      ['training', 'torchvision ImageNet recipe', m ? `Adam ${m.train.lr}, batch ${m.train.batch}, ${plural(m.train.epochs, 'epoch')}, ${m.seeds.length} seeds` : '…', 'CPU budget'],
      ['masking', 'top patches vs VGG-16', 'top-k vs our CNN, 500 images', 'small'],
    ],
  };
}

/** CSV rows of the shipped accuracies (header first). */
export function accuracyCsv(models) {
  return [['dataset', 'model', 'q', 'params', 'mean', 'sd', 'min', 'max', 'seeds'],
    ...models.map((e) => [e.dataset, e.q == null ? 'cnn' : 'bagnet', e.q ?? '', e.params, e.test_acc.mean, e.test_acc.sd, e.test_acc.min, e.test_acc.max, e.test_acc.n])];
}

/** CSV rows of the ten evidence maps shown (`side` × `side` each, header first). */
export function evidenceCsv(heat, side) {
  const n = side * side;
  const rows = [['class', 'row', 'col', 'evidence']];
  for (let k = 0; k < 10; k++) for (let i = 0; i < n; i++) rows.push([k, Math.floor(i / side), i % side, heat[k * n + i]]);
  return rows;
}
