//! Convolutional ReLU networks for the verify lab, and IBP, CROWN and CROWN-IBP through them (with the gradients
//! CROWN-IBP training needs).
//!
//! A [`Net`] is a chain of affine layers, each a dense layer or a `Conv2d`, with a ReLU after every layer but the
//! last: `z_l = A_l(a_l)`, `a_{l+1} = relu(z_l)`, logits `z_{L-1}`. Activations are stored as B x n rows with
//! n = C·H·W in NCHW order, so *flatten* between a conv and a dense layer is the identity on memory. The bound
//! algorithms are those of the parent module (its header has the paper's equations) with every product by `W`
//! replaced by the layer's linear map:
//! - IBP (eq. 5): `zc = A(c)`, `zr = |A|(r)` — for a conv, [`conv2d`] with `|W|` (bias-free);
//! - the CROWN backward pass (eq. 7): `lam_a = lam A` — for a conv, the adjoint, [`conv2d_transpose`] of the
//!   specification rows taken as `B·S` images; the bias enters through `lam . b` with `b` repeated over positions;
//! - its gradient: `dlam = A(dla)` (a bias-free conv) and `dW += lam ⋆ dla` (the conv weight gradient with `dla` as
//!   the input and `lam` as the output gradient, [`conv2d_backward`]).
//!
//! Everything else (the relaxation, the adaptive lower slope, elision of the last layer into the specification,
//! full CROWN's per-neuron passes intersected with IBP) is shared with the MLP path and tested to agree with it: a
//! conv net written as a dense [`Mlp`] gets the same bounds (`tests/verify_conv.rs`).

use ndarray::{Array2, ArrayView2};

use crate::error::{Error, Result};
use crate::kernels::conv::{conv2d, conv2d_backward, conv2d_transpose, ConvGrads, ConvShape};
use crate::kernels::gemm::{gemm, MatRef};
use crate::nd;
use crate::nn::layers::{argmax_rows, softmax_cross_entropy};
use crate::nn::{Mlp, Rng};

use super::{batch_rows, check_eps, input_box, margin_arrays, margin_spec, relax, LayerBounds, LowerSlope, Method, RobustLoss};

/// One affine layer's map.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub enum Op {
    /// `y = W x + b`, W `no x ni`.
    Dense { ni: usize, no: usize },
    /// `Conv2d` on one image of `c x h x w` to `o` channels, square kernel `k`, equal stride and zero padding;
    /// W is `o x c x k x k`, b is `o`.
    Conv { c: usize, h: usize, w: usize, o: usize, k: usize, stride: usize, pad: usize },
}

/// An affine layer: its map and parameters.
#[derive(Clone, Debug)]
pub struct Layer {
    /// The map.
    pub op: Op,
    /// Weights (`no x ni` dense, `o x c x k x k` conv).
    pub w: Vec<f32>,
    /// Bias (`no` dense, `o` conv).
    pub b: Vec<f32>,
}

impl Layer {
    fn shape(&self, rows: usize) -> Option<ConvShape> {
        match self.op {
            Op::Conv { c, h, w, o, k, stride, pad } => Some(ConvShape::new(rows, c, h, w, o, k, stride, pad)),
            Op::Dense { .. } => None,
        }
    }

    /// Input width (C·H·W for a conv).
    pub fn ni(&self) -> usize {
        match self.op {
            Op::Dense { ni, .. } => ni,
            Op::Conv { c, h, w, .. } => c * h * w,
        }
    }

    /// Output width (O·OH·OW for a conv).
    pub fn no(&self) -> usize {
        match self.op {
            Op::Dense { no, .. } => no,
            Op::Conv { .. } => {
                let s = self.shape(1).expect("conv");
                s.o * s.oh() * s.ow()
            }
        }
    }

    /// Expected lengths of (w, b).
    fn param_lens(&self) -> (usize, usize) {
        match self.op {
            Op::Dense { ni, no } => (ni * no, no),
            Op::Conv { c, o, k, .. } => (o * c * k * k, o),
        }
    }

    /// The bias repeated over output positions (length `no`).
    fn bias_full(&self) -> Vec<f32> {
        match self.op {
            Op::Dense { .. } => self.b.clone(),
            Op::Conv { .. } => {
                let p = self.no() / self.b.len();
                self.b.iter().flat_map(|&v| std::iter::repeat_n(v, p)).collect()
            }
        }
    }

    /// Adds a gradient w.r.t. the repeated bias (length `no`) into `db` (the bias's own length).
    fn add_bias_grad(&self, dfull: &[f32], db: &mut [f32]) {
        let p = self.no() / self.b.len();
        for (d, chunk) in db.iter_mut().zip(dfull.chunks(p)) {
            *d += chunk.iter().sum::<f32>();
        }
    }

    /// `y = A_w(x)` (+ bias when `bias`) for `rows` rows: x rows x ni, y rows x no. `w` is the layer's weights or
    /// their absolute values.
    fn apply(&self, w: &[f32], x: &[f32], rows: usize, bias: bool) -> Result<Vec<f32>> {
        let (ni, no) = (self.ni(), self.no());
        let mut y = vec![0.0; rows * no];
        match self.shape(rows) {
            None => {
                gemm(1.0, MatRef::new(x, rows, ni), MatRef::new(w, no, ni).t(), 0.0, &mut y, no, 1)?;
                if bias {
                    for row in y.chunks_mut(no) {
                        for (v, b) in row.iter_mut().zip(&self.b) {
                            *v += b;
                        }
                    }
                }
            }
            Some(s) => conv2d(&s, x, w, if bias { Some(&self.b) } else { None }, &mut y)?,
        }
        Ok(y)
    }

