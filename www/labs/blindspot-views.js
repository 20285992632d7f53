// The blind-spot page's rows and words, DOM-free (tests/unit/blindspot-views.test.mjs): the pad's shaded cells and
// line, the notes under the plots, the live readout, the table, the captions of the digits, the embedding and the
// example, the fidelity rows and the CSV. The page (blindspot.js) only puts them into elements; the findings
// ("What to notice") are in blindspot-findings.js.

import { sig3, pct } from '../ui/controls.js';
import { MODELS, rowsAtBeta, series, claim, cellAt } from './blindspot-findings.js';

export const f2 = (x) => Number(x).toFixed(2);
const plural = (n, word) => `${n} ${word}${n === 1 ? '' : 's'}`;
const en = (n) => n.toLocaleString('en-US');

/** The label of model `id` ("adversarially trained CNN"). */
export const modelLabel = (id) => MODELS.find((m) => m.id === id)?.label || id;
/** The index of model `id` in MODELS (the engine's model number). */
export const modelIndex = (id) => MODELS.findIndex((m) => m.id === id);

/**
 * The pad's shaded cells: one per shipped (α, β) row, filling the pad up to the midpoints with its neighbours (to
 * the pad's edges at the ends), `t` the adversarially trained CNN's PGD success there. `[lo, hi]` of α and β.
 */
export function padCells(table, [aLo, aHi], [bLo, bHi]) {
  const rows = table?.rows || [];
  const alphas = [...new Set(rows.map((r) => r.alpha))].sort((a, b) => a - b);
  const betas = [...new Set(rows.map((r) => r.beta))].sort((a, b) => a - b);
  const edges = (list, i, lo, hi) => [i > 0 ? (list[i - 1] + list[i]) / 2 : lo, i + 1 < list.length ? (list[i] + list[i + 1]) / 2 : hi];
  const out = [];
  for (const r of rows) {
    const s = r.models?.['cnn-madry']?.pgd_success;
    if (!Number.isFinite(s)) continue;
    const [x0, x1] = edges(alphas, alphas.indexOf(r.alpha), aLo, aHi);
    const [y0, y1] = edges(betas, betas.indexOf(r.beta), bLo, bHi);
    out.push({ x0, x1, y0, y1, t: s });
  }
  return out;
}

/** The line under the pad: the point and the nearest shipped cell's PGD success. */
export function padText(table, alpha, beta) {
  const cell = cellAt(table, alpha, beta);
  const s = cell?.models?.['cnn-madry'];
  return `α = ${f2(alpha)}, β = ${f2(beta)}`
    + (s ? ` · nearest shipped cell (α = ${f2(cell.alpha)}, β = ${f2(cell.beta)}): PGD fools ${pct(s.pgd_success)} of the adversarially trained CNN's correct digits` : '');
}

/** What a live run computes (the run box's line). */
export function runText(v, nAlphas) {
  return `${nAlphas} values of α at β = ${f2(v.beta)} × ${en(v.digits)} digits: PGD and C&W `
    + `(${plural(v.steps, 'step')}, ${plural(v.restarts, 'restart')}) on all three networks, the CROWN-IBP bound and the 5-NN distance.`;
}

/** The main plot's series at the shown β `b`: `{ xs, ys }` (success per model, accuracy per model, the MLP's
 *  verified error) and the 5-NN plot's (each model's distance relative to its own at α = 1, β = 0). */
export function plotSeries(t, b, attack) {
  const metric = attack === 'cw' ? 'cw_success' : 'pgd_success';
  const xs = series(t, b, 'cnn-madry', metric).alphas;
  const ys = [
    ...MODELS.map((m) => series(t, b, m.id, metric).ys),
    ...MODELS.map((m) => series(t, b, m.id, 'clean_acc').ys),
    series(t, b, 'mlp-crownibp', 'verified_err').ys,
  ];
  const base = rowsAtBeta(t, 0).find((r) => Math.abs(r.alpha - 1) < 1e-6) || rowsAtBeta(t, b)[0];
  const rel = (id) => series(t, b, id, 'knn').ys.map((y) => (y == null || !base?.models?.[id]?.knn ? null : y / base.models[id].knn));
  return { xs, ys, knn: MODELS.map((m) => rel(m.id)) };
}

