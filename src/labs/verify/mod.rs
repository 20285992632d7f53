//! Certified robustness of ReLU networks: IBP, CROWN and CROWN-IBP bounds, their gradients for verified training, and
//! a PGD attack.
//!
//! Paper: Zhang, Chen, Xiao, Gowal, Stanforth, Li, Boning & Hsieh, "Towards Stable and Efficient Training of
//! Verifiably Robust Neural Networks" (ICLR 2020; arXiv:1906.06316), referred to as *the paper* below.
//!
//! Legend: B batch, I inputs (784), K classes (10), S rows of a specification, n_l width of layer l, L linear layers.
//! The network is an [`Mlp`]: `z_l = W_l a_l + b_l` with `a_0 = x`, `a_{l+1} = relu(z_l)`, logits `z_{L-1}`.
//!
//! Specification: for true label y, `C = e_y - e_j` row by row (the paper's eq. 2), so margin `m_j = z_y - z_j`; we keep
//! all K rows and row y is zero, so `m_y = 0` always. The input set is the L-infinity ball of radius epsilon around
//! x, intersected with the valid pixel range `[0, 1]`. A digit is *verified* when the lower bound `m_j > 0` for every
//! `j != y`; the *verified error* counts digits that are misclassified or not verified.
//!
//! - IBP (interval bound propagation, eq. 5): boxes through every layer; the last layer is merged with C
//!   ("elision"), as in the paper.
//! - CROWN (Zhang et al. 2018): a backward pass of linear bounds from the specification to the input, relaxing each
//!   unstable ReLU (l < 0 < u) by the upper line `u (z - l) / (u - l)` and the lower line `alpha z` with the
//!   *adaptive* slope alpha = 1 if u > -l else 0 (the paper's sec. 3.2). Full CROWN also bounds every hidden layer
//!   this way; we intersect each such bound with the IBP box of the same neuron (both are sound, so the
//!   intersection is too).
//! - CROWN-IBP: hidden-layer bounds from IBP, the final layer by the CROWN backward pass (eq. 7). The training
//!   bound mixes them: `beta * CROWN-IBP + (1 - beta) * IBP` (eq. 8).
//! - Training loss (eq. 8): `kappa * CE(z, y) + (1 - kappa) * CE(-m_lower, y)`, with kappa, beta and epsilon
//!   scheduled over training (sec. 4); gradients flow through the bounds, including the relaxation slopes.

use std::str::FromStr;

use ndarray::{Array2, ArrayView2, CowArray, Ix2};

use crate::error::{Error, Result};
use crate::kernels::gemm::{gemm, MatRef};
use crate::nd;
use crate::nn::layers::{argmax_rows, softmax_cross_entropy};
use crate::nn::mlp::{Mlp, MlpGrads};
use crate::nn::Rng;

pub mod net;
#[cfg(not(target_arch = "wasm32"))]
pub mod ship;

pub use net::{Net, NetGrads, Op};

/// The row-major values of `x` (from [`nd::standard`]) after checking that it is `batch x inputs`.
///
/// # Errors
/// [`Error::Shape`] naming `op` when the rows are not one per label or the columns not the model's inputs.
pub(crate) fn batch_rows<'a>(op: &'static str, x: &'a CowArray<'_, f32, Ix2>, batch: usize, inputs: usize) -> Result<&'a [f32]> {
    if x.dim() != (batch, inputs) {
        return Err(Error::shape(op, format!("x must be {batch}x{inputs} (one row of {inputs} pixels per label), is {}x{}", x.nrows(), x.ncols())));
    }
    nd::slice_of(op, x)
}

/// The (lower, upper) margin vectors (each B x K) as arrays.
fn margin_arrays(op: &'static str, (lo, up): (Vec<f32>, Vec<f32>), batch: usize, k: usize) -> Result<(Array2<f32>, Array2<f32>)> {
    Ok((nd::array(op, lo, (batch, k))?, nd::array(op, up, (batch, k))?))
}

/// What the attack and the counting loops need from a model: an MLP ([`Mlp`]) or a conv net ([`Net`]).
pub trait Verifiable: Sync {
    /// Input width (784).
    fn n_inputs(&self) -> usize;
    /// Number of classes (10).
    fn n_classes(&self) -> usize;
    /// Logits, B x K, of `x` B x I.
    ///
    /// # Errors
    /// [`Error::Shape`] when `x` does not have I columns.
    fn logits_of(&self, x: ArrayView2<f32>) -> Result<Array2<f32>>;
    /// Logits (B x K) and the input gradient (B x I) of the loss whose logit gradient `dl(logits)` (B x K) returns.
    ///
    /// # Errors
    /// As [`Verifiable::logits_of`], and [`Error::Shape`] when `dl` does not return B x K.
    fn input_grad(&self, x: ArrayView2<f32>, dl: &dyn Fn(ArrayView2<f32>) -> Array2<f32>) -> Result<(Array2<f32>, Array2<f32>)>;
    /// Margin bounds `(lower, upper)`, B x K (see [`margin_bounds`]).
    ///
    /// # Errors
    /// As [`margin_bounds`].
    fn bounds(&self, x: ArrayView2<f32>, labels: &[u8], eps: f32, method: Method, beta: f32, slope: LowerSlope) -> Result<(Array2<f32>, Array2<f32>)>;
    /// The lower margin bounds alone (B x K), all a verified-error count needs; the lower half of
    /// [`Verifiable::bounds`] (a model may compute it more cheaply, as [`Net::margin_lower`] does).
    ///
    /// # Errors
    /// As [`Verifiable::bounds`].
    fn lower_bounds(&self, x: ArrayView2<f32>, labels: &[u8], eps: f32, method: Method, beta: f32, slope: LowerSlope) -> Result<Array2<f32>> {
        Ok(self.bounds(x, labels, eps, method, beta, slope)?.0)
    }
}

impl Verifiable for Mlp {
    fn n_inputs(&self) -> usize {
        self.inputs()
    }
    fn n_classes(&self) -> usize {
        self.classes()
    }
    fn logits_of(&self, x: ArrayView2<f32>) -> Result<Array2<f32>> {
        self.logits(x)
    }
    fn input_grad(&self, x: ArrayView2<f32>, dl: &dyn Fn(ArrayView2<f32>) -> Array2<f32>) -> Result<(Array2<f32>, Array2<f32>)> {
        let (logits, cache) = self.forward(x)?;
        let d = dl(logits.view());
        let mut g = MlpGrads::zeros(self);
        let dx = self.backward(&cache, d.view(), &mut g, true)?.ok_or_else(|| Error::shape("input_grad", "the MLP returned no input gradient"))?;
        Ok((logits, dx))
    }
    fn bounds(&self, x: ArrayView2<f32>, labels: &[u8], eps: f32, method: Method, beta: f32, slope: LowerSlope) -> Result<(Array2<f32>, Array2<f32>)> {
        margin_bounds(self, x, labels, eps, method, beta, slope)
    }
}

