#!/usr/bin/env node
// Screenshots of lab pages at desktop and phone width, to look at after a change (UI.md: every lab at 1400 px
// and 375 px). Serves the repository like the e2e tests, waits for the ready signal, prints any page or console
// error, and writes tests/e2e/out/shoot-<lab>[-<setting>-<value>...]-<width>.png.
//
//   node scripts/shoot.mjs verify 'roll?lambda=0.5' [--widths 1400,375] [--single]
//
// A lab argument is the route after `#/` (settings may follow after `?`). `--single` opens the one-thread build
// (`?single=1&relaxed=0` before the hash), the only one present after `make pkg`.

import { join } from 'node:path';
import { servers, launch, open, ready, OUT } from '../tests/e2e/helpers.mjs';

const args = process.argv.slice(2);
const flag = (n) => args.includes(`--${n}`);
const opt = (n, d) => {
  const i = args.indexOf(`--${n}`);
  return i >= 0 ? args[i + 1] : d;
};
const widths = opt('widths', '1400,375').split(',').map(Number);
const routes = args.filter((a, i) => !a.startsWith('--') && args[i - 1] !== '--widths');
if (!routes.length) {
  console.error('usage: node scripts/shoot.mjs LAB[?settings] ... [--widths 1400,375] [--single]');
  process.exit(2);
}
const srv = await servers();
const ctx = await launch();
let bad = 0;
try {
  for (const r of routes) {
    for (const w of widths) {
      const pre = flag('single') ? '?single=1&relaxed=0' : '';
      const { page, errors } = await open(ctx, `${srv.isolated}/${pre}#/${r}`);
      await page.setViewportSize({ width: w, height: w < 600 ? 800 : 1000 });
      await ready(page, 120000);
      await page.waitForTimeout(300);
      // The settings are part of the name, so two routes of one lab do not overwrite each other.
      const file = join(OUT, `shoot-${r.replace(/[?&=]/g, '-').replace(/[^a-z0-9_.-]/gi, '').slice(0, 80)}-${w}.png`);
      await page.screenshot({ path: file, fullPage: true });
      const status = await page.evaluate(() => document.body.dataset.status || '');
      console.log(`${r} @ ${w}px: ${file}${status === 'error' ? ' (page status: error)' : ''}`);
      for (const e of errors) console.log(`  ${e}`);
      bad += errors.length;
      await page.close();
    }
  }
} finally {
  await ctx.close();
  await srv.close();
}
process.exit(bad ? 1 : 0);
