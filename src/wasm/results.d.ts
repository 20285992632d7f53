// The typed records the lab facades return (or take) as plain JS objects, appended to pkg/paperlab.d.ts by
// `src/wasm/mod.rs` (a typescript_custom_section) and named by the facades' `unchecked_return_type` /
// `unchecked_param_type`. Numbers are JS numbers (64-bit integers included: the facades serialise with
// serde-wasm-bindgen's JSON-compatible serializer); `null` stands for a Rust `None`; NaN is a number.
// Each interface is checked against what the facade really returns by the wasm tests (tests/wasm/types.rs).
// The methods that return JSON text (a `string`) are listed in the README's "The engine as a package".

/** `TemplateLab.step`: the running Monte-Carlo estimate (`labs::_template::Estimate`). */
export interface TemplateStep {
  samples: number;
  fraction: number;
  std_error: number;
  exact: number;
  finished: boolean;
}

/** One network's counts in a blindspot run. */
export interface BlindspotModelCounts {
  n: number;
  correct: number;
  pgd_fooled: number;
  cw_fooled: number;
  /** Digits not verified at ε = 0.3 (the CROWN-IBP MLP only; 0 for the CNNs). */
  verified_err: number;
}

/** `BlindspotLab.step`: progress of the (α, β) evaluation, per network (natural CNN, adversarial CNN, MLP). */
export interface BlindspotStep {
  done: number;
  total: number;
  finished: boolean;
  models: [BlindspotModelCounts, BlindspotModelCounts, BlindspotModelCounts];
}

/** `BlindspotLab.example`: one digit's classes before and after the transform and the attack. */
export interface BlindspotExample {
  label: number;
  pred_clean: number;
  pred_transformed: number;
  pred_adv: number;
  success: boolean;
}

export type LotteryRewind = "init" | "late" | "reinit" | "random";
export type LotteryRole = "hidden" | "output" | "embedding";
export type LotteryMode = "ticket" | "reinit" | "random";
export type LotteryKind = "ticket" | "reinit" | "random";
export type LotteryStop = "target" | "cap" | "stuck";

/** The lottery page's settings, as its URL holds them (`labs::lottery::page::PageSettings`; unknown keys are
 *  refused). */
export interface LotterySettings {
  /** Fraction of the survivors pruned per round in hidden layers, in (0, 1). */
  rate: number;
  /** Weights remaining to stop at, percent, in (0, 100]. */
  target: number;
  rewind: LotteryRewind;
  /** Late rewinding's iteration. */
  k: number;
  global: boolean;
  iters: number;
  seed: number;
  prune_embedding: boolean;
}

/** The engine configuration of an IMP run (`labs::lottery::ImpConfig`). */
export interface LotteryImpConfig {
  rate: number;
  rate_output: number;
  global: boolean;
  target: number;
  max_rounds: number;
  mode: LotteryMode;
  rewind_iter: number;
  iters: number;
  eval_every: number;
  lr: number;
  seed: number;
  prune_embedding: boolean;
}

/** One level of a planned run: weights remaining (fraction) and survivors per prunable tensor. */
export interface LotteryPlanLevel {
  level: number;
  remaining: number;
  counts: (number | null)[];
}

/** `LotteryPlanner.plan`, `Lottery*.plan` and `.start`: the plan of a run with the page's settings. */
export interface LotteryPlan {
  levels: LotteryPlanLevel[];
  stop: LotteryStop;
  sizes: number[];
  roles: LotteryRole[];
  networks: number;
  total_iters: number;
  resume_at: number;
  config: LotteryImpConfig;
}

/** `Lottery*.step`: progress of a run, in training iterations. */
export interface LotteryProgress {
  done_iters: number;
  total_iters: number;
  level: number;
  results: number;
  finished: boolean;
}

/** One trained network of a run (`labs::lottery::LevelResult`); `evals` are `[iteration, selection loss, metric]`. */
export interface LotteryLevelResult {
  level: number;
  kind: LotteryKind;
  remaining: number;
  counts: number[];
  early_stop_iter: number;
  metric_at_es: number;
  metric_final: number;
  metric_tail: number;
  evals: [number, number, number][];
}