/** The note under the main plot: which shipped rows the lines show (`b` the shown β, `beta` the chosen one). */
export function plotNote(t, b, beta) {
  return `Lines: the shipped table at β = ${f2(b)}${Math.abs(b - beta) > 1e-6 ? ` (nearest to β = ${f2(beta)})` : ''}, `
    + `first ${en(t.digits)} test digits, ${t.pgd.steps}-step attacks, ${plural(t.pgd.restarts, 'restart')}, seed ${t.pgd.seed}. `
    + 'Attack success counts only the digits each network still classifies correctly at x′. Dots: the live run.';
}

/** The live readout at the chosen α: `here` the live record there (`liveRecord`). */
export function liveText(here, v) {
  const metric = v.attack === 'cw' ? 'cw_success' : 'pgd_success';
  const nat = here.models['cnn-natural'];
  const a = here.models['cnn-madry'];
  const mlp = here.models['mlp-crownibp'];
  return `Live at α = ${f2(v.alpha)}, β = ${f2(v.beta)} (${here.n} digits): accuracy on x′ ${pct(nat.clean_acc)} / ${pct(a.clean_acc)} / ${pct(mlp.clean_acc)}, `
    + `${v.attack === 'cw' ? 'C&W' : 'PGD'} success ${pct(nat[metric])} / ${pct(a[metric])} / ${pct(mlp[metric])} (natural / adversarially trained / CROWN-IBP); `
    + `CROWN-IBP verified error ${pct(mlp.verified_err)}.`;
}

/** The shipped table of model `id` at the shown β `b`: `{ head, rows, sel (row indices near α), caption, made }`. */
export function tableView(t, b, id, alpha) {
  const rows = rowsAtBeta(t, b);
  const isMlp = id === 'mlp-crownibp';
  const fmt = (x) => (Number.isFinite(x) ? pct(x) : '–');
  const num = (x) => (Number.isFinite(x) ? sig3(x) : '–');
  return {
    head: ['α', 'accuracy on x′', 'PGD success', 'C&W success', ...(isMlp ? ['verified error'] : []), '5-NN distance', 'KL (2-D KDE)'],
    rows: rows.map((r) => {
      const c = r.models?.[id] || {};
      return [f2(r.alpha), fmt(c.clean_acc), fmt(c.pgd_success), fmt(c.cw_success), ...(isMlp ? [fmt(c.verified_err)] : []), num(c.knn), num(c.kl)];
    }),
    sel: rows.map((r, i) => (Math.abs(r.alpha - alpha) < 0.025 ? i : -1)).filter((i) => i >= 0),
    caption: `${modelLabel(id)} at β = ${f2(b)} (change “Model” for the others): first ${en(t.digits)} test digits, ε = ${sig3(t.eps)}, ${t.pgd.steps} steps.`,
    made: `Made by: ${t.command} (${Math.round(t.seconds)} s, ${plural(t.threads, 'thread')}).`,
  };
}

/** The caption of the strip of transformed digits `first` … `first + n − 1`. */
export function stripText(first, labels, alpha, beta) {
  return `Test digits ${first}–${first + labels.length - 1} (labels ${labels.join(', ')}) at α = ${f2(alpha)}, β = ${f2(beta)}: `
    + 'still easy to read, though the ink is lighter and the background grey.';
}

