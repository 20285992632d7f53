// What the bagnet page says about its numbers ("What to notice", the trend line under the accuracy plot), worded
// from the numbers so it stays true of them, and the page's small pure helpers (the accuracy curves read off the
// manifest, the colour scale of the evidence maps, a drawing turned into a 28×28 input). DOM-free:
// tests/unit/bagnet-findings.test.mjs checks each against made-up numbers. Accuracies are fractions in [0, 1].

import { sig3 } from '../ui/controls.js';

/** Chance level of the 10-class datasets. */
export const CHANCE = 0.1;

const pc = (x) => `${(100 * x).toFixed(1)}%`;

/**
 * The accuracy curves of one dataset from the manifest (`models` entries of `paperlab train bagnet`): the BagNets
 * sorted by q (`{ q, mean, sd, min, max, scrambled: [mean per tile size] }`) and the CNN (same fields without q,
 * or null when it is missing).
 */
export function curves(models, dataset) {
  const row = (e) => ({ q: e.q, mean: e.test_acc.mean, sd: e.test_acc.sd, min: e.test_acc.min, max: e.test_acc.max, n: e.test_acc.n, scrambled: (e.scrambled_acc || []).map((s) => s.mean) });
  const bag = models.filter((e) => e.dataset === dataset && e.q != null).map(row).sort((a, b) => a.q - b.q);
  const cnn = models.find((e) => e.dataset === dataset && e.q == null);
  return { bag, cnn: cnn ? row(cnn) : null };
}

/**
 * Does accuracy grow with q beyond the seed spread? For consecutive BagNets (sorted by q) a step counts as a clear
 * rise when the larger q's worst seed beats the smaller q's best seed (`min > max`), as a fall when the reverse
 * holds, and as unclear otherwise. Returns `{ rises, falls, unclear, steps, monotone }` (`monotone`: every step a
 * clear rise).
 */
export function trend(bag) {
  let rises = 0;
  let falls = 0;
  let unclear = 0;
  for (let i = 1; i < bag.length; i++) {
    if (bag[i].min > bag[i - 1].max) rises++;
    else if (bag[i].max < bag[i - 1].min) falls++;
    else unclear++;
  }
  const steps = Math.max(0, bag.length - 1);
  return { rises, falls, unclear, steps, monotone: steps > 0 && rises === steps };
}

/** The sentence on accuracy vs q of one dataset (`name`: "MNIST"), from `curves(...)`. */
export function trendSentence({ bag, cnn }, name) {
  if (bag.length < 2) return '';
  const t = trend(bag);
  const lo = bag[0];
  const hi = bag[bag.length - 1];
  let s = `On ${name}, BagNet-${lo.q} reaches ${pc(lo.mean)} and BagNet-${hi.q} ${pc(hi.mean)}`;
  if (cnn) s += ` (the CNN ${pc(cnn.mean)})`;
  if (t.monotone) s += `: every larger patch is better, on every seed (the worst seed of each q beats the best of the q before).`;
  else if (t.falls === 0 && hi.min > lo.max) s += `: larger patches are better overall, though ${t.unclear} of the ${t.steps} steps in q ${t.unclear === 1 ? 'lies' : 'lie'} within the seed spread.`;
  else if (t.falls > 0) s += `: accuracy does not grow steadily with q here (${t.falls} step${t.falls === 1 ? '' : 's'} down beyond the seed spread).`;
  else s += `: the differences lie within the seed spread.`;
  if (lo.min > 3 * CHANCE) s += ` Even ${lo.q} × ${lo.q}-pixel patches, each seeing a small piece of the image, are far above chance (10%).`;
  return s;
}

/**
 * The scrambling sentence for one model pair at the tile size shown (`bagAcc`, `cnnAcc`: scrambled accuracies;
 * `bagClean`, `cnnClean`: clean ones; `tile` in px).
 */
export function scrambleSentence({ q, tile, bagClean, bagAcc, cnnClean, cnnAcc }) {
  const keep = (a, c) => (c > 0 ? a / c : 0);
  const kb = keep(bagAcc, bagClean);
  const kc = keep(cnnAcc, cnnClean);
  const base = `With the image cut into ${tile} × ${tile} tiles and shuffled, BagNet-${q} keeps ${pc(bagAcc)} (of ${pc(bagClean)}) and the CNN ${pc(cnnAcc)} (of ${pc(cnnClean)})`;
  if (Math.max(bagAcc, cnnAcc) < 2 * CHANCE) return `${base}: both fall to near chance (10%) — at this tile size most ${q} × ${q} patches straddle a tile edge, so the BagNet's evidence is scrambled too.`;
  if (kb > kc + 0.05) return `${base}: the bag of local features keeps more of its accuracy, as the paper's argument predicts — only patches that straddle a tile edge change.`;
  if (kc > kb + 0.05) return `${base}: here the CNN keeps more of its accuracy than the BagNet; at this patch size most patches straddle a tile edge.`;
  return `${base}: both keep about the same share.`;
}

/**
 * The masking sentence from one entry of the manifest's masking experiment (`{ k, bagnet, cnn, bagnet_random,
 * cnn_random, correlation }`) and q.
 */
export function maskSentence(r, q) {
  if (!r) return '';
  const hurt = r.cnn < r.cnn_random - 0.02;
  let s = `Masking the ${r.k} patch${r.k === 1 ? '' : 'es'} with the most evidence for the true class under BagNet-${q} leaves the CNN ${pc(r.cnn)} (${pc(r.cnn_random)} with as many random patches masked)`;
  s += hurt ? ': the BagNet\'s evidence points at what the CNN uses too.' : ': here the BagNet\'s choice hurts the CNN no more than chance patches do.';
  if (Number.isFinite(r.correlation)) s += ` The drops of the two models' true-class margins correlate with r = ${r.correlation.toFixed(2)}.`;
  return s;
}

