// Times the bagnet lab's engine in headless Chromium, as its page calls it, on the shipped models of one dataset:
//   - the class-evidence maps of one 28 × 28 test image, all 10 classes (`heatmap`), for every BagNet-q, and one
//     forward pass of the CNN (`probabilities`; the CNN has no patch map): median and min over IMAGES test images
//     (one untimed warm-up call first), the worker-side engine time and the page's round trip;
//   - the test-set accuracy over the 2,000 test images (`eval_start` + `eval_step`) for every model, R times: in
//     one `eval_step` call of all images (engine time and wall), and stepped as the page's live run steps it
//     (LiveRun: first 50 images, then about 60 ms per call; sum of engine times and wall).
// Each accuracy it computes is checked against the manifest's seed-1 `test_acc` of that model (the shipped file);
// a mismatch exits with status 1.
//
//   node scripts/bagnet-time.mjs [--single | --threads] [--plain] [--images N] [--rounds R] [--dataset mnist|fashion] [URL]
//
// Default: both builds, one after the other — one thread (`?single=1`: pkg-relaxed/) and every core of the machine
// (pkg-parallel-relaxed/, the page's own choice when cross-origin isolated); `--single` or `--threads` runs only
// one of them. `--plain` adds `?relaxed=0` (pkg/ and pkg-parallel/, no fused multiply-add). Defaults: 12 images,
// 3 rounds, mnist. URL: a server of the repository with COOP/COEP headers (e.g. `make serve`); without one, a static
// server with those headers is started here (tests/e2e/helpers.mjs). Outside `make test`; `make bench` runs it.
// Goals (docs/labs/bagnet.md): evidence maps < 16 ms and test-set accuracy < 1 s, on 2 threads.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { ROOT, timingPage } from '../tests/e2e/helpers.mjs';

const args = process.argv.slice(2);
const opt = (name, dflt) => {
  const i = args.indexOf(`--${name}`);
  if (i < 0) return dflt;
  const v = Number(args[i + 1]);
  if (!Number.isInteger(v) || v < 1) throw new Error(`--${name} needs a whole number >= 1, got ${args[i + 1]}`);
  return v;
};
const images = opt('images', 12);
const rounds = opt('rounds', 3);
const di = args.indexOf('--dataset');
const dataset = di < 0 ? 'mnist' : args[di + 1];
if (!['mnist', 'fashion'].includes(dataset)) throw new Error(`--dataset is mnist or fashion, got ${dataset}`);
const plain = args.includes('--plain');
const builds = args.includes('--threads') ? [true] : args.includes('--single') ? [false] : [false, true];
const given = args.find((a) => /^https?:/.test(a));

const manifest = JSON.parse(readFileSync(join(ROOT, 'www/models/bagnet/manifest.json'), 'utf8'));
const models = manifest.models.filter((m) => m.dataset === dataset);
const idOf = (m) => (m.config.kind === 'bagnet' ? `q${m.config.q}` : 'cnn');
const nameOf = (m) => (m.config.kind === 'bagnet' ? `BagNet-${m.config.q}` : 'CNN');
// The shipped file of each model is its seed-1 run (tests/bagnet_shipped.rs, tests/e2e/bagnet.test.mjs).
const want = Object.fromEntries(models.map((m) => [idOf(m), m.runs.find((r) => r.seed === 1).test_acc]));
const order = models.slice().sort((a, b) => (a.config.kind === 'bagnet' ? a.config.q : 99) - (b.config.kind === 'bagnet' ? b.config.q : 99));

