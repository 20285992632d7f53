// @ts-check
// The Paperlab engine used directly, without the lab pages: verify the 2,000 test digits with interval bounds (IBP)
// at ε = 0.3 on the CROWN-IBP-trained MLP (the verify lab's headline number), and plan a lottery-ticket run. Type-checked against
// pkg/paperlab.d.ts by `make build-test` (tsc --checkJs, www/examples/tsconfig.json).
import init, { VerifyLab, LotteryPlanner } from '../../pkg/paperlab.js';

const out = /** @type {HTMLElement} */ (document.getElementById('out'));
const bytes = async (/** @type {string} */ url) => new Uint8Array(await (await fetch(url)).arrayBuffer());

try {
  await init({ module_or_path: new URL('../../pkg/paperlab_bg.wasm', import.meta.url) });
  const lab = new VerifyLab(await bytes('../models/verify/mlp-crownibp.safetensors'), await bytes('../data/mnist-test-2k.safetensors.gz'));
  const t0 = performance.now();
  const [n, clean, verified] = lab.verify_range(0, lab.n_test(), 0.3, 'ibp', 0);
  const ms = performance.now() - t0;
  lab.free();

  /** @type {import('../../pkg/paperlab.js').LotterySettings} */
  const settings = { rate: 0.2, target: 5, rewind: 'init', k: 0, global: false, iters: 1000, seed: 1, prune_embedding: true };
  const plan = new LotteryPlanner().plan('vision', settings);
  const last = plan.levels[plan.levels.length - 1];

  out.textContent = [
    `CROWN-IBP-trained MLP, ε = 0.3, ${n} test digits: clean error ${(100 * clean / n).toFixed(2)}%, ` +
      `IBP verified error ${(100 * verified / n).toFixed(2)}% (${ms.toFixed(0)} ms)`,
    `Lottery plan for LeNet-300-100 at rate ${settings.rate}: ${plan.levels.length - 1} rounds, ` +
      `${(100 * last.remaining).toFixed(2)}% of the weights left (stops at: ${plan.stop}), ${plan.networks} networks to train`,
  ].join('\n');
  document.body.dataset.done = '1';
} catch (e) {
  out.textContent = `failed: ${e instanceof Error ? e.message : e}`;
  document.body.dataset.done = 'error';
}
