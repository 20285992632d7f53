// The static site on a host that sends no special headers: a dist/-like tree (index.html + sw.js written by
// scripts/dist-sw.mjs, as `make dist` does, over the repository's www/, docs/ and wasm builds) served WITHOUT
// COOP/COEP. The service worker (www/sw/sw.js with coi-serviceworker) makes the page cross-origin isolated after
// its one reload, so the threaded build runs and the badge says why; after that first visit every live lab loads
// with the network off (Playwright `context.setOffline(true)`); a new version of the site replaces the cached one.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, copyFileSync, symlinkSync, realpathSync, readFileSync, writeFileSync, rmSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startStatic, launch, open, ready, ROOT } from './helpers.mjs';
import { addServiceWorker } from '../../scripts/dist-sw.mjs';

const LIVE = JSON.parse(readFileSync(join(ROOT, 'www/labs/labs.json'), 'utf8')).labs
  .filter((e) => e.status === 'live').map((e) => e.id);
let dir;
let srv;
let ctx;
let site;

before(async () => {
  dir = mkdtempSync(join(tmpdir(), 'paperlab-dist-'));
  copyFileSync(join(ROOT, 'index.html'), join(dir, 'index.html'));
  for (const p of ['www', 'docs', 'pkg', 'pkg-parallel', 'pkg-relaxed', 'pkg-parallel-relaxed']) {
    if (existsSync(join(ROOT, p))) symlinkSync(realpathSync(join(ROOT, p)), join(dir, p));
  }
  site = addServiceWorker(dir);
  srv = await startStatic({ isolated: false, root: dir });
  ctx = await launch();
});
after(async () => {
  await ctx?.close();
  await srv?.close();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

/** Evaluates `fn` until it returns a truthy value, across the page's own reloads. */
async function until(page, fn, arg, timeout = 120000) {
  const end = Date.now() + timeout;
  for (;;) {
    try {
      const v = await page.evaluate(fn, arg);
      if (v) return v;
    } catch {
      // the page navigated (the service worker's reload): try again
    }
    if (Date.now() > end) throw new Error(`timed out waiting for ${fn}`);
    await new Promise((r) => setTimeout(r, 300));
  }
}

/** The names of the caches and how many entries the Paperlab one holds. */
function cacheState(page) {
  return page.evaluate(async () => {
    const keys = (await caches.keys()).filter((k) => k.startsWith('paperlab-'));
    const n = keys.length === 1 ? (await (await caches.open(keys[0])).keys()).length : 0;
    return { keys, n };
  });
}

let page;
let errors;

test('no COOP/COEP headers: the service worker isolates the page after one reload; threads; the badge says why', { timeout: 400000 }, async () => {
  ({ page, errors } = await open(ctx, `${srv.url}/#/verify`));
  await until(page, () => window.crossOriginIsolated && navigator.serviceWorker.controller && document.body.dataset.ready === '1', null, 300000);
  await ready(page, 240000);
  const badge = await page.$eval('[data-testid="backend"]', (b) => ({ text: b.textContent, ...b.dataset, title: b.title }));
  assert.equal(badge.backend, 'threads', `threads after the reload (${badge.text})`);
  assert.match(badge.text, /isolated by the service worker/);
  assert.match(badge.isolation, /service worker \(coi-serviceworker\)/);
  assert.equal(await page.evaluate(() => sessionStorage.length > 0), true, 'it reloaded once');
});

test('after a first visit every live lab works with the network off', { timeout: 900000 }, async () => {
  // the models and data are cached after activation
  await until(page, async (want) => {
    const keys = (await caches.keys()).filter((k) => k.startsWith('paperlab-'));
    return keys.length === 1 && (await (await caches.open(keys[0])).keys()).length >= want;
  }, site.shell.length + site.rest.length, 300000);
  await ctx.setOffline(true);
  try {
    for (const id of LIVE) {
      await page.goto(`${srv.url}/?x=${id}#/${id}`);
      await ready(page, 240000);
      const st = await page.evaluate(() => ({ status: document.body.dataset.status, route: document.body.dataset.route,
        backend: document.querySelector('[data-testid="backend"]')?.dataset.backend, online: navigator.onLine }));
      assert.deepEqual(st, { status: 'ok', route: id, backend: 'threads', online: false }, `${id} offline`);
    }
  } finally {
    await ctx.setOffline(false);
  }
  assert.deepEqual(errors, []);
});

test('a new version of the site replaces the cached one', { timeout: 400000 }, async () => {
  const old = (await cacheState(page)).keys;
  assert.deepEqual(old, [`paperlab-${site.version}`]);
  writeFileSync(join(dir, 'index.html'), readFileSync(join(dir, 'index.html'), 'utf8').replace('</body>', '<!-- version 2 -->\n</body>'));
  const next = addServiceWorker(dir);
  assert.notEqual(next.version, site.version);
  await page.goto(`${srv.url}/#/`);
  await until(page, async (want) => {
    await (await navigator.serviceWorker.getRegistration())?.update();
    const keys = (await caches.keys()).filter((k) => k.startsWith('paperlab-'));
    return keys.length === 1 && keys[0] === want;
  }, `paperlab-${next.version}`, 300000);
  await ctx.setOffline(true);
  try {
    await page.goto(`${srv.url}/#/`);
    await ready(page, 120000);
    assert.match(await page.content(), /version 2/, 'offline, the new version is served');
  } finally {
    await ctx.setOffline(false);
  }
  await page.close();
});
