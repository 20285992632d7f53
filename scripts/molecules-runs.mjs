// Runs the molecules lab's GA+D in headless Chromium (the page, RDKit MinimalLib, the wasm engine) for
// beta in {0, 1, 10, adaptive} and several seeds; prints best J per run and molecules/s, and writes the seed-1 runs
// as the page's precomputed curves (www/data/molecules/precomputed.json).
//
//   node scripts/molecules-runs.mjs [--population 60] [--generations 25] [--seeds 3] [--after 10] [--write]
// Needs the single-thread package (make pkg) and make vendor; serves the repository itself.
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { servers, launch, open, ready, ROOT } from '../tests/e2e/helpers.mjs';

const arg = (name, d) => {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? Number(process.argv[i + 1]) : d;
};
const N = arg('population', 60);
const G = arg('generations', 25);
const SEEDS = arg('seeds', 3);
const AFTER = arg('after', 10);
const write = process.argv.includes('--write');

const srv = await servers();
const ctx = await launch();
const settings = [['beta=0', 'beta=0'], ['beta=1', 'beta=1'], ['beta=10', 'beta=10'], ['adaptive', `beta=0&adaptive=1&after=${AFTER}`]];
const out = { population: N, generations: G, adaptive_after: AFTER, made_by: 'scripts/molecules-runs.mjs', runs: [] };
const table = [];
for (const [label, q] of settings) {
  const finals = [];
  for (let seed = 1; seed <= SEEDS; seed++) {
    const { page, errors } = await open(ctx, `${srv.isolated}/?single=1&relaxed=0#/molecules?population=${N}&generations=${G}&seed=${seed}&${q}`);
    await ready(page, 180000);
    await page.click('[data-testid=run]');
    await page.waitForSelector('#lab[data-run-status="done"]', { timeout: 600000 });
    const r = await page.evaluate(() => ({
      hist: window.paperlab.lab.history.map((s) => ({ best_j: s.best_j, mean_j: s.mean_j, beta: s.beta, best: s.top[0].smiles, evaluated: s.evaluated })),
      rate: window.paperlab.lab.rate,
    }));
    if (errors.length) console.error(label, seed, errors);
    const last = r.hist[r.hist.length - 1];
    finals.push(last.best_j);
    console.log(`${label} seed ${seed}: best J ${last.best_j.toFixed(3)} (${last.best}), ${Math.round(r.rate)} molecules/s, ${last.evaluated} evaluated`);
    if (seed === 1) out.runs.push({ label, seed, best_j: r.hist.map((s) => s.best_j), mean_j: r.hist.map((s) => s.mean_j), best: last.best, molecules_per_s: r.rate });
    await page.close();
  }
  const mean = finals.reduce((a, b) => a + b, 0) / finals.length;
  const sd = Math.sqrt(finals.reduce((a, b) => a + (b - mean) ** 2, 0) / Math.max(1, finals.length - 1));
  table.push(`| ${label} | ${finals.map((x) => x.toFixed(2)).join(', ')} | ${mean.toFixed(2)} ± ${sd.toFixed(2)} |`);
}
console.log(`\n| setting | best J after ${G} generations (seeds 1..${SEEDS}) | mean ± sd |\n|---|---|---|\n${table.join('\n')}`);
if (write) writeFileSync(join(ROOT, 'www', 'data', 'molecules', 'precomputed.json'), `${JSON.stringify(out)}\n`);
await ctx.close();
await srv.close();
