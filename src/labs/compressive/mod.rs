//! Compressive Transformer (Rae, Potapenko, Jayakumar & Lillicrap, "Compressive Transformers for Long-Range
//! Sequence Modelling", ICLR 2020): a small character-level Transformer-XL-style language model whose oldest
//! memories are compressed instead of discarded.
//!
//! Legend (the paper's symbols where it has them): V characters, D model width `d_model`, H heads, E = D/H head
//! width, F feed-forward width, L layers; n_s = T the segment length, n_m the memory size, n_cm the compressed
//! memory size, c the compression rate; S = n_cm' + n_m' + T the keys a query sees (the primes are the current fill),
//! P = S - T the keys before the segment. Matrices are row-major `Vec<f32>`; weights use the PyTorch layout
//! (out x in), so `y = x W^T`.
//!
//! One layer (pre-layer-norm, as in the paper's Transformer-XL code base):
//! ```text
//! ctx  = [cm; m; h]                  S x D   (cm, m held fixed: no gradient flows into them, sec. 3)
//! z    = LN1(ctx)                    S x D
//! q    = z[P..] Wq^T, k = z Wk^T, v = z Wv^T
//! a_h  = softmax(q_h k_h^T / sqrt(E) + B_h[P + i - j]),  j <= P + i (causal)     T x S per head
//! h1   = h + concat_h(a_h v_h) Wo^T
//! h2   = h1 + W2 relu(W1 LN2(h1) + b1) + b2
//! ```
//! and the output `logits = LNf(h_L) Wout^T + bout` after L layers, on the embedding `h_0 = Emb[x]`.
//!
//! Positions: instead of Transformer-XL's sinusoidal relative encoding with the `u`, `v` biases (sec. 3.3 of Dai et
//! al.), every head learns one scalar bias per relative offset `P + i - j` in the attention window (the simplification
//! of Shaw et al. 2018 / T5). It is relative, so it works across memory exactly like Transformer-XL's (a memory
//! keeps its meaning when the window slides), has one table of `H x R` numbers, and its backward is a scatter-add.
//!
//! Memory (Algorithm 1 of the paper): after each segment every layer appends its input `h` (T rows) to its memory
//! `m`. When `m` holds more than n_m rows, the oldest ones fall out; the oldest whole groups of c of them are
//! compressed by f_c into one row each and appended to the compressed memory `cm`, whose oldest rows beyond n_cm are
//! discarded. **Rule for lengths that are not a multiple of c:** when the overflow `o = |m| - n_m` is not a multiple
//! of c, the `o mod c` newest of the overflowing rows stay in `m` for one more segment (so `m` may briefly hold up to
//! n_m + c - 1 rows) and are compressed with the next ones; no memory is dropped before it is compressed, and every
//! memory is compressed exactly once in a full group. With n_cm = 0 (the Transformer-XL baseline) the overflow is
//! discarded, as in Transformer-XL. The temporal range is n_m + c n_cm per layer ([`Config::temporal_range`]).
//!
//! Compression functions f_c (sec. 3.1), each mapping c memories (c x D) to one (D): max pooling, mean pooling, a
//! 1-D convolution with kernel = stride = c (`W` D x cD, `b` D), a dilated convolution (kernel 2, dilation
//! floor(c/2), its c - floor(c/2) outputs per group averaged: `W0`, `W1` D x D, `b` D), and "most-used" (of the
//! c·g memories compressed at once, keep the g that received the most attention per segment they spent in memory,
//! in time order).
//!
//! Training (sec. 3.2, Algorithm 2): the language-model loss trains every parameter except f_c's; the
//! attention-reconstruction loss `L_attn = sum_l mean ||attn(h, old_mem) - attn(h, f_c(old_mem))||^2`, with the
//! layer's own (fixed) projections, trains only f_c. Both are computed here; the two gradients are kept apart in
//! [`Grads::lm`] and [`Grads::fc`]. `tests/compressive_grad.rs` proves the separation in both directions.

pub mod manifest;
pub mod recall;
pub mod train;

use std::collections::BTreeMap;

use ndarray::{Array1, Array2, ArrayView1, ArrayView2, ArrayViewMut1, ArrayViewMut2};

use crate::error::{Error, Result};
use crate::nd;
use crate::kernels::gemm::{gemm, MatRef};
use crate::nn::Rng;

/// Layer-norm epsilon.
pub const LN_EPS: f32 = 1e-5;

/// The compression function f_c (sec. 3.1 of the paper).
#[derive(Copy, Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Compression {
    /// Max pooling over each group of c memories.
    Max,
    /// Mean pooling over each group of c memories.
    Mean,
    /// 1-D convolution, kernel = stride = c (learned).
    Conv,
    /// Dilated convolution: kernel 2, dilation floor(c/2), outputs of a group averaged (learned).
    Dilated,
    /// Keep the memories with the most attention (1 in c).
    MostUsed,
}

impl Compression {
    /// All functions, in the order the page lists them.
    pub const ALL: [Compression; 5] = [Compression::Max, Compression::Mean, Compression::Conv, Compression::Dilated, Compression::MostUsed];

    /// The name used in files, URLs and the CLI: `max`, `mean`, `conv`, `dilated`, `most-used`.
    pub fn name(self) -> &'static str {
        match self {
            Compression::Max => "max",
            Compression::Mean => "mean",
            Compression::Conv => "conv",
            Compression::Dilated => "dilated",
            Compression::MostUsed => "most-used",
        }
    }

    /// Whether f_c has parameters (trained by the attention-reconstruction loss).
    pub fn learned(self) -> bool {
        matches!(self, Compression::Conv | Compression::Dilated)
    }
}

/// The loss that trains f_c (sec. 3.2 of the paper, and its ablation): the language-model loss never reaches f_c,
/// so without one of these f_c keeps its initialisation.
#[derive(Copy, Clone, Debug, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum FcLoss {
    /// Attention reconstruction `||attn(h, old) - attn(h, f_c(old))||^2` (the paper's choice).
    #[default]
    Attention,
    /// Lossless autoencoding `||old - g(f_c(old))||^2` with a learned linear decoder g that maps each compressed row
    /// back to the c rows of its group (`ae_w` cD x D, `ae_b` cD); f_c and g are trained together.
    Autoencoder,
    /// No loss: f_c stays at its initialisation.
    None,
}

impl FcLoss {
    /// The name used in files and the CLI: `attention`, `autoencoder`, `none`.
    pub fn name(self) -> &'static str {
        match self {
            FcLoss::Attention => "attention",
            FcLoss::Autoencoder => "autoencoder",
            FcLoss::None => "none",
        }
    }
    /// Whether this is the default, [`FcLoss::Attention`] (not written into a model's config, so the files of
    /// models trained before the choice existed are unchanged).
    pub fn is_attention(&self) -> bool {
        *self == FcLoss::Attention
    }
}

impl std::str::FromStr for Compression {
    type Err = Error;
    fn from_str(s: &str) -> Result<Self> {
        Compression::ALL
            .into_iter()
            .find(|c| c.name() == s)
            .ok_or_else(|| Error::range("compression function", format!("`{s}`; use max, mean, conv, dilated or most-used")))
    }
}

/// Sizes of a model. `cmem == 0` is the Transformer-XL baseline (no compressed memory).
#[derive(Clone, Debug, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct Config {
    /// Vocabulary size V.
    pub vocab: usize,
    /// Model width D (`d_model`).
    pub d: usize,
    /// Heads H (D must be a multiple of H).
    pub heads: usize,
    /// Feed-forward width F.
    pub ff: usize,
    /// Layers L.
    pub layers: usize,
    /// Segment length n_s = T (characters per training segment).
    pub seg: usize,
    /// Memory size n_m (rows per layer).
    pub mem: usize,
    /// Compressed memory size n_cm (rows per layer; 0 = Transformer-XL).
    pub cmem: usize,
    /// Compression rate c >= 1.
    pub rate: usize,
    /// Compression function f_c.
    pub func: Compression,
    /// The loss that trains a learned f_c (default: attention reconstruction).
    #[serde(default, skip_serializing_if = "FcLoss::is_attention")]
    pub fc_loss: FcLoss,
}

impl Config {
    /// Checks the sizes.
    ///
    /// # Errors
    /// [`Error::Range`] when a size is zero, D is not a multiple of H, c is 0 or above 64, or V above 256.
    pub fn validate(&self) -> Result<()> {
        if self.vocab == 0 || self.vocab > 256 || self.d == 0 || self.heads == 0 || self.ff == 0 || self.layers == 0 || self.seg == 0 {
            return Err(Error::range("model sizes", format!("{self:?}: V in 1..=256, the others positive")));
        }
        if self.d % self.heads != 0 {
            return Err(Error::range("heads", format!("d_model {} is not a multiple of {} heads", self.d, self.heads)));
        }
        if self.rate == 0 || self.rate > 64 {
            return Err(Error::range("compression rate c", format!("{} (use 1 to 64)", self.rate)));
        }
        Ok(())
    }
    /// Head width E = D / H.
    pub fn e(&self) -> usize {
        self.d / self.heads
    }
    /// Length R of each head's relative-position table: the largest window n_cm + n_m + (c - 1) + T.
    pub fn rel_len(&self) -> usize {
        self.cmem + self.mem + self.rate - 1 + self.seg
    }
    /// Temporal range per layer in characters, n_m + c n_cm (sec. 3 of the paper).
    pub fn temporal_range(&self) -> usize {
        self.mem + self.rate * self.cmem
    }
    /// Attention size (memory slots a query sees besides its segment), n_m + n_cm.
    pub fn attention_size(&self) -> usize {
        self.mem + self.cmem
    }
    /// Names and shapes of one layer's f_c parameters (file names `layers.{l}.{name}`): conv `conv_w` (D x cD),
    /// `conv_b` (D); dilated `dil_w0`, `dil_w1` (D x D), `dil_b` (D); none for the others or without n_cm.
    ///
    /// With [`FcLoss::Autoencoder`] and a learned f_c, the decoder g follows: `ae_w` (cD x D), `ae_b` (cD).
    pub fn fc_shapes(&self) -> Vec<(&'static str, Vec<usize>)> {
        if self.cmem == 0 {
            return Vec::new();
        }
        let d = self.d;
        let mut v = match self.func {
            Compression::Conv => vec![("conv_w", vec![d, self.rate * d]), ("conv_b", vec![d])],
            Compression::Dilated => vec![("dil_w0", vec![d, d]), ("dil_w1", vec![d, d]), ("dil_b", vec![d])],
            _ => Vec::new(),
        };
        if self.fc_loss == FcLoss::Autoencoder && self.func.learned() {
            v.push(("ae_w", vec![self.rate * d, d]));
            v.push(("ae_b", vec![self.rate * d]));
        }
        v
    }
}

