// Times the blindspot lab's evaluation in headless Chromium: N test digits at one (alpha, beta), each attacked by
// PGD and by the C&W margin attack (STEPS steps, 1 restart) on the three networks, plus the CROWN-IBP net's bound
// (the facade's `start`/`step` calls, as the page's live run makes them). Reports the wall time and the worker-side
// engine time, and the fooled count so the numbers can be compared with the native table (`paperlab eval blindspot`).
//
//   node scripts/blindspot-time.mjs [--threads] [--fma] [--digits N] [--steps S] [--alpha A] [--beta B] [URL]
//
// Defaults: 2,000 digits, 20 steps, alpha 1, beta 0. URL: a server of the repository with COOP/COEP headers (e.g.
// `make serve`); without one, a static server with those headers is started here (tests/e2e/helpers.mjs). Without
// --threads the page is opened with `?single=1` (pkg/, one thread); with it, the threaded build (pkg-parallel/).
// `?relaxed=0` unless --fma, so both runs use the plain SIMD kernels (with --fma: the relaxed-SIMD packages).
import { timingPage } from '../tests/e2e/helpers.mjs';

const args = process.argv.slice(2);
const opt = (name, dflt) => {
  const i = args.indexOf(`--${name}`);
  if (i < 0) return dflt;
  const v = Number(args[i + 1]);
  if (!Number.isFinite(v)) throw new Error(`--${name} needs a number, got ${args[i + 1]}`);
  return v;
};
const threads = args.includes('--threads');
const fma = args.includes('--fma');
const digits = opt('digits', 2000);
const steps = opt('steps', 20);
const alpha = opt('alpha', 1);
const beta = opt('beta', 0);
const given = args.find((a) => /^https?:/.test(a));
const { page, badge, close } = await timingPage('blindspot', { threads, fma, url: given, load: ['views'] });
try {
  const r = await page.evaluate(async ([a, b, n, s]) => {
    const lab = window.paperlab.lab.lab;
    await lab.call('start', [a, b, n, s, 1, 2019]);
    const t0 = performance.now();
    let v;
    let engine = 0;
    do {
      const out = await lab.call('step', [100]);
      v = out.value;
      engine += out.ms;
    } while (!v.finished);
    return { wall: performance.now() - t0, engine, v };
  }, [alpha, beta, digits, steps]);
  console.log(`${badge} · ${digits} digits at alpha ${alpha}, beta ${beta} · PGD and C&W, ${steps} steps, 3 networks + the CROWN-IBP bound`);
  console.log(`  wall ${(r.wall / 1000).toFixed(1)} s, engine ${(r.engine / 1000).toFixed(1)} s`);
  console.log(`  result ${JSON.stringify(r.v)}`);
} finally {
  await close();
}
