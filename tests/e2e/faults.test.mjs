// Faults, every live lab (issue: hostile input, faults): a real Rust panic in the engine's worker (the test-only
// `testPanic` export of pkg-relaxed/, built by `make build-test` with the cargo feature test-hooks; the instance is
// poisoned) while the lab shows non-default settings. The page must say so, start a fresh worker, keep the
// settings exactly, and the next action — a settings change through the URL — must work: every status the lab
// mirrors into `#lab[data-*-status]` settles on something other than "error", with no page or console error.
// "Works" is measured: at least one engine call succeeds after the restart (the lab's run button is pressed when a
// settings change alone calls nothing) and none fails.
// The lab list comes from the registry, so a new lab is covered as soon as it is live.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startBrowser, stopBrowser, open, ready, labValues, liveLabs, labSpec, settle, damageFiles } from './helpers.mjs';

const LIVE = liveLabs();

let srv;
let ctx;
before(async () => ({ srv, ctx } = await startBrowser()));
after(() => stopBrowser(srv, ctx));

/** Two valid non-default settings of the lab: the first visible numeric setting at its max (then its min), or an
 *  enum's other value. */
function variants(spec) {
  const num = spec.find((p) => !p.hidden && (p.type === 'number' || p.type === 'int') && p.max !== undefined && p.max !== p.default);
  if (num) return [[num.name, num.max], [num.name, num.min]];
  const en = spec.find((p) => !p.hidden && p.type === 'enum' && p.values.length > 1);
  const others = en.values.filter((v) => v !== en.default);
  return [[en.name, others[0]], [en.name, en.default]];
}