/** `LotteryVision.mask_summary`, `LotteryMasks.summary`: a first-layer mask besides its pixels. */
export interface LotteryMaskSummary {
  kept: number;
  total: number;
  /** Per input pixel (row-major), the share of units that keep its weight, in [0, 1]. */
  pixel_share: number[];
  border_kept: number;
  centre_kept: number;
}

/** A first-layer mask drawn by the engine (`labs::lottery::page::mask_tiles_rgba` and `share_rgba`), in the
 *  page's light and dark palettes: `tiles` is the 300 units' 28 x 28 images, `share` the 28 x 28 map of how many
 *  units keep each pixel. */
export interface LotteryMaskPicture {
  tiles: ImageData;
  share: ImageData;
}
export interface LotteryMaskPictures {
  light: LotteryMaskPicture;
  dark: LotteryMaskPicture;
}

/** One scored molecule (`labs::molecules::ga::Scored`). */
export interface MoleculeScored {
  smiles: string;
  selfies: string;
  fitness: number;
  j: number;
  logp: number;
  sa: number;
  ring_penalty: number;
  d: number;
}

/** `MoleculesLab.step`: a finished generation's statistics (`labs::molecules::ga::GenStats`), or null. */
export interface MoleculesGeneration {
  generation: number;
  beta: number;
  best_fitness: number;
  mean_fitness: number;
  best_j: number;
  mean_j: number;
  best_logp: number;
  mean_logp: number;
  min_sa: number;
  mean_sa: number;
  mean_ring_penalty: number;
  mean_d: number;
  disc_loss: number;
  diversity: number;
  ref_distance: number;
  unique_seen: number;
  evaluated: number;
  top: MoleculeScored[];
}

/** `UcbLab.metrics`: ACC, BWT (null until the last row is in) and each task's accuracy right after training it
 *  (null where not evaluated yet); fractions in [0, 1]. */
export interface UcbMetrics {
  acc: number | null;
  bwt: number | null;
  learned: (number | null)[];
}

/** The ROLL objective of a toy training step (`labs::roll::RollLoss`). */
export interface RollLoss {
  /** Mean softmax cross-entropy, nats. */
  ce: number;
  /** The ROLL term, already multiplied by λ. */
  roll: number;
  total: number;
  /** Fraction of the points classified correctly. */
  acc: number;
  /** Mean over the points of the smallest ℓ2 margin. */
  min_margin: number;
}

/** `RollLab.step`: the last step's loss and the steps taken so far. */
export interface RollStep {
  loss: RollLoss;
  iter: number;
}

/** `RollLab.point_margins`: ε̂ for p = 1, 2, ∞ and the decision-boundary distances (null: +∞), the predicted class,
 *  the neuron attaining each ε̂ (null: none) and ∇(f_1 − f_0). */
export interface RollPointMargins {
  eps: [number | null, number | null, number | null];
  decision: [number | null, number | null, number | null];
  class: number;
  argmin: [number | null, number | null, number | null];
  grad: [number, number];
}

/** `RollLab.digit_margins`: a test digit's label, its predicted class and its margins (null: +∞). */
export interface RollDigitMargins {
  label: number;
  class: number;
  eps: [number | null, number | null, number | null];
  decision: [number | null, number | null, number | null];
}

/** A sentence as the ON-LSTM lab's vocabulary reads it (`labs::onlstm::Tokens`). */
export interface OnlstmTokens {
  words: string[];
  ids: number[];
  /** Per word: not in the vocabulary (read as `<unk>`). */
  unknown: boolean[];
}

/** `OnlstmLab.analyze`: the model's reading of one sentence (`labs::onlstm::Analysis`): syntactic distances and
 *  gates per layer, the induced trees' spans `[start, end)`, each token's surprisal (nats) and the perplexity. */
export interface OnlstmAnalysis {
  tokens: OnlstmTokens;
  distances: number[][];
  gates: number[][];
  gate_width: number;
  spans: [number, number][][];
  nll: number[];
  ppl: number;
}
