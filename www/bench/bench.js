// The browser GEMM benchmark: ours (pkg/, pkg-parallel/ on 1 and all threads, and the relaxed-SIMD builds when they
// exist) against tfjs-backend-wasm (XNNPACK), onnxruntime-web and a naive JavaScript loop, plus the peak probe.
//
// Protocol, per workload: our pkg/ worker makes A, B (GemmBench.a()/b()) and the reference C (GemmBench.reference(),
// the plain three-loop twin); every other implementation gets those same A and B. Each implementation's C is checked
// against the reference (|c - ref| <= 1e-3 (1 + |ref|)) before anything is timed; a mismatch stops the run. Then a
// calibration run sizes each implementation's batch to ~`batch` ms, one warm-up batch, and `rounds` rounds in which
// every implementation runs one batch, in a rotating order, so drift hits all alike. Every batch is timed inside its
// worker with performance.now(). All wasm runs in Workers; threaded builds need cross-origin isolation.
//
// Page URL parameters: run=1 (start at once), shapes=n64,n512,mlp,... (a subset), rounds=10, batch=100 (ms).
// When done, window.benchResult holds the result (see report.js) and body[data-done="1"]; on failure
// body[data-error] has the message. Progress goes to the console as lines starting with "[bench]".

import { stats, fmtStats, shapeLabel, speedTable, ratioTable, goals, markdown } from './report.js';
import { Peer, exists, startPeers } from './peer.js';

const SHAPES = [
  { id: 'n64', m: 64, k: 64, n: 64, bt: false, what: 'square' },
  { id: 'n128', m: 128, k: 128, n: 128, bt: false, what: 'square' },
  { id: 'n256', m: 256, k: 256, n: 256, bt: false, what: 'square' },
  { id: 'n512', m: 512, k: 512, n: 512, bt: false, what: 'square' },
  { id: 'n1024', m: 1024, k: 1024, n: 1024, bt: false, what: 'square' },
  { id: 'mlp', m: 256, k: 784, n: 300, bt: true, what: 'MLP layer, batch 256 (B is the Linear weight, N x K)' },
  { id: 'crown0', m: 1000, k: 256, n: 784, bt: false, what: 'CROWN-IBP backward, Λ W₀' },
  { id: 'crown1', m: 2560, k: 256, n: 256, bt: false, what: 'CROWN-IBP backward, Λ W₁' },
  { id: 'attn', m: 512, k: 64, n: 512, bt: true, what: 'attention-like Q Kᵀ (K stored N x K)' },
];
/** The naive loop only runs up to this many multiply-adds (256³). */
const NAIVE_MAX = 256 ** 3;
const SETTLE_MS = 10; // a pause after each batch, so a peer's spinning pool threads do not steal the next batch's core
const TOL = 1e-3;

const params = new URLSearchParams(location.search);
const $ = (id) => document.getElementById(id);
const log = (msg) => {
  console.log(`[bench] ${msg}`);
  const el = $('log');
  el.textContent += `${msg}\n`;
  el.scrollTop = el.scrollHeight;
};
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