    /// The adjoint `lam A_w` for `rows` rows: lam rows x no, result rows x ni.
    fn adjoint(&self, w: &[f32], lam: &[f32], rows: usize) -> Result<Vec<f32>> {
        let (ni, no) = (self.ni(), self.no());
        let mut out = vec![0.0; rows * ni];
        match self.shape(rows) {
            None => gemm(1.0, MatRef::new(lam, rows, no), MatRef::new(w, no, ni), 0.0, &mut out, ni, 1)?,
            Some(s) => conv2d_transpose(&s, w, lam, &mut out)?,
        }
        Ok(out)
    }

    /// `sum_rows dy^T x` in the weights' layout (the weight gradient of `y = A(x)`): x rows x ni, dy rows x no.
    fn weight_grad(&self, x: &[f32], dy: &[f32], rows: usize) -> Result<Vec<f32>> {
        let (ni, no) = (self.ni(), self.no());
        let mut dw = vec![0.0; self.w.len()];
        match self.shape(rows) {
            None => gemm(1.0, MatRef::new(dy, rows, no).t(), MatRef::new(x, rows, ni), 0.0, &mut dw, ni, 1)?,
            Some(s) => conv2d_backward(&s, x, &self.w, dy, ConvGrads { dx: None, dw: Some(&mut dw), db: None })?,
        }
        Ok(dw)
    }
}

/// A chain of dense / conv layers with ReLUs between them (see the module header).
#[derive(Clone, Debug)]
pub struct Net {
    /// The layers, input first.
    pub layers: Vec<Layer>,
}

/// Gradients of a [`Net`]'s parameters, same layout.
#[derive(Clone, Debug)]
pub struct NetGrads {
    pub dw: Vec<Vec<f32>>,
    pub db: Vec<Vec<f32>>,
}

impl NetGrads {
    /// Zero gradients shaped like `m`.
    pub fn zeros(m: &Net) -> Self {
        NetGrads { dw: m.layers.iter().map(|l| vec![0.0; l.w.len()]).collect(), db: m.layers.iter().map(|l| vec![0.0; l.b.len()]).collect() }
    }

    /// The gradients in [`Net::params_mut`] order.
    pub fn as_slices(&self) -> Vec<&[f32]> {
        self.dw.iter().zip(&self.db).flat_map(|(w, b)| [w.as_slice(), b.as_slice()]).collect()
    }
}

fn add_into(dst: &mut [f32], src: &[f32]) {
    for (d, s) in dst.iter_mut().zip(src) {
        *d += s;
    }
}

/// Natural forward cache: the input of every layer and the pre-activations.
pub struct NetCache {
    a: Vec<Vec<f32>>,
    z: Vec<Vec<f32>>,
    batch: usize,
}

/// What IBP keeps for its backward: the box of every layer's input and the hidden pre-activation bounds.
struct IbpCache {
    c: Vec<Vec<f32>>,
    r: Vec<Vec<f32>>,
    bounds: LayerBounds,
}

/// What the CROWN backward pass keeps for its own backward.
struct CrownCache {
    lam_in: Vec<Vec<f32>>,
    lam_a: Vec<Vec<f32>>,
}

impl Net {
    /// A net from its maps with PyTorch's default initialisation (uniform in `+-1/sqrt(fan_in)`, fan_in = C·k·k for
    /// a conv).
    ///
    /// # Errors
    /// [`Error::Shape`] when consecutive layers do not fit (see [`Net::validate`]).
    pub fn new(ops: &[Op], rng: &mut Rng) -> Result<Net> {
        let mut layers = Vec::new();
        for op in ops {
            let fan_in = match *op {
                Op::Dense { ni, .. } => ni,
                Op::Conv { c, k, .. } => c * k * k,
            };
            let bound = 1.0 / (fan_in.max(1) as f32).sqrt();
            let mut l = Layer { op: op.clone(), w: Vec::new(), b: Vec::new() };
            let (nw, nb) = l.param_lens();
            l.w = (0..nw).map(|_| rng.uniform_in(-bound, bound)).collect();
            l.b = (0..nb).map(|_| rng.uniform_in(-bound, bound)).collect();
            layers.push(l);
        }
        let m = Net { layers };
        m.validate()?;
        Ok(m)
    }

    /// The small CNN shipped by the lab, in the spirit of the paper's DM-small (conv 16 4x4 s2, conv 32 4x4 s1,
    /// dense 100, dense 10) but narrower and with stride 2 in both convs so the CROWN pass is cheap:
    /// conv `c1` 4x4 stride 2 pad 1 (28 -> 14), conv `c2` 4x4 stride 2 pad 1 (14 -> 7), dense `hidden`, dense 10.
    pub fn small_cnn_ops(c1: usize, c2: usize, hidden: usize) -> Vec<Op> {
        vec![
            Op::Conv { c: 1, h: 28, w: 28, o: c1, k: 4, stride: 2, pad: 1 },
            Op::Conv { c: c1, h: 14, w: 14, o: c2, k: 4, stride: 2, pad: 1 },
            Op::Dense { ni: c2 * 49, no: hidden },
            Op::Dense { ni: hidden, no: 10 },
        ]
    }

    /// The same network as a [`Net`] of dense layers.
    pub fn from_mlp(m: &Mlp) -> Net {
        let layers = (0..m.layers())
            .map(|l| Layer { op: Op::Dense { ni: m.dims[l], no: m.dims[l + 1] }, w: m.w[l].clone(), b: m.b[l].clone() })
            .collect();
        Net { layers }
    }

