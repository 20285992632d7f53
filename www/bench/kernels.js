// The browser kernel benchmark: Conv2d forward and backward on the labs' shapes, and softmax / layer norm rows,
// ours (pkg/ 1 thread, pkg-parallel/ on 1 and all threads, pkg-relaxed/ when built) against XNNPACK inside
// tfjs-backend-wasm (conv2d, its tf.grads backward, softmax), onnxruntime-web (Conv, Softmax, LayerNormalization;
// forward only; tfjs-wasm has the input gradient but no weight-gradient kernel) and, for the row kernels, our own scalar twins in the same pkg/ build.
//
// Protocol as bench.html's: our pkg/ worker makes the operands; every peer gets the same ones; each result is
// checked before anything is timed (conv forward: against the seven-loop twin on the first 2 images; conv backward
// and the row kernels: against ours, itself tested natively against f64 twins and finite differences); then batches
// of ~`batch` ms, interleaved over `rounds` rounds in a rotating order. Cells are GFLOP/s (conv: 2 FLOP per
// multiply-add forward, 4 backward = dx + dw) or million rows/s, median (min–max).
//
// URL parameters: run=1, shapes=mnist1,mnist2,... (a subset), rounds=7, batch=100. When done: window.benchResult,
// window.benchMarkdown, body[data-done="1"]; on failure body[data-error].

import { exists, startPeers } from './peer.js';

const CONVS = [
  { id: 'mnist1', n: 64, c: 1, h: 28, w: 28, o: 16, k: 4, stride: 2, pad: 1,
    what: 'MNIST conv 1 = the verify CNN conv 1 (1→16 4×4 s2 p1)' },
  { id: 'mnist2', n: 64, c: 16, h: 14, w: 14, o: 32, k: 4, stride: 1, pad: 1, what: 'MNIST conv 2 (16→32 4×4 s1 p1)' },
  { id: 'bag1x1', n: 16, c: 64, h: 28, w: 28, o: 64, k: 1, stride: 1, pad: 0, what: 'BagNet 1×1 (64→64)' },
  { id: 'bag3x3', n: 16, c: 64, h: 28, w: 28, o: 64, k: 3, stride: 1, pad: 1, what: 'BagNet 3×3 (64→64 p1)' },
  { id: 'bag3x3b1', n: 1, c: 64, h: 28, w: 28, o: 64, k: 3, stride: 1, pad: 1, what: 'BagNet 3×3 (64→64 p1)' },
];
const ROWS = [
  { id: 'r64', rows: 4096, n: 64 },
  { id: 'r256', rows: 1024, n: 256 },
  { id: 'r1024', rows: 256, n: 1024 },
];
const SETTLE_MS = 10;

const params = new URLSearchParams(location.search);
const $ = (id) => document.getElementById(id);
const log = (msg) => {
  console.log(`[bench] ${msg}`);
  $('log').textContent += `${msg}\n`;
};
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

async function startImpls() {
  const N = navigator.hardwareConcurrency || 1;
  const iso = globalThis.crossOriginIsolated === true;
  const rel = (p) => new URL(p, document.baseURI).href;
  const has = {
    mt: iso && (await exists(rel('../pkg-parallel/paperlab.js'))),
    relaxed: await exists(rel('../pkg-relaxed/paperlab.js')),
    relaxedMt: iso && (await exists(rel('../pkg-parallel-relaxed/paperlab.js'))),
    tfjs: await exists(rel('../bench/node_modules/@tensorflow/tfjs-backend-wasm/dist/tf-backend-wasm.min.js')),
    ort: await exists(rel('../bench/node_modules/onnxruntime-web/dist/ort.wasm.min.mjs')),
  };
  const specs = [{ key: 'ours', label: 'ours pkg, 1 thread', file: 'ours-worker.js', init: { dir: 'pkg' }, ours: true }];
  if (has.mt) {
    specs.push({ key: 'ours-mt1', label: 'ours pkg-parallel, 1 thread', file: 'ours-worker.js',
      init: { dir: 'pkg-parallel', threads: 1 }, ours: true });
    if (N > 1) {
      specs.push({ key: 'ours-mtN', label: `ours pkg-parallel, ${N} threads`, file: 'ours-worker.js',
        init: { dir: 'pkg-parallel', threads: N }, ours: true });
    }
  }
  if (has.relaxed) {
    specs.push({ key: 'rlx', label: 'ours pkg-relaxed, 1 thread', file: 'ours-worker.js', init: { dir: 'pkg-relaxed' },
      ours: true });
  }
  if (has.relaxedMt && N > 1) {
    specs.push({ key: 'rlx-mtN', label: `ours pkg-parallel-relaxed, ${N} threads`, file: 'ours-worker.js',
      init: { dir: 'pkg-parallel-relaxed', threads: N }, ours: true });
  }
  if (has.tfjs) {
    specs.push({ key: 'xnn-1', label: 'XNNPACK (tfjs-wasm), 1 thread', file: 'tfjs-worker.js', classic: true,
      init: { threads: 1 } });
    if (iso && N > 1) {
      specs.push({ key: 'xnn-N', label: `XNNPACK (tfjs-wasm), ${N} threads`, file: 'tfjs-worker.js', classic: true,
        init: { threads: N } });
    }
  }
  if (has.ort) {
    specs.push({ key: 'ort-1', label: 'ORT-web, 1 thread', file: 'ort-worker.js', init: { threads: 1 } });
    if (iso && N > 1) {
      specs.push({ key: 'ort-N', label: `ORT-web, ${N} threads`, file: 'ort-worker.js', init: { threads: N } });
    }
  }
  const impls = await startPeers(specs, log);
  const notes = [];
  if (!has.mt) notes.push('no pkg-parallel/ build (or no isolation): ours on threads skipped');
  if (!has.relaxed) notes.push('no pkg-relaxed/ build: skipped');
  if (!has.relaxedMt) notes.push('no pkg-parallel-relaxed/ build: skipped');
  if (!has.tfjs || !has.ort) notes.push('a peer is not installed (npm ci --prefix bench): skipped');
  return { impls, N, iso, notes };
}

