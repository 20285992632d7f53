// Shared helpers for the browser tests (node --test + playwright-core, Debian's /usr/bin/chromium).
//
// Servers:
//   isolated  PAPERLAB_URL if set (the Makefile's `serve` with COOP/COEP), else a static server started here with
//             the COOP/COEP headers.
//   plain     always a static server started here WITHOUT those headers (the one-thread fallback).
// Both local servers serve PAPERLAB_ROOT (default: the repository root) on a free port.
//
// Every page records `pageerror` events and console errors; tests assert there are none (except what they expect).

import { createServer } from 'node:http';
import { createReadStream, mkdtempSync, rmSync, statSync, mkdirSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve, extname, normalize, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';

const HERE = dirname(fileURLToPath(import.meta.url));
export const ROOT = resolve(process.env.PAPERLAB_ROOT || join(HERE, '..', '..'));
export const OUT = join(HERE, 'out');
mkdirSync(OUT, { recursive: true });

const TYPES = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json; charset=utf-8',
  '.wasm': 'application/wasm',
  '.gz': 'application/gzip',
  '.safetensors': 'application/octet-stream',
  '.png': 'image/png',
  '.svg': 'image/svg+xml',
  '.md': 'text/markdown; charset=utf-8',
  '.txt': 'text/plain; charset=utf-8',
};

/** A minimal static file server for ROOT (or `root`). `isolated` adds COOP/COEP. Resolves to `{ url, close() }`. */
export function startStatic({ isolated, root = ROOT }) {
  const server = createServer((req, res) => {
    let path;
    try {
      path = decodeURIComponent(new URL(req.url, 'http://x').pathname);
    } catch {
      res.writeHead(400).end();
      return;
    }
    if (path.endsWith('/')) path += 'index.html';
    const file = normalize(join(root, path));
    if (!file.startsWith(root)) {
      res.writeHead(403).end();
      return;
    }
    let st;
    try {
      st = statSync(file);
    } catch {
      res.writeHead(404, { 'content-type': 'text/plain' }).end('not found');
      return;
    }
    if (!st.isFile()) {
      res.writeHead(404, { 'content-type': 'text/plain' }).end('not found');
      return;
    }
    const headers = {
      'content-type': TYPES[extname(file)] || 'application/octet-stream',
      'content-length': st.size,
      'cache-control': 'no-store',
      // as static hosts such as GitHub Pages do: a blog on another origin may load www/embed/paper-lab.js
      'access-control-allow-origin': '*',
    };
    if (isolated) {
      headers['cross-origin-opener-policy'] = 'same-origin';
      headers['cross-origin-embedder-policy'] = 'require-corp';
    }
    res.writeHead(200, headers);
    if (req.method === 'HEAD') res.end();
    else createReadStream(file).pipe(res);
  });
  return new Promise((ok) => {
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address();
      ok({ url: `http://127.0.0.1:${port}`, close: () => new Promise((r) => server.close(r)) });
    });
  });
}

/** Start what the tests need: `{ isolated, plain, close() }` (base URLs without a trailing slash). */
export async function servers() {
  const own = [];
  let isolated = process.env.PAPERLAB_URL?.replace(/\/+$/, '');
  if (!isolated) {
    const s = await startStatic({ isolated: true });
    own.push(s);
    isolated = s.url;
  }
  const p = await startStatic({ isolated: false });
  own.push(p);
  return { isolated, plain: p.url, close: () => Promise.all(own.map((s) => s.close())) };
}

/** A fresh Chromium profile. Returns the persistent context; `close()` also removes the profile. */
export async function launch() {
  const dir = mkdtempSync(join(tmpdir(), 'paperlab-e2e-'));
  const ctx = await chromium.launchPersistentContext(dir, {
    executablePath: process.env.CHROMIUM || '/usr/bin/chromium',
    headless: true,
    args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking',
      '--disable-component-update', '--disable-sync'],
    viewport: { width: 1400, height: 1000 },
    acceptDownloads: true,
  });
  const close = ctx.close.bind(ctx);
  ctx.close = async () => {
    await close();
    rmSync(dir, { recursive: true, force: true });
  };
  return ctx;
}

/**
 * The servers and the browser of one test file, for its `before`/`after` hooks:
 *   before(async () => ({ srv, ctx } = await startBrowser()));
 *   after(() => stopBrowser(srv, ctx));
 */
export async function startBrowser() {
  const srv = await servers();
  return { srv, ctx: await launch() };
}

