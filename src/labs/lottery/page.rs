//! What the lottery page asks of the engine besides training: its settings turned into an [`ImpConfig`], the pruning
//! plan those settings give (levels, survivor counts, why the plan stops, how many networks and iterations a run
//! takes), and the shipped masks of the precomputed winning ticket (the round in which each first-layer weight was
//! pruned). Everything here is plain data and arithmetic, so the page computes nothing itself and the numbers it
//! shows are the ones a run uses.
//!
//! The page's settings (the URL's) differ from [`ImpConfig`] in three ways: the target is in percent; the output
//! layer's rate is always half the hidden one (LTH's 20% / 10%); and "what to train" names the rewinding (`init`,
//! `late`, `reinit`, `random`), where a random re-initialisation takes its masks from the ticket rewound to init in
//! the vision setting (LTH sec. 2) and from the late-rewound ticket in the RL and language settings (Yu et al.
//! sec. 3).

use ndarray::{Array3, ArrayView2};
use serde::{Deserialize, Serialize};

use super::text::LmConfig;
use super::{level_counts, plan_with_stop, total_iters, ImpConfig, Mode, Role, Stop};
use crate::error::{Error, Result};

/// The lab's three settings.
#[derive(Copy, Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Setting {
    /// LeNet-300-100 on MNIST (LTH).
    Vision,
    /// A policy-gradient MLP 4-64-64 on CartPole (Yu et al.).
    Rl,
    /// A character-level LSTM on Moby-Dick (Yu et al.).
    Lm,
}

/// Characters in the shipped text (`www/data/moby-dick-200k.txt.gz`): the language model's vocabulary V, which sets
/// its embedding and output sizes. `tests/lottery_page.rs` checks it against the file.
pub const SHIPPED_VOCAB: usize = 75;

impl std::str::FromStr for Setting {
    type Err = Error;
    fn from_str(s: &str) -> Result<Self> {
        match s {
            "vision" => Ok(Setting::Vision),
            "rl" => Ok(Setting::Rl),
            "lm" => Ok(Setting::Lm),
            _ => Err(Error::range("lottery setting", format!("`{s}` is not one of vision, rl, lm"))),
        }
    }
}

impl Setting {
    /// The recipe of the shipped curves: 20% / 10% per round, Adam, and per network 1,500 iterations of 60 digits
    /// evaluated every 100 (vision), 100 updates of 8 episodes evaluated every 10 (RL), or 600 iterations of 16 x 64
    /// characters evaluated every 50 (language).
    pub fn defaults(self) -> ImpConfig {
        let (iters, eval_every, lr, target) = match self {
            Setting::Vision => (1500, 100, 1.2e-3, 0.02),
            Setting::Rl => (100, 10, 3e-3, 0.02),
            Setting::Lm => (600, 50, 1e-2, 0.05),
        };
        ImpConfig { rate: 0.2, rate_output: 0.1, target, iters, eval_every, lr, ..Default::default() }
    }

    /// Whether random re-initialisation takes its masks from the late-rewound ticket (RL, language) rather than from
    /// the ticket rewound to init (vision).
    pub fn reinit_from_late(self) -> bool {
        self != Setting::Vision
    }

    /// Sizes and roles of the prunable tensors. `vocab` is the language model's V (ignored by the other settings).
    pub fn architecture(self, vocab: usize) -> (Vec<usize>, Vec<Role>) {
        use Role::*;
        match self {
            Setting::Vision => (vec![784 * 300, 300 * 100, 100 * 10], vec![Hidden, Hidden, Output]),
            Setting::Rl => (vec![4 * 64, 64 * 64, 64 * 3], vec![Hidden, Hidden, Output]),
            Setting::Lm => {
                let LmConfig { e, h, .. } = LmConfig::default();
                // Embedding V x E, W_ih 4H x E, W_hh 4H x H, output V x H.
                (vec![vocab * e, 4 * h * e, 4 * h * h, vocab * h], vec![Embedding, Hidden, Hidden, Output])
            }
        }
    }
}

/// What the page's run trains at each level.
#[derive(Copy, Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Rewind {
    /// The ticket rewound to init (LTH's winning ticket).
    Init,
    /// The ticket rewound to iteration k (late rewinding).
    Late,
    /// The ticket (see [`Setting::reinit_from_late`]) and its masks from a fresh random initialisation.
    Reinit,
    /// Random masks with the ticket's survivor counts, from theta_0.
    Random,
}

