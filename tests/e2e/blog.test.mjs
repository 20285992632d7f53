// A reader's blog post on another origin: tests/e2e/fixtures/blog.html, served from a second port with no COOP/COEP
// headers, embeds verify and compressive with <paper-lab> (www/embed/paper-lab.js, loaded cross-origin) and onlstm
// with the plain iframe snippet. Each becomes ready, runs the one-thread build (the host page is not cross-origin
// isolated) and responds to its main slider; <paper-lab> loads lazily and passes its attributes as the settings.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { servers, launch, open, shot, ROOT, OUT } from './helpers.mjs';

let srv;
let blog;
let ctx;

before(async () => {
  srv = await servers();
  const html = readFileSync(join(ROOT, 'tests/e2e/fixtures/blog.html'), 'utf8').replaceAll('{{LAB}}', srv.plain);
  const server = createServer((req, res) => {
    if (req.url === '/' || req.url.startsWith('/blog.html')) res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' }).end(html);
    else res.writeHead(404).end();
  });
  await new Promise((ok) => server.listen(0, '127.0.0.1', ok));
  blog = { url: `http://127.0.0.1:${server.address().port}/blog.html`, close: () => new Promise((r) => server.close(r)) };
  ctx = await launch();
});
after(async () => {
  await ctx?.close();
  await blog?.close();
  await srv?.close();
});

/** The frame showing lab `id`. */
function frameOf(page, id) {
  return page.frames().find((f) => f.url().includes(`#/${id}`));
}

/** Presses → on the frame's main slider; resolves to the URL hash before and after (the lab writes its state). */
async function nudge(frame) {
  const before = await frame.evaluate(() => location.hash);
  await frame.focus('[data-main="control"] input[type=range]');
  await frame.press('[data-main="control"] input[type=range]', 'ArrowRight');
  await frame.waitForFunction((b) => location.hash !== b, before, { timeout: 30000 });
  return { before, after: await frame.evaluate(() => location.hash) };
}

test('two <paper-lab> elements and one iframe snippet on a second origin: ready, one thread, sliders respond', { timeout: 600000 }, async () => {
  // The blog loads paper-lab.js from the lab's origin, as a blogger's page would.
  const { page, errors } = await open(ctx, blog.url, { allowOrigins: [new URL(srv.plain).origin] });
  assert.notEqual(new URL(blog.url).origin, new URL(srv.plain).origin, 'the blog is on another origin');
  assert.equal(await page.evaluate(() => crossOriginIsolated), false, 'the blog page is not cross-origin isolated');
  await page.waitForFunction(() => customElements.get('paper-lab'), null, { timeout: 60000 });
  // lazy: the second element (below a 900 px spacer) has no frame until it is scrolled into view
  await page.waitForSelector('#lab-verify iframe', { timeout: 60000 });
  assert.equal(await page.$('#lab-compressive iframe'), null, 'the lab below the fold is not loaded yet');
  assert.equal(await page.$eval('#lab-verify', (e) => e.getBoundingClientRect().height), 640, 'the element sizes itself from height');

  await page.waitForSelector('#lab-verify[data-ready="1"]', { timeout: 240000, state: 'attached' });
  assert.equal(await page.getAttribute('#lab-verify', 'data-backend'), 'simd', 'one-thread build on a non-isolated host');
  assert.equal(await page.getAttribute('#lab-verify', 'data-status'), 'ok');
  const verify = frameOf(page, 'verify');
  assert.match(await verify.evaluate(() => location.hash), /[?&]eps=0\.2(&|$)/, 'the eps attribute is the lab setting');
  const v = await nudge(verify);
  assert.match(v.after, /[?&]eps=0\.205(&|$)/, `the slider moved ε (${v.before} → ${v.after})`);
  await page.screenshot({ path: join(OUT, 'blog-verify.png') });
  await page.$eval('#lab-verify', (e) => e.setAttribute('eps', '0.1'));
  await verify.waitForFunction(() => /[?&]eps=0\.1(&|$)/.test(location.hash), null, { timeout: 30000 });

  await page.$eval('#lab-compressive', (e) => e.scrollIntoView());
  await page.waitForSelector('#lab-compressive[data-ready="1"]', { timeout: 240000, state: 'attached' });
  assert.equal(await page.getAttribute('#lab-compressive', 'data-backend'), 'simd');
  const c = await nudge(frameOf(page, 'compressive'));
  assert.notEqual(c.after, c.before);

  await page.$eval('#lab-onlstm', (e) => e.scrollIntoView());
  await page.waitForFunction(() => document.querySelector('#lab-onlstm').contentWindow, null, { timeout: 30000 });
  let on;
  for (let i = 0; i < 120 && !on; i++) {
    on = frameOf(page, 'onlstm');
    if (!on) await page.waitForTimeout(500);
  }
  assert.ok(on, 'the iframe snippet loaded');
  await on.waitForSelector('body[data-ready="1"]', { timeout: 240000, state: 'attached' });
  assert.equal(await on.getAttribute('[data-testid="backend"]', 'data-backend'), 'simd');
  const o = await nudge(on);
  assert.notEqual(o.after, o.before);
  await shot(page, 'blog');
  assert.deepEqual(errors, []);
  await page.close();
});
