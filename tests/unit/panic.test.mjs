// The engine's panic summary: the panic hook's text (Rust's "panicked at FILE:LINE:COL:" line, the message, then a
// stack) becomes one line that leads with the message.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { panicSummary } from '../../www/engine/panic.js';

test('a panic hook text leads with the message and keeps the place', () => {
  const text = 'panicked at src/labs/roll/mod.rs:120:9:\nindex out of bounds: the len is 3 but the index is 7\n\nStack:\n\nError\n    at x (y.js:1:2)';
  assert.equal(panicSummary(text), 'index out of bounds: the len is 3 but the index is 7 (at src/labs/roll/mod.rs:120:9)');
});

test('other texts keep their first line, at most 300 characters', () => {
  assert.equal(panicSummary('unreachable\nmore'), 'unreachable');
  assert.equal(panicSummary('x'.repeat(500)).length, 300);
  assert.equal(panicSummary('panicked at a.rs:1:1:'), 'panicked at a.rs:1:1:');
  assert.equal(panicSummary(undefined), 'undefined');
});
