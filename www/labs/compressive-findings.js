// What the compressive page says about its numbers ("What to notice", the note under the text's score), worded from
// the numbers so it stays true of them. DOM-free: tests/unit/compressive-findings.test.mjs checks each wording against
// made-up numbers. Bits/char are validation bits per character unless said otherwise.

/** A signed difference with 3 decimals: "−0.015", "+0.004", "0.000". */
export const signed3 = (d) => (Math.abs(d) < 0.0005 ? '0.000' : `${d < 0 ? '−' : '+'}${Math.abs(d).toFixed(3)}`);
export const fmtBpc = (x) => (Number.isFinite(x) ? x.toFixed(3) : '–');

/**
 * Does the extra reach of compression help? `conv`: `[{ c, bpc }]` of the convolution at each rate, `xl` the
 * Transformer-XL's bits/char, `spread` the largest change of one model over seeds (or NaN).
 */
export function reachSentence(conv, xl, spread) {
  const ok = conv.filter((x) => Number.isFinite(x.bpc));
  if (!ok.length || !Number.isFinite(xl)) return null;
  const best = ok.reduce((a, b) => (b.bpc < a.bpc ? b : a));
  const worst = ok.reduce((a, b) => (b.bpc > a.bpc ? b : a));
  const gain = xl - best.bpc;
  let s = `Over c = ${ok.map((x) => x.c).join(', ')} the convolution scores ${fmtBpc(best.bpc)} (c = ${best.c}) to ${fmtBpc(worst.bpc)} `
    + `(c = ${worst.c}) bits/char, against ${fmtBpc(xl)} for Transformer-XL: `;
  if (gain <= 0.0005) return `${s}the extra reach does not help this small model of one novel.`;
  s += `the extra reach helps by at most ${gain.toFixed(3)} bits/char`;
  return Number.isFinite(spread) && gain <= spread
    ? `${s}, no more than retraining with another seed moves one model (${spread.toFixed(3)}), so read it with care.`
    : `${s}.`;
}

/** The attention split of one head (fractions on compressed memory, memory, segment). */
export function headSentence({ layer, head, mcm, mm, mseg }) {
  const pct = (x) => `${(100 * x).toFixed(1)}%`;
  const where = mseg >= 0.8 ? 'it looks mostly at the current segment (the bright diagonal)'
    : mcm >= 0.2 ? 'a good part of its attention reaches back into the compressed memory'
      : 'it spreads over the memory as well as the segment';
  return `Layer ${layer}, head ${head} puts ${pct(mseg)} of its attention on the segment, ${pct(mm)} on memory and `
    + `${pct(mcm)} on compressed memory: ${where}. Switch heads and layers to compare.`;
}

/** The best compressive model against Transformer-XL, next to the paper's gap. */
export function bestSentence(best, xl, spread) {
  const gap = xl.val_bpc - best.val_bpc;
  return `Here the best compressive model (${best.label}, ${fmtBpc(best.val_bpc)}) is `
    + `${gap > 0.0005 ? `${gap.toFixed(3)} bits/char better than` : 'not better than'} Transformer-XL (${fmtBpc(xl.val_bpc)}); `
    + 'in the paper the gap on Enwik8 is 0.02 bits/char (0.99 → 0.97).'
    + (Number.isFinite(spread) ? ` Retrained with other seeds, the same model moves by up to ${spread.toFixed(3)} bits/char, so read small gaps with care.` : '');
}

/** The default text is the novel's opening, inside the training split: its score against the validation score. */
export function trainTextSentence(textBpc, valBpc) {
  if (!Number.isFinite(textBpc) || !Number.isFinite(valBpc)) return null;
  const cmp = textBpc < valBpc - 0.005 ? 'lower than' : textBpc > valBpc + 0.005 ? 'higher than' : 'about the same as';
  return `This default text opens chapter 1, inside the training split (the first 180,000 characters): the model has seen it. `
    + `It scores ${fmtBpc(textBpc)} bits/char, ${cmp} the ${fmtBpc(valBpc)} on the held-out validation text; paste other text to score unseen characters.`;
}

// ---------------------------------------------------------------- the long-range recall setting
/** log2 26: the bits of a uniform guess among the 26 capitals (what a model pays when it cannot see the key). */
export const GUESS_BITS = Math.log2(26);

/**
 * The recall characters of a text of the recall setting (each character right after a '='), with their distance D
 * from the '=' back to the last capital before it. `bits[k]` is the loss of character k + 1 (as the engine's score
 * returns). Returns `{ n, mean, recalls: [{ pos, distance, bits }] }`; `n = 0` (mean NaN) when there is none.
 */
export function recallBits(text, bits) {
  const chars = [...text];
  const recalls = [];
  let lastCap = -1;
  for (let i = 0; i < chars.length; i++) {
    const ch = chars[i];
    if (ch === '=' && i + 1 < chars.length && i >= 0 && Number.isFinite(bits[i])) {
      recalls.push({ pos: i + 1, distance: lastCap >= 0 ? i - lastCap : NaN, bits: bits[i] });
    }
    if (ch >= 'A' && ch <= 'Z' && chars[i - 1] !== '=') lastCap = i;
  }
  const mean = recalls.length ? recalls.reduce((a, r) => a + r.bits, 0) / recalls.length : NaN;
  return { n: recalls.length, mean, recalls };
}