impl Verifiable for Net {
    fn n_inputs(&self) -> usize {
        self.inputs()
    }
    fn n_classes(&self) -> usize {
        self.classes()
    }
    fn logits_of(&self, x: ArrayView2<f32>) -> Result<Array2<f32>> {
        self.logits(x)
    }
    fn input_grad(&self, x: ArrayView2<f32>, dl: &dyn Fn(ArrayView2<f32>) -> Array2<f32>) -> Result<(Array2<f32>, Array2<f32>)> {
        let (logits, cache) = self.forward(x)?;
        let d = dl(logits.view());
        let mut g = NetGrads::zeros(self);
        let dx = self.backward(&cache, d.view(), &mut g, true)?.ok_or_else(|| Error::shape("input_grad", "the net returned no input gradient"))?;
        Ok((logits, dx))
    }
    fn bounds(&self, x: ArrayView2<f32>, labels: &[u8], eps: f32, method: Method, beta: f32, slope: LowerSlope) -> Result<(Array2<f32>, Array2<f32>)> {
        self.margin_bounds(x, labels, eps, method, beta, slope)
    }
    fn lower_bounds(&self, x: ArrayView2<f32>, labels: &[u8], eps: f32, method: Method, beta: f32, slope: LowerSlope) -> Result<Array2<f32>> {
        self.margin_lower(x, labels, eps, method, beta, slope)
    }
}

/// How to bound the margins.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub enum Method {
    /// Interval bound propagation.
    Ibp,
    /// Full CROWN: every layer bounded by a backward linear-relaxation pass.
    Crown,
    /// IBP for the hidden layers, CROWN for the specification, mixed with IBP by beta.
    CrownIbp,
}

impl FromStr for Method {
    type Err = Error;
    fn from_str(s: &str) -> Result<Self> {
        match s.to_ascii_lowercase().as_str() {
            "ibp" => Ok(Method::Ibp),
            "crown" => Ok(Method::Crown),
            "crown-ibp" | "crownibp" | "crown_ibp" => Ok(Method::CrownIbp),
            _ => Err(Error::range("method", format!("'{s}' is not one of ibp, crown, crown-ibp"))),
        }
    }
}

impl Method {
    /// The name used in URLs and manifests.
    pub fn name(self) -> &'static str {
        match self {
            Method::Ibp => "ibp",
            Method::Crown => "crown",
            Method::CrownIbp => "crown-ibp",
        }
    }
}

/// The lower line `alpha z` CROWN uses for an unstable ReLU (`l < 0 < u`); any alpha in `[0, 1]` is sound.
///
/// The paper (sec. 3.2) uses the *adaptive* choice. It is not monotone in epsilon: as boxes grow, a neuron's
/// `u > -l` test can flip, and on an IBP-trained net alpha = 1 is often far looser than alpha = 0, so a larger
/// epsilon can give a *tighter* CROWN bound. The lab lets the user compare the choices. Training always uses
/// [`LowerSlope::Adaptive`] (its gradient treats alpha as a constant, as the paper's implementation does).
#[derive(Copy, Clone, Debug, PartialEq, Eq, Default)]
pub enum LowerSlope {
    /// alpha = 1 if u > -l else 0 (CROWN-Ada; the paper's choice).
    #[default]
    Adaptive,
    /// alpha = 0.
    Zero,
    /// alpha = 1.
    One,
    /// alpha = u / (u - l), parallel to the upper line (as in Fast-Lin / DeepZ-style relaxations).
    Parallel,
}

impl FromStr for LowerSlope {
    type Err = Error;
    fn from_str(s: &str) -> Result<Self> {
        match s.to_ascii_lowercase().as_str() {
            "adaptive" => Ok(LowerSlope::Adaptive),
            "zero" | "0" => Ok(LowerSlope::Zero),
            "one" | "1" => Ok(LowerSlope::One),
            "parallel" => Ok(LowerSlope::Parallel),
            _ => Err(Error::range("lower slope", format!("'{s}' is not one of adaptive, zero, one, parallel"))),
        }
    }
}

/// Checks epsilon: finite and in `[0, 1]` (pixels are in `[0, 1]`, so a larger ball adds nothing).
///
/// # Errors
/// [`Error::Range`] otherwise.
pub fn check_eps(eps: f32) -> Result<()> {
    if eps.is_finite() && (0.0..=1.0).contains(&eps) {
        Ok(())
    } else {
        Err(Error::range("epsilon", format!("{eps} must be a number in [0, 1]")))
    }
}

/// The input box in centre/radius form: `[max(x - eps, 0), min(x + eps, 1)]`. Shapes: `x` B x I; returns (c, r).
pub fn input_box(x: &[f32], eps: f32) -> (Vec<f32>, Vec<f32>) {
    let mut c = Vec::with_capacity(x.len());
    let mut r = Vec::with_capacity(x.len());
    for &v in x {
        let lo = (v - eps).max(0.0);
        let hi = (v + eps).min(1.0);
        c.push(0.5 * (hi + lo));
        r.push(0.5 * (hi - lo));
    }
    (c, r)
}

/// Pre-activation bounds of the hidden layers: `lo[l]`, `up[l]` (B x n_{l+1}) for `l = 0..L-1`.
#[derive(Clone, Debug)]
pub struct LayerBounds {
    pub lo: Vec<Vec<f32>>,
    pub up: Vec<Vec<f32>>,
}

/// What IBP keeps for its backward: the box (centre, radius) entering every layer and the hidden bounds.
#[derive(Clone, Debug)]
struct IbpCache {
    c: Vec<Vec<f32>>,
    r: Vec<Vec<f32>>,
    bounds: LayerBounds,
}

fn abs_all(m: &Mlp) -> Vec<Vec<f32>> {
    m.w.iter().map(|w| crate::kernels::interval::abs(w)).collect()
}

/// IBP through the hidden layers. Shapes: `c0`, `r0` B x I. Returns the cache with `c[l], r[l]` the box of `a_l`
/// (l = 0..L-1) and the hidden pre-activation bounds.
fn ibp_hidden(m: &Mlp, absw: &[Vec<f32>], c0: &[f32], r0: &[f32], batch: usize, tighter: Option<&LayerBounds>) -> Result<IbpCache> {
    let nl = m.layers();
    let mut c = vec![c0.to_vec()];
    let mut r = vec![r0.to_vec()];
    let mut lo_all = Vec::new();
    let mut up_all = Vec::new();
    for l in 0..nl - 1 {
        let (zc, zr) = crate::kernels::interval::affine_box(&m.w[l], &absw[l], &m.b[l], m.dims[l + 1], m.dims[l], &c[l], &r[l], batch)?;
        let mut lo: Vec<f32> = zc.iter().zip(&zr).map(|(a, b)| a - b).collect();
        let mut up: Vec<f32> = zc.iter().zip(&zr).map(|(a, b)| a + b).collect();
        if let Some(t) = tighter {
            for (x, y) in lo.iter_mut().zip(&t.lo[l]) {
                *x = x.max(*y);
            }
            for (x, y) in up.iter_mut().zip(&t.up[l]) {
                *x = x.min(*y);
            }
        }
        let (cn, rn): (Vec<f32>, Vec<f32>) = lo
            .iter()
            .zip(&up)
            .map(|(&a, &b)| {
                let (a, b) = (a.max(0.0), b.max(0.0));
                (0.5 * (b + a), 0.5 * (b - a))
            })
            .unzip();
        c.push(cn);
        r.push(rn);
        lo_all.push(lo);
        up_all.push(up);
    }
    Ok(IbpCache { c, r, bounds: LayerBounds { lo: lo_all, up: up_all } })
}