/// One layer's language-model tensors — its parameters, or their gradients — named as in the module docs'
/// equations and in the model file (`layers.{l}.{name}`, e.g. `layers.0.wq`). Shapes for a [`Config`]: D = `d`,
/// F = `ff`, H = `heads`, R = [`Config::rel_len`]; weights are out x in (`y = x W^T`).
#[derive(Clone, Debug, PartialEq)]
pub struct Layer {
    /// Gain of LN1, the layer norm of the window `[cm; m; h]` (D).
    pub ln1_g: Vec<f32>,
    /// Bias of LN1 (D).
    pub ln1_b: Vec<f32>,
    /// Query projection `Wq` (D x D).
    pub wq: Vec<f32>,
    /// Key projection `Wk` (D x D).
    pub wk: Vec<f32>,
    /// Value projection `Wv` (D x D).
    pub wv: Vec<f32>,
    /// Output projection `Wo` (D x D).
    pub wo: Vec<f32>,
    /// Relative-position biases `B`, one per head and offset (H x R).
    pub rel: Vec<f32>,
    /// Gain of LN2, the layer norm before the feed-forward block (D).
    pub ln2_g: Vec<f32>,
    /// Bias of LN2 (D).
    pub ln2_b: Vec<f32>,
    /// Feed-forward input `W1` (F x D).
    pub w1: Vec<f32>,
    /// Feed-forward input bias `b1` (F).
    pub b1: Vec<f32>,
    /// Feed-forward output `W2` (D x F).
    pub w2: Vec<f32>,
    /// Feed-forward output bias `b2` (D).
    pub b2: Vec<f32>,
}

impl Layer {
    /// Names and shapes of the tensors in file order (the order of [`Layer::tensors`]).
    pub fn shapes(c: &Config) -> [(&'static str, Vec<usize>); 13] {
        let (d, f) = (c.d, c.ff);
        [
            ("ln1_g", vec![d]),
            ("ln1_b", vec![d]),
            ("wq", vec![d, d]),
            ("wk", vec![d, d]),
            ("wv", vec![d, d]),
            ("wo", vec![d, d]),
            ("rel", vec![c.heads, c.rel_len()]),
            ("ln2_g", vec![d]),
            ("ln2_b", vec![d]),
            ("w1", vec![f, d]),
            ("b1", vec![f]),
            ("w2", vec![d, f]),
            ("b2", vec![d]),
        ]
    }

    /// All zeros with the shapes of `c`.
    pub fn zeros(c: &Config) -> Self {
        let [ln1_g, ln1_b, wq, wk, wv, wo, rel, ln2_g, ln2_b, w1, b1, w2, b2] = Layer::shapes(c).map(|(_, s)| vec![0.0; s.iter().product()]);
        Layer { ln1_g, ln1_b, wq, wk, wv, wo, rel, ln2_g, ln2_b, w1, b1, w2, b2 }
    }

    /// The tensors in file order.
    pub fn tensors(&self) -> [&Vec<f32>; 13] {
        let Layer { ln1_g, ln1_b, wq, wk, wv, wo, rel, ln2_g, ln2_b, w1, b1, w2, b2 } = self;
        [ln1_g, ln1_b, wq, wk, wv, wo, rel, ln2_g, ln2_b, w1, b1, w2, b2]
    }

    /// Mutable [`Layer::tensors`].
    pub fn tensors_mut(&mut self) -> [&mut Vec<f32>; 13] {
        let Layer { ln1_g, ln1_b, wq, wk, wv, wo, rel, ln2_g, ln2_b, w1, b1, w2, b2 } = self;
        [ln1_g, ln1_b, wq, wk, wv, wo, rel, ln2_g, ln2_b, w1, b1, w2, b2]
    }
}

/// A set of named tensors with the model's structure: used for the parameters and for their gradients.
#[derive(Clone, Debug, PartialEq)]
pub struct Tensors {
    /// `Emb` V x D.
    pub emb: Vec<f32>,
    /// The layers' language-model tensors, first layer first.
    pub layers: Vec<Layer>,
    /// Final layer norm gain and bias (D each).
    pub lnf_g: Vec<f32>,
    pub lnf_b: Vec<f32>,
    /// Output layer `Wout` V x D and `bout` V.
    pub w_out: Vec<f32>,
    pub b_out: Vec<f32>,
    /// Per layer, the parameters of f_c in the order of [`Config::fc_shapes`] (conv: W, b; dilated: W0, W1, b;
    /// none for the pooling and most-used).
    pub fc: Vec<Vec<Vec<f32>>>,
}

impl Tensors {
    /// All zeros with the shapes of `cfg`.
    pub fn zeros(cfg: &Config) -> Self {
        let z = |s: &[usize]| vec![0.0; s.iter().product()];
        Tensors {
            emb: vec![0.0; cfg.vocab * cfg.d],
            layers: (0..cfg.layers).map(|_| Layer::zeros(cfg)).collect(),
            lnf_g: vec![0.0; cfg.d],
            lnf_b: vec![0.0; cfg.d],
            w_out: vec![0.0; cfg.vocab * cfg.d],
            b_out: vec![0.0; cfg.vocab],
            fc: (0..cfg.layers).map(|_| cfg.fc_shapes().iter().map(|(_, s)| z(s)).collect()).collect(),
        }
    }
    /// `(name, shape)` of every tensor in the order of [`Tensors::lm_mut`] followed by [`Tensors::fc_mut`].
    pub fn names(cfg: &Config) -> Vec<(String, Vec<usize>)> {
        let mut out = vec![("emb".to_string(), vec![cfg.vocab, cfg.d])];
        for l in 0..cfg.layers {
            for (n, s) in Layer::shapes(cfg) {
                out.push((format!("layers.{l}.{n}"), s));
            }
        }
        out.push(("lnf_g".into(), vec![cfg.d]));
        out.push(("lnf_b".into(), vec![cfg.d]));
        out.push(("w_out".into(), vec![cfg.vocab, cfg.d]));
        out.push(("b_out".into(), vec![cfg.vocab]));
        for l in 0..cfg.layers {
            for (n, s) in cfg.fc_shapes() {
                out.push((format!("layers.{l}.{n}"), s));
            }
        }
        out
    }

    /// The language-model tensors (everything but f_c), in a fixed order.
    pub fn lm(&self) -> Vec<&Vec<f32>> {
        let mut v = vec![&self.emb];
        for l in &self.layers {
            v.extend(l.tensors());
        }
        v.extend([&self.lnf_g, &self.lnf_b, &self.w_out, &self.b_out]);
        v
    }
    /// Mutable [`Tensors::lm`].
    pub fn lm_mut(&mut self) -> Vec<&mut Vec<f32>> {
        let mut v = vec![&mut self.emb];
        for l in &mut self.layers {
            v.extend(l.tensors_mut());
        }
        v.extend([&mut self.lnf_g, &mut self.lnf_b, &mut self.w_out, &mut self.b_out]);
        v
    }
    /// The f_c tensors of every layer, in order.
    pub fn fc(&self) -> Vec<&Vec<f32>> {
        self.fc.iter().flatten().collect()
    }
    /// Mutable [`Tensors::fc`].
    pub fn fc_mut(&mut self) -> Vec<&mut Vec<f32>> {
        self.fc.iter_mut().flatten().collect()
    }
    /// Every tensor: [`Tensors::lm`] then [`Tensors::fc`].
    pub fn all(&self) -> Vec<&Vec<f32>> {
        let mut v = self.lm();
        v.extend(self.fc());
        v
    }
    /// Mutable [`Tensors::all`].
    pub fn all_mut(&mut self) -> Vec<&mut Vec<f32>> {
        let Tensors { emb, layers, lnf_g, lnf_b, w_out, b_out, fc } = self;
        let mut v = vec![emb];
        for l in layers {
            v.extend(l.tensors_mut());
        }
        v.extend([lnf_g, lnf_b, w_out, b_out]);
        v.extend(fc.iter_mut().flatten());
        v
    }
    /// `self += other` tensor by tensor.
    pub fn add(&mut self, other: &Tensors) {
        for (a, b) in self.all_mut().into_iter().zip(other.all()) {
            for (x, y) in a.iter_mut().zip(b) {
                *x += y;
            }
        }
    }
    /// Multiplies every tensor by `s`.
    pub fn scale(&mut self, s: f32) {
        for a in self.all_mut() {
            a.iter_mut().for_each(|x| *x *= s);
        }
    }
}

/// Gradients of one step, kept apart by the loss they come from.
#[derive(Clone, Debug)]
pub struct Grads {
    /// Gradient of the language-model loss (its `fc` part is always zero: the LM loss does not reach f_c).
    pub lm: Tensors,
    /// Gradient of the attention-reconstruction loss (only the `fc` part is ever non-zero).
    pub fc: Tensors,
}

/// One layer's memories (Algorithm 1): `m` (n_m' x D), `cm` (n_cm' x D), and the attention each row of `m`
/// received (summed over heads and queries) and the segments it was seen for (for "most-used").
#[derive(Clone, Debug, Default, PartialEq)]
pub struct LayerMem {
    pub m: Vec<f32>,
    pub cm: Vec<f32>,
    pub usage: Vec<f32>,
    pub seen: Vec<f32>,
}

impl LayerMem {
    /// Algorithm 1, first half: after a segment whose attention probabilities over `[cm; m; h]` were `probs`
    /// (H x T x S, S = n_cm' + n_m' + T, [`AttnCache::a`]), adds the attention each row of `m` received (summed over
    /// heads and queries) to its usage and one segment to its age, then appends the segment's layer input `h`
    /// (T x D) to `m` with zero usage.
    pub fn push(&mut self, h: &[f32], probs: &[f32], heads: usize, s: usize, d: usize) {
        let (ncm, nm, t) = (self.cm.len() / d, self.m.len() / d, h.len() / d);
        for hh in 0..heads {
            for i in 0..t {
                let row = &probs[(hh * t + i) * s..(hh * t + i + 1) * s];
                for j in 0..nm {
                    self.usage[j] += row[ncm + j];
                }
            }
        }
        self.seen.iter_mut().for_each(|x| *x += 1.0);
        self.m.extend_from_slice(h);
        self.usage.extend(std::iter::repeat_n(0.0, t));
        self.seen.extend(std::iter::repeat_n(0.0, t));
    }