/** The prediction sentence for the image shown: BagNet and CNN top classes (`{ cls, p }`), the label if known. */
export function predictionSentence({ q, bag, cnn, label, names }) {
  const n = (c) => (names ? `${names[c]}` : String(c));
  const who = label == null ? '' : bag.cls === label ? ' (right)' : ' (wrong)';
  const whoC = label == null ? '' : cnn.cls === label ? ' (right)' : ' (wrong)';
  let s = `BagNet-${q} says ${n(bag.cls)}${who} with p = ${sig3(bag.p)}; the CNN says ${n(cnn.cls)}${whoC} with p = ${sig3(cnn.p)}.`;
  if (bag.cls !== cnn.cls) s += ' They disagree on this image.';
  return s;
}

/** Index of the largest value. */
export function argmax(xs) {
  let b = 0;
  for (let i = 1; i < xs.length; i++) if (xs[i] > xs[b]) b = i;
  return b;
}

/** The half-range of a diverging colour scale centred on zero: the largest |value| (1e-6 when all are 0). */
export function maxAbs(values) {
  let m = 0;
  for (const v of values) if (Number.isFinite(v) && Math.abs(v) > m) m = Math.abs(v);
  return m > 0 ? m : 1e-6;
}

/**
 * A drawing as a 28×28 input: `alpha` holds the ink (0–255) of a `side × side` canvas (side a multiple of 28),
 * averaged over blocks to 28×28 values in [0, 1], then shifted by whole pixels so that the ink's centre of mass
 * is at the centre, as MNIST's digits are. Returns `{ image: Float32Array(784), ink }` (`ink`: total ink, 0 for an
 * empty drawing). Throws when `side` is not a multiple of 28 or `alpha` has the wrong length.
 */
export function drawingToInput(alpha, side) {
  if (side % 28 !== 0 || alpha.length !== side * side) throw new Error(`a drawing needs ${side}×${side} values and a side that is a multiple of 28`);
  const f = side / 28;
  const small = new Float32Array(784);
  for (let y = 0; y < side; y++) {
    for (let x = 0; x < side; x++) small[((y / f) | 0) * 28 + ((x / f) | 0)] += alpha[y * side + x] / (255 * f * f);
  }
  let ink = 0;
  let cy = 0;
  let cx = 0;
  for (let i = 0; i < 784; i++) {
    ink += small[i];
    cy += small[i] * ((i / 28) | 0);
    cx += small[i] * (i % 28);
  }
  if (ink <= 0) return { image: small, ink: 0 };
  const dy = Math.round(13.5 - cy / ink);
  const dx = Math.round(13.5 - cx / ink);
  const image = new Float32Array(784);
  for (let y = 0; y < 28; y++) {
    for (let x = 0; x < 28; x++) {
      const sy = y - dy;
      const sx = x - dx;
      if (sy >= 0 && sy < 28 && sx >= 0 && sx < 28) image[y * 28 + x] = Math.min(1, small[sy * 28 + sx]);
    }
  }
  return { image, ink };
}

/** The q × q crop of a 28×28 image at top-left (y, x): q·q values (for the gallery of top patches). */
export function crop(image, y, x, q) {
  const out = new Float32Array(q * q);
  for (let r = 0; r < q; r++) for (let c = 0; c < q; c++) out[r * q + c] = image[(y + r) * 28 + x + c] ?? 0;
  return out;
}

/**
 * An uploaded picture (RGBA bytes of a `w × h` canvas, already shrunk to 28 × 28) as an input: grey level in [0, 1]
 * (Rec. 709 luma, alpha over black), inverted when the picture's border is mostly light (dark ink on light paper;
 * the datasets are light on dark). Returns `{ image: Float32Array(784), inverted }`. Throws on other sizes.
 */
export function pictureToInput(rgba, w, h) {
  if (w !== 28 || h !== 28 || rgba.length !== 4 * 784) throw new Error(`a picture needs 28 × 28 RGBA pixels, got ${w} × ${h}`);
  const g = new Float32Array(784);
  for (let i = 0; i < 784; i++) g[i] = ((0.2126 * rgba[4 * i] + 0.7152 * rgba[4 * i + 1] + 0.0722 * rgba[4 * i + 2]) / 255) * (rgba[4 * i + 3] / 255);
  let border = 0;
  let nb = 0;
  for (let y = 0; y < 28; y++) {
    for (let x = 0; x < 28; x++) {
      if (y === 0 || y === 27 || x === 0 || x === 27) {
        border += g[y * 28 + x];
        nb++;
      }
    }
  }
  const inverted = border / nb > 0.5;
  if (inverted) for (let i = 0; i < 784; i++) g[i] = 1 - g[i];
  return { image: g, inverted };
}

/**
 * A colour-scale half-range that one extreme patch does not dominate: the `p`-quantile (default 0.98) of |value|
 * over the finite values (nearest rank), or `maxAbs` when that is 0.
 */
export function robustMaxAbs(values, p = 0.98) {
  const a = Array.from(values, Math.abs).filter(Number.isFinite).sort((x, y) => x - y);
  if (!a.length) return 1e-6;
  const v = a[Math.min(a.length - 1, Math.max(0, Math.ceil(p * a.length) - 1))];
  return v > 0 ? v : maxAbs(values);
}