function compare(what, got, want, tol) {
  if (!got || got.length < want.length) throw new Error(`${what}: ${got?.length} values, expected ${want.length}`);
  let worst = 0;
  let at = -1;
  for (let i = 0; i < want.length; i++) {
    const d = Math.abs(got[i] - want[i]) / (1 + Math.abs(want[i]));
    if (!(d <= worst)) {
      worst = Number.isNaN(d) ? Infinity : d;
      at = i;
    }
  }
  if (!(worst <= tol)) throw new Error(`${what}: differs at ${at}: ${got[at]} vs ${want[at]} (tolerance ${tol} (1 + |ref|))`);
}

/** Calibrates and races `entries` ({ key, run(reps) -> ms, units(reps) }); returns { key: [rates] }. */
async function race(entries, opt) {
  const reps = new Map();
  for (const e of entries) {
    let r = 1;
    for (let pass = 0; pass < 2; pass++) {
      const ms = await e.run(r);
      r = Math.max(1, Math.round((r * opt.batch) / Math.max(ms, 0.01)));
    }
    reps.set(e.key, r);
  }
  const out = Object.fromEntries(entries.map((e) => [e.key, []]));
  for (let round = 0; round < opt.rounds; round++) {
    for (let j = 0; j < entries.length; j++) {
      const e = entries[(j + round) % entries.length];
      const r = reps.get(e.key);
      const ms = await e.run(r);
      out[e.key].push(e.units(r) / ms);
      await sleep(SETTLE_MS);
    }
  }
  return out;
}

async function runConv(ctx, s, opt) {
  const ours = ctx.impls[0];
  log(`${s.id}: operands and reference`);
  const give = await ours.peer.call('convSetup', { ...s, give: true });
  for (const impl of ctx.impls.slice(1)) {
    await impl.peer.call('convSetup', impl.ours ? { ...s } : { ...s, x: give.x, wt: give.w, dy: give.dy });
  }
  const macs = s.n * s.o * (Math.floor((s.h + 2 * s.pad - s.k) / s.stride) + 1)
    * (Math.floor((s.w + 2 * s.pad - s.k) / s.stride) + 1) * s.c * s.k * s.k;
  const fwd = [];
  for (const impl of ctx.impls) {
    compare(`${impl.label} conv ${s.id} forward`, await impl.peer.call('convResult', { pass: 'fwd' }), give.ref, 1e-4);
    fwd.push({ key: impl.key, run: (reps) => impl.peer.call('convRun', { pass: 'fwd', reps }), units: (r) => 2 * macs * r / 1e6 });
  }
  const grads = {};
  const skipped = {};
  for (const pass of ['bwd', 'dx']) {
    const want = await ours.peer.call('convResult', { pass });
    grads[pass] = [];
    for (const impl of ctx.impls) {
      if (impl.key.startsWith('ort')) {
        skipped[impl.key] = 'no backward (inference build)';
        continue;
      }
      let got;
      try {
        got = await impl.peer.call('convResult', { pass });
      } catch (e) {
        skipped[`${impl.key} ${pass}`] = e.message;
        continue;
      }
      compare(`${impl.label} conv ${s.id} dx`, got.dx, want.dx, 1e-3);
      if (pass === 'bwd') compare(`${impl.label} conv ${s.id} dw`, got.dw, want.dw, 1e-3);
      grads[pass].push({ key: impl.key, run: (reps) => impl.peer.call('convRun', { pass, reps }),
        units: (r) => (pass === 'bwd' ? 4 : 2) * macs * r / 1e6 });
    }
  }
  return { fwd: await race(fwd, opt), bwd: await race(grads.bwd, opt), dx: await race(grads.dx, opt), skipped };
}

