// The typed records the lab facades return (or take) as plain JS objects, appended to pkg/paperlab.d.ts by
// `src/wasm/mod.rs` (a typescript_custom_section) and named by the facades' `unchecked_return_type` /
// `unchecked_param_type`. Numbers are JS numbers (64-bit integers included: the facades serialise with
// serde-wasm-bindgen's JSON-compatible serializer); `null` stands for a Rust `None`; NaN is a number.
// Each interface is checked against what the facade really returns by the wasm tests (tests/wasm/types.rs).

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

/** `CorruptionsLab.load_photo`: the current photo's size in pixels, and its channels (3). */
export interface CorruptionsPhoto {
  width: number;
  height: number;
  channels: number;
}

/** `MoleculesLab.progress`: generations done and planned, and whether the run is over. */
export interface MoleculesProgress {
  done: number;
  planned: number;
  finished: boolean;
}

/** `MoleculesLab.start`'s settings (`labs::molecules::ga::GaConfig`): any subset; the rest take their defaults. */
export interface MoleculesSettings {
  population?: number;
  generations?: number;
  beta?: number;
  adaptive?: boolean;
  adaptive_after?: number;
  adaptive_patience?: number;
  adaptive_beta?: number;
  max_len?: number;
  disc_steps?: number;
  max_tries?: number;
  seed?: number;
  start?: string[];
}

/** `MoleculesLab.advance`: the generation that finished (or null), the SMILES to answer next, generations done. */
export interface MoleculesAdvance {
  generation: MoleculesGeneration | null;
  needs: string[];
  done: number;
  finished: boolean;
}

/** What the page's chemistry worker reads off RDKit MinimalLib for one molecule (`labs::molecules::ga::RdkitMol`),
 *  given to `MoleculesLab.provide`. */
export interface MoleculesRdkitMol {
  canonical: string;
  logp: number;
  stereo_centers: number;
  spiro: number;
  bridgeheads: number;
  ring_sizes: number[];
  /** 5 per atom: atomic number, impHs, charge, isotope, in a ring (1/0). */
  graph_atoms: number[];
  /** 3 per bond: its atoms and RDKit's bond type (12 = aromatic). */
  graph_bonds: number[];
  morgan_bits: number[];
  descriptors: number[];
}

