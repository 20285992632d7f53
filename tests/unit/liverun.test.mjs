// LiveRun without a browser: the step-size control against a fake clock (it settles where one step takes
// targetMs, never grows more than 4x at once, respects its bounds), and the loop's status, cancel and error paths.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { LiveRun, nextStepSize } from '../../www/ui/liverun.js';

test('nextStepSize settles at targetMs of work for any cost per unit', () => {
  for (const perUnit of [0.001, 0.3, 5, 200]) {
    let n = 1;
    for (let i = 0; i < 40; i++) n = nextStepSize(n, n * perUnit, { targetMs: 60, maxN: 1e9 });
    const want = Math.max(1, Math.round(60 / perUnit));
    assert.ok(Math.abs(n - want) <= Math.max(1, want * 0.01), `per-unit ${perUnit} ms: n = ${n}, want ${want}`);
  }
  assert.equal(nextStepSize(10, 0.001), 40, 'an unmeasurably fast step grows 4x');
  assert.equal(nextStepSize(10, NaN), 40);
  assert.equal(nextStepSize(100, 1), 400, 'at most 4x per step');
  assert.equal(nextStepSize(100, 6000), 1, 'a slow step shrinks');
  assert.equal(nextStepSize(8, 1, { maxN: 16 }), 16);
  assert.equal(nextStepSize(8, 1e9, { minN: 4 }), 4);
});

/** A job of `total` units costing `perUnit` fake ms each; records the step sizes it was asked for. */
function fakeJob(total, perUnit, clock) {
  let done = 0;
  const sizes = [];
  return {
    sizes,
    begin: async () => total,
    step: async (n) => {
      sizes.push(n);
      const k = Math.min(n, total - done);
      done += k;
      clock.t += k * perUnit;
      return { done, finished: done >= total };
    },
  };
}

test('a run adapts its steps to the clock, reports progress and ends done', async () => {
  const clock = { t: 0 };
  const root = { dataset: {} };
  const seen = [];
  const progress = { start: (n) => seen.push(['start', n]), update: (d) => seen.push(['update', d]), done: () => seen.push(['done']), fail: (m) => seen.push(['fail', m]) };
  const run = new LiveRun({ root, progress, clock: () => clock.t, targetMs: 50 });
  const job = fakeJob(10000, 0.5, clock);
  assert.equal(await run.start(job), 'done');
  assert.equal(root.dataset.runStatus, 'done');
  assert.deepEqual(seen[0], ['start', 10000]);
  assert.deepEqual(seen.at(-1), ['done']);
  assert.equal(seen.at(-2)[1], 10000);
  assert.deepEqual(job.sizes.slice(0, 4), [1, 4, 16, 64]);
  assert.ok(job.sizes.slice(6, -1).every((n) => n === 100), `settles at 50 ms / 0.5 ms = 100: ${job.sizes}`);
});

test('cancel stops the loop at its next step and a new start supersedes an old one', async () => {
  const clock = { t: 0 };
  const root = { dataset: {} };
  const run = new LiveRun({ root, clock: () => clock.t });
  let steps = 0;
  let release;
  const gate = new Promise((r) => { release = r; });
  const job = { begin: async () => 100, step: async () => { steps += 1; await gate; return { done: 1, finished: false }; }, onCancel: (why) => { job.why = why; } };
  const p = run.start(job);
  await new Promise((r) => setTimeout(r, 0));
  run.cancel('settings changed');
  assert.equal(root.dataset.runStatus, 'cancelled');
  assert.equal(job.why, 'settings changed');
  release();
  assert.equal(await p, 'cancelled');
  assert.equal(steps, 1, 'no step after the cancel');
  const p2 = run.start(fakeJob(10, 1, clock));
  const p3 = run.start(fakeJob(10, 1, clock));
  assert.equal(await p2, 'cancelled');
  assert.equal(await p3, 'done');
});

test('an error in a step is shown, not thrown, and the next run works', async () => {
  const root = { dataset: {} };
  const error = { hidden: true, textContent: '' };
  const run = new LiveRun({ root, error });
  const status = await run.start({ begin: async () => 5, step: async () => { throw new Error('the engine crashed'); } });
  assert.equal(status, 'error');
  assert.equal(root.dataset.runStatus, 'error');
  assert.equal(error.hidden, false);
  assert.equal(error.textContent, 'The live run stopped: the engine crashed');
  assert.equal(await run.start(fakeJob(3, 1, { t: 0 })), 'done');
  assert.equal(error.hidden, true);
});