/// The specification rows for each example: `spec[b]` is S x K. With `both`, rows `0..K` are `e_y - e_j` and rows
/// `K..2K` their negation (for upper bounds); else only the first K.
fn margin_spec(labels: &[u8], k: usize, both: bool) -> Vec<f32> {
    let s = if both { 2 * k } else { k };
    let mut spec = vec![0.0; labels.len() * s * k];
    for (b, &y) in labels.iter().enumerate() {
        for j in 0..k {
            if j == y as usize {
                continue;
            }
            let row = &mut spec[(b * s + j) * k..(b * s + j + 1) * k];
            row[y as usize] = 1.0;
            row[j] = -1.0;
            if both {
                let row = &mut spec[(b * s + k + j) * k..(b * s + k + j + 1) * k];
                row[y as usize] = -1.0;
                row[j] = 1.0;
            }
        }
    }
    spec
}

/// IBP lower bound of `spec z_{L-1}` with the last layer merged into the specification. Shapes: `spec` B x S x K,
/// box of `a_{L-1}` B x n. Returns the lower bound (B x S) and the merged `W_c = spec W` (B*S x n) and `b_c`.
fn ibp_spec(m: &Mlp, spec: &[f32], s: usize, c: &[f32], r: &[f32], batch: usize) -> Result<(Vec<f32>, Vec<f32>, Vec<f32>)> {
    let last = m.layers() - 1;
    let (k, n) = (m.dims[last + 1], m.dims[last]);
    let mut wc = vec![0.0; batch * s * n];
    gemm(1.0, MatRef::new(spec, batch * s, k), MatRef::new(&m.w[last], k, n), 0.0, &mut wc, n, 1)?;
    let mut bc = vec![0.0; batch * s];
    gemm(1.0, MatRef::new(spec, batch * s, k), MatRef::new(&m.b[last], k, 1), 0.0, &mut bc, 1, 1)?;
    let mut lb = vec![0.0; batch * s];
    for b in 0..batch {
        let (cb, rb) = (&c[b * n..(b + 1) * n], &r[b * n..(b + 1) * n]);
        for q in 0..s {
            let w = &wc[(b * s + q) * n..(b * s + q + 1) * n];
            let mut acc = bc[b * s + q];
            for j in 0..n {
                acc += w[j] * cb[j] - w[j].abs() * rb[j];
            }
            lb[b * s + q] = acc;
        }
    }
    Ok((lb, wc, bc))
}

/// Relaxation of one ReLU with pre-activation bounds `[lo, up]`, for a coefficient of the given sign, in a lower
/// bound: returns `(slope, intercept, upper_line_used)`.
#[inline]
fn relax(lo: f32, up: f32, coef_nonneg: bool, slope: LowerSlope) -> (f32, f32, bool) {
    if lo >= 0.0 {
        (1.0, 0.0, false)
    } else if up <= 0.0 {
        (0.0, 0.0, false)
    } else if coef_nonneg {
        // lower line alpha * z
        let alpha = match slope {
            LowerSlope::Adaptive => {
                if up > -lo {
                    1.0
                } else {
                    0.0
                }
            }
            LowerSlope::Zero => 0.0,
            LowerSlope::One => 1.0,
            LowerSlope::Parallel => up / (up - lo),
        };
        (alpha, 0.0, false)
    } else {
        let su = up / (up - lo);
        (su, -su * lo, true)
    }
}

/// What the CROWN backward pass keeps for its own backward.
struct CrownCache {
    /// `lam_in[l]` coefficient on z_l (B*S x n_{l+1}), for l = top..=0 stored at index l.
    lam_in: Vec<Vec<f32>>,
    /// `lam_a[l]` coefficient on a_l (B*S x n_l).
    lam_a: Vec<Vec<f32>>,
}

/// CROWN lower bound of `spec z_top` over the input box, given bounds of the hidden pre-activations below `top`.
/// Shapes: `spec` B x S x n_{top+1}; `c0, r0` B x I. Returns the lower bound B x S.
fn crown_lower(
    m: &Mlp,
    top: usize,
    spec: &[f32],
    s: usize,
    bounds: &LayerBounds,
    c0: &[f32],
    r0: &[f32],
    batch: usize,
    keep: bool,
    slope: LowerSlope,
) -> Result<(Vec<f32>, Option<CrownCache>)> {
    let bs = batch * s;
    let mut bias = vec![0.0f32; bs];
    let mut lam = spec.to_vec();
    let mut lam_in: Vec<Vec<f32>> = vec![Vec::new(); top + 1];
    let mut lam_a: Vec<Vec<f32>> = vec![Vec::new(); top + 1];
    let mut l = top;
    loop {
        let (no, ni) = (m.dims[l + 1], m.dims[l]);
        // bias += lam . b_l
        for (q, row) in lam.chunks(no).enumerate() {
            bias[q] += row.iter().zip(&m.b[l]).map(|(a, b)| a * b).sum::<f32>();
        }
        let mut la = vec![0.0; bs * ni];
        gemm(1.0, MatRef::new(&lam, bs, no), MatRef::new(&m.w[l], no, ni), 0.0, &mut la, ni, 1)?;
        if keep {
            lam_in[l] = std::mem::take(&mut lam);
        }
        if l == 0 {
            let mut lb = bias;
            for b in 0..batch {
                let (cb, rb) = (&c0[b * ni..(b + 1) * ni], &r0[b * ni..(b + 1) * ni]);
                for q in 0..s {
                    let row = &la[(b * s + q) * ni..(b * s + q + 1) * ni];
                    let mut acc = 0.0f32;
                    for j in 0..ni {
                        acc += row[j] * cb[j] - row[j].abs() * rb[j];
                    }
                    lb[b * s + q] += acc;
                }
            }
            if keep {
                lam_a[0] = la;
            }
            let cache = if keep { Some(CrownCache { lam_in, lam_a }) } else { None };
            return Ok((lb, cache));
        }
        // relax a_l = relu(z_{l-1})
        let (blo, bup) = (&bounds.lo[l - 1], &bounds.up[l - 1]);
        let mut next = vec![0.0; bs * ni];
        for b in 0..batch {
            let (lo, up) = (&blo[b * ni..(b + 1) * ni], &bup[b * ni..(b + 1) * ni]);
            for q in 0..s {
                let o = (b * s + q) * ni;
                let mut acc = 0.0f32;
                for j in 0..ni {
                    let v = la[o + j];
                    let (d, e, _) = relax(lo[j], up[j], v >= 0.0, slope);
                    next[o + j] = v * d;
                    acc += v * e;
                }
                bias[b * s + q] += acc;
            }
        }
        if keep {
            lam_a[l] = la;
        }
        lam = next;
        l -= 1;
    }
}

