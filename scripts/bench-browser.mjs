#!/usr/bin/env node
// Runs the browser GEMM benchmark (www/bench.html) in headless Chromium and writes bench-out/bench.json and
// bench-out/bench.md; prints the tables and the goal checks.
//
//   node scripts/bench-browser.mjs [--shapes n64,n512,mlp] [--rounds 10] [--batch 100]
//                                  [--native bench-out/native.txt] [--native-parallel bench-out/native-parallel.txt]
//   node scripts/bench-browser.mjs --page kernels [--shapes mnist1,bag3x3,r256] [--rounds 7] [--batch 100]
//       runs www/bench-kernels.html instead (Conv2d, softmax, layer norm) and writes bench-out/bench-kernels.{json,md}
//
// Serves the repository with npm `serve` and serve.json (COOP/COEP) on a free port of 127.0.0.1, unless
// PAPERLAB_URL is set (then that server is used). Needs `npm ci` (root) and `npm ci --prefix bench` (the peers);
// `make bench` does both. The --native files are the output of examples/gemm_native.rs; their rows go into the
// report and the native goal. Exits non-zero if the page reports an error (e.g. a result that does not match
// the reference).

import { execFileSync, spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync, existsSync } from 'node:fs';
import { createServer } from 'node:net';
import { availableParallelism, tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';
import { markdown } from '../www/bench/report.js';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const OUT = join(ROOT, 'bench-out');

function args() {
  const a = { shapes: '', rounds: '', batch: '', native: '', nativeParallel: '', page: 'bench' };
  const argv = process.argv.slice(2);
  for (let i = 0; i < argv.length; i++) {
    const [flag, inline] = argv[i].split('=', 2);
    const val = () => (inline !== undefined ? inline : argv[++i]);
    if (flag === '--shapes') a.shapes = val();
    else if (flag === '--rounds') a.rounds = val();
    else if (flag === '--batch') a.batch = val();
    else if (flag === '--native') a.native = val();
    else if (flag === '--native-parallel') a.nativeParallel = val();
    else if (flag === '--page') a.page = val();
    else if (flag === '-h' || flag === '--help') {
      console.log(readFileSync(fileURLToPath(import.meta.url), 'utf8').split('\n').slice(1, 15).join('\n'));
      process.exit(0);
    } else {
      console.error(`bench-browser: unknown argument ${argv[i]} (see --help)`);
      process.exit(2);
    }
  }
  return a;
}

/** Rows of examples/gemm_native.rs output: `{ shape, ours, theirs, ratio }` (GFLOP/s cells as printed). */
export function parseNative(text) {
  const rows = [];
  const cell = String.raw`([\d.]+) \(\s*([\d.]+)-\s*([\d.]+)\)`;
  const re = new RegExp(String.raw`^\s*(\d+x\d+x\d+)\s+${cell}\s+${cell}\s+([\d.]+)x\s*(.*)$`);
  for (const line of text.split('\n')) {
    const m = line.match(re);
    if (!m) continue;
    const c = (i) => `${m[i]} (${m[i + 1]}–${m[i + 2]})`;
    rows.push({ shape: m[1] + (m[9] ? ` (${m[9].trim()})` : ''), ours: c(2), theirs: c(5), ratio: Number(m[8]) });
  }
  return rows;
}

function freePort() {
  return new Promise((ok, fail) => {
    const s = createServer().listen(0, '127.0.0.1', () => {
      const { port } = s.address();
      s.close(() => ok(port));
    });
    s.on('error', fail);
  });
}

async function startServer() {
  if (process.env.PAPERLAB_URL) {
    console.log(`bench: using the server at PAPERLAB_URL=${process.env.PAPERLAB_URL}`);
    return { url: process.env.PAPERLAB_URL.replace(/\/+$/, ''), stop: async () => {} };
  }
  const port = await freePort();
  const bin = join(ROOT, 'node_modules', '.bin', 'serve');
  if (!existsSync(bin)) throw new Error('node_modules/.bin/serve is missing: run npm ci (or make setup)');
  const proc = spawn(bin, ['-c', 'serve.json', '-l', `tcp://127.0.0.1:${port}`, '--no-clipboard', '--no-port-switching',
    '-L', '.'], { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
  let log = '';
  proc.stdout.on('data', (d) => { log += d; });
  proc.stderr.on('data', (d) => { log += d; });
  const url = `http://127.0.0.1:${port}`;
  for (let i = 0; i < 100; i++) {
    if (proc.exitCode != null) throw new Error(`the server exited:\n${log}`);
    try {
      if ((await fetch(`${url}/index.html`)).ok) break;
    } catch {
      /* not up yet */
    }
    await new Promise((r) => setTimeout(r, 200));
  }
  console.log(`bench: serving the repository at ${url} (pid ${proc.pid})`);
  return {
    url,
    stop: () => new Promise((r) => {
      if (proc.exitCode != null) return r();
      proc.once('exit', r);
      proc.kill();
    }),
  };
}

/** The 1-minute load average, or null where /proc/loadavg does not exist. */
function load1() {
  try {
    return Number(readFileSync('/proc/loadavg', 'utf8').split(' ')[0]);
  } catch {
    return null;
  }
}

/** "Chromium 156.0.7795.59" from `chromium --version`, or '' if that fails. */
function chromiumVersion(exe) {
  try {
    const out = execFileSync(exe, ['--version'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] });
    return out.match(/(Chromium|Google Chrome)\s+[\d.]+/)?.[0] || '';
  } catch {
    return '';
  }
}

function cpuModel() {
  try {
    return readFileSync('/proc/cpuinfo', 'utf8').match(/^model name\s*:\s*(.*)$/m)?.[1].trim() || '';
  } catch {
    return '';
  }
}

async function main() {
  const a = args();
  for (const f of ['bench/node_modules/@tensorflow/tfjs-backend-wasm', 'bench/node_modules/onnxruntime-web']) {
    if (!existsSync(join(ROOT, f))) throw new Error(`${f} is missing: run npm ci --prefix bench (make bench does)`);
  }
  for (const p of a.page === 'kernels' ? ['pkg/paperlab.js'] : ['pkg/paperlab.js', 'pkg-parallel/paperlab.js']) {
    if (!existsSync(join(ROOT, p))) throw new Error(`${p} is missing: run make build`);
  }
  const server = await startServer();
  // Other programs' load makes the numbers noisy: sample it during the run and put it in the report.
  const loads = [load1()];
  const sampler = setInterval(() => loads.push(load1()), 5000);
  const exe = process.env.CHROMIUM || '/usr/bin/chromium';
  const profile = mkdtempSync(join(tmpdir(), 'paperlab-bench-'));
  let ctx = null;
  try {
    ctx = await chromium.launchPersistentContext(profile, {
      executablePath: exe,
      headless: true,
      args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking',
        '--disable-component-update', '--disable-sync'],
      viewport: { width: 1600, height: 1000 },
    });
    const page = await ctx.newPage();
    const problems = [];
    page.on('pageerror', (e) => problems.push(`pageerror: ${e.message}`));
    page.on('console', (m) => {
      const t = m.text();
      if (t.startsWith('[bench] ')) console.log(`  ${t.slice(8)}`);
      else if (m.type() === 'error') problems.push(`console.error: ${t}`);
    });
    page.on('worker', (w) => w.on('console', (m) => {
      if (m.type() === 'error') problems.push(`worker console.error: ${m.text()}`);
    }));
    const q = new URLSearchParams({ run: '1' });
    if (a.shapes) q.set('shapes', a.shapes);
    if (a.rounds) q.set('rounds', a.rounds);
    if (a.batch) q.set('batch', a.batch);
    if (a.page !== 'bench' && a.page !== 'kernels') throw new Error(`--page ${a.page}: bench or kernels`);
    await page.goto(`${server.url}/www/${a.page === 'kernels' ? 'bench-kernels' : 'bench'}.html?${q}`);
    await page.waitForFunction(() => document.body.dataset.done === '1' || document.body.dataset.error,
      null, { timeout: 20 * 60 * 1000, polling: 500 });
    const error = await page.evaluate(() => document.body.dataset.error);
    if (error) throw new Error(`${error}${problems.length ? `\n${problems.join('\n')}` : ''}`);
    const result = await page.evaluate(() => window.benchResult);
    loads.push(load1());
    const ls = loads.filter((x) => x != null);
    result.env.cpu = cpuModel();
    result.env.cores = availableParallelism();
    if (ls.length) result.env.loadavg = { min: Math.min(...ls), max: Math.max(...ls), samples: ls.length };
    const version = chromiumVersion(exe);
    if (version) result.env.browser = version;
    if (a.native || a.nativeParallel) {
      result.native = {
        single: a.native ? parseNative(readFileSync(a.native, 'utf8')) : [],
        parallel: a.nativeParallel ? parseNative(readFileSync(a.nativeParallel, 'utf8')) : [],
      };
    }
    if (problems.length) {
      result.env.consoleErrors = problems;
      console.warn(`bench: the page logged ${problems.length} error(s):\n  ${problems.join('\n  ')}`);
    }
    mkdirSync(OUT, { recursive: true });
    if (a.page === 'kernels') {
      const { cpu, loadavg, browser } = result.env;
      const kmd = await page.evaluate((env) => {
        Object.assign(window.benchResult.env, env);
        return window.benchMarkdown();
      }, { cpu, loadavg, browser });
      writeFileSync(join(OUT, 'bench-kernels.json'), `${JSON.stringify(result, null, 1)}\n`);
      writeFileSync(join(OUT, 'bench-kernels.md'), `${kmd}\n`);
      console.log(`\n${kmd}\n\nbench: wrote bench-out/bench-kernels.json and bench-out/bench-kernels.md`);
      return;
    }
    const md = markdown(result);
    writeFileSync(join(OUT, 'bench.json'), `${JSON.stringify(result, null, 1)}\n`);
    writeFileSync(join(OUT, 'bench.md'), `${md}\n`);
    console.log(`\n${md}\n`);
    console.log('bench: wrote bench-out/bench.json and bench-out/bench.md');
  } finally {
    clearInterval(sampler);
    await ctx?.close();
    rmSync(profile, { recursive: true, force: true });
    await server.stop();
  }
}

main().catch((e) => {
  console.error(`bench: FAILED: ${e.message}`);
  process.exit(1);
});