/** The implementations this browser can run, with their workers started and initialised. */
async function startImpls() {
  const N = navigator.hardwareConcurrency || 1;
  const iso = globalThis.crossOriginIsolated === true;
  const rel = (p) => new URL(p, document.baseURI).href;
  const relaxed = await exists(rel('../pkg-relaxed/paperlab.js'));
  const relaxedMt = iso && (await exists(rel('../pkg-parallel-relaxed/paperlab.js')));
  // The peers are npm packages of their own (bench/package.json); without them only ours and the loop run.
  const tfjs = await exists(rel('../bench/node_modules/@tensorflow/tfjs-backend-wasm/dist/tf-backend-wasm.min.js'));
  const ort = await exists(rel('../bench/node_modules/onnxruntime-web/dist/ort.wasm.min.mjs'));
  const specs = [
    { key: 'ours', label: 'ours pkg, 1 thread', kind: 'gemm', file: 'ours-worker.js', init: { dir: 'pkg' } },
  ];
  if (iso) {
    specs.push({ key: 'ours-mt1', label: 'ours pkg-parallel, 1 thread', kind: 'gemm', file: 'ours-worker.js',
      init: { dir: 'pkg-parallel', threads: 1 } });
    if (N > 1) {
      specs.push({ key: 'ours-mtN', label: `ours pkg-parallel, ${N} threads`, kind: 'gemm', file: 'ours-worker.js',
        init: { dir: 'pkg-parallel', threads: N } });
    }
  }
  if (relaxed) {
    specs.push({ key: 'rlx', label: 'ours pkg-relaxed, 1 thread', kind: 'gemm', file: 'ours-worker.js',
      init: { dir: 'pkg-relaxed' } });
  }
  if (relaxedMt && N > 1) {
    specs.push({ key: 'rlx-mtN', label: `ours pkg-parallel-relaxed, ${N} threads`, kind: 'gemm',
      file: 'ours-worker.js', init: { dir: 'pkg-parallel-relaxed', threads: N } });
  }
  if (tfjs) {
    specs.push({ key: 'xnn-1', label: 'XNNPACK (tfjs-wasm), 1 thread', kind: 'gemm', file: 'tfjs-worker.js',
      classic: true, init: { threads: 1 } });
    if (iso && N > 1) {
      specs.push({ key: 'xnn-N', label: `XNNPACK (tfjs-wasm), ${N} threads`, kind: 'gemm', file: 'tfjs-worker.js',
        classic: true, init: { threads: N } });
    }
  }
  if (ort) {
    specs.push({ key: 'ort-1', label: 'ORT-web, 1 thread', kind: 'gemm', file: 'ort-worker.js',
      init: { threads: 1 } });
    if (iso && N > 1) {
      specs.push({ key: 'ort-N', label: `ORT-web, ${N} threads`, kind: 'gemm', file: 'ort-worker.js',
        init: { threads: N } });
    }
  }
  specs.push({ key: 'naive', label: 'naive JS', kind: 'gemm', file: 'naive-worker.js', init: {},
    maxMacs: NAIVE_MAX });

  const impls = await startPeers(specs, log);

  // The peak probe: 1 thread in the pkg/ worker; all threads = N pkg/ workers probing at once (their total
  // FLOP over the slowest one's time).
  const ours = impls.find((i) => i.key === 'ours');
  const probe = (w) => `peak probe (${w}): 12 independent multiply-add chains in registers, no memory traffic`;
  impls.push({ key: 'peak-1', label: 'peak, 1 thread', kind: 'peak', peers: [ours.peer], threads: 1,
    info: probe(`pkg/, ${ours.info.split(';')[0]}`) });
  if (N > 1) {
    const peers = [ours.peer];
    for (let t = 1; t < N; t++) {
      const p = new Peer('ours-worker.js', { name: `peak-${t}` });
      await p.call('init', { dir: 'pkg' });
      peers.push(p);
    }
    impls.push({ key: 'peak-N', label: `peak, ${N} threads`, kind: 'peak', peers, threads: N,
      info: probe(`${N} pkg/ workers at once`) });
  }
  const rlx = impls.find((i) => i.key === 'rlx');
  if (rlx) {
    impls.push({ key: 'peak-rlx', label: 'relaxed peak, 1 thread', kind: 'peak', peers: [rlx.peer], threads: 1,
      info: probe(`pkg-relaxed/, ${rlx.info.split(';')[0]}`) });
  }
  const notes = [];
  if (!iso) notes.push('not cross-origin isolated: the threaded implementations are skipped');
  if (!relaxed) notes.push('no pkg-relaxed/ build: skipped');
  if (!relaxedMt) notes.push('no pkg-parallel-relaxed/ build (or no isolation): skipped');
  if (!tfjs || !ort) {
    notes.push(`${[!tfjs && 'tfjs-backend-wasm', !ort && 'onnxruntime-web'].filter(Boolean).join(' and ')} not`
      + ' installed on this server (npm ci --prefix bench, or make bench): skipped');
  }
  return { impls, N, iso, notes };
}

