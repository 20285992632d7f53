#!/usr/bin/env node
// Slider latency of the verify lab: how long after an epsilon key press the page shows
//   digit     the selected digit's margin bounds (drawn, engine idle when the key is pressed)
//   busy      the same when the key is pressed while a live run is mid-call (it waits behind that one call)
//   verified  the live verified error on all 2,000 test digits
//   pgd       the live PGD error on all 2,000 test digits (it starts after the verified error, so this is the
//             time until everything at the new epsilon is in)
// for each bound method on each shipped model, on the threads build (cross-origin isolated server) and on the
// one-thread build (`?single=1`). Times are measured in the page, from the keydown event to the DOM update that
// shows the result, as the median over a few key presses around epsilon = 0.1 (each press is a fresh epsilon, so
// nothing is cached).
//
//   node scripts/measure-latency.mjs [--rounds 3] [--only threads|single] [--digit 17] [--models ID,ID]
//     [--methods ibp,crown-ibp,crown] [--no-busy]
//
// Uses playwright-core with Debian's Chromium (CHROMIUM overrides), like the e2e tests; PAPERLAB_URL picks an
// already running COOP/COEP server, else one is started on a free port. Prints a Markdown table.

import { readFileSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
import { servers, launch, open, ready, liveResult } from '../tests/e2e/helpers.mjs';

const args = process.argv.slice(2);
const arg = (name, def) => {
  const i = args.indexOf(`--${name}`);
  return i >= 0 && i + 1 < args.length ? args[i + 1] : def;
};
const ROUNDS = Number(arg('rounds', 3));
const ONLY = arg('only', '');
const DIGIT = Number(arg('digit', 17));
const NO_BUSY = args.includes('--no-busy'); // skip the engine-busy measurement (its column then reads NaN)
const METHODS = arg('methods', 'ibp,crown-ibp,crown').split(',');
const MODELS = arg('models', '').split(',').filter(Boolean); // default: every shipped model
const START_EPS = 0.095;
const STEP = 0.005;

function cpuModel() {
  try {
    const m = readFileSync('/proc/cpuinfo', 'utf8').match(/^model name\s*:\s*(.+)$/m);
    if (m) return m[1].trim();
  } catch {
    /* not Linux */
  }
  return cpus()[0]?.model || 'unknown CPU';
}

const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  const k = s.length >> 1;
  return s.length % 2 ? s[k] : (s[k - 1] + s[k]) / 2;
};

/** Arm the in-page timers for a key press that moves epsilon to `eps`. */
function arm(page, eps) {
  return page.evaluate((epsText) => {
    const lab = window.paperlab.lab;
    const root = document.getElementById('lab');
    const verdict = document.querySelector('[data-testid=digit-verdict]');
    const w = { t0: null, digit: null, verified: null, pgd: null };
    window.latency = w;
    const eps = Number(epsText);
    // Capture on the document: runs before the slider's own handler does any work.
    document.addEventListener('keydown', () => { w.t0 = performance.now(); }, { capture: true, once: true });
    const check = () => {
      if (w.t0 == null || lab.values.eps !== eps) return;
      const dt = performance.now() - w.t0;
      if (w.digit == null && verdict.textContent.includes(`ε = ${epsText}`)) w.digit = dt;
      const d = root.dataset;
      if (w.verified == null && d.liveStatus === 'done' && d.liveKey === lab.liveKey()) w.verified = dt;
      if (w.pgd == null && d.pgdStatus === 'done' && d.pgdKey === lab.pgdKey()) w.pgd = dt;
      if (w.digit != null && w.verified != null && w.pgd != null) mo.disconnect();
    };
    const mo = new MutationObserver(check);
    mo.observe(root, { attributes: true, subtree: true, childList: true, characterData: true });
  }, eps.toFixed(3));
}

async function pressAndWait(page, eps, what) {
  await arm(page, eps);
  await page.keyboard.press('ArrowRight');
  await page.waitForFunction((ks) => ks.every((k) => window.latency[k] != null), what, { timeout: 180000, polling: 20 });
  return page.evaluate(() => ({ ...window.latency }));
}