    /// The same function as an [`Mlp`]: every conv written as its dense (Toeplitz) matrix. The test oracle for the
    /// bounds through convolutions; `O(no x ni)` memory per layer, so for small nets.
    ///
    /// # Errors
    /// From the conv kernel (never for a validated net).
    pub fn to_mlp(&self) -> Result<Mlp> {
        let mut dims = vec![self.inputs()];
        let mut w = Vec::new();
        let mut b = Vec::new();
        for l in &self.layers {
            let (ni, no) = (l.ni(), l.no());
            dims.push(no);
            match l.op {
                Op::Dense { .. } => w.push(l.w.clone()),
                Op::Conv { .. } => {
                    // column j of the matrix is the conv of the j-th unit image
                    let mut eye = vec![0.0; ni * ni];
                    for j in 0..ni {
                        eye[j * ni + j] = 1.0;
                    }
                    let cols = l.apply(&l.w, &eye, ni, false)?; // ni x no
                    let mut m = vec![0.0; no * ni];
                    for j in 0..ni {
                        for o in 0..no {
                            m[o * ni + j] = cols[j * no + o];
                        }
                    }
                    w.push(m);
                }
            }
            b.push(l.bias_full());
        }
        Ok(Mlp { dims, w, b })
    }

    /// Checks that consecutive layers fit, conv geometry is valid, parameters have their lengths and are finite.
    ///
    /// # Errors
    /// [`Error::Shape`] / [`Error::Model`] naming the layer.
    pub fn validate(&self) -> Result<()> {
        if self.layers.is_empty() {
            return Err(Error::shape("Net", "a net needs at least one layer"));
        }
        for (i, l) in self.layers.iter().enumerate() {
            if let Some(s) = l.shape(1) {
                s.check("Net conv layer")?;
            }
            let (nw, nb) = l.param_lens();
            if l.w.len() != nw || l.b.len() != nb {
                return Err(Error::Model(format!("layer {i}: weights {} and bias {} should be {nw} and {nb}", l.w.len(), l.b.len())));
            }
            if l.w.iter().chain(&l.b).any(|v| !v.is_finite()) {
                return Err(Error::Model(format!("layer {i} has a NaN or infinite parameter")));
            }
            if i > 0 && self.layers[i - 1].no() != l.ni() {
                return Err(Error::shape("Net", format!("layer {} gives {} values but layer {i} takes {}", i - 1, self.layers[i - 1].no(), l.ni())));
            }
        }
        Ok(())
    }

    /// Input width (784 for MNIST).
    pub fn inputs(&self) -> usize {
        self.layers[0].ni()
    }

    /// Number of classes.
    pub fn classes(&self) -> usize {
        self.layers.last().expect("validated").no()
    }

    /// Parameter tensors in optimiser order (w0, b0, w1, b1, ...).
    pub fn params_mut(&mut self) -> Vec<&mut [f32]> {
        self.layers.iter_mut().flat_map(|l| [l.w.as_mut_slice(), l.b.as_mut_slice()]).collect()
    }

    /// Sizes in [`Net::params_mut`] order.
    pub fn param_sizes(&self) -> Vec<usize> {
        self.layers.iter().flat_map(|l| [l.w.len(), l.b.len()]).collect()
    }

    /// Forward pass: logits (B x K) and the cache for [`Net::backward`]. Shapes: `x` B x I.
    ///
    /// # Errors
    /// [`Error::Shape`] when `x` does not have I columns.
    pub fn forward(&self, x: ArrayView2<f32>) -> Result<(Array2<f32>, NetCache)> {
        let batch = x.nrows();
        if x.ncols() != self.inputs() {
            return Err(Error::shape("Net::forward", format!("x has {} columns; the net takes {}", x.ncols(), self.inputs())));
        }
        let (logits, cache) = self.forward_flat(x.iter().copied().collect(), batch)?;
        Ok((nd::array("Net::forward", logits, (batch, self.classes()))?, cache))
    }

    /// [`Net::forward`] on a flat B x I buffer whose length is checked; returns flat logits.
    fn forward_flat(&self, x: Vec<f32>, batch: usize) -> Result<(Vec<f32>, NetCache)> {
        if x.len() != batch * self.inputs() {
            return Err(Error::shape("Net::forward", format!("x must be {batch}x{}, has {} values", self.inputs(), x.len())));
        }
        let mut a = vec![x];
        let mut z = Vec::new();
        for (l, layer) in self.layers.iter().enumerate() {
            let zl = layer.apply(&layer.w, &a[l], batch, true)?;
            if l + 1 < self.layers.len() {
                a.push(zl.iter().map(|v| v.max(0.0)).collect());
            }
            z.push(zl);
        }
        let logits = z.last().expect("non-empty").clone();
        Ok((logits, NetCache { a, z, batch }))
    }

    /// Logits only: `x` B x I to B x K.
    ///
    /// # Errors
    /// As [`Net::forward`].
    pub fn logits(&self, x: ArrayView2<f32>) -> Result<Array2<f32>> {
        Ok(self.forward(x)?.0)
    }

