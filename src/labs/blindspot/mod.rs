//! The blind-spot lab: Zhang, Chen, Song, Boning, Dhillon & Hsieh, "The Limitations of Adversarial Training and the
//! Blind-Spot Attack" (ICLR 2019).
//!
//! The paper's claim: adversarial training (Madry et al., 2018) makes a network robust near its *training* data;
//! test inputs far from that data (in the network's penultimate-layer embedding) are easier to attack. On MNIST
//! such "blind spots" are found by scaling and shifting pixels, `x' = α·x + β` (clipped to the valid range), which
//! keeps the digit readable — clean accuracy stays high — while PGD / C&W attack success on the adversarially
//! trained network rises sharply. The same holds for certified defences.
//!
//! This module (pure Rust, no wasm-bindgen, no DOM):
//! - [`transform`]: the blind-spot transform `x' = clip(α·x + β, 0, 1)` (paper, sec. 3.3);
//! - [`Model`]: a classifier the attacks can differentiate — the lab's [`Cnn`] (conv layers on
//!   [`crate::kernels::conv`]) and the verify lab's [`Mlp`];
//! - [`attack`]: L∞ PGD with the cross-entropy loss (Madry et al.) and the C&W margin loss (Carlini & Wagner's f6,
//!   κ = 0 by default), steps, restarts, per-digit seeds; [`success_rate`] among digits still classified
//!   correctly after the transform (the paper's "attack success rate");
//! - [`knn_distance`]: the paper's distance of a test point from the training data: the mean ℓ2 distance to its
//!   k nearest training points in the penultimate-layer embedding (sec. 3.2), with [`knn_distance_naive`] as twin;
//! - [`pca2`] + [`kde_kl`]: the 2-D embedding of train vs test and the KL divergence between their kernel density
//!   estimates. The paper uses t-SNE; here a documented substitute: PCA (the top two principal directions of the
//!   training embedding, by power iteration), which runs in the browser in milliseconds and is deterministic.
//! - [`verified_error`]: the verify lab's CROWN-IBP bound on x' (do certificates survive the shift?).
//!
//! Shapes: images are B x 784 row-major, pixels in [0, 1]; labels B in 0..10; embeddings B x D.

pub mod cnn;
#[cfg(not(target_arch = "wasm32"))]
pub mod ship;

use ndarray::{s, Array1, Array2, ArrayView2};
use serde::Serialize;

pub use cnn::{Cnn, CnnCache, CnnGrads};

use crate::data::mnist::{CLASSES, PIXELS};
use crate::error::{Error, Result};
use crate::kernels::gemm::{gemm, MatRef};
use crate::labs::verify::{margin_bounds, LowerSlope, Method};
use crate::nd;
use crate::nn::layers::{argmax_rows, softmax_cross_entropy};
use crate::nn::mlp::{Mlp, MlpGrads};
use crate::nn::rng::Rng;

/// Smallest α the paper scans (and the page's slider).
pub const ALPHA_MIN: f32 = 0.6;
/// Largest α (1 = no scaling).
pub const ALPHA_MAX: f32 = 1.0;
/// Smallest β (0 = no shift).
pub const BETA_MIN: f32 = 0.0;
/// Largest β the paper scans.
pub const BETA_MAX: f32 = 0.3;
/// ε of the L∞ attacks, as in Madry et al.'s MNIST challenge and the paper.
pub const EPS: f32 = 0.3;

/// Checks α ∈ [0.5, 1] and β ∈ [0, 0.5] (a little wider than the paper's [0.6, 1] x [0, 0.3]).
///
/// # Errors
/// [`Error::Range`] naming the parameter.
pub fn check_alpha_beta(alpha: f32, beta: f32) -> Result<()> {
    if !(0.5..=1.0).contains(&alpha) {
        return Err(Error::range("alpha", format!("{alpha} is not in [0.5, 1]; the paper scans 0.6..1.0")));
    }
    if !(0.0..=0.5).contains(&beta) {
        return Err(Error::range("beta", format!("{beta} is not in [0, 0.5]; the paper scans 0..0.3")));
    }
    Ok(())
}

/// The blind-spot transform `x' = clip(α·x + β, 0, 1)` element-wise (paper, sec. 3.3). Shape B x 784 → B x 784.
///
/// # Errors
/// As [`check_alpha_beta`].
pub fn transform(x: ArrayView2<f32>, alpha: f32, beta: f32) -> Result<Array2<f32>> {
    check_alpha_beta(alpha, beta)?;
    Ok(x.mapv(|v| (alpha * v + beta).clamp(0.0, 1.0)))
}

