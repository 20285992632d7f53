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
 * The paper's claim, checked on the numbers: going from the untransformed digits (α = 1, β = 0; else α = 1 at β)
 * to the smallest α at β, does the adversarially trained CNN keep its clean accuracy (drop < 5 points) while PGD
 * success rises (by ≥ 10 points)? Returns null when the table lacks the rows.
 */
export function claim(table, beta, model = 'cnn-madry') {
  const rows = rowsAtBeta(table, beta);
  if (rows.length < 2) return null;
  const base = rowsAtBeta(table, 0).find((r) => near(r.alpha, 1)) || rows.find((r) => near(r.alpha, 1)) || rows[0];
  const far = rows[rows.length - 1];
  const a = base.models?.[model];
  const b = far.models?.[model];
  if (!a || !b) return null;
  const accDrop = 100 * (a.clean_acc - b.clean_acc);
  const rise = 100 * (b.pgd_success - a.pgd_success);
  return { from: { alpha: base.alpha, beta: base.beta, ...a }, to: { alpha: far.alpha, beta: far.beta, ...b }, accDrop, rise, holds: accDrop < 5 && rise >= 10 };
}

const pct = (x) => `${(100 * x).toFixed(1)}%`;

/** The "What to notice" sentences, computed from the numbers at β. */
export function noticeSentences(table, beta) {
  const out = [];
  const c = claim(table, beta);
  if (c) {
    const alphaText = `(α, β) = (${c.from.alpha.toFixed(1)}, ${c.from.beta.toFixed(2)}) → (${c.to.alpha.toFixed(2)}, ${c.to.beta.toFixed(2)})`;
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

/** The table's row nearest to (α, β) (by |Δα| + |Δβ|), or null for an empty table. */
export function cellAt(table, alpha, beta) {
  if (!table || !Array.isArray(table.rows) || !table.rows.length) return null;
  const d = (r) => Math.abs(r.alpha - alpha) + Math.abs(r.beta - beta);
  return table.rows.reduce((best, r) => (d(r) < d(best) ? r : best), table.rows[0]);
}

const r2 = (x) => Math.round(x * 100) / 100;

/** The α values a live run computes: the table's (or 1.0 … 0.6 in steps of 0.1 without a table), rounded to
 *  0.01, plus `alpha` itself when it is not among them; descending. */
export function alphaGrid(table, alpha) {
  const base = table && Array.isArray(table.rows) && table.rows.length ? table.rows.map((r) => r.alpha) : [1, 0.9, 0.8, 0.7, 0.6];
  const set = new Set(base.map(r2));
  if (Number.isFinite(alpha)) set.add(r2(alpha));
  return [...set].sort((a, b) => b - a);
}

/**
 * A table row from a live run's counts: `accs` are the engine's per-model counts in MODELS order
 * ({ n, correct, pgd_fooled, cw_fooled, verified_err }), `knn` the mean 5-NN distances in the same order.
 * Success rates are among the correctly classified digits (null when none is); verified error only for the MLP.
 */
export function liveRecord(alpha, beta, accs, knn) {
  const models = {};
  MODELS.forEach((m, i) => {
    const a = accs[i];
    if (!a || !(a.n > 0)) return;
    models[m.id] = {
      clean_acc: a.correct / a.n,
      pgd_success: a.correct > 0 ? a.pgd_fooled / a.correct : null,
      cw_success: a.correct > 0 ? a.cw_fooled / a.correct : null,
      verified_err: m.id === 'mlp-crownibp' ? a.verified_err / a.n : null,
      knn: Number.isFinite(knn?.[i]) ? knn[i] : null,
    };
  });
  return { alpha: r2(alpha), beta: r2(beta), n: accs[0]?.n ?? 0, models };
}
