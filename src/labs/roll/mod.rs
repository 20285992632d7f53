//! Robust locally linear networks: linear regions of a ReLU MLP, their exact ℓ1/ℓ2/ℓ∞ margins, and the ROLL loss.
//!
//! Paper: Lee, Alvarez-Melis & Jaakkola, "Towards Robust, Locally Linear Deep Networks" (ICLR 2019;
//! arXiv:1907.03207).
//!
//! A ReLU network `f` is piecewise linear. At a point `x` every hidden neuron `z_j^i` (layer `i`, unit `j`) is either
//! active (`z > 0`) or not; this *activation pattern* fixes a convex polyhedron `S(x)` of inputs with the same pattern,
//! inside which `f` is one linear map. The paper's margin is the largest ℓp ball around `x` inside `S(x)`:
//!
//! ```text
//! ε̂_{x,p} = max { ε ≥ 0 : B_{ε,p}(x) ⊂ S(x) } = min_{(i,j) ∈ I} |z_j^i(x)| / ‖∇_x z_j^i(x)‖_q,   1/p + 1/q = 1
//! ```
//!
//! (`I` all hidden neurons; `q` the dual norm: q = ∞ for p = 1, 2 for 2, 1 for ∞). Along a direction `Δx` the region
//! extends to the *directional margin* `max { t ≥ 0 : x + tΔx ∈ S(x) }`, a minimum over the neurons whose sign the
//! move would flip. Inside `S(x)` the logits are linear too, so the ℓp distance to the region's own decision boundary
//! is `min_{k ≠ c} (f_c - f_k) / ‖∇f_c - ∇f_k‖_q` (`c` the predicted class); up to `ε̂_{x,p}` this is the distance
//! to the network's decision boundary.
//!
//! All neurons' input gradients at once ("parallel computation of gradients"): with the pattern of `x` frozen, the
//! network is linear, so pushing the input basis `e_1 .. e_D` through it (weights without biases, ReLUs replaced by
//! the frozen masks) gives every `∇_x z_j^i` in one batched pass — one GEMM per layer on `1 + D` rows stacked under
//! `x` itself ([`linearize`]). The twin [`neuron_gradients_backward`] runs one backward pass per neuron. For
//! 784-pixel inputs the stacked rows are a random subset of `P` basis vectors instead, and `D/P Σ_p (∂z/∂x_p)²` is an
//! unbiased estimate of `‖∇_x z‖_2²` ([`Probes::random_coords`]).
//!
//! The ROLL loss (the relaxed objective, with the `γ`-percent aggregation of the neurons with the smallest margins):
//!
//! ```text
//! min_θ Σ_{(x,y)} [ L(f_θ(x), y) + λ / |Î(x,γ)| Σ_{(i,j) ∈ Î(x,γ)} max(0, C - |z_j^i| / ‖∇_x z_j^i‖_2) ]
//! ```
//!
//! `Î(x,γ)`: the `⌈γ% · N⌉` neurons with the smallest ℓ2 margins at `x` (N hidden neurons). `L` is softmax
//! cross-entropy. Here the sum over the data is a mean over the minibatch. The pattern (and so the linear map) and the
//! set `Î` are piecewise constant in θ, so they are held fixed when differentiating (their derivative is zero almost
//! everywhere).
//!
//! Legend: B batch, D inputs, H_l width of hidden layer l, N = Σ H_l hidden neurons, K classes, P probe rows (D for
//! the exact basis), R = B (1 + P) stacked rows, G grid side.

use ndarray::{Array1, Array2, ArrayView1, ArrayView2, CowArray, Dimension};
use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};
use crate::kernels::gemm::{gemm, MatRef};
use crate::nd;
use crate::nn::layers::{argmax_rows, softmax_cross_entropy};
use crate::nn::mlp::{Mlp, MlpGrads};
use crate::nn::Rng;

pub mod toy;
#[cfg(not(target_arch = "wasm32"))]
pub mod ship;

/// The three norms of the paper's margins, in the order margins are reported: ℓ1, ℓ2, ℓ∞.
#[derive(Copy, Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Norm {
    /// p = 1 (dual q = ∞).
    L1,
    /// p = 2 (dual q = 2).
    L2,
    /// p = ∞ (dual q = 1).
    Linf,
}

impl Norm {
    /// All three, in report order.
    pub const ALL: [Norm; 3] = [Norm::L1, Norm::L2, Norm::Linf];

    /// The dual norm `‖v‖_q` of a vector.
    pub fn dual(self, v: impl Iterator<Item = f32>) -> f32 {
        match self {
            Norm::L1 => v.fold(0.0f32, |m, a| m.max(a.abs())),
            Norm::L2 => v.map(|a| a * a).sum::<f32>().sqrt(),
            Norm::Linf => v.map(f32::abs).sum(),
        }
    }
}

