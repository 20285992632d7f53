// The engine as a package: www/examples/engine.html uses pkg/ directly (no lab page, no worker) and must print the
// verify lab's headline number, IBP verified error of the CROWN-IBP MLP at ε = 0.3 on the 2,000 test digits, equal
// to the shipped manifest's (computed natively by `paperlab train verify`), and a lottery plan.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { startBrowser, stopBrowser, open } from './helpers.mjs';

let srv;
let ctx;
before(async () => ({ srv, ctx } = await startBrowser()));
after(() => stopBrowser(srv, ctx));

test('the engine without the UI: the example page reproduces the manifest', async () => {
  const manifest = JSON.parse(readFileSync(new URL('../../www/models/verify/manifest.json', import.meta.url), 'utf8'));
  const m = manifest.models.find((x) => x.id === 'mlp-crownibp').metrics;
  const want = (100 * m.ibp_err[m.eps.findIndex((e) => Math.abs(e - 0.3) < 1e-6)]).toFixed(2);
  const { page, errors } = await open(ctx, `${srv.plain}/www/examples/engine.html`);
  try {
    await page.waitForSelector('body[data-done]', { timeout: 120000, state: 'attached' });
    const text = await page.textContent('[data-testid=out]');
    assert.equal(await page.evaluate(() => document.body.dataset.done), '1', text);
    assert.match(text, new RegExp(`IBP verified error ${want.replace('.', '\\.')}%`), text);
    assert.match(text, /Lottery plan for LeNet-300-100 at rate 0\.2: \d+ rounds, [\d.]+% of the weights left \(stops at: target\)/);
    assert.deepEqual(errors, []);
  } finally {
    await page.close();
  }
});
