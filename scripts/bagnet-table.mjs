#!/usr/bin/env node
// Prints the bagnet lab's tables (accuracy per q and dataset with the spread over seeds, scrambled accuracies, the
// masking experiment, training time per model) as Markdown from www/models/bagnet/manifest.json, for
// docs/labs/bagnet.md. Usage: node scripts/bagnet-table.mjs [manifest.json]
import { readFileSync } from 'node:fs';

const m = JSON.parse(readFileSync(process.argv[2] || 'www/models/bagnet/manifest.json', 'utf8'));
const pct = (x) => (100 * x).toFixed(1);
const pm = (s) => `${pct(s.mean)} ± ${pct(s.sd)}` + (s.n > 1 ? ` (${pct(s.min)}–${pct(s.max)})` : '');
const name = (e) => (e.q ? `BagNet-${e.q}` : 'CNN');
for (const ds of m.datasets) {
  const es = m.models.filter((e) => e.dataset === ds.id);
  console.log(`\n${ds.id} (${ds.train} train / ${ds.test} test images)\n`);
  console.log(`| model | params | test accuracy % | scrambled ${m.scramble_tiles.map((t) => `${t}×${t}`).join(' / ')} tiles % | training s per seed |`);
  console.log('|---|---|---|---|---|');
  for (const e of es) {
    const secs = e.runs.map((r) => r.train_seconds.toFixed(0)).join(', ');
    console.log(`| ${name(e)} | ${e.params} | ${pm(e.test_acc)} | ${e.scrambled_acc.map((s) => pct(s.mean)).join(' / ')} | ${secs} |`);
  }
}
console.log('\nMasking (seed-1 models; accuracy % with the k patches of most true-class evidence masked | k random patches; r = correlation of the BagNet\'s and the CNN\'s true-class margin drops)\n');
console.log('| dataset | q | k | BagNet | CNN | BagNet, random | CNN, random | r |');
console.log('|---|---|---|---|---|---|---|---|');
for (const me of m.masking) {
  for (const r of me.results) {
    console.log(`| ${me.dataset} | ${me.q} | ${r.k} | ${pct(r.bagnet)} | ${pct(r.cnn)} | ${pct(r.bagnet_random)} | ${pct(r.cnn_random)} | ${r.correlation.toFixed(2)} |`);
  }
}
