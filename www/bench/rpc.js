// The benchmark workers' message loop: `{ id, cmd, args }` in, `{ id, value }` or `{ id, error }` out. A typed
// array in the reply is transferred (copied first when it views a SharedArrayBuffer). Used by the module workers;
// tfjs-worker.js (a classic worker) has the same loop inline.

export function serve(api) {
  self.onmessage = async (ev) => {
    const { id, cmd, args } = ev.data;
    try {
      if (typeof api[cmd] !== 'function') throw new Error(`worker: unknown command ${cmd}`);
      const value = await api[cmd](args || {});
      const out = ArrayBuffer.isView(value) && !(value.buffer instanceof ArrayBuffer) ? value.slice() : value;
      self.postMessage({ id, value: out }, ArrayBuffer.isView(out) ? [out.buffer] : []);
    } catch (e) {
      self.postMessage({ id, error: String((e && e.message) || e) });
    }
  };
}

/** Milliseconds taken by `f()` (awaited). */
export async function timed(f) {
  const t0 = performance.now();
  await f();
  return performance.now() - t0;
}