    /// Algorithm 1, second half: when `m` holds more than n_m rows, the oldest whole groups of c of the overflow
    /// leave `m` (with n_cm = 0, the whole overflow, discarded as in Transformer-XL), are compressed by f_c (`fc`,
    /// this layer's parameters) and appended to `cm`, whose oldest rows beyond n_cm are discarded. Returns the rows
    /// that left `m` (G·c x D) and their compression (G x D), or `None` when nothing was compressed.
    ///
    /// # Errors
    /// As [`compress_forward`].
    pub fn compress(&mut self, cfg: &Config, fc: &[Vec<f32>]) -> Result<Option<(Vec<f32>, Vec<f32>)>> {
        let d = cfg.d;
        let rows = self.m.len() / d;
        if rows <= cfg.mem {
            return Ok(None);
        }
        let over = rows - cfg.mem;
        let take = if cfg.cmem == 0 { over } else { over / cfg.rate * cfg.rate };
        if take == 0 {
            return Ok(None);
        }
        let old: Vec<f32> = self.m.drain(..take * d).collect();
        let used: Vec<f32> = self.usage.drain(..take).zip(self.seen.drain(..take)).map(|(u, s)| u / s.max(1.0)).collect();
        if cfg.cmem == 0 {
            return Ok(None);
        }
        let new_cm = compress_forward_flat(cfg.func, cfg.rate, d, &old, &used, fc)?;
        self.cm.extend_from_slice(&new_cm);
        let ncm = self.cm.len() / d;
        if ncm > cfg.cmem {
            self.cm.drain(..(ncm - cfg.cmem) * d);
        }
        Ok(Some((old, new_cm)))
    }
}

/// The memories of every layer of one stream of text.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Memory {
    pub layers: Vec<LayerMem>,
}

impl Memory {
    /// Empty memories for `cfg`.
    pub fn new(cfg: &Config) -> Self {
        Memory { layers: vec![LayerMem::default(); cfg.layers] }
    }
    /// Rows `(n_m', n_cm')` of layer `l`'s memory and compressed memory.
    pub fn rows(&self, l: usize, d: usize) -> (usize, usize) {
        (self.layers[l].m.len() / d, self.layers[l].cm.len() / d)
    }
}

/// Attention of one layer over a segment, for the page: probabilities per head (H x T x S) and `P` split into
/// `(n_cm', n_m')`.
#[derive(Clone, Debug)]
pub struct AttnView {
    pub probs: Vec<f32>,
    pub t: usize,
    pub s: usize,
    pub cm_rows: usize,
    pub m_rows: usize,
}

/// A Compressive Transformer (or, with `cmem == 0`, a Transformer-XL) language model.
#[derive(Clone, Debug)]
pub struct Model {
    pub cfg: Config,
    pub p: Tensors,
}

// ------------------------------------------------------------------------------------------------------------------
// Building blocks, forward and backward side by side.

/// `y = x W^T` (+ `b`): `x` N x I, `w` O x I, `b` O or empty; returns N x O.
fn lin(x: &[f32], n: usize, w: &[f32], b: &[f32], o: usize) -> Result<Vec<f32>> {
    let i = x.len().checked_div(n).unwrap_or(0);
    let mut y = vec![0.0; n * o];
    if !b.is_empty() {
        for r in y.chunks_mut(o) {
            r.copy_from_slice(b);
        }
    }
    if n > 0 {
        gemm(1.0, MatRef::new(x, n, i), MatRef::new(w, o, i).t(), if b.is_empty() { 0.0 } else { 1.0 }, &mut y, o, 1)?;
    }
    Ok(y)
}

/// Backward of [`lin`]: `dw += dy^T x`, `db += sum dy` (when non-empty); returns `dx = dy W` when `need_dx`
/// (else an empty vector).
#[allow(clippy::too_many_arguments)]
fn lin_back(dy: &[f32], x: &[f32], n: usize, w: &[f32], dw: &mut [f32], db: &mut [f32], o: usize, need_dx: bool) -> Result<Vec<f32>> {
    let i = w.len() / o;
    if n == 0 {
        return Ok(Vec::new());
    }
    gemm(1.0, MatRef::new(dy, n, o).t(), MatRef::new(x, n, i), 1.0, dw, i, 1)?;
    if !db.is_empty() {
        for r in dy.chunks(o) {
            for (a, b) in db.iter_mut().zip(r) {
                *a += b;
            }
        }
    }
    if !need_dx {
        return Ok(Vec::new());
    }
    let mut dx = vec![0.0; n * i];
    gemm(1.0, MatRef::new(dy, n, o), MatRef::new(w, o, i), 0.0, &mut dx, i, 1)?;
    Ok(dx)
}

/// Layer norm over rows of width D: `y = (x - mean) * rstd * g + b` ([`crate::kernels::act::layer_norm`]).
/// Returns `(y, xhat, rstd)`.
fn layernorm_forward_flat(x: &[f32], g: &[f32], b: &[f32]) -> (Vec<f32>, Vec<f32>, Vec<f32>) {
    let d = g.len();
    let n = x.len() / d;
    let mut y = vec![0.0; x.len()];
    let (mut mean, mut rs) = (vec![0.0; n], vec![0.0; n]);
    // Lengths agree by construction (callers pass N x D rows and D-long g, b) and LN_EPS is valid.
    let _ = crate::kernels::act::layer_norm(x, g, b, LN_EPS, &mut y, &mut mean, &mut rs);
    let mut xh = vec![0.0; x.len()];
    for (r, (xr, hr)) in x.chunks_exact(d).zip(xh.chunks_exact_mut(d)).enumerate() {
        for (h, &v) in hr.iter_mut().zip(xr) {
            *h = (v - mean[r]) * rs[r];
        }
    }
    (y, xh, rs)
}

/// Backward of [`layernorm_forward`] ([`crate::kernels::act::layer_norm_backward`] on `xhat`, i.e. mean 0 and
/// rstd 1, then each row of dx scaled by its rstd): accumulates `dg`, `db`; returns `dx`.
fn layernorm_backward_flat(dy: &[f32], xhat: &[f32], rstd: &[f32], g: &[f32], dg: &mut [f32], db: &mut [f32]) -> Vec<f32> {
    let d = g.len();
    let n = rstd.len();
    let mut dx = vec![0.0; dy.len()];
    let (mut dgr, mut dbr) = (vec![0.0; d], vec![0.0; d]);
    let grads = crate::kernels::act::LnGrads { dx: Some(&mut dx), dgamma: Some(&mut dgr), dbeta: Some(&mut dbr) };
    // Lengths agree by construction.
    let _ = crate::kernels::act::layer_norm_backward(xhat, g, &vec![0.0; n], &vec![1.0; n], dy, grads);
    for (row, &rs) in dx.chunks_exact_mut(d).zip(rstd) {
        for v in row {
            *v *= rs;
        }
    }
    for (a, v) in dg.iter_mut().zip(&dgr) {
        *a += v;
    }
    for (a, v) in db.iter_mut().zip(&dbr) {
        *a += v;
    }
    dx
}

/// What [`attention_forward`] keeps for its backward.
#[derive(Clone, Debug)]
pub struct AttnCache {
    pub q: Vec<f32>,
    pub k: Vec<f32>,
    pub v: Vec<f32>,
    /// Probabilities, H x T x S.
    pub a: Vec<f32>,
    /// Concatenated head outputs, T x D.
    pub o: Vec<f32>,
}