/// The rows stacked under each input: the input basis (exact gradients) or a random subset of it (an estimate).
#[derive(Clone, Debug)]
pub struct Probes {
    /// P x D, row-major.
    pub u: Vec<f32>,
    /// Number of rows P.
    pub p: usize,
    /// `‖∇z‖_2² ≈ scale · Σ_p (∇z · u_p)²` (1 for the basis, D/P for P random coordinates).
    pub scale: f32,
    /// True when the rows are the whole basis `e_1 .. e_D` in order, so the gradients are exact.
    pub exact: bool,
}

impl Probes {
    /// The input basis `e_1 .. e_D` (P = D): exact gradients.
    pub fn basis(d: usize) -> Self {
        let mut u = vec![0.0; d * d];
        for i in 0..d {
            u[i * d + i] = 1.0;
        }
        Probes { u, p: d, scale: 1.0, exact: true }
    }

    /// `k` distinct basis vectors drawn uniformly from `e_1 .. e_D`, scaled so that `D/k Σ (∂z/∂x_p)²` is an
    /// unbiased estimate of `‖∇_x z‖_2²`. `k` is clamped to `1..=D`; `k = D` is the basis (in a random order).
    pub fn random_coords(d: usize, k: usize, rng: &mut Rng) -> Self {
        let k = k.clamp(1, d.max(1));
        let mut idx: Vec<usize> = (0..d).collect();
        // A partial Fisher–Yates shuffle: the first k are a uniform k-subset.
        for i in 0..k {
            let j = i + rng.below(d - i);
            idx.swap(i, j);
        }
        let mut u = vec![0.0; k * d];
        for (r, &c) in idx[..k].iter().enumerate() {
            u[r * d + c] = 1.0;
        }
        Probes { u, p: k, scale: d as f32 / k as f32, exact: k == d && idx[..k].iter().enumerate().all(|(i, &c)| i == c) }
    }
}

/// The network linearised at each point of a batch: per layer, the stacked pre-activations (row 0 of each group of
/// `1 + P` rows is `z(x_b)`, rows `1..=P` are the directional derivatives `∇_x z · u_p`), and the frozen masks.
#[derive(Clone, Debug)]
pub struct Stacked {
    /// Batch size B.
    pub batch: usize,
    /// Rows per point, `1 + P`.
    pub group: usize,
    /// `acts[l]`: input of layer `l`, R x dims[l] (masked for l > 0; `acts[0]` is `[x_b; U]` per group).
    pub acts: Vec<Vec<f32>>,
    /// `pre[l]`: output of layer `l` before the mask, R x dims[l+1]; the last is the logits and their derivatives.
    pub pre: Vec<Vec<f32>>,
    /// `masks[l]`: B x dims[l+1] for each hidden layer l, `z > 0` at `x_b`.
    pub masks: Vec<Vec<bool>>,
}

fn check_input(mlp: &Mlp, x: &[f32], batch: usize, op: &'static str) -> Result<()> {
    mlp.validate()?;
    if batch == 0 || x.len() != batch * mlp.inputs() {
        return Err(Error::shape(op, format!("x must be {batch}x{} (B x D, B > 0) for this net, has {} values", mlp.inputs(), x.len())));
    }
    if x.iter().any(|v| !v.is_finite()) {
        return Err(Error::range("input", "holds NaN or infinite values"));
    }
    Ok(())
}

/// The row-major values of `x` (B x D rows, or one point of D values) after [`check_input`] and a check that its
/// last axis is the net's input width D.
fn input_values<'a, Dm: Dimension>(mlp: &Mlp, x: &'a CowArray<'_, f32, Dm>, op: &'static str) -> Result<(&'a [f32], usize)> {
    let d = mlp.inputs();
    let (batch, cols) = match *x.shape() {
        [n] => (1, n),
        [b, n] => (b, n),
        _ => return Err(Error::shape(op, format!("x must be B x {d} or {d} values, is {:?}", x.shape()))),
    };
    if cols != d {
        return Err(Error::shape(op, format!("x has {cols} values per point; this net takes {d}")));
    }
    let xs = nd::slice_of(op, x)?;
    check_input(mlp, xs, batch, op)?;
    Ok((xs, batch))
}

