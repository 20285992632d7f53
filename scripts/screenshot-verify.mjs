#!/usr/bin/env node
// Remakes docs/verify.png, the README's screenshot of the verify lab: headless Chromium (playwright-core, like the
// e2e tests) on the threads build, light scheme, 1280 px wide and as tall as the lab's columns (the footer is left
// out), once the live results, the PGD attack and the digit view are in.
//
//   node scripts/screenshot-verify.mjs [--out docs/verify.png] [--hash 'model=mlp-crownibp&eps=0.1&method=crown-ibp&digit=18']
//
// The PNG is reduced with pngquant when it is installed (Debian: apt-get install pngquant); otherwise it is kept
// as Chromium wrote it.

import { execFileSync } from 'node:child_process';
import { mkdirSync, statSync, renameSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { servers, launch, open, ready, liveResult, pgdResult, ROOT } from '../tests/e2e/helpers.mjs';

const args = process.argv.slice(2);
const arg = (name, def) => {
  const i = args.indexOf(`--${name}`);
  return i >= 0 && i + 1 < args.length ? args[i + 1] : def;
};
const OUT = resolve(ROOT, arg('out', 'docs/verify.png'));
const HASH = arg('hash', 'model=mlp-crownibp&eps=0.1&method=crown-ibp&digit=18');
const WIDTH = 1280;

const srv = await servers();
const ctx = await launch();
try {
  const { page, errors } = await open(ctx, `${srv.isolated}/#/verify?${HASH}`, { colorScheme: 'light' });
  await page.setViewportSize({ width: WIDTH, height: 900 });
  await ready(page, 120000);
  const v = await page.evaluate(() => ({ ...window.paperlab.lab.values }));
  const slope = v.method === 'ibp' ? '-' : v.slope;
  await liveResult(page, `${v.model}|${v.eps}|${v.method}|${v.method === 'crown-ibp' ? v.beta : 1}|${slope}`, 120000);
  await pgdResult(page, `${v.model}|${v.eps}|${v.steps}|${v.seed}`, 120000);
  // The digit view is done once its PGD image is drawn too.
  await page.waitForFunction(() => /PGD-\d+ at ε/.test(document.querySelector('.digit-row').textContent));
  const HEIGHT = 16 + Math.ceil(await page.evaluate(() => Math.max(...['.col-main', '.col-right']
    .map((s) => document.querySelector(s).getBoundingClientRect().bottom + window.scrollY))));
  await page.setViewportSize({ width: WIDTH, height: HEIGHT });
  await page.mouse.move(WIDTH - 5, 5);
  await page.waitForTimeout(300);
  if (errors.length) throw new Error(`page errors: ${errors.join('; ')}`);
  mkdirSync(dirname(OUT), { recursive: true });
  await page.screenshot({ path: OUT, clip: { x: 0, y: 0, width: WIDTH, height: HEIGHT } });
  let how = 'as Chromium wrote it';
  try {
    execFileSync('pngquant', ['--quality=70-95', '--speed', '1', '--force', '--output', `${OUT}.q`, OUT], { stdio: 'ignore' });
    renameSync(`${OUT}.q`, OUT);
    how = 'reduced by pngquant';
  } catch {
    /* pngquant missing or could not reach the quality: keep the original */
  }
  console.log(`${OUT}: ${WIDTH}x${HEIGHT}, ${Math.round(statSync(OUT).size / 1024)} KB, ${how}`);
} finally {
  await ctx.close();
  await srv.close();
}
