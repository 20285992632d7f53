// What the verify page says about its numbers ("What to notice", the fidelity card's note), worded from the
// precomputed curves of www/models/verify/manifest.json so it stays true of them, plus the small readers of those
// curves. DOM-free: tests/unit/verify-findings.test.mjs checks each wording against made-up manifests.
//
// A sentence is a list of parts: plain strings, or `{ b: text, color }` for a bold number (color: a palette key
// such as 'ibp', 'crown'; none for plain bold). The page turns the parts into nodes.

import { pct } from '../ui/controls.js';

/** Whether a method uses CROWN's lower slope (IBP has no relaxation). */
export const usesSlope = (method) => method === 'crown' || method === 'crown-ibp';

/**
 * Value of `metric` (e.g. 'ibp_err', a fraction) of a manifest model at `eps`: the grid point within 1e-6 (the grid
 * is stored as f32), else linear interpolation between its neighbours unless `exact`; null where it is missing.
 */
export function metricAt(model, metric, eps, exact = false) {
  const m = model?.metrics || {};
  const xs = m.eps;
  const ys = m[metric];
  if (!Array.isArray(xs) || !Array.isArray(ys) || xs.length !== ys.length) return null;
  const ok = (y) => typeof y === 'number' && Number.isFinite(y);
  for (let i = 0; i < xs.length; i++) if (Math.abs(xs[i] - eps) < 1e-6) return ok(ys[i]) ? ys[i] : null;
  if (exact) return null;
  for (let i = 0; i + 1 < xs.length; i++) {
    if (xs[i] <= eps && eps <= xs[i + 1]) {
      if (!ok(ys[i]) || !ok(ys[i + 1])) return null;
      const t = (eps - xs[i]) / (xs[i + 1] - xs[i]);
      return ys[i] + t * (ys[i + 1] - ys[i]);
    }
  }
  return null;
}

/** The curves of a model for the plot: `{ eps, ys }`, one array of percentages per `series` entry (`metric` key),
 *  aligned with the eps grid, null where missing; a scalar clean error is drawn flat. */
export function curves(model, series) {
  const m = model?.metrics || {};
  const eps = Array.isArray(m.eps) ? m.eps.map(Number) : [];
  const ys = series.map((s) => {
    const v = m[s.metric];
    if (Array.isArray(v) && v.length === eps.length) return v.map((x) => (Number.isFinite(x) ? x * 100 : null));
    if (s.key === 'clean' && Number.isFinite(v)) return eps.map(() => v * 100);
    return eps.map(() => null);
  });
  return { eps, ys };
}

/** The largest drop of CROWN's precomputed verified error as ε grows (it cannot drop for a monotone bound):
 *  `{ epsHi, hi, epsLo, lo }` with epsHi < epsLo and hi − lo > 5 points, or null. */
export function slopeDip(model) {
  const xs = model?.metrics?.eps;
  const ys = model?.metrics?.crown_err;
  if (!Array.isArray(xs) || !Array.isArray(ys) || xs.length !== ys.length) return null;
  let best = null;
  for (let i = 0; i < xs.length; i++) {
    for (let j = i + 1; j < xs.length; j++) {
      const d = ys[i] - ys[j];
      if (Number.isFinite(d) && d > 0.05 && (!best || d > best.hi - best.lo)) best = { epsHi: xs[i], hi: ys[i], epsLo: xs[j], lo: ys[j] };
    }
  }
  return best;
}

/** The naturally trained net: IBP vs CROWN at `eps`; where both agree (both saturate), at the grid ε where they
 *  differ most. Null without numbers or at ε = 0 with no such grid point. */