/// Multi-head causal attention of the segment over its window with relative-position biases.
///
/// Shapes: `z` S x D (the normalised window `[cm; m; h]`), the segment is its last T rows; `wq`, `wk`, `wv`, `wo`
/// D x D; `rel` H x R with R >= S. Query i (0-based in the segment) attends key j when `j <= P + i`, with score
/// `q_i . k_j / sqrt(E) + rel[h][P + i - j]`. Returns the output `o Wo^T` (T x D) and the cache.
///
/// # Errors
/// [`Error::Shape`] when the window is empty, shorter than the segment or longer than the relative table (R < S),
/// or a matrix does not fit.
#[allow(clippy::too_many_arguments)]
fn attention_forward_flat(z: &[f32], s: usize, t: usize, heads: usize, wq: &[f32], wk: &[f32], wv: &[f32], wo: &[f32], rel: &[f32]) -> Result<(Vec<f32>, AttnCache)> {
    let r = rel.len().checked_div(heads).unwrap_or(0);
    if s == 0 || t > s || r < s || z.len() % s != 0 {
        return Err(Error::shape("attention_forward_flat", format!("{} values as a window of {s} keys with a segment of {t} and a relative table of {r}; need 1 <= T <= S <= R", z.len())));
    }
    let d = z.len() / s;
    let e = d / heads;
    let p = s - t;
    let zq = &z[p * d..];
    let q = lin(zq, t, wq, &[], d)?;
    let k = lin(z, s, wk, &[], d)?;
    let v = lin(z, s, wv, &[], d)?;
    let scale = 1.0 / (e as f32).sqrt();
    let mut a = vec![0.0f32; heads * t * s];
    let mut o = vec![0.0f32; t * d];
    for h in 0..heads {
        let ah = &mut a[h * t * s..(h + 1) * t * s];
        gemm(scale, MatRef::strided(&q[h * e..], t, e, d, 1), MatRef::strided(&k[h * e..], s, e, d, 1).t(), 0.0, ah, s, 1)?;
        let relh = &rel[h * r..(h + 1) * r];
        for i in 0..t {
            let row = &mut ah[i * s..(i + 1) * s];
            let last = p + i;
            for j in 0..=last {
                row[j] += relh[last - j];
            }
            crate::kernels::act::softmax_row_inplace(&mut row[..=last]);
            row[last + 1..].iter_mut().for_each(|x| *x = 0.0);
        }
        gemm(1.0, MatRef::new(ah, t, s), MatRef::strided(&v[h * e..], s, e, d, 1), 0.0, &mut o[h * e..], d, 1)?;
    }
    let out = lin(&o, t, wo, &[], d)?;
    Ok((out, AttnCache { q, k, v, a, o }))
}

/// Backward of [`attention_forward`] from `dout` (T x D). Accumulates `dwq`, `dwk`, `dwv`, `dwo`, `drel`; returns
/// `dz` (S x D).
///
/// # Errors
/// [`Error::Shape`] when a matrix does not fit.
#[allow(clippy::too_many_arguments)]
fn attention_backward_flat(
    dout: &[f32],
    c: &AttnCache,
    z: &[f32],
    s: usize,
    t: usize,
    heads: usize,
    w: [&[f32]; 4],
    dw: [&mut [f32]; 4],
    drel: &mut [f32],
) -> Result<Vec<f32>> {
    let [wq, wk, wv, wo] = w;
    let [dwq, dwk, dwv, dwo] = dw;
    let d = z.len() / s;
    let e = d / heads;
    let p = s - t;
    let r = drel.len() / heads;
    let scale = 1.0 / (e as f32).sqrt();
    let dob = lin_back(dout, &c.o, t, wo, dwo, &mut [], d, true)?;
    let mut dq = vec![0.0; t * d];
    let mut dk = vec![0.0; s * d];
    let mut dv = vec![0.0; s * d];
    let mut da = vec![0.0; t * s];
    for h in 0..heads {
        let ah = &c.a[h * t * s..(h + 1) * t * s];
        // dA = dO_h V_h^T ; dV_h = A^T dO_h
        gemm(1.0, MatRef::strided(&dob[h * e..], t, e, d, 1), MatRef::strided(&c.v[h * e..], s, e, d, 1).t(), 0.0, &mut da, s, 1)?;
        gemm(1.0, MatRef::new(ah, t, s).t(), MatRef::strided(&dob[h * e..], t, e, d, 1), 0.0, &mut dv[h * e..], d, 1)?;
        let drelh = &mut drel[h * r..(h + 1) * r];
        for i in 0..t {
            let last = p + i;
            let (arow, drow) = (&ah[i * s..(i + 1) * s], &mut da[i * s..(i + 1) * s]);
            let dot: f32 = arow[..=last].iter().zip(&drow[..=last]).map(|(x, y)| x * y).sum();
            for j in 0..=last {
                let ds = arow[j] * (drow[j] - dot);
                drow[j] = ds;
                drelh[last - j] += ds;
            }
            drow[last + 1..].iter_mut().for_each(|x| *x = 0.0);
        }
        // dQ_h = scale dS K_h ; dK_h = scale dS^T Q_h
        gemm(scale, MatRef::new(&da, t, s), MatRef::strided(&c.k[h * e..], s, e, d, 1), 0.0, &mut dq[h * e..], d, 1)?;
        gemm(scale, MatRef::new(&da, t, s).t(), MatRef::strided(&c.q[h * e..], t, e, d, 1), 0.0, &mut dk[h * e..], d, 1)?;
    }
    let zq = &z[p * d..];
    let dzq = lin_back(&dq, zq, t, wq, dwq, &mut [], d, true)?;
    let mut dz = lin_back(&dk, z, s, wk, dwk, &mut [], d, true)?;
    let dzv = lin_back(&dv, z, s, wv, dwv, &mut [], d, true)?;
    for (a, b) in dz.iter_mut().zip(&dzv) {
        *a += b;
    }
    for (a, b) in dz[p * d..].iter_mut().zip(&dzq) {
        *a += b;
    }
    Ok(dz)
}

/// Content-based attention `attn(q, kv) = concat_h softmax(q_h k_h^T / sqrt(E)) v_h` without mask or position,
/// the function the attention-reconstruction loss compares (sec. 3.2). `q` T x D (projected queries), `k`, `v`
/// N x D. Returns T x D and the probabilities (H x T x N).
fn content_attn(q: &[f32], k: &[f32], v: &[f32], t: usize, n: usize, heads: usize) -> Result<(Vec<f32>, Vec<f32>)> {
    let d = q.len() / t;
    let e = d / heads;
    let scale = 1.0 / (e as f32).sqrt();
    let mut a = vec![0.0; heads * t * n];
    let mut o = vec![0.0; t * d];
    for h in 0..heads {
        let ah = &mut a[h * t * n..(h + 1) * t * n];
        gemm(scale, MatRef::strided(&q[h * e..], t, e, d, 1), MatRef::strided(&k[h * e..], n, e, d, 1).t(), 0.0, ah, n, 1)?;
        for row in ah.chunks_mut(n) {
            crate::kernels::act::softmax_row_inplace(row);
        }
        gemm(1.0, MatRef::new(ah, t, n), MatRef::strided(&v[h * e..], n, e, d, 1), 0.0, &mut o[h * e..], d, 1)?;
    }
    Ok((o, a))
}

/// Backward of [`content_attn`] to `k` and `v` only (the queries are held fixed). Returns `(dk, dv)`, N x D each.
#[allow(clippy::too_many_arguments)]
fn content_attn_back(dout: &[f32], q: &[f32], _k: &[f32], v: &[f32], a: &[f32], t: usize, n: usize, heads: usize) -> Result<(Vec<f32>, Vec<f32>)> {
    let d = q.len() / t;
    let e = d / heads;
    let scale = 1.0 / (e as f32).sqrt();
    let mut dk = vec![0.0; n * d];
    let mut dv = vec![0.0; n * d];
    let mut da = vec![0.0; t * n];
    for h in 0..heads {
        let ah = &a[h * t * n..(h + 1) * t * n];
        gemm(1.0, MatRef::strided(&dout[h * e..], t, e, d, 1), MatRef::strided(&v[h * e..], n, e, d, 1).t(), 0.0, &mut da, n, 1)?;
        gemm(1.0, MatRef::new(ah, t, n).t(), MatRef::strided(&dout[h * e..], t, e, d, 1), 0.0, &mut dv[h * e..], d, 1)?;
        for (arow, drow) in ah.chunks(n).zip(da.chunks_mut(n)) {
            let dot: f32 = arow.iter().zip(drow.iter()).map(|(x, y)| x * y).sum();
            for (x, y) in drow.iter_mut().zip(arow) {
                *x = y * (*x - dot);
            }
        }
        gemm(scale, MatRef::new(&da, t, n).t(), MatRef::strided(&q[h * e..], t, e, d, 1), 0.0, &mut dk[h * e..], d, 1)?;
    }
    Ok((dk, dv))
}

/// f_c forward on `old` (G·c x D, time order) with the layer's f_c parameters `fc` and, for most-used, the usage of
/// each row. Returns G x D.
///
/// # Errors
/// [`Error::Shape`] when `old` is not a whole number of groups of c rows of width D, or `fc` does not hold the
/// function's parameters ([`Config::fc_shapes`]).
fn compress_forward_flat(func: Compression, c: usize, d: usize, old: &[f32], usage: &[f32], fc: &[Vec<f32>]) -> Result<Vec<f32>> {
    let n = old.len().checked_div(d).unwrap_or(0);
    if c == 0 || d == 0 || old.len() != n * d || n % c != 0 {
        return Err(Error::shape("compress_forward_flat", format!("{} values are not whole groups of c = {c} memories of width {d}", old.len())));
    }
    let need = match func {
        Compression::Conv => 2,
        Compression::Dilated => 3,
        _ => 0,
    };
    if fc.len() < need {
        return Err(Error::shape("compress_forward_flat", format!("{} takes {need} parameter tensors, got {}", func.name(), fc.len())));
    }
    let g = n / c;
    Ok(match func {
        Compression::Max | Compression::Mean => {
            let mut y = vec![0.0; g * d];
            for gi in 0..g {
                for j in 0..d {
                    let it = (0..c).map(|t| old[(gi * c + t) * d + j]);
                    y[gi * d + j] = if func == Compression::Max { it.fold(f32::NEG_INFINITY, f32::max) } else { it.sum::<f32>() / c as f32 };
                }
            }
            y
        }
        // The groups are contiguous rows, so the stride-c convolution is one product: (G x cD) W^T + b.
        Compression::Conv => lin(old, g, &fc[0], &fc[1], d)?,
        Compression::Dilated => {
            let (a, b) = dilated_taps(c, d, old);
            let mut y = lin(&a, g, &fc[0], &fc[2], d)?;
            let y1 = lin(&b, g, &fc[1], &[], d)?;
            y.iter_mut().zip(&y1).for_each(|(x, v)| *x += v);
            y
        }
        Compression::MostUsed => {
            let keep = most_used(usage, g * c, g);
            keep.iter().flat_map(|&i| old[i * d..(i + 1) * d].iter().copied()).collect()
        }
    })
}