/// A classifier the attacks can differentiate: logits, the input gradient of a loss given through its logit
/// gradient, and the penultimate-layer embedding.
pub trait Model: Sync {
    /// Classes K.
    fn classes(&self) -> usize {
        CLASSES
    }
    /// Logits, B x K, for `x` B x 784.
    ///
    /// # Errors
    /// [`Error::Shape`] for a wrong input width.
    fn logits(&self, x: ArrayView2<f32>) -> Result<Array2<f32>>;
    /// Logits (B x K) and `∂L/∂x` (B x 784), where `dlogits(z)` returns `∂L/∂z` (B x K) from the logits.
    ///
    /// # Errors
    /// [`Error::Shape`] for a wrong input width or a `dlogits` of the wrong shape.
    fn input_grad(&self, x: ArrayView2<f32>, dlogits: &dyn Fn(ArrayView2<f32>) -> Array2<f32>) -> Result<(Array2<f32>, Array2<f32>)>;
    /// Penultimate-layer activations (after the ReLU), B x D.
    ///
    /// # Errors
    /// [`Error::Shape`] for a wrong input width.
    fn embed(&self, x: ArrayView2<f32>) -> Result<Array2<f32>>;
}

impl Model for Cnn {
    fn logits(&self, x: ArrayView2<f32>) -> Result<Array2<f32>> {
        Cnn::logits(self, x)
    }
    fn input_grad(&self, x: ArrayView2<f32>, dlogits: &dyn Fn(ArrayView2<f32>) -> Array2<f32>) -> Result<(Array2<f32>, Array2<f32>)> {
        let (z, cache) = self.forward(x)?;
        let dz = dlogits(z.view());
        let dx = self.backward(&cache, dz.view(), None, true)?.ok_or_else(|| Error::shape("input_grad", "the CNN returned no input gradient"))?;
        Ok((z, dx))
    }
    fn embed(&self, x: ArrayView2<f32>) -> Result<Array2<f32>> {
        let (_, cache) = self.forward(x)?;
        nd::array("embed", cache.h3, (x.nrows(), self.hidden))
    }
}

impl Model for Mlp {
    fn classes(&self) -> usize {
        Mlp::classes(self)
    }
    fn logits(&self, x: ArrayView2<f32>) -> Result<Array2<f32>> {
        Mlp::logits(self, x)
    }
    fn input_grad(&self, x: ArrayView2<f32>, dlogits: &dyn Fn(ArrayView2<f32>) -> Array2<f32>) -> Result<(Array2<f32>, Array2<f32>)> {
        let (z, cache) = self.forward(x)?;
        let dz = dlogits(z.view());
        let mut g = MlpGrads::zeros(self);
        let dx = self.backward(&cache, dz.view(), &mut g, true)?.ok_or_else(|| Error::shape("input_grad", "the MLP returned no input gradient"))?;
        Ok((z, dx))
    }
    fn embed(&self, x: ArrayView2<f32>) -> Result<Array2<f32>> {
        let (_, mut cache) = self.forward(x)?;
        Ok(cache.acts.pop().unwrap_or_default())
    }
}

/// `∂L/∂z` of the attack loss for every row of `z` (B x K), `ys` the B labels.
fn logit_grads(loss: Loss, z: ArrayView2<f32>, ys: &[usize]) -> Array2<f32> {
    let mut d = Array2::zeros(z.dim());
    for ((zr, mut dr), &y) in z.rows().into_iter().zip(d.rows_mut()).zip(ys) {
        let zr = zr.to_vec();
        if let Some(ds) = dr.as_slice_mut() {
            loss_grad(loss, &zr, y, ds);
        }
    }
    d
}

/// The input gradient `dx` of `m` at `cur` (B x 784 values) as a flat vector of the same length.
fn input_grad_flat(m: &dyn Model, cur: &[f32], batch: usize, dlogits: &dyn Fn(ArrayView2<f32>) -> Array2<f32>) -> Result<(Array2<f32>, Vec<f32>)> {
    let (z, dx) = m.input_grad(nd::view("attack", cur, (batch, PIXELS))?, dlogits)?;
    let dx = nd::into_vec(dx);
    if dx.len() != cur.len() {
        return Err(Error::shape("attack", format!("the input gradient has {} values for {batch}x{PIXELS} inputs", dx.len())));
    }
    Ok((z, dx))
}

/// The loss an attack ascends.
#[derive(Copy, Clone, Debug, PartialEq, Serialize, serde::Deserialize)]
pub enum Loss {
    /// Cross-entropy (Madry et al.'s PGD).
    CrossEntropy,
    /// Carlini & Wagner's margin `max_{j≠y} z_j − z_y`, capped at κ (`min(·, κ)`), the "C&W" L∞ attack as the
    /// paper runs it (PGD on the C&W loss).
    Margin {
        /// Confidence κ ≥ 0: the loss stops growing once the margin exceeds it.
        kappa: f32,
    },
}

