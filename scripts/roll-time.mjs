// Times the roll lab's engine in headless Chromium, as its page calls it: the 256 × 256 region map of the default
// toy net (2-16-16-16-2 on spirals) and ROLL training steps (200 points), each the median of R calls of the worker-side
// engine time, plus the exact margins of one test digit under the shipped roll-2 model (785-row batched pass).
//
//   node scripts/roll-time.mjs [--threads] [--fma] [--rounds R] [URL]
//
// URL: a server of the repository with COOP/COEP headers (e.g. `make serve`); without one, a static server with
// those headers is started here (tests/e2e/helpers.mjs). Without --threads the page is opened with `?single=1`
// (pkg/, one thread); with it, the threaded build on every core. `?relaxed=0` unless --fma. Outside `make test`;
// `make bench` runs it on 1 and 2 threads.
import { timingPage } from '../tests/e2e/helpers.mjs';

const args = process.argv.slice(2);
const threads = args.includes('--threads');
const fma = args.includes('--fma');
const ri = args.indexOf('--rounds');
const rounds = ri < 0 ? 21 : Number(args[ri + 1]);
if (!Number.isInteger(rounds) || rounds < 1) throw new Error(`--rounds needs a whole number, got ${args[ri + 1]}`);
const given = args.find((a) => /^https?:/.test(a));
const { page, badge, close } = await timingPage('roll', { threads, fma, url: given });
try {
  const r = await page.evaluate(async (R) => {
    const lab = window.paperlab.lab.lab;
    const median = (xs) => xs.slice().sort((a, b) => a - b)[xs.length >> 1];
    const map = [];
    for (let i = 0; i < R; i += 1) map.push((await lab.call('region_map', [256, -1, -1, 1, 1])).ms);
    const step = [];
    for (let i = 0; i < R; i += 1) step.push((await lab.call('step', [10])).ms / 10);
    const digit = [];
    for (let i = 0; i < R; i += 1) digit.push((await lab.call('digit_margins', ['roll-2', i])).ms);
    return { map: median(map), mapMin: Math.min(...map), step: median(step), digit: median(digit) };
  }, rounds);
  console.log(`${badge} · median of ${rounds} calls, engine time in the worker`);
  console.log(`  region map 256 × 256 (65,536 points): ${r.map.toFixed(1)} ms (min ${r.mapMin.toFixed(1)})`);
  console.log(`  ROLL training step, 200 points: ${r.step.toFixed(2)} ms`);
  console.log(`  exact margins of one digit (roll-2, 785-row pass): ${r.digit.toFixed(1)} ms`);
} finally {
  await close();
}
