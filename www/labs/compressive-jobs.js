// The compressive page's two LiveRun jobs (www/ui/liverun.js): streaming sampling and the live fine-tune of the shown
// model in the worker. Each takes the page (www/labs/compressive.js) for its values, engine handle and boxes.

import { sig3 } from '../ui/controls.js';
import { fmtBpc } from './compressive-findings.js';
import { SAMPLE_CHARS } from './compressive-data.js';

export const fmtRate = (x) => (x >= 1e6 ? `${sig3(x / 1e6)}M` : x >= 1e3 ? `${sig3(x / 1e3)}k` : sig3(x));

/** Samples SAMPLE_CHARS characters after the prompt, a few per step, into the sample box. */
export function sampleJob(page) {
  const { temp, seed } = page.values;
  const el = page.el;
  const hnd = page.handle();
  const prompt = el.prompt.value.slice(-2000);
  const t0 = performance.now();
  let got = 0;
  const say = (how) => { el.sampleMsg.textContent = `${how}${got} characters in ${((performance.now() - t0) / 1000).toFixed(1)} s (temperature ${temp.toFixed(2)}, seed ${seed}).`; };
  return {
    begin: async () => {
      [el.sampleOut.textContent, el.sampleMsg.textContent] = [prompt, ''];
      await hnd.call('sample_start', [prompt, temp, seed]);
      return SAMPLE_CHARS;
    },
    step: async (n) => {
      const k = Math.min(n, SAMPLE_CHARS - got);
      el.sampleOut.textContent += (await hnd.call('sample_next', [k])).value;
      got += k;
      return { done: got, finished: got >= SAMPLE_CHARS };
    },
    finish: () => say(''),
    onCancel: () => say('stopped after '),
    onError: (e) => { el.sampleMsg.textContent = `Sampling failed: ${e.message}`; },
  };
}

/** Fine-tunes the shown model for `steps` steps (batch 8 × 32), validation before and after. */
export function finetuneJob(page) {
  const v = page.values;
  const id = page.modelId();
  const hnd = page.handle(id);
  const batch = 8;
  const box = page.ft;
  let [before, t0, done] = [NaN, 0, 0];
  return {
    begin: async () => {
      before = (await hnd.call('val_bpc', [4000, 4])).value;
      await hnd.call('finetune_start', [v.steps, batch, 5e-4, v.seed]);
      t0 = performance.now();
      return v.steps;
    },
    step: async (n) => {
      const { value, ms } = await hnd.call('finetune_step', [n]);
      done = value.done;
      box.text.textContent = `step ${done}: train ${fmtBpc(value.train_bpc)} bits/char`;
      if (done < v.steps) return { done, ms };
      const dt = (performance.now() - t0) / 1000;
      await hnd.call('finetune_stop', [true]);
      return { done, finished: true, dt, after: (await hnd.call('val_bpc', [4000, 4])).value };
    },
    finish: (r) => {
      page.tuned.add(id);
      box.text.textContent = `Validation (first 4,000 characters): ${fmtBpc(before)} → ${fmtBpc(r.after)} bits/char. `
        + 'The text box, attention and sampling now use the fine-tuned weights (reload to get the shipped ones).';
      page.drawMemory();
      page.scheduleScore(0);
      return `${v.steps} steps in ${r.dt.toFixed(1)} s (${fmtRate((v.steps * batch * 32) / r.dt)} training characters/s)`;
    },
    onCancel: (why) => {
      hnd.call('finetune_stop', [false]).catch(() => {});
      box.bar.fail(`${why} after ${done} steps; the model is unchanged`);
      box.text.textContent = 'The shown model keeps its shipped weights.';
    },
    onError: (e) => {
      box.bar.fail('failed');
      box.error.textContent = `Fine-tuning failed: ${e.message}. The page keeps working; try again.`;
      hnd.call('finetune_stop', [false]).catch(() => {});
    },
  };
}