for (const id of LIVE) {
  test(`faults: ${id} survives a worker crash with its settings`, async () => {
    const probe = await open(ctx, `${srv.plain}/#/${id}`);
    await ready(probe.page, 90000);
    const spec = await labSpec(probe.page);
    await probe.page.close();
    const [[k1, v1], [k2, v2]] = variants(spec);

    const { page, errors } = await open(ctx, `${srv.plain}/#/${id}?${k1}=${encodeURIComponent(v1)}`);
    try {
      await ready(page, 90000);
      await settle(page);
      const before = await labValues(page);
      assert.equal(String(before[k1]), String(v1));
      // Count the engine calls that succeed and fail from here on.
      await page.evaluate(() => {
        const e = window.paperlab.engine;
        const orig = e._call.bind(e);
        window.__calls = { ok: 0, failed: [] };
        e._call = async (hnd, method, args) => {
          try {
            const r = await orig(hnd, method, args);
            window.__calls.ok += 1;
            return r;
          } catch (err) {
            window.__calls.failed.push(`${method}: ${err.message}`);
            throw err;
          }
        };
      });
      const buildBefore = await page.evaluate(() => window.paperlab.engine.backend?.build);
      // A real Rust panic: pkg-relaxed/ (this page's build) is made with the test-only `testPanic` export by
      // `make build-test`. The page must say what panicked and where.
      assert.equal(await page.evaluate(() => window.paperlab.engine.api.hasTestHooks()), true,
        `${buildBefore} has no test hooks: build it with \`make build-test\``);
      const msg = await page.evaluate(() => window.paperlab.engine.crashForTest());
      assert.match(msg, /crashed: test-hooks panic: a deliberate crash for a test \(at src\/wasm\/mod\.rs:\d+:\d+\)/);
      await page.waitForFunction(() => /test-hooks panic.*restarted; your settings are kept/s.test(document.querySelector('[data-testid=notes]')?.textContent || ''), null, { timeout: 60000 });
      assert.deepEqual(await labValues(page), before, 'settings changed across the restart');
      // Regression: the restart used to start the plain build (no relaxed SIMD) whatever ran before.
      assert.equal(await page.evaluate(() => window.paperlab.engine.backend?.build), buildBefore, 'the restarted engine runs another build');
      // The next action works on the fresh worker.
      await page.evaluate(([h]) => { location.hash = h; }, [`#/${id}?${k2}=${encodeURIComponent(v2)}`]);
      await page.waitForFunction(([k, v]) => String(window.paperlab.lab.values[k]) === v, [k2, String(v2)]);
      const statuses = await settle(page);
      for (const [k, s] of Object.entries(statuses)) assert.notEqual(s, 'error', `${id}: ${k} is "error" after the restart`);
      assert.notEqual(await page.evaluate(() => document.body.dataset.status), 'error');
      // A setting that only re-draws what is computed (corruptions' severity): try the lab's other visible
      // settings, one change each, until one calls the engine.
      for (const p of spec.filter((q) => !q.hidden && q.name !== k2 && (q.type === 'enum' ? q.values?.length > 1 : q.type === 'number' || q.type === 'int'))) {
        if ((await page.evaluate(() => window.__calls.ok)) > 0) break;
        const v = p.type === 'enum' ? p.values.find((x) => x !== p.default) : p.max;
        if (v === undefined) continue;
        await page.evaluate(([h]) => { location.hash = h; }, [`#/${id}?${p.name}=${encodeURIComponent(v)}`]);
        await settle(page);
        await page.waitForTimeout(500);
      }
      // A lab whose settings only take effect on a run (ucb, molecules): the run button is the next action.
      if ((await page.evaluate(() => window.__calls.ok)) === 0 && (await page.locator('[data-testid=run]').count())) {
        await page.click('[data-testid=run]');
        await page.waitForFunction(() => window.__calls.ok > 0 || window.__calls.failed.length > 0, null, { timeout: 90000 });
        if ((await page.evaluate(() => document.getElementById('lab').dataset.runStatus)) === 'running') await page.click('[data-testid=run]');
        const after = await settle(page);
        for (const [k, s] of Object.entries(after)) assert.notEqual(s, 'error', `${id}: ${k} is "error" after the run`);
      }
      const calls = await page.evaluate(() => window.__calls);
      assert.ok(calls.ok >= 1, `${id}: no engine call succeeded after the restart (${calls.failed.join('; ')})`);
      assert.deepEqual(calls.failed, []);
      // The panic hook's console.error of the deliberate panic (in the worker, and relayed to the page) is expected;
      // anything else is not.
      const deliberate = (e) => /console\.error: panicked at src\/wasm\/mod\.rs:\d+:\d+:\ntest-hooks panic: a deliberate crash for a test\n/.test(e);
      assert.ok(errors.some(deliberate), 'the panic hook printed no panic message');
      assert.deepEqual(errors.filter((e) => !deliberate(e)), []);
    } finally {
      await page.close();
    }
  });
}

// A damaged shipped file: every .safetensors the lab downloads arrives with one byte flipped (same size, so only the
// checksum can tell). The page must name the file and say it is damaged (www/checksums.json, checked by the worker),
// with no page error; a lab that loads its models lazily has its load buttons pressed; one that downloads no
// .safetensors at all is skipped by name.
for (const id of LIVE) {
  test(`faults: ${id} names a damaged shipped file`, async (t) => {
    const { page, errors } = await open(ctx, `${srv.plain}/#/${id}`);
    const damaged = await damageFiles(page.context(), '**/*.safetensors');
    try {
      await ready(page, 90000);
      // A lab that loads its models on first use (www/ui/lazy.js): ask for every lazy set.
      for (const b of await page.$$('[data-testid$="-load"]')) if (await b.isVisible()) await b.click();
      await page.waitForTimeout(damaged.length ? 0 : 3000);
      if (!damaged.length) {
        t.skip(`${id} downloads no .safetensors, even on first use`);
        return;
      }
      await page.waitForFunction(() => /is damaged or out of date/.test(document.getElementById('lab').innerText), null, { timeout: 60000 });
      const text = await page.evaluate(() => document.getElementById('lab').innerText);
      const named = damaged.some((p) => text.includes(p.replace(/^\//, '')));
      assert.ok(named, `${id}: the message names one of ${damaged.join(', ')}`);
      assert.deepEqual(errors.filter((e) => !/damaged or out of date/.test(e)), []);
    } finally {
      await damaged.stop();
      await page.close();
    }
  });
}
