// The parts every lab page shares (see UI.md in the project's guidance: one layout for every lab):
// the header with the paper and the backend badge, the footer with share link / embed snippet / export buttons /
// data sources, the embed bar, the URL-hash writer, and the small helpers behind them (download, copy, CSV,
// manifest loading, the lab's own stylesheet). A lab module builds its controls and plots and calls these; it never
// re-implements them.

import { h } from './controls.js';
import { serialiseState, formatHash } from './state.js';

/** Starts a download of `href` (a URL or object URL) named `name`. */
export function download(name, href) {
  const a = h('a', { href, download: name });
  document.body.append(a);
  a.click();
  a.remove();
}

/** Downloads `text` as a file `name` of MIME `type` (CSV by default); the object URL is revoked afterwards. */
export function downloadText(name, text, type = 'text/csv') {
  const url = URL.createObjectURL(new Blob([text], { type }));
  download(name, url);
  setTimeout(() => URL.revokeObjectURL(url), 5000);
}

/**
 * Joins rows of cells into CSV text with a trailing newline; cells holding `,`, `"` or a newline are quoted. A text
 * cell that a spreadsheet would read as a formula (starting with `=`, `+`, `-`, `@`, tab or CR, and not a number)
 * gets a leading `'`.
 */
export function csvText(rows) {
  const cell = (x) => {
    let s = x == null ? '' : String(x);
    if (typeof x === 'string' && /^[=+\-@\t\r]/.test(s) && !Number.isFinite(Number(s))) s = `'${s}`;
    return /[",\n]/.test(s) ? `"${s.replaceAll('"', '""')}"` : s;
  };
  return `${rows.map((r) => (Array.isArray(r) ? r.map(cell).join(',') : r)).join('\n')}\n`;
}

/** Copies `text` to the clipboard and says so on `btn` for 1.5 s (or asks the user to copy by hand). */
export async function copyText(text, btn) {
  try {
    await navigator.clipboard.writeText(text);
    btn.textContent = 'copied';
  } catch {
    btn.textContent = 'select and copy';
  }
  setTimeout(() => { btn.textContent = 'copy'; }, 1500);
}

/**
 * Fetches and parses a JSON file the lab ships (a manifest). `what` names it in the error messages, e.g.
 * "the model list (www/models/verify/manifest.json)". Throws an Error whose message says what failed.
 */
export async function fetchJson(url, what) {
  let res;
  try {
    res = await fetch(url);
  } catch (e) {
    throw new Error(`could not download ${what}: ${e.message}`);
  }
  if (!res.ok) throw new Error(`could not download ${what}: HTTP ${res.status}`);
  try {
    return await res.json();
  } catch (e) {
    throw new Error(`${what} is not valid JSON: ${e.message}`);
  }
}

/** Adds the lab's stylesheet `href` to the document once (`id` keeps it from being added twice). */
export function ensureCss(id, href) {
  if (!document.getElementById(id)) document.head.append(h('link', { id, rel: 'stylesheet', href }));
}

/**
 * The page header: the paper's title, one line per paper (`[authors, venue, url, link label]`), the one-sentence
 * idea, and the backend badge. Returns `{ header, badge }`.
 */
export function labHeader({ title, papers, idea }) {
  const badge = h('span', { class: 'badge', 'data-testid': 'backend', title: 'which WebAssembly build runs' }, 'loading engine…');
  const header = h('header', { class: 'lab-head' },
    h('div', { class: 'lab-title' },
      h('h1', {}, title),
      ...papers.map(([who, venue, url, label]) => h('p', { class: 'who' }, who, ' · ', venue, ' · ',
        h('a', { href: url, target: '_blank', rel: 'noopener' }, label))),
      h('p', { class: 'idea' }, idea)),
    badge);
  return { header, badge };
}

/** Fills the backend badge from `engine.backend` (which build runs, how many threads, and why not threads). */
export function showBackend(badge, engine) {
  const b = engine.backend;
  badge.textContent = engine.badge();
  if (!b) return;
  badge.dataset.backend = b.kind;
  badge.dataset.threads = String(b.threads);
  if (b.reason) badge.append(h('span', { class: 'why' }, ` (${b.reason})`));
  badge.dataset.build = b.build || '';
  const build = b.build || (b.kind === 'threads' ? 'pkg-parallel' : 'pkg');
  const fma = b.fma ? ' with relaxed-SIMD fused multiply-add' : '';
  badge.title = b.kind === 'threads'
    ? `${build}: WebAssembly threads + SIMD${fma}, ${b.threads} threads`
    : `${build}: WebAssembly SIMD${fma}, one thread${b.reason ? ` — ${b.reason}` : ''}${b.detail ? ` (${b.detail})` : ''}`;
}

/**
 * The footer (share link, embed snippet, export buttons, data line) and the bar an embedded lab shows on top.
 * `exports` is a list of `[label, onclick]`; `name` is the short lab name on the embed bar.
 * Returns `{ foot, embedBar, share, embed, embedLink, footData }`; fill `footData` with the data sources.
 */
export function labFooter({ name, exports }) {
  const share = h('input', { type: 'text', readonly: true, class: 'share', 'aria-label': 'share link' });
  const embed = h('textarea', { readonly: true, rows: 3, class: 'share', 'aria-label': 'embed snippet' });
  const footData = h('p', { class: 'data-line' });
  const copyBtn = (field) => h('button', { type: 'button', class: 'small', onclick: (e) => copyText(field.value, e.target) }, 'copy');
  const foot = h('footer', { class: 'lab-foot' },
    h('div', { class: 'foot-item' }, h('label', {}, 'Share this view'), h('div', { class: 'row' }, share, copyBtn(share))),
    h('div', { class: 'foot-item' }, h('label', {}, 'Embed'), h('div', { class: 'row' }, embed, copyBtn(embed))),
    h('div', { class: 'foot-item' }, h('label', {}, 'Export'),
      h('div', { class: 'row' }, ...exports.map(([label, onclick]) => h('button', { type: 'button', onclick }, label)))),
    footData);
  const embedLink = h('a', { target: '_blank', rel: 'noopener' }, 'open the full lab ↗');
  const embedBar = h('div', { class: 'embed-bar' }, h('span', {}, `Paperlab · ${name}`), ' · ', embedLink);
  return { foot, embedBar, share, embed, embedLink, footData };
}

/**
 * Writes the lab's state into the URL hash (`#/lab?...`, without a new history entry) and refreshes the share
 * link, the embed snippet (an iframe of `height` px titled `title`) and the embed bar's link. `el` holds the
 * `share`, `embed` and `embedLink` elements of `labFooter`. The shared URLs never carry `embed`.
 */
export function writeLabHash(lab, spec, values, el, { title, height = 900 }) {
  const hash = formatHash(lab, serialiseState(spec, values));
  if (location.hash !== hash) history.replaceState(null, '', hash);
  const base = `${location.origin}${location.pathname}`;
  const shareQ = serialiseState(spec, { ...values, embed: false });
  const shareUrl = `${base}${formatHash(lab, shareQ)}`;
  el.share.value = shareUrl;
  const embedUrl = `${base}${formatHash(lab, `${shareQ}&embed=1`)}`;
  el.embed.value = `<iframe src="${embedUrl}" title="Paperlab: ${title}" width="100%" height="${height}" style="border:0" loading="lazy"></iframe>`;
  el.embedLink.href = shareUrl;
}

/**
 * The state plumbing every lab shares. A lab class extends it and provides `values`, `el.notes`, `parse(params)`
 * (URL parameters to `{ values, notes }`), `writeHash()`, `syncControls()` and `changed(prev)`; it may override
 * `normalise(values)` to keep related settings consistent.
 */
export class LabState {
  /** Applies a change from a control: the new values go to the URL, the controls and the views. */
  set(patch) {
    const prev = this.values;
    this.values = this.normalise({ ...prev, ...patch });
    this.writeHash();
    this.syncControls();
    this.changed(prev);
  }

  /** Applies settings from the URL (first load, or the hash edited by hand); notes say what was clamped or reset. */
  update(params) {
    const { values, notes } = this.parse(params);
    this.el.notes.show(notes);
    const prev = this.values;
    this.values = values;
    this.writeHash();
    this.syncControls(prev);
    this.changed(prev);
  }

  /** Settings made consistent after a change (identity unless a lab overrides it). */
  normalise(values) {
    return values;
  }

  /** Says the view is ready (`body[data-ready="1"]`, the signal tests and embedders wait for), with
   *  `body[data-status]` "error" when something shown on the page failed. */
  signalReady(failed) {
    document.body.dataset.status = failed ? 'error' : 'ok';
    document.body.dataset.ready = '1';
  }

  /** The common end of `unmount`: runs `this.disposers`, leaves embed mode, empties `this.root` and its data. */
  teardown() {
    for (const d of this.disposers) d();
    document.body.classList.remove('embed');
    this.root.replaceChildren();
    for (const k of Object.keys(this.root.dataset)) delete this.root.dataset[k];
  }
}