/// An L∞ attack: ε, steps, restarts, step size, loss, seed.
#[derive(Copy, Clone, Debug, PartialEq, Serialize, serde::Deserialize)]
pub struct AttackConfig {
    /// Radius of the L∞ ball, in [0, 1] (pixel units).
    pub eps: f32,
    /// Gradient-sign steps per restart (≥ 1 unless eps = 0).
    pub steps: usize,
    /// Random restarts (≥ 1); each starts at a uniform point of the ball.
    pub restarts: usize,
    /// Step size; `None`: `2.5·ε / steps` (Madry et al.'s rule of thumb).
    pub step_size: Option<f32>,
    /// The loss ascended.
    pub loss: Loss,
    /// Seed; digit `first + b`, restart `r` draws its start from a stream fixed by `(seed, first + b, r)`.
    pub seed: u64,
}

impl AttackConfig {
    /// PGD on the cross-entropy with `steps` steps and `restarts` restarts at ε.
    pub fn pgd(eps: f32, steps: usize, restarts: usize, seed: u64) -> Self {
        AttackConfig { eps, steps, restarts, step_size: None, loss: Loss::CrossEntropy, seed }
    }
    /// PGD on the C&W margin loss with κ = 0.
    pub fn cw(eps: f32, steps: usize, restarts: usize, seed: u64) -> Self {
        AttackConfig { eps, steps, restarts, step_size: None, loss: Loss::Margin { kappa: 0.0 }, seed }
    }
    fn check(&self) -> Result<()> {
        if !(self.eps.is_finite() && (0.0..=1.0).contains(&self.eps)) {
            return Err(Error::range("epsilon", format!("{} must be in [0, 1]", self.eps)));
        }
        if self.restarts == 0 || self.steps > 10_000 || self.restarts > 100 {
            return Err(Error::range("attack", format!("{} steps, {} restarts: use 0..=10000 steps and 1..=100 restarts", self.steps, self.restarts)));
        }
        if let Some(s) = self.step_size {
            if !(s.is_finite() && s > 0.0) {
                return Err(Error::range("step size", format!("{s} must be a positive number")));
            }
        }
        if let Loss::Margin { kappa } = self.loss {
            if !(kappa.is_finite() && kappa >= 0.0) {
                return Err(Error::range("kappa", format!("{kappa} must be ≥ 0")));
            }
        }
        Ok(())
    }
}

/// The result of an attack on B digits.
#[derive(Clone, Debug, PartialEq)]
pub struct AttackResult {
    /// The adversarial inputs, B x 784: the first misclassified iterate, or the last iterate of the last restart.
    pub adv: Array2<f32>,
    /// Per digit: classified correctly before the attack.
    pub clean_correct: Vec<bool>,
    /// Per digit: the attack found a misclassified point of the ball (false where `clean_correct` is false).
    pub success: Vec<bool>,
}

/// `∂L/∂z` of the attack loss for one row (written into `d`); `z` K logits, `y` the label.
fn loss_grad(loss: Loss, z: &[f32], y: usize, d: &mut [f32]) {
    d.iter_mut().for_each(|v| *v = 0.0);
    match loss {
        Loss::CrossEntropy => {
            // ∂CE/∂z_j = p_j (j ≠ y), −Σ_{j≠y} p_j (j = y): the form that does not round to 0 on confident digits.
            let lse = crate::kernels::act::log_sum_exp(z);
            let mut others = 0.0f32;
            for j in (0..z.len()).filter(|&j| j != y) {
                let p = (z[j] - lse).exp();
                d[j] = p;
                others += p;
            }
            d[y] = -others;
        }
        Loss::Margin { kappa } => {
            let (mut jmax, mut zmax) = (usize::MAX, f32::NEG_INFINITY);
            for (j, &v) in z.iter().enumerate() {
                if j != y && v > zmax {
                    (jmax, zmax) = (j, v);
                }
            }
            if jmax != usize::MAX && zmax - z[y] < kappa {
                d[jmax] = 1.0;
                d[y] = -1.0;
            }
        }
    }
}

fn digit_rng(seed: u64, index: usize, restart: usize) -> Rng {
    let h = (index as u64 + 1).wrapping_mul(0x9E37_79B9_7F4A_7C15) ^ (restart as u64 + 1).wrapping_mul(0xC2B2_AE3D_27D4_EB4F);
    Rng::new(seed ^ h)
}