/** Closes what `startBrowser` opened (either may be missing if `before` failed half-way). */
export async function stopBrowser(srv, ctx) {
  await ctx?.close();
  await srv?.close();
}

/** Open `url` in a new page, recording page errors and console errors in `errors`. */
export async function open(ctx, url, { colorScheme, allowOrigins = [] } = {}) {
  const page = await ctx.newPage();
  if (colorScheme) await page.emulateMedia({ colorScheme });
  const errors = [];
  page.on('pageerror', (e) => errors.push(`pageerror: ${e.message}`));
  page.on('console', (m) => {
    if (m.type() === 'error') errors.push(`console.error: ${m.text()}`);
  });
  page.on('worker', (w) => {
    w.on('console', (m) => {
      if (m.type() === 'error') errors.push(`worker console.error: ${m.text()}`);
    });
  });
  // Window `error` events that are not exceptions (e.g. "ResizeObserver loop completed with undelivered
  // notifications") and unhandled rejections: Playwright's pageerror misses some of them, so hook them before any
  // page script runs.
  await page.exposeFunction('__paperlabWindowError', (msg) => errors.push(`window error: ${msg}`));
  await page.addInitScript(() => {
    window.addEventListener('error', (e) => { window.__paperlabWindowError(String(e.message || e.type)); });
    document.addEventListener('securitypolicyviolation', (e) => {
      window.__paperlabWindowError(`CSP violation: ${e.violatedDirective} blocked ${e.blockedURI || 'inline code'}`);
    });
    window.addEventListener('unhandledrejection', (e) => {
      window.__paperlabWindowError(`unhandled rejection: ${e.reason && e.reason.message ? e.reason.message : e.reason}`);
    });
  });
  // A request from a page of the site to another origin is an error: the site loads nothing from elsewhere. The
  // origin is the one of the frame that made the request (a blog page embedding a lab is allowed to load it).
  page.on('request', (r) => {
    const u = r.url();
    let from;
    try {
      from = new URL(r.frame().url()).origin;
    } catch {
      return;
    }
    if (!/^https?:/.test(u) || !/^https?:/.test(from) || r.isNavigationRequest()) return;
    if (allowOrigins.includes(new URL(u).origin)) return;
    if (new URL(u).origin !== from) errors.push(`request to another origin: ${u} (from ${from})`);
  });
  await page.goto(url);
  return { page, errors };
}

/** Wait for the page's ready signal (body[data-ready="1"]). */
export async function ready(page, timeout = 60000) {
  await page.waitForSelector('body[data-ready="1"]', { timeout, state: 'attached' });
}

/** Wait until the live full-test-set result for `key` (model|eps|method|beta|slope; slope "-" for ibp) is in;
 *  returns its counts. */
export async function liveResult(page, key, timeout = 60000) {
  await page.waitForFunction((k) => {
    const d = document.getElementById('lab')?.dataset;
    return d && d.liveStatus === 'done' && d.liveKey === k;
  }, key, { timeout });
  return page.evaluate(() => {
    const d = document.getElementById('lab').dataset;
    return { n: Number(d.liveN), clean: Number(d.liveCleanErrors), verified: Number(d.liveVerifiedErrors) };
  });
}

/** Wait until the live PGD result for `key` (model|eps|steps|seed) is in; returns `{ n, errors }`. */
export async function pgdResult(page, key, timeout = 90000) {
  await page.waitForFunction((k) => {
    const d = document.getElementById('lab')?.dataset;
    return d && d.pgdStatus === 'done' && d.pgdKey === k;
  }, key, { timeout });
  return page.evaluate(() => {
    const d = document.getElementById('lab').dataset;
    return { n: Number(d.pgdN), errors: Number(d.pgdErrors) };
  });
}

/** The current lab settings as the page holds them. */
export function labValues(page) {
  return page.evaluate(() => ({ ...window.paperlab.lab.values }));
}

/** The ids of the registry's live labs (www/labs/labs.json), in gallery order: the site-wide tests cover each. */
export function liveLabs() {
  return JSON.parse(readFileSync(join(ROOT, 'www/labs/labs.json'), 'utf8')).labs.filter((l) => l.status === 'live').map((l) => l.id);
}

/** The mounted lab's settings spec as data (enum lists resolved): name, type, min, max, maxLength, hidden,
 *  values, default. */
export function labSpec(page) {
  return page.evaluate(() => {
    const lab = window.paperlab.lab;
    const spec = lab.specList || (Array.isArray(lab.spec) ? lab.spec : lab.spec());
    return spec.map((p) => ({
      name: p.name, type: p.type, min: p.min, max: p.max, maxLength: p.maxLength, hidden: !!p.hidden,
      values: typeof p.values === 'function' ? p.values() : p.values, default: p.default,
    }));
  });
}