export function naturalSentence(natural, eps) {
  let ibp = metricAt(natural, 'ibp_err', eps);
  let crown = metricAt(natural, 'crown_err', eps);
  if (ibp == null || crown == null) return null;
  let at = eps;
  if (Math.abs(ibp - crown) < 0.005 && Array.isArray(natural.metrics?.eps)) {
    let gap = 0;
    for (const x of natural.metrics.eps) {
      const g = metricAt(natural, 'ibp_err', x) - metricAt(natural, 'crown_err', x);
      if (Number.isFinite(g) && g > gap + 1e-9) [gap, at] = [g, x];
    }
    if (at !== eps) [ibp, crown] = [metricAt(natural, 'ibp_err', at), metricAt(natural, 'crown_err', at)];
  }
  if (!(eps > 0 || at > 0)) return null;
  const where = at === eps ? `ε = ${eps.toFixed(3)}` : `ε = ${at.toFixed(3)} (at ${eps.toFixed(3)} both certify nothing)`;
  return [{ b: `Naturally trained ${netKind(natural)}` }, `, ${where}: `, { b: `IBP ${pct(ibp)}`, color: 'ibp' }, ' vs ', { b: `CROWN ${pct(crown)}`, color: 'crown' },
    ibp > crown + 0.005 ? ' verified error. Intervals forget how neurons are correlated, so their looseness compounds layer by layer.' : ' verified error.'];
}

/** "MLP" or "CNN": which shipped net a sentence is about (a manifest entry without `config.arch` is an MLP). */
export function netKind(m) {
  return m?.config?.arch === 'cnn' ? 'CNN' : 'MLP';
}

/** The CROWN-IBP-trained net: is IBP tighter than CROWN at `eps`? The "why" follows only when it is. */
export function robustSentence(robust, eps) {
  const ibp = metricAt(robust, 'ibp_err', eps);
  const crown = metricAt(robust, 'crown_err', eps);
  if (ibp == null || crown == null || !(eps > 0)) return null;
  const rel = Math.abs(ibp - crown) < 0.005 ? 'about as tight as' : ibp < crown ? 'tighter than' : 'looser than';
  return [{ b: `CROWN-IBP-trained ${netKind(robust)}` }, `: IBP is ${rel} CROWN (`, { b: pct(ibp), color: 'ibp' }, ' vs ', { b: pct(crown), color: 'crown' },
    rel === 'looser than' ? '). Here training against the mix did not make the intervals tight at this ε.'
      : '). Training against intervals makes them tight — why CROWN-IBP uses IBP inside and CROWN only for the last layer.'];
}

/** CROWN's adaptive slope is not monotone in ε (only for a method that uses the slope, and only where the curve
 *  really drops). */
export function dipSentence(robust, method) {
  const dip = usesSlope(method) ? slopeDip(robust) : null;
  if (!dip) return null;
  return ['CROWN\'s adaptive lower slope is not monotone in ε: on the CROWN-IBP-trained network it gives ',
    { b: pct(dip.hi), color: 'crown' }, ` at ε = ${dip.epsHi.toFixed(3)} but `, { b: pct(dip.lo), color: 'crown' },
    ` at ${dip.epsLo.toFixed(3)}, as the u > −l test that picks α = 1 or 0 flips while the boxes grow. There α = 0 is `
    + 'much tighter: try it under “CROWN lower slope”.'];
}

/** All of "What to notice" for the shown ε and method: a list of sentences (lists of parts). */
export function noticeSentences(models, { eps, method }) {
  const natural = models.find((m) => /natural/.test(m.id));
  const robust = models.find((m) => /crown-?ibp/.test(m.id));
  const out = [];
  if (eps === 0) out.push(['At ε = 0 every bound equals the clean margin; move ε to the right.']);
  for (const s of [natural && naturalSentence(natural, eps), robust && robustSentence(robust, eps), robust && dipSentence(robust, method)]) if (s) out.push(s);
  out.push(['PGD is an attack: a lower bound on the true robust error. The verified curves are certificates, upper bounds. The truth lies between them.']);
  return out;
}

/** The fidelity card's note under the table: what "here" is, and whether the live point is that same count. */
export function fidelityNote(robust, eps, paperEps = 0.3) {
  if (!robust) return 'The model list has no CROWN-IBP-trained model.';
  return `“Here” is ${robust.label || robust.id}, precomputed by the same code that runs in this page, with the `
    + 'tightest of IBP, CROWN-IBP and CROWN (each gives a sound certificate). '
    + (Math.abs(eps - paperEps) < 1e-6 ? 'The live point on the plot is the same count, recomputed in this page.' : `Move ε to ${paperEps} to recompute it live.`);
}