async function runRows(ctx, shape, opt) {
  const ours = ctx.impls[0];
  const give = await ours.peer.call('rowSetup', { ...shape, give: true });
  for (const impl of ctx.impls.slice(1)) {
    if (impl.key.includes('-mt') || impl.key.endsWith('-N')) continue; // row kernels are one-thread loops
    await impl.peer.call('rowSetup', impl.ours ? { ...shape } : { ...shape, ...give });
  }
  const out = {};
  for (const kind of ['softmax', 'layernorm']) {
    const want = await ours.peer.call('rowResult', { kind: `${kind}-scalar` });
    const entries = [{ key: 'scalar', run: (reps) => ours.peer.call('rowRun', { kind: `${kind}-scalar`, reps }) }];
    for (const impl of ctx.impls) {
      if (impl.key.includes('-mt') || impl.key.endsWith('-N')) continue;
      if (kind === 'layernorm' && impl.key.startsWith('xnn')) continue; // tfjs has no layer-norm op
      compare(`${impl.label} ${kind} ${shape.id}`, await impl.peer.call('rowResult', { kind }), want, 1e-5);
      entries.push({ key: impl.key, run: (reps) => impl.peer.call('rowRun', { kind, reps }) });
    }
    for (const e of entries) e.units = (r) => shape.rows * r / 1e3;
    out[kind] = await race(entries, opt);
  }
  return out;
}

const median = (v) => [...v].sort((a, b) => a - b)[v.length >> 1];
const fmt = (v) => {
  const x = [...v].sort((a, b) => a - b);
  const f = (y) => (y >= 100 ? y.toFixed(0) : y >= 10 ? y.toFixed(1) : y.toFixed(2));
  return `${f(median(x))} (${f(x[0])}–${f(x[x.length - 1])})`;
};

function markdown(result) {
  const L = [];
  const e = result.env;
  L.push(`Measured ${e.date} · ${e.cpu || ''} · ${e.browser} · hardwareConcurrency ${e.hardwareConcurrency} · 1-min load`
    + ` average during the run ${e.loadavg ? `${e.loadavg.min}–${e.loadavg.max}` : 'n/a'} · ${e.seconds} s`, '');
  for (const i of result.impls) L.push(`- **${i.label}**: ${i.info}`);
  for (const n of e.notes) L.push(`- ${n}`);
  const keys = result.impls.map((i) => i.key);
  const label = (k) => result.impls.find((i) => i.key === k)?.label || k;
  for (const pass of ['fwd', 'dx', 'bwd']) {
    L.push('', `Conv2d ${{ fwd: 'forward', dx: 'input gradient dx alone', bwd: 'backward (dx + dw)' }[pass]}, GFLOP/s, median (min–max):`, '');
    L.push(`| shape | ${keys.map(label).join(' | ')} |`, `|---|${keys.map(() => '--:').join('|')}|`);
    for (const c of result.convs) {
      L.push(`| ${c.what}, batch ${c.n} | ${keys.map((k) => (c[pass][k] ? fmt(c[pass][k]) : '–')).join(' | ')} |`);
    }
    const pairs = [['ours', 'xnn-1', '1 thread'], ['ours-mtN', 'xnn-N', 'all threads'], ['rlx', 'xnn-1', 'relaxed, 1 thread'],
      ['ours', 'ort-1', '1 thread'], ['ours-mtN', 'ort-N', 'all threads'], ['rlx-mtN', 'xnn-N', 'relaxed, all threads'], ['ours-mtN', 'ours-mt1', 'scaling ours'],
      ['xnn-N', 'xnn-1', 'scaling XNNPACK']].filter(([a, b]) => keys.includes(a) && keys.includes(b));
    L.push('', `Ratios of the medians (${pass}):`, '', `| shape | ${pairs.map(([a, b, t]) => (t.startsWith('scaling') ? t
      : `${label(a).split(',')[0]} / ${label(b).split(',')[0]}, ${t}`)).join(' | ')} |`, `|---|${pairs.map(() => '--:').join('|')}|`);
    for (const c of result.convs) {
      L.push(`| ${c.id} | ${pairs.map(([a, b]) => (c[pass][a] && c[pass][b]
        ? `${(median(c[pass][a]) / median(c[pass][b])).toFixed(2)}x` : '–')).join(' | ')} |`);
    }
  }
  const skips = result.convs.flatMap((c) => Object.entries(c.skipped).map(([k, why]) => `${label(k.split(' ')[0])}${k.includes(' ') ? ` (${k.split(' ')[1]})` : ''}: ${why}`));
  if (skips.length) L.push('', 'Backward not measured:', '', ...[...new Set(skips)].map((x) => `- ${x}`));
  for (const kind of ['softmax', 'layernorm']) {
    const ks = ['scalar', ...keys.filter((k) => result.rows.some((r) => r[kind][k]))];
    L.push('', `${kind === 'softmax' ? 'Softmax' : 'Layer norm'} rows, million rows/s (1 thread), median (min–max):`, '');
    L.push(`| R × N | ${ks.map((k) => (k === 'scalar' ? 'scalar twin (pkg/)' : label(k))).join(' | ')} | ours / scalar |`
      + `${ks.includes('xnn-1') ? ' ours / XNNPACK |' : ''}${ks.includes('ort-1') ? ' ours / ORT |' : ''}`);
    L.push(`|---|${ks.map(() => '--:').join('|')}|--:|${ks.includes('xnn-1') ? '--:|' : ''}${ks.includes('ort-1') ? '--:|' : ''}`);
    for (const r of result.rows) {
      const m = (k) => median(r[kind][k]);
      L.push(`| ${r.rows} × ${r.n} | ${ks.map((k) => fmt(r[kind][k])).join(' | ')} | ${(m('ours') / m('scalar')).toFixed(2)}x |`
        + `${ks.includes('xnn-1') ? ` ${(m('ours') / m('xnn-1')).toFixed(2)}x |` : ''}`
        + `${ks.includes('ort-1') ? ` ${(m('ours') / m('ort-1')).toFixed(2)}x |` : ''}`);
    }
  }
  return L.join('\n');
}

