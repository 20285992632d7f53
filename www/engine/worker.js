// The engine worker: every WebAssembly call of the page runs here, never on the main thread.
//
// Driven by Comlink from engine.js. The API is lab-agnostic:
//   init({ parallel, relaxed, threads }) load pkg/ (SIMD, one thread) or pkg-parallel/ (threads + SIMD), or their
//                                        -relaxed variants (FMA), and start
//                                        the rayon pool; returns { threads, build }
//   open(key, className, urls, args)     fetch the byte files `urls` and construct
//                                        `new pkg[className](...bytes, ...args)`, kept under `key`; returns { ms }.
//                                        `className` "Cls.factory" calls the static `pkg.Cls.factory(...)` instead
//                                        (e.g. an empty session whose files the page adds when it needs them)
//   call(key, method, args)              `labs[key][method](...args)`; typed-array results are transferred
//   close(key)                           free the instance
// Errors thrown by the wasm facades (JsError) come back to the page as Error with their message; the instance is
// still fine. A trap (a Rust panic aborts to `unreachable`) leaves the instance unusable: the worker reports it as
// an error named "EnginePanic" with the panic message, refuses further calls, and engine.js starts a fresh worker
// and re-opens the labs, so the page keeps its state.

import { checkSha256 } from './checksums.js';
import { panicSummary } from './panic.js';
import * as Comlink from '../vendor/comlink.mjs';

let pkg = null;
let build = null;
/** The module's exports (memory included), from the wasm-bindgen init. */
let wasm = null;
let poisoned = null;
const labs = new Map();
const bytesCache = new Map();

// The panic hook prints the panic message with console.error just before the trap; keep the last one so the
// error the page shows says what went wrong.
let lastConsoleError = '';
const consoleError = console.error.bind(console);
console.error = (...args) => {
  lastConsoleError = args.map(String).join(' ');
  consoleError(...args);
};

function panicError(e) {
  const msg = lastConsoleError || (e && e.message) || String(e);
  const err = new Error(`The WebAssembly engine crashed: ${panicSummary(msg)}`);
  err.name = 'EnginePanic';
  return err;
}

// A trap (RuntimeError "unreachable", from a panic with panic=abort) or wasm-bindgen's "Module terminated" leaves
// the instance unusable. A PanicError (wasm-bindgen, panic=unwind builds) is an ordinary error: the instance is fine.
function isTrap(e) {
  return e instanceof WebAssembly.RuntimeError || (e && e.name === 'RuntimeError')
    || (e && /module terminated/i.test(String(e.message)));
}

/** Run `f`, turning a trap into a poisoned instance and a clear EnginePanic error. */
function guarded(f) {
  if (poisoned) throw poisoned;
  lastConsoleError = '';
  try {
    return f();
  } catch (e) {
    if (isTrap(e)) {
      poisoned = panicError(e);
      throw poisoned;
    }
    if (e && e.name === 'PanicError') {
      const err = new Error(`The engine panicked: ${String(e.message).split('\n')[0].slice(0, 300)}`);
      throw err;
    }
    if (e instanceof Error) throw e;
    throw new Error(typeof e === 'string' ? e : JSON.stringify(e));
  }
}

function transferable(v) {
  if (ArrayBuffer.isView(v)) {
    // Results from a shared-memory build may be views on a SharedArrayBuffer; copy those.
    const out = v.buffer instanceof ArrayBuffer ? v : v.slice();
    return Comlink.transfer(out, [out.buffer]);
  }
  return v;
}

async function fetchBytes(url) {
  if (bytesCache.has(url)) return bytesCache.get(url);
  let res;
  try {
    res = await fetch(url);
  } catch (e) {
    throw new Error(`Could not download ${shortName(url)}: ${e.message}. Check the connection and reload.`);
  }
  if (!res.ok) {
    throw new Error(`Could not download ${shortName(url)}: HTTP ${res.status} ${res.statusText}.`);
  }
  let bytes = new Uint8Array(await res.arrayBuffer());
  // A server may have decoded a .gz file on the way (Content-Encoding); the engine expects the gzip bytes. (Such a
  // file is not checked against its SHA-256 below — the bytes are not the shipped ones — but gzip's CRC-32 is.)
  if (url.endsWith('.gz') && bytes.length > 2 && !(bytes[0] === 0x1f && bytes[1] === 0x8b)) {
    const cs = new Blob([bytes]).stream().pipeThrough(new CompressionStream('gzip'));
    bytes = new Uint8Array(await new Response(cs).arrayBuffer());
  } else {
    await checkSha256(url, bytes);
  }
  bytesCache.set(url, bytes);
  return bytes;
}

