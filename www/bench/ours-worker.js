// Runs one of our builds (pkg/, pkg-parallel/, pkg-relaxed/, pkg-parallel-relaxed/) for the benchmark page.
//
//   init({ dir, threads })     load `dir`/paperlab.js; for a threaded build start a rayon pool of `threads`
//   setup({ m, k, n, bt, give })  a fresh GemmBench; with `give`, returns { a, b, ref } for the other workers
//   result()                   one GEMM; returns C
//   run({ reps })              `reps` GEMMs; returns the milliseconds they took
//   peak({ iters })            the peak probe; returns { ms, flop }
//   convSetup({ n, c, h, w, o, k, stride, pad, give })  a fresh ConvBench; with `give`, returns { x, w, dy, ref }
//                              (ref: the seven-loop forward of the first 2 images)
//   convResult({ pass })       one forward ('fwd': returns y), backward ('bwd': { dx, dw }) or input gradient ('dx': { dx })
//   convRun({ pass, reps })    `reps` passes; returns the milliseconds
//   rowSetup({ rows, n, give }) a fresh RowBench; with `give`, returns { x, gamma, beta }
//   rowResult({ kind })        one call of softmax / softmax-scalar / layernorm / layernorm-scalar; returns y
//   rowRun({ kind, reps })     `reps` calls; returns the milliseconds

import { serve, timed } from './rpc.js';

let mod = null;
let bench = null;
let conv = null;
let row = null;

serve({
  async init({ dir, threads }) {
    mod = await import(`../../${dir}/paperlab.js`);
    await mod.default();
    if (mod.init_panic_hook) mod.init_panic_hook();
    if (threads) {
      if (typeof mod.initThreadPool !== 'function') throw new Error(`${dir} has no thread pool`);
      await mod.initThreadPool(threads);
    }
    return { kernel: mod.gemm_kernel_name(), threads: mod.backend_threads() };
  },

  setup({ m, k, n, bt, give }) {
    bench?.free();
    bench = new mod.GemmBench(m, k, n, bt);
    if (give) return { a: bench.a(), b: bench.b(), ref: bench.reference() };
    return null;
  },

  result() {
    bench.run(1);
    return bench.c();
  },

  run({ reps }) {
    return timed(() => bench.run(reps));
  },

  async peak({ iters }) {
    let sum = 0;
    const ms = await timed(() => {
      sum = mod.peak_probe(iters, 1 + Math.random());
    });
    if (!Number.isFinite(sum)) throw new Error('peak probe returned a non-finite checksum');
    return { ms, flop: mod.peak_probe_flops(iters) };
  },

  free() {
    bench?.free();
    bench = null;
  },

  convSetup({ n, c, h, w, o, k, stride, pad, give }) {
    conv?.free();
    conv = new mod.ConvBench(n, c, h, w, o, k, stride, pad);
    if (give) return { x: conv.x(), w: conv.w(), dy: conv.dy(), ref: conv.reference(2) };
    return null;
  },

  convResult({ pass }) {
    if (pass === 'fwd') {
      conv.run(1);
      return conv.y();
    }
    if (pass === 'dx') {
      conv.run_dx(1);
      return { dx: conv.dx() };
    }
    conv.run_backward(1);
    return { dx: conv.dx(), dw: conv.dw() };
  },

  convRun({ pass, reps }) {
    return timed(() => (pass === 'fwd' ? conv.run(reps) : pass === 'dx' ? conv.run_dx(reps) : conv.run_backward(reps)));
  },

  rowSetup({ rows, n, give }) {
    row?.free();
    row = new mod.RowBench(rows, n);
    if (give) return { x: row.x(), gamma: row.gamma(), beta: row.beta() };
    return null;
  },

  rowResult({ kind }) {
    row.run(kind, 1);
    return row.y();
  },

  rowRun({ kind, reps }) {
    return timed(() => row.run(kind, reps));
  },
});