    /// Backward of [`Net::forward`] from `dlogits` (B x K): accumulates parameter gradients into `g` and returns the
    /// input gradient (B x I) when `need_dx`.
    ///
    /// # Errors
    /// [`Error::Shape`] when `dlogits` is not B x K for the cache's batch; from the kernels on inconsistent shapes.
    pub fn backward(&self, cache: &NetCache, dlogits: ArrayView2<f32>, g: &mut NetGrads, need_dx: bool) -> Result<Option<Array2<f32>>> {
        if dlogits.dim() != (cache.batch, self.classes()) {
            return Err(Error::shape("Net::backward", format!("dlogits must be {}x{}, not {:?}", cache.batch, self.classes(), dlogits.dim())));
        }
        let dx = self.backward_flat(cache, dlogits.iter().copied().collect(), g, need_dx)?;
        dx.map(|d| nd::array("Net::backward", d, (cache.batch, self.inputs()))).transpose()
    }

    /// [`Net::backward`] on flat buffers.
    fn backward_flat(&self, cache: &NetCache, dlogits: Vec<f32>, g: &mut NetGrads, need_dx: bool) -> Result<Option<Vec<f32>>> {
        let batch = cache.batch;
        let mut dz = dlogits;
        for l in (0..self.layers.len()).rev() {
            let layer = &self.layers[l];
            add_into(&mut g.dw[l], &layer.weight_grad(&cache.a[l], &dz, batch)?);
            let mut dfull = vec![0.0; layer.no()];
            for row in dz.chunks(layer.no()) {
                add_into(&mut dfull, row);
            }
            layer.add_bias_grad(&dfull, &mut g.db[l]);
            if l == 0 && !need_dx {
                break;
            }
            let mut da = layer.adjoint(&layer.w, &dz, batch)?;
            if l == 0 {
                return Ok(Some(da));
            }
            for (d, &zv) in da.iter_mut().zip(&cache.z[l - 1]) {
                if zv <= 0.0 {
                    *d = 0.0;
                }
            }
            dz = da;
        }
        Ok(None)
    }

    fn abs_w(&self) -> Vec<Vec<f32>> {
        self.layers.iter().map(|l| crate::kernels::interval::abs(&l.w)).collect()
    }

    /// IBP through layers `0..=t` given (possibly tightened) bounds for layers below t; returns the box of z_t.
    fn ibp_to(&self, absw: &[Vec<f32>], c0: &[f32], r0: &[f32], batch: usize, below: &LayerBounds, t: usize) -> Result<(Vec<f32>, Vec<f32>)> {
        let (mut c, mut r) = (c0.to_vec(), r0.to_vec());
        for l in 0..=t {
            if l > 0 {
                (c, r) = relu_box(&below.lo[l - 1], &below.up[l - 1]);
            }
            let layer = &self.layers[l];
            let zc = layer.apply(&layer.w, &c, batch, true)?;
            let zr = layer.apply(&absw[l], &r, batch, false)?;
            if l == t {
                return Ok((zc.iter().zip(&zr).map(|(a, b)| a - b).collect(), zc.iter().zip(&zr).map(|(a, b)| a + b).collect()));
            }
        }
        unreachable!("loop returns at l == t")
    }

    /// IBP through the hidden layers (eq. 5).
    fn ibp_hidden(&self, absw: &[Vec<f32>], c0: &[f32], r0: &[f32], batch: usize) -> Result<IbpCache> {
        let nl = self.layers.len();
        let mut c = vec![c0.to_vec()];
        let mut r = vec![r0.to_vec()];
        let mut bounds = LayerBounds { lo: Vec::new(), up: Vec::new() };
        for l in 0..nl - 1 {
            let layer = &self.layers[l];
            let zc = layer.apply(&layer.w, &c[l], batch, true)?;
            let zr = layer.apply(&absw[l], &r[l], batch, false)?;
            let lo: Vec<f32> = zc.iter().zip(&zr).map(|(a, b)| a - b).collect();
            let up: Vec<f32> = zc.iter().zip(&zr).map(|(a, b)| a + b).collect();
            let (cn, rn) = relu_box(&lo, &up);
            c.push(cn);
            r.push(rn);
            bounds.lo.push(lo);
            bounds.up.push(up);
        }
        Ok(IbpCache { c, r, bounds })
    }

    /// IBP lower bound of `spec z_{L-1}` with the last layer merged into the specification (elision). Returns the
    /// lower bound (B x S) and the merged `W_c = spec A_last` (B·S x n).
    fn ibp_spec(&self, spec: &[f32], s: usize, c: &[f32], r: &[f32], batch: usize) -> Result<(Vec<f32>, Vec<f32>)> {
        let last = &self.layers[self.layers.len() - 1];
        let n = last.ni();
        let wc = last.adjoint(&last.w, spec, batch * s)?;
        let bfull = last.bias_full();
        let mut lb = vec![0.0; batch * s];
        for b in 0..batch {
            let (cb, rb) = (&c[b * n..(b + 1) * n], &r[b * n..(b + 1) * n]);
            for q in 0..s {
                let row = &spec[(b * s + q) * last.no()..(b * s + q + 1) * last.no()];
                let w = &wc[(b * s + q) * n..(b * s + q + 1) * n];
                let mut acc: f32 = row.iter().zip(&bfull).map(|(a, b)| a * b).sum();
                for j in 0..n {
                    acc += w[j] * cb[j] - w[j].abs() * rb[j];
                }
                lb[b * s + q] = acc;
            }
        }
        Ok((lb, wc))
    }