/**
 * How far back a model recalls, from its loss-vs-distance bins `[[D_upper, bits, count], ...]` (bins of equal width):
 * the upper edge of the last bin, counted from the nearest, before the first whose loss is above halfway between the
 * model's best bin and a blind guess (GUESS_BITS). 0 when no bin is below a guess; the last edge when none fails.
 */
export function reachOf(bins) {
  const best = Math.min(...bins.map((b) => b[1]).filter(Number.isFinite));
  if (!(best < GUESS_BITS)) return 0;
  const bar = (best + GUESS_BITS) / 2;
  let reach = 0;
  for (const [d, b] of bins) {
    if (!(b <= bar)) break;
    reach = d;
  }
  return reach;
}

/**
 * The headline of the recall setting. `xl` and `best`: `{ label, mean, spread, runs }` (held-out bits on the recall
 * characters, mean and max−min over `runs` seeds). Says how many times the larger seed spread the gap is, and
 * whether that clears the 3× bar.
 */
export function recallSentence(xl, best) {
  if (!xl || !best || !Number.isFinite(xl.mean) || !Number.isFinite(best.mean)) return null;
  const gap = xl.mean - best.mean;
  const spread = Math.max(xl.spread || 0, best.spread || 0);
  const s = `On the held-out recall characters Transformer-XL pays ${fmtBpc(xl.mean)} bits (a blind guess among 26 capitals `
    + `is ${fmtBpc(GUESS_BITS)}), ${best.label} ${fmtBpc(best.mean)} (means of ${Math.min(xl.runs, best.runs)} seeds)`;
  if (gap <= 0.0005) return `${s}: no compressive model does better here.`;
  const times = spread > 0 ? gap / spread : Infinity;
  const how = times > 3 ? `far beyond seed noise (${Number.isFinite(times) ? `${times.toFixed(0)}×` : 'many times'} the largest seed spread, ${spread.toFixed(3)})`
    : `but only ${times.toFixed(1)}× the seed spread (${spread.toFixed(3)}), so not beyond noise`;
  return `${s}: ${gap.toFixed(2)} bits better, ${how}.`;
}

/**
 * Reach against the temporal range for several models: `[{ label, range, reach }]` (range = n_m + c·n_cm, reach from
 * reachOf). The window of a query adds up to one segment (T) to the range.
 */
export function distanceSentence(models, seg) {
  const ok = models.filter((m) => Number.isFinite(m.range) && Number.isFinite(m.reach));
  if (!ok.length) return null;
  const within = ok.filter((m) => m.reach >= m.range - seg && m.reach <= m.range + 2 * seg).length;
  return `Loss against distance: ${ok.map((m) => `${m.label} recalls up to D ≈ ${m.reach} (range ${m.range})`).join('; ')}. `
    + `${within === ok.length ? 'Each' : `${within} of ${ok.length}`} falls off where its temporal range n_m + c·n_cm `
    + `(plus up to one segment, ${seg}) ends, as the formula predicts${within === ok.length ? '' : '; the others do not'}.`;
}

/**
 * The f_c-loss ablation (conv, c = 4, recall setting): `rows` `[{ name, mean, spread, runs }]` (held-out recall bits,
 * mean and max−min over seeds), one per loss. Ranks them and says whether the best beats the worst by more than 3×
 * the largest seed spread; `xl` (`{ mean }` or null) adds how far each stays below Transformer-XL.
 */
export function ablationSentence(rows, xl) {
  const ok = (rows || []).filter((r) => Number.isFinite(r.mean));
  if (ok.length < 2) return null;
  const sorted = [...ok].sort((a, b) => a.mean - b.mean);
  const [best, worst] = [sorted[0], sorted.at(-1)];
  const gap = worst.mean - best.mean;
  const spread = Math.max(...ok.map((r) => r.spread || 0));
  const times = spread > 0 ? gap / spread : Infinity;
  const verdict = times > 3
    ? `${best.name} is best, ${gap.toFixed(2)} bits ahead of ${worst.name}, ${Number.isFinite(times) ? `${times.toFixed(1)}×` : 'many times'} the largest seed spread (${spread.toFixed(2)}): beyond seed noise`
    : `the gap between the best (${best.name}) and the worst (${worst.name}) is ${gap.toFixed(2)} bits, ${times.toFixed(1)}× the largest seed spread (${spread.toFixed(2)}): within seed noise, no ranking`;
  const below = xl && Number.isFinite(xl.mean) ? ` Every one ${ok.every((r) => r.mean < xl.mean) ? 'stays below' : 'is not below'} Transformer-XL's ${fmtBpc(xl.mean)}.` : '';
  return `The loss that trains f_c (conv, c = 4, means of ${Math.min(...ok.map((r) => r.runs))} seeds): ${sorted.map((r) => `${r.name} ${fmtBpc(r.mean)}`).join(', ')} bits; `
    + `${verdict}. The paper's ablation on Enwik8 found attention reconstruction best.${below}`;
}
