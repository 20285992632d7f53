// The engine: picks the WebAssembly build, starts the module Worker that runs it, and forwards calls via Comlink.
//
//   const engine = getEngine();           // one per page, started on first use
//   await engine.ready;                   // { kind: 'threads' | 'simd', threads, reason }
//   engine.badge()                        // "threads + SIMD · 2 threads" or "SIMD · 1 thread"
//   const lab = engine.lab('verify:mlp-natural', 'VerifyLab', [modelUrl, dataUrl]);   // (…, urls, extraArgs)
//   await lab.open();                     // fetch + construct in the worker
//   const { value, ms } = await lab.call('digit_bounds', [17, 0.1, 'crown-ibp', 1]);
//
// Build choice: pkg-parallel (threads + SIMD, wasm-bindgen-rayon) when the page is cross-origin isolated and the
// browser has wasm threads; otherwise pkg (SIMD, one thread). Where the browser has relaxed SIMD, the "-relaxed"
// variant of that build runs (fused multiply-add in the GEMM kernel; same results up to rounding); `?relaxed=0`
// on the page URL turns it off, and a relaxed build that fails to load falls back to the plain one. If the threaded build fails to start, fall back to
// pkg and say why. If the worker reports a crash (a Rust panic poisons the instance), start a fresh worker, re-open
// the labs that were open, and tell listeners; the page keeps its state.

import * as Comlink from '../vendor/comlink.mjs';
import { relaxedSimd, simd, threads } from '../vendor/index.js';

const WORKER_URL = new URL('./worker.js', import.meta.url);

/**
 * How the page is (or is not) cross-origin isolated, in words for the backend badge's tooltip: by the server's
 * COOP/COEP headers, by the service worker of a static `make dist` site (www/sw/sw.js), or why not.
 */
export function isolation() {
  const sw = globalThis.navigator?.serviceWorker?.controller;
  const framed = globalThis.window && window.top !== window;
  if (globalThis.crossOriginIsolated) {
    return sw ? 'cross-origin isolated by the site\'s service worker (coi-serviceworker)' : 'cross-origin isolated by the server\'s COOP/COEP headers';
  }
  if (framed) return 'the page this lab is embedded in is not cross-origin isolated, so the lab runs one thread';
  if (sw) return 'the service worker controls the page, but it is not cross-origin isolated (the browser may not allow it)';
  if (globalThis.document?.querySelector('script[src$="sw.js"]')) return 'the site\'s service worker isolates the page after one reload';
  return 'the server sends no COOP/COEP headers and the site has no isolating service worker';
}

/** Decide which build to run. `force: 'single'` skips threads; `relaxed: false` skips relaxed SIMD. */
export async function chooseBackend({ force, relaxed = true } = {}) {
  if (!(await simd())) {
    return { kind: 'none', reason: 'this browser has no WebAssembly SIMD; try a current Chrome, Firefox or Safari' };
  }
  const fma = relaxed && (await relaxedSimd());
  if (force === 'single') return { kind: 'simd', relaxed: fma, reason: 'single thread requested' };
  if (!globalThis.crossOriginIsolated) return { kind: 'simd', relaxed: fma, reason: 'not cross-origin isolated' };
  if (!(await threads())) return { kind: 'simd', relaxed: fma, reason: 'no WebAssembly threads in this browser' };
  return { kind: 'threads', relaxed: fma, reason: '' };
}

class LabHandle {
  constructor(engine, key, className, urls, args = []) {
    this.engine = engine;
    this.key = key;
    this.className = className;
    this.urls = urls;
    this.args = args;
  }

  /** Fetch the files and construct the lab in the worker. Rejects with the engine's message. A failed open is
   *  remembered (calls reject at once with the same error) until `open({ retry: true })`. */
  open({ retry = false } = {}) {
    return this.engine._open(this, retry);
  }

  /** Call a method of the lab: resolves to `{ value, ms }`. */
  call(method, args) {
    return this.engine._call(this, method, args);
  }

  close() {
    this.engine._close(this);
  }
}

export class Engine {
  constructor({ force, relaxed = true } = {}) {
    this.force = force;
    this.relaxed = relaxed;
    this.listeners = new Set();
    this.handles = new Map(); // key -> LabHandle that the current worker should have open
    this.opened = new Map(); // key -> Promise of the open in the current worker generation
    this.generation = 0;
    this.backend = null;
    this.ready = this._start();
  }

  on(f) {
    this.listeners.add(f);
    return () => this.listeners.delete(f);
  }

  _emit(ev) {
    for (const f of this.listeners) {
      try {
        f(ev);
      } catch (e) {
        console.warn('engine listener failed', e);
      }
    }
  }

  async _spawn(parallel, relaxed = false) {
    const worker = new Worker(WORKER_URL, { type: 'module', name: 'paperlab-engine' });
    const failed = new Promise((_, reject) => {
      worker.addEventListener('error', (ev) => {
        ev.preventDefault?.();
        reject(new Error(`the engine worker failed to start${ev.message ? `: ${ev.message}` : ''}`));
      }, { once: true });
    });
    const api = Comlink.wrap(worker);
    try {
      const info = await Promise.race([
        api.init({ parallel, relaxed, threads: navigator.hardwareConcurrency || 1 }),
        failed,
      ]);
      return { worker, api, info };
    } catch (e) {
      api[Comlink.releaseProxy]?.();
      worker.terminate();
      throw e;
    }
  }