function shortName(url) {
  try {
    const u = new URL(url);
    return u.pathname.replace(/^\//, '');
  } catch {
    return url;
  }
}

const api = {
  async init({ parallel = false, relaxed = false, threads = 1 } = {}) {
    if (pkg) return { threads: pkg.backend_threads(), build };
    const base = parallel ? 'pkg-parallel' : 'pkg';
    let name = relaxed ? `${base}-relaxed` : base;
    let mod;
    try {
      mod = await import(`../../${name}/paperlab.js`);
      wasm = await mod.default();
    } catch (e) {
      if (name === base) throw new Error(`Could not load the engine (${name}/paperlab.js): ${e.message}`);
      // The relaxed-SIMD build is an optimisation: fall back to the plain one.
      console.warn(`${name} failed to load, using ${base}:`, e);
      name = base;
      try {
        mod = await import(`../../${name}/paperlab.js`);
        wasm = await mod.default();
      } catch (e2) {
        throw new Error(`Could not load the engine (${name}/paperlab.js): ${e2.message}`);
      }
    }
    if (parallel) await mod.initThreadPool(Math.max(1, threads | 0));
    if (mod.init_panic_hook) mod.init_panic_hook();
    pkg = mod;
    build = name;
    return { threads: pkg.backend_threads(), build };
  },

  async open(key, className, urls, args = []) {
    if (poisoned) throw poisoned;
    if (!pkg) throw new Error('engine not initialised');
    const [clsName, factory] = className.split('.');
    const Cls = pkg[clsName];
    if (typeof Cls !== 'function' || (factory && typeof Cls[factory] !== 'function')) throw new Error(`engine has no ${className}; rebuild pkg/`);
    const bytes = await Promise.all(urls.map(fetchBytes));
    const t0 = performance.now();
    const lab = guarded(() => (factory ? Cls[factory](...bytes, ...args) : new Cls(...bytes, ...args)));
    const old = labs.get(key);
    if (old && old.free) guarded(() => old.free());
    labs.set(key, lab);
    return { ms: performance.now() - t0 };
  },

  call(key, method, args = []) {
    const lab = labs.get(key);
    if (poisoned) throw poisoned;
    if (!lab) throw new Error(`engine: ${key} is not open`);
    if (typeof lab[method] !== 'function') throw new Error(`engine: ${key} has no method ${method}`);
    const t0 = performance.now();
    const out = guarded(() => lab[method](...args));
    const ms = performance.now() - t0;
    return { value: transferable(out), ms };
  },

  close(key) {
    const lab = labs.get(key);
    labs.delete(key);
    if (lab && lab.free && !poisoned) guarded(() => lab.free());
  },

  /** The engine's footprint: the wasm linear memory in bytes and the number of open labs (soak tests). */
  stats() {
    return { memoryBytes: wasm?.memory?.buffer?.byteLength ?? 0, openLabs: labs.size };
  },

  /** For tests: a real Rust panic (`testPanic`, in packages built with the cargo feature test-hooks, as
   *  `make build-test` builds pkg-relaxed/), or, in a production package, the trap it ends in, simulated. Either
   *  way the instance is poisoned. Returns nothing; throws the EnginePanic. */
  crashForTest() {
    guarded(() => {
      if (typeof pkg?.testPanic === 'function') pkg.testPanic('test-hooks panic: a deliberate crash for a test');
      throw new WebAssembly.RuntimeError('unreachable (simulated panic for a test: this build has no test hooks)');
    });
  },

  /** Whether this package carries the test-only exports (feature test-hooks). */
  hasTestHooks() {
    return typeof pkg?.testPanic === 'function';
  },
};

Comlink.expose(api);
