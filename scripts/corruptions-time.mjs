// Times the corruptions lab's 15 x 5 grid in headless Chromium: the page paints the grid row by row (one engine call
// per corruption, its five severities), and the worker-side time of each call is what is reported (median over
// runs, each run a new seed). The photo is astronaut.png, which the page fits to 224 x 224 (ImageNet-C's size).
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
  const rows = [];
  for (let r = 0; r < runs; r++) {
    if (r > 0) await page.evaluate((s) => window.paperlab.lab.set({ seed: s }), r + 1);
    await page.waitForFunction(() => document.getElementById('lab').dataset.grid === 'done', null, { timeout: 300000 });
    rows.push(await page.evaluate(() => [...window.paperlab.lab.rowMs]));
  }
  const photo = await page.evaluate(() => document.getElementById('lab').dataset.photo);
  const names = ['gaussian_noise', 'shot_noise', 'impulse_noise', 'defocus_blur', 'glass_blur', 'motion_blur', 'zoom_blur',
    'snow', 'frost', 'fog', 'brightness', 'contrast', 'elastic_transform', 'pixelate', 'jpeg_compression'];
  const med = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
  console.log(`${badge.trim()} · photo ${photo} · ${runs} runs (median, ms for the 5 severities)`);
  names.forEach((n, i) => console.log(`  ${n.padEnd(18)} ${med(rows.map((x) => x[i])).toFixed(1)}`));
  const totals = rows.map((x) => x.reduce((a, b) => a + b, 0));
  console.log(`  total              ${med(totals).toFixed(1)} (min ${Math.min(...totals).toFixed(1)}, max ${Math.max(...totals).toFixed(1)})`);
} finally {
  await close();
}
