// The compressive page's DOM-free rules (www/labs/compressive-data.js) and the ablation wording
// (compressive-findings.js): which shipped model a setting shows, the notes when another one is shown, the seeds'
// mean bins, the recall slot, and the f_c-loss ablation sentence against made-up numbers.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { modelId, lossApplies, resolvePatch, binsOf, binAt, ablationRows, recallSlot, exportRows, RECALL_TEXT } from '../../www/labs/compressive-data.js';
import { ablationSentence } from '../../www/labs/compressive-findings.js';

const base = { data: 'recall', xl: false, fn: 'conv', c: 4, loss: 'attention' };

test('modelId: the f_c loss picks a model only for the recall setting’s conv c = 4', () => {
  assert.equal(modelId(base), 'conv-c4');
  assert.equal(modelId({ ...base, loss: 'autoencoder' }), 'conv-c4-ae');
  assert.equal(modelId({ ...base, loss: 'none' }), 'conv-c4-none');
  assert.equal(modelId({ ...base, c: 3, loss: 'none' }), 'conv-c3');
  assert.equal(modelId({ ...base, data: 'text', loss: 'none' }), 'conv-c4');
  assert.equal(modelId({ ...base, fn: 'max' }), 'max-c4');
  assert.equal(modelId({ ...base, xl: true, loss: 'none' }), 'xl');
  assert.ok(lossApplies(base) && !lossApplies({ ...base, c: 8 }));
});

test('resolvePatch: only shipped models, with a note each time another one is shown', () => {
  const shipped = new Set(['xl', 'conv-c1', 'conv-c3', 'conv-c4', 'conv-c4-ae', 'conv-c4-none', 'max-c4']);
  const has = (id, v) => v.data === 'text' || shipped.has(id);
  const ids = [...shipped];
  // moving c away from 4 resets the f_c loss, with a note
  let r = resolvePatch({ ...base, loss: 'none' }, { c: 3 }, has, ids);
  assert.deepEqual(r.patch, { c: 3, loss: 'attention' });
  assert.match(r.notes[0], /no loss is trained for the recall setting’s conv c = 4 only/);
  // choosing a loss from max pooling at c = 4 switches to the convolution
  r = resolvePatch({ ...base, fn: 'max' }, { loss: 'autoencoder' }, has, ids);
  assert.deepEqual(r.patch, { loss: 'autoencoder', xl: false, fn: 'conv', c: 4 });
  // in the natural-text setting the loss stays attention reconstruction
  r = resolvePatch({ ...base, data: 'text' }, { loss: 'none' }, has, ids);
  assert.equal(r.patch.loss, 'attention');
  assert.match(r.notes[0], /trained in the long-range recall setting only/);
  // a recall model that is not shipped falls back to the nearest trained conv rate
  r = resolvePatch(base, { c: 8 }, has, ids);
  assert.equal(r.patch.c, 4);
  assert.match(r.notes.at(-1), /conv-c8 is not trained in the recall setting .*; showing conv c = 4/);
  // Transformer-XL and a pooled f_c: the original notes
  assert.match(resolvePatch({ ...base, xl: true }, { c: 2 }, () => true).notes[0], /Transformer-XL has no compression rate/);
  assert.match(resolvePatch({ ...base, fn: 'max' }, { c: 8 }, () => true).notes[0], /max pool is shipped at c = 4 only; c = 8 shows the convolution/);
});

test('binsOf averages the seeds bin by bin; binAt reads the bin holding a distance', () => {
  const e = { runs: [{ by_distance: [[32, 1, 5], [64, 3, 5]] }, { by_distance: [[32, 2, 5], [64, 4, 5]] }] };
  assert.deepEqual(binsOf(e), [[32, 1.5, 0], [64, 3.5, 0]]);
  assert.equal(binAt(binsOf(e), 40), 3.5);
  assert.equal(binAt(binsOf(e), 500), 3.5);
  assert.deepEqual(binsOf({}), []);
});

test('recallSlot finds the strongest key of the last query and names its part', () => {
  // T = 2 queries over S = 5 keys: 2 compressed, 1 memory, 2 segment; the last row peaks at key 1 (compressed)
  const probs = [1, 0, 0, 0, 0, 0.1, 0.5, 0.2, 0.1, 0.1];
  const r = recallSlot(probs, 2, 5, 2, 1, 4);
  assert.equal(r.slot, 'cm');
  assert.match(r.part, /compressed slot 2 of 2 \(it holds 4 old memories\)/);
  assert.ok(Math.abs(r.onCm - 0.6) < 1e-12 && r.p === 0.5);
  assert.equal(recallSlot([0, 0, 0, 0, 0, 0, 0, 0, 0, 1], 2, 5, 2, 1, 4).slot, 'seg');
});

test('ablationRows and ablationSentence follow the numbers', () => {
  const entry = (id, bits) => ({ id, recall_bits_mean: bits.reduce((a, b) => a + b) / bits.length, recall_bits_spread: Math.max(...bits) - Math.min(...bits), runs: bits.map((b) => ({ recall_bits: b })) });
  const models = [entry('conv-c4', [2.9, 3.0, 3.1]), entry('conv-c4-ae', [3.0, 3.1, 3.2]), entry('conv-c4-none', [4.2, 4.3, 4.4])];
  const rows = ablationRows(models);
  assert.deepEqual(rows.map((r) => r.loss), ['attention', 'autoencoder', 'none']);
  assert.match(ablationSentence(rows, { mean: 4.5 }), /attention reconstruction 3\.000, lossless autoencoding 3\.100, no loss 4\.300 bits; attention reconstruction is best, 1\.30 bits ahead of no loss, 6\.5× the largest seed spread \(0\.20\): beyond seed noise.*Every one stays below Transformer-XL's 4\.500/);
  const close = ablationRows([entry('conv-c4', [3.0, 3.4]), entry('conv-c4-ae', [2.9, 3.3])]);
  assert.match(ablationSentence(close, null), /the gap between the best \(lossless autoencoding\) and the worst \(attention reconstruction\) is 0\.10 bits, 0\.3× .*within seed noise, no ranking/);
  assert.equal(ablationSentence(ablationRows([models[0]]), null), null, 'one loss is no ablation');
});

test('exportRows keep the natural-text columns and add the f_c loss for the recall models', () => {
  const m = { id: 'conv-c4-ae', label: 'x', config: { seg: 32, mem: 32, cmem: 32, rate: 4, func: 'conv', fc_loss: 'autoencoder' }, temporal_range: 160, recall_bits_mean: 3, val_bpc: 2 };
  assert.deepEqual(exportRows([m], false)[0], ['id', 'label', 'seg', 'mem', 'cmem', 'rate', 'func', 'temporal_range', 'val_bpc']);
  assert.deepEqual(exportRows([m], true)[1], ['conv-c4-ae', 'x', 32, 32, 32, 4, 'conv', 'autoencoder', 160, 3]);
  assert.ok(RECALL_TEXT.endsWith('=Q') && RECALL_TEXT.split('\n').length === 3);
});
