// URL-state fuzzing of every live lab (issue: hostile input): fast-check generates hostile hashes from each lab's own
// settings spec — NaN, ±Infinity, 1e308, -0, empty, hex, repeated keys, unknown keys and enum values, broken
// percent-encoding, 10 kB values, script/HTML strings, direction marks — and each one is applied to a loaded lab by
// editing the hash (the page's own hashchange path). After every case, in the real page:
//   - no page error, console error or CSP violation;
//   - no "NaN", "undefined" or "[object Object]" in the visible text outside the notes box (a note may quote the
//     raw value it rejected, by design);
//   - every setting the page holds is inside its declared range (numbers finite, in [min, max]; ints whole; enum
//     values among the allowed; text within maxLength);
//   - every given setting whose value was not taken as written is named in a note, as is every unknown key.
// The lab list comes from the registry, so a new lab is fuzzed as soon as it is live. Runs are seeded
// (PAPERLAB_FUZZ_SEED, default 20190506) and short (PAPERLAB_URL_FUZZ_RUNS per lab, default 12); raise them locally.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { startBrowser, stopBrowser, open, ready, liveLabs, labSpec } from './helpers.mjs';

const LIVE = liveLabs();
const SEED = Number(process.env.PAPERLAB_FUZZ_SEED || 20190506);
const RUNS = Number(process.env.PAPERLAB_URL_FUZZ_RUNS || 12);

let srv;
let ctx;
before(async () => ({ srv, ctx } = await startBrowser()));
after(() => stopBrowser(srv, ctx));

// Values written into the query as they are (not percent-encoded): broken escapes must reach the parser.
const RAW = ['%', '%E0%A4%A', '%zz', '%00', '%ff%fe'];
const HOSTILE = [
  'NaN', 'nan', 'Infinity', '-Infinity', '+Infinity', '1e308', '-1e308', '1e309', '-0', '0', '', ' ', '0x10', '0b1',
  '1e-400', '5e-324', '1,5', '1_000', '١٢', 'undefined', 'null', 'true', 'on', '[object Object]', '__proto__',
  '<script>alert(1)</script>', '"><img src=x onerror=alert(1)>', '\u202Eevil', 'a\u200Fb', '\u0000', '😀',
  'x'.repeat(10000), '9'.repeat(400),
];

// Cases the fuzzer found, replayed first on every run (each fixed; the comment says what broke).
const REGRESSIONS = {
  // A model switch reset the interval plot's axis; a resize (embed on) redrew it before the next update: TypeError.
  verify: ['embed=&model=mlp-natural&EPS=%zz&slope=%20', 'embed=0'],
};

/** Hostile queries for one lab's spec: up to 6 key/value pairs over its own keys, unknown keys and `__proto__`. */
function queryArb(spec) {
  const names = spec.map((p) => p.name);
  const key = fc.oneof(
    { weight: 6, arbitrary: fc.constantFrom(...names) },
    { weight: 1, arbitrary: fc.constantFrom('zz', '__proto__', 'constructor', 'EPS', '') },
    { weight: 1, arbitrary: fc.string({ maxLength: 8 }) },
  );
  const enumVals = spec.flatMap((p) => (p.values || []).map(String));
  const value = fc.oneof(
    { weight: 4, arbitrary: fc.constantFrom(...HOSTILE).map(encodeURIComponent) },
    { weight: 1, arbitrary: fc.constantFrom(...RAW) },
    { weight: 2, arbitrary: fc.double().map((x) => encodeURIComponent(String(x))) },
    { weight: 1, arbitrary: fc.integer({ min: -1e6, max: 1e6 }).map(String) },
    { weight: 1, arbitrary: fc.string({ unit: 'binary', maxLength: 12 }).map(encodeURIComponent) },
    ...(enumVals.length ? [{ weight: 2, arbitrary: fc.constantFrom(...enumVals).map(encodeURIComponent) }] : []),
  );
  return fc.array(fc.tuple(key, value), { minLength: 1, maxLength: 6 })
    .map((pairs) => pairs.map(([k, v]) => `${encodeURIComponent(k)}=${v}`).join('&'));
}

/** Applies `hash` through the page's hashchange path and waits for the update to settle. */
async function applyHash(page, hash) {
  await page.evaluate((h) => new Promise((resolve) => {
    const done = () => requestAnimationFrame(() => setTimeout(resolve, 30));
    if (location.hash === h) { done(); return; }
    addEventListener('hashchange', done, { once: true });
    location.hash = h;
  }), hash);
}

/** What the page shows and holds after a case. */
function inspect(page) {
  return page.evaluate(() => {
    const lab = window.paperlab.lab;
    const notesEl = document.querySelector('[data-testid=notes]');
    const notes = notesEl && !notesEl.hidden ? [...notesEl.querySelectorAll('li')].map((li) => li.textContent) : [];
    const clone = document.getElementById('lab').cloneNode(true);
    clone.querySelectorAll('[data-testid=notes]').forEach((n) => n.remove());
    return { values: { ...lab.values }, notes, text: clone.innerText ?? clone.textContent };
  });
}

