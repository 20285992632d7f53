#!/usr/bin/env node
// Tokens (characters) per second of the compressive lab in headless Chromium, for the README: evaluation (the
// text box's per-character loss: one stream, forward only) and training (fine-tune steps of 8 streams × 32
// characters, forward + backward + Adam), on the threads build and on the one-thread build (?single=1).
//
//   node scripts/measure-compressive.mjs [--model conv-c4] [--chars 4000] [--steps 20] [--rounds 5]
//
// Prints one line per build with the median and min–max over the rounds, and the load average.

import { loadavg } from 'node:os';
import { servers, launch, open, ready } from '../tests/e2e/helpers.mjs';

const args = process.argv.slice(2);
const arg = (name, def) => {
  const i = args.indexOf(`--${name}`);
  return i >= 0 && i + 1 < args.length ? args[i + 1] : def;
};
const MODEL = arg('model', 'conv-c4');
const CHARS = Number(arg('chars', 4000));
const STEPS = Number(arg('steps', 20));
const ROUNDS = Number(arg('rounds', 5));

const med = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const fmt = (xs) => `${Math.round(med(xs))} (${Math.round(Math.min(...xs))}–${Math.round(Math.max(...xs))})`;

const srv = await servers();
const ctx = await launch();
try {
  for (const single of [false, true]) {
    const { page, errors } = await open(ctx, `${srv.isolated}/${single ? '?single=1' : ''}#/compressive?${MODEL === 'xl' ? 'xl=1' : `c=${MODEL.replace(/.*-c/, '')}&fn=${MODEL.replace(/-c\d+$/, '')}`}`);
    await ready(page, 120000);
    const r = await page.evaluate(async ({ CHARS, STEPS, ROUNDS }) => {
      const { lab, engine } = window.paperlab;
      const hnd = lab.handle();
      const base = 'It was the whale, the white whale, that every man aboard had sworn to hunt. ';
      const text = base.repeat(Math.ceil(CHARS / base.length)).slice(0, CHARS);
      const evalRates = [];
      const trainRates = [];
      await hnd.call('score', [text]);
      for (let i = 0; i < ROUNDS; i++) {
        const t0 = performance.now();
        await hnd.call('score', [text]);
        evalRates.push((CHARS - 1) / ((performance.now() - t0) / 1000));
        await hnd.call('finetune_start', [STEPS, 8, 1e-4, 1]);
        const t1 = performance.now();
        await hnd.call('finetune_step', [STEPS]);
        trainRates.push((STEPS * 8 * 32) / ((performance.now() - t1) / 1000));
        await hnd.call('finetune_stop', [false]);
      }
      return { badge: engine.badge(), evalRates, trainRates };
    }, { CHARS, STEPS, ROUNDS });
    console.log(`${r.badge.padEnd(28)} eval ${fmt(r.evalRates)} chars/s · train ${fmt(r.trainRates)} chars/s  (model ${MODEL}, load ${loadavg()[0].toFixed(1)})`);
    if (errors.length) console.log('page errors:', errors);
    await page.close();
  }
} finally {
  await ctx.close();
  await srv.close();
}