/// The page's settings, as its URL holds them.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PageSettings {
    /// Fraction of the survivors pruned per round in hidden layers, in (0, 1); the output layer gets half.
    pub rate: f64,
    /// Target: weights remaining, in percent, in (0, 100].
    pub target: f64,
    /// What a run trains.
    pub rewind: Rewind,
    /// Late rewinding's iteration k (used by `late`, and by `reinit` when it follows the late-rewound ticket);
    /// clamped to `iters - 1`.
    pub k: usize,
    /// One ranking over all tensors instead of one per tensor.
    pub global: bool,
    /// Training iterations per network.
    pub iters: usize,
    /// Seed of the run.
    pub seed: u64,
    /// Prune the language model's embedding.
    pub prune_embedding: bool,
}

/// The [`ImpConfig`] a run with the page's settings uses: the setting's defaults with the page's values, evaluating
/// every `min(default, round(iters / 10))` iterations (at least 1) so a short run still has about ten evaluations.
///
/// # Errors
/// [`Error::Range`] for a value out of range (see [`ImpConfig::validate`]).
pub fn imp_config(setting: Setting, s: &PageSettings) -> Result<ImpConfig> {
    let d = setting.defaults();
    if !s.target.is_finite() {
        return Err(Error::range("target", format!("{} % must be a number in (0, 100]", s.target)));
    }
    let late = s.rewind == Rewind::Late || (s.rewind == Rewind::Reinit && setting.reinit_from_late());
    let mode = match s.rewind {
        Rewind::Reinit => Mode::Reinit,
        Rewind::Random => Mode::Random,
        Rewind::Init | Rewind::Late => Mode::Ticket,
    };
    let eval_every = d.eval_every.min(((s.iters as f64) / 10.0).round() as usize).max(1);
    let cfg = ImpConfig {
        rate: s.rate,
        rate_output: s.rate / 2.0,
        global: s.global,
        target: s.target / 100.0,
        mode,
        rewind_iter: if late { s.k.min(s.iters.saturating_sub(1)) } else { 0 },
        iters: s.iters,
        eval_every,
        seed: s.seed,
        prune_embedding: s.prune_embedding,
        ..d
    };
    cfg.validate()?;
    Ok(cfg)
}

/// One level of a plan.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct PlanLevel {
    /// Pruning rounds taken (0 = the dense network).
    pub level: usize,
    /// Fraction of all weights remaining, in (0, 1].
    pub remaining: f64,
    /// Survivors per prunable tensor (`None` for pruned tensors in global mode, where only the total is fixed).
    pub counts: Vec<Option<usize>>,
}

/// The plan of a run with the page's settings: what the headline, the plot's marker and the run box show.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct PlanView {
    /// Levels 0 (dense) to the last one the run trains.
    pub levels: Vec<PlanLevel>,
    /// Why the plan ends at its last level.
    pub stop: Stop,
    /// Sizes of the prunable tensors.
    pub sizes: Vec<usize>,
    /// Their roles.
    pub roles: Vec<Role>,
    /// Networks a run trains (the re-initialised controls included).
    pub networks: usize,
    /// Training iterations of a run in all.
    pub total_iters: usize,
    /// The iteration rewound tickets resume at (0: they train from the start).
    pub resume_at: usize,
    /// The engine's configuration of the run.
    pub config: ImpConfig,
}

/// The plan of a run of `setting` with the page's settings `s` over prunable tensors `sizes`/`roles`.
///
/// # Errors
/// As [`imp_config`]; [`Error::Shape`] when `sizes` and `roles` differ in length.
pub fn plan_view(setting: Setting, sizes: &[usize], roles: &[Role], s: &PageSettings) -> Result<PlanView> {
    if sizes.len() != roles.len() {
        return Err(Error::shape("lottery plan", format!("{} sizes but {} roles", sizes.len(), roles.len())));
    }
    let cfg = imp_config(setting, s)?;
    let (levels, stop) = plan_with_stop(sizes, roles, &cfg);
    let pruned = levels.len() - 1;
    Ok(PlanView {
        levels: levels
            .iter()
            .map(|&(level, remaining)| PlanLevel { level, remaining, counts: level_counts(sizes, roles, &cfg, level) })
            .collect(),
        stop,
        sizes: sizes.to_vec(),
        roles: roles.to_vec(),
        networks: 1 + pruned * if cfg.mode == Mode::Reinit { 2 } else { 1 },
        total_iters: total_iters(&levels, &cfg),
        resume_at: if cfg.mode == Mode::Random { 0 } else { cfg.rewind_iter },
        config: cfg,
    })
}