  async _start() {
    const plan = await chooseBackend({ force: this.force, relaxed: this.relaxed });
    if (plan.kind === 'none') {
      this.backend = { kind: 'none', threads: 0, reason: plan.reason };
      this._emit({ type: 'backend', backend: this.backend });
      throw new Error(plan.reason);
    }
    let reason = plan.reason;
    let started = null;
    if (plan.kind === 'threads') {
      try {
        started = await this._spawn(true, plan.relaxed);
      } catch (e) {
        console.warn('threads build failed, falling back to one thread:', e);
        reason = 'the threads build failed to start';
        this.detail = e.message;
      }
    }
    if (!started) started = await this._spawn(false, plan.relaxed);
    this.worker = started.worker;
    this.api = started.api;
    const parallel = started.info.build.startsWith('pkg-parallel');
    this.backend = {
      kind: parallel ? 'threads' : 'simd',
      threads: started.info.threads,
      build: started.info.build,
      fma: started.info.build.endsWith('-relaxed'),
      reason,
      detail: this.detail || '',
      isolation: isolation(),
    };
    this._emit({ type: 'backend', backend: this.backend });
    return this.backend;
  }

  /** Short label for the page header. */
  badge() {
    const b = this.backend;
    if (!b) return 'loading engine…';
    if (b.kind === 'none') return 'no engine';
    const simd = b.fma ? 'SIMD + FMA' : 'SIMD';
    if (b.kind === 'threads') return `threads + ${simd} · ${b.threads} thread${b.threads === 1 ? '' : 's'}`;
    return `${simd} · 1 thread`;
  }

  /** A handle on one lab instance in the worker, identified by `key`: `new pkg[className](...bytes of urls,
   *  ...args)` (args: numbers or strings after the file bytes). */
  lab(key, className, urls, args = []) {
    const urlsAbs = urls.map((u) => new URL(u, document.baseURI).href);
    const old = this.handles.get(key);
    if (old && old.className === className && old.urls.join() === urlsAbs.join() && JSON.stringify(old.args) === JSON.stringify(args)) return old;
    const hnd = new LabHandle(this, key, className, urlsAbs, args);
    this.handles.set(key, hnd);
    this.opened.delete(key);
    return hnd;
  }

  async _open(hnd, retry = false) {
    if (hnd.error && !retry) throw hnd.error;
    hnd.error = null;
    await this.ready;
    let p = this.opened.get(hnd.key);
    if (!p) {
      const gen = this.generation;
      p = this.api.open(hnd.key, hnd.className, hnd.urls, hnd.args);
      this.opened.set(hnd.key, p);
      p.catch(async (e) => {
        if (this.opened.get(hnd.key) === p) this.opened.delete(hnd.key);
        if (e && e.name === 'EnginePanic') {
          if (gen === this.generation) await this._restart(e);
        } else {
          hnd.error = e;
        }
      });
    }
    return p;
  }

  async _call(hnd, method, args) {
    await this._open(hnd, false);
    const gen = this.generation;
    try {
      return await this.api.call(hnd.key, method, args);
    } catch (e) {
      if (e && e.name === 'EnginePanic' && gen === this.generation) await this._restart(e);
      throw e;
    }
  }

  _close(hnd) {
    if (this.handles.get(hnd.key) === hnd) this.handles.delete(hnd.key);
    if (this.opened.has(hnd.key)) {
      this.opened.delete(hnd.key);
      this.api?.close(hnd.key).catch(() => {});
    }
  }

  /** Replace a poisoned worker by a fresh one with the same build; labs re-open on their next call. */
  async _restart(cause) {
    if (this._restarting) return this._restarting;
    this.generation += 1;
    this._restarting = (async () => {
      // The same build as before the crash (threads or not, relaxed SIMD or not).
      const parallel = this.backend?.kind === 'threads';
      const relaxed = Boolean(this.backend?.fma);
      try {
        this.api?.[Comlink.releaseProxy]?.();
      } catch {
        /* already gone */
      }
      this.worker?.terminate();
      this.opened.clear();
      this.ready = this._spawn(parallel, relaxed).then(({ worker, api, info }) => {
        this.worker = worker;
        this.api = api;
        this.backend = { ...this.backend, threads: info.threads, build: info.build, fma: info.build.endsWith('-relaxed') };
        return this.backend;
      });
      await this.ready;
      this._emit({ type: 'restart', cause: cause?.message || String(cause) });
    })();
    try {
      await this._restarting;
    } finally {
      this._restarting = null;
    }
  }

  /** The worker's wasm memory in bytes and its number of open labs (`{ memoryBytes, openLabs }`). */
  async stats() {
    await this.ready;
    return this.api.stats();
  }

  /** For tests: make the worker behave as after a Rust panic. */
  async crashForTest() {
    await this.ready;
    const gen = this.generation;
    try {
      await this.api.crashForTest();
    } catch (e) {
      if (e && e.name === 'EnginePanic' && gen === this.generation) await this._restart(e);
      return e.message;
    }
    return 'no crash';
  }
}

let shared = null;

/** The page's one engine. `?single=1` on the page URL (before the hash) forces the one-thread build, `?relaxed=0`
 *  the plain-SIMD build. */
export function getEngine() {
  if (!shared) {
    const q = new URLSearchParams(location.search);
    const force = q.get('single') === '1' ? 'single' : undefined;
    shared = new Engine({ force, relaxed: q.get('relaxed') !== '0' });
  }
  return shared;
}
