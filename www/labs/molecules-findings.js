// What the molecules page says about its precomputed runs ("What to notice"): each sentence is worded from the
// numbers it names, so it stays true when the runs are remade. DOM-free, so tests/unit/molecules-findings.test.mjs
// checks the wording against made-up runs; scripts/molecules-runs.mjs uses the same summary and spread rule.
//
// A run's final numbers (`final` in the script, one entry per seed in precomputed.json) are means over the last
// generations of: best_j and mean_j (penalised logP J, ZINC-standardised), mean_logp (Crippen logP), mean_d (the
// discriminator's output on the population, 0 = "GA population", 1 = "reference"), diversity (mean pairwise Tanimoto
// distance) and ref_distance (mean Tanimoto distance from each molecule to its nearest reference molecule).

/** [key, name in tables] of the numbers a run ends with. */
export const METRICS = [
  ['best_j', 'best J'],
  ['mean_j', 'mean J'],
  ['mean_logp', 'mean logP'],
  ['mean_d', 'mean D'],
  ['diversity', 'diversity'],
  ['ref_distance', 'distance to reference'],
];

const mean = (a) => a.reduce((p, q) => p + q, 0) / a.length;
/** Sample standard deviation (n − 1); 0 for one value. */
export const sd = (a) => (a.length < 2 ? 0 : Math.sqrt(a.reduce((p, q) => p + (q - mean(a)) ** 2, 0) / (a.length - 1)));

/**
 * Groups runs `[{ label, seed, final: { key: number } }]` (or precomputed seeds `{ label, seeds: [{ key: number }] }`)
 * by setting, in first-seen order: `[{ label, [key]: { values, mean, sd } }]`. Non-finite values are left out.
 */
export function summarise(runs) {
  const order = [];
  const by = new Map();
  for (const r of runs) {
    if (!by.has(r.label)) { by.set(r.label, []); order.push(r.label); }
    by.get(r.label).push(r.final ?? r);
  }
  return order.map((label) => {
    const out = { label };
    for (const [k] of METRICS) {
      const values = by.get(label).map((f) => f[k]).filter(Number.isFinite);
      out[k] = { values, mean: values.length ? mean(values) : NaN, sd: sd(values) };
    }
    return out;
  });
}

/** Summary of the page's precomputed file (`{ settings: [{ label, seeds: [...] }] }`). */
export const summariseShipped = (shipped) => summarise((shipped?.settings || []).flatMap((s) => s.seeds.map((x) => ({ label: s.label, final: x }))));

/** +1 when every value of `a` is above every value of `b`, −1 when every one is below, 0 when they overlap (the
 *  difference is within the seed spread) or either is empty. */
export function beyondSpread(a, b) {
  if (!a.length || !b.length) return 0;
  if (Math.min(...a) > Math.max(...b)) return 1;
  if (Math.max(...a) < Math.min(...b)) return -1;
  return 0;
}

/** 'beta=10' -> 'β = 10', 'adaptive' -> 'adaptive β'. */
export const settingName = (label) => (label === 'adaptive' ? 'adaptive β' : label.replace(/^beta=(.*)$/, 'β = $1'));
const f2 = (x) => x.toFixed(2);
const ms = (m) => `${f2(m.mean)} ± ${f2(m.sd)}`;

/**
 * One sentence comparing `key` between settings `a` and `b` (labels) of a summary: the two means ± sd and whether
 * the difference is beyond the seed spread. `what` names the number ("the distance to the reference set").
 * Returns null if either setting is missing.
 */
export function compare(sum, key, a, b, what) {
  const A = sum.find((s) => s.label === a);
  const B = sum.find((s) => s.label === b);
  if (!A || !B || !A[key].values.length || !B[key].values.length) return null;
  const dir = beyondSpread(A[key].values, B[key].values);
  const nums = `${ms(A[key])} with ${settingName(a)} against ${ms(B[key])} with ${settingName(b)}`;
  if (dir === 0) return `${cap(what)}: ${nums} — the seeds overlap, so this difference is within the seed spread.`;
  return `${cap(what)} is ${dir > 0 ? 'higher' : 'lower'} with ${settingName(a)} than with ${settingName(b)} in every seed (${nums}).`;
}
const cap = (s) => `${s[0].toUpperCase()}${s.slice(1)}`;

/** The "What to notice" sentences before anything runs, from the precomputed file; [] without it. */
export function shippedNotice(shipped) {
  const sum = summariseShipped(shipped);
  if (!sum.length) return [];
  const ns = sum.map((s) => s.best_j.values.length);
  const n = Math.min(...ns) === Math.max(...ns) ? `${ns[0]}` : `${Math.min(...ns)}–${Math.max(...ns)}`;
  const out = [`Precomputed runs: N = ${shipped.population}, ${shipped.generations} generations, ${n} seeds per setting, `
    + `numbers averaged over the last ${shipped.tail} generations, mean ± sd over the seeds.`];
  const hi = ['beta=1000', 'beta=100', 'beta=10', 'beta=1'].find((l) => sum.some((s) => s.label === l));
  if (!hi || !sum.some((s) => s.label === 'beta=0')) return out;
  for (const [key, what] of [
    ['mean_j', 'the population\'s mean penalised logP J'],
    ['best_j', 'the best J'],
    ['mean_logp', 'the mean logP'],
    ['ref_distance', 'the distance of the population to the nearest reference molecule'],
    ['diversity', 'the diversity'],
  ]) {
    const s = compare(sum, key, hi, 'beta=0', what);
    if (s) out.push(s);
  }
  const others = sum.filter((s) => /^beta=/.test(s.label) && s.label !== 'beta=0' && s.label !== hi);
  const b0 = sum.find((s) => s.label === 'beta=0');
  if (others.length) {
    out.push(`The mean J with the other β against β = 0 (${ms(b0.mean_j)}): ${others.map((s) => {
      const d = beyondSpread(s.mean_j.values, b0.mean_j.values);
      return `${settingName(s.label)} ${ms(s.mean_j)}, ${d ? `${d > 0 ? 'higher' : 'lower'} in every seed` : 'within the seed spread'}`;
    }).join('; ')}.`);
  }
  const ad = (shipped.settings || []).find((s) => s.label === 'adaptive');
  if (ad && ad.seeds.every((x) => Number.isFinite(x.boosts))) {
    const on = ad.seeds.filter((x) => x.boosts > 0).length;
    out.push(on === 0
      ? `Adaptive β never switched on (the best J never stalled for 5 generations), so those runs are plain β = 0 runs.`
      : `Adaptive β switched to 1000 in ${on} of ${ad.seeds.length} seeds (${ad.seeds.map((x) => x.boosts).join(', ')} generations); `
        + 'in the other seeds the best J never stalled for 5 generations.');
  }
  const adj = compare(sum, 'best_j', 'adaptive', 'beta=0', 'the best J');
  if (adj) out.push(adj);
  return out;
}