    /// CROWN lower bound of `spec z_top` (eq. 7) given bounds of the hidden pre-activations below `top`.
    #[allow(clippy::too_many_arguments)]
    fn crown_lower(&self, top: usize, spec: &[f32], s: usize, bounds: &LayerBounds, c0: &[f32], r0: &[f32], batch: usize, keep: bool, slope: LowerSlope) -> Result<(Vec<f32>, Option<CrownCache>)> {
        let bs = batch * s;
        let mut bias = vec![0.0f32; bs];
        let mut lam = spec.to_vec();
        let mut lam_in: Vec<Vec<f32>> = vec![Vec::new(); top + 1];
        let mut lam_a: Vec<Vec<f32>> = vec![Vec::new(); top + 1];
        let mut l = top;
        loop {
            let layer = &self.layers[l];
            let (no, ni) = (layer.no(), layer.ni());
            let bfull = layer.bias_full();
            for (q, row) in lam.chunks(no).enumerate() {
                bias[q] += row.iter().zip(&bfull).map(|(a, b)| a * b).sum::<f32>();
            }
            let la = layer.adjoint(&layer.w, &lam, bs)?;
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
                return Ok((lb, if keep { Some(CrownCache { lam_in, lam_a }) } else { None }));
            }
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

    /// Backward of [`Net::crown_lower`] with IBP bounds: from `dlb` (B x S) accumulates weight gradients and returns
    /// `(dlo, dup)` for the hidden bounds. The adaptive slope is a constant (as in the paper's implementation).
    #[allow(clippy::too_many_arguments)]
    fn crown_lower_backward(&self, top: usize, s: usize, bounds: &LayerBounds, c0: &[f32], r0: &[f32], batch: usize, cache: &CrownCache, dlb: &[f32], g: &mut NetGrads) -> Result<(Vec<Vec<f32>>, Vec<Vec<f32>>)> {
        let bs = batch * s;
        let mut dlo: Vec<Vec<f32>> = bounds.lo.iter().map(|v| vec![0.0; v.len()]).collect();
        let mut dup: Vec<Vec<f32>> = bounds.up.iter().map(|v| vec![0.0; v.len()]).collect();
        let ni0 = self.inputs();
        let la0 = &cache.lam_a[0];
        let mut dla = vec![0.0; bs * ni0];
        for b in 0..batch {
            let (cb, rb) = (&c0[b * ni0..(b + 1) * ni0], &r0[b * ni0..(b + 1) * ni0]);
            for q in 0..s {
                let o = (b * s + q) * ni0;
                let d = dlb[b * s + q];
                for j in 0..ni0 {
                    let v = la0[o + j];
                    let sg = if v > 0.0 { 1.0 } else if v < 0.0 { -1.0 } else { 0.0 };
                    dla[o + j] = d * (cb[j] - sg * rb[j]);
                }
            }
        }
        for l in 0..=top {
            let layer = &self.layers[l];
            let no = layer.no();
            let lin = &cache.lam_in[l];
            // la = lin A  =>  dlin = A(dla), dW += lin ⋆ dla
            let mut dlin = layer.apply(&layer.w, &dla, bs, false)?;
            add_into(&mut g.dw[l], &layer.weight_grad(&dla, lin, bs)?);
            // bias += lin . bfull
            let bfull = layer.bias_full();
            let mut dbf = vec![0.0; no];
            for q in 0..bs {
                let dq = dlb[q];
                if dq == 0.0 {
                    continue;
                }
                let row = &lin[q * no..(q + 1) * no];
                for j in 0..no {
                    dbf[j] += dq * row[j];
                    dlin[q * no + j] += dq * bfull[j];
                }
            }
            layer.add_bias_grad(&dbf, &mut g.db[l]);
            if l == top {
                break;
            }
            // lin = la_{l+1} D_l ; bias += la_{l+1} . E_l
            let la = &cache.lam_a[l + 1];
            let (blo, bup) = (&bounds.lo[l], &bounds.up[l]);
            let mut dla_next = vec![0.0; bs * no];
            for b in 0..batch {
                let (lo, up) = (&blo[b * no..(b + 1) * no], &bup[b * no..(b + 1) * no]);
                for q in 0..s {
                    let o = (b * s + q) * no;
                    let dq = dlb[b * s + q];
                    for j in 0..no {
                        let v = la[o + j];
                        let (d, e, upper) = relax(lo[j], up[j], v >= 0.0, LowerSlope::Adaptive);
                        dla_next[o + j] = dlin[o + j] * d + dq * e;
                        if upper {
                            let dd = dlin[o + j] * v;
                            let de = dq * v;
                            let (l0, u0) = (lo[j], up[j]);
                            let w = u0 - l0;
                            let su = u0 / w;
                            let dsu_dl = u0 / (w * w);
                            let dsu_du = -l0 / (w * w);
                            dlo[l][b * no + j] += dd * dsu_dl + de * (-su - l0 * dsu_dl);
                            dup[l][b * no + j] += dd * dsu_du + de * (-l0 * dsu_du);
                        }
                    }
                }
            }
            dla = dla_next;
        }
        Ok((dlo, dup))
    }

    /// Backward of IBP through the hidden layers.
    #[allow(clippy::too_many_arguments)]
    fn ibp_hidden_backward(&self, absw: &[Vec<f32>], cache: &IbpCache, mut dc: Vec<f32>, mut dr: Vec<f32>, mut dlo: Vec<Vec<f32>>, mut dup: Vec<Vec<f32>>, batch: usize, g: &mut NetGrads) -> Result<()> {
        let nl = self.layers.len();
        for l in (0..nl - 1).rev() {
            let layer = &self.layers[l];
            let no = layer.no();
            let (lo, up) = (&cache.bounds.lo[l], &cache.bounds.up[l]);
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
            add_into(&mut g.dw[l], &layer.weight_grad(&cache.c[l], &dzc, batch)?);
            let mut dbf = vec![0.0; no];
            for row in dzc.chunks(no) {
                add_into(&mut dbf, row);
            }
            layer.add_bias_grad(&dbf, &mut g.db[l]);
            let dabs = layer.weight_grad(&cache.r[l], &dzr, batch)?;
            for ((d, &w), a) in g.dw[l].iter_mut().zip(&layer.w).zip(&dabs) {
                if w > 0.0 {
                    *d += a;
                } else if w < 0.0 {
                    *d -= a;
                }
            }
            if l > 0 {
                dc = layer.adjoint(&layer.w, &dzc, batch)?;
                dr = layer.adjoint(&absw[l], &dzr, batch)?;
            }
        }
        Ok(())
    }

    /// Full-CROWN bounds of every hidden pre-activation (each intersected with IBP from the tightened layer below);
    /// only neurons IBP leaves unstable get a pass, one digit at a time.
    fn crown_hidden_bounds(&self, absw: &[Vec<f32>], c0: &[f32], r0: &[f32], batch: usize, slope: LowerSlope) -> Result<LayerBounds> {
        let nl = self.layers.len();
        let i = self.inputs();
        let mut bounds = LayerBounds { lo: Vec::new(), up: Vec::new() };
        for t in 0..nl - 1 {
            let (mut lo, mut up) = self.ibp_to(absw, c0, r0, batch, &bounds, t)?;
            if t > 0 {
                let n = self.layers[t].no();
                let per = crate::par::map_range(batch, |b| -> Result<Vec<(usize, f32, f32)>> {
                    let unstable: Vec<usize> = (0..n).filter(|&j| lo[b * n + j] < 0.0 && up[b * n + j] > 0.0).collect();
                    if unstable.is_empty() {
                        return Ok(Vec::new());
                    }
                    let u = unstable.len();
                    let mut spec = vec![0.0; 2 * u * n];
                    for (q, &j) in unstable.iter().enumerate() {
                        spec[q * n + j] = 1.0;
                        spec[(u + q) * n + j] = -1.0;
                    }
                    let widths: Vec<usize> = self.layers.iter().map(Layer::no).collect();
                    let one = LayerBounds {
                        lo: bounds.lo.iter().zip(&widths).map(|(v, &w)| v[b * w..(b + 1) * w].to_vec()).collect(),
                        up: bounds.up.iter().zip(&widths).map(|(v, &w)| v[b * w..(b + 1) * w].to_vec()).collect(),
                    };
                    let (lb, _) = self.crown_lower(t, &spec, 2 * u, &one, &c0[b * i..(b + 1) * i], &r0[b * i..(b + 1) * i], 1, false, slope)?;
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

    /// Lower bounds only (B x K) of the margins `m_j = z_y - z_j` (0 for j = y): the first half of
    /// [`Net::margin_bounds`] at half its cost for CROWN and CROWN-IBP (the specification has K rows per digit instead
    /// of 2K), which is all a verified-error count needs.
    ///
    /// # Errors
    /// As [`Net::margin_bounds`].
    #[allow(clippy::too_many_arguments)]
    pub fn margin_lower(&self, x: ArrayView2<f32>, labels: &[u8], eps: f32, method: Method, beta: f32, slope: LowerSlope) -> Result<Array2<f32>> {
        let (lb, _) = self.spec_lower(x, labels, eps, method, beta, slope, false)?;
        nd::array("Net::margin_lower", lb, (labels.len(), self.classes()))
    }

    /// The lower bounds of `spec z` (B x S, S = 2K with `both`, else K) behind [`Net::margin_bounds`].
    #[allow(clippy::too_many_arguments)]
    fn spec_lower(&self, x: ArrayView2<f32>, labels: &[u8], eps: f32, method: Method, beta: f32, slope: LowerSlope, both: bool) -> Result<(Vec<f32>, usize)> {
        check_eps(eps)?;
        if !(0.0..=1.0).contains(&beta) {
            return Err(Error::range("beta", format!("{beta} must be in [0, 1]")));
        }
        let (k, i) = (self.classes(), self.inputs());
        let batch = labels.len();
        let xc = nd::standard(x);
        let x = batch_rows("Net::margin_bounds", &xc, batch, i)?;
        if let Some(&y) = labels.iter().find(|&&y| y as usize >= k) {
            return Err(Error::range("label", format!("{y} is not below {k}")));
        }
        let absw = self.abs_w();
        let (c0, r0) = input_box(x, eps);
        let s = if both { 2 * k } else { k };
        let spec = margin_spec(labels, k, both);
        let top = self.layers.len() - 1;
        let lb = match method {
            Method::Ibp => {
                let ic = self.ibp_hidden(&absw, &c0, &r0, batch)?;
                self.ibp_spec(&spec, s, &ic.c[top], &ic.r[top], batch)?.0
            }
            Method::CrownIbp => {
                let ic = self.ibp_hidden(&absw, &c0, &r0, batch)?;
                let crown = self.crown_lower(top, &spec, s, &ic.bounds, &c0, &r0, batch, false, slope)?.0;
                if beta >= 1.0 {
                    crown
                } else {
                    let ibp = self.ibp_spec(&spec, s, &ic.c[top], &ic.r[top], batch)?.0;
                    crown.iter().zip(&ibp).map(|(a, b)| beta * a + (1.0 - beta) * b).collect()
                }
            }
            Method::Crown => {
                let bounds = self.crown_hidden_bounds(&absw, &c0, &r0, batch, slope)?;
                self.crown_lower(top, &spec, s, &bounds, &c0, &r0, batch, false, slope)?.0
            }
        };
        Ok((lb, s))
    }

    /// Margin bounds `(lower, upper)`, each B x K, for `m_j = z_y - z_j` over the epsilon ball; the same contract
    /// as [`super::margin_bounds`] for MLPs.
    ///
    /// # Errors
    /// [`Error::Range`] for a bad epsilon, beta or label; [`Error::Shape`] for mismatched lengths.
    #[allow(clippy::too_many_arguments)]
    pub fn margin_bounds(&self, x: ArrayView2<f32>, labels: &[u8], eps: f32, method: Method, beta: f32, slope: LowerSlope) -> Result<(Array2<f32>, Array2<f32>)> {
        let (k, batch) = (self.classes(), labels.len());
        let (lb, s) = self.spec_lower(x, labels, eps, method, beta, slope, true)?;
        let mut lower = vec![0.0; batch * k];
        let mut upper = vec![0.0; batch * k];
        for b in 0..batch {
            for j in 0..k {
                lower[b * k + j] = lb[b * s + j];
                upper[b * k + j] = -lb[b * s + k + j];
            }
        }
        margin_arrays("Net::margin_bounds", (lower, upper), batch, k)
    }

    /// Loss and gradients of one training batch (eq. 8), as [`super::robust_loss_grad`] for MLPs:
    /// `kappa * CE(z, y) + (1 - kappa) * CE(-m_lower, y)`, `m_lower = beta * CROWN-IBP + (1 - beta) * IBP`.
    /// Returns `(loss, natural CE, robust CE)` and accumulates into `g` (the caller zeroes it).
    ///
    /// # Errors
    /// [`Error::Shape`] / [`Error::Range`] on bad input.
    pub fn robust_loss_grad(&self, x: ArrayView2<f32>, labels: &[u8], opt: RobustLoss, g: &mut NetGrads) -> Result<(f32, f32, f32)> {
        let batch = labels.len();
        let k = self.classes();
        let xc = nd::standard(x);
        let x = batch_rows("Net::robust_loss_grad", &xc, batch, self.inputs())?;
        let (logits, cache) = self.forward(xc.view())?;
        let (ce_nat, mut dlogits) = softmax_cross_entropy(logits.view(), labels.into())?;
        dlogits.mapv_inplace(|v| v * opt.kappa);
        self.backward(&cache, dlogits.view(), g, false)?;
        if opt.kappa >= 1.0 {
            return Ok((ce_nat, ce_nat, f32::NAN));
        }
        check_eps(opt.eps)?;
        let absw = self.abs_w();
        let (c0, r0) = input_box(x, opt.eps);
        let spec = margin_spec(labels, k, false);
        let s = k;
        let top = self.layers.len() - 1;
        let ic = self.ibp_hidden(&absw, &c0, &r0, batch)?;
        let (lb_ibp, wc) = self.ibp_spec(&spec, s, &ic.c[top], &ic.r[top], batch)?;
        let use_crown = opt.beta > 0.0;
        let (lb_crown, ccache) = if use_crown { self.crown_lower(top, &spec, s, &ic.bounds, &c0, &r0, batch, true, LowerSlope::Adaptive)? } else { (Vec::new(), None) };
        let lb: Vec<f32> = if use_crown { lb_crown.iter().zip(&lb_ibp).map(|(a, b)| opt.beta * a + (1.0 - opt.beta) * b).collect() } else { lb_ibp };
        let neg: Vec<f32> = lb.iter().map(|v| -v).collect();
        let (ce_rob, dneg) = softmax_cross_entropy(nd::view("Net::robust_loss_grad", &neg, (batch, k))?, labels.into())?;
        let w_rob = 1.0 - opt.kappa;
        let dlb: Vec<f32> = dneg.iter().map(|d| -d * w_rob).collect();
        // IBP spec backward: lb = spec.b + wc.c - |wc|.r with wc = spec A_last
        let last = &self.layers[top];
        let n = last.ni();
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
        add_into(&mut g.dw[top], &last.weight_grad(&dwc, &spec, batch * s)?);
        let mut dbf = vec![0.0; last.no()];
        for (q, row) in spec.chunks(last.no()).enumerate() {
            for (d, v) in dbf.iter_mut().zip(row) {
                *d += dlb_ibp[q] * v;
            }
        }
        last.add_bias_grad(&dbf, &mut g.db[top]);
        let (dlo, dup) = if let Some(cc) = &ccache {
            let dlb_c: Vec<f32> = dlb.iter().map(|d| d * opt.beta).collect();
            self.crown_lower_backward(top, s, &ic.bounds, &c0, &r0, batch, cc, &dlb_c, g)?
        } else {
            (ic.bounds.lo.iter().map(|v| vec![0.0; v.len()]).collect(), ic.bounds.up.iter().map(|v| vec![0.0; v.len()]).collect())
        };
        self.ibp_hidden_backward(&absw, &ic, dc, dr, dlo, dup, batch, g)?;
        Ok((opt.kappa * ce_nat + w_rob * ce_rob, ce_nat, ce_rob))
    }

    /// Serialises as safetensors: `layers.{l}.weight` / `layers.{l}.bias` in PyTorch layouts, metadata
    /// `arch = "net"` and `ops` (the JSON list of [`Op`]s) plus `extra`.
    ///
    /// # Errors
    /// From [`crate::io::save_f32`].
    pub fn to_safetensors(&self, extra: &std::collections::BTreeMap<String, String>) -> Result<Vec<u8>> {
        let names: Vec<(String, String)> = (0..self.layers.len()).map(|l| (format!("layers.{l}.weight"), format!("layers.{l}.bias"))).collect();
        let shapes: Vec<(Vec<usize>, [usize; 1])> = self
            .layers
            .iter()
            .map(|l| match l.op {
                Op::Dense { ni, no } => (vec![no, ni], [no]),
                Op::Conv { c, o, k, .. } => (vec![o, c, k, k], [o]),
            })
            .collect();
        let mut t: Vec<(&str, &[usize], &[f32])> = Vec::new();
        for (l, layer) in self.layers.iter().enumerate() {
            t.push((&names[l].0, &shapes[l].0, &layer.w));
            t.push((&names[l].1, &shapes[l].1, &layer.b));
        }
        let mut meta = extra.clone();
        meta.insert("arch".into(), "net".into());
        let ops: Vec<&Op> = self.layers.iter().map(|l| &l.op).collect();
        meta.insert("ops".into(), serde_json::to_string(&ops).map_err(|e| Error::format("net ops", e.to_string()))?);
        crate::io::save_f32(&t, &meta)
    }

    /// Loads a net written by [`Net::to_safetensors`], or an MLP written by [`Mlp::to_safetensors`] (as dense
    /// layers), with its metadata.
    ///
    /// # Errors
    /// [`Error::Format`] / [`Error::Model`] for unreadable bytes, missing or mis-shaped tensors, bad `ops`.
    pub fn from_safetensors(bytes: &[u8]) -> Result<(Net, std::collections::BTreeMap<String, String>)> {
        let f = crate::io::load(bytes)?;
        let meta = f.metadata().clone();
        match meta.get("arch").map(String::as_str) {
            Some("mlp") => {
                let (m, meta) = Mlp::from_safetensors(bytes)?;
                return Ok((Net::from_mlp(&m), meta));
            }
            Some("net") => {}
            other => return Err(Error::Model(format!("expected arch \"net\" or \"mlp\" in the metadata, found {other:?}"))),
        }
        let ops: Vec<Op> = serde_json::from_str(meta.get("ops").ok_or_else(|| Error::Model("metadata has no ops".into()))?)
            .map_err(|e| Error::Model(format!("metadata ops: {e}")))?;
        if ops.is_empty() || ops.len() > 16 {
            return Err(Error::Model(format!("{} layers is not a sensible net", ops.len())));
        }
        let mut layers = Vec::new();
        for (l, op) in ops.into_iter().enumerate() {
            let w = f.f32(&format!("layers.{l}.weight"))?.data;
            let b = f.f32(&format!("layers.{l}.bias"))?.data;
            layers.push(Layer { op, w, b });
        }
        let m = Net { layers };
        m.validate()?;
        Ok((m, meta))
    }

    /// Trains a net with the recipe of [`super::TrainConfig`] (its `dims` are ignored: the maps are `ops`).
    ///
    /// # Errors
    /// [`Error::Shape`] / [`Error::Range`] on inconsistent data or configuration.
    pub fn train(ops: &[Op], cfg: &super::TrainConfig, images: ArrayView2<f32>, labels: &[u8], mut progress: impl FnMut(&super::EpochStats, &Net)) -> Result<Net> {
        let mut rng = Rng::new(cfg.seed);
        let mut m = Net::new(ops, &mut rng)?;
        let (n, i) = (labels.len(), m.inputs());
        if images.dim() != (n, i) || n == 0 || cfg.batch == 0 {
            return Err(Error::shape("Net::train", format!("images must be {n}x{i} (are {}x{}) and the batch non-zero", images.nrows(), images.ncols())));
        }
        let images = nd::standard(images);
        let images = nd::slice_of("Net::train", &images)?;
        let mut opt = crate::nn::Adam::new(cfg.lr, &m.param_sizes());
        let mut order: Vec<usize> = (0..n).collect();
        let steps = n.div_ceil(cfg.batch);
        for epoch in 0..cfg.epochs {
            if cfg.lr_halve_at.contains(&epoch) {
                opt.lr *= 0.5;
            }
            rng.shuffle(&mut order);
            let (mut tl, mut tn, mut tr, mut wrong) = (0.0f64, 0.0f64, 0.0f64, 0usize);
            let mut sched = super::schedule(cfg, epoch as f32);
            for st in 0..steps {
                let idx = &order[st * cfg.batch..((st + 1) * cfg.batch).min(n)];
                let mut x = Vec::with_capacity(idx.len() * i);
                for &j in idx {
                    x.extend_from_slice(&images[j * i..(j + 1) * i]);
                }
                let y: Vec<u8> = idx.iter().map(|&j| labels[j]).collect();
                sched = super::schedule(cfg, epoch as f32 + st as f32 / steps as f32);
                let mut g = NetGrads::zeros(&m);
                let xv = nd::view("Net::train", &x, (y.len(), i))?;
                let (l, nat, rob) = m.robust_loss_grad(xv, &y, sched, &mut g)?;
                let pred = argmax_rows(m.logits(xv)?.view());
                wrong += pred.iter().zip(&y).filter(|(p, y)| **p != **y as usize).count();
                tl += l as f64;
                tn += nat as f64;
                tr += if rob.is_nan() { 0.0 } else { rob as f64 };
                let grads = g.as_slices();
                opt.step(&mut m.params_mut(), &grads);
            }
            let st = super::EpochStats {
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
}

/// The box of `relu(z)` for `z` in `[lo, up]`, centre/radius.
fn relu_box(lo: &[f32], up: &[f32]) -> (Vec<f32>, Vec<f32>) {
    lo.iter()
        .zip(up)
        .map(|(&a, &b)| {
            let (a, b) = (a.max(0.0), b.max(0.0));
            (0.5 * (b + a), 0.5 * (b - a))
        })
        .unzip()
}
