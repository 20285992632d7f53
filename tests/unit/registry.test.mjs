// The lab registry: the shipped labs.json is valid and complete; bad entries are dropped with a plain-words problem;
// routes match case-insensitively; the page module, the e2e file and the write-up of every live lab exist.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, existsSync } from 'node:fs';
import { validateRegistry, findLab, routable, listed } from '../../www/ui/registry.js';

const shipped = JSON.parse(readFileSync(new URL('../../www/labs/labs.json', import.meta.url), 'utf8'));

test('the shipped registry has no problems, and every routable lab has its page and e2e file', () => {
  const { labs, problems } = validateRegistry(shipped);
  assert.deepEqual(problems, []);
  assert.equal(labs.length, shipped.labs.length);
  for (const e of labs.filter(routable)) {
    assert.ok(existsSync(new URL(`../../www/labs/${e.page}`, import.meta.url)), `www/labs/${e.page} exists`);
    assert.ok(existsSync(new URL(`../e2e/${e.id}.test.mjs`, import.meta.url)), `tests/e2e/${e.id}.test.mjs exists`);
    if (e.doc) assert.ok(existsSync(new URL(`../../${e.doc}`, import.meta.url)), `${e.id}: its write-up ${e.doc} exists`);
  }
  assert.ok(!listed(labs).some((e) => e.status === 'template'));
});

test('bad entries are dropped with a problem each; good ones are kept in order', () => {
  const good = shipped.labs[0];
  const { labs, problems } = validateRegistry({
    labs: [good, null, { ...good, id: 'Bad Id' }, { ...good, id: 'x', status: 'soon' }, { ...good, id: 'y', page: '../evil.js' },
      { id: 'z' }, good, { ...good, id: 'w' }],
  });
  assert.deepEqual(labs.map((e) => e.id), [good.id, 'w']);
  assert.equal(problems.length, 6);
  assert.match(problems.join('\n'), /listed twice/);
  assert.match(problems.join('\n'), /lacks status, title/);
  assert.deepEqual(validateRegistry({}).problems, ['the registry has no "labs" list']);
});

test('routes are matched case-insensitively and trimmed', () => {
  const { labs } = validateRegistry(shipped);
  assert.equal(findLab(labs, 'VERIFY')?.id, 'verify');
  assert.equal(findLab(labs, ' Verify ')?.id, 'verify');
  assert.equal(findLab(labs, 'nosuch'), undefined);
  assert.equal(findLab(labs, ''), undefined);
});

test('the README lab index is the registry', async () => {
  const { withIndex } = await import('../../scripts/readme-index.mjs');
  const readme = readFileSync(new URL('../../README.md', import.meta.url), 'utf8');
  assert.equal(withIndex(readme, shipped.labs), readme, 'run node scripts/readme-index.mjs');
});
