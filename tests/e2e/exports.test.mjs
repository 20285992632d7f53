// Plot exports people can paste into a post, every live lab: each line chart carries "SVG" and "PNG (2×)" buttons.
// The SVG must be a well-formed document that names the plot (title), says the settings (the lab's URL settings)
// and contains every series shown in the plot's legend on the page; the PNG must be a real PNG at twice the SVG's
// size; and the plot's ARIA live summary names what it shows at the marked value. Labs without a line chart are skipped by name (the list prints them).
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { startBrowser, stopBrowser, open, ready, liveLabs } from './helpers.mjs';

const LIVE = liveLabs();

let srv;
let ctx;
before(async () => ({ srv, ctx } = await startBrowser()));
after(() => stopBrowser(srv, ctx));

async function downloadOf(page, button) {
  const [dl] = await Promise.all([page.waitForEvent('download', { timeout: 30000 }), button.click()]);
  const path = await dl.path();
  return { name: dl.suggestedFilename(), bytes: readFileSync(path) };
}

const unescape = (s) => s.replace(/&lt;/g, '<').replace(/&gt;/g, '>').replace(/&quot;/g, '"').replace(/&#39;/g, "'").replace(/&amp;/g, '&');

for (const id of LIVE) {
  test(`exports: ${id} plots download as SVG and 2× PNG with title, settings and legend`, async (t) => {
    const { page, errors } = await open(ctx, `${srv.plain}/#/${id}`);
    try {
      await ready(page, 90000);
      const bars = page.locator('.plot-export');
      const n = await bars.count();
      if (n === 0) {
        t.skip(`${id} has no line chart`);
        return;
      }
      const bar = bars.first();
      await bar.scrollIntoViewIfNeeded();
      // The series the page's legend shows for this plot (uPlot's legend; the first row is x).
      const legend = await bar.evaluate((b) => [...b.previousElementSibling.querySelectorAll('.u-series')]
        .slice(1).filter((r) => !r.classList.contains('u-off')).map((r) => r.querySelector('.u-label').textContent.trim()));
      assert.ok(legend.length > 0, 'the plot has a legend');
      // Its ARIA live summary says, in words, what the plot shows at the marked value.
      const said = await page.waitForFunction((b) => {
        const p = b.parentElement.querySelector('[data-testid=plot-summary]');
        return p && p.getAttribute('aria-live') === 'polite' && p.textContent.length > 0 ? p.textContent : null;
      }, await bar.elementHandle(), { timeout: 30000 }).then((hd) => hd.jsonValue());
      assert.ok(legend.some((l) => said.includes(l)), `the live summary "${said}" names a series`);

      const svg = await downloadOf(page, bar.locator('button[data-format=svg]'));
      assert.match(svg.name, new RegExp(`^paperlab-${id}[\\w-]*\\.svg$`));
      const text = svg.bytes.toString('utf8');
      assert.match(text, /^<svg xmlns="http:\/\/www\.w3\.org\/2000\/svg"[^>]* width="(\d+)" height="(\d+)"/);
      assert.match(text, /<\/svg>$/);
      const texts = [...text.matchAll(/<text[^>]*>([^<]*)<\/text>/g)].map((m) => unescape(m[1]));
      assert.ok(texts[0].length > 3, `a title: "${texts[0]}"`);
      assert.ok(texts.some((s) => s.startsWith(`Paperlab ${id}`)), 'a settings line');
      for (const label of legend) assert.ok(texts.includes(label), `legend entry "${label}" in the SVG`);
      assert.doesNotMatch(text, /NaN|undefined/);
      // The SVG parses as XML in the browser.
      const parsed = await page.evaluate((s) => {
        const doc = new DOMParser().parseFromString(s, 'image/svg+xml');
        return doc.querySelector('parsererror') ? doc.querySelector('parsererror').textContent : 'ok';
      }, text);
      assert.equal(parsed, 'ok');

      const png = await downloadOf(page, bar.locator('button[data-format=png]'));
      assert.match(png.name, /\.png$/);
      assert.deepEqual([...png.bytes.subarray(0, 8)], [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);
      const [, w, hgt] = text.match(/ width="(\d+)" height="(\d+)"/).map(Number);
      assert.equal(png.bytes.readUInt32BE(16), 2 * w, 'PNG width is twice the plot');
      assert.equal(png.bytes.readUInt32BE(20), 2 * hgt, 'PNG height is twice the plot');
      assert.deepEqual(errors, []);
    } finally {
      await page.close();
    }
  });
}
