// Both builds give the same numbers: the threads build (cross-origin isolated server) and the one-thread SIMD
// fallback (a server without COOP/COEP). Compares full-test-set verified/clean error counts for each bound method,
// the live PGD error, and one digit's margin bounds; and both equal the manifest where the settings coincide (PGD
// exactly: it is seeded per digit index, so however the page splits the test set the attack is the same).
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { servers, launch, open, ready, liveResult, pgdResult, shot } from './helpers.mjs';

let srv;
let ctx;
let model;
let metrics;
let config;

before(async () => {
  srv = await servers();
  ctx = await launch();
  const { models } = await (await fetch(`${srv.isolated}/www/models/verify/manifest.json`)).json();
  const entry = models.find((m) => m.id === 'mlp-crownibp') || models[0];
  model = entry.id;
  metrics = entry.metrics || {};
  config = entry.config || {};
});
after(async () => {
  await ctx?.close();
  await srv?.close();
});

// Settings compared on both builds (model|eps|method|beta|slope); CROWN is the slowest, so it gets a small eps only
// once. PGD is compared at PGD_EPS with the manifest's steps and seed (the page's defaults).
const CASES = [
  { eps: 0.1, method: 'ibp', beta: 1 },
  { eps: 0.3, method: 'crown-ibp', beta: 1 },
  { eps: 0.2, method: 'crown-ibp', beta: 0.5 },
  { eps: 0.05, method: 'crown', beta: 1 },
];
const PGD_EPS = 0.1;

async function measure(base) {
  const { page, errors } = await open(ctx, `${base}/#/verify?model=${model}&eps=${PGD_EPS}&method=ibp&digit=17`);
  await ready(page);
  const pgd = await pgdResult(page, `${model}|${PGD_EPS}|${config.pgd_steps}|${config.pgd_seed}`);
  const badge = {
    backend: await page.getAttribute('[data-testid=backend]', 'data-backend'),
    threads: Number(await page.getAttribute('[data-testid=backend]', 'data-threads')),
    text: await page.textContent('[data-testid=backend]'),
    isolated: await page.evaluate(() => crossOriginIsolated),
    hc: await page.evaluate(() => navigator.hardwareConcurrency),
  };
  const results = [];
  for (const c of CASES) {
    await page.evaluate((q) => { location.hash = `#/verify?${q}`; },
      `model=${model}&eps=${c.eps}&method=${c.method}&beta=${c.beta}&digit=17`);
    const key = `${model}|${c.eps}|${c.method}|${c.method === 'crown-ibp' ? c.beta : 1}|${c.method === 'ibp' ? '-' : 'adaptive'}`;
    results.push({ key, ...(await liveResult(page, key, 90000)) });
  }
  const bounds = await page.evaluate(async () => {
    const { lab } = window.paperlab;
    const out = {};
    for (const m of ['ibp', 'crown', 'crown-ibp']) {
      out[m] = Array.from((await lab.handle.call('digit_bounds', [17, 0.1, m, 1])).value);
    }
    out.pgd = Array.from((await lab.handle.call('pgd_digit', [17, 0.1, 20, 0])).value.subarray(0, 10));
    return out;
  });
  await shot(page, `backend-${badge.backend}`);
  await page.close();
  return { badge, results, pgd, bounds, errors };
}

test('threads build and one-thread fallback agree', async () => {
  const t = await measure(srv.isolated);
  assert.equal(t.badge.isolated, true);
  assert.equal(t.badge.backend, 'threads');
  assert.equal(t.badge.threads, t.badge.hc);
  assert.match(t.badge.text, /^threads \+ SIMD( \+ FMA)? · \d+ threads?$/);
  assert.deepEqual(t.errors, []);

  const s = await measure(srv.plain);
  assert.equal(s.badge.isolated, false);
  assert.equal(s.badge.backend, 'simd');
  assert.equal(s.badge.threads, 1);
  assert.match(s.badge.text, /^SIMD( \+ FMA)? · 1 thread \(not cross-origin isolated\)$/);
  assert.deepEqual(s.errors, []);

  for (const r of [...t.results, ...s.results]) assert.equal(r.n, 2000, `${r.key}: every test digit counted once`);
  assert.deepEqual(s.results, t.results, 'verified and clean error counts are identical');
  for (const k of Object.keys(t.bounds)) {
    const a = t.bounds[k];
    const b = s.bounds[k];
    assert.equal(a.length, b.length);
    let worst = 0;
    for (let i = 0; i < a.length; i++) worst = Math.max(worst, Math.abs(a[i] - b[i]) / (1e-5 + 1e-5 * Math.abs(a[i])));
    assert.ok(worst <= 1, `${k}: bounds differ between builds (max scaled diff ${worst}): ${a.slice(0, 4)} vs ${b.slice(0, 4)}`);
  }
  // The live numbers are those the manifest precomputed (same code, same digits) where the settings coincide.
  const column = { ibp: 'ibp_err', crown: 'crown_err', 'crown-ibp': 'crownibp_err' };
  let compared = 0;
  CASES.forEach((c, i) => {
    const k = (metrics.eps || []).findIndex((e) => Math.abs(e - c.eps) < 1e-6);
    const want = metrics[column[c.method]]?.[k];
    if (k < 0 || c.beta !== 1 || typeof want !== 'number') return;
    const got = t.results[i].verified / t.results[i].n;
    assert.ok(Math.abs(got - want) < 1e-4, `${t.results[i].key}: live ${got} vs manifest ${want}`);
    compared += 1;
  });
  assert.ok(compared >= 2, 'at least two settings are compared with the manifest');
  // PGD: the same count on both builds, and exactly the manifest's (stored as an f32 fraction of the test set).
  assert.equal(t.pgd.n, 2000);
  assert.deepEqual(s.pgd, t.pgd, 'PGD errors are identical on both builds');
  const k = (metrics.eps || []).findIndex((e) => Math.abs(e - PGD_EPS) < 1e-6);
  assert.ok(k >= 0 && typeof metrics.pgd_err?.[k] === 'number', `the manifest has a PGD error at eps ${PGD_EPS}`);
  assert.equal(Math.fround(t.pgd.errors / t.pgd.n), metrics.pgd_err[k],
    `live PGD-${config.pgd_steps} (seed ${config.pgd_seed}) ${t.pgd.errors}/${t.pgd.n} vs manifest ${metrics.pgd_err[k]}`);
  console.log(JSON.stringify({ results: t.results, pgd: t.pgd }));
});