/// Backward of [`crown_lower`] (bounds from IBP): from `dlb` (B x S) accumulates weight gradients into `g` and
/// returns `(dlo, dup)` for the hidden bounds.
#[allow(clippy::too_many_arguments)]
fn crown_lower_backward(
    m: &Mlp,
    top: usize,
    s: usize,
    bounds: &LayerBounds,
    c0: &[f32],
    r0: &[f32],
    batch: usize,
    cache: &CrownCache,
    dlb: &[f32],
    g: &mut MlpGrads,
) -> Result<(Vec<Vec<f32>>, Vec<Vec<f32>>)> {
    let bs = batch * s;
    let mut dlo: Vec<Vec<f32>> = bounds.lo.iter().map(|v| vec![0.0; v.len()]).collect();
    let mut dup: Vec<Vec<f32>> = bounds.up.iter().map(|v| vec![0.0; v.len()]).collect();
    // dbias = dlb everywhere (bias enters the bound with coefficient 1).
    let dbias = dlb;
    // Final contraction: lb = la0 . c0 - |la0| . r0
    let ni0 = m.dims[0];
    let la0 = &cache.lam_a[0];
    let mut dla = vec![0.0; bs * ni0];
    for b in 0..batch {
        let (cb, rb) = (&c0[b * ni0..(b + 1) * ni0], &r0[b * ni0..(b + 1) * ni0]);
        for q in 0..s {
            let o = (b * s + q) * ni0;
            let d = dlb[b * s + q];
            for j in 0..ni0 {
                let sg = if la0[o + j] > 0.0 { 1.0 } else if la0[o + j] < 0.0 { -1.0 } else { 0.0 };
                dla[o + j] = d * (cb[j] - sg * rb[j]);
            }
        }
    }
    for l in 0..=top {
        let (no, ni) = (m.dims[l + 1], m.dims[l]);
        if l > 0 {
            // dla currently holds d(lam_in[l-1])... handled below; here dla is d(lam_a[l]) already.
        }
        // A^T: lam_a[l] = lam_in[l] W_l ; bias += lam_in[l] . b_l
        let lin = &cache.lam_in[l];
        let mut dlin = vec![0.0; bs * no];
        gemm(1.0, MatRef::new(&dla, bs, ni), MatRef::new(&m.w[l], no, ni).t(), 0.0, &mut dlin, no, 1)?;
        gemm(1.0, MatRef::new(lin, bs, no).t(), MatRef::new(&dla, bs, ni), 1.0, &mut g.dw[l], ni, 1)?;
        for q in 0..bs {
            let row = &lin[q * no..(q + 1) * no];
            let dq = dbias[q];
            for j in 0..no {
                g.db[l][j] += dq * row[j];
                dlin[q * no + j] += dq * m.b[l][j];
            }
        }
        if l == top {
            break;
        }
        // B^T: lam_in[l] = lam_a[l+1] * D_l ; bias += sum lam_a[l+1] * E_l (relaxation of a_{l+1} = relu(z_l))
        let la = &cache.lam_a[l + 1];
        let (blo, bup) = (&bounds.lo[l], &bounds.up[l]);
        let mut dla_next = vec![0.0; bs * no];
        for b in 0..batch {
            let (lo, up) = (&blo[b * no..(b + 1) * no], &bup[b * no..(b + 1) * no]);
            for q in 0..s {
                let o = (b * s + q) * no;
                let dq = dbias[b * s + q];
                for j in 0..no {
                    let v = la[o + j];
                    let (d, e, upper) = relax(lo[j], up[j], v >= 0.0, LowerSlope::Adaptive);
                    dla_next[o + j] = dlin[o + j] * d + dq * e;
                    if upper {
                        let dd = dlin[o + j] * v; // d(lb)/d(slope)
                        let de = dq * v; // d(lb)/d(intercept)
                        let (l0, u0) = (lo[j], up[j]);
                        let w = u0 - l0;
                        let su = u0 / w;
                        let dsu_dl = u0 / (w * w);
                        let dsu_du = -l0 / (w * w);
                        // intercept = -su * lo
                        let de_dl = -su - l0 * dsu_dl;
                        let de_du = -l0 * dsu_du;
                        dlo[l][b * no + j] += dd * dsu_dl + de * de_dl;
                        dup[l][b * no + j] += dd * dsu_du + de * de_du;
                    }
                }
            }
        }
        dla = dla_next;
    }
    Ok((dlo, dup))
}

/// Backward of IBP through the hidden layers: from gradients w.r.t. the box of `a_{L-1}` (`dc`, `dr`) and the
/// hidden bounds (`dlo`, `dup`), accumulates into `g`.
fn ibp_hidden_backward(m: &Mlp, absw: &[Vec<f32>], cache: &IbpCache, mut dc: Vec<f32>, mut dr: Vec<f32>, mut dlo: Vec<Vec<f32>>, mut dup: Vec<Vec<f32>>, batch: usize, g: &mut MlpGrads) -> Result<()> {
    let nl = m.layers();
    for l in (0..nl - 1).rev() {
        let (no, ni) = (m.dims[l + 1], m.dims[l]);
        let (lo, up) = (&cache.bounds.lo[l], &cache.bounds.up[l]);
        // a-box = (relu(up) + relu(lo))/2, (relu(up) - relu(lo))/2
        for j in 0..batch * no {
            let dhu = 0.5 * (dc[j] + dr[j]);
            let dhl = 0.5 * (dc[j] - dr[j]);
            if up[j] > 0.0 {
                dup[l][j] += dhu;
            }
            if lo[j] > 0.0 {
                dlo[l][j] += dhl;
            }
        }
        let dzc: Vec<f32> = dlo[l].iter().zip(&dup[l]).map(|(a, b)| a + b).collect();
        let dzr: Vec<f32> = dlo[l].iter().zip(&dup[l]).map(|(a, b)| b - a).collect();
        // zc = c W^T + b
        gemm(1.0, MatRef::new(&dzc, batch, no).t(), MatRef::new(&cache.c[l], batch, ni), 1.0, &mut g.dw[l], ni, 1)?;
        for row in dzc.chunks(no) {
            for (d, v) in g.db[l].iter_mut().zip(row) {
                *d += v;
            }
        }
        // zr = r |W|^T : d|W| = dzr^T r, dW += sign(W) * d|W|
        let mut dabs = vec![0.0; no * ni];
        gemm(1.0, MatRef::new(&dzr, batch, no).t(), MatRef::new(&cache.r[l], batch, ni), 0.0, &mut dabs, ni, 1)?;
        for ((d, &w), a) in g.dw[l].iter_mut().zip(&m.w[l]).zip(&dabs) {
            if w > 0.0 {
                *d += a;
            } else if w < 0.0 {
                *d -= a;
            }
        }
        if l > 0 {
            let mut ndc = vec![0.0; batch * ni];
            gemm(1.0, MatRef::new(&dzc, batch, no), MatRef::new(&m.w[l], no, ni), 0.0, &mut ndc, ni, 1)?;
            let mut ndr = vec![0.0; batch * ni];
            gemm(1.0, MatRef::new(&dzr, batch, no), MatRef::new(&absw[l], no, ni), 0.0, &mut ndr, ni, 1)?;
            dc = ndc;
            dr = ndr;
        }
    }
    Ok(())
}

