// Runs the molecules lab's GA+D in headless Chromium (the page, RDKit MinimalLib, the wasm engine) for
// beta in {0, 1, 10, adaptive} and several seeds; prints, per setting, mean ± sd over the seeds of the final
// generation's numbers (best and mean J, mean logP, mean D, diversity, distance to the reference set, averaged over
// the last --tail generations), says which differences between settings lie beyond the seed spread (every seed of
// one setting beyond every seed of the other), and prints molecules evaluated per second.
//
//   node scripts/molecules-runs.mjs [--population 60] [--generations 25] [--seeds 3] [--first-seed 1] [--after 10] [--tail 5]
//        [--settings beta=0,beta=1,beta=10,beta=100,beta=1000,adaptive] [--jsonl runs.jsonl] [--from a.jsonl,b.jsonl] [--write]
//
// --jsonl appends one line per run as it finishes (a long sweep keeps what it has made); --from reads runs made
// that way (those with the same population, generations and a listed setting) instead of running; --write writes the page's
// precomputed runs (www/data/molecules/precomputed.json: per setting the seed-mean curves and every seed's final
// numbers, rounded). Needs the single-thread package (make pkg) and make vendor; serves the repository itself.
import { writeFileSync, appendFileSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { servers, launch, open, ready, ROOT } from '../tests/e2e/helpers.mjs';
import { METRICS, summarise, beyondSpread } from '../www/labs/molecules-findings.js';

const arg = (name, d) => {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? process.argv[i + 1] : d;
};
const N = Number(arg('population', 60));
const G = Number(arg('generations', 25));
const SEEDS = Number(arg('seeds', 3));
const FIRST = Number(arg('first-seed', 1));
const AFTER = Number(arg('after', 10));
const TAIL = Number(arg('tail', 5));
const JSONL = arg('jsonl', null);
const write = process.argv.includes('--write');
const ALL = { 'beta=0': 'beta=0', 'beta=1': 'beta=1', 'beta=10': 'beta=10', 'beta=100': 'beta=100', 'beta=1000': 'beta=1000', adaptive: `beta=0&adaptive=1&after=${AFTER}` };
const labels = arg('settings', Object.keys(ALL).join(',')).split(',');
const FROM = arg('from', null);
for (const l of labels) if (!ALL[l]) throw new Error(`unknown setting '${l}': use ${Object.keys(ALL).join(', ')}`);

const r3 = (x) => (Number.isFinite(x) ? Math.round(x * 1000) / 1000 : null);
const tailMean = (hist, key) => {
  const xs = hist.slice(-TAIL).map((s) => s[key]).filter(Number.isFinite);
  return xs.length ? xs.reduce((a, b) => a + b, 0) / xs.length : NaN;
};

const runs = [];
if (FROM) {
  for (const f of FROM.split(',')) {
    for (const line of readFileSync(f, 'utf8').split('\n').filter(Boolean)) {
      const r = JSON.parse(line);
      if (r.population === N && r.generations === G && r.seed <= SEEDS && labels.includes(r.label)) runs.push(r);
    }
  }
  runs.sort((a, b) => labels.indexOf(a.label) - labels.indexOf(b.label) || a.seed - b.seed);
}
const srv = FROM ? null : await servers();
const ctx = FROM ? null : await launch();
for (const label of FROM ? [] : labels) {
  for (let seed = FIRST; seed <= SEEDS; seed++) {
    const { page, errors } = await open(ctx, `${srv.isolated}/?single=1&relaxed=0#/molecules?population=${N}&generations=${G}&seed=${seed}&${ALL[label]}`);
    await ready(page, 180000);
    const t0 = Date.now();
    await page.click('[data-testid=run]');
    await page.waitForSelector('#lab[data-run-status="done"]', { timeout: 1800000 });
    const r = await page.evaluate(() => ({
      hist: window.paperlab.lab.history.map((s) => ({
        best_j: s.best_j, mean_j: s.mean_j, mean_logp: s.mean_logp, mean_d: s.mean_d, diversity: s.diversity,
        ref_distance: s.ref_distance, beta: s.beta, best: s.top[0].smiles, evaluated: s.evaluated,
      })),
      rate: window.paperlab.lab.rate,
    }));
    if (errors.length) console.error(label, seed, errors);
    const last = r.hist[r.hist.length - 1];
    const final = Object.fromEntries(METRICS.map(([k]) => [k, r3(tailMean(r.hist, k))]));
    const run = {
      label, seed, final, best: last.best, evaluated: last.evaluated, molecules_per_s: r3(r.rate),
      seconds: (Date.now() - t0) / 1000, boosts: r.hist.filter((s) => s.beta >= 1000).length,
      curves: Object.fromEntries(['best_j', 'mean_j', 'mean_logp', 'ref_distance'].map((k) => [k, r.hist.map((s) => r3(s[k]))])),
    };
    runs.push(run);
    if (JSONL) appendFileSync(JSONL, `${JSON.stringify({ population: N, generations: G, after: AFTER, tail: TAIL, ...run })}\n`);
    console.log(`${label} seed ${seed}: ${METRICS.map(([k]) => `${k} ${final[k]}`).join(', ')}; best ${last.best}; `
      + `${Math.round(r.rate)} molecules/s, ${last.evaluated} evaluated in ${run.seconds.toFixed(0)} s`);
    await page.close();
  }
}

const sum = summarise(runs);
console.log(`\nN = ${N}, ${G} generations, seeds up to ${SEEDS}; numbers are means over the last ${TAIL} generations; mean ± sd over seeds`);
console.log(`| setting | ${METRICS.map(([, name]) => name).join(' | ')} | molecules/s |`);
console.log(`|---|${METRICS.map(() => '---|').join('')}---|`);
for (const s of sum) {
  const rate = runs.filter((r) => r.label === s.label).map((r) => r.molecules_per_s);
  console.log(`| ${s.label} | ${METRICS.map(([k]) => `${s[k].mean.toFixed(2)} ± ${s[k].sd.toFixed(2)}`).join(' | ')} | ${Math.min(...rate).toFixed(0)}–${Math.max(...rate).toFixed(0)} |`);
}
console.log('\nBeyond the seed spread (every seed of one setting above every seed of the other):');
for (const [k, name] of METRICS) {
  for (let i = 0; i < sum.length; i++) {
    for (let j = i + 1; j < sum.length; j++) {
      const b = beyondSpread(sum[i][k].values, sum[j][k].values);
      console.log(`  ${name}: ${sum[i].label} ${b > 0 ? '>' : b < 0 ? '<' : '~'} ${sum[j].label}${b ? '' : ' (within the spread)'}`);
    }
  }
}
if (write) {
  const out = {
    population: N, generations: G, seeds: SEEDS, adaptive_after: AFTER, tail: TAIL,
    made_by: `node scripts/molecules-runs.mjs --population ${N} --generations ${G} --seeds ${SEEDS} --after ${AFTER} --tail ${TAIL} --settings ${labels.join(',')}${FROM ? ' --from <runs.jsonl>' : ''} --write (docs/labs/molecules.md)`,
    settings: labels.map((label) => {
      const rs = runs.filter((r) => r.label === label);
      const meanCurve = (k) => rs[0].curves[k].map((_, g) => r3(rs.reduce((a, r) => a + r.curves[k][g], 0) / rs.length));
      return {
        label,
        curves: Object.fromEntries(['best_j', 'mean_j', 'mean_logp', 'ref_distance'].map((k) => [k, meanCurve(k)])),
        seeds: rs.map((r) => ({ seed: r.seed, ...r.final, boosts: r.boosts, best: r.best, molecules_per_s: r.molecules_per_s })),
      };
    }),
  };
  writeFileSync(join(ROOT, 'www', 'data', 'molecules', 'precomputed.json'), `${JSON.stringify(out)}\n`);
}
if (ctx) await ctx.close();
if (srv) await srv.close();
