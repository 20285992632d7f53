// onnxruntime-web (wasm execution provider, SIMD, `threads` intra-op threads) running a MatMul-only model
// (bench/models/matmul.onnx, or matmul_bt.onnx for B stored N x K). Same commands as ours-worker.js.
// Each call copies A and B into onnxruntime's heap and C out: that is what its API costs a caller.

import * as ort from '../../bench/node_modules/onnxruntime-web/dist/ort.wasm.min.mjs';
import { serve, timed } from './rpc.js';
import { convModel, softmaxModel, layerNormModel } from './onnx.js';

const MODELS = new URL('../../bench/models/', import.meta.url);
let sessions = null;
let s = null;

serve({
  async init({ threads }) {
    ort.env.wasm.wasmPaths = new URL('../../bench/node_modules/onnxruntime-web/dist/', import.meta.url).href;
    ort.env.wasm.numThreads = threads;
    ort.env.wasm.proxy = false;
    const opts = { executionProviders: ['wasm'], graphOptimizationLevel: 'all' };
    const load = async (name) => {
      const res = await fetch(new URL(name, MODELS));
      if (!res.ok) throw new Error(`bench/models/${name}: HTTP ${res.status}`);
      return ort.InferenceSession.create(new Uint8Array(await res.arrayBuffer()), opts);
    };
    sessions = { plain: await load('matmul.onnx'), bt: await load('matmul_bt.onnx') };
    return { kernel: `onnxruntime-web ${ort.env.versions?.web ?? ''} wasm`, threads: ort.env.wasm.numThreads };
  },
  setup({ m, k, n, bt, a, b }) {
    s = {
      session: bt ? sessions.bt : sessions.plain,
      feeds: { A: new ort.Tensor('float32', a, [m, k]), B: new ort.Tensor('float32', b, bt ? [n, k] : [k, n]) },
    };
    return null;
  },
  async result() {
    const out = await s.session.run(s.feeds);
    return out.C.data.slice();
  },
  run({ reps }) {
    return timed(async () => {
      for (let r = 0; r < reps; r++) {
        const out = await s.session.run(s.feeds);
        out.C.dispose();
      }
    });
  },
  free() {
    s = null;
  },
  // Conv (forward only: onnxruntime-web's wasm build has no training ops), Softmax and LayerNormalization, each a
  // one-node model made by onnx.js with the weights as initializers.
  async convSetup({ n, c, h, w, o, k, stride, pad, x, wt }) {
    const opts = { executionProviders: ['wasm'], graphOptimizationLevel: 'all' };
    const session = await ort.InferenceSession.create(convModel({ n, c, h, w, o, k, stride, pad }, wt), opts);
    s = { session, feeds: { X: new ort.Tensor('float32', x, [n, c, h, w]) } };
    return null;
  },
  async convResult() {
    const out = await s.session.run(s.feeds);
    return out.Y.data.slice();
  },
  convRun({ reps }) {
    return timed(async () => {
      for (let r = 0; r < reps; r++) (await s.session.run(s.feeds)).Y.dispose();
    });
  },
  async rowSetup({ rows, n, x, gamma, beta }) {
    const opts = { executionProviders: ['wasm'], graphOptimizationLevel: 'all' };
    s = {
      softmax: await ort.InferenceSession.create(softmaxModel(rows, n), opts),
      layernorm: await ort.InferenceSession.create(layerNormModel(rows, n, gamma, beta), opts),
      feeds: { X: new ort.Tensor('float32', x, [rows, n]) },
    };
    return null;
  },
  async rowResult({ kind }) {
    return (await s[kind].run(s.feeds)).Y.data.slice();
  },
  rowRun({ kind, reps }) {
    return timed(async () => {
      for (let r = 0; r < reps; r++) (await s[kind].run(s.feeds)).Y.dispose();
    });
  },
});