/** The fidelity card's "why different" for the shipped CROWN-IBP-trained model, from its manifest config (the
 *  network, training digits, training ε, epochs), each next to the paper's. */
export function hereSummary(robust) {
  const cfg = robust?.config || {};
  const train = cfg.train && typeof cfg.train === 'object' ? cfg.train : {};
  const isCnn = cfg.arch === 'cnn';
  const nonEmpty = (d) => (Array.isArray(d) && d.length ? d : null);
  const dims = isCnn ? null : nonEmpty(cfg.dims) || nonEmpty(train.dims);
  const nTrain = cfg.train_digits ?? cfg.train_n ?? train.n;
  const epochs = train.epochs ?? cfg.epochs;
  const rawEps = train.train_eps ?? cfg.train_eps;
  const cnnNet = isCnn && typeof robust?.label === 'string' ? robust.label.split(/, (CROWN-IBP|IBP|natural) training/)[0].replace(/^CNN /, '') : '';
  const parts = [dims ? `an MLP ${dims.join('–')} (paper: a large CNN)`
    : isCnn ? `a small CNN${cnnNet ? `, ${cnnNet}` : ''} (paper: a large CNN)` : `${robust?.label || 'a small MLP'} (paper: a large CNN)`];
  if (nTrain) parts.push(`${Number(nTrain).toLocaleString('en-US')} training digits (paper: 60,000)`);
  if (rawEps != null && Number.isFinite(Number(rawEps))) parts.push(`trained at ε = ${Number(Number(rawEps).toPrecision(3))} (paper: 0.4)`);
  if (epochs) parts.push(`${epochs} epochs${cfg.quick ? ', a quick run' : ''}`);
  return `Here: ${parts.join('; ')}.`;
}

/** The CNNs' training methods, in the order the comparison draws them. `match` picks the manifest ids. */
export const TRAININGS = [
  { key: 'crownibp', label: 'CROWN-IBP training', color: 'crownibp', match: /^cnn-crownibp/ },
  { key: 'ibp', label: 'IBP training (Gowal et al.)', color: 'ibp', match: /^cnn-ibp/ },
  { key: 'natural', label: 'natural training', color: 'clean', match: /^cnn-natural/ },
];

/** The training-method comparison on the shipped CNNs: for each training method, per ε, the verified error (the
 *  tighter of IBP and CROWN-IBP verification, in %) averaged over its seeds, with the seeds' min and max.
 *  `{ eps, rows: [{ key, label, color, ids, mean, min, max, clean }] }`; methods without models are left out. */
export function trainingComparison(models) {
  const list = Array.isArray(models) ? models : [];
  let eps = [];
  const rows = [];
  for (const t of TRAININGS) {
    const ms = list.filter((m) => t.match.test(m?.id || '') && Array.isArray(m?.metrics?.eps));
    if (!ms.length) continue;
    if (!eps.length) eps = ms[0].metrics.eps.map(Number);
    const per = ms.map((m) => eps.map((e) => {
      const a = metricAt(m, 'ibp_err', e);
      const b = metricAt(m, 'crownibp_err', e);
      const v = [a, b].filter((x) => x != null);
      return v.length ? 100 * Math.min(...v) : null;
    }));
    const agg = (f) => eps.map((_, i) => {
      const v = per.map((p) => p[i]).filter((x) => x != null);
      return v.length ? f(v) : null;
    });
    const clean = ms.map((m) => m.metrics.clean_err).filter(Number.isFinite);
    rows.push({
      key: t.key, label: t.label, color: t.color, ids: ms.map((m) => m.id),
      mean: agg((v) => v.reduce((s, x) => s + x, 0) / v.length), min: agg((v) => Math.min(...v)), max: agg((v) => Math.max(...v)),
      clean: clean.length ? (100 * clean.reduce((s, x) => s + x, 0)) / clean.length : null,
    });
  }
  return { eps, rows };
}