/** Waits until no status the lab mirrors on #lab (`data-*-status`) is "running" or "loading", then `after` ms more
 *  (debounced views catching up); returns the statuses. */
export async function settle(page, { timeout = 90000, after = 0 } = {}) {
  await page.waitForFunction(() => Object.entries(document.getElementById('lab').dataset)
    .filter(([k]) => k.endsWith('Status')).every(([, v]) => v !== 'running' && v !== 'loading'), null, { timeout, polling: 250 });
  if (after) await page.waitForTimeout(after);
  return page.evaluate(() => Object.fromEntries(Object.entries(document.getElementById('lab').dataset).filter(([k]) => k.endsWith('Status'))));
}

export async function shot(page, name) {
  await page.screenshot({ path: join(OUT, `${name}.png`), fullPage: true });
}

/** For `page.evaluate` (Playwright or Puppeteer): the words inside visible table cells that are split across two
 *  lines, e.g. "Compre|ssive" (a break at a hyphen or a space is not a split: a word here is a run of letters and
 *  digits). Each as `word (in "cell text")`. */
export function splitTableWords() {
  const out = [];
  for (const cell of document.querySelectorAll('table td, table th')) {
    if (!cell.getClientRects().length) continue;
    const walk = document.createTreeWalker(cell, NodeFilter.SHOW_TEXT);
    for (let n = walk.nextNode(); n; n = walk.nextNode()) {
      for (const m of n.data.matchAll(/[\p{L}\p{N}]{2,}/gu)) {
        const r = document.createRange();
        r.setStart(n, m.index);
        r.setEnd(n, m.index + m[0].length);
        const tops = new Set([...r.getClientRects()].filter((b) => b.width > 0).map((b) => Math.round(b.top)));
        if (tops.size > 1) out.push(`${m[0]} (in "${cell.textContent.trim().slice(0, 60)}")`);
      }
    }
  }
  return out;
}

/**
 * For the browser timing scripts (scripts/*-time.mjs): opens `#/<route>` once ready, on the server `url` (one with
 * COOP/COEP; without one a static server is started here), with `?single=1` unless `threads` and `?relaxed=0`
 * unless `fma`; `load` names the lazy sets (www/ui/lazy.js) to fetch first: their `[data-testid=<name>-load]` is
 * pressed and `#lab[data-<name>-status]` awaited. Returns `{ page, badge, close() }`.
 */
export async function timingPage(route, { threads = false, fma = false, url, load = [] } = {}) {
  const own = url ? null : await startStatic({ isolated: true });
  const base = (url || own.url).replace(/\/+$/, '');
  const ctx = await launch();
  const close = async () => {
    await ctx.close();
    await own?.close();
  };
  try {
    const page = await ctx.newPage();
    const q = `?${[threads ? '' : 'single=1', fma ? '' : 'relaxed=0'].filter(Boolean).join('&')}`;
    await page.goto(`${base}/${q}#/${route}`);
    await page.waitForSelector('body[data-ready="1"]', { timeout: 180000, state: 'attached' });
    for (const name of load) {
      await page.click(`[data-testid=${name}-load]`);
      await page.waitForFunction((n) => {
        const st = document.getElementById('lab').dataset[`${n}Status`];
        if (st === 'error') throw new Error(`${n} did not load`);
        return st === 'done';
      }, name, { timeout: 180000 });
    }
    const badge = (await page.textContent('[data-testid=backend]')).trim();
    return { page, badge, close };
  } catch (e) {
    await close();
    throw e;
  }
}

/** Serves every file of the context that matches `glob` with one byte flipped in its middle (same size, so only the
 *  checksum check can tell). Returns the list of URL paths damaged so far; `stop()` removes the route. */
export async function damageFiles(ctx, glob) {
  const damaged = [];
  let stopped = false;
  await ctx.route(glob, async (route) => {
    try {
      const res = await route.fetch();
      const body = Buffer.from(await res.body());
      body[body.length >> 1] ^= 0x40;
      damaged.push(new URL(route.request().url()).pathname);
      await route.fulfill({ response: res, body });
    } catch (e) {
      // A download still in flight when the test stopped (its page closed): nothing left to answer.
      if (!stopped) throw e;
    }
  });
  damaged.stop = () => {
    stopped = true;
    return ctx.unroute(glob);
  };
  return damaged;
}