/// Untargeted L∞ attack (projected gradient-sign ascent) on B digits starting at `x` (B x 784, e.g. the transformed
/// digits x'), projecting onto `{‖δ‖∞ ≤ ε} ∩ [0, 1]^784` after every step. `first` is the dataset index of row 0:
/// results do not depend on how a set is split into calls. A digit counts as attacked successfully once any
/// iterate is misclassified; digits misclassified at `x` already are not attacked (`success = false`).
///
/// # Errors
/// [`Error::Range`] for a bad configuration or label; [`Error::Shape`] for mismatched lengths.
pub fn attack(m: &dyn Model, x: ArrayView2<f32>, labels: &[u8], first: usize, cfg: &AttackConfig) -> Result<AttackResult> {
    cfg.check()?;
    let (k, batch) = (m.classes(), labels.len());
    if x.dim() != (batch, PIXELS) {
        return Err(Error::shape("attack", format!("x must be {batch}x{PIXELS}, is {}x{}", x.nrows(), x.ncols())));
    }
    if let Some(&y) = labels.iter().find(|&&y| y as usize >= k) {
        return Err(Error::range("label", format!("{y} is not below {k}")));
    }
    let xc = nd::standard(x);
    let x = nd::slice_of("attack", &xc)?;
    let clean = argmax_rows(m.logits(xc.view())?.view());
    let clean_correct: Vec<bool> = clean.iter().zip(labels).map(|(&p, &y)| p == y as usize).collect();
    let mut success = vec![false; batch];
    let mut adv = x.to_vec();
    if cfg.eps == 0.0 || cfg.steps == 0 {
        return Ok(AttackResult { adv: nd::array("attack", adv, (batch, PIXELS))?, clean_correct, success });
    }
    let step = cfg.step_size.unwrap_or(2.5 * cfg.eps / cfg.steps as f32);
    let ys: Vec<usize> = labels.iter().map(|&y| y as usize).collect();
    let dlogits = |z: ArrayView2<f32>| logit_grads(cfg.loss, z, &ys);
    let mut done: Vec<bool> = clean_correct.iter().map(|&c| !c).collect();
    for r in 0..cfg.restarts {
        if done.iter().all(|&d| d) {
            break;
        }
        let mut cur = x.to_vec();
        for b in (0..batch).filter(|&b| !done[b]) {
            let mut rng = digit_rng(cfg.seed, first + b, r);
            for j in b * PIXELS..(b + 1) * PIXELS {
                cur[j] = (x[j] + rng.uniform_in(-cfg.eps, cfg.eps)).clamp(0.0, 1.0);
            }
        }
        for t in 0..=cfg.steps {
            let (z, dx) = input_grad_flat(m, &cur, batch, &dlogits)?;
            let pred = argmax_rows(z.view());
            for b in 0..batch {
                if !done[b] && pred[b] != ys[b] {
                    done[b] = true;
                    success[b] = true;
                    adv[b * PIXELS..(b + 1) * PIXELS].copy_from_slice(&cur[b * PIXELS..(b + 1) * PIXELS]);
                }
            }
            if t == cfg.steps || done.iter().all(|&d| d) {
                break;
            }
            for b in (0..batch).filter(|&b| !done[b]) {
                for j in b * PIXELS..(b + 1) * PIXELS {
                    let s = if dx[j] > 0.0 { step } else if dx[j] < 0.0 { -step } else { 0.0 };
                    cur[j] = (cur[j] + s).clamp(x[j] - cfg.eps, x[j] + cfg.eps).clamp(0.0, 1.0);
                }
            }
        }
        for b in (0..batch).filter(|&b| !done[b]) {
            adv[b * PIXELS..(b + 1) * PIXELS].copy_from_slice(&cur[b * PIXELS..(b + 1) * PIXELS]);
        }
    }
    Ok(AttackResult { adv: nd::array("attack", adv, (batch, PIXELS))?, clean_correct, success })
}

/// [`attack`] over many digits in blocks of `block` (run in parallel where threads exist); the same result as one
/// call on all digits.
///
/// # Errors
/// As [`attack`].
pub fn attack_blocks(m: &dyn Model, x: ArrayView2<f32>, labels: &[u8], first: usize, cfg: &AttackConfig, block: usize) -> Result<AttackResult> {
    let block = block.max(1);
    if x.dim() != (labels.len(), PIXELS) {
        return Err(Error::shape("attack", format!("x must be {}x{PIXELS}, is {}x{}", labels.len(), x.nrows(), x.ncols())));
    }
    let parts = crate::par::map_range(labels.len().div_ceil(block), |p| {
        let (s, e) = (p * block, ((p + 1) * block).min(labels.len()));
        attack(m, x.slice(s![s..e, ..]), &labels[s..e], first + s, cfg)
    });
    let (mut adv, mut clean_correct, mut success) = (Vec::with_capacity(x.len()), Vec::new(), Vec::new());
    for p in parts {
        let p = p?;
        adv.extend(p.adv.iter());
        clean_correct.extend(p.clean_correct);
        success.extend(p.success);
    }
    Ok(AttackResult { adv: nd::array("attack_blocks", adv, (labels.len(), PIXELS))?, clean_correct, success })
}

/// Summary counts of an attack.
#[derive(Copy, Clone, Debug, Default, PartialEq, Serialize)]
pub struct Rates {
    /// Digits.
    pub n: usize,
    /// Classified correctly at the attack's start (x').
    pub correct: usize,
    /// Attacked successfully (among the correct ones).
    pub fooled: usize,
    /// `correct / n`: clean accuracy on x'.
    pub clean_acc: f64,
    /// `fooled / correct`: the paper's attack success rate (0 when nothing is correct).
    pub success: f64,
    /// `(n − correct + fooled) / n`: error under attack (≥ the clean error).
    pub robust_err: f64,
}

