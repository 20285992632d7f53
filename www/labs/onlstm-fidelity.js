// The onlstm lab's fidelity card: the paper's numbers (Tables 1 and 2) beside ours, with the deviations in plain
// words. DOM-free apart from the closing paragraph; `m` is www/models/onlstm/manifest.json (or null while loading).

import { h, sig3 } from '../ui/controls.js';
import { f1pct, seedStats } from './onlstm-findings.js';
import { PAPER, modelOf } from './onlstm-data.js';

/** `{ cls, widths, rows, after }` for LabPage's fidelity card. */
export function fidelityCard(m) {
  // The manifest is `ship::Manifest` (src/labs/onlstm/ship.rs): every field is there once it has loaded.
  const b = m?.baselines_test_f1 || {};
  const e = modelOf(m, 'onlstm-c4');
  const st = seedStats(e, 1);
  return {
    cls: 'onl-fid', widths: ['24%', '22%', '24%', '30%'],
    rows: [
      ['F1 ON-LSTM, layer 2', `${PAPER.f1.onlstm} (mean; best run ${PAPER.f1.onlstmBest})`, st ? `${f1pct(st.mean)} (C = 4, mean of ${st.n} seeds)` : '–', 'our sentences are generated, not the WSJ'],
      ['F1 right-branching', `${PAPER.f1.right}`, f1pct(b.right_branching), 'our grammar mixes left and right attachment'],
      ['F1 random trees', `${PAPER.f1.random}`, f1pct(b.random), 'shorter sentences'],
      ['perplexity', `${PAPER.ptbPpl} (PTB)`, `${sig3(e?.metrics?.test_ppl)} (ours)`, 'other data: not comparable'],
      ['data', 'PTB: 1M words, 10k types', m ? `${m.data.train_valid_test[0].toLocaleString('en-US')} sentences, ${m.data.vocab} types` : '–', 'no treebank ships in a package'],
      ['model', '3 layers × 1150, C = 10', '2 layers × 64, C = 2–32', 'trains in a minute'],
      ['training', '1000 epochs, dropout', e ? `${e.train.steps.toLocaleString('en-US')} Adam steps, no dropout` : '–', 'time'],
    ],
    after: [h('p', { class: 'sub' }, 'Paper: Table 2 (full WSJ test set, sentence-level F1) and Table 1 (Penn Treebank). Same '
      + 'distance (D − Σ f̃), same greedy top-down split, same F1 protocol. Our choice of C = 4, layer 2 as the headline '
      + 'was made after seeing all layers and seeds (the paper reports each of its 3 layers; the 2nd is its best); '
      + 'every layer and seed is in the table. '
      + 'Word-level: the trees are over words, as in the paper; unknown words become <unk> (2% of training inputs are '
      + 'replaced by it so it has a trained embedding).')],
  };
}
