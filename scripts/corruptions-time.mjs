// Times the corruptions lab's 15 x 5 grid in headless Chromium: the page computes the whole grid in one engine call
// (`corrupt_grid`: 75 cells in one list, longest first, shared by the threads on the threaded build), and the
// worker-side time of that call is what is reported (median, min and max over runs, each run a new seed). The photo is astronaut.png, which the page fits to 224 x 224 (ImageNet-C's size).
//
//   node scripts/corruptions-time.mjs [--threads] [--fma] [--runs N] [URL]
//
// URL: a server of the repository with COOP/COEP headers (e.g. `make serve`); without one, a static server with
// those headers is started here (tests/e2e/helpers.mjs). Without --threads the page is opened with
// `?single=1` (pkg/, one thread); with it, the threaded build (pkg-parallel/) must exist. `?relaxed=0` always (the
// corruptions use no FMA kernel). Prints one line per corruption and the total, in ms.
import { timingPage } from '../tests/e2e/helpers.mjs';

const args = process.argv.slice(2);
const threads = args.includes('--threads');
// --fma: the relaxed-SIMD packages (the corruptions use no FMA kernel, so only which package loads changes).
const fma = args.includes('--fma');
const ri = args.indexOf('--runs');
const runs = ri >= 0 ? Number(args[ri + 1]) : 5;
const given = args.find((a) => /^https?:/.test(a));
// The frost row needs the frost pictures, which the page fetches on first use: load them first.
const { page, badge, close } = await timingPage('corruptions?photo=astronaut&seed=1', { threads, fma, url: given, load: ['frost'] });
try {
  const totals = [];
  for (let r = 0; r < runs; r++) {
    if (r > 0) await page.evaluate((s) => window.paperlab.lab.set({ seed: s }), r + 1);
    await page.waitForFunction(() => document.getElementById('lab').dataset.grid === 'done', null, { timeout: 300000 });
    totals.push(Number(await page.evaluate(() => document.getElementById('lab').dataset.gridMs)));
  }
  const photo = await page.evaluate(() => document.getElementById('lab').dataset.photo);
  const med = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
  console.log(`${badge.trim()} · photo ${photo} · ${runs} runs (worker ms of the one grid call)`);
  console.log(`  runs               ${totals.map((t) => t.toFixed(1)).join(' ')}`);
  console.log(`  total              ${med(totals).toFixed(1)} (min ${Math.min(...totals).toFixed(1)}, max ${Math.max(...totals).toFixed(1)})`);
} finally {
  await close();
}