/// The dilated convolution's two taps averaged over a group's outputs: `A_g = mean_t m_{gc+t}`,
/// `B_g = mean_t m_{gc+t+dl}` for `t < c - dl`, `dl = floor(c/2)`. Returns `(A, B)`, G x D each.
fn dilated_taps(c: usize, d: usize, old: &[f32]) -> (Vec<f32>, Vec<f32>) {
    let g = old.len() / d / c;
    let dl = c / 2;
    let nt = c - dl;
    let mut a = vec![0.0; g * d];
    let mut b = vec![0.0; g * d];
    for gi in 0..g {
        for t in 0..nt {
            for j in 0..d {
                a[gi * d + j] += old[(gi * c + t) * d + j] / nt as f32;
                b[gi * d + j] += old[(gi * c + t + dl) * d + j] / nt as f32;
            }
        }
    }
    (a, b)
}

/// Indices (ascending, i.e. time order) of the `keep` rows among the first `n` with the largest usage; ties go to the
/// older row.
pub fn most_used(usage: &[f32], n: usize, keep: usize) -> Vec<usize> {
    let mut idx: Vec<usize> = (0..n).collect();
    idx.sort_by(|&a, &b| usage.get(b).copied().unwrap_or(0.0).total_cmp(&usage.get(a).copied().unwrap_or(0.0)).then(a.cmp(&b)));
    let mut k: Vec<usize> = idx[..keep.min(n)].to_vec();
    k.sort_unstable();
    k
}

/// Backward of [`compress_forward`] to f_c's parameters only (the old memories are fixed): accumulates into `dfc`
/// (the shapes of `fc`).
///
/// # Errors
/// [`Error::Shape`] when `fc` or `dfc` does not hold the function's parameters, or a matrix does not fit.
fn compress_backward_flat(func: Compression, c: usize, d: usize, dy: &[f32], old: &[f32], fc: &[Vec<f32>], dfc: &mut [Vec<f32>]) -> Result<()> {
    let g = dy.len().checked_div(d).unwrap_or(0);
    let msg = format!("{}: {} parameter tensors and {} gradients do not hold its parameters", func.name(), fc.len(), dfc.len());
    let bad = move || Error::shape("compress_backward_flat", msg);
    match func {
        Compression::Conv => {
            let [dw, db, ..] = dfc else { return Err(bad()) };
            let [w, ..] = fc else { return Err(bad()) };
            lin_back(dy, old, g, w, dw, db, d, false)?;
        }
        Compression::Dilated => {
            let (a, b) = dilated_taps(c, d, old);
            let [d0, d1, db, ..] = dfc else { return Err(bad()) };
            let [w0, w1, ..] = fc else { return Err(bad()) };
            lin_back(dy, &a, g, w0, d0, db, d, false)?;
            lin_back(dy, &b, g, w1, d1, &mut [], d, false)?;
        }
        _ => {}
    }
    Ok(())
}

// ------------------------------------------------------------------------------------------------------------------
// The building blocks' public forms: `ndarray` in and out (see `crate::nd`), over the flat implementations above,
// which the layer code calls on its own flat buffers.

/// Layer norm over the rows of `x` (N x D) with gain `g` and bias `b` (D each): `y = (x - mean) * rstd * g + b`.
/// Returns `(y, xhat, rstd)`: N x D, N x D and N.
///
/// # Errors
/// [`Error::Shape`] when `g` or `b` is not D long.
pub fn layernorm_forward(x: ArrayView2<f32>, g: ArrayView1<f32>, b: ArrayView1<f32>) -> Result<(Array2<f32>, Array2<f32>, Array1<f32>)> {
    let (n, d) = x.dim();
    if g.len() != d || b.len() != d || d == 0 {
        return Err(Error::shape("layernorm_forward", format!("rows of {d} with gain {} and bias {}", g.len(), b.len())));
    }
    let (x, g, b) = (nd::standard(x), nd::standard(g), nd::standard(b));
    let op = "layernorm_forward";
    let (y, xh, rs) = layernorm_forward_flat(nd::slice_of(op, &x)?, nd::slice_of(op, &g)?, nd::slice_of(op, &b)?);
    Ok((nd::array(op, y, (n, d))?, nd::array(op, xh, (n, d))?, Array1::from(rs)))
}

/// Backward of [`layernorm_forward`] from `dy` (N x D) with its `xhat` (N x D) and `rstd` (N): accumulates `dg`
/// and `db` (D each); returns `dx` (N x D).
///
/// # Errors
/// [`Error::Shape`] when the shapes do not fit together.
pub fn layernorm_backward(
    dy: ArrayView2<f32>,
    xhat: ArrayView2<f32>,
    rstd: ArrayView1<f32>,
    g: ArrayView1<f32>,
    mut dg: ArrayViewMut1<f32>,
    mut db: ArrayViewMut1<f32>,
) -> Result<Array2<f32>> {
    let (n, d) = dy.dim();
    if xhat.dim() != (n, d) || rstd.len() != n || g.len() != d || dg.len() != d || db.len() != d {
        return Err(Error::shape("layernorm_backward", format!("dy {n} x {d} needs xhat of the same shape, rstd of {n}, g, dg and db of {d}")));
    }
    let op = "layernorm_backward";
    let (dy, xhat, rstd, g) = (nd::standard(dy), nd::standard(xhat), nd::standard(rstd), nd::standard(g));
    let dx = layernorm_backward_flat(nd::slice_of(op, &dy)?, nd::slice_of(op, &xhat)?, nd::slice_of(op, &rstd)?, nd::slice_of(op, &g)?, nd::slice_mut(op, &mut dg)?, nd::slice_mut(op, &mut db)?);
    nd::array(op, dx, (n, d))
}

/// Multi-head causal attention of a segment of `t` rows over its window `z` (S x D, the segment its last T rows),
/// with `w` = [W_q, W_k, W_v, W_o] (D x D each) and relative-position biases `rel` (H x R, R >= S): the function
/// described at the flat form, [`attention_forward_flat`]. Returns the output (T x D) and the cache.
///
/// # Errors
/// [`Error::Shape`] when the window is empty, shorter than the segment or longer than the relative table, or a
/// matrix does not fit.
pub fn attention_forward(z: ArrayView2<f32>, t: usize, w: [ArrayView2<f32>; 4], rel: ArrayView2<f32>) -> Result<(Array2<f32>, AttnCache)> {
    let (s, d) = z.dim();
    let heads = rel.nrows();
    if w.iter().any(|m| m.dim() != (d, d)) || heads == 0 || d % heads != 0 {
        return Err(Error::shape("attention_forward", format!("W_q, W_k, W_v, W_o must be {d} x {d} and the {heads} heads must divide {d}")));
    }
    let op = "attention_forward";
    let (z, rel) = (nd::standard(z), nd::standard(rel));
    let ws = w.map(nd::standard);
    let (out, cache) = attention_forward_flat(
        nd::slice_of(op, &z)?,
        s,
        t,
        heads,
        nd::slice_of(op, &ws[0])?,
        nd::slice_of(op, &ws[1])?,
        nd::slice_of(op, &ws[2])?,
        nd::slice_of(op, &ws[3])?,
        nd::slice_of(op, &rel)?,
    )?;
    Ok((nd::array(op, out, (t, d))?, cache))
}

/// Backward of [`attention_forward`] from `dout` (T x D): accumulates `dw` (the four D x D weight gradients) and
/// `drel` (H x R); returns `dz` (S x D).
///
/// # Errors
/// [`Error::Shape`] when a matrix does not fit.
pub fn attention_backward(dout: ArrayView2<f32>, c: &AttnCache, z: ArrayView2<f32>, w: [ArrayView2<f32>; 4], dw: [ArrayViewMut2<f32>; 4], mut drel: ArrayViewMut2<f32>) -> Result<Array2<f32>> {
    let ((t, d), (s, dz)) = (dout.dim(), z.dim());
    let heads = drel.nrows();
    if dz != d || t > s || w.iter().any(|m| m.dim() != (d, d)) || dw.iter().any(|m| m.dim() != (d, d)) || heads == 0 || c.a.len() != heads * t * s {
        return Err(Error::shape("attention_backward", format!("dout {t} x {d}, window {s} x {dz}, {heads} heads: the weights and gradients must be {d} x {d}")));
    }
    let op = "attention_backward";
    let (dout, z) = (nd::standard(dout), nd::standard(z));
    let ws = w.map(nd::standard);
    let [mut g0, mut g1, mut g2, mut g3] = dw;
    let dz = attention_backward_flat(
        nd::slice_of(op, &dout)?,
        c,
        nd::slice_of(op, &z)?,
        s,
        t,
        heads,
        [nd::slice_of(op, &ws[0])?, nd::slice_of(op, &ws[1])?, nd::slice_of(op, &ws[2])?, nd::slice_of(op, &ws[3])?],
        [nd::slice_mut(op, &mut g0)?, nd::slice_mut(op, &mut g1)?, nd::slice_mut(op, &mut g2)?, nd::slice_mut(op, &mut g3)?],
        nd::slice_mut(op, &mut drel)?,
    )?;
    nd::array(op, dz, (s, d))
}