/// The paper's attack success rate: among digits classified correctly at x', the fraction the attack fools.
pub fn success_rate(r: &AttackResult) -> Rates {
    let n = r.success.len();
    let correct = r.clean_correct.iter().filter(|&&c| c).count();
    let fooled = r.success.iter().zip(&r.clean_correct).filter(|(&s, &c)| s && c).count();
    let div = |a: usize, b: usize| if b == 0 { 0.0 } else { a as f64 / b as f64 };
    Rates { n, correct, fooled, clean_acc: div(correct, n), success: div(fooled, correct), robust_err: div(n - correct + fooled, n) }
}

/// Mean ℓ2 distance from each query row to its `k` nearest reference rows: the paper's distance of a test point
/// from the training set in the embedding (sec. 3.2). Shapes: `reference` N x D, `queries` Q x D; returns Q.
/// Squared distances come from one GEMM (`‖q‖² + ‖r‖² − 2 q·r`, clamped at 0).
///
/// # Errors
/// [`Error::Shape`] when the widths differ or are 0; [`Error::Range`] for k = 0 or k > N.
pub fn knn_distance(reference: ArrayView2<f32>, queries: ArrayView2<f32>, k: usize) -> Result<Array1<f32>> {
    let (rc, qc) = (nd::standard(reference), nd::standard(queries));
    let (reference, queries, dim) = (nd::slice_of("knn_distance", &rc)?, nd::slice_of("knn_distance", &qc)?, rc.ncols());
    let (n, q) = knn_check(rc.view(), qc.view(), k)?;
    let sq = |v: &[f32]| -> Vec<f32> { v.chunks(dim).map(|r| r.iter().map(|a| a * a).sum()).collect() };
    let (rn, qn) = (sq(reference), sq(queries));
    let mut out = Vec::with_capacity(q);
    const QB: usize = 64;
    let mut dots = vec![0.0f32; QB * n];
    for q0 in (0..q).step_by(QB) {
        let qb = QB.min(q - q0);
        gemm(1.0, MatRef::new(&queries[q0 * dim..(q0 + qb) * dim], qb, dim), MatRef::new(reference, n, dim).t(), 0.0, &mut dots[..qb * n], n, 1)?;
        for i in 0..qb {
            let mut d: Vec<f32> = (0..n).map(|j| (qn[q0 + i] + rn[j] - 2.0 * dots[i * n + j]).max(0.0)).collect();
            d.select_nth_unstable_by(k - 1, f32::total_cmp);
            let mean = d[..k].iter().map(|&v| f64::from(v).sqrt()).sum::<f64>() / k as f64;
            out.push(mean as f32);
        }
    }
    Ok(Array1::from(out))
}

fn knn_check(reference: ArrayView2<f32>, queries: ArrayView2<f32>, k: usize) -> Result<(usize, usize)> {
    let dim = reference.ncols();
    if dim == 0 || queries.ncols() != dim {
        return Err(Error::shape("knn_distance", format!("reference ({}x{dim}) and queries ({}x{}) must be rows of the same non-zero width", reference.nrows(), queries.nrows(), queries.ncols())));
    }
    let n = reference.nrows();
    if k == 0 || k > n {
        return Err(Error::range("k", format!("{k} must be in 1..={n} (the number of reference rows)")));
    }
    Ok((n, queries.nrows()))
}

/// The brute-force twin of [`knn_distance`]: every distance in f64, a full sort. The test oracle.
///
/// # Errors
/// As [`knn_distance`].
pub fn knn_distance_naive(reference: ArrayView2<f32>, queries: ArrayView2<f32>, k: usize) -> Result<Array1<f32>> {
    knn_check(reference, queries, k)?;
    Ok(queries
        .rows()
        .into_iter()
        .map(|qr| {
            let mut d: Vec<f64> = reference
                .rows()
                .into_iter()
                .map(|rr| rr.iter().zip(qr.iter()).map(|(&a, &b)| (f64::from(a) - f64::from(b)).powi(2)).sum::<f64>().sqrt())
                .collect();
            d.sort_by(f64::total_cmp);
            (d[..k].iter().sum::<f64>() / k as f64) as f32
        })
        .collect())
}

/// A 2-D linear embedding: the mean and two orthonormal directions (the substitute for the paper's t-SNE).
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Pca2 {
    /// Mean of the fitted rows, D.
    pub mean: Vec<f32>,
    /// First principal direction, D (unit length).
    pub u1: Vec<f32>,
    /// Second principal direction, D (unit length, orthogonal to u1).
    pub u2: Vec<f32>,
    /// Variances along u1 and u2.
    pub var: [f64; 2],
}

