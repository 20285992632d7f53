// The landing page: the gallery is the registry (www/labs/labs.json) in order, the live labs linked, no errors;
// unknown routes fall back to it; routes are case-insensitive; the template lab is routed but not listed.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { startBrowser, stopBrowser, open, ready, shot, ROOT } from './helpers.mjs';

const REGISTRY = JSON.parse(readFileSync(join(ROOT, 'www/labs/labs.json'), 'utf8')).labs;
const LABS = REGISTRY.filter((e) => e.status !== 'template').map((e) => e.id);
const LIVE = REGISTRY.filter((e) => e.status === 'live').map((e) => e.id);
const COMING = REGISTRY.filter((e) => e.status === 'coming').map((e) => e.id);
let srv;
let ctx;

before(async () => ({ srv, ctx } = await startBrowser()));
after(() => stopBrowser(srv, ctx));

test('the registry names the papers the project is about', () => {
  for (const id of ['verify', 'lottery', 'compressive', 'onlstm', 'ucb', 'corruptions', 'bagnet', 'roll', 'blindspot', 'molecules']) {
    assert.ok(LABS.includes(id), `registry lists ${id}`);
  }
});

test('landing lists the labs of the registry; the live ones link to their lab; no errors', async () => {
  const { page, errors } = await open(ctx, `${srv.isolated}/`);
  await ready(page);
  const cards = await page.$$eval('.gallery [data-lab]', (els) => els.map((e) => ({
    id: e.dataset.lab,
    status: e.querySelector('.status').textContent.trim(),
    title: e.querySelector('h2').textContent.trim(),
    link: e.querySelector('a')?.getAttribute('href') || null,
  })));
  assert.deepEqual(cards.map((c) => c.id), LABS);
  for (const c of cards) {
    assert.ok(c.title.length > 10, `card ${c.id} has a title`);
    assert.equal(c.status, LIVE.includes(c.id) ? 'live' : 'coming', `status of ${c.id}`);
    assert.equal(c.link, LIVE.includes(c.id) ? `#/${c.id}` : null, `link of ${c.id}`);
  }
  await shot(page, 'landing');
  await page.emulateMedia({ colorScheme: 'dark' });
  await shot(page, 'landing-dark');
  assert.deepEqual(errors, []);
  await page.close();
});

test('an unknown or coming lab route shows the gallery with a note', async () => {
  const { page, errors } = await open(ctx, `${srv.isolated}/#/nosuchlab?x=1`);
  await ready(page);
  assert.match(await page.textContent('#landing-note'), /no lab called "nosuchlab"/);
  if (COMING.length) {
    await page.goto(`${srv.isolated}/#/${COMING[0]}`);
    await page.waitForFunction(() => /coming/.test(document.getElementById('landing-note').textContent));
    assert.equal(await page.isVisible('#landing .gallery'), true);
  }
  assert.deepEqual(errors, []);
  await page.close();
});

test('routes are case-insensitive: #/VERIFY opens the verify lab', async () => {
  const { page, errors } = await open(ctx, `${srv.isolated}/#/VERIFY`);
  await ready(page, 120000);
  assert.equal(await page.evaluate(() => document.body.dataset.route), 'verify');
  assert.equal(await page.isVisible('#landing'), false);
  assert.deepEqual(errors, []);
  await page.close();
});