/// f_c on `old` (G·c x D, time order) with the layer's f_c parameters `fc` ([`Config::fc_shapes`], a flat parameter
/// list) and, for most-used, the usage of each row (G·c). Returns the compressed memories, G x D.
///
/// # Errors
/// [`Error::Shape`] when `old` is not a whole number of groups of c rows, or `fc` does not hold the function's
/// parameters.
pub fn compress_forward(func: Compression, c: usize, old: ArrayView2<f32>, usage: ArrayView1<f32>, fc: &[Vec<f32>]) -> Result<Array2<f32>> {
    let (n, d) = old.dim();
    let op = "compress_forward";
    let (old, usage) = (nd::standard(old), nd::standard(usage));
    let y = compress_forward_flat(func, c, d, nd::slice_of(op, &old)?, nd::slice_of(op, &usage)?, fc)?;
    nd::array(op, y, (n.checked_div(c).unwrap_or(0), d))
}

/// Backward of [`compress_forward`] from `dy` (G x D) to f_c's parameters only (the old memories are fixed):
/// accumulates into `dfc` (the shapes of `fc`).
///
/// # Errors
/// [`Error::Shape`] when `fc` or `dfc` does not hold the function's parameters, or a matrix does not fit.
pub fn compress_backward(func: Compression, c: usize, dy: ArrayView2<f32>, old: ArrayView2<f32>, fc: &[Vec<f32>], dfc: &mut [Vec<f32>]) -> Result<()> {
    let d = dy.ncols();
    if old.ncols() != d || old.nrows() != dy.nrows() * c {
        return Err(Error::shape("compress_backward", format!("dy {:?} and old {:?}: need G x D and G·c x D", dy.dim(), old.dim())));
    }
    let op = "compress_backward";
    let (dy, old) = (nd::standard(dy), nd::standard(old));
    compress_backward_flat(func, c, d, nd::slice_of(op, &dy)?, nd::slice_of(op, &old)?, fc, dfc)
}

/// `(L_ae, dL/dcm)` of the lossless autoencoding loss (sec. 3.2; see [`ae_reconstruction_flat`]): `old` G·c x D,
/// `cm` G x D, decoder `w` cD x D and `b` cD, whose gradients accumulate into `dw` and `db`. Returns the loss and
/// `dcm` (G x D).
///
/// # Errors
/// [`Error::Shape`] when `old` does not have c rows per compressed row, or a matrix does not fit.
pub fn ae_reconstruction(old: ArrayView2<f32>, cm: ArrayView2<f32>, w: ArrayView2<f32>, b: ArrayView1<f32>, mut dw: ArrayViewMut2<f32>, mut db: ArrayViewMut1<f32>) -> Result<(f32, Array2<f32>)> {
    let (g, d) = cm.dim();
    if w.dim() != (b.len(), d) || dw.dim() != w.dim() || db.len() != b.len() || old.ncols() != d {
        return Err(Error::shape("ae_reconstruction", format!("cm {g} x {d}, decoder {:?} and bias {}: need W = cD x D, b = cD, old = G·c x D", w.dim(), b.len())));
    }
    let op = "ae_reconstruction";
    let (old, cm, w, b) = (nd::standard(old), nd::standard(cm), nd::standard(w), nd::standard(b));
    let (l, dcm) = ae_reconstruction_flat(d, nd::slice_of(op, &old)?, nd::slice_of(op, &cm)?, nd::slice_of(op, &w)?, nd::slice_of(op, &b)?, nd::slice_mut(op, &mut dw)?, nd::slice_mut(op, &mut db)?)?;
    Ok((l, nd::array(op, dcm, (g, d))?))
}

// ------------------------------------------------------------------------------------------------------------------

/// What [`layer_forward`] keeps for [`layer_backward`] and for the memory update.
struct LayerCache {
    /// Layer input `h` (T x D), appended to the memory after the segment.
    h: Vec<f32>,
    /// Keys in the window, S = n_cm' + n_m' + T.
    s: usize,
    /// LN1 of the window (S x D), its normalised rows and reciprocal standard deviations.
    z: Vec<f32>,
    xh1: Vec<f32>,
    rs1: Vec<f32>,
    attn: AttnCache,
    /// LN2 of `h1` (T x D), its normalised rows and reciprocal standard deviations.
    x2: Vec<f32>,
    xh2: Vec<f32>,
    rs2: Vec<f32>,
    /// Feed-forward pre-activation `u = W1 x2 + b1` and `relu(u)` (T x F).
    u: Vec<f32>,
    r: Vec<f32>,
}

/// One layer's forward on the segment `h` (T x D) over its memories `lm`:
/// `h1 = h + Attn(LN1([cm; m; h]))`, `h2 = h1 + W2 relu(W1 LN2(h1) + b1) + b2`. Returns `h2` (T x D) and the cache
/// (which keeps `h`).
///
/// # Errors
/// As [`attention_forward`].
fn layer_forward(lp: &Layer, cfg: &Config, lm: &LayerMem, h: Vec<f32>) -> Result<(Vec<f32>, LayerCache)> {
    let (d, t) = (cfg.d, h.len() / cfg.d);
    let ctx: Vec<f32> = lm.cm.iter().chain(&lm.m).chain(&h).copied().collect();
    let s = ctx.len() / d;
    let (z, xh1, rs1) = layernorm_forward_flat(&ctx, &lp.ln1_g, &lp.ln1_b);
    let (att, attn) = attention_forward_flat(&z, s, t, cfg.heads, &lp.wq, &lp.wk, &lp.wv, &lp.wo, &lp.rel)?;
    let h1: Vec<f32> = h.iter().zip(&att).map(|(a, b)| a + b).collect();
    let (x2, xh2, rs2) = layernorm_forward_flat(&h1, &lp.ln2_g, &lp.ln2_b);
    let u = lin(&x2, t, &lp.w1, &lp.b1, cfg.ff)?;
    let r: Vec<f32> = u.iter().map(|&x| x.max(0.0)).collect();
    let f = lin(&r, t, &lp.w2, &lp.b2, d)?;
    let h2: Vec<f32> = h1.iter().zip(&f).map(|(a, b)| a + b).collect();
    Ok((h2, LayerCache { h, s, z, xh1, rs1, attn, x2, xh2, rs2, u, r }))
}

/// Backward of [`layer_forward`] from `dh2` (T x D): accumulates the layer's gradients into `g` and returns `dh`
/// (T x D). The rows of cm and m get no gradient (the stop-gradient of sec. 3: memories are constants).
///
/// # Errors
/// As [`attention_backward`].
fn layer_backward(lp: &Layer, cfg: &Config, c: &LayerCache, dh2: &[f32], g: &mut Layer) -> Result<Vec<f32>> {
    let (d, t) = (cfg.d, c.h.len() / cfg.d);
    // h2 = h1 + W2 relu(W1 LN2(h1) + b1) + b2
    let dr = lin_back(dh2, &c.r, t, &lp.w2, &mut g.w2, &mut g.b2, d, true)?;
    let du: Vec<f32> = dr.iter().zip(&c.u).map(|(g, &u)| if u > 0.0 { *g } else { 0.0 }).collect();
    let dx2 = lin_back(&du, &c.x2, t, &lp.w1, &mut g.w1, &mut g.b1, cfg.ff, true)?;
    let dh1x = layernorm_backward_flat(&dx2, &c.xh2, &c.rs2, &lp.ln2_g, &mut g.ln2_g, &mut g.ln2_b);
    let mut dh1: Vec<f32> = dh2.iter().zip(&dh1x).map(|(a, b)| a + b).collect();
    // h1 = h + Attn(LN1([cm; m; h]))
    let dz = attention_backward_flat(&dh1, &c.attn, &c.z, c.s, t, cfg.heads, [&lp.wq, &lp.wk, &lp.wv, &lp.wo], [&mut g.wq, &mut g.wk, &mut g.wv, &mut g.wo], &mut g.rel)?;
    let dctx = layernorm_backward_flat(&dz, &c.xh1, &c.rs1, &lp.ln1_g, &mut g.ln1_g, &mut g.ln1_b);
    // Stop-gradient: the rows of cm and m get nothing; the segment's rows pass to h.
    let p = c.s - t;
    for (a, b) in dh1.iter_mut().zip(&dctx[p * d..]) {
        *a += b;
    }
    Ok(dh1)
}

/// The result of [`Model::segment`].
pub struct SegmentOut {
    /// Cross-entropy of each target in nats (T).
    pub losses: Vec<f32>,
    /// Logits of the last position (V), for sampling.
    pub last_logits: Vec<f32>,
    /// Gradient of the mean LM loss over the segment (when asked).
    pub grads: Option<Grads>,
    /// The loss that trains f_c ([`Config::fc_loss`]: attention reconstruction, or autoencoding), summed over layers
    /// (0 when nothing was compressed, f_c has no parameters, or the loss is [`FcLoss::None`]).
    pub attn_loss: f32,
    /// Per layer, the attention probabilities (when asked).
    pub attn: Vec<AttnView>,
}