/// The top two principal directions of `x` (N x D, N ≥ 2) by power iteration on the covariance (f64, a fixed start
/// vector and 300 iterations; deflation for the second). Deterministic.
///
/// # Errors
/// [`Error::Shape`] for fewer than 2 rows or columns.
pub fn pca2(x: ArrayView2<f32>) -> Result<Pca2> {
    let (rows, dim) = x.dim();
    if dim < 2 || rows < 2 {
        return Err(Error::shape("pca2", format!("need at least 2 rows of at least 2 values, have {rows}x{dim}")));
    }
    let xc = nd::standard(x);
    let x = nd::slice_of("pca2", &xc)?;
    let n = x.len() / dim;
    let mut mean = vec![0.0f64; dim];
    for r in x.chunks(dim) {
        for (m, &v) in mean.iter_mut().zip(r) {
            *m += f64::from(v) / n as f64;
        }
    }
    let mut cov = vec![0.0f64; dim * dim];
    for r in x.chunks(dim) {
        let c: Vec<f64> = r.iter().zip(&mean).map(|(&v, m)| f64::from(v) - m).collect();
        for i in 0..dim {
            if c[i] == 0.0 {
                continue;
            }
            for j in 0..dim {
                cov[i * dim + j] += c[i] * c[j] / (n - 1) as f64;
            }
        }
    }
    let power = |cov: &[f64]| -> (Vec<f64>, f64) {
        let mut v: Vec<f64> = (0..dim).map(|i| 1.0 + (i as f64 * 0.618_034).fract()).collect();
        let mut lambda = 0.0;
        for _ in 0..300 {
            let w: Vec<f64> = (0..dim).map(|i| (0..dim).map(|j| cov[i * dim + j] * v[j]).sum()).collect();
            let norm = w.iter().map(|a| a * a).sum::<f64>().sqrt();
            if norm == 0.0 {
                break;
            }
            lambda = norm;
            v = w.iter().map(|a| a / norm).collect();
        }
        (v, lambda)
    };
    let (v1, l1) = power(&cov);
    let mut cov2 = cov.clone();
    for i in 0..dim {
        for j in 0..dim {
            cov2[i * dim + j] -= l1 * v1[i] * v1[j];
        }
    }
    let (mut v2, l2) = power(&cov2);
    let d: f64 = v1.iter().zip(&v2).map(|(a, b)| a * b).sum();
    v2.iter_mut().zip(&v1).for_each(|(b, a)| *b -= d * a);
    let nv = v2.iter().map(|a| a * a).sum::<f64>().sqrt().max(1e-300);
    v2.iter_mut().for_each(|b| *b /= nv);
    let f = |v: &[f64]| v.iter().map(|&a| a as f32).collect::<Vec<f32>>();
    Ok(Pca2 { mean: f(&mean), u1: f(&v1), u2: f(&v2), var: [l1, l2] })
}

impl Pca2 {
    /// Projects rows of `x` (N x D) to N x 2 (columns p1, p2).
    ///
    /// # Errors
    /// [`Error::Shape`] when `x` does not have D columns.
    pub fn project(&self, x: ArrayView2<f32>) -> Result<Array2<f32>> {
        let dim = self.mean.len();
        if x.ncols() != dim {
            return Err(Error::shape("pca project", format!("x has {} columns, not {dim}", x.ncols())));
        }
        let mut out = Vec::with_capacity(x.nrows() * 2);
        for r in x.rows() {
            let (mut a, mut b) = (0.0f32, 0.0f32);
            for i in 0..dim {
                let c = r[i] - self.mean[i];
                a += c * self.u1[i];
                b += c * self.u2[i];
            }
            out.push(a);
            out.push(b);
        }
        nd::array("pca project", out, (x.nrows(), 2))
    }
}

/// KL(test ‖ train) between Gaussian kernel density estimates of two 2-D point sets (N x 2 and M x 2), estimated
/// at the test points: `mean_i log(p_test(t_i) / p_train(t_i))`, each density leaving the point itself out when it
/// belongs to its own set. Bandwidth `h` (Silverman's rule on the train set when `None`). The paper estimates the
/// same divergence on t-SNE embeddings (sec. 3.2).
///
/// # Errors
/// [`Error::Shape`] for sets with fewer than 2 points; [`Error::Range`] for a non-positive bandwidth.
pub fn kde_kl(train: ArrayView2<f32>, test: ArrayView2<f32>, h: Option<f64>) -> Result<f64> {
    if train.ncols() != 2 || test.ncols() != 2 || train.nrows() < 2 || test.nrows() < 2 {
        return Err(Error::shape("kde_kl", format!("both sets need at least 2 points of (x, y), have {:?} and {:?}", train.dim(), test.dim())));
    }
    let pts = |v: ArrayView2<f32>| -> Vec<(f64, f64)> { v.rows().into_iter().map(|p| (f64::from(p[0]), f64::from(p[1]))).collect() };
    let (tr, te) = (pts(train), pts(test));
    let h = match h {
        Some(h) if h > 0.0 && h.is_finite() => h,
        Some(h) => return Err(Error::range("bandwidth", format!("{h} must be positive"))),
        None => {
            let n = tr.len() as f64;
            let sd = |f: &dyn Fn(&(f64, f64)) -> f64| {
                let m = tr.iter().map(f).sum::<f64>() / n;
                (tr.iter().map(|p| (f(p) - m).powi(2)).sum::<f64>() / (n - 1.0)).sqrt()
            };
            let s = 0.5 * (sd(&|p| p.0) + sd(&|p| p.1));
            (s * n.powf(-1.0 / 6.0)).max(1e-6)
        }
    };
    let dens = |set: &[(f64, f64)], p: (f64, f64), skip: Option<usize>| -> f64 {
        let mut s = 0.0;
        for (i, q) in set.iter().enumerate() {
            if Some(i) != skip {
                s += (-((p.0 - q.0).powi(2) + (p.1 - q.1).powi(2)) / (2.0 * h * h)).exp();
            }
        }
        let cnt = set.len() - usize::from(skip.is_some());
        (s / (cnt as f64 * 2.0 * std::f64::consts::PI * h * h)).max(1e-300)
    };
    let kl = te.iter().enumerate().map(|(i, &p)| (dens(&te, p, Some(i)) / dens(&tr, p, None)).ln()).sum::<f64>() / te.len() as f64;
    Ok(kl)
}

