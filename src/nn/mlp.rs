//! A multilayer perceptron `Linear -> ReLU -> ... -> Linear`, the model family of the verify lab.
//!
//! Shapes: `dims = [I, H1, ..., K]`; layer `l` has weight `w[l]` of `dims[l+1] x dims[l]` (PyTorch layout) and bias
//! `b[l]` of `dims[l+1]` (stored flat; [`Mlp::weight`] and [`Mlp::bias`] give them shaped). Inputs are `ndarray`
//! views of B x I, logits B x K ([`crate::nd`]).

use ndarray::{Array2, ArrayView1, ArrayView2};

use crate::error::{Error, Result};
use crate::nd;
use crate::nn::layers::{linear_backward, linear_forward, relu_forward};
use crate::nn::Rng;

/// Weights and biases of an MLP.
#[derive(Clone, Debug, PartialEq)]
pub struct Mlp {
    /// Layer widths, input first, classes last; at least two entries.
    pub dims: Vec<usize>,
    /// `w[l]` is `dims[l+1] x dims[l]`.
    pub w: Vec<Vec<f32>>,
    /// `b[l]` is `dims[l+1]`.
    pub b: Vec<Vec<f32>>,
}

/// What the forward pass keeps for the backward: the input of every layer and the pre-activations.
#[derive(Clone, Debug)]
pub struct MlpCache {
    /// `acts[l]`: input of layer `l` (B x dims[l]); `acts[0]` is x.
    pub acts: Vec<Array2<f32>>,
    /// `pre[l]`: output of layer `l` before the ReLU (B x dims[l+1]); the last one is the logits.
    pub pre: Vec<Array2<f32>>,
    /// Batch size B.
    pub batch: usize,
}

/// Gradients with the same layout as [`Mlp`].
#[derive(Clone, Debug)]
pub struct MlpGrads {
    pub dw: Vec<Vec<f32>>,
    pub db: Vec<Vec<f32>>,
}

impl MlpGrads {
    /// Zero gradients shaped like `m`.
    pub fn zeros(m: &Mlp) -> Self {
        MlpGrads {
            dw: m.w.iter().map(|w| vec![0.0; w.len()]).collect(),
            db: m.b.iter().map(|b| vec![0.0; b.len()]).collect(),
        }
    }
    /// `self += s * o`.
    pub fn add_scaled(&mut self, o: &MlpGrads, s: f32) {
        for (a, b) in self.dw.iter_mut().zip(&o.dw).chain(self.db.iter_mut().zip(&o.db)) {
            for (x, y) in a.iter_mut().zip(b) {
                *x += s * y;
            }
        }
    }
}

impl Mlp {
    /// PyTorch's default `Linear` initialisation: weights and biases uniform in `+-1/sqrt(fan_in)`.
    ///
    /// # Errors
    /// [`Error::Shape`] if `dims` has fewer than two entries or a zero width.
    pub fn new(dims: &[usize], rng: &mut Rng) -> Result<Self> {
        if dims.len() < 2 || dims.contains(&0) {
            return Err(Error::shape("Mlp::new", format!("dims {dims:?} need at least two non-zero widths")));
        }
        let mut w = Vec::new();
        let mut b = Vec::new();
        for l in 0..dims.len() - 1 {
            let bound = 1.0 / (dims[l] as f32).sqrt();
            w.push((0..dims[l] * dims[l + 1]).map(|_| rng.uniform_in(-bound, bound)).collect());
            b.push((0..dims[l + 1]).map(|_| rng.uniform_in(-bound, bound)).collect());
        }
        Ok(Mlp { dims: dims.to_vec(), w, b })
    }

    /// Number of linear layers.
    pub fn layers(&self) -> usize {
        self.dims.len() - 1
    }

    /// Input width I.
    pub fn inputs(&self) -> usize {
        self.dims[0]
    }

    /// Number of classes K.
    pub fn classes(&self) -> usize {
        *self.dims.last().unwrap()
    }

    /// Checks that every tensor has the length `dims` implies.
    ///
    /// # Errors
    /// [`Error::Model`] naming the first tensor that does not fit.
    pub fn validate(&self) -> Result<()> {
        if self.dims.len() < 2 || self.w.len() != self.dims.len() - 1 || self.b.len() != self.w.len() {
            return Err(Error::Model(format!("an MLP with dims {:?} needs {} weight and bias tensors", self.dims, self.dims.len().saturating_sub(1))));
        }
        for l in 0..self.layers() {
            if self.w[l].len() != self.dims[l] * self.dims[l + 1] || self.b[l].len() != self.dims[l + 1] {
                return Err(Error::Model(format!("layer {l} must have weight {}x{} and bias {}", self.dims[l + 1], self.dims[l], self.dims[l + 1])));
            }
            if self.w[l].iter().chain(&self.b[l]).any(|v| !v.is_finite()) {
                return Err(Error::Model(format!("layer {l} holds NaN or infinite values")));
            }
        }
        Ok(())
    }

