// What the two benchmark pages (bench.js: GEMM; kernels.js: conv, softmax, layer norm) share: a worker with a
// promise per call, in the protocol of rpc.js ({ id, cmd, args } in; { id, value } or { id, error } out).

/** A benchmark worker (ours or a peer's); a failed worker rejects its pending and later calls with its error. */
export class Peer {
  /** `file`: the worker script, relative to this module; `classic`: not a module worker; `name`: shown in errors. */
  constructor(file, { classic = false, name } = {}) {
    this.name = name;
    this.worker = new Worker(new URL(file, import.meta.url), { type: classic ? 'classic' : 'module', name });
    this.pending = new Map();
    this.next = 1;
    this.worker.onmessage = (ev) => {
      const { id, value, error } = ev.data;
      const p = this.pending.get(id);
      this.pending.delete(id);
      if (!p) return;
      if (error !== undefined) p.reject(new Error(`${name}: ${error}`));
      else p.resolve(value);
    };
    this.worker.onerror = (ev) => {
      ev.preventDefault();
      this.failed = new Error(`${name}: worker failed${ev.message ? `: ${ev.message}` : ''}`);
      for (const p of this.pending.values()) p.reject(this.failed);
      this.pending.clear();
    };
  }

  /** Runs `cmd` in the worker; resolves with its value. */
  call(cmd, args) {
    if (this.failed) return Promise.reject(this.failed);
    const id = this.next++;
    return new Promise((resolve, reject) => {
      this.pending.set(id, { resolve, reject });
      this.worker.postMessage({ id, cmd, args });
    });
  }

  terminate() {
    this.worker.terminate();
  }
}

/** Starts a worker per spec (`{ key, label, file, classic, init }`), one after another, and initialises it:
 *  the specs with `peer`, `threads` and an `info` line (kernel; threads) added. */
export async function startPeers(specs, log) {
  const impls = [];
  for (const s of specs) {
    log(`starting ${s.label}`);
    const peer = new Peer(s.file, { classic: s.classic, name: s.key });
    const info = await peer.call('init', s.init);
    impls.push({ ...s, peer, threads: info.threads, info: `${info.kernel}; ${info.threads} thread(s)` });
  }
  return impls;
}

/** Whether `url` is served (a HEAD request); false on any network error. */
export async function exists(url) {
  try {
    return (await fetch(url, { method: 'HEAD', cache: 'no-store' })).ok;
  } catch {
    return false;
  }
}