/// A first-layer mask as the page draws it: `units x inputs` bytes, unit-major (each unit's inputs form one image),
/// 1 = kept, from `keep` in the layer's input-major layout (`keep[i * units + u]`, as [`crate::nn::prune::Mask`]
/// holds LeNet's first layer).
///
/// # Errors
/// [`Error::Shape`] when `keep` does not hold `units * inputs` entries.
pub fn units_from_keep(keep: &[bool], units: usize, inputs: usize) -> Result<Vec<u8>> {
    if keep.len() != units * inputs {
        return Err(Error::shape("first-layer mask", format!("{} entries, expected {units} x {inputs}", keep.len())));
    }
    Ok((0..units * inputs).map(|j| keep[(j % inputs) * units + j / inputs] as u8).collect())
}

/// Upper bound on the unpacked mask file accepted by [`RoundMasks::from_bytes`].
pub const MAX_MASK_FILE: usize = 16 << 20;

/// The shipped masks of one IMP run (`www/models/lottery/vision-masks.safetensors.gz`, written by
/// `paperlab train lottery`): for the first layer, the round in which each weight was pruned (255 = never), so the
/// mask of level `r` keeps the weights pruned after round `r`.
#[derive(Clone, Debug, PartialEq)]
pub struct RoundMasks {
    /// Hidden units (rows of the `layer0` tensor).
    pub units: usize,
    /// Inputs per unit (its columns).
    pub inputs: usize,
    /// `units x inputs` rounds, unit-major.
    pub rounds: Vec<u8>,
}

impl RoundMasks {
    /// Reads the file's bytes (gzipped or not); the tensor `layer0` (U8, 2-D: units x inputs) is used.
    ///
    /// # Errors
    /// [`Error::Format`] when the bytes are not (gzipped) safetensors; [`Error::Model`] when `layer0` is missing,
    /// not U8 or not 2-D.
    pub fn from_bytes(bytes: &[u8]) -> Result<Self> {
        let raw;
        let st = if bytes.starts_with(&[0x1f, 0x8b]) {
            raw = crate::io::gunzip(bytes, MAX_MASK_FILE)?;
            &raw[..]
        } else {
            bytes
        };
        let (shape, rounds) = crate::io::load(st)?.u8("layer0")?;
        if shape.len() != 2 {
            return Err(Error::Model(format!("mask tensor `layer0` has shape {shape:?}; expected units x inputs")));
        }
        Ok(RoundMasks { units: shape[0], inputs: shape[1], rounds })
    }

    /// The mask of level `level` (unit-major, 1 = kept) and how many weights it keeps.
    pub fn at(&self, level: usize) -> (Vec<u8>, usize) {
        let m: Vec<u8> = self.rounds.iter().map(|&r| (r as usize > level) as u8).collect();
        let kept = m.iter().map(|&b| b as usize).sum();
        (m, kept)
    }
}

/// What the page says and draws about a first-layer mask besides its pixels.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct MaskSummary {
    /// Weights kept.
    pub kept: usize,
    /// Weights in the layer (units x inputs).
    pub total: usize,
    /// Per input pixel (row-major `side x side`), the share of units that keep its weight, in [0, 1].
    pub pixel_share: Vec<f32>,
    /// Share of the weights kept from the pixels of the image's outer ring (`ring` pixels wide), in [0, 1].
    pub border_kept: f64,
    /// The same for the other (inner) pixels.
    pub centre_kept: f64,
}

/// Summarises a unit-major first-layer mask (`units x side²` bytes, nonzero = kept, see [`units_from_keep`]) whose
/// inputs are `side x side` images; `ring` is the border width in pixels (the page uses 4 of MNIST's 28, the band
/// the digits never touch).
///
/// # Errors
/// [`Error::Shape`] when `mask` is not `units x side²` bytes or the ring leaves no inner pixels.
pub fn mask_summary(mask: &[u8], units: usize, side: usize, ring: usize) -> Result<MaskSummary> {
    let inputs = side * side;
    if mask.len() != units * inputs || units == 0 {
        return Err(Error::shape("first-layer mask", format!("{} bytes, expected {units} x {side} x {side}", mask.len())));
    }
    if 2 * ring >= side {
        return Err(Error::shape("mask border", format!("a ring of {ring} leaves no inner pixels of {side} x {side}")));
    }
    let mut per_pixel = vec![0usize; inputs];
    for u in 0..units {
        for (i, c) in per_pixel.iter_mut().enumerate() {
            *c += (mask[u * inputs + i] != 0) as usize;
        }
    }
    let on_ring = |i: usize| {
        let (y, x) = (i / side, i % side);
        y < ring || x < ring || y >= side - ring || x >= side - ring
    };
    let share = |ring_side: bool| {
        let (k, n) = (0..inputs).filter(|&i| on_ring(i) == ring_side).fold((0, 0), |(k, n), i| (k + per_pixel[i], n + units));
        k as f64 / n as f64
    };
    Ok(MaskSummary {
        kept: per_pixel.iter().sum(),
        total: units * inputs,
        pixel_share: per_pixel.iter().map(|&c| c as f32 / units as f32).collect(),
        border_kept: share(true),
        centre_kept: share(false),
    })
}