    /// Layer `l`'s weight as a `dims[l+1] x dims[l]` view.
    ///
    /// # Errors
    /// [`Error::Model`] when `l` is not a layer or the tensor's length does not fit `dims` (see [`Mlp::validate`]).
    pub fn weight(&self, l: usize) -> Result<ArrayView2<'_, f32>> {
        let w = self.w.get(l).ok_or_else(|| Error::Model(format!("the MLP has {} layers, not {}", self.layers(), l + 1)))?;
        nd::view("Mlp::weight", w, (self.dims[l + 1], self.dims[l])).map_err(|e| Error::Model(e.to_string()))
    }

    /// Layer `l`'s bias as a `dims[l+1]` view.
    ///
    /// # Errors
    /// As [`Mlp::weight`].
    pub fn bias(&self, l: usize) -> Result<ArrayView1<'_, f32>> {
        let b = self.b.get(l).ok_or_else(|| Error::Model(format!("the MLP has {} layers, not {}", self.layers(), l + 1)))?;
        nd::view("Mlp::bias", b, self.dims[l + 1]).map_err(|e| Error::Model(e.to_string()))
    }

    /// Forward pass: `x` B x I to logits B x K, keeping what [`Mlp::backward`] needs.
    ///
    /// # Errors
    /// [`Error::Shape`] if `x` does not have I columns.
    pub fn forward(&self, x: ArrayView2<f32>) -> Result<(Array2<f32>, MlpCache)> {
        if x.ncols() != self.inputs() {
            return Err(Error::shape("Mlp::forward", format!("x has {} columns; the model takes {}", x.ncols(), self.inputs())));
        }
        let batch = x.nrows();
        let mut acts = vec![x.to_owned()];
        let mut pre: Vec<Array2<f32>> = Vec::new();
        for l in 0..self.layers() {
            let z = linear_forward(acts[l].view(), self.weight(l)?, self.bias(l)?)?;
            if l + 1 < self.layers() {
                acts.push(relu_forward(z.view()));
            }
            pre.push(z);
        }
        let logits = pre.last().cloned().unwrap_or_default();
        Ok((logits, MlpCache { acts, pre, batch }))
    }

    /// Logits only: `x` B x I to B x K.
    ///
    /// # Errors
    /// As [`Mlp::forward`].
    pub fn logits(&self, x: ArrayView2<f32>) -> Result<Array2<f32>> {
        if x.ncols() != self.inputs() {
            return Err(Error::shape("Mlp::logits", format!("x has {} columns; the model takes {}", x.ncols(), self.inputs())));
        }
        let mut a = linear_forward(x, self.weight(0)?, self.bias(0)?)?;
        for l in 1..self.layers() {
            a.mapv_inplace(|v| v.max(0.0));
            a = linear_forward(a.view(), self.weight(l)?, self.bias(l)?)?;
        }
        Ok(a)
    }

    /// Backward pass from `dlogits` (B x K): accumulates into `g` and returns `dx` (B x I) when `need_dx`.
    ///
    /// # Errors
    /// [`Error::Shape`] when `dlogits` is not B x K for the cache's batch.
    pub fn backward(&self, cache: &MlpCache, dlogits: ArrayView2<f32>, g: &mut MlpGrads, need_dx: bool) -> Result<Option<Array2<f32>>> {
        if dlogits.dim() != (cache.batch, self.classes()) {
            return Err(Error::shape("Mlp::backward", format!("dlogits must be {}x{}, not {:?}", cache.batch, self.classes(), dlogits.dim())));
        }
        let mut d = dlogits.to_owned();
        for l in (0..self.layers()).rev() {
            let want_dx = l > 0 || need_dx;
            let (o, i) = (self.dims[l + 1], self.dims[l]);
            let dx = linear_backward(
                d.view(),
                cache.acts[l].view(),
                self.weight(l)?,
                nd::view_mut("Mlp::backward", &mut g.dw[l], (o, i))?,
                nd::view_mut("Mlp::backward", &mut g.db[l], o)?,
                want_dx,
            )?;
            match dx {
                Some(mut dx) if l > 0 => {
                    ndarray::Zip::from(&mut dx).and(&cache.pre[l - 1]).for_each(|g, &z| {
                        if z <= 0.0 {
                            *g = 0.0;
                        }
                    });
                    d = dx;
                }
                Some(dx) => return Ok(Some(dx)),
                None => return Ok(None),
            }
        }
        Ok(None)
    }

    /// Mutable views of all parameters in a fixed order (w0, b0, w1, b1, ...), for optimisers.
    pub fn params_mut(&mut self) -> Vec<&mut [f32]> {
        let mut v: Vec<&mut [f32]> = Vec::new();
        for (w, b) in self.w.iter_mut().zip(self.b.iter_mut()) {
            v.push(w);
            v.push(b);
        }
        v
    }

    /// Lengths of the tensors in [`Mlp::params_mut`] order.
    pub fn param_sizes(&self) -> Vec<usize> {
        self.w.iter().zip(&self.b).flat_map(|(w, b)| [w.len(), b.len()]).collect()
    }
}

