// The blind-spot page's numbers and sentences, DOM-free (unit-tested in tests/unit/blindspot-findings.test.mjs).
// Input: the manifest's table (www/models/blindspot/manifest.json, `table.rows`: one row per (alpha, beta) with
// per-model { clean_acc, pgd_success, cw_success, verified_err, knn }), or the same record from a live run.

/** The three models in page order, with the series colour each keeps. */
export const MODELS = [
  { id: 'cnn-natural', label: 'natural CNN', color: 'clean' },
  { id: 'cnn-madry', label: 'adversarially trained CNN', color: 'pgd' },
  { id: 'mlp-crownibp', label: 'CROWN-IBP MLP', color: 'crownibp' },
];

const near = (a, b) => Math.abs(a - b) < 1e-6;

/** The rows of the table at β = `beta`, sorted by α descending (1.0 first); [] when there are none. */
export function rowsAtBeta(table, beta) {
  if (!table || !Array.isArray(table.rows)) return [];
  return table.rows.filter((r) => near(r.beta, beta)).sort((a, b) => b.alpha - a.alpha);
}

/** The β values the table holds, ascending. */
export function betas(table) {
  if (!table || !Array.isArray(table.rows)) return [];
  return [...new Set(table.rows.map((r) => Math.round(r.beta * 1e6) / 1e6))].sort((a, b) => a - b);
}

/** The β of the table nearest to `beta` (null for an empty table). */
export function nearestBeta(table, beta) {
  const bs = betas(table);
  if (!bs.length) return null;
  return bs.reduce((best, b) => (Math.abs(b - beta) < Math.abs(best - beta) ? b : best), bs[0]);
}

/** One metric of one model along α at β: { alphas, ys } with ys in percent (or raw for 'knn'), null where missing. */
export function series(table, beta, model, metric) {
  const rows = rowsAtBeta(table, beta);
  const scale = metric === 'knn' ? 1 : 100;
  return {
    alphas: rows.map((r) => r.alpha),
    ys: rows.map((r) => {
      const v = r.models?.[model]?.[metric];
      return Number.isFinite(v) ? v * scale : null;
    }),
  };
}

/**
 * The paper's claim, checked on the numbers: going from the untransformed digits (α = 1) to the smallest α at β,
 * does the adversarially trained CNN keep its clean accuracy (drop < 5 points) while PGD success rises (by ≥ 10
 * points)? Returns null when the table lacks the rows.
 */
export function claim(table, beta, model = 'cnn-madry') {
  const rows = rowsAtBeta(table, beta);
  if (rows.length < 2) return null;
  const base = rows.find((r) => near(r.alpha, 1)) || rows[0];
  const far = rows[rows.length - 1];
  const a = base.models?.[model];
  const b = far.models?.[model];
  if (!a || !b) return null;
  const accDrop = 100 * (a.clean_acc - b.clean_acc);
  const rise = 100 * (b.pgd_success - a.pgd_success);
  return { from: { alpha: base.alpha, ...a }, to: { alpha: far.alpha, ...b }, accDrop, rise, holds: accDrop < 5 && rise >= 10 };
}

const pct = (x) => `${(100 * x).toFixed(1)}%`;

/** The "What to notice" sentences, computed from the numbers at β. */
export function noticeSentences(table, beta) {
  const out = [];
  const c = claim(table, beta);
  if (c) {
    const alphaText = `α = ${c.from.alpha.toFixed(1)} → ${c.to.alpha.toFixed(1)} (β = ${beta.toFixed(1)})`;
    if (c.holds) {
      out.push(`From ${alphaText} the adversarially trained CNN still classifies ${pct(c.to.clean_acc)} of the digits, `
        + `but PGD now fools ${pct(c.to.pgd_success)} of them instead of ${pct(c.from.pgd_success)}: the blind-spot effect.`);
    } else if (c.rise >= 10) {
      out.push(`From ${alphaText} PGD success on the adversarially trained CNN rises from ${pct(c.from.pgd_success)} to `
        + `${pct(c.to.pgd_success)}, but its clean accuracy also drops by ${c.accDrop.toFixed(1)} points.`);
    } else {
      out.push(`From ${alphaText} PGD success on the adversarially trained CNN changes only from ${pct(c.from.pgd_success)} `
        + `to ${pct(c.to.pgd_success)} here: no blind spot at this β.`);
    }
    if (Number.isFinite(c.from.knn) && Number.isFinite(c.to.knn)) {
      out.push(c.to.knn > c.from.knn
        ? `The transformed digits sit farther from the training digits in the network's embedding (mean 5-NN distance ${c.from.knn.toFixed(2)} → ${c.to.knn.toFixed(2)}), as the paper's explanation needs.`
        : `The mean 5-NN distance in the embedding does not grow here (${c.from.knn.toFixed(2)} → ${c.to.knn.toFixed(2)}).`);
    }
  }
  const v = claim(table, beta, 'mlp-crownibp');
  if (v && Number.isFinite(v.from.verified_err) && Number.isFinite(v.to.verified_err)) {
    out.push(v.to.verified_err > v.from.verified_err + 0.05
      ? `Certificates do not survive the shift: the CROWN-IBP net's verified error at ε = 0.3 grows from ${pct(v.from.verified_err)} to ${pct(v.to.verified_err)}.`
      : `The CROWN-IBP net's verified error at ε = 0.3 stays near ${pct(v.to.verified_err)}.`);
  }
  return out;
}
