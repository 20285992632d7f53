// The embed layout: for every live lab of the registry, embedded (`embed=1`) in a 700 × 600 frame and on a phone
// (375 × 800, not embedded), the main slider (`[data-main="control"]`) and the main plot (`[data-main="plot"]`) are
// on screen together: inside the viewport without scrolling in the frame, and on the phone once the reader scrolls
// to the slider (the header comes first there). Embedded, the other controls sit behind "more controls".
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { startBrowser, stopBrowser, open, ready, shot, ROOT } from './helpers.mjs';

const LIVE = JSON.parse(readFileSync(join(ROOT, 'www/labs/labs.json'), 'utf8')).labs
  .filter((e) => e.status === 'live').map((e) => e.id);
let srv;
let ctx;

before(async () => ({ srv, ctx } = await startBrowser()));
after(() => stopBrowser(srv, ctx));

/** The boxes of the main control and the main plot, and the viewport: at scroll position 0, or (`scroll`) with the
 *  main control scrolled to the top of the viewport as a reader would. */
function boxes(page, scroll = false) {
  return page.evaluate((s) => {
    window.scrollTo(0, 0);
    if (s) document.querySelector('[data-main="control"]')?.scrollIntoView({ block: 'start' });
    const box = (sel) => {
      const el = document.querySelector(sel);
      if (!el) return null;
      const r = el.getBoundingClientRect();
      return { top: r.top, left: r.left, bottom: r.bottom, right: r.right };
    };
    return { control: box('[data-main="control"]'), plot: box('[data-main="plot"]'), w: innerWidth, h: innerHeight };
  }, scroll);
}

function assertInside(b, what) {
  for (const k of ['control', 'plot']) {
    const r = b[k];
    assert.ok(r, `${what}: the main ${k} is marked`);
    assert.ok(r.top >= -0.5 && r.left >= -0.5 && r.bottom <= b.h + 0.5 && r.right <= b.w + 0.5,
      `${what}: the main ${k} ${JSON.stringify(r)} is inside the ${b.w}×${b.h} viewport`);
  }
}

for (const id of LIVE) {
  test(`${id}: main slider and main plot in a 700×600 embed frame and at 375×800`, { timeout: 400000 }, async () => {
    const { page, errors } = await open(ctx, 'about:blank');
    await page.setViewportSize({ width: 700, height: 600 });
    await page.goto(`${srv.plain}/#/${id}?embed=1`);
    await ready(page, 240000);
    assertInside(await boxes(page), `${id} embedded`);
    assert.equal(await page.isVisible('.col-right'), false, `${id}: the side column waits behind "more controls"`);
    await page.click('[data-testid="more-controls"]');
    assert.equal(await page.isVisible('.col-right'), true, `${id}: "more controls" shows the rest`);
    assert.match(await page.getAttribute('.embed-more-bar a', 'href'), new RegExp(`#/${id}\\?`));
    const snippet = await page.$eval('textarea.share', (t) => t.value);
    assert.match(snippet, /height="640"/, `${id}: the snippet's height matches the embed layout`);
    await shot(page, `embed-${id}-700`);

    await page.setViewportSize({ width: 375, height: 800 });
    await page.goto(`${srv.plain}/#/${id}`);
    await page.reload();
    await ready(page, 240000);
    assertInside(await boxes(page, true), `${id} at 375×800, scrolled to the main slider`);
    await page.screenshot({ path: join(ROOT, 'tests/e2e/out', `embed-${id}-375.png`) });
    assert.deepEqual(errors, []);
    await page.close();
  });
}