impl MlpGrads {
    /// Views of all gradients in [`Mlp::params_mut`] order.
    pub fn as_slices(&self) -> Vec<&[f32]> {
        let mut v: Vec<&[f32]> = Vec::new();
        for (w, b) in self.dw.iter().zip(&self.db) {
            v.push(w);
            v.push(b);
        }
        v
    }
}

impl Mlp {
    /// Serialises the model as safetensors: tensors `layers.{l}.weight` (`dims[l+1] x dims[l]`) and
    /// `layers.{l}.bias` (`dims[l+1]`), plus metadata `arch = "mlp"`, `dims = "784,100,100,10"` and `extra`.
    ///
    /// # Errors
    /// From [`crate::io::save_f32`].
    pub fn to_safetensors(&self, extra: &std::collections::BTreeMap<String, String>) -> Result<Vec<u8>> {
        let names: Vec<(String, String)> = (0..self.layers()).map(|l| (format!("layers.{l}.weight"), format!("layers.{l}.bias"))).collect();
        let shapes: Vec<([usize; 2], [usize; 1])> = (0..self.layers()).map(|l| ([self.dims[l + 1], self.dims[l]], [self.dims[l + 1]])).collect();
        let mut t: Vec<(&str, &[usize], &[f32])> = Vec::new();
        for l in 0..self.layers() {
            t.push((&names[l].0, &shapes[l].0, &self.w[l]));
            t.push((&names[l].1, &shapes[l].1, &self.b[l]));
        }
        let mut meta = extra.clone();
        meta.insert("arch".into(), "mlp".into());
        meta.insert("dims".into(), self.dims.iter().map(|d| d.to_string()).collect::<Vec<_>>().join(","));
        crate::io::save_f32(&t, &meta)
    }

    /// Loads a model written by [`Mlp::to_safetensors`] and returns it with its metadata.
    ///
    /// # Errors
    /// [`Error::Format`] for bytes that are not safetensors; [`Error::Model`] when `arch` is not `mlp`, `dims` is
    /// missing or malformed, a tensor is missing or has the wrong shape, or a value is NaN or infinite.
    pub fn from_safetensors(bytes: &[u8]) -> Result<(Mlp, std::collections::BTreeMap<String, String>)> {
        let f = crate::io::load(bytes)?;
        let meta = f.metadata().clone();
        match meta.get("arch").map(String::as_str) {
            Some("mlp") => {}
            other => return Err(Error::Model(format!("expected an MLP (metadata arch = \"mlp\"), found {other:?}"))),
        }
        let dims: Vec<usize> = meta
            .get("dims")
            .ok_or_else(|| Error::Model("metadata has no dims".into()))?
            .split(',')
            .map(|s| s.trim().parse::<usize>().map_err(|_| Error::Model(format!("dims entry '{s}' is not a number"))))
            .collect::<Result<_>>()?;
        if dims.len() < 2 || dims.len() > 16 || dims.iter().any(|&d| d == 0 || d > 1 << 16) {
            return Err(Error::Model(format!("dims {dims:?} are not a sensible MLP")));
        }
        let mut w = Vec::new();
        let mut b = Vec::new();
        for l in 0..dims.len() - 1 {
            let tw = f.f32(&format!("layers.{l}.weight"))?;
            let tb = f.f32(&format!("layers.{l}.bias"))?;
            if tw.shape != [dims[l + 1], dims[l]] || tb.shape != [dims[l + 1]] {
                return Err(Error::Model(format!(
                    "layer {l}: weight {:?} and bias {:?} do not match dims {dims:?}",
                    tw.shape, tb.shape
                )));
            }
            w.push(tw.data);
            b.push(tb.data);
        }
        let m = Mlp { dims, w, b };
        m.validate()?;
        Ok((m, meta))
    }
}
