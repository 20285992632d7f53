// Runs one of our builds (pkg/, pkg-parallel/, pkg-relaxed/, pkg-parallel-relaxed/) for the benchmark page.
//
//   init({ dir, threads })     load `dir`/paperlab.js; for a threaded build start a rayon pool of `threads`
//   setup({ m, k, n, bt, give })  a fresh GemmBench; with `give`, returns { a, b, ref } for the other workers
//   result()                   one GEMM; returns C
//   run({ reps })              `reps` GEMMs; returns the milliseconds they took
//   peak({ iters })            the peak probe; returns { ms, flop }

import { serve, timed } from './rpc.js';

let mod = null;
let bench = null;

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
});
