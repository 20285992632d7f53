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