/// Margin bounds for a batch: returns `(lower, upper)`, each B x K, for `m_j = z_y - z_j` over the epsilon ball.
///
/// Shapes: `x` B x I with pixels in `[0, 1]`, `labels` B. `beta` in `[0, 1]` is used by [`Method::CrownIbp`] only
/// (`beta = 1`: pure CROWN-IBP; `0`: pure IBP). `slope` picks CROWN's lower line (IBP ignores it). At `eps = 0` all
/// methods return the exact margins.
///
/// # Errors
/// [`Error::Range`] for a bad epsilon, beta or label; [`Error::Shape`] for mismatched lengths.
pub fn margin_bounds(m: &Mlp, x: ArrayView2<f32>, labels: &[u8], eps: f32, method: Method, beta: f32, slope: LowerSlope) -> Result<(Array2<f32>, Array2<f32>)> {
    check_eps(eps)?;
    if !(0.0..=1.0).contains(&beta) {
        return Err(Error::range("beta", format!("{beta} must be in [0, 1]")));
    }
    let (k, i) = (m.classes(), m.inputs());
    let batch = labels.len();
    let xc = nd::standard(x);
    let x = batch_rows("margin_bounds", &xc, batch, i)?;
    if let Some(&y) = labels.iter().find(|&&y| y as usize >= k) {
        return Err(Error::range("label", format!("{y} is not below {k}")));
    }
    let absw = abs_all(m);
    let (c0, r0) = input_box(x, eps);
    let s = 2 * k;
    let spec = margin_spec(labels, k, true);
    let top = m.layers() - 1;
    let lb = match method {
        Method::Ibp => {
            let ic = ibp_hidden(m, &absw, &c0, &r0, batch, None)?;
            ibp_spec(m, &spec, s, &ic.c[top], &ic.r[top], batch)?.0
        }
        Method::CrownIbp => {
            let ic = ibp_hidden(m, &absw, &c0, &r0, batch, None)?;
            let ibp = ibp_spec(m, &spec, s, &ic.c[top], &ic.r[top], batch)?.0;
            let crown = crown_lower(m, top, &spec, s, &ic.bounds, &c0, &r0, batch, false, slope)?.0;
            if beta >= 1.0 {
                crown
            } else {
                crown.iter().zip(&ibp).map(|(a, b)| beta * a + (1.0 - beta) * b).collect()
            }
        }
        Method::Crown => {
            let bounds = crown_hidden_bounds(m, &absw, &c0, &r0, batch, slope)?;
            crown_lower(m, top, &spec, s, &bounds, &c0, &r0, batch, false, slope)?.0
        }
    };
    let mut lower = vec![0.0; batch * k];
    let mut upper = vec![0.0; batch * k];
    for b in 0..batch {
        for j in 0..k {
            lower[b * k + j] = lb[b * s + j];
            upper[b * k + j] = -lb[b * s + k + j];
        }
    }
    margin_arrays("margin_bounds", (lower, upper), batch, k)
}

/// Full-CROWN bounds of every hidden pre-activation, layer by layer, each intersected with IBP from the layer below.
///
/// Only neurons that the IBP box leaves unstable (`lo < 0 < up`) get a CROWN pass: a stable neuron's relaxation is
/// exact whatever its bounds, so tightening them changes no CROWN pass downstream. Digits are processed one at a time
/// (in parallel where threads exist), each with `2 x (its unstable count)` specification rows.
fn crown_hidden_bounds(m: &Mlp, absw: &[Vec<f32>], c0: &[f32], r0: &[f32], batch: usize, slope: LowerSlope) -> Result<LayerBounds> {
    let nl = m.layers();
    let i = m.inputs();
    let mut bounds = LayerBounds { lo: Vec::new(), up: Vec::new() };
    for t in 0..nl - 1 {
        // IBP box for z_t from the tightened bounds below (exact for t = 0).
        let (mut lo, mut up) = ibp_hidden_partial(m, absw, c0, r0, batch, &bounds, t)?;
        if t > 0 {
            let n = m.dims[t + 1];
            let per = crate::par::map_range(batch, |b| -> Result<Vec<(usize, f32, f32)>> {
                let unstable: Vec<usize> = (0..n).filter(|&j| lo[b * n + j] < 0.0 && up[b * n + j] > 0.0).collect();
                if unstable.is_empty() {
                    return Ok(Vec::new());
                }
                let u = unstable.len();
                let s = 2 * u;
                let mut spec = vec![0.0; s * n];
                for (q, &j) in unstable.iter().enumerate() {
                    spec[q * n + j] = 1.0;
                    spec[(u + q) * n + j] = -1.0;
                }
                let one = LayerBounds {
                    lo: bounds.lo.iter().zip(&m.dims[1..]).map(|(v, &w)| v[b * w..(b + 1) * w].to_vec()).collect(),
                    up: bounds.up.iter().zip(&m.dims[1..]).map(|(v, &w)| v[b * w..(b + 1) * w].to_vec()).collect(),
                };
                let (lb, _) = crown_lower(m, t, &spec, s, &one, &c0[b * i..(b + 1) * i], &r0[b * i..(b + 1) * i], 1, false, slope)?;
                Ok(unstable.iter().enumerate().map(|(q, &j)| (j, lb[q], -lb[u + q])).collect())
            });
            for (b, res) in per.into_iter().enumerate() {
                for (j, l, h) in res? {
                    lo[b * n + j] = lo[b * n + j].max(l);
                    up[b * n + j] = up[b * n + j].min(h);
                }
            }
        }
        bounds.lo.push(lo);
        bounds.up.push(up);
    }
    Ok(bounds)
}

/// IBP box of `z_t` using the given (tightened) bounds for layers below t.
fn ibp_hidden_partial(m: &Mlp, absw: &[Vec<f32>], c0: &[f32], r0: &[f32], batch: usize, below: &LayerBounds, t: usize) -> Result<(Vec<f32>, Vec<f32>)> {
    let (mut c, mut r) = (c0.to_vec(), r0.to_vec());
    for l in 0..=t {
        if l > 0 {
            let (lo, up) = (&below.lo[l - 1], &below.up[l - 1]);
            let (cn, rn): (Vec<f32>, Vec<f32>) = lo.iter().zip(up).map(|(&a, &b)| {
                let (a, b) = (a.max(0.0), b.max(0.0));
                (0.5 * (b + a), 0.5 * (b - a))
            }).unzip();
            c = cn;
            r = rn;
        }
        let (zc, zr) = crate::kernels::interval::affine_box(&m.w[l], &absw[l], &m.b[l], m.dims[l + 1], m.dims[l], &c, &r, batch)?;
        if l == t {
            let lo = zc.iter().zip(&zr).map(|(a, b)| a - b).collect();
            let up = zc.iter().zip(&zr).map(|(a, b)| a + b).collect();
            return Ok((lo, up));
        }
    }
    unreachable!("loop returns at l == t")
}