/// Counts of a certified-defence check on x'.
#[derive(Copy, Clone, Debug, Default, PartialEq, Serialize)]
pub struct Verified {
    /// Digits.
    pub n: usize,
    /// Misclassified at x'.
    pub clean_err: usize,
    /// Misclassified or not verified at ε by IBP or CROWN-IBP (β = 1): the verified error.
    pub verified_err: usize,
}

/// Verified error of an MLP on `x` (B x 784, e.g. x') at L∞ radius `eps`: a digit is verified when IBP or
/// CROWN-IBP (the verify lab's bounds, adaptive lower slope) proves every margin `z_y − z_j` positive on the whole
/// ball. Digits are bounded in chunks of 100.
///
/// # Errors
/// As [`crate::labs::verify::margin_bounds`].
pub fn verified_error(m: &Mlp, x: ArrayView2<f32>, labels: &[u8], eps: f32) -> Result<Verified> {
    let (i, k) = (m.inputs(), m.classes());
    if x.dim() != (labels.len(), i) {
        return Err(Error::shape("verified_error", format!("x must be {}x{i}, is {}x{}", labels.len(), x.nrows(), x.ncols())));
    }
    let chunk = 100;
    let parts = crate::par::map_range(labels.len().div_ceil(chunk), |p| -> Result<Verified> {
        let (s, e) = (p * chunk, ((p + 1) * chunk).min(labels.len()));
        let (xs, ys) = (x.slice(s![s..e, ..]), &labels[s..e]);
        let pred = argmax_rows(Mlp::logits(m, xs)?.view());
        let lo_ibp = nd::into_vec(margin_bounds(m, xs, ys, eps, Method::Ibp, 1.0, LowerSlope::Adaptive)?.0);
        let lo_ci = nd::into_vec(margin_bounds(m, xs, ys, eps, Method::CrownIbp, 1.0, LowerSlope::Adaptive)?.0);
        let mut v = Verified { n: e - s, ..Default::default() };
        for b in 0..e - s {
            let y = ys[b] as usize;
            let wrong = pred[b] != y;
            let ok = |lo: &[f32]| (0..k).all(|j| j == y || lo[b * k + j] > 0.0);
            v.clean_err += usize::from(wrong);
            v.verified_err += usize::from(wrong || !(ok(&lo_ibp) || ok(&lo_ci)));
        }
        Ok(v)
    });
    let mut tot = Verified::default();
    for p in parts {
        let p = p?;
        tot.n += p.n;
        tot.clean_err += p.clean_err;
        tot.verified_err += p.verified_err;
    }
    Ok(tot)
}

/// Training recipe of the lab's CNNs: natural (`eps = 0`) or Madry-style PGD adversarial training (every minibatch
/// replaced by its PGD adversarial examples), ε ramped linearly over the first `ramp_epochs` epochs.
#[derive(Clone, Debug, Serialize, serde::Deserialize)]
pub struct TrainConfig {
    /// conv1, conv2 channels and hidden width.
    pub widths: [usize; 3],
    /// Epochs over the training digits.
    pub epochs: usize,
    /// Minibatch size.
    pub batch: usize,
    /// Adam step size.
    pub lr: f32,
    /// The step size is halved at these epochs.
    pub lr_halve_at: Vec<usize>,
    /// Training ε (0: natural training).
    pub eps: f32,
    /// Epochs over which ε grows linearly from 0 (per minibatch) to `eps`.
    pub ramp_epochs: usize,
    /// PGD steps during training (step size 2.5·ε/steps, one random start).
    pub pgd_steps: usize,
    /// Seed of the initialisation, the shuffling and the PGD starts.
    pub seed: u64,
}

/// After each epoch: the epoch, mean training loss (on the adversarial examples when ε > 0), training accuracy on
/// them, and seconds so far.
#[derive(Copy, Clone, Debug, Serialize)]
pub struct EpochStats {
    /// Epoch index, from 1.
    pub epoch: usize,
    /// Mean loss.
    pub loss: f64,
    /// Accuracy on the minibatches trained on.
    pub acc: f64,
    /// ε used at the end of the epoch.
    pub eps: f32,
}

