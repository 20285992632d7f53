// Times one GA+D run of the molecules page in headless Chromium and says where its time goes: the page's calls
// (engine: needs / provide / step / progress; chemistry worker: evaluate; plots and gallery) and, inside the
// chemistry worker, MinimalLib's calls (parse, descriptors, get_json, Morgan bits, canonical SMILES, drawings).
//
//   node scripts/molecules-time.mjs [--population 100] [--generations 40] [--beta 0] [--seed 1] [--runs 1]
//
// The run's wall time is from the click on "run" to data-run-status="done" (MinimalLib already loaded: the script
// loads it first with the page's "load RDKit now" button); compare it with scripts/molecules_ga_time.py on the same
// machine, one after the other. Prints the load average before and after. Needs make pkg and make vendor.
import { loadavg } from 'node:os';
import { servers, launch, open, ready } from '../tests/e2e/helpers.mjs';

const arg = (name, d) => {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? process.argv[i + 1] : d;
};
const N = Number(arg('population', 100));
const G = Number(arg('generations', 40));
const BETA = Number(arg('beta', 0));
const SEED = Number(arg('seed', 1));
const RUNS = Number(arg('runs', 1));
const load = () => loadavg().map((x) => x.toFixed(2)).join(' ');

console.log(`load average before: ${load()}`);
const srv = await servers();
const ctx = await launch();
for (let k = 0; k < RUNS; k++) {
  const { page, errors } = await open(ctx, `${srv.isolated}/?single=1&relaxed=0#/molecules?population=${N}&generations=${G}&beta=${BETA}&seed=${SEED}`);
  await ready(page, 180000);
  // Load MinimalLib and the SA table first, so that the timed run is the GA only.
  await page.click('[data-testid=chem-load]');
  await page.waitForSelector('#lab[data-chem-status="done"]', { timeout: 180000 });
  const t0 = Date.now();
  await page.click('[data-testid=run]');
  await page.waitForSelector('#lab[data-run-status="done"]', { timeout: 1800000 });
  const wall = (Date.now() - t0) / 1000;
  const r = await page.evaluate(async () => {
    const lab = window.paperlab.lab;
    const last = lab.history[lab.history.length - 1];
    return { page: lab.timing, chem: await lab.chem.call('timing'), evaluated: last.evaluated, best: last.top[0].smiles, best_j: last.best_j, mean_j: last.mean_j };
  });
  const f = (o) => Object.entries(o).map(([key, v]) => `${key} ${key === 'calls' || key === 'molecules' || key === 'drawings' ? v : `${(v / 1000).toFixed(2)} s`}`).join(', ');
  console.log(`run ${k + 1}: N = ${N}, ${G} generations, beta ${BETA}, seed ${SEED}: ${wall.toFixed(1)} s wall, ${r.evaluated} molecules evaluated `
    + `(${(r.evaluated / wall).toFixed(0)}/s), ${(N * G / wall).toFixed(1)} population slots/s; best ${r.best} (J ${r.best_j.toFixed(3)}, mean J ${r.mean_j.toFixed(3)})`);
  console.log(`  page: ${f(r.page)}`);
  console.log(`  MinimalLib in the chemistry worker: ${f(r.chem)}`);
  if (errors.length) console.log('  page errors:', errors);
  await page.close();
}
console.log(`load average after: ${load()}`);
await ctx.close();
await srv.close();