/// Schedules and weights of one CROWN-IBP training step (the paper's eq. 8).
#[derive(Copy, Clone, Debug)]
pub struct RobustLoss {
    /// Radius of the training ball (ramped up during training).
    pub eps: f32,
    /// Weight of the natural cross-entropy, in `[0, 1]` (1 = natural training).
    pub kappa: f32,
    /// Mix of CROWN-IBP (1) and IBP (0) in the robust bound.
    pub beta: f32,
}

/// Loss and gradients of one batch: `kappa * CE(z, y) + (1 - kappa) * CE(-m_lower, y)` with
/// `m_lower = beta * CROWN-IBP + (1 - beta) * IBP`. Shapes: `x` B x I, `labels` B. Returns
/// `(loss, natural CE, robust CE)` in nats and accumulates gradients into `g` (which the caller zeroes).
///
/// # Errors
/// [`Error::Shape`] / [`Error::Range`] on bad input.
pub fn robust_loss_grad(m: &Mlp, x: ArrayView2<f32>, labels: &[u8], opt: RobustLoss, g: &mut MlpGrads) -> Result<(f32, f32, f32)> {
    let batch = labels.len();
    let k = m.classes();
    let xc = nd::standard(x);
    let x = batch_rows("robust_loss_grad", &xc, batch, m.inputs())?;
    // natural part
    let (logits, cache) = m.forward(xc.view())?;
    let (ce_nat, mut dlogits) = softmax_cross_entropy(logits.view(), labels.into())?;
    dlogits.mapv_inplace(|v| v * opt.kappa);
    m.backward(&cache, dlogits.view(), g, false)?;
    if opt.kappa >= 1.0 {
        return Ok((ce_nat, ce_nat, f32::NAN));
    }
    check_eps(opt.eps)?;
    let absw = abs_all(m);
    let (c0, r0) = input_box(x, opt.eps);
    let spec = margin_spec(labels, k, false);
    let s = k;
    let top = m.layers() - 1;
    let ic = ibp_hidden(m, &absw, &c0, &r0, batch, None)?;
    let (lb_ibp, wc, _bc) = ibp_spec(m, &spec, s, &ic.c[top], &ic.r[top], batch)?;
    let use_crown = opt.beta > 0.0;
    let (lb_crown, ccache) = if use_crown {
        let (lb, c) = crown_lower(m, top, &spec, s, &ic.bounds, &c0, &r0, batch, true, LowerSlope::Adaptive)?;
        (lb, c)
    } else {
        (Vec::new(), None)
    };
    let lb: Vec<f32> = if use_crown {
        lb_crown.iter().zip(&lb_ibp).map(|(a, b)| opt.beta * a + (1.0 - opt.beta) * b).collect()
    } else {
        lb_ibp.clone()
    };
    let neg: Vec<f32> = lb.iter().map(|v| -v).collect();
    let (ce_rob, dneg) = softmax_cross_entropy(nd::view("robust_loss_grad", &neg, (batch, k))?, labels.into())?;
    let w_rob = 1.0 - opt.kappa;
    let dlb: Vec<f32> = dneg.iter().map(|d| -d * w_rob).collect();
    // IBP spec backward
    let n = m.dims[top];
    let dlb_ibp: Vec<f32> = dlb.iter().map(|d| d * if use_crown { 1.0 - opt.beta } else { 1.0 }).collect();
    let mut dwc = vec![0.0; batch * s * n];
    let mut dc = vec![0.0; batch * n];
    let mut dr = vec![0.0; batch * n];
    let (cl, rl) = (&ic.c[top], &ic.r[top]);
    for b in 0..batch {
        for q in 0..s {
            let d = dlb_ibp[b * s + q];
            if d == 0.0 {
                continue;
            }
            let o = (b * s + q) * n;
            for j in 0..n {
                let w = wc[o + j];
                let sg = if w > 0.0 { 1.0 } else if w < 0.0 { -1.0 } else { 0.0 };
                dwc[o + j] = d * (cl[b * n + j] - sg * rl[b * n + j]);
                dc[b * n + j] += d * w;
                dr[b * n + j] -= d * w.abs();
            }
        }
    }
    // W_c = spec W_last, b_c = spec b_last
    gemm(1.0, MatRef::new(&spec, batch * s, k).t(), MatRef::new(&dwc, batch * s, n), 1.0, &mut g.dw[top], n, 1)?;
    gemm(1.0, MatRef::new(&spec, batch * s, k).t(), MatRef::new(&dlb_ibp, batch * s, 1), 1.0, &mut g.db[top], 1, 1)?;
    let (dlo, dup) = if let Some(cc) = &ccache {
        let dlb_c: Vec<f32> = dlb.iter().map(|d| d * opt.beta).collect();
        crown_lower_backward(m, top, s, &ic.bounds, &c0, &r0, batch, cc, &dlb_c, g)?
    } else {
        (ic.bounds.lo.iter().map(|v| vec![0.0; v.len()]).collect(), ic.bounds.up.iter().map(|v| vec![0.0; v.len()]).collect())
    };
    ibp_hidden_backward(m, &absw, &ic, dc, dr, dlo, dup, batch, g)?;
    let loss = opt.kappa * ce_nat + w_rob * ce_rob;
    Ok((loss, ce_nat, ce_rob))
}

