// Files a lab fetches only when the user first asks for them (the first view of a lab stays under its transfer
// budget: it loads what it shows, the rest waits). A `Lazy` is one such set of shipped files with its box in the
// page: what it is for, a "load" button, a progress bar in kB while it downloads, and the error where the result
// would be. Its status is mirrored on the lab root as `data-<name>-status` (idle | loading | done | error), so the
// tests' `settle` waits for it.
//
//   this.digits = new Lazy({ root: this.root, name: 'digits', what: 'the 2,000 test digits and the three models',
//     files: [DATA_URL, ...MODELS], use: async (bytes) => { ...hand them to the engine... } });
//   panel('…', this.digits.el, …);       // the box (hidden once loaded)
//   await this.digits.load();            // from a setting that needs them; memoised, retried after a failure

import { h, progress } from './controls.js';
import { checkSha256 } from '../engine/checksums.js';

/**
 * The bytes of a shipped file (`Uint8Array`), checked against www/checksums.json. `onBytes(received)` is called
 * as chunks arrive. A server that decoded a `.gz` file on the way (Content-Encoding) gets it gzipped again (the
 * engine reads gzip bytes; gzip's CRC-32 checks those). Errors name the file and say what to do.
 */
export async function fetchShipped(url, onBytes = () => {}) {
  const name = new URL(url, location.href).pathname.replace(/^\//, '');
  let res;
  try {
    res = await fetch(url);
  } catch (e) {
    throw new Error(`Could not download ${name}: ${e.message}. Check the connection and try again`);
  }
  if (!res.ok) throw new Error(`Could not download ${name}: HTTP ${res.status} ${res.statusText}`);
  const chunks = [];
  let got = 0;
  const reader = res.body.getReader();
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    chunks.push(value);
    got += value.length;
    onBytes(got);
  }
  let bytes = new Uint8Array(got);
  let at = 0;
  for (const c of chunks) {
    bytes.set(c, at);
    at += c.length;
  }
  if (String(url).endsWith('.gz') && bytes.length > 2 && !(bytes[0] === 0x1f && bytes[1] === 0x8b)) {
    const cs = new Blob([bytes]).stream().pipeThrough(new CompressionStream('gzip'));
    bytes = new Uint8Array(await new Response(cs).arrayBuffer());
  } else {
    await checkSha256(String(url), bytes);
  }
  return bytes;
}

/** The sizes the server announces for `urls` (HEAD, Content-Length), summed; null when one is unknown. */
async function announced(urls) {
  try {
    const sizes = await Promise.all(urls.map(async (u) => Number((await fetch(u, { method: 'HEAD' })).headers.get('content-length')) || NaN));
    const sum = sizes.reduce((a, b) => a + b, 0);
    return Number.isFinite(sum) && sum > 0 ? sum : null;
  } catch {
    return null;
  }
}

/**
 * One set of shipped files fetched on first use. Options: `root` (the lab's root element, for the status),
 * `name` (status and test ids: `data-<name>-status`, `[data-testid=<name>-load]`, `<name>-error`), `what` (words:
 * "the five frost pictures"), `why` (what they are needed for, shown beside the button), `files` (URLs; none when
 * `use` has the engine fetch them itself, e.g. a lab re-opened with more files: then there is no byte count), `use`
 * (async, receives the files' bytes in order once all are in: hand them to the engine; its errors are shown too),
 * `after` (called once they are in use and the status is "done": repaint what waited for them), `button` (the
 * button's label; default "load <what>").
 */
export class Lazy {
  constructor({ root, name, what, why = '', files, use, after = () => {}, button }) {
    Object.assign(this, { root, name, what, files, use, after });
    this.bar = progress({ unit: 'kB' });
    this.button = h('button', { type: 'button', class: 'small', 'data-testid': `${name}-load` }, button || `load ${what}`);
    this.error = h('div', { class: 'error', hidden: true, role: 'alert', 'data-testid': `${name}-error` });
    this.note = h('span', { class: 'hint' }, why);
    this.el = h('div', { class: 'lazy', 'data-testid': `${name}-lazy` }, this.note, ' ', this.button, this.bar.el, this.error);
    this.button.addEventListener('click', () => this.load().catch(() => {}));
    this.promise = null;
    this.setStatus('idle');
  }

  setStatus(s) {
    this.status = s;
    const key = `${this.name.replace(/-([a-z])/g, (_, c) => c.toUpperCase())}Status`;
    this.root.dataset[key] = s;
  }

  get done() {
    return this.status === 'done';
  }

  /** Fetches the files and hands them to `use` (once; after a failure the next call tries again). Resolves when
   *  they are in use; rejects with the message shown in the box. */
  load() {
    this.promise ??= this.fetchAll().catch((e) => {
      this.promise = null;
      this.setStatus('error');
      this.bar.fail('stopped');
      this.error.textContent = `Could not load ${this.what}: ${String(e?.message || e).replace(/[.\s]*$/, '')}.`;
      this.error.hidden = false;
      this.button.disabled = false;
      this.button.textContent = 'try again';
      throw e;
    });
    return this.promise;
  }

  async fetchAll() {
    this.setStatus('loading');
    this.error.hidden = true;
    this.button.disabled = true;
    this.note.textContent = `loading ${this.what}\u2026`;
    const kb = (b) => Math.max(1, Math.round(b / 1000));
    let bytes = [];
    if (this.files.length) {
      const total = await announced(this.files);
      const got = this.files.map(() => 0);
      if (total) this.bar.start(kb(total));
      bytes = await Promise.all(this.files.map((u, i) => fetchShipped(u, (n) => {
        got[i] = n;
        const sum = got.reduce((a, b) => a + b, 0);
        // A compressing server announces no size: then the bytes received so far.
        if (total) this.bar.update(Math.min(kb(total), kb(sum)));
        else this.note.textContent = `loading ${this.what}\u2026 ${kb(sum).toLocaleString('en-US')} kB`;
      })));
    }
    await this.use(bytes);
    /** The files' bytes, kept (e.g. to hand them to a fresh engine after a restart). */
    this.bytes = bytes;
    if (bytes.length) this.bar.done(`${this.what}: ${kb(bytes.reduce((a, b) => a + b.length, 0)).toLocaleString('en-US')} kB`);
    this.el.hidden = true;
    this.setStatus('done');
    await this.after();
    return bytes;
  }
}
