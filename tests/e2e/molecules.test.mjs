// The molecules lab: it becomes ready with RDKit MinimalLib loaded, a short GA+D run finishes with finite numbers
// and drawn molecules, the same seed gives the same run, random SELFIES decoded by the engine are all valid for
// MinimalLib, SA from MinimalLib's molecular graph equals RDKit's sascorer.py on the small and unusual molecules of
// the fixture, a bad start SMILES gets a clear message, and there are no page or console errors. MinimalLib (2.3 MB)
// and the SA table are not fetched for the first view (the precomputed runs); the first run starts them.
// Small runs (N = 12 for 3 generations with 40 reference molecules; N = 10 for the bad SMILES) keep the file short.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { gunzipSync } from 'node:zlib';
import { startBrowser, stopBrowser, open, ready, shot, ROOT } from './helpers.mjs';

// The fixture's molecules after the 400 MOSES ones: SMILES and sascorer.py's SA (scripts/molecules_reference.py).
const SA_EDGE = gunzipSync(readFileSync(`${ROOT}/tests/fixtures/molecules/sa.tsv.gz`)).toString('utf8')
  .split('\n').filter((l) => l && !l.startsWith('#')).slice(400).map((l) => l.split('\t')).map((r) => [r[0], Number(r[1])]);

let srv;
let ctx;
before(async () => ({ srv, ctx } = await startBrowser()));
after(() => stopBrowser(srv, ctx));

const runOnce = async (page) => {
  await page.click('[data-testid=run]');
  await page.waitForSelector('#lab[data-run-status="done"]', { timeout: 120000 });
  return page.evaluate(() => window.paperlab.lab.history.map((s) => [s.generation, s.best_j, s.mean_j, s.top[0].smiles]));
};

test('molecules: a short run finishes, is reproducible, and MinimalLib accepts random SELFIES', async () => {
  const { page, errors } = await open(ctx, `${srv.isolated}/?single=1&relaxed=0#/molecules?population=12&generations=3&reference=40&beta=1&seed=3`);
  const fetched = [];
  ctx.on('request', (r) => fetched.push(new URL(r.url()).pathname));
  await ready(page, 120000);
  assert.equal(await page.evaluate(() => document.body.dataset.status), 'ok');
  await page.waitForTimeout(500);
  assert.ok(!fetched.some((p) => /RDKit_minimal|sa_fpscores/.test(p)), 'no MinimalLib and no SA table for the first view');
  assert.equal(await page.evaluate(() => document.getElementById('lab').dataset.chemStatus), 'idle');
  assert.match(await page.textContent('[data-testid=gallery]'), /precomputed β = 0 \(seed 1\) · mean logP -?\d/);
  // "What to notice" before any run: the precomputed runs' seed-spread sentences (www/labs/molecules-findings.js).
  assert.match(await page.textContent('body'), /Precomputed runs: N = \d+, \d+ generations/);
  assert.match(await page.textContent('body'), /(in every seed|within the seed spread)/);
  const a = await runOnce(page);
  assert.match(await page.textContent('[data-testid=chem]'), /RDKit MinimalLib 2026\.09\.1/);
  assert.ok(fetched.some((p) => p.endsWith('RDKit_minimal.wasm')));
  assert.ok(fetched.some((p) => p.endsWith('sa_fpscores.bin')));
  assert.equal(await page.isHidden('[data-testid=chem-lazy]'), true);
  assert.equal(a.length, 3);
  for (const [, best, mean] of a) assert.ok(Number.isFinite(best) && Number.isFinite(mean) && best >= mean - 1e-9, `best ${best} mean ${mean}`);
  assert.ok((await page.$$('[data-testid=gallery] svg')).length >= 1, 'the best molecules are drawn');
  assert.match(await page.textContent('[data-testid=gen-readout]'), /generation 3: best J -?[\d.]+/);
  const b = await runOnce(page);
  assert.deepEqual(b, a, 'the same seed gives the same run');
  // 1,000 random SELFIES over the mutation alphabet, decoded in Rust, read by MinimalLib.
  const bad = await page.evaluate(async () => {
    const lab = window.paperlab.lab;
    const alpha = ['[C]', '[=C]', '[#C]', '[N]', '[=N]', '[#N]', '[O]', '[=O]', '[F]', '[S]', '[=S]', '[Branch1]',
      '[=Branch1]', '[#Branch1]', '[Branch2]', '[Ring1]', '[Ring2]', '[=Ring1]', '[Cl]', '[Br]', '[P]', '[N+1]', '[O-1]'];
    let seed = 12345;
    const rnd = (n) => { seed = (seed * 1103515245 + 12345) % 2147483648; return seed % n; };
    const strings = [];
    for (let i = 0; i < 1000; i++) {
      let s = '';
      for (let k = 0, n = 1 + rnd(40); k < n; k++) s += alpha[rnd(alpha.length)];
      strings.push(s);
    }
    const smiles = (await Promise.all(strings.map((s) => lab.lab.call('decode', [s])))).map((r) => r.value);
    const res = await lab.chem.call('evaluate', smiles);
    // A string of only branch/ring symbols decodes to the empty molecule '' (the package does the same).
    return smiles.filter((s, i) => s !== '' && res[i] === null);
  });
  assert.deepEqual(bad, [], 'every decoded SELFIES is a valid molecule for RDKit');
  // SA in the page (MinimalLib's graph, Morgan ids hashed in Rust, RDKit's fragment table) against sascorer.py.
  assert.ok(SA_EDGE.length >= 70 && SA_EDGE[0][0] === 'C', 'the fixture ends with the edge molecules, methane first');
  const sa = await page.evaluate(async (smiles) => {
    const lab = window.paperlab.lab;
    const answers = await lab.chem.call('evaluate', smiles);
    return Promise.all(answers.map(async (a) => (a ? (await lab.lab.call('sa', [a])).value : null)));
  }, SA_EDGE.map(([s]) => s));
  const off = SA_EDGE.map(([s, want], i) => [s, want, sa[i]]).filter(([, want, got]) => !(Math.abs(got - want) < 1e-9));
  assert.deepEqual(off, [], 'SA in the page equals sascorer.py (SMILES, sascorer, page)');
  await shot(page, 'molecules-1400');
  await page.setViewportSize({ width: 375, height: 900 });
  await shot(page, 'molecules-375');
  assert.deepEqual(errors, []);
  await page.close();
});

test('molecules: a bad start SMILES is explained, not run', async () => {
  const { page, errors } = await open(ctx, `${srv.isolated}/?single=1&relaxed=0#/molecules?start=C1CC(&population=10&generations=2&reference=40`);
  await ready(page, 120000);
  // MinimalLib starts on the run; the start SMILES is checked first.
  await page.click('[data-testid=run]');
  await page.waitForSelector('[data-testid=start-error]:not([hidden])', { timeout: 60000 });
  assert.match(await page.textContent('[data-testid=start-error]'), /Cannot start from 'C1CC\(': RDKit cannot read/);
  await page.waitForSelector('#lab[data-run-status="error"]');
  assert.match(await page.textContent('[data-testid=run-error]'), /fix the start SMILES/);
  // MinimalLib logs parse failures to the console as errors of its own; only ours count.
  assert.deepEqual(errors.filter((e) => !/SMILES Parse Error|Failed parsing SMILES|unclosed ring|extra open parentheses/i.test(e)), []);
  await page.close();
});