/// Pushes `x` (B x D) and, under each point, the probe rows through the network linearised at that point: one GEMM
/// per layer on `R = B (1 + P)` rows. Biases are added to row 0 of each group only; every row of group `b` is masked
/// with `b`'s activation pattern.
///
/// # Errors
/// [`Error::Shape`] if `x` is not B x D or the probes are not P x D; [`Error::Range`] for NaN inputs;
/// [`Error::Model`] for a malformed net.
pub fn linearize(mlp: &Mlp, x: ArrayView2<f32>, probes: &Probes) -> Result<Stacked> {
    let xc = nd::standard(x);
    let (x, batch) = input_values(mlp, &xc, "linearize")?;
    linearize_flat(mlp, x, batch, probes)
}

/// [`linearize`] on checked row-major values.
fn linearize_flat(mlp: &Mlp, x: &[f32], batch: usize, probes: &Probes) -> Result<Stacked> {
    let d = mlp.inputs();
    if probes.u.len() != probes.p * d {
        return Err(Error::shape("linearize", format!("probes must be {}x{d}, have {} values", probes.p, probes.u.len())));
    }
    let group = 1 + probes.p;
    let rows = batch * group;
    let mut a0 = Vec::with_capacity(rows * d);
    for b in 0..batch {
        a0.extend_from_slice(&x[b * d..(b + 1) * d]);
        a0.extend_from_slice(&probes.u);
    }
    let mut acts = vec![a0];
    let mut pre = Vec::new();
    let mut masks = Vec::new();
    for l in 0..mlp.layers() {
        let (i, o) = (mlp.dims[l], mlp.dims[l + 1]);
        let mut s = vec![0.0f32; rows * o];
        gemm(1.0, MatRef::new(&acts[l], rows, i), MatRef::new(&mlp.w[l], o, i).t(), 0.0, &mut s, o, 1)?;
        for b in 0..batch {
            for (v, bias) in s[b * group * o..(b * group + 1) * o].iter_mut().zip(&mlp.b[l]) {
                *v += bias;
            }
        }
        if l + 1 < mlp.layers() {
            let mut m = vec![false; batch * o];
            let mut a = s.clone();
            for b in 0..batch {
                let mb = &mut m[b * o..(b + 1) * o];
                for (k, v) in s[b * group * o..(b * group + 1) * o].iter().enumerate() {
                    mb[k] = *v > 0.0;
                }
                for row in a[b * group * o..(b + 1) * group * o].chunks_mut(o) {
                    for (v, &on) in row.iter_mut().zip(mb.iter()) {
                        if !on {
                            *v = 0.0;
                        }
                    }
                }
            }
            masks.push(m);
            acts.push(a);
        }
        pre.push(s);
    }
    Ok(Stacked { batch, group, acts, pre, masks })
}

/// One point's linearisation: every hidden neuron's value and input gradient, and the logits and theirs.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Linearized {
    /// Input width D.
    pub d: usize,
    /// Hidden widths H_1 .. H_L.
    pub widths: Vec<usize>,
    /// N pre-activations `z_j^i(x)`, layer by layer.
    pub z: Vec<f32>,
    /// N x D: row n is `∇_x z_n` (exact with [`Probes::basis`]).
    pub grad: Vec<f32>,
    /// K logits.
    pub logits: Vec<f32>,
    /// K x D: row k is `∇_x f_k`.
    pub logit_grad: Vec<f32>,
}

impl Stacked {
    /// Point `b`'s neurons and gradients (N x P, or N x D with the basis probes).
    ///
    /// # Errors
    /// [`Error::Range`] when `b >= B`.
    pub fn point(&self, mlp: &Mlp, b: usize) -> Result<Linearized> {
        if b >= self.batch {
            return Err(Error::range("point", format!("{b} is not below the batch size {}", self.batch)));
        }
        let p = self.group - 1;
        let mut z = Vec::new();
        let mut grad = Vec::new();
        let take = |s: &[f32], o: usize, z: &mut Vec<f32>, g: &mut Vec<f32>| {
            let base = b * self.group * o;
            z.extend_from_slice(&s[base..base + o]);
            let start = g.len();
            g.resize(start + o * p, 0.0);
            for r in 0..p {
                for k in 0..o {
                    g[start + k * p + r] = s[base + (1 + r) * o + k];
                }
            }
        };
        let layers = mlp.layers();
        for l in 0..layers - 1 {
            take(&self.pre[l], mlp.dims[l + 1], &mut z, &mut grad);
        }
        let (mut logits, mut logit_grad) = (Vec::new(), Vec::new());
        take(&self.pre[layers - 1], mlp.classes(), &mut logits, &mut logit_grad);
        Ok(Linearized { d: p, widths: mlp.dims[1..layers].to_vec(), z, grad, logits, logit_grad })
    }
}