/// The colours of the mask drawings (RGB): a kept weight (`ink`), a pruned one (`background`), and the lines between
/// tiles (`gap`). The page passes its light and dark palettes.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub struct MaskPalette {
    /// A kept weight.
    pub ink: [u8; 3],
    /// A pruned weight.
    pub background: [u8; 3],
    /// Between tiles.
    pub gap: [u8; 3],
}

impl MaskPalette {
    /// From 9 bytes: ink, background and gap, RGB each.
    ///
    /// # Errors
    /// [`Error::Shape`] for another number of bytes.
    pub fn from_bytes(b: &[u8]) -> Result<Self> {
        if b.len() != 9 {
            return Err(Error::shape("mask palette", format!("{} bytes; give ink, background and gap as 3 RGB triples (9 bytes)", b.len())));
        }
        let rgb = |k: usize| [b[3 * k], b[3 * k + 1], b[3 * k + 2]];
        Ok(MaskPalette { ink: rgb(0), background: rgb(1), gap: rgb(2) })
    }
}

/// The first-layer mask as one RGBA picture: unit `u`'s `side x side` image of kept (ink) and pruned (background)
/// input weights is tile `u` of a grid `cols` tiles wide, tiles `side` pixels square with 1-pixel gap lines around
/// and between them, so the picture is `(rows (side + 1) + 1) x (cols (side + 1) + 1)` pixels, `rows = ceil(U / cols)`.
///
/// Shapes: `mask` U x side² (unit-major, nonzero = kept, as [`units_from_keep`]); returns H x W x 4 bytes, alpha 255.
///
/// # Errors
/// [`Error::Shape`] when a row of `mask` is not `side²` long or `cols` is 0.
pub fn mask_tiles_rgba(mask: ArrayView2<u8>, side: usize, cols: usize, p: &MaskPalette) -> Result<Array3<u8>> {
    let (units, inputs) = mask.dim();
    if inputs != side * side || cols == 0 {
        return Err(Error::shape("mask picture", format!("rows of {inputs} weights are not {side} x {side} images, or no columns ({cols})")));
    }
    let rows = units.div_ceil(cols);
    let pitch = side + 1;
    let (h, w) = (rows * pitch + 1, cols * pitch + 1);
    let mut img = Array3::<u8>::zeros((h, w, 4));
    for mut px in img.rows_mut() {
        px.assign(&ndarray::aview1(&[p.gap[0], p.gap[1], p.gap[2], 255]));
    }
    for (u, unit) in mask.rows().into_iter().enumerate() {
        let (oy, ox) = ((u / cols) * pitch + 1, (u % cols) * pitch + 1);
        for (i, &kept) in unit.iter().enumerate() {
            let c = if kept != 0 { p.ink } else { p.background };
            let mut px = img.slice_mut(ndarray::s![oy + i / side, ox + i % side, ..3]);
            px.assign(&ndarray::aview1(&c));
        }
    }
    Ok(img)
}

/// The per-pixel share of units keeping each input (`share`, side x side, values in [0, 1], e.g.
/// [`MaskSummary::pixel_share`]) as an RGBA picture (side x side x 4): background to ink along the square root of the
/// share, so that a few units keeping a pixel are visible. Values outside [0, 1] (and NaN) are clamped (NaN to 0).
pub fn share_rgba(share: ArrayView2<f32>, p: &MaskPalette) -> Array3<u8> {
    let (h, w) = share.dim();
    let mut img = Array3::<u8>::zeros((h, w, 4));
    for ((y, x), &s) in share.indexed_iter() {
        let t = f64::from(if s.is_nan() { 0.0 } else { s.clamp(0.0, 1.0) }).sqrt();
        for k in 0..3 {
            let (b, i) = (f64::from(p.background[k]), f64::from(p.ink[k]));
            img[[y, x, k]] = (b + (i - b) * t).round() as u8;
        }
        img[[y, x, 3]] = 255;
    }
    img
}