/// Cross-entropy (nats) of each target under `logits` (T x V) and, with `grad`, the gradient of their mean over the
/// T positions (T x V; empty without `grad`).
fn cross_entropy(logits: &[f32], tgt: &[u8], v: usize, t: usize, grad: bool) -> (Vec<f32>, Vec<f32>) {
    let mut losses = Vec::with_capacity(tgt.len());
    let mut dlogits = vec![0.0; if grad { t * v } else { 0 }];
    for (i, &y) in tgt.iter().enumerate() {
        let z = &logits[i * v..(i + 1) * v];
        let lse = crate::kernels::act::log_sum_exp(z);
        losses.push(lse - z[y as usize]);
        if grad {
            for j in 0..v {
                dlogits[i * v + j] = ((z[j] - lse).exp() - if j == y as usize { 1.0 } else { 0.0 }) / t as f32;
            }
        }
    }
    (losses, dlogits)
}

impl Model {
    /// A freshly initialised model: embedding and the attention / feed-forward input projections N(0, 0.1), the two
    /// projections into the residual stream N(0, 0.1/sqrt(2L)) (GPT-2's scaling), the output layer N(0, 0.02),
    /// layer-norm gains 1, biases 0, relative-position biases `-4^-h k` for head h at offset k (ALiBi's recency
    /// penalty, Press et al. 2022, as a starting point; then learned); the
    /// convolution f_c starts as mean pooling (W = [I/c ... I/c]) plus N(0, 0.01) noise, the dilated one as
    /// W0 = W1 = I/2 plus the same noise.
    ///
    /// # Errors
    /// As [`Config::validate`].
    pub fn new(cfg: Config, seed: u64) -> Result<Self> {
        cfg.validate()?;
        let mut rng = Rng::new(seed);
        let mut p = Tensors::zeros(&cfg);
        let normal = |v: &mut Vec<f32>, sd: f32, rng: &mut Rng| v.iter_mut().for_each(|x| *x = sd * rng.normal());
        normal(&mut p.emb, 0.1, &mut rng);
        normal(&mut p.w_out, 0.02, &mut rng);
        let resid = 0.02 / (2.0 * cfg.layers as f32).sqrt();
        for l in &mut p.layers {
            l.ln1_g.iter_mut().for_each(|x| *x = 1.0);
            l.ln2_g.iter_mut().for_each(|x| *x = 1.0);
            for w in [&mut l.wq, &mut l.wk, &mut l.wv, &mut l.w1] {
                normal(w, 0.02 * 5.0, &mut rng);
            }
            normal(&mut l.wo, resid * 5.0, &mut rng);
            // Relative biases start as ALiBi's recency penalty (slope 4^-h for head h), then are learned.
            let r = cfg.rel_len();
            for h in 0..cfg.heads {
                let slope = 0.25f32.powi(h as i32);
                for k in 0..r {
                    l.rel[h * r + k] = -slope * k as f32;
                }
            }
            normal(&mut l.w2, resid * 5.0, &mut rng);
        }
        p.lnf_g.iter_mut().for_each(|x| *x = 1.0);
        let (d, c) = (cfg.d, cfg.rate);
        for f in &mut p.fc {
            match cfg.func {
                Compression::Conv if cfg.cmem > 0 => {
                    normal(&mut f[0], 0.01, &mut rng);
                    for o in 0..d {
                        for t in 0..c {
                            f[0][o * c * d + t * d + o] += 1.0 / c as f32;
                        }
                    }
                }
                Compression::Dilated if cfg.cmem > 0 => {
                    for w in f.iter_mut().take(2) {
                        normal(w, 0.01, &mut rng);
                        for o in 0..d {
                            w[o * d + o] += 0.5;
                        }
                    }
                }
                _ => {}
            }
            // The autoencoder's decoder starts as the inverse of mean pooling: every row of a group is the
            // compressed row (W = [I; ...; I], b = 0). No random numbers, so the other tensors start as without it.
            if cfg.fc_loss == FcLoss::Autoencoder && cfg.func.learned() && cfg.cmem > 0 {
                let n = f.len();
                let w = &mut f[n - 2];
                for t in 0..c {
                    for o in 0..d {
                        w[(t * d + o) * d + o] = 1.0;
                    }
                }
            }
        }
        Ok(Model { cfg, p })
    }

    /// Runs one segment of `inp` tokens (1..=T of them; fewer at the end of a text) on top of `mem`, scoring
    /// `tgt` (same length, or empty to score nothing), and updates `mem` (Algorithm 1).
    ///
    /// With `grad`, also returns the gradient of the mean LM loss over the segment (`grads.lm`, with the memories
    /// held fixed) and of the attention-reconstruction loss for the memories compressed after this segment
    /// (`grads.fc`). With `want_attn`, returns every layer's attention probabilities.
    ///
    /// # Errors
    /// [`Error::Shape`] when `inp` is empty or longer than T, `tgt` has another length, or a token is `>= V`.
    pub fn segment(&self, mem: &mut Memory, inp: &[u8], tgt: &[u8], grad: bool, want_attn: bool) -> Result<SegmentOut> {
        let cfg = &self.cfg;
        let (d, v, t) = (cfg.d, cfg.vocab, inp.len());
        if t == 0 || t > cfg.seg || (!tgt.is_empty() && tgt.len() != t) {
            return Err(Error::shape("Model::segment", format!("{t} inputs and {} targets; the segment holds 1 to {} characters", tgt.len(), cfg.seg)));
        }
        if let Some(&bad) = inp.iter().chain(tgt).find(|&&x| x as usize >= v) {
            return Err(Error::range("token", format!("{bad} is not below the vocabulary size {v}")));
        }
        if mem.layers.len() != cfg.layers {
            *mem = Memory::new(cfg);
        }
        // ---- forward: embedding, the layers, LNf and the read-out
        let mut h: Vec<f32> = inp.iter().flat_map(|&c| self.p.emb[c as usize * d..(c as usize + 1) * d].iter().copied()).collect();
        let mut caches = Vec::with_capacity(cfg.layers);
        let mut views = Vec::new();
        for (lp, lm) in self.p.layers.iter().zip(&mem.layers) {
            let (h2, c) = layer_forward(lp, cfg, lm, h)?;
            if want_attn {
                views.push(AttnView { probs: c.attn.a.clone(), t, s: c.s, cm_rows: lm.cm.len() / d, m_rows: lm.m.len() / d });
            }
            caches.push(c);
            h = h2;
        }
        let (y, xhf, rsf) = layernorm_forward_flat(&h, &self.p.lnf_g, &self.p.lnf_b);
        let logits = lin(&y, t, &self.p.w_out, &self.p.b_out, v)?;
        let (losses, dlogits) = cross_entropy(&logits, tgt, v, t, grad);
        let last_logits = logits[(t - 1) * v..].to_vec();

        // ---- backward of the LM loss (memories held fixed; f_c untouched)
        let grads = if grad && !tgt.is_empty() {
            let mut g = Tensors::zeros(cfg);
            let dy = lin_back(&dlogits, &y, t, &self.p.w_out, &mut g.w_out, &mut g.b_out, v, true)?;
            let mut dh = layernorm_backward_flat(&dy, &xhf, &rsf, &self.p.lnf_g, &mut g.lnf_g, &mut g.lnf_b);
            for ((lp, c), gl) in self.p.layers.iter().zip(&caches).zip(&mut g.layers).rev() {
                dh = layer_backward(lp, cfg, c, &dh, gl)?;
            }
            for (i, &c) in inp.iter().enumerate() {
                for (a, b) in g.emb[c as usize * d..(c as usize + 1) * d].iter_mut().zip(&dh[i * d..(i + 1) * d]) {
                    *a += b;
                }
            }
            Some(g)
        } else {
            None
        };

        // ---- memory update (Algorithm 1) and the attention-reconstruction loss (Algorithm 2)
        let mut gfc = if grad { Some(Tensors::zeros(cfg)) } else { None };
        let mut attn_loss = 0.0;
        for (li, (c, lm)) in caches.iter().zip(&mut mem.layers).enumerate() {
            lm.push(&c.h, &c.attn.a, cfg.heads, c.s, d);
            let fcp = &self.p.fc[li];
            let Some((old, new_cm)) = lm.compress(cfg, fcp)? else { continue };
            let Some(gfc) = gfc.as_mut().filter(|_| cfg.func.learned()) else { continue };
            match cfg.fc_loss {
                FcLoss::Attention => {
                    let (l, dnew) = attn_reconstruction(&self.p.layers[li], cfg.heads, &c.h, &old, &new_cm)?;
                    attn_loss += l;
                    compress_backward_flat(cfg.func, cfg.rate, d, &dnew, &old, fcp, &mut gfc.fc[li])?;
                }
                FcLoss::Autoencoder => {
                    // f_c's tensors, then the decoder's two
                    let nf = fcp.len().saturating_sub(2);
                    let (gf, gdec) = gfc.fc[li].split_at_mut(nf);
                    let [dw, db] = gdec else { return Err(Error::Model(format!("layer {li}: the autoencoder's decoder is missing"))) };
                    let (l, dnew) = ae_reconstruction_flat(d, &old, &new_cm, &fcp[nf], &fcp[nf + 1], dw, db)?;
                    attn_loss += l;
                    compress_backward_flat(cfg.func, cfg.rate, d, &dnew, &old, &fcp[..nf], gf)?;
                }
                FcLoss::None => {}
            }
        }
        let grads = match (grads, gfc) {
            (Some(lm), Some(fc)) => Some(Grads { lm, fc }),
            (None, Some(fc)) => Some(Grads { lm: Tensors::zeros(cfg), fc }),
            _ => None,
        };
        Ok(SegmentOut { losses, last_logits, grads, attn_loss, attn: views })
    }

