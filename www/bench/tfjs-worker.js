// tfjs-backend-wasm (XNNPACK) for the benchmark page. A classic worker: tfjs ships UMD bundles that load with
// importScripts (module workers have no import maps for tfjs-backend-wasm's bare `@tensorflow/tfjs-core` import).
//
//   init({ threads })  threads = 1: tfjs-backend-wasm-simd.wasm; threads > 1: tfjs-backend-wasm-threaded-simd.wasm
//                      with a pool of `threads` (checked with getThreadsCount())
// Other commands as in ours-worker.js. The message loop is rpc.js's, inline.

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
};

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