/// All neurons' input gradients at one point `x` (D values), exactly, by the batched pass of [`linearize`] on the
/// basis.
///
/// # Errors
/// As [`linearize`].
pub fn neuron_gradients(mlp: &Mlp, x: ArrayView1<f32>) -> Result<Linearized> {
    let xc = nd::standard(x);
    let (x, _) = input_values(mlp, &xc, "neuron_gradients")?;
    let st = linearize_flat(mlp, x, 1, &Probes::basis(mlp.inputs()))?;
    st.point(mlp, 0)
}

/// The twin of [`neuron_gradients`]: a plain forward pass (loops, no GEMM) for the pattern, then one backward pass
/// per neuron (and per logit) from a one-hot at that neuron down to the input.
///
/// # Errors
/// As [`linearize`].
pub fn neuron_gradients_backward(mlp: &Mlp, x: ArrayView1<f32>) -> Result<Linearized> {
    let xc = nd::standard(x);
    let (x, _) = input_values(mlp, &xc, "neuron_gradients_backward")?;
    let layers = mlp.layers();
    // Forward with loops.
    let mut a = x.to_vec();
    let mut pres: Vec<Vec<f32>> = Vec::new();
    for l in 0..layers {
        let (i, o) = (mlp.dims[l], mlp.dims[l + 1]);
        let s: Vec<f32> = (0..o).map(|k| mlp.b[l][k] + (0..i).map(|j| mlp.w[l][k * i + j] * a[j]).sum::<f32>()).collect();
        a = s.iter().map(|&v| v.max(0.0)).collect();
        pres.push(s);
    }
    let backward = |l: usize, unit: usize| -> Vec<f32> {
        let mut d = vec![0.0f32; mlp.dims[l + 1]];
        d[unit] = 1.0;
        for m in (0..=l).rev() {
            let (i, o) = (mlp.dims[m], mlp.dims[m + 1]);
            let mut dx = vec![0.0f32; i];
            for (k, &dk) in d.iter().enumerate().take(o) {
                if dk != 0.0 {
                    for (j, v) in dx.iter_mut().enumerate() {
                        *v += dk * mlp.w[m][k * i + j];
                    }
                }
            }
            if m > 0 {
                for (v, &z) in dx.iter_mut().zip(&pres[m - 1]) {
                    if z <= 0.0 {
                        *v = 0.0;
                    }
                }
            }
            d = dx;
        }
        d
    };
    let (mut z, mut grad) = (Vec::new(), Vec::new());
    for (l, pre) in pres.iter().enumerate().take(layers - 1) {
        for (k, &v) in pre.iter().enumerate() {
            z.push(v);
            grad.extend(backward(l, k));
        }
    }
    let logits = pres[layers - 1].clone();
    let mut logit_grad = Vec::new();
    for k in 0..mlp.classes() {
        logit_grad.extend(backward(layers - 1, k));
    }
    Ok(Linearized { d: mlp.inputs(), widths: mlp.dims[1..layers].to_vec(), z, grad, logits, logit_grad })
}

/// A point's margins.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Margins {
    /// `[ε̂_{x,1}, ε̂_{x,2}, ε̂_{x,∞}]`; `+∞` when no neuron constrains the region (all gradients zero).
    pub eps: [f32; 3],
    /// The neuron (index into `z`) attaining each minimum (`usize::MAX` when none does).
    pub argmin: [usize; 3],
    /// ℓ1, ℓ2, ℓ∞ distance to the decision boundary of the region's linear model (`+∞` with one class or
    /// parallel logits).
    pub decision: [f32; 3],
    /// Predicted class.
    pub class: usize,
}

/// Every neuron's ℓp margin `|z_n| / ‖∇_x z_n‖_q` (N values; `+∞` for a zero gradient).
pub fn neuron_margins(lin: &Linearized, p: Norm) -> Vec<f32> {
    lin.z
        .iter()
        .zip(lin.grad.chunks(lin.d.max(1)))
        .map(|(&z, g)| {
            let n = p.dual(g.iter().copied());
            if n > 0.0 {
                z.abs() / n
            } else {
                f32::INFINITY
            }
        })
        .collect()
}

/// The paper's margins `ε̂_{x,p}` for p = 1, 2, ∞ and the distances to the region's decision boundary.
pub fn margins(lin: &Linearized) -> Margins {
    let mut eps = [f32::INFINITY; 3];
    let mut argmin = [usize::MAX; 3];
    for (t, p) in Norm::ALL.iter().enumerate() {
        for (n, m) in neuron_margins(lin, *p).into_iter().enumerate() {
            if m < eps[t] {
                eps[t] = m;
                argmin[t] = n;
            }
        }
    }
    let k = lin.logits.len();
    let c = (0..k).fold(0, |bi, i| if lin.logits[i] > lin.logits[bi] { i } else { bi });
    let mut decision = [f32::INFINITY; 3];
    let d = lin.d;
    for j in (0..k).filter(|&j| j != c) {
        let gap = lin.logits[c] - lin.logits[j];
        for (t, p) in Norm::ALL.iter().enumerate() {
            let n = p.dual((0..d).map(|i| lin.logit_grad[c * d + i] - lin.logit_grad[j * d + i]));
            if n > 0.0 {
                decision[t] = decision[t].min(gap / n);
            }
        }
    }
    Margins { eps, argmin, decision, class: c }
}