async function measure(ctx, base, single, model, method) {
  const q = single ? '?single=1' : '';
  const { page, errors } = await open(ctx, `${base}/${q}#/verify?model=${model}&method=${method}&eps=${START_EPS}&digit=${DIGIT}`);
  await ready(page, 120000);
  const badge = await page.textContent('[data-testid=backend]');
  const idle = () => page.waitForFunction(() => {
    const d = document.getElementById('lab').dataset;
    return d.liveStatus === 'done' && d.pgdStatus === 'done' && d.digitStatus === 'done';
  }, null, { timeout: 180000, polling: 20 });
  await idle();
  await page.focus('#eps');
  let eps = START_EPS;
  const rows = { digit: [], busy: [], verified: [], pgd: [] };
  for (let r = 0; r < ROUNDS; r++) {
    // From idle: everything at the new epsilon.
    eps = Number((eps + STEP).toFixed(3));
    const t = await pressAndWait(page, eps, ['digit', 'verified', 'pgd']);
    rows.digit.push(t.digit);
    rows.verified.push(t.verified);
    rows.pgd.push(t.pgd);
    if (NO_BUSY) continue;
    // Busy: press once to start a run, wait until a call of it is in flight, press again.
    eps = Number((eps + STEP).toFixed(3));
    await page.keyboard.press('ArrowRight');
    await page.waitForFunction(() => {
      const { lab } = window.paperlab;
      return (lab.liveRun && lab.liveRun.done > 0) || (lab.pgdRun && lab.pgdRun.done > 0);
    }, null, { timeout: 60000, polling: 5 });
    eps = Number((eps + STEP).toFixed(3));
    const b = await pressAndWait(page, eps, ['digit']);
    rows.busy.push(b.digit);
    await idle();
  }
  const key = `${model}|${eps}|${method}|1|${method === 'ibp' ? '-' : 'adaptive'}`;
  const n = (await liveResult(page, key)).n;
  if (n !== 2000) throw new Error(`${key}: ${n} digits`);
  if (errors.length) throw new Error(`page errors: ${errors.join('; ')}`);
  await page.close();
  return { badge, digit: median(rows.digit), busy: median(rows.busy), verified: median(rows.verified), pgd: median(rows.pgd) };
}

const srv = await servers();
const ctx = await launch();
try {
  const { models } = await (await fetch(`${srv.isolated}/www/models/verify/manifest.json`)).json();
  const backends = [
    { name: 'threads', single: false },
    { name: 'single', single: true },
  ].filter((b) => !ONLY || b.name === ONLY);
  const fmt = (ms) => (ms < 1000 ? `${Math.round(ms)} ms` : `${(ms / 1000).toFixed(2)} s`);
  const lines = [];
  lines.push(`Verify lab slider latency · ${new Date().toISOString().slice(0, 10)} · ${cpuModel()} · `
    + `${cpus().length} logical CPUs · median of ${ROUNDS} key presses from ε = ${(START_EPS + STEP).toFixed(3)}, digit ${DIGIT}`);
  lines.push('');
  lines.push('| build | model | method | digit bounds | digit bounds, engine busy | verified error, 2,000 digits | + PGD-20, 2,000 digits |');
  lines.push('|---|---|---|---:|---:|---:|---:|');
  for (const b of backends) {
    for (const m of models.filter((x) => !MODELS.length || MODELS.includes(x.id))) {
      for (const method of METHODS) {
        const r = await measure(ctx, srv.isolated, b.single, m.id, method);
        const line = `| ${r.badge.replace(/\s*\(.*\)$/, '')} | ${m.id} | ${method} | ${fmt(r.digit)} | ${fmt(r.busy)} | ${fmt(r.verified)} | ${fmt(r.pgd)} |`;
        lines.push(line);
        // Other processes skew the numbers: show the load average next to each row as it is measured.
        console.error(`${line}  (load average ${loadavg().map((x) => x.toFixed(2)).join(' ')})`);
      }
    }
  }
  console.log(lines.join('\n'));
} finally {
  await ctx.close();
  await srv.close();
}