/// Trains a [`Cnn`] on `images` (N x 784) and `labels` (N) with `cfg`; calls `progress` after each epoch.
///
/// # Errors
/// [`Error::Range`] for an empty set or a zero batch; errors of the layers.
pub fn train(cfg: &TrainConfig, images: ArrayView2<f32>, labels: &[u8], mut progress: impl FnMut(&EpochStats, &Cnn)) -> Result<Cnn> {
    let n = labels.len();
    if n == 0 || cfg.batch == 0 || images.dim() != (n, PIXELS) {
        return Err(Error::range("training set", format!("{n} labels, {}x{} pixels, batch {}: need N x 784 pixels and a batch ≥ 1", images.nrows(), images.ncols(), cfg.batch)));
    }
    let images = nd::standard(images);
    let images = nd::slice_of("train", &images)?;
    let mut rng = Rng::new(cfg.seed);
    let [c1, c2, h] = cfg.widths;
    let mut m = Cnn::new(c1, c2, h, &mut rng)?;
    let mut opt = crate::nn::Adam::new(cfg.lr, &m.param_sizes());
    let mut order: Vec<usize> = (0..n).collect();
    let steps_per_epoch = n.div_ceil(cfg.batch);
    let ramp = (cfg.ramp_epochs * steps_per_epoch).max(1);
    let mut step = 0usize;
    for epoch in 0..cfg.epochs {
        if cfg.lr_halve_at.contains(&epoch) {
            opt.lr *= 0.5;
        }
        rng.shuffle(&mut order);
        let (mut loss_sum, mut correct, mut eps_now) = (0.0f64, 0usize, 0.0f32);
        for (bi, idx) in order.chunks(cfg.batch).enumerate() {
            let b = idx.len();
            let mut x: Vec<f32> = Vec::with_capacity(b * PIXELS);
            for &i in idx {
                x.extend_from_slice(&images[i * PIXELS..(i + 1) * PIXELS]);
            }
            let y: Vec<u8> = idx.iter().map(|&i| labels[i]).collect();
            eps_now = if cfg.ramp_epochs == 0 { cfg.eps } else { cfg.eps * ((step + 1) as f32 / ramp as f32).min(1.0) };
            if eps_now > 0.0 && cfg.pgd_steps > 0 {
                let acfg = AttackConfig { eps: eps_now, steps: cfg.pgd_steps, restarts: 1, step_size: None, loss: Loss::CrossEntropy, seed: cfg.seed ^ (epoch as u64) << 32 };
                x = pgd_train_batch(&m, &x, &y, epoch * n + bi * cfg.batch, &acfg)?;
            }
            let (z, cache) = m.forward(nd::view("train", &x, (b, PIXELS))?)?;
            let (loss, dz) = softmax_cross_entropy(z.view(), (&y[..]).into())?;
            correct += argmax_rows(z.view()).iter().zip(&y).filter(|(&p, &t)| p == t as usize).count();
            loss_sum += f64::from(loss) * b as f64;
            let mut g = CnnGrads::zeros(&m);
            m.backward(&cache, dz.view(), Some(&mut g), false)?;
            opt.step(&mut m.params_mut(), &g.as_slices());
            step += 1;
        }
        progress(&EpochStats { epoch: epoch + 1, loss: loss_sum / n as f64, acc: correct as f64 / n as f64, eps: eps_now }, &m);
    }
    Ok(m)
}

/// The training-time adversary: PGD on the cross-entropy that runs all `steps` (no early stop on success, as in
/// Madry et al.'s training), returning the last iterate.
fn pgd_train_batch(m: &Cnn, x: &[f32], labels: &[u8], first: usize, cfg: &AttackConfig) -> Result<Vec<f32>> {
    let b = labels.len();
    let ys: Vec<usize> = labels.iter().map(|&y| y as usize).collect();
    let mut cur = x.to_vec();
    for bi in 0..b {
        let mut rng = digit_rng(cfg.seed, first + bi, 0);
        for j in bi * PIXELS..(bi + 1) * PIXELS {
            cur[j] = (x[j] + rng.uniform_in(-cfg.eps, cfg.eps)).clamp(0.0, 1.0);
        }
    }
    let step = 2.5 * cfg.eps / cfg.steps as f32;
    let dlogits = |z: ArrayView2<f32>| logit_grads(Loss::CrossEntropy, z, &ys);
    for _ in 0..cfg.steps {
        let (_, dx) = input_grad_flat(m, &cur, b, &dlogits)?;
        for j in 0..cur.len() {
            let s = if dx[j] > 0.0 { step } else if dx[j] < 0.0 { -step } else { 0.0 };
            cur[j] = (cur[j] + s).clamp(x[j] - cfg.eps, x[j] + cfg.eps).clamp(0.0, 1.0);
        }
    }
    Ok(cur)
}