/** The caption of the embedding: its KL and the mean 5-NN distances (`base` the untransformed digits'). */
export function embText({ model, alpha, beta, kl, knn, base, nTest, nKnn }) {
  return `${modelLabel(model)} at α = ${f2(alpha)}, β = ${f2(beta)}: KL(test ‖ train) of Gaussian kernel densities in this plane ${sig3(kl)} nats `
    + `(2,000 training vs ${nTest} test digits); mean 5-NN distance in the full ${model === 'mlp-crownibp' ? 256 : 100}-d embedding ${sig3(knn)} `
    + `(${sig3(base)} for the untransformed digits; first ${nKnn} test digits).`;
}

/** The caption of the example: what the model says on x, x′ and what PGD (`steps`) found. */
export function exampleText(ex, digit, model, steps) {
  const what = ex.pred_transformed !== ex.label
    ? `already misclassifies x′ as ${ex.pred_transformed} (not attacked)`
    : ex.success ? `classifies x′ correctly, but PGD (${steps} steps) finds x′ + δ classified as ${ex.pred_adv}`
      : `classifies x′ correctly, and PGD (${steps} steps) finds no misclassified point within ε = 0.3 (it still says ${ex.pred_adv})`;
  return `Digit ${digit}, label ${ex.label}: the ${modelLabel(model)} says ${ex.pred_clean} on x and ${what}.`;
}

/** The fidelity card's rows from the manifest `m` ("…" where it lacks the numbers). */
export function fidelityRows(m) {
  const mad = m?.models?.find((x) => x.id === 'cnn-madry');
  const nat = m?.models?.find((x) => x.id === 'cnn-natural');
  const tr = mad?.config?.train;
  const t = m?.table;
  const c = t ? claim(t, 0) : null;
  return [
    ['adversarial training', 'PGD at ε = 0.3, 40 steps; 60,000 digits; 2 conv (32, 64) + 1,024 units',
      tr ? `PGD at ε = 0.3 (ramped over ${tr.ramp_epochs} epochs), ${tr.pgd_steps} steps, ${tr.epochs} epochs; 8,000 digits; CNN 8c-16c-100` : '…', 'two shared CPU cores'],
    ['accuracy at α = 1, β = 0', '≈ 98% clean, ≈ 88% under the best white-box attack (Madry’s MNIST model, the paper’s introduction)',
      mad && nat ? `clean ${pct(mad.metrics.clean_acc)}, ${pct(mad.metrics.pgd20_robust_acc)} under PGD-20 (natural twin: ${pct(nat.metrics.clean_acc)}, ${pct(nat.metrics.pgd20_robust_acc)})` : '…',
      'smaller net, fewer digits'],
    ['blind-spot trend', 'accuracy on x′ stays high; attack success rises sharply as α falls',
      c ? `β = 0, α 1 → ${f2(c.to.alpha)}: accuracy ${pct(c.from.clean_acc)} → ${pct(c.to.clean_acc)}, PGD success ${pct(c.from.pgd_success)} → ${pct(c.to.pgd_success)}` : '…',
      'the paper’s tables are not quoted (not read)'],
    ['certified defence', 'Wong & Kolter; Sinha et al.', 'the verify lab’s CROWN-IBP MLP', 'the one this site has'],
    ['2-D embedding', 't-SNE', 'PCA', 'deterministic, fast'],
    ['attack budget', 'PGD and C&W; 10,000 test digits', t ? `${t.pgd.steps} steps, ${t.pgd.restarts} restart; ${en(t.digits)} test digits` : '…', 'time'],
  ];
}

/** The shipped α × β table as CSV rows (header first), one row per (α, β, model). */
export function tableCsv(t) {
  const rows = [['alpha', 'beta', 'model', 'clean_acc', 'pgd_success', 'cw_success', 'verified_err', 'knn', 'kl']];
  for (const r of t.rows) {
    for (const mm of MODELS) {
      const c = r.models?.[mm.id];
      if (c) rows.push([r.alpha, r.beta, mm.id, c.clean_acc, c.pgd_success, c.cw_success, c.verified_err ?? '', c.knn, c.kl ?? '']);
    }
  }
  return rows;
}