/// The directional margin: the largest `t ≥ 0` with `x + tΔx` in `S(x)` (the pattern of `x` kept by every neuron),
/// `+∞` when the ray never leaves the region. `dir` has D values (any length, not normalised).
///
/// # Errors
/// [`Error::Shape`] when `dir.len() != D`.
pub fn directional_margin(lin: &Linearized, dir: ArrayView1<f32>) -> Result<f32> {
    if dir.len() != lin.d {
        return Err(Error::shape("directional_margin", format!("direction has {} values, the input {}", dir.len(), lin.d)));
    }
    let mut t = f32::INFINITY;
    for (&z, g) in lin.z.iter().zip(lin.grad.chunks(lin.d.max(1))) {
        let s: f32 = g.iter().zip(dir).map(|(a, b)| a * b).sum();
        // Active neurons (z > 0) leave when z + t s reaches 0 from above; inactive ones when it rises above 0.
        let hit = if z > 0.0 && s < 0.0 {
            z / -s
        } else if z <= 0.0 && s > 0.0 {
            -z / s
        } else {
            continue;
        };
        t = t.min(hit);
    }
    Ok(t)
}

/// Settings of the ROLL loss.
#[derive(Copy, Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct RollConfig {
    /// λ ≥ 0: weight of the margin term (0 = plain training).
    pub lambda: f32,
    /// C > 0: the margin the hinge asks every selected neuron for.
    pub c: f32,
    /// γ in (0, 100]: the percentage of neurons with the smallest margins that the hinge averages over.
    pub gamma: f32,
}

impl RollConfig {
    /// Checks the ranges.
    ///
    /// # Errors
    /// [`Error::Range`] naming the setting that is out of range.
    pub fn validate(&self) -> Result<()> {
        if !(self.lambda >= 0.0 && self.lambda.is_finite()) {
            return Err(Error::range("lambda", format!("{} must be >= 0 and finite", self.lambda)));
        }
        if !(self.c > 0.0 && self.c.is_finite()) {
            return Err(Error::range("C", format!("{} must be > 0 and finite", self.c)));
        }
        if !(self.gamma > 0.0 && self.gamma <= 100.0) {
            return Err(Error::range("gamma", format!("{} must be a percentage in (0, 100]", self.gamma)));
        }
        Ok(())
    }

    /// `|Î(x, γ)| = max(1, ⌈γ/100 · N⌉)` for N hidden neurons.
    pub fn selected(&self, n: usize) -> usize {
        ((self.gamma as f64 / 100.0 * n as f64).ceil() as usize).clamp(1, n.max(1))
    }
}

/// The parts of the ROLL objective on one minibatch.
#[derive(Copy, Clone, Debug, Default, PartialEq, Serialize)]
pub struct RollLoss {
    /// Mean softmax cross-entropy (nats).
    pub ce: f32,
    /// Mean of `λ/|Î| Σ_{Î} max(0, C - m)` (already multiplied by λ).
    pub roll: f32,
    /// `ce + roll`.
    pub total: f32,
    /// Fraction of the batch classified correctly.
    pub acc: f32,
    /// Mean over the batch of the smallest ℓ2 margin (from the probes: exact with the basis).
    pub min_margin: f32,
}

/// The ROLL objective on a minibatch and its gradient with respect to every weight and bias.
///
/// `x` B x D, `y` B labels; `probes` the rows that give the gradients (basis: exact; random coordinates: the
/// estimate). Returns the loss parts and gradients shaped like `mlp`.
///
/// # Errors
/// As [`linearize`]; [`Error::Range`] for a bad [`RollConfig`] or a label `>= K`.
pub fn roll_loss(mlp: &Mlp, x: ArrayView2<f32>, y: &[u8], probes: &Probes, cfg: &RollConfig) -> Result<(RollLoss, MlpGrads)> {
    cfg.validate()?;
    if x.nrows() != y.len() {
        return Err(Error::shape("roll_loss", format!("{} labels for {} points", y.len(), x.nrows())));
    }
    let st = linearize(mlp, x, probes)?;
    roll_loss_stacked(mlp, &st, y, probes, cfg)
}

