// tfjs-backend-wasm (XNNPACK) for the benchmark page. A classic worker: tfjs ships UMD bundles that load with
// importScripts (module workers have no import maps for tfjs-backend-wasm's bare `@tensorflow/tfjs-core` import).
//
//   init({ threads })  threads = 1: tfjs-backend-wasm-simd.wasm; threads > 1: tfjs-backend-wasm-threaded-simd.wasm
//                      with a pool of `threads` (checked with getThreadsCount())
// Other commands as in ours-worker.js. The message loop is rpc.js's, inline.
// Conv: tfjs's layout is NHWC with HWIO filters, so x, w and dy (NCHW / OIHW from ours) are transposed once,
// untimed, and y / dx transposed back for the check. tfjs-backend-wasm 4.22 registers Conv2DBackpropInput but not
// Conv2DBackpropFilter (and tf-core.min.js registers no gradient functions), so only the input gradient is
// measured: tf.conv2dTranspose(dy, w), the Conv2DBackpropInput kernel a tf.grad of conv2d would call.

const DIST = '../../bench/node_modules/@tensorflow/';
let tf = null;
let s = null;

function timed(f) {
  const t0 = performance.now();
  f();
  return performance.now() - t0;
}

/** The transpose of a row-major rows x cols matrix. */
function transpose(x, rows, cols) {
  const t = new Float32Array(rows * cols);
  for (let i = 0; i < rows; i++) for (let j = 0; j < cols; j++) t[j * rows + i] = x[i * cols + j];
  return t;
}

const api = {
  async init({ threads }) {
    const multi = threads > 1;
    if (multi) {
      // tfjs-backend-wasm caps its pool at half of hardwareConcurrency; claim twice the cores so the pool can
      // have `threads` threads. This must happen before tfjs reads it.
      Object.defineProperty(self.navigator, 'hardwareConcurrency', { value: 2 * threads, configurable: true });
    }
    importScripts(`${DIST}tfjs-core/dist/tf-core.min.js`, `${DIST}tfjs-backend-wasm/dist/tf-backend-wasm.min.js`);
    tf = self.tf;
    tf.env().set('WASM_HAS_SIMD_SUPPORT', true);
    tf.env().set('WASM_HAS_MULTITHREAD_SUPPORT', multi);
    tf.wasm.setWasmPaths(new URL(`${DIST}tfjs-backend-wasm/dist/`, location.href).href);
    if (multi) tf.wasm.setThreadsCount(threads);
    if (!(await tf.setBackend('wasm'))) throw new Error('tfjs: the wasm backend failed to start');
    await tf.ready();
    const got = tf.wasm.getThreadsCount();
    if (got !== threads) throw new Error(`tfjs-backend-wasm runs ${got} thread(s), wanted ${threads}`);
    const file = multi ? 'tfjs-backend-wasm-threaded-simd.wasm' : 'tfjs-backend-wasm-simd.wasm';
    return { kernel: `tfjs ${tf.version_core} ${file}`, threads: got };
  },
  setup({ m, k, n, bt, a, b }) {
    if (s) tf.dispose([s.a, s.b]);
    // tfjs sends matMul(a, b, false, true) to a plain loop, not XNNPACK, so B stored N x K is given to it
    // transposed once here (as a tfjs dense layer stores its kernel: K x N), outside the timing.
    s = { a: tf.tensor2d(a, [m, k]), b: tf.tensor2d(bt ? transpose(b, n, k) : b, [k, n]) };
    return null;
  },
  result() {
    const c = tf.matMul(s.a, s.b);
    const out = c.dataSync().slice();
    c.dispose();
    return out;
  },
  run({ reps }) {
    // The wasm backend runs each op synchronously, so the loop times the products themselves.
    return timed(() => {
      for (let r = 0; r < reps; r++) tf.matMul(s.a, s.b).dispose();
    });
  },
  free() {
    if (s) tf.dispose([s.a, s.b]);
    s = null;
  },
  convSetup({ n, c, h, w, o, k, stride, pad, x, wt, dy }) {
    if (cv) tf.dispose([cv.x, cv.w, cv.dy]);
    const oh = Math.floor((h + 2 * pad - k) / stride) + 1;
    const ow = Math.floor((w + 2 * pad - k) / stride) + 1;
    cv = {
      shape: { n, c, h, w, o, k, stride, pad, oh, ow },
      x: tf.tensor4d(permute(x, [n, c, h, w], [0, 2, 3, 1]), [n, h, w, c]),
      w: tf.tensor4d(permute(wt, [o, c, k, k], [2, 3, 1, 0]), [k, k, c, o]),
      dy: tf.tensor4d(permute(dy, [n, o, oh, ow], [0, 2, 3, 1]), [n, oh, ow, o]),
    };
    cv.f = (xx, ww) => tf.conv2d(xx, ww, stride, pad);
    cv.t = () => tf.conv2dTranspose(cv.dy, cv.w, [n, h, w, c], stride, pad);
    return null;
  },
  convResult({ pass }) {
    const { n, c, h, w, o, oh, ow } = cv.shape;
    if (pass === 'fwd') {
      const y = cv.f(cv.x, cv.w);
      const out = permute(y.dataSync(), [n, oh, ow, o], [0, 3, 1, 2]);
      y.dispose();
      return out;
    }
    if (pass !== 'dx') throw new Error('tfjs-backend-wasm has no Conv2DBackpropFilter kernel: weight gradient n/a');
    const dx = cv.t();
    const out = { dx: permute(dx.dataSync(), [n, h, w, c], [0, 3, 1, 2]) };
    dx.dispose();
    return out;
  },
  convRun({ pass, reps }) {
    return timed(() => {
      for (let r = 0; r < reps; r++) {
        if (pass === 'fwd') cv.f(cv.x, cv.w).dispose();
        else cv.t().dispose();
      }
    });
  },
  rowSetup({ rows, n, x }) {
    if (rw) rw.x.dispose();
    rw = { x: tf.tensor2d(x, [rows, n]) };
    return null;
  },
  rowResult({ kind }) {
    if (kind !== 'softmax') throw new Error(`tfjs: no ${kind} op`);
    const y = tf.softmax(rw.x);
    const out = y.dataSync().slice();
    y.dispose();
    return out;
  },
  rowRun({ reps }) {
    return timed(() => {
      for (let r = 0; r < reps; r++) tf.softmax(rw.x).dispose();
    });
  },
};

let cv = null;
let rw = null;

/** `x` with shape `dims` (row-major) permuted: output axis i is input axis perm[i]. */
function permute(x, dims, perm) {
  const od = perm.map((p) => dims[p]);
  const stride = dims.map((_, i) => dims.slice(i + 1).reduce((a, b) => a * b, 1));
  const ps = perm.map((p) => stride[p]);
  const out = new Float32Array(x.length);
  const idx = new Array(od.length).fill(0);
  for (let t = 0; t < out.length; t++) {
    let src = 0;
    for (let i = 0; i < od.length; i++) src += idx[i] * ps[i];
    out[t] = x[src];
    for (let i = od.length - 1; i >= 0; i--) {
      if (++idx[i] < od[i]) break;
      idx[i] = 0;
    }
  }
  return out;
}

self.onmessage = async (ev) => {
  const { id, cmd, args } = ev.data;
  try {
    if (typeof api[cmd] !== 'function') throw new Error(`worker: unknown command ${cmd}`);
    const value = await api[cmd](args || {});
    self.postMessage({ id, value }, ArrayBuffer.isView(value) ? [value.buffer] : []);
  } catch (e) {
    self.postMessage({ id, error: String((e && e.message) || e) });
  }
};