/// Untargeted L-infinity PGD (Madry et al. 2018) with step size `2.5 * eps / steps`, projecting onto the ball
/// intersected with `[0, 1]` after every step, ascending the cross-entropy as the paper's PGD does. The logit
/// gradient is computed as `p_j` for `j != y` and `-sum_{j != y} p_j` for `y`: the textbook `p_y - 1` rounds to 0 in
/// f32 on confident digits and the sign step would stall. Each digit starts from its own seeded uniform point in the ball, seeded by
/// `(seed, first + b)` where `first` is the dataset index of the first row, so results do not depend on how a set
/// is split into calls.
///
/// Shapes: `x` B x I. Returns the adversarial inputs (B x I) and, per digit, whether the clean input or any
/// iterate was misclassified; the returned input is the first misclassified iterate, or the last one.
///
/// # Errors
/// [`Error::Range`] for a bad epsilon; [`Error::Shape`] for mismatched lengths.
pub fn pgd<M: Verifiable + ?Sized>(m: &M, x: ArrayView2<f32>, labels: &[u8], first: usize, eps: f32, steps: usize, seed: u64) -> Result<(Array2<f32>, Vec<bool>)> {
    check_eps(eps)?;
    let (i, k) = (m.n_inputs(), m.n_classes());
    let batch = labels.len();
    let xc = nd::standard(x);
    let x = batch_rows("pgd", &xc, batch, i)?;
    if let Some(&y) = labels.iter().find(|&&y| y as usize >= k) {
        return Err(Error::range("label", format!("{y} is not below {k}")));
    }
    let clean = argmax_rows(m.logits_of(xc.view())?.view());
    let mut fooled: Vec<bool> = clean.iter().zip(labels).map(|(&p, &y)| p != y as usize).collect();
    let mut best = x.to_vec();
    if eps == 0.0 || steps == 0 {
        return Ok((nd::array("pgd", best, (batch, i))?, fooled));
    }
    let mut adv = Vec::with_capacity(x.len());
    for b in 0..batch {
        let mut rng = Rng::new(seed ^ ((first + b) as u64 + 1).wrapping_mul(0x9E37_79B9_7F4A_7C15));
        adv.extend(x[b * i..(b + 1) * i].iter().map(|&v| (v + rng.uniform_in(-eps, eps)).clamp(0.0, 1.0)));
    }
    let alpha = 2.5 * eps / steps as f32;
    let grad_of = |logits: ArrayView2<f32>| {
        let mut dl = Array2::zeros(logits.dim());
        for ((z, mut d), &y) in logits.rows().into_iter().zip(dl.rows_mut()).zip(labels) {
            let y = y as usize;
            let z = z.to_vec();
            let lse = crate::kernels::act::log_sum_exp(&z);
            let mut others = 0.0f32;
            for j in (0..k).filter(|&j| j != y) {
                let p = (z[j] - lse).exp();
                d[j] = p;
                others += p;
            }
            d[y] = -others;
        }
        dl
    };
    for _ in 0..steps {
        let (logits, dx) = m.input_grad(nd::view("pgd", &adv, (batch, i))?, &grad_of)?;
        let pred = argmax_rows(logits.view());
        let dx = nd::into_vec(dx);
        if dx.len() != adv.len() {
            return Err(Error::shape("pgd", format!("the input gradient has {} values for {batch}x{i} inputs", dx.len())));
        }
        for b in 0..batch {
            if !fooled[b] && pred[b] != labels[b] as usize {
                fooled[b] = true;
                best[b * i..(b + 1) * i].copy_from_slice(&adv[b * i..(b + 1) * i]);
            }
        }
        for b in 0..batch {
            if fooled[b] {
                continue;
            }
            for j in b * i..(b + 1) * i {
                let step = if dx[j] > 0.0 { alpha } else if dx[j] < 0.0 { -alpha } else { 0.0 };
                adv[j] = (adv[j] + step).clamp(x[j] - eps, x[j] + eps).clamp(0.0, 1.0);
            }
        }
    }
    let pred = argmax_rows(m.logits_of(nd::view("pgd", &adv, (batch, i))?)?.view());
    for b in 0..batch {
        if !fooled[b] {
            if pred[b] != labels[b] as usize {
                fooled[b] = true;
            }
            best[b * i..(b + 1) * i].copy_from_slice(&adv[b * i..(b + 1) * i]);
        }
    }
    Ok((nd::array("pgd", best, (batch, i))?, fooled))
}

/// Number of digits PGD fools in `[first, first + B)`; the split into parallel blocks does not change the result.
///
/// # Errors
/// As [`pgd`].
pub fn pgd_count<M: Verifiable + ?Sized>(m: &M, x: ArrayView2<f32>, labels: &[u8], first: usize, eps: f32, steps: usize, seed: u64) -> Result<usize> {
    if x.dim() != (labels.len(), m.n_inputs()) {
        return Err(Error::shape("pgd_count", format!("x must be {}x{}, is {}x{}", labels.len(), m.n_inputs(), x.nrows(), x.ncols())));
    }
    let parts = crate::par::map_range(labels.len().div_ceil(64), |p| {
        let (s, e) = (p * 64, ((p + 1) * 64).min(labels.len()));
        pgd(m, x.slice(ndarray::s![s..e, ..]), &labels[s..e], first + s, eps, steps, seed).map(|r| r.1.iter().filter(|&&f| f).count())
    });
    let mut n = 0;
    for p in parts {
        n += p?;
    }
    Ok(n)
}

/// Counts over a set of digits at one epsilon.
#[derive(Copy, Clone, Debug, Default, PartialEq, Eq)]
pub struct Counts {
    /// Digits evaluated.
    pub n: u32,
    /// Misclassified clean digits.
    pub clean_err: u32,
    /// Digits misclassified or not verified.
    pub verified_err: u32,
}

/// Clean and verified error counts over a batch of digits, evaluated in chunks of `chunk` digits (bounds memory:
/// full CROWN keeps `2 n_l x I` coefficients per digit). Shapes: `x` B x I, `labels` B.
///
/// # Errors
/// As [`margin_bounds`].
#[allow(clippy::too_many_arguments)]
pub fn verify_counts<M: Verifiable + ?Sized>(m: &M, x: ArrayView2<f32>, labels: &[u8], eps: f32, method: Method, beta: f32, slope: LowerSlope, chunk: usize) -> Result<Counts> {
    let (i, k) = (m.n_inputs(), m.n_classes());
    let batch = labels.len();
    if x.dim() != (batch, i) {
        return Err(Error::shape("verify_counts", format!("x must be {batch}x{i}, is {}x{}", x.nrows(), x.ncols())));
    }
    let chunk = chunk.max(1);
    let parts = crate::par::map_range(batch.div_ceil(chunk), |p| -> Result<Counts> {
        let (s, e) = (p * chunk, ((p + 1) * chunk).min(batch));
        let xs = x.slice(ndarray::s![s..e, ..]);
        let ys = &labels[s..e];
        let pred = argmax_rows(m.logits_of(xs)?.view());
        let lo = nd::into_vec(m.lower_bounds(xs, ys, eps, method, beta, slope)?);
        let mut c = Counts { n: (e - s) as u32, ..Default::default() };
        for b in 0..e - s {
            let wrong = pred[b] != ys[b] as usize;
            c.clean_err += wrong as u32;
            let ok = (0..k).all(|j| j == ys[b] as usize || lo[b * k + j] > 0.0);
            c.verified_err += (wrong || !ok) as u32;
        }
        Ok(c)
    });
    let mut tot = Counts::default();
    for p in parts {
        let p = p?;
        tot.n += p.n;
        tot.clean_err += p.clean_err;
        tot.verified_err += p.verified_err;
    }
    Ok(tot)
}

