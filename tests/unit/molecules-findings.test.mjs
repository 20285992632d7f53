// The molecules page's "What to notice" wording (www/labs/molecules-findings.js) against made-up runs: a difference
// is called "in every seed" only when every seed of one setting is beyond every seed of the other, the numbers in the
// sentence are the seeds' mean ± sd, and the adaptive sentence counts the seeds where β switched on. Also checks the
// shipped precomputed file has what the page reads.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import {
  METRICS, summarise, summariseShipped, beyondSpread, compare, shippedNotice, sd,
} from '../../www/labs/molecules-findings.js';

const close = (a, b, tol = 1e-12) => assert.ok(Math.abs(a - b) < tol, `${a} vs ${b}`);
const finalOf = (o) => Object.fromEntries(METRICS.map(([k]) => [k, o[k] ?? 0.5]));

test('beyondSpread: +1 / −1 only when the seeds do not overlap', () => {
  assert.equal(beyondSpread([3, 4, 5], [1, 2, 2.9]), 1);
  assert.equal(beyondSpread([1, 2, 2.9], [3, 4, 5]), -1);
  assert.equal(beyondSpread([1, 3.5, 5], [3, 4, 4.5]), 0, 'overlapping seeds');
  assert.equal(beyondSpread([3, 4], [3, 2]), 0, 'a tie at the edge is not beyond');
  assert.equal(beyondSpread([], [1]), 0);
});

test('summarise: groups by setting in first-seen order; mean and sample sd; non-finite left out', () => {
  const runs = [
    { label: 'b', seed: 1, final: finalOf({ best_j: 1 }) },
    { label: 'a', seed: 1, final: finalOf({ best_j: 2 }) },
    { label: 'b', seed: 2, final: finalOf({ best_j: 3 }) },
    { label: 'b', seed: 3, final: finalOf({ best_j: NaN }) },
  ];
  const s = summarise(runs);
  assert.deepEqual(s.map((x) => x.label), ['b', 'a']);
  assert.deepEqual(s[0].best_j.values, [1, 3]);
  close(s[0].best_j.mean, 2);
  close(s[0].best_j.sd, Math.SQRT2);
  assert.equal(s[1].best_j.sd, 0, 'one seed: sd 0');
  close(sd([2, 4, 4, 4, 5, 5, 7, 9]), Math.sqrt(32 / 7));
});

/** A precomputed file with the given per-seed values of one key (others 0.5). */
const shipped = (key, bySetting, extra = {}) => ({
  population: 100, generations: 40, tail: 5,
  settings: Object.entries(bySetting).map(([label, vals]) => ({
    label, curves: {}, seeds: vals.map((v, i) => ({ seed: i + 1, ...finalOf({ [key]: v }), ...(extra[label]?.[i] ?? {}) })),
  })),
});

test('compare: "lower ... in every seed" beyond the spread, "within the seed spread" otherwise, with mean ± sd', () => {
  const low = summariseShipped(shipped('mean_logp', { 'beta=0': [4, 4.5, 5], 'beta=100': [2, 2.5, 3] }));
  const s = compare(low, 'mean_logp', 'beta=100', 'beta=0', 'the mean logP');
  assert.match(s, /^The mean logP is lower with β = 100 than with β = 0 in every seed \(2\.50 ± 0\.50 with β = 100 against 4\.50 ± 0\.50 with β = 0\)\.$/);
  const mixed = summariseShipped(shipped('mean_logp', { 'beta=0': [4, 4.5, 5], 'beta=100': [2, 4.6, 3] }));
  assert.match(compare(mixed, 'mean_logp', 'beta=100', 'beta=0', 'the mean logP'), /within the seed spread/);
  assert.doesNotMatch(compare(mixed, 'mean_logp', 'beta=100', 'beta=0', 'the mean logP'), /every seed/);
  const high = summariseShipped(shipped('mean_d', { 'beta=0': [0.1, 0.2], 'beta=100': [0.5, 0.6] }));
  assert.match(compare(high, 'mean_d', 'beta=100', 'beta=0', 'the mean D'), /^The mean D is higher with β = 100/);
  assert.equal(compare(high, 'mean_d', 'beta=10', 'beta=0', 'x'), null, 'a missing setting');
});

test('shippedNotice: compares the largest β with β = 0; the adaptive sentence counts the seeds that switched', () => {
  const f = shipped('ref_distance', { 'beta=0': [0.85, 0.86, 0.84], 'beta=10': [0.8, 0.9, 0.85], 'beta=100': [0.7, 0.72, 0.71], adaptive: [0.85, 0.85, 0.85] },
    { adaptive: [{ boosts: 0 }, { boosts: 3 }, { boosts: 0 }] });
  const out = shippedNotice(f);
  assert.match(out[0], /N = 100, 40 generations, 3 seeds per setting, numbers averaged over the last 5 generations/);
  assert.ok(out.some((s) => /^The distance of the population to the nearest reference molecule is lower with β = 100 than with β = 0 in every seed/.test(s)), out.join('\n'));
  assert.ok(!out.some((s) => /^The distance.*with β = 10 than/.test(s)), 'β = 10 is not the one compared when β = 100 is there');
  assert.ok(out.some((s) => /^Adaptive β switched to 1000 in 1 of 3 seeds \(0, 3, 0 generations\)/.test(s)), out.join('\n'));
  assert.ok(out.some((s) => /^The mean J with the other β against β = 0 \(0\.50 ± 0\.00\): β = 10 0\.50 ± 0\.00, within the seed spread\.$/.test(s)), out.join('\n'));
  const two = shippedNotice(shipped('mean_j', { 'beta=0': [1, 1.2], 'beta=10': [0.1, 0.2], 'beta=1000': [-1, -2] }));
  assert.ok(two.some((s) => /β = 10 0\.15 ± 0\.07, lower in every seed/.test(s)), two.join('\n'));
  assert.ok(two.some((s) => /^The population's mean penalised logP J is lower with β = 1000 than with β = 0 in every seed/.test(s)), two.join('\n'));
  const never = shippedNotice(shipped('best_j', { 'beta=0': [1, 2], adaptive: [1, 2] }, { adaptive: [{ boosts: 0 }, { boosts: 0 }] }));
  assert.deepEqual(never.length, 1, 'no β > 0 setting: only the header');
  assert.deepEqual(shippedNotice(null), []);
});

test('the shipped precomputed runs have what the page reads', () => {
  const f = JSON.parse(readFileSync(new URL('../../www/data/molecules/precomputed.json', import.meta.url), 'utf8'));
  assert.ok(f.settings.length >= 2 && f.settings.some((s) => s.label === 'beta=0'));
  for (const s of f.settings) {
    assert.ok(s.seeds.length >= 3, `${s.label}: at least 3 seeds`);
    for (const k of ['mean_j', 'mean_logp', 'ref_distance']) assert.equal(s.curves[k].length, f.generations, `${s.label} ${k}`);
    for (const x of s.seeds) for (const [k] of METRICS) assert.ok(Number.isFinite(x[k]), `${s.label} seed ${x.seed} ${k}`);
  }
  const out = shippedNotice(f);
  assert.ok(out.length >= 3, out.join('\n'));
});