async function main() {
  const opt = { rounds: Math.max(1, Number(params.get('rounds')) || 7), batch: Math.max(5, Number(params.get('batch')) || 100) };
  const want = params.get('shapes')?.split(',').map((s) => s.trim()).filter(Boolean);
  const convs = want ? CONVS.filter((s) => want.includes(s.id)) : CONVS;
  const rows = want ? ROWS.filter((s) => want.includes(s.id)) : ROWS;
  $('run').disabled = true;
  const t0 = performance.now();
  const ctx = await startImpls();
  const result = {
    env: { date: new Date().toISOString(), browser: (navigator.userAgent.match(/(HeadlessChrome|Chrome|Firefox)\/[\d.]+/) || [''])[0],
      hardwareConcurrency: navigator.hardwareConcurrency, crossOriginIsolated: ctx.iso, rounds: opt.rounds, batchMs: opt.batch,
      notes: ctx.notes },
    impls: ctx.impls.map(({ key, label, threads, info }) => ({ key, label, threads, info })),
    convs: [],
    rows: [],
  };
  window.benchResult = result;
  for (const s of convs) {
    $('status').textContent = `conv ${s.id}…`;
    const r = await runConv(ctx, s, opt);
    result.convs.push({ ...s, ...r });
    log(`${s.id}: fwd ${Object.entries(r.fwd).map(([k, v]) => `${k} ${fmt(v)}`).join(', ')}`);
    log(`${s.id}: bwd ${Object.entries(r.bwd).map(([k, v]) => `${k} ${fmt(v)}`).join(', ')}`);
    log(`${s.id}: dx ${Object.entries(r.dx).map(([k, v]) => `${k} ${fmt(v)}`).join(', ')}`);
  }
  for (const s of rows) {
    $('status').textContent = `rows ${s.id}…`;
    result.rows.push({ ...s, ...(await runRows(ctx, s, opt)) });
    log(`rows ${s.id} done`);
  }
  result.env.seconds = Math.round((performance.now() - t0) / 1000);
  for (const impl of ctx.impls) impl.peer.worker.terminate();
  window.benchMarkdown = () => markdown(result);
  $('markdown').textContent = markdown(result);
  $('status').textContent = `done in ${result.env.seconds} s`;
  document.body.dataset.done = '1';
  $('run').disabled = false;
}

function start() {
  main().catch((e) => {
    console.error(e);
    $('error').textContent = `The benchmark failed: ${e.message}`;
    $('error').hidden = false;
    document.body.dataset.error = e.message;
  });
}
$('run').addEventListener('click', start);
document.body.dataset.ready = '1';
if (params.get('run') === '1') start();
