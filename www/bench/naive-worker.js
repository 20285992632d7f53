// The naive JavaScript peer: the plain triple loop over Float32Arrays, in the order that suits the layout
// (i-p-j row updates for B stored K x N, i-j-p dot products for B stored N x K). Same commands as ours-worker.js.

import { serve, timed } from './rpc.js';

let s = null;

function gemm({ m, k, n, bt, a, b, c }) {
  if (bt) {
    for (let i = 0; i < m; i++) {
      for (let j = 0; j < n; j++) {
        let acc = 0;
        for (let p = 0; p < k; p++) acc += a[i * k + p] * b[j * k + p];
        c[i * n + j] = acc;
      }
    }
  } else {
    for (let i = 0; i < m; i++) {
      const row = c.subarray(i * n, (i + 1) * n);
      row.fill(0);
      for (let p = 0; p < k; p++) {
        const aip = a[i * k + p];
        const off = p * n;
        for (let j = 0; j < n; j++) row[j] += aip * b[off + j];
      }
    }
  }
}

serve({
  init() {
    return { kernel: 'JavaScript triple loop', threads: 1 };
  },
  setup({ m, k, n, bt, a, b }) {
    s = { m, k, n, bt, a, b, c: new Float32Array(m * n) };
    return null;
  },
  result() {
    gemm(s);
    return s.c.slice();
  },
  run({ reps }) {
    return timed(() => {
      for (let r = 0; r < reps; r++) gemm(s);
    });
  },
  free() {
    s = null;
  },
});
