#!/usr/bin/env node
// The first view of every live lab, cold cache, as a visitor gets it: bytes transferred (compressed, as `serve`
// sends them with gzip) until the lab is interactive (`body[data-ready="1"]`), by kind (wasm, models, data, JS,
// CSS, other), and the time to interactive; warm cache (a second visit in the same profile) too. Prints a markdown
// table. Budget (issue: embeds): ≤ 3 MB compressed before interactive.
//
//   node scripts/measure-first-view.mjs [--single] [--dist DIR] [--labs a,b]
//
// Serves the repository (or DIR, e.g. dist/ after `make dist`) with `serve -c serve.json` (COOP/COEP, gzip) on a
// free port; `--single` opens the one-thread build (`?single=1&relaxed=0` before the hash, the only build after
// `make pkg`); `--labs` measures only the labs named.

import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join, dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createServer } from 'node:net';
import { launch } from '../tests/e2e/helpers.mjs';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');
const args = process.argv.slice(2);
const dist = args.includes('--dist') ? resolve(args[args.indexOf('--dist') + 1]) : ROOT;
const single = args.includes('--single');
const only = args.includes('--labs') ? args[args.indexOf('--labs') + 1].split(',') : null;
const labs = JSON.parse(readFileSync(join(ROOT, 'www/labs/labs.json'), 'utf8')).labs
  .filter((l) => l.status === 'live' && (!only || only.includes(l.id)));

const port = await new Promise((ok) => { const s = createServer().listen(0, '127.0.0.1', () => { const p = s.address().port; s.close(() => ok(p)); }); });
const server = spawn(join(ROOT, 'node_modules/.bin/serve'), ['-c', join(ROOT, 'serve.json'), '-l', `tcp://127.0.0.1:${port}`, '--no-clipboard', '--no-port-switching', '-L', dist], { stdio: 'ignore' });
const base = `http://127.0.0.1:${port}`;
for (let i = 0; i < 100; i++) {
  try { if ((await fetch(`${base}/index.html`)).ok) break; } catch { /* not yet */ }
  await new Promise((r) => setTimeout(r, 200));
}

const kind = (url) => {
  const p = new URL(url).pathname;
  if (p.endsWith('.wasm')) return 'wasm';
  if (p.includes('/www/models/')) return 'models';
  if (p.includes('/www/data/')) return 'data';
  if (/\.m?js$/.test(p)) return 'js';
  if (p.endsWith('.css')) return 'css';
  return 'other';
};

async function visit(ctx, url) {
  const page = await ctx.newPage();
  const by = {};
  // On-the-wire body bytes per finished request, from the page and its workers (context-level events).
  const onDone = async (req) => {
    try {
      const { responseBodySize, responseHeadersSize } = await req.sizes();
      by[kind(req.url())] = (by[kind(req.url())] || 0) + responseBodySize + Math.max(0, responseHeadersSize);
    } catch { /* the page closed */ }
  };
  ctx.on('requestfinished', onDone);
  const t0 = Date.now();
  await page.goto(url);
  await page.waitForSelector('body[data-ready="1"]', { timeout: 180000 });
  const tti = Date.now() - t0;
  await page.waitForTimeout(300);
  ctx.off('requestfinished', onDone);
  await page.close();
  return { tti, by, total: Object.values(by).reduce((a, b) => a + b, 0) };
}

const mb = (b) => (b / 1e6).toFixed(2);
const rows = [];
for (const lab of labs) {
  const ctx = await launch();
  try {
    const url = `${base}/${single ? '?single=1&relaxed=0' : ''}#/${lab.id}`;
    const cold = await visit(ctx, url);
    const warm = await visit(ctx, url);
    rows.push(`| ${lab.id} | ${mb(cold.total)} | ${['wasm', 'models', 'data', 'js', 'css', 'other'].map((k) => mb(cold.by[k] || 0)).join(' | ')} | ${(cold.tti / 1000).toFixed(1)} | ${(warm.tti / 1000).toFixed(1)} |`);
  } finally {
    await ctx.close();
  }
}
console.log(`First view, ${single ? 'one thread' : 'threads (COOP/COEP)'}, served with gzip; MB = 10^6 bytes on the wire.\n`);
console.log('| lab | total MB | wasm | models | data | js | css | other | TTI cold s | TTI warm s |');
console.log('|---|---|---|---|---|---|---|---|---|---|');
console.log(rows.join('\n'));
server.kill();