/** The checks of one case: returns a list of problems (empty when the page handled the query). */
function problems(spec, query, seen) {
  const out = [];
  const bad = /\bNaN\b|\bundefined\b|\[object Object\]/.exec(seen.text);
  if (bad) out.push(`visible text contains "${bad[0]}" near "${seen.text.slice(Math.max(0, bad.index - 40), bad.index + 40)}"`);
  const params = new URLSearchParams(query);
  const allNotes = seen.notes.join('\n');
  for (const p of spec) {
    const v = seen.values[p.name];
    if (p.type === 'number' || p.type === 'int') {
      if (typeof v !== 'number' || !Number.isFinite(v)) out.push(`${p.name} = ${v} is not a finite number`);
      else if ((p.min !== undefined && v < p.min) || (p.max !== undefined && v > p.max)) out.push(`${p.name} = ${v} outside [${p.min}, ${p.max}]`);
      if (p.type === 'int' && !Number.isInteger(v)) out.push(`${p.name} = ${v} is not whole`);
    } else if (p.type === 'enum') {
      if (p.values && !p.values.map(String).includes(String(v))) out.push(`${p.name} = ${v} is not one of ${p.values.join(', ')}`);
    } else if (p.type === 'text') {
      if (typeof v !== 'string') out.push(`${p.name} is not text`);
      else if (p.maxLength && v.length > p.maxLength) out.push(`${p.name} is ${v.length} characters, over ${p.maxLength}`);
    } else if (p.type === 'bool') {
      if (typeof v !== 'boolean') out.push(`${p.name} = ${v} is not a boolean`);
    }
    if (!params.has(p.name)) continue;
    const raw = params.get(p.name);
    const taken = p.type === 'bool' ? (v ? '1' : '0') : String(v);
    const asWritten = raw === taken || (p.type !== 'text' && p.type !== 'enum' && Number(raw) === v && raw.trim() !== '' && /^[+-]?[\d.]/.test(raw.trim()));
    // Flag forms (`embed`, `embed=1`, `embed=on`, `embed=no`…) are documented in state.js and need no note.
    const boolOk = p.type === 'bool' && (['1', 'true', 'yes', 'on', ''].includes(raw.trim().toLowerCase()) ? v === true
      : ['0', 'false', 'no', 'off'].includes(raw.trim().toLowerCase()) && v === false);
    if (!asWritten && !boolOk && !allNotes.includes(p.name)) out.push(`${p.name}=${JSON.stringify(raw.slice(0, 60))} was taken as ${JSON.stringify(taken.slice(0, 60))} with no note naming ${p.name}`);
  }
  const known = new Set(spec.map((p) => p.name));
  for (const k of new Set(params.keys())) {
    if (known.has(k) || k === 'single' || k === 'relaxed') continue;
    const shown = k.length > 40 ? k.slice(0, 40) : k;
    if (k && !allNotes.includes('unknown setting') && !allNotes.includes(shown)) out.push(`unknown key ${JSON.stringify(k.slice(0, 40))} has no note`);
  }
  return out;
}

for (const id of LIVE) {
  test(`url fuzz: ${id} survives ${RUNS} hostile hashes`, async () => {
    const { page, errors } = await open(ctx, `${srv.plain}/#/${id}`);
    try {
      await ready(page, 90000);
      const spec = await labSpec(page);
      assert.ok(spec.length > 0, `${id}: the lab exposes no settings spec`);
      for (const query of REGRESSIONS[id] || []) {
        await applyHash(page, `#/${id}?${query}`);
        const found = problems(spec, query, await inspect(page));
        if (errors.length) found.push(`page errors: ${errors.slice(0, 3).join(' | ')}`);
        assert.deepEqual(found, [], `regression case ${id}?${query}`);
      }
      let n = 0;
      await fc.assert(fc.asyncProperty(queryArb(spec), async (query) => {
        n += 1;
        await applyHash(page, `#/${id}?${query}`);
        const seen = await inspect(page);
        const found = problems(spec, query, seen);
        if (errors.length) found.push(`page errors: ${errors.slice(0, 3).join(' | ')}`);
        if (found.length) throw new Error(`${id}?${query.slice(0, 300)}\n  ${found.join('\n  ')}`);
      }), { seed: SEED, numRuns: RUNS, endOnFailure: true, includeErrorInReport: true });
      assert.equal(n, RUNS);
      // The lab still answers after the storm: the defaults restore cleanly, with no notes.
      await applyHash(page, `#/${id}`);
      const seen = await inspect(page);
      assert.deepEqual(problems(spec, '', seen), []);
      assert.deepEqual(errors, []);
      assert.equal(await page.evaluate(() => document.body.dataset.route), id);
    } finally {
      await page.close();
    }
  });
}
