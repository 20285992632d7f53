// Tokens per second of the onlstm lab in headless Chromium, threads build and one-thread build:
//   inference  the engine's `evaluate` over the 1,000 test sentences (forward only: perplexity + parse F1 of both
//              layers), tokens = words + closing <eos>;
//   training   a live run of 300 steps on the page (forward + backward + Adam), as the page reports it.
// Usage: node scripts/measure-onlstm.mjs [--runs 3]. Needs pkg/ and pkg-parallel/ built. Prints a Markdown table.
import { servers, launch, open, ready } from '../tests/e2e/helpers.mjs';

const runs = Number(process.argv[process.argv.indexOf('--runs') + 1]) || 3;
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

const srv = await servers();
const ctx = await launch();
const rows = [];
try {
  for (const [name, query] of [['threads', ''], ['one thread', '?single=1']]) {
    const { page } = await open(ctx, `${srv.isolated}/${query}#/onlstm?chunk=4&steps=300`);
    await ready(page, 120000);
    const badge = await page.textContent('[data-testid=backend]');
    const infer = [];
    const train = [];
    for (let r = 0; r < runs; r++) {
      infer.push(await page.evaluate(async () => {
        const lab = window.paperlab.lab;
        const hnd = lab.handleFor();
        const { ms } = await hnd.call('evaluate', [0]);
        return ms;
      }));
      await page.click('[data-testid=run]');
      await page.waitForFunction(() => document.getElementById('lab').dataset.runStatus === 'done', null, { timeout: 300000 });
      train.push(Number(await page.evaluate(() => document.getElementById('lab').dataset.tokensPerS)));
    }
    const tokens = await page.evaluate(() => window.paperlab.lab.manifest.data.test_tokens);
    rows.push({ name, badge, inferTps: tokens / (median(infer) / 1000), inferMs: infer, train });
    await page.close();
  }
} finally {
  await ctx.close();
  await srv.close();
}
console.log('| build | badge | inference, tokens/s (median; ms per run) | training, tokens/s (median; runs) |');
console.log('|---|---|---|---|');
for (const r of rows) {
  console.log(`| ${r.name} | ${r.badge.trim()} | ${Math.round(r.inferTps)} (${r.inferMs.map((x) => Math.round(x)).join(', ')} ms) | ${Math.round(median(r.train))} (${r.train.join(', ')}) |`);
}
