// The upload checks (www/ui/upload.js uploadProblem): a wrong type and a too large file are refused with the file's
// name and what to choose instead; a file without a type (the browser could not tell) and one at the limit pass.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { uploadProblem } from '../../www/ui/upload.js';

const opts = { types: /^image\/(png|jpeg)$/, kinds: 'a PNG or JPEG picture', choose: 'a .png or .jpg file', maxMB: 30 };

test('type and size are checked before reading', () => {
  assert.equal(uploadProblem({ name: 'a.txt', type: 'text/plain', size: 5 }, opts), 'a.txt is text/plain, not a PNG or JPEG picture; choose a .png or .jpg file');
  assert.equal(uploadProblem({ name: 'b.png', type: 'image/png', size: 31 * 2 ** 20 }, opts), 'b.png is 31.0 MB; choose a picture under 30 MB');
  assert.equal(uploadProblem({ name: 'c.png', type: 'image/png', size: 30 * 2 ** 20 }, opts), null);
  assert.equal(uploadProblem({ name: 'd', type: '', size: 10 }, opts), null);
  assert.equal(uploadProblem({ name: 'e.gif', type: 'image/gif', size: 10 }, { maxMB: 1 }), null, 'no type rule');
});