/** One batch of `impl`: returns `{ ms, flop }`. */
async function batch(impl, shape, reps) {
  if (impl.kind === 'peak') {
    const outs = await Promise.all(impl.peers.map((p) => p.call('peak', { iters: reps })));
    return { ms: Math.max(...outs.map((o) => o.ms)), flop: outs.reduce((s, o) => s + o.flop, 0) };
  }
  const ms = await impl.peer.call('run', { reps });
  return { ms, flop: 2 * shape.m * shape.k * shape.n * reps };
}

function check(impl, shape, c, ref) {
  if (!c || c.length !== ref.length) {
    throw new Error(`${impl.label} on ${shapeLabel(shape)}: C has ${c?.length} elements, expected ${ref.length}`);
  }
  let worst = 0;
  const bad = [];
  for (let i = 0; i < ref.length; i++) {
    const d = Math.abs(c[i] - ref[i]);
    const lim = TOL * (1 + Math.abs(ref[i]));
    if (!(d <= lim)) {
      if (bad.length < 4) bad.push(`C[${Math.floor(i / shape.n)},${i % shape.n}] = ${c[i]} vs ${ref[i]}`);
      worst = Math.max(worst, Number.isNaN(d) ? Infinity : d);
    }
  }
  if (bad.length) {
    throw new Error(`${impl.label} on ${shapeLabel(shape)} does not match the reference (tolerance 1e-3 (1 + |ref|)):`
      + ` max difference ${worst}; first: ${bad.join('; ')}`);
  }
}

async function runShape(ctx, shape, opt) {
  const { impls } = ctx;
  const macs = shape.m * shape.k * shape.n;
  const active = impls.filter((i) => !(i.maxMacs && macs > i.maxMacs));
  const ours = impls.find((i) => i.key === 'ours');
  log(`${shapeLabel(shape)}: operands and reference`);
  const { a, b, ref } = await ours.peer.call('setup', { ...shape, give: true });
  for (const impl of active) {
    if (impl.kind !== 'gemm' || impl === ours) continue;
    await impl.peer.call('setup', impl.file === 'ours-worker.js' ? { ...shape } : { ...shape, a, b });
  }
  // Check every implementation before anything is timed.
  for (const impl of active) {
    if (impl.kind !== 'gemm') continue;
    check(impl, shape, await impl.peer.call('result'), ref);
  }
  // Calibrate: a batch of one, then size the batch to ~opt.batch ms and run it once as the warm-up.
  const reps = new Map();
  for (const impl of active) {
    let r = impl.kind === 'peak' ? 1 << 18 : 1;
    for (let pass = 0; pass < 2; pass++) {
      const { ms } = await batch(impl, shape, r);
      r = Math.max(1, Math.round((r * opt.batch) / Math.max(ms, 0.01)));
    }
    reps.set(impl.key, r);
  }
  const runs = {};
  for (const impl of active) runs[impl.key] = { gflops: [], reps: reps.get(impl.key) };
  for (let round = 0; round < opt.rounds; round++) {
    for (let j = 0; j < active.length; j++) {
      const impl = active[(j + round) % active.length];
      const { ms, flop } = await batch(impl, shape, reps.get(impl.key));
      runs[impl.key].gflops.push(flop / ms / 1e6);
      await sleep(SETTLE_MS);
    }
  }
  for (const impl of active) if (impl.kind === 'gemm') await impl.peer.call('free');
  return runs;
}

// ---- page ----------------------------------------------------------------------------------------------------------

function renderTable(el, { head, rows }, cls = () => '') {
  const thead = `<tr>${head.map((h) => `<th>${h}</th>`).join('')}</tr>`;
  const body = rows.map((r) => `<tr>${r.map((c, j) => `<td class="${cls(c, j)}">${c}</td>`).join('')}</tr>`).join('');
  el.innerHTML = `<thead>${thead}</thead><tbody>${body}</tbody>`;
}