    /// The attention-reconstruction loss of layer `l` for queries from `h` (T x D, the layer's input) over `old`
    /// memories (N x D) and their compression `cm` (N/c x D), with the layer's current parameters (sec. 3.2).
    ///
    /// # Errors
    /// [`Error::Range`] for a layer the model does not have; [`Error::Shape`] when the rows do not fit.
    pub fn attn_loss(&self, l: usize, h: &[f32], old: &[f32], cm: &[f32]) -> Result<f32> {
        let lp = self.p.layers.get(l).ok_or_else(|| Error::range("layer", format!("{l}: the model has {} layers", self.cfg.layers)))?;
        Ok(attn_reconstruction(lp, self.cfg.heads, h, old, cm)?.0)
    }
    /// Mean cross-entropy (nats) of a text read as one stream from an empty memory, one segment at a time, and
    /// the loss of each predicted character (`tokens.len() - 1` of them).
    ///
    /// # Errors
    /// [`Error::Range`] for fewer than 2 tokens or a token `>= V`.
    pub fn stream_losses(&self, tokens: &[u8]) -> Result<(f64, Vec<f32>)> {
        if tokens.len() < 2 {
            return Err(Error::range("text", "needs at least 2 characters (one to read, one to predict)"));
        }
        let mut mem = Memory::new(&self.cfg);
        let mut all = Vec::with_capacity(tokens.len() - 1);
        let n = tokens.len() - 1;
        let mut i = 0;
        while i < n {
            let e = (i + self.cfg.seg).min(n);
            let out = self.segment(&mut mem, &tokens[i..e], &tokens[i + 1..e + 1], false, false)?;
            all.extend(out.losses);
            i = e;
        }
        let mean = all.iter().map(|&x| x as f64).sum::<f64>() / all.len() as f64;
        Ok((mean, all))
    }

    /// Validation bits per character: `streams` contiguous pieces of `tokens` each read as one stream (in parallel
    /// where threads exist), the cross-entropy of every predicted character averaged, in bits.
    ///
    /// # Errors
    /// As [`Model::stream_losses`].
    pub fn bpc(&self, tokens: &[u8], streams: usize) -> Result<f64> {
        let streams = streams.max(1).min(tokens.len() / 2).max(1);
        let len = tokens.len() / streams;
        let parts = crate::par::map_range(streams, |b| {
            let end = if b + 1 == streams { tokens.len() } else { (b + 1) * len + 1 };
            self.stream_losses(&tokens[b * len..end]).map(|(m, l)| (m * l.len() as f64, l.len()))
        });
        let (mut s, mut n) = (0.0, 0usize);
        for p in parts {
            let (a, b) = p?;
            s += a;
            n += b;
        }
        Ok(s / n as f64 / std::f64::consts::LN_2)
    }

    /// Serialises the model as safetensors with the config (JSON) and `vocab` (the characters, as a JSON array of
    /// bytes) in the metadata, plus `extra` metadata entries.
    ///
    /// # Errors
    /// As [`crate::io::save_f32`].
    pub fn to_safetensors(&self, vocab: &[u8], extra: &BTreeMap<String, String>) -> Result<Vec<u8>> {
        let names = Tensors::names(&self.cfg);
        let all = self.p.all();
        let tensors: Vec<(&str, &[usize], &[f32])> = names.iter().zip(&all).map(|((n, s), t)| (n.as_str(), s.as_slice(), t.as_slice())).collect();
        let mut meta = extra.clone();
        let json = |e: serde_json::Error| Error::format("compressive model metadata", e.to_string());
        meta.insert("config".into(), serde_json::to_string(&self.cfg).map_err(json)?);
        meta.insert("vocab".into(), serde_json::to_string(vocab).map_err(json)?);
        crate::io::save_f32(&tensors, &meta)
    }

    /// Loads a model written by [`Model::to_safetensors`]; returns it with its vocabulary and metadata.
    ///
    /// # Errors
    /// [`Error::Format`] for bytes that are not such a file; [`Error::Model`] for a missing or misshapen tensor.
    pub fn from_safetensors(bytes: &[u8]) -> Result<(Model, crate::data::text::Vocab, BTreeMap<String, String>)> {
        let f = crate::io::load(bytes)?;
        let meta = f.metadata().clone();
        let cfg: Config = meta
            .get("config")
            .and_then(|s| serde_json::from_str(s).ok())
            .ok_or_else(|| Error::format("compressive model", "metadata has no valid `config`"))?;
        cfg.validate()?;
        let chars: Vec<u8> = meta
            .get("vocab")
            .and_then(|s| serde_json::from_str(s).ok())
            .ok_or_else(|| Error::format("compressive model", "metadata has no valid `vocab`"))?;
        let vocab = crate::data::text::Vocab::from_chars(&chars)?;
        if vocab.len() != cfg.vocab {
            return Err(Error::format("compressive model", format!("vocabulary of {} characters but V = {}", vocab.len(), cfg.vocab)));
        }
        let mut p = Tensors::zeros(&cfg);
        for ((name, shape), dst) in Tensors::names(&cfg).into_iter().zip(p.all_mut()) {
            let tt = f.f32(&name)?;
            if tt.shape != shape {
                return Err(Error::Model(format!("tensor `{name}` has shape {:?}, expected {shape:?}", tt.shape)));
            }
            *dst = tt.data;
        }
        Ok((Model { cfg, p }, vocab, meta))
    }
}

/// `(L_attn, dL/dcm)` for one layer: `mean ||attn(h, old) - attn(h, cm)||^2` over the T x D outputs, where
/// `attn(h, x) = content_attn(LN1(h) Wq^T, LN1(x) Wk^T, LN1(x) Wv^T)`. Only the path into `cm` is differentiated.
///
/// # Errors
/// [`Error::Shape`] when a matrix does not fit.
fn attn_reconstruction(lp: &Layer, heads: usize, h: &[f32], old: &[f32], cm: &[f32]) -> Result<(f32, Vec<f32>)> {
    let d = lp.ln1_g.len();
    let (t, n, g) = (h.len() / d, old.len() / d, cm.len() / d);
    let (zh, _, _) = layernorm_forward_flat(h, &lp.ln1_g, &lp.ln1_b);
    let q = lin(&zh, t, &lp.wq, &[], d)?;
    let (zo, _, _) = layernorm_forward_flat(old, &lp.ln1_g, &lp.ln1_b);
    let (ko, vo) = (lin(&zo, n, &lp.wk, &[], d)?, lin(&zo, n, &lp.wv, &[], d)?);
    let (target, _) = content_attn(&q, &ko, &vo, t, n, heads)?;
    let (zc, xhc, rsc) = layernorm_forward_flat(cm, &lp.ln1_g, &lp.ln1_b);
    let (kc, vc) = (lin(&zc, g, &lp.wk, &[], d)?, lin(&zc, g, &lp.wv, &[], d)?);
    let (got, a) = content_attn(&q, &kc, &vc, t, g, heads)?;
    let m = (t * d) as f32;
    let mut loss = 0.0;
    let dgot: Vec<f32> = got
        .iter()
        .zip(&target)
        .map(|(x, y)| {
            loss += (x - y) * (x - y);
            2.0 * (x - y) / m
        })
        .collect();
    let (dk, dv) = content_attn_back(&dgot, &q, &kc, &vc, &a, t, g, heads)?;
    // Through the projections and LN1 to cm, with the layer's weights as constants (their gradients are discarded).
    let mut scratch = vec![0.0; d * d];
    let mut dz = lin_back(&dk, &zc, g, &lp.wk, &mut scratch, &mut [], d, true)?;
    let dzv = lin_back(&dv, &zc, g, &lp.wv, &mut scratch, &mut [], d, true)?;
    dz.iter_mut().zip(&dzv).for_each(|(a, b)| *a += b);
    let (mut sg, mut sb) = (vec![0.0; d], vec![0.0; d]);
    let dcm = layernorm_backward_flat(&dz, &xhc, &rsc, &lp.ln1_g, &mut sg, &mut sb);
    Ok((loss / m, dcm))
}

/// `(L_ae, dL/dcm)` of the lossless autoencoding loss (the paper's alternative to attention reconstruction, sec. 3.2):
/// `L_ae = mean ||old - g(cm)||^2` over the G·c x D entries of `old`, where the decoder `g(cm) = cm W^T + b` maps each
/// of the G compressed rows (`cm` G x D) to the c rows of its group (`w` cD x D, `b` cD; the G x cD result read as
/// G·c x D). Accumulates the decoder's gradients into `dw`, `db`.
///
/// # Errors
/// [`Error::Shape`] when `old` does not have c rows per compressed row, or a matrix does not fit.
fn ae_reconstruction_flat(d: usize, old: &[f32], cm: &[f32], w: &[f32], b: &[f32], dw: &mut [f32], db: &mut [f32]) -> Result<(f32, Vec<f32>)> {
    let g = cm.len().checked_div(d).unwrap_or(0);
    let cd = b.len();
    if g == 0 || old.len() != g * cd || w.len() != cd * d {
        return Err(Error::shape("ae_reconstruction_flat", format!("{} old values, {} compressed, decoder {} x {}: need old = G·c x D, cm = G x D, W = cD x D", old.len(), cm.len(), cd, w.len().checked_div(cd.max(1)).unwrap_or(0))));
    }
    let rec = lin(cm, g, w, b, cd)?;
    let m = old.len() as f32;
    let mut loss = 0.0;
    let drec: Vec<f32> = rec
        .iter()
        .zip(old)
        .map(|(x, y)| {
            loss += (x - y) * (x - y);
            2.0 * (x - y) / m
        })
        .collect();
    let dcm = lin_back(&drec, cm, g, w, dw, db, cd, true)?;
    Ok((loss / m, dcm))
}
