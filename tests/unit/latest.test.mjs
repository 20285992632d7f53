// latest() (www/ui/latest.js): calls while a run is in flight coalesce into exactly one more run after it, which
// sees the state of then; a call after the runs start a new one.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { latest } from '../../www/ui/latest.js';

test('calls during a run give one more run, with the latest state', async () => {
  let state = 0;
  const seen = [];
  let release;
  const f = latest(async () => {
    seen.push(state);
    if (seen.length === 1) await new Promise((r) => { release = r; });
  });
  const first = f();
  state = 1;
  f();
  state = 2;
  const third = f();
  release();
  await first;
  await third;
  assert.deepEqual(seen, [0, 2]);
  state = 3;
  await f();
  assert.deepEqual(seen, [0, 2, 3]);
});

test('an error ends the run and does not block the next call', async () => {
  let n = 0;
  const f = latest(async () => {
    n += 1;
    if (n === 1) throw new Error('boom');
  });
  await assert.rejects(f(), /boom/);
  await f();
  assert.equal(n, 2);
});