/// [`roll_loss`] on a linearisation already computed.
///
/// # Errors
/// As [`roll_loss`].
pub fn roll_loss_stacked(mlp: &Mlp, st: &Stacked, y: &[u8], probes: &Probes, cfg: &RollConfig) -> Result<(RollLoss, MlpGrads)> {
    let (batch, group, p) = (st.batch, st.group, st.group - 1);
    if y.len() != batch {
        return Err(Error::shape("roll_loss", format!("{} labels for a batch of {batch}", y.len())));
    }
    let layers = mlp.layers();
    let k = mlp.classes();
    let rows = batch * group;
    // Cross-entropy on row 0 of each group.
    let logit_rows = &st.pre[layers - 1];
    let logits: Vec<f32> = (0..batch).flat_map(|b| logit_rows[b * group * k..(b * group + 1) * k].iter().copied()).collect();
    let logits = nd::array("roll_loss", logits, (batch, k))?;
    let (ce, dlogits) = softmax_cross_entropy(logits.view(), y.into())?;
    let dlogits = nd::into_vec(dlogits);
    let acc = argmax_rows(logits.view()).iter().zip(y).filter(|(a, b)| **a == **b as usize).count() as f32 / batch as f32;

    // The hinge on the selected neurons: its gradient with respect to every stacked pre-activation.
    let widths = &mlp.dims[1..layers];
    let n_total: usize = widths.iter().sum();
    let sel = cfg.selected(n_total);
    let mut dpre: Vec<Vec<f32>> = widths.iter().map(|&h| vec![0.0f32; rows * h]).collect();
    let mut roll = 0.0f64;
    let mut min_margin = 0.0f64;
    let mut ms: Vec<(f32, usize, usize, f32)> = Vec::with_capacity(n_total); // (margin, layer, unit, r)
    for b in 0..batch {
        ms.clear();
        for (l, &h) in widths.iter().enumerate() {
            let s = &st.pre[l];
            let base = b * group * h;
            for j in 0..h {
                let z = s[base + j];
                let r2: f32 = (1..=p).map(|r| s[base + r * h + j] * s[base + r * h + j]).sum::<f32>() * probes.scale;
                let r = r2.sqrt();
                let m = if r > 1e-20 && r.is_finite() { z.abs() / r } else { f32::INFINITY };
                ms.push((m, l, j, r));
            }
        }
        let cmp = |a: &(f32, usize, usize, f32), c: &(f32, usize, usize, f32)| a.0.total_cmp(&c.0).then((a.1, a.2).cmp(&(c.1, c.2)));
        if sel < ms.len() {
            ms.select_nth_unstable_by(sel - 1, cmp);
        }
        min_margin += ms[..sel].iter().map(|t| t.0).fold(f32::INFINITY, f32::min).min(f32::MAX) as f64;
        let w = cfg.lambda / sel as f32;
        for &(m, l, j, r) in &ms[..sel] {
            if m < cfg.c {
                roll += (w * (cfg.c - m)) as f64;
                // d/dm of w (C - m), averaged over the batch.
                let dm = -w / batch as f32;
                let h = widths[l];
                let base = b * group * h;
                let s = &st.pre[l];
                let z = s[base + j];
                let sign = if z > 0.0 { 1.0 } else if z < 0.0 { -1.0 } else { 0.0 };
                dpre[l][base + j] += dm * sign / r;
                // m = |z| / r, r = sqrt(scale Σ g²): dm/dg_p = -|z| / r² · scale g_p / r.
                let dr = dm * (-z.abs() / (r * r));
                for q in 1..=p {
                    dpre[l][base + q * h + j] += dr * probes.scale * s[base + q * h + j] / r;
                }
            }
        }
    }
    let roll = (roll / batch as f64) as f32;

    // Backward through the stacked linear pass.
    let mut g = MlpGrads::zeros(mlp);
    let mut ds = vec![0.0f32; rows * k];
    for b in 0..batch {
        ds[b * group * k..(b * group + 1) * k].copy_from_slice(&dlogits[b * k..(b + 1) * k]);
    }
    for l in (0..layers).rev() {
        let (i, o) = (mlp.dims[l], mlp.dims[l + 1]);
        gemm(1.0, MatRef::new(&ds, rows, o).t(), MatRef::new(&st.acts[l], rows, i), 1.0, &mut g.dw[l], i, 1)?;
        for b in 0..batch {
            for (db, v) in g.db[l].iter_mut().zip(&ds[b * group * o..(b * group + 1) * o]) {
                *db += v;
            }
        }
        if l == 0 {
            break;
        }
        let mut da = vec![0.0f32; rows * i];
        gemm(1.0, MatRef::new(&ds, rows, o), MatRef::new(&mlp.w[l], o, i), 0.0, &mut da, i, 1)?;
        let mask = &st.masks[l - 1];
        for b in 0..batch {
            let mb = &mask[b * i..(b + 1) * i];
            for row in da[b * group * i..(b + 1) * group * i].chunks_mut(i) {
                for (v, &on) in row.iter_mut().zip(mb) {
                    if !on {
                        *v = 0.0;
                    }
                }
            }
        }
        for (v, d) in da.iter_mut().zip(&dpre[l - 1]) {
            *v += d;
        }
        ds = da;
    }
    let min_margin = (min_margin / batch as f64) as f32;
    Ok((RollLoss { ce, roll, total: ce + roll, acc, min_margin }, g))
}