function render(result) {
  renderTable($('speed'), speedTable(result));
  const ratios = ratioTable(result);
  // Green where ours is ahead (or threads help); the peak columns are fractions of a ceiling, left uncoloured.
  renderTable($('ratios'), ratios, (c, j) => {
    const v = parseFloat(c);
    return j > 0 && Number.isFinite(v) && !ratios.head[j].includes('peak') ? (v >= 1 ? 'good' : 'bad') : '';
  });
  $('goals').innerHTML = goals(result)
    .filter((g) => !g.goal.startsWith('natively'))
    .map((g) => `<li class="${g.met == null ? '' : g.met ? 'good' : 'bad'}"><b>${g.met == null ? 'not measured'
      : g.met ? 'met' : 'missed'}</b>: ${g.goal} <span class="sub">(${g.detail})</span></li>`)
    .join('');
}

async function main() {
  const opt = {
    rounds: Math.max(1, Number(params.get('rounds')) || 10),
    batch: Math.max(5, Number(params.get('batch')) || 100),
  };
  const want = params.get('shapes')?.split(',').map((s) => s.trim()).filter(Boolean);
  const shapes = want ? SHAPES.filter((s) => want.includes(s.id)) : SHAPES;
  if (!shapes.length) throw new Error(`no workload matches shapes=${params.get('shapes')}; ids: ${SHAPES.map((s) => s.id)}`);
  $('run').disabled = true;
  $('status').textContent = 'starting the workers…';
  const t0 = performance.now();
  const ctx = await startImpls();
  const result = {
    env: {
      date: new Date().toISOString(),
      browser: (navigator.userAgent.match(/(HeadlessChrome|Chrome|Firefox|Version)\/[\d.]+/) || [navigator.userAgent])[0]
        + (/Safari/.test(navigator.userAgent) && !/Chrome/.test(navigator.userAgent) ? ' Safari' : ''),
      userAgent: navigator.userAgent,
      hardwareConcurrency: navigator.hardwareConcurrency,
      crossOriginIsolated: ctx.iso,
      rounds: opt.rounds,
      batchMs: opt.batch,
      notes: ctx.notes,
    },
    impls: ctx.impls.map(({ key, label, threads, info }) => ({ key, label, threads, info })),
    shapes: shapes.map(({ id, m, k, n, bt, what }) => ({ id, m, k, n, bt, what, runs: {} })),
  };
  window.benchResult = result;
  $('env').innerHTML = [
    `${result.env.browser}, hardwareConcurrency ${result.env.hardwareConcurrency}, cross-origin isolated:`
      + ` ${ctx.iso ? 'yes' : 'no'}`,
    ...result.impls.map((i) => `<b>${i.label}</b>: ${i.info}`),
    ...ctx.notes,
  ].map((x) => `<li>${x}</li>`).join('');
  render(result);
  for (const [i, shape] of shapes.entries()) {
    $('status').textContent = `running ${shapeLabel(shape)} (${i + 1} of ${shapes.length})…`;
    const runs = await runShape(ctx, shape, opt);
    result.shapes[i].runs = runs;
    render(result);
    log(`${shapeLabel(shape)}: ${ctx.impls.filter((m) => runs[m.key])
      .map((m) => `${m.key} ${fmtStats(stats(runs[m.key].gflops))}`).join(', ')}`);
  }
  result.env.seconds = Math.round((performance.now() - t0) / 1000);
  for (const impl of ctx.impls) impl.peer?.terminate();
  for (const p of ctx.impls.find((i) => i.key === 'peak-N')?.peers || []) p.terminate();
  $('status').textContent = `done in ${result.env.seconds} s`;
  $('markdown').textContent = markdown(result);
  $('markdown-box').hidden = false;
  log(`done in ${result.env.seconds} s`);
  document.body.dataset.done = '1';
  $('run').disabled = false;
}

function start() {
  main().catch((e) => {
    console.error(e);
    $('status').textContent = '';
    const box = $('error');
    box.textContent = `The benchmark failed: ${e.message}`;
    box.hidden = false;
    document.body.dataset.error = e.message;
  });
}

$('run').addEventListener('click', () => {
  if (document.body.dataset.done || document.body.dataset.error) {
    params.set('run', '1');
    location.search = params.toString();
  } else {
    start();
  }
});
if (!globalThis.crossOriginIsolated) {
  $('iso-note').hidden = false;
}
document.body.dataset.ready = '1';
if (params.get('run') === '1') start();
