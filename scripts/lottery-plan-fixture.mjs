#!/usr/bin/env node
// Writes tests/fixtures/lottery/plan-js.json: the pruning plans the lottery page computed in JavaScript before the
// plan moved into the engine (src/labs/lottery/page.rs), over a grid of settings, so tests/lottery_page.rs checks that
// the engine's plan is the one the page showed (`remaining[r]`: the fraction of weights remaining at level r). The page's planner is read from the commit that still had it:
//
//   node scripts/lottery-plan-fixture.mjs [commit]      (default be9c431)
//
// Not part of `make test`; the fixture it writes is committed.

import { execFileSync } from 'node:child_process';
import { writeFileSync, rmSync } from 'node:fs';
import { join, dirname } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');
const commit = process.argv[2] || 'be9c431';
// The old page module sits next to its imports (../ui/*.js) so that it loads as it did.
const tmp = join(ROOT, 'www', 'labs', `.lottery-${commit}.mjs`);
writeFileSync(tmp, execFileSync('git', ['show', `${commit}:www/labs/lottery.js`], { cwd: ROOT }));
try {
  const { planLevels } = await import(pathToFileURL(tmp).href);
  const arch = {
    vision: { sizes: [784 * 300, 300 * 100, 100 * 10], roles: ['hidden', 'hidden', 'output'] },
    rl: { sizes: [4 * 64, 64 * 64, 64 * 3], roles: ['hidden', 'hidden', 'output'] },
    lm: { sizes: [75 * 32, 256 * 32, 256 * 64, 75 * 64], roles: ['embedding', 'hidden', 'hidden', 'output'] },
  };
  const cases = [];
  for (const [setting, { sizes, roles }] of Object.entries(arch)) {
    for (let i = 1; i <= 12; i++) {
      const rate = Number((0.05 * i).toFixed(2));
      for (const target of [1, 2, 5, 10, 21, 50, 85, 100]) {
        for (const global of [false, true]) {
          for (const emb of setting === 'lm' ? [true, false] : [true]) {
            const p = planLevels(sizes, roles, rate, target / 100, global, emb);
            cases.push({ setting, rate, target, global, prune_embedding: emb, stop: p.stop, remaining: p.map((l) => Number(l.remaining.toPrecision(15))) });
          }
        }
      }
    }
  }
  const out = join(ROOT, 'tests', 'fixtures', 'lottery', 'plan-js.json');
  writeFileSync(out, `${JSON.stringify({ written_by: `scripts/lottery-plan-fixture.mjs ${commit}`, cases })}\n`);
  console.log(`${cases.length} plans -> ${out}`);
} finally {
  rmSync(tmp, { force: true });
}