/// Largest number of hidden neurons [`region_map`] tells apart exactly.
pub const MAX_REGION_NEURONS: usize = 256;

/// The linear regions of a 2-input, 2-class net on a G x G grid.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct RegionMap {
    /// Grid side G.
    pub g: usize,
    /// G x G region ids, row-major, row 0 at the top (largest y): cells with the same activation pattern share an
    /// id; ids are numbered 0, 1, ... in order of first appearance.
    pub ids: Vec<u32>,
    /// G x G logit differences `f_1 - f_0` (class 1 where positive).
    pub score: Vec<f32>,
    /// One 32-bit hash per region id of its activation pattern, for colours that stay put while a net trains.
    pub hashes: Vec<u32>,
}

/// Cell `(r, c)` centre of a G x G grid over `[lo, hi]²`-style bounds: `x = lo_x + (c + ½) (hi_x - lo_x) / G`,
/// `y = hi_y - (r + ½) (hi_y - lo_y) / G`.
pub fn cell_centre(lo: [f32; 2], hi: [f32; 2], g: usize, r: usize, c: usize) -> [f32; 2] {
    let (dx, dy) = ((hi[0] - lo[0]) / g as f32, (hi[1] - lo[1]) / g as f32);
    [lo[0] + (c as f32 + 0.5) * dx, hi[1] - (r as f32 + 0.5) * dy]
}

/// Activation patterns of a batch as bit keys (bit n of the key is neuron n's `z > 0`).
fn pattern_keys(mlp: &Mlp, pre: &[ndarray::Array2<f32>], batch: usize) -> Vec<[u64; 4]> {
    let mut keys = vec![[0u64; 4]; batch];
    let mut bit = 0usize;
    for (l, s) in pre.iter().enumerate().take(mlp.layers() - 1) {
        for (b, key) in keys.iter_mut().enumerate() {
            for (j, &v) in s.row(b).iter().enumerate() {
                if v > 0.0 {
                    let n = bit + j;
                    key[n / 64] |= 1u64 << (n % 64);
                }
            }
        }
        bit += mlp.dims[l + 1];
    }
    keys
}

/// The activation pattern of every row of `x` (B x D) as N booleans per row (B x N).
///
/// # Errors
/// As [`linearize`].
pub fn patterns(mlp: &Mlp, x: ArrayView2<f32>) -> Result<Array2<bool>> {
    let xc = nd::standard(x);
    let (_, batch) = input_values(mlp, &xc, "patterns")?;
    let (_, cache) = mlp.forward(xc.view())?;
    let n: usize = mlp.dims[1..mlp.layers()].iter().sum();
    let mut out = Vec::with_capacity(batch * n);
    for b in 0..batch {
        for s in cache.pre.iter().take(mlp.layers() - 1) {
            out.extend(s.row(b).iter().map(|&v| v > 0.0));
        }
    }
    Ok(Array2::from_shape_vec((batch, n), out)?)
}

