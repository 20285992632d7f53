// The landing page: the gallery of the ten labs, the live ones linked, no errors; unknown routes fall back to it.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { servers, launch, open, ready, shot } from './helpers.mjs';

const LABS = ['verify', 'lottery', 'compressive', 'onlstm', 'ucb', 'corruptions', 'bagnet', 'roll', 'blindspot', 'molecules'];
const LIVE = ['verify', 'ucb', 'lottery', 'onlstm', 'compressive'];
let srv;
let ctx;

before(async () => {
  srv = await servers();
  ctx = await launch();
});
after(async () => {
  await ctx?.close();
  await srv?.close();
});

test('landing lists the ten labs; the live ones link to their lab; no errors', async () => {
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
  await page.goto(`${srv.isolated}/#/bagnet`);
  await page.waitForFunction(() => /coming/.test(document.getElementById('landing-note').textContent));
  assert.equal(await page.isVisible('#landing .gallery'), true);
  assert.deepEqual(errors, []);
  await page.close();
});