/** `UcbLab.step`: what one call did; the fields that do not apply to its kind are null. */
export interface UcbStep {
  kind: "trained" | "evaluated" | "done";
  task: number | null;
  steps_done: number;
  total_steps: number;
  cells_done: number;
  on: number | null;
  acc: number | null;
  ce: number | null;
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

/** `OnlstmLab.config`: the current model's sizes (`labs::onlstm::model::LmConfig`). */
export interface OnlstmConfig {
  /** ON-LSTM chunk size C (divides h), or 0 for the plain LSTM. */
  chunk: number;
  /** Embedding width E. */
  e: number;
  /** Hidden width H of every layer. */
  h: number;
  layers: number;
  /** Vocabulary size V. */
  v: number;
}

/** A BagNet's sizes in a model file (`labs::bagnet::BagNetConfig`, tagged `kind: "bagnet"`). */
export interface BagnetNetConfig {
  kind: "bagnet";
  /** Patch size q (the receptive field of every output location), 5 + 4n. */
  q: number;
  width: number;
  classes: number;
}

/** The baseline CNN's sizes (`labs::bagnet::CnnConfig`, tagged `kind: "cnn"`). */
export interface BagnetCnnConfig {
  kind: "cnn";
  width: number;
  classes: number;
}

export type BagnetModelConfig = BagnetNetConfig | BagnetCnnConfig;

/** One entry of `BagnetLab.ids`: a loaded model's id (`q5` .. `q17`, `cnn`), sizes and parameter count. */
export interface BagnetModelInfo {
  id: string;
  config: BagnetModelConfig;
  params: number;
}

/** One entry of `BagnetLab.top_patches`, best first: the patch at map cell (row, col), its top-left pixel (y, x),
 *  its side q in pixels and its class evidence (logit minus the mean over classes). */
export interface BagnetPatch {
  row: number;
  col: number;
  y: number;
  x: number;
  size: number;
  evidence: number;
}

/** One k of `BagnetLab.mask_experiment` (`labs::bagnet::MaskResult`): accuracies (fractions) with the k patches of
 *  most evidence masked, with k random ones masked, and the correlation of the two models' margin drops. */
export interface BagnetMaskResult {
  k: number;
  bagnet: number;
  cnn: number;
  bagnet_random: number;
  cnn_random: number;
  correlation: number;
}

export type CompressiveFunc = "max" | "mean" | "conv" | "dilated" | "most-used";
export type CompressiveFcLoss = "attention" | "autoencoder" | "none";

/** `CompressiveLab.config`: the model's sizes (`labs::compressive::Config`; cmem 0 = Transformer-XL) and two
 *  derived ones. */
export interface CompressiveConfig {
  vocab: number;
  d: number;
  heads: number;
  ff: number;
  layers: number;
  /** Segment length n_s, characters. */
  seg: number;
  /** Memory size n_m (rows per layer). */
  mem: number;
  /** Compressed memory size n_cm (rows per layer). */
  cmem: number;
  /** Compression rate c. */
  rate: number;
  func: CompressiveFunc;
  fc_loss: CompressiveFcLoss;
  /** n_m + c n_cm. */
  temporal_range: number;
  /** n_m + n_cm. */
  attention_size: number;
}

export type UcbMethod = "finetune" | "bbb" | "ucb" | "ucb-flat";
export type UcbMode = "task" | "class" | "perm";

/** The scale-mixture prior of a UCB run (`labs::ucb::Prior`). */
export interface UcbPrior {
  pi: number;
  sigma1: number;
  sigma2: number;
}

/** `UcbLab.config`: everything that defines the current run (`labs::ucb::Config`). */
export interface UcbConfig {
  method: UcbMethod;
  mode: UcbMode;
  hidden: number[];
  epochs: number;
  batch: number;
  lr: number;
  lr_rho: number;
  samples: number;
  test_samples: number;
  rho_init: number;
  mu_init_std: number;
  prior: UcbPrior;
  kl_weight: number;
  seed: number;
  normalised_rule: boolean;
}

/** A dense layer's map in `VerifyModelInfo.ops`. */
export interface VerifyDense {
  ni: number;
  no: number;
}

/** A convolution's map in `VerifyModelInfo.ops`: `c x h x w` to `o` channels, kernel k, stride, zero padding. */
export interface VerifyConv {
  c: number;
  h: number;
  w: number;
  o: number;
  k: number;
  stride: number;
  pad: number;
}

export interface VerifyOpDense {
  Dense: VerifyDense;
}

export interface VerifyOpConv {
  Conv: VerifyConv;
}

/** One layer map of a conv net (`labs::verify::Op`, serde's externally tagged form). */
export type VerifyOp = VerifyOpDense | VerifyOpConv;

/** `VerifyLab.model_info`: the loaded model's file id and label (null when absent), architecture, widths (input,
 *  then every affine layer's outputs), conv maps (empty for an MLP), training ε (null when not recorded) and
 *  parameter count. */
export interface VerifyModelInfo {
  name: string | null;
  label: string | null;
  arch: "mlp" | "cnn";
  dims: number[];
  ops: VerifyOp[];
  train_eps: number | null;
  params: number;
}

/** `CorruptionsLab.digit_sequence`: a digit's perturbation sequence, per model the predicted class of every frame
 *  and the frames whose prediction flipped. */
export interface CorruptionsDigitSequence {
  frames: number;
  noise: boolean;
  preds: number[][];
  flips: number[][];
}

/** `CorruptionsLab.bench_step`: the benchmark cell just run (`bench::Cell`; severity 0 for a perturbation), its
 *  error (corruption) or flip probability (perturbation) per model. */
export interface CorruptionsCell {
  index: number;
  total: number;
  name: string;
  severity: number;
  values: number[];
}

/** One model of `CorruptionsLab.bench_report` (`bench::ModelReport`): fractions; CE and FR relative to the
 *  baseline (1 = the baseline's); null where a cell has not run yet. */
export interface CorruptionsModelReport {
  name: string;
  clean: number;
  /** Per corruption (the 15 common ones, the paper's order), the error at severities 1..5. */
  errors: [number | null, number | null, number | null, number | null, number | null][];
  ce: (number | null)[];
  rel_ce: (number | null)[];
  mce: number | null;
  rel_mce: number | null;
  /** Flip probability per perturbation. */
  fp: (number | null)[];
  fr: (number | null)[];
  mfr: number | null;
}

/** One entry of `corruption_names()`. */
export interface CorruptionName {
  name: string;
  title: string;
}

/** One entry of `perturbation_names()`. */
export interface PerturbationName {
  name: string;
  noise: boolean;
}

/** `OnlstmLab.evaluate`: perplexity and each layer's parse F1 (fraction) on test sentences
 *  (`labs::onlstm::model::EvalResult`). */
export interface OnlstmEval {
  ppl: number;
  f1_by_layer: number[];
}

/** `OnlstmLab.baselines`: the trivial trees' parse F1 (fractions; random: the mean of 5 trees per sentence). */
export interface OnlstmBaselines {
  right_branching: number;
  left_branching: number;
  random: number;
}

/** `OnlstmLab.train_step`: steps done and in all, the mean training cross-entropy (nats per token; NaN when no
 *  step was left) of the call's steps, tokens predicted so far. */
export interface OnlstmTrainStep {
  done: number;
  total: number;
  train_ce: number;
  tokens: number;
}

/** `BagnetLab.eval_step`: images classified so far, in the run, and correctly. */
export interface BagnetEvalStep {
  done: number;
  total: number;
  correct: number;
}

/** `CompressiveLab.attention`: T queries over S = cm_rows + m_rows + T keys, and the mean attention mass on the
 *  compressed memory, the memory and the segment. */
export interface CompressiveAttention {
  t: number;
  s: number;
  cm_rows: number;
  m_rows: number;
  mass_cm: number;
  mass_m: number;
  mass_seg: number;
}

/** `CompressiveLab.finetune_step`: steps done, the mean training bits/char of the call's steps (NaN when none was
 *  left) and the last step's attention-reconstruction loss. */
export interface CompressiveFinetuneStep {
  done: number;
  train_bpc: number;
  attn_loss: number;
}