/// Region ids and the decision of a 2-input, 2-class net on a G x G grid over `[lo_x, hi_x] x [lo_y, hi_y]`, in one
/// batched forward pass of G² points (see [`RegionMap`] and [`cell_centre`]).
///
/// # Errors
/// [`Error::Shape`] unless the net has 2 inputs, 2 classes and at most [`MAX_REGION_NEURONS`] hidden neurons;
/// [`Error::Range`] for G outside 1..=1024 or empty/non-finite bounds.
pub fn region_map(mlp: &Mlp, lo: [f32; 2], hi: [f32; 2], g: usize) -> Result<RegionMap> {
    mlp.validate()?;
    let n: usize = mlp.dims[1..mlp.layers()].iter().sum();
    if mlp.inputs() != 2 || mlp.classes() != 2 || n > MAX_REGION_NEURONS {
        return Err(Error::shape("region_map", format!("needs a net with 2 inputs, 2 classes and at most {MAX_REGION_NEURONS} hidden neurons; this one has dims {:?}", mlp.dims)));
    }
    if !(1..=1024).contains(&g) {
        return Err(Error::range("grid side", format!("{g} must be in 1..=1024")));
    }
    if !(lo.iter().chain(&hi).all(|v| v.is_finite()) && hi[0] > lo[0] && hi[1] > lo[1]) {
        return Err(Error::range("grid bounds", format!("lo {lo:?} must be below hi {hi:?}, both finite")));
    }
    let mut x = Vec::with_capacity(2 * g * g);
    for r in 0..g {
        for c in 0..g {
            x.extend_from_slice(&cell_centre(lo, hi, g, r, c));
        }
    }
    let (logits, cache) = mlp.forward(nd::view("region_map", &x, (g * g, 2))?)?;
    let keys = pattern_keys(mlp, &cache.pre, g * g);
    let mut seen: std::collections::HashMap<[u64; 4], u32, std::hash::BuildHasherDefault<KeyHasher>> = std::collections::HashMap::default();
    let mut hashes = Vec::new();
    let ids = keys
        .iter()
        .map(|k| {
            let next = seen.len() as u32;
            *seen.entry(*k).or_insert_with(|| {
                hashes.push(hash_key(k));
                next
            })
        })
        .collect();
    let score = logits.rows().into_iter().map(|l| l[1] - l[0]).collect();
    Ok(RegionMap { g, ids, score, hashes })
}

/// A fast hasher for pattern keys (multiply-rotate over 8-byte words; the map still compares whole keys, so ids
/// stay exact). The default SipHash was a visible part of a 256² map.
#[derive(Default)]
struct KeyHasher(u64);

impl std::hash::Hasher for KeyHasher {
    fn write(&mut self, bytes: &[u8]) {
        for c in bytes.chunks(8) {
            let mut w = [0u8; 8];
            w[..c.len()].copy_from_slice(c);
            self.0 = (self.0.rotate_left(5) ^ u64::from_le_bytes(w)).wrapping_mul(0x517C_C1B7_2722_0A95);
        }
    }
    fn finish(&self) -> u64 {
        self.0
    }
}

fn hash_key(k: &[u64; 4]) -> u32 {
    // splitmix64 over the words.
    let mut h = 0x9E37_79B9_7F4A_7C15u64;
    for &w in k {
        h ^= w;
        h = h.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = h;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        h = z ^ (z >> 31);
    }
    (h >> 32) as u32
}

/// Quantiles of the margins of many points (over the finite values; `+∞` margins count as above every quantile).
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct Quantiles {
    /// 25th percentile.
    pub p25: f64,
    /// Median.
    pub p50: f64,
    /// 75th percentile.
    pub p75: f64,
    /// Largest.
    pub p100: f64,
}

/// Quantiles of `v` by the nearest-rank rule (index `round(q (n - 1))` of the sorted values). Empty input gives zeros.
pub fn quantiles(v: &[f32]) -> Quantiles {
    if v.is_empty() {
        return Quantiles::default();
    }
    let mut s = v.to_vec();
    s.sort_by(f32::total_cmp);
    let at = |q: f64| s[((q * (s.len() - 1) as f64).round() as usize).min(s.len() - 1)] as f64;
    Quantiles { p25: at(0.25), p50: at(0.5), p75: at(0.75), p100: at(1.0) }
}

/// The margins `ε̂_{x,p}` (p = 1, 2, ∞) of every row of `x` (B x D) by exact gradients, in chunks of `chunk` points
/// (each chunk one [`linearize`] on `chunk (1 + D)` rows): returns B x 3 margins (columns ℓ1, ℓ2, ℓ∞) and the B
/// predicted classes.
///
/// # Errors
/// As [`linearize`].
pub fn batch_margins(mlp: &Mlp, x: ArrayView2<f32>, chunk: usize) -> Result<(Array2<f32>, Array1<usize>)> {
    let xc = nd::standard(x);
    let (x, batch) = input_values(mlp, &xc, "batch_margins")?;
    let d = mlp.inputs();
    let probes = Probes::basis(d);
    let chunk = chunk.max(1);
    let mut eps = Vec::with_capacity(batch * 3);
    let mut class = Vec::with_capacity(batch);
    for start in (0..batch).step_by(chunk) {
        let n = chunk.min(batch - start);
        let st = linearize_flat(mlp, &x[start * d..(start + n) * d], n, &probes)?;
        for b in 0..n {
            let m = margins(&st.point(mlp, b)?);
            eps.extend(m.eps);
            class.push(m.class);
        }
    }
    Ok((nd::array("batch_margins", eps, (batch, 3))?, Array1::from(class)))
}