async function measure(threads) {
  const route = dataset === 'mnist' ? 'bagnet' : `bagnet?dataset=${dataset}`;
  const { page, badge, close } = await timingPage(route, { threads, fma: !plain, url: given });
  try {
    const r = await page.evaluate(async ([ids, nImages, R]) => {
      const { nextStepSize } = await import(new URL('www/ui/liverun.js', document.baseURI).href);
      const lab = window.paperlab.lab.lab;
      const sorted = (xs) => xs.slice().sort((a, b) => a - b);
      const median = (xs) => sorted(xs)[xs.length >> 1];
      // eval_step's result: { done, total, correct } (or, from older builds, the array [done, total, correct])
      const st = (v) => (Array.isArray(v) || ArrayBuffer.isView(v) ? { done: v[0], total: v[1], correct: v[2] } : v);
      const imgs = [];
      for (let i = 0; i < nImages; i += 1) imgs.push((await lab.call('test_image', [i])).value);
      const out = {};
      for (const id of ids) {
        const fn = id === 'cnn' ? 'probabilities' : 'heatmap';
        await lab.call(fn, [id, imgs[0]]); // warm-up
        const eng = [];
        const wall = [];
        for (const img of imgs) {
          const t0 = performance.now();
          const { ms } = await lab.call(fn, [id, img]);
          wall.push(performance.now() - t0);
          eng.push(ms);
        }
        const one = { eng: [], wall: [] };
        const stepped = { eng: [], wall: [], calls: 0 };
        let correct = null;
        for (let k = 0; k < R; k += 1) {
          // All 2,000 images in one call.
          await lab.call('eval_start', [id, 0, 0, 0, '', 0]);
          let t0 = performance.now();
          const a = await lab.call('eval_step', [1 << 20]);
          one.wall.push(performance.now() - t0);
          one.eng.push(a.ms);
          const c1 = st(a.value).correct;
          // As the page's live run steps it.
          await lab.call('eval_start', [id, 0, 0, 0, '', 0]);
          t0 = performance.now();
          let n = 50;
          let e = 0;
          let calls = 0;
          let v;
          let prev = 0;
          do {
            const s = await lab.call('eval_step', [n]);
            v = st(s.value);
            e += s.ms;
            calls += 1;
            n = nextStepSize(n, (s.ms * n) / Math.max(1, v.done - prev));
            prev = v.done;
          } while (v.done < v.total);
          stepped.wall.push(performance.now() - t0);
          stepped.eng.push(e);
          stepped.calls = calls;
          if (c1 !== v.correct) throw new Error(`${id}: ${c1} correct in one call, ${v.correct} stepped`);
          correct = { correct: v.correct, total: v.total };
        }
        out[id] = {
          fn,
          heatEng: median(eng), heatEngMin: Math.min(...eng), heatWall: median(wall), heatWallMin: Math.min(...wall),
          oneEng: Math.min(...one.eng), oneWall: Math.min(...one.wall), oneWallMed: median(one.wall),
          stepEng: Math.min(...stepped.eng), stepWall: Math.min(...stepped.wall), stepWallMed: median(stepped.wall),
          calls: stepped.calls, ...correct,
        };
      }
      return out;
    }, [order.map(idOf), images, rounds]);
    return { badge, r };
  } finally {
    await close();
  }
}

const f = (x, d = 2) => x.toFixed(d);
const s = (ms) => (ms / 1000).toFixed(2);
let bad = 0;
for (const threads of builds) {
  const { badge, r } = await measure(threads);
  console.log(`${badge} · ${dataset}, shipped seed-1 models`);
  console.log(`  maps of one image: median (min) of ${images} test images, ms; test set: min over ${rounds} rounds (median wall), s`);
  console.log('  | model | maps of one image, engine ms | page round trip ms | test set, one call: engine s | wall s | as the page steps it: engine s | wall s (median) | calls | accuracy | manifest |');
  console.log('  |---|---|---|---|---|---|---|---|---|---|');
  for (const m of order) {
    const id = idOf(m);
    const x = r[id];
    const acc = x.correct / x.total;
    const ok = Math.round(want[id] * x.total) === x.correct;
    if (!ok) bad += 1;
    const what = x.fn === 'probabilities' ? ' (forward, no map)' : '';
    console.log(`  | ${nameOf(m)} | ${f(x.heatEng)} (${f(x.heatEngMin)})${what} | ${f(x.heatWall)} (${f(x.heatWallMin)}) | ${s(x.oneEng)} | ${s(x.oneWall)} | ${s(x.stepEng)} | ${s(x.stepWall)} (${s(x.stepWallMed)}) | ${x.calls} | ${(100 * acc).toFixed(2)} % | ${ok ? '=' : '≠'} ${(100 * want[id]).toFixed(2)} % |`);
  }
}
if (bad) {
  console.error(`bagnet-time: ${bad} accuracies differ from the manifest's`);
  process.exitCode = 1;
}