/// Training recipe of the paper (sec. 4 and appendix), scaled down. Schedules ramp linearly per step: epsilon from
/// 0 to `train_eps`, kappa from 1 to `kappa_end`, beta from 1 to `beta_end`, during `ramp` epochs after `warmup`
/// epochs of natural training. `robust = false` trains naturally (kappa = 1 throughout).
#[derive(Clone, Debug, serde::Serialize, serde::Deserialize)]
pub struct TrainConfig {
    /// MLP widths, e.g. `[784, 100, 100, 10]`.
    pub dims: Vec<usize>,
    /// CROWN-IBP training (true) or natural training (false).
    pub robust: bool,
    /// Passes over the training set.
    pub epochs: usize,
    /// Epochs of natural training before the ramp (epsilon = 0).
    pub warmup: usize,
    /// Epochs over which epsilon, kappa and beta ramp.
    pub ramp: usize,
    /// Final training epsilon (the paper: 0.4 for MNIST at test 0.3/0.4; the task here: 0.3).
    pub train_eps: f32,
    /// Final kappa (weight of the natural loss).
    pub kappa_end: f32,
    /// Final beta (1 = CROWN-IBP bound, 0 = IBP bound).
    pub beta_end: f32,
    /// Initial beta (1 for CROWN-IBP; 0 with `beta_end = 0` is pure IBP training as in Gowal et al. 2018).
    #[serde(default = "one")]
    pub beta_start: f32,
    /// Minibatch size.
    pub batch: usize,
    /// Adam step size.
    pub lr: f32,
    /// Epochs after which the step size is halved.
    pub lr_halve_at: Vec<usize>,
    /// Seed of initialisation and shuffling.
    pub seed: u64,
}

/// The schedule values at a fractional epoch `t`: `(eps, kappa, beta)`.
pub fn schedule(cfg: &TrainConfig, t: f32) -> RobustLoss {
    if !cfg.robust {
        return RobustLoss { eps: 0.0, kappa: 1.0, beta: 1.0 };
    }
    let p = ((t - cfg.warmup as f32) / cfg.ramp.max(1) as f32).clamp(0.0, 1.0);
    RobustLoss { eps: p * cfg.train_eps, kappa: 1.0 + p * (cfg.kappa_end - 1.0), beta: cfg.beta_start + p * (cfg.beta_end - cfg.beta_start) }
}

fn one() -> f32 {
    1.0
}

/// One epoch's summary, for progress reports.
#[derive(Clone, Debug, serde::Serialize)]
pub struct EpochStats {
    pub epoch: usize,
    pub loss: f32,
    pub natural_ce: f32,
    pub robust_ce: f32,
    pub eps: f32,
    pub kappa: f32,
    pub beta: f32,
    pub train_err: f32,
}

/// Trains an MLP on `images` (N x I, in `[0, 1]`) and `labels` (N) with the recipe in `cfg`, calling `progress`
/// after each epoch.
///
/// # Errors
/// [`Error::Shape`] / [`Error::Range`] on inconsistent data or configuration.
pub fn train(cfg: &TrainConfig, images: ArrayView2<f32>, labels: &[u8], mut progress: impl FnMut(&EpochStats, &Mlp)) -> Result<Mlp> {
    let mut rng = Rng::new(cfg.seed);
    let mut m = Mlp::new(&cfg.dims, &mut rng)?;
    let (n, i) = (labels.len(), m.inputs());
    if images.dim() != (n, i) || n == 0 || cfg.batch == 0 {
        return Err(Error::shape("train", format!("images must be {n}x{i} (are {}x{}) and the batch non-zero", images.nrows(), images.ncols())));
    }
    let images = nd::standard(images);
    let images = nd::slice_of("train", &images)?;
    let mut opt = crate::nn::Adam::new(cfg.lr, &m.param_sizes());
    let mut order: Vec<usize> = (0..n).collect();
    let steps = n.div_ceil(cfg.batch);
    for epoch in 0..cfg.epochs {
        if cfg.lr_halve_at.contains(&epoch) {
            opt.lr *= 0.5;
        }
        rng.shuffle(&mut order);
        let (mut tl, mut tn, mut tr, mut wrong) = (0.0f64, 0.0f64, 0.0f64, 0usize);
        let mut sched = schedule(cfg, epoch as f32);
        for s in 0..steps {
            let idx = &order[s * cfg.batch..((s + 1) * cfg.batch).min(n)];
            let mut x = Vec::with_capacity(idx.len() * i);
            for &j in idx {
                x.extend_from_slice(&images[j * i..(j + 1) * i]);
            }
            let y: Vec<u8> = idx.iter().map(|&j| labels[j]).collect();
            sched = schedule(cfg, epoch as f32 + s as f32 / steps as f32);
            let mut g = MlpGrads::zeros(&m);
            let xv = nd::view("train", &x, (y.len(), i))?;
            let (l, nat, rob) = robust_loss_grad(&m, xv, &y, sched, &mut g)?;
            let pred = argmax_rows(m.logits(xv)?.view());
            wrong += pred.iter().zip(&y).filter(|(p, y)| **p != **y as usize).count();
            tl += l as f64;
            tn += nat as f64;
            tr += if rob.is_nan() { 0.0 } else { rob as f64 };
            let grads = g.as_slices();
            opt.step(&mut m.params_mut(), &grads);
        }
        let st = EpochStats {
            epoch: epoch + 1,
            loss: (tl / steps as f64) as f32,
            natural_ce: (tn / steps as f64) as f32,
            robust_ce: (tr / steps as f64) as f32,
            eps: sched.eps,
            kappa: sched.kappa,
            beta: sched.beta,
            train_err: wrong as f32 / n as f32,
        };
        progress(&st, &m);
    }
    Ok(m)
}

/// Errors of a model at one epsilon on a test set, as fractions in `[0, 1]`.
#[derive(Clone, Debug, Default, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct EvalPoint {
    pub eps: f32,
    pub clean_err: f32,
    pub pgd_err: f32,
    pub ibp_err: f32,
    pub crownibp_err: f32,
    /// `None` when full CROWN was skipped (it costs `2 n_l x I` per digit and layer).
    pub crown_err: Option<f32>,
}

/// Evaluates clean, PGD (`pgd_steps` steps, seeded) and verified errors (IBP, CROWN-IBP with beta = 1, and full CROWN
/// when `with_crown`) at each epsilon. Shapes: `x` N x I, `labels` N.
///
/// # Errors
/// As [`margin_bounds`] and [`pgd`].
pub fn evaluate<M: Verifiable + ?Sized>(m: &M, x: ArrayView2<f32>, labels: &[u8], eps_grid: &[f32], pgd_steps: usize, seed: u64, with_crown: bool) -> Result<Vec<EvalPoint>> {
    let n = labels.len() as f32;
    let mut out = Vec::new();
    for &eps in eps_grid {
        let ibp = verify_counts(m, x, labels, eps, Method::Ibp, 1.0, LowerSlope::Adaptive, 250)?;
        let cib = verify_counts(m, x, labels, eps, Method::CrownIbp, 1.0, LowerSlope::Adaptive, 100)?;
        let crown = if with_crown { Some(verify_counts(m, x, labels, eps, Method::Crown, 1.0, LowerSlope::Adaptive, 8)?.verified_err as f32 / n) } else { None };
        let pg = pgd_count(m, x, labels, 0, eps, pgd_steps, seed)?;
        out.push(EvalPoint {
            eps,
            clean_err: ibp.clean_err as f32 / n,
            pgd_err: pg as f32 / n,
            ibp_err: ibp.verified_err as f32 / n,
            crownibp_err: cib.verified_err as f32 / n,
            crown_err: crown,
        });
    }
    Ok(out)
}
