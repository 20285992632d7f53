// The lottery page's numbers, shaped for its plots and exports, DOM-free (tests/unit/lottery-data.test.mjs): the
// precomputed series of a setting on one x axis, the precomputed point nearest a fraction remaining, the user's run
// grouped by series, the CSV rows, the certified network's precomputed ε nearest the chosen one. `sh` is one setting
// of www/models/lottery/manifest.json: `{ config, series: { <key>: { label, points: [{ level, remaining, <metric>:
// { mean, min, max }, early_stop: { mean, min, max } }] } } }`; fractions remaining are in (0, 1].

import { SETTINGS, seriesFor, ticketKey } from './lottery-settings.js';

const logDist = (a, b) => Math.abs(Math.log(a / b));

/**
 * The precomputed series of setting `name` on one x axis: the union of every series' fractions remaining,
 * ascending, in percent (`xs`), and per series (seriesFor order) the `field`'s mean / min / max times `scale`
 * (`data: [{ mean, lo, hi }]`, null where a series has no point: e.g. the language model with a dense embedding
 * sits at other levels). Null when there are no points.
 */
export function shippedCurves(sh, name, field, scale) {
  const list = seriesFor(name);
  const pts = (k) => sh?.series?.[k]?.points || [];
  const key = (r) => r.toFixed(9);
  const rems = [...new Map(list.flatMap((s) => pts(s.key)).map((p) => [key(p.remaining), p.remaining])).values()].sort((a, b) => a - b);
  if (!rems.length) return null;
  const data = list.map((s) => {
    const by = new Map(pts(s.key).map((p) => [key(p.remaining), p[field]]));
    const get = (r, f) => (Number.isFinite(by.get(key(r))?.[f]) ? by.get(key(r))[f] * scale : null);
    return { mean: rems.map((r) => get(r, 'mean')), lo: rems.map((r) => get(r, 'min')), hi: rems.map((r) => get(r, 'max')) };
  });
  return { xs: rems.map((r) => r * 100), data };
}

/** The precomputed point of series `key` nearest `remaining` (log distance) with `field`'s statistics:
 *  `{ remaining, mean, min, max }`, or null. */
export function pointAt(sh, key, remaining, field) {
  let best = null;
  for (const p of sh?.series?.[key]?.points || []) {
    if (!best || logDist(p.remaining, remaining) < logDist(best.remaining, remaining)) best = p;
  }
  return best && best[field] ? { remaining: best.remaining, ...best[field] } : null;
}

/** The user's run (`{ values, points: [{ kind, remaining, ... }] }`) grouped by the series its networks belong to
 *  (a ticket by ticketKey of the run's settings): `[[key, points], ...]` in first-seen order; none when the run is
 *  of another setting than `name`. */
export function runSeries(run, name) {
  const by = new Map();
  for (const r of run?.values.setting === name ? run.points : []) {
    const key = r.kind === 'ticket' ? ticketKey(run.values) : r.kind;
    by.set(key, [...(by.get(key) || []), r]);
  }
  return [...by];
}

/** The CSV export of setting `name`: every precomputed point (mean over seeds with min and max), then the user's
 *  run if it is of this setting; the metric in percent for vision, as is otherwise. */
export function csvRows(sh, name, run) {
  const st = SETTINGS[name];
  const unit = st.scale === 100 ? 'pct' : 'value';
  const f = (x) => (x == null || !Number.isFinite(x) ? '' : Number(x.toFixed(4)));
  const rows = [['source', 'setting', 'series', 'seed', 'level', 'remaining_pct', `metric_${unit}`, `metric_min_${unit}`, `metric_max_${unit}`, 'early_stop_iter']];
  for (const s of seriesFor(name)) {
    for (const p of sh?.series?.[s.key]?.points || []) {
      const m = p[st.shippedKey] || {};
      rows.push(['precomputed', name, s.key, 'mean', p.level, f(p.remaining * 100), f(m.mean * st.scale), f(m.min * st.scale), f(m.max * st.scale), f(p.early_stop.mean)]);
    }
  }
  for (const r of run?.values.setting === name ? run.points : []) {
    rows.push(['live', name, r.kind, run.values.seed, r.level, f(r.remaining * 100), f(r[st.metricKey] * st.scale), '', '', r.early_stop_iter]);
  }
  return rows;
}

/** The index of the precomputed ε (`list`) nearest `eps` (the first of ties). */
export function nearestIndex(list, eps) {
  return list.reduce((b, x, i) => (Math.abs(x - eps) < Math.abs(list[b] - eps) ? i : b), 0);
}
