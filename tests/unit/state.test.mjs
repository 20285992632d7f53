// state.js, DOM-free: parsing never throws, every parsed value is inside its declared range, each changed value gets
// a note, and serialise → parse is the identity on valid values. Property tests with fast-check (thousands of cases,
// seeded so a failure reproduces), plus the hand-found cases.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { parseState, serialiseState, parseValue, parseHash, formatHash } from '../../www/ui/state.js';

const SPEC = [
  { name: 'eps', type: 'number', min: 0, max: 0.45, step: 0.005, default: 0.3 },
  { name: 'digit', type: 'int', min: 0, max: 1999, default: 0 },
  { name: 'method', type: 'enum', values: ['ibp', 'crown', 'crown-ibp'], default: 'crown-ibp' },
  { name: 's', type: 'text', maxLength: 40, default: 'the dog' },
  { name: 'embed', type: 'bool', default: false, share: false },
];
const SEED = 20261201;

const hostile = fc.oneof(
  fc.constantFrom('NaN', 'Infinity', '-Infinity', '1e308', '-1e308', '-0', '', ' ', '0x10', '1e-400', '٣', '１',
    '<script>alert(1)</script>', '"><img src=x onerror=alert(1)>', '\u202e0.1', '0.1\u200f', '%E0%A4%A', 'null',
    'undefined', '[object Object]', '1,5', '0.1.2', 'true', 'CROWN', ' ibp '),
  fc.string({ maxLength: 50 }),
  fc.double().map(String),
  fc.integer().map(String),
  fc.string({ minLength: 10000, maxLength: 10001 }),
);

function inRange(p, v) {
  switch (p.type) {
    case 'number':
      return Number.isFinite(v) && v >= p.min && v <= p.max;
    case 'int':
      return Number.isInteger(v) && v >= p.min && v <= p.max;
    case 'enum':
      return p.values.includes(v);
    case 'text':
      return typeof v === 'string' && v.length <= p.maxLength;
    case 'bool':
      return typeof v === 'boolean';
    default:
      return false;
  }
}

test('any hostile value parses to an in-range value, and a changed value gets a note naming it', () => {
  fc.assert(fc.property(fc.constantFrom(...SPEC), hostile, (p, raw) => {
    const { value, note } = parseValue(p, raw);
    assert.ok(inRange(p, value), `${p.name}=${JSON.stringify(raw).slice(0, 60)} gave ${value}`);
    const decimal = /^[+-]?(\d+\.?\d*|\.\d+)(e[+-]?\d+)?$/i.test(raw.trim());
    const same = p.type === 'number' || p.type === 'int' ? decimal && Number(raw.trim()) === value
      : p.type === 'enum' ? p.values.some((x) => x.toLowerCase() === raw.trim().toLowerCase())
        : p.type === 'bool' ? ['1', 'true', 'yes', 'on', '', '0', 'false', 'no', 'off'].includes(raw.trim().toLowerCase())
          : raw.length <= p.maxLength;
    if (!same) assert.ok(note && note.startsWith(p.name), `${p.name}=${JSON.stringify(raw).slice(0, 60)} changed silently to ${value}`);
    if (note) {
      assert.ok(note.length < 400, 'a note stays short even for a 10 kB value');
      // eslint-disable-next-line no-control-regex
      assert.doesNotMatch(note, /[\u202a-\u202e\u2066-\u2069\u200e\u200f\u0000-\u001f]/, 'no raw direction or control characters in a note');
    }
  }), { seed: SEED, numRuns: 5000 });
});

test('whole hashes: parseState never throws and reports unknown and repeated keys', () => {
  const key = fc.oneof(fc.constantFrom(...SPEC.map((p) => p.name)), fc.string({ maxLength: 12 }));
  fc.assert(fc.property(fc.array(fc.tuple(key, hostile), { maxLength: 8 }), (pairs) => {
    const params = new URLSearchParams();
    for (const [k, v] of pairs) params.append(k, v);
    const { values, notes } = parseState(SPEC, params);
    for (const p of SPEC) assert.ok(inRange(p, values[p.name]), p.name);
    for (const k of new Set(params.keys())) {
      if (!SPEC.some((p) => p.name === k)) assert.ok(notes.some((n) => n.includes('ignored') || n.includes('engine build')), `unknown ${k}`);
      else if (params.getAll(k).length > 1) assert.ok(notes.some((n) => n.includes(`${k} is given`)), `repeated ${k}`);
    }
  }), { seed: SEED, numRuns: 3000 });
});

test('serialise then parse is the identity on valid values, with no notes', () => {
  const valid = fc.record({
    eps: fc.integer({ min: 0, max: 90 }).map((i) => Number((i * 0.005).toFixed(3))),
    digit: fc.integer({ min: 0, max: 1999 }),
    method: fc.constantFrom('ibp', 'crown', 'crown-ibp'),
    s: fc.string({ maxLength: 40 }),
    embed: fc.boolean(),
  });
  fc.assert(fc.property(valid, (v) => {
    const q = serialiseState(SPEC, v);
    const { values, notes } = parseState(SPEC, new URLSearchParams(q));
    assert.deepEqual(notes, []);
    assert.deepEqual(values, { ...v });
  }), { seed: SEED, numRuns: 2000 });
});

test('hand-found cases', () => {
  const eps = SPEC[0];
  assert.deepEqual(parseValue(eps, '1e308'), { value: 0.45, note: 'eps=1e308 is above the range [0, 0.45]; using 0.45' });
  assert.equal(parseValue(eps, '-1').value, 0);
  assert.equal(parseValue(eps, 'abc').note, 'eps=abc is not a number; using 0.3');
  assert.equal(parseValue(SPEC[1], '1999999').value, 1999);
  assert.match(parseValue(SPEC[1], '2.5').note, /not a whole number/);
  assert.equal(parseValue(SPEC[2], 'CROWN').value, 'crown');
  assert.deepEqual(parseValue(SPEC[1], '0x10'), { value: 0, note: 'digit=0x10 is not a number; using 0' });
  assert.match(parseValue(eps, '5e-324').note, /more decimals/);
  assert.equal(parseValue(eps, '0.123').value, 0.123);
  assert.equal(parseValue(eps, '\u202e0.1').note, 'eps=‹U+202E›0.1 is not a number; using 0.3');
  const { route, params } = parseHash('#/verify?eps=0.1&digit=3');
  assert.equal(route, 'verify');
  assert.equal(params.get('eps'), '0.1');
  assert.equal(formatHash('verify', 'eps=0.1'), '#/verify?eps=0.1');
  assert.equal(parseHash('').route, '');
});
