// The lottery lab's fidelity card: the paper's numbers beside ours, per setting, with the deviations in plain words.
// DOM-free apart from the caption paragraph; `at(series, remaining)` reads the precomputed point nearest a fraction
// remaining (`{ remaining, mean }` or null), `cfg` is the manifest's config of the setting, `fmt` formats a metric.

import { h, sig3 } from '../ui/controls.js';

/** `{ rows, after }` for LabPage's fidelity card of `setting` ('vision' | 'rl' | 'lm'). */
export function fidelityCard(setting, { at, cfg, fmt: f }) {
  const seeds = (cfg.seeds || []).length;
  const fmt = (p) => (p ? `${f(p.mean)} at ${sig3(p.remaining * 100)}%` : '–');
  const dense = at('ticket', 1);
  const denseTxt = dense ? f(dense.mean) : '–';
  const precomputed = 'Biases are never pruned. Precomputed by the same code that runs in this page (paperlab train lottery).';
  const cap = {
    lm: 'Bits per character on the last 20,000 characters (windows of 64 from a zero state), at the evaluation with the lowest value.',
    rl: 'Return = mean over the evaluations in the last quarter of training of 10 greedy episodes from fixed start states (500 is the cap).',
    vision: 'Accuracy is measured at the early-stopping iteration (lowest loss on 1,000 held-out training digits), on the 2,000 test digits, as in the paper.',
  }[setting];
  const rows = {
    lm: () => [
      ['task', 'word-level LSTM language model (Wikitext-2) and Transformer translation (WMT’14)', 'character-level LSTM on 200,000 characters of Moby-Dick', 'the browser budget; characters need no large vocabulary'],
      ['dense model, validation', '—', denseTxt, `embedding 32, one LSTM layer of 64, ${cfg.imp?.iters || 600} iterations of 16 × 64 characters (paper: large models trained to convergence)`],
      ['late-rewound ticket at ~10%', 'close to the dense model, better than random tickets', fmt(at('late', 0.1)), `late rewinding to iteration ${cfg.late_rewind_iter ?? 50}; ${seeds} seeds`],
      ['random re-init at ~10%', 'worse than the ticket', fmt(at('reinit', 0.1)), 'same masks as the late-rewound ticket, fresh initialisation'],
      ['ticket rewound to init at ~10%', 'late rewinding matters most for large models', fmt(at('ticket', 0.1)), 'a small model'],
      ['embedding not pruned, ~10%', '—', fmt(at('noemb', 0.1)), 'an extra comparison here: the same rounds with the 75×32 embedding kept dense (7.6% of the weights)'],
    ],
    rl: () => [
      ['task', 'classic control (CartPole, Acrobot, LunarLander) and Atari', 'CartPole only', 'the browser budget'],
      ['dense policy, greedy return', '—', denseTxt, `MLP 4–64–64, REINFORCE with a learned baseline, ${cfg.imp?.iters || 100} updates of 8 episodes (paper: larger nets, PPO/DQN-style training)`],
      ['late-rewound ticket at ~5%', 'beats parameter-matched random initialisations', fmt(at('late', 0.05)), `late rewinding to update ${cfg.late_rewind_iter ?? 10}; ${seeds} seeds`],
      ['random re-init at ~5%', 'worse than the ticket', fmt(at('reinit', 0.05)), 'same masks as the late-rewound ticket, fresh initialisation'],
      ['ticket rewound to init at ~5%', 'late rewinding helps', fmt(at('ticket', 0.05)), 'on CartPole rewinding to init already works'],
    ],
    vision: () => [
      ['LeNet-300-100, dense test accuracy', 'about 98% (fig. 3)', denseTxt, `${(cfg.train_digits || 7000).toLocaleString('en-US')} training digits instead of 55,000, so lower accuracy throughout`],
      ['winning ticket at ~21% of weights', 'learns faster and beats the dense net (fig. 3, 4)', fmt(at('ticket', 0.21)),
        `${(cfg.imp?.iters || 1500).toLocaleString('en-US')} iterations per round instead of 50,000; Adam 1.2e-3, batch 60, 20%/10% per round as in the paper`],
      ['random re-init at ~21%', 'learns slower, lower accuracy', fmt(at('reinit', 0.21)), 'the ticket’s masks, fresh Glorot initialisation'],
      ['winning ticket at ~3.6%', 'still about the dense accuracy', fmt(at('ticket', 0.036)), `${seeds || 3} seed${seeds === 1 ? '' : 's'} (paper: 5)`],
      ['RL and language (Yu et al.)', 'tickets in control tasks, Atari, LSTMs and Transformers', 'CartPole; a char LSTM', 'see the Setting menu'],
    ],
  }[setting]();
  return { rows, after: [h('p', { class: 'sub' }, `${cap} ${precomputed}`)] };
}
