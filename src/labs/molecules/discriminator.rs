//! The discriminator D of the paper (sec. 3, "Discriminator"): a fully connected network on molecular descriptors,
//! trained each generation to tell molecules of a reference set (label 1) from the GA's population (label 0), so
//! that D(m) in (0, 1) is high for molecules that look like the reference data.
//!
//! Architecture and training as the reference code (`aspuru-guzik-group/GA`, `discriminator.py`, with
//! `disc_layers = [100, 10]`, `disc_epochs_per_generation = 10`): `I -> 100 -> 10 -> 1`, a sigmoid after every
//! layer (hidden ones too), binary cross-entropy, Adam with lr 1e-3 and weight decay 1e-4 (PyTorch's Adam: the
//! decay is added to the gradient), and each generation 10 full-batch steps.
//! One deviation: the inputs are standardised with the reference set's mean and standard deviation
//! ([`Standardizer`]); the reference code feeds raw RDKit descriptors.
//!
//! Legend: B batch, I descriptors per molecule, H1 = 100, H2 = 10.

use crate::error::{Error, Result};
use crate::nn::flat::{linear_backward, linear_forward};
use crate::nn::{Adam, Rng};

/// Hidden widths of the reference code's discriminator.
pub const HIDDEN: [usize; 2] = [100, 10];

/// Weights of D, PyTorch layout (`w` is out x in).
#[derive(Clone, Debug, PartialEq)]
pub struct DiscParams {
    /// I x 100 layer.
    pub w1: Vec<f32>,
    pub b1: Vec<f32>,
    /// 100 x 10 layer.
    pub w2: Vec<f32>,
    pub b2: Vec<f32>,
    /// 10 x 1 layer.
    pub w3: Vec<f32>,
    pub b3: Vec<f32>,
}

impl DiscParams {
    /// Zeros shaped like `self` (for gradients).
    pub fn zeros_like(&self) -> Self {
        let z = |v: &Vec<f32>| vec![0.0; v.len()];
        DiscParams { w1: z(&self.w1), b1: z(&self.b1), w2: z(&self.w2), b2: z(&self.b2), w3: z(&self.w3), b3: z(&self.b3) }
    }
    fn slices(&self) -> [&[f32]; 6] {
        [&self.w1, &self.b1, &self.w2, &self.b2, &self.w3, &self.b3]
    }
    fn slices_mut(&mut self) -> [&mut [f32]; 6] {
        [&mut self.w1, &mut self.b1, &mut self.w2, &mut self.b2, &mut self.w3, &mut self.b3]
    }
    /// Every tensor in a fixed order (w1, b1, w2, b2, w3, b3).
    pub fn tensors(&self) -> Vec<&[f32]> {
        self.slices().to_vec()
    }
    /// The same, mutable.
    pub fn tensors_mut(&mut self) -> Vec<&mut [f32]> {
        self.slices_mut().into_iter().collect()
    }
}

/// What the forward keeps for the backward.
pub struct DiscCache {
    x: Vec<f32>,
    h1: Vec<f32>,
    h2: Vec<f32>,
    /// D(x), B.
    pub out: Vec<f32>,
    batch: usize,
}

/// Logistic sigmoid, element-wise.
pub fn sigmoid_forward(z: &[f32]) -> Vec<f32> {
    z.iter().map(|&v| 1.0 / (1.0 + (-v).exp())).collect()
}

/// Backward of [`sigmoid_forward`] from its output `y`: `dz = dy * y * (1 - y)`.
pub fn sigmoid_backward(dy: &[f32], y: &[f32]) -> Vec<f32> {
    dy.iter().zip(y).map(|(&d, &s)| d * s * (1.0 - s)).collect()
}

/// Mean binary cross-entropy of probabilities `p` (B) against labels `y` (B, 0 or 1) and its gradient with respect
/// to `p`. Like PyTorch's `BCELoss`, each log is clamped at -100.
pub fn bce_forward_backward(p: &[f32], y: &[f32]) -> (f32, Vec<f32>) {
    let b = p.len().max(1) as f32;
    let mut loss = 0.0;
    let mut dp = Vec::with_capacity(p.len());
    for (&pi, &yi) in p.iter().zip(y) {
        let lp = pi.ln().max(-100.0);
        let lq = (1.0 - pi).ln().max(-100.0);
        loss -= yi * lp + (1.0 - yi) * lq;
        let eps = 1e-12;
        dp.push((-(yi / pi.max(eps)) + (1.0 - yi) / (1.0 - pi).max(eps)) / b);
    }
    (loss / b, dp)
}

/// Per-descriptor mean and standard deviation of the reference set, applied to every input of D.
#[derive(Clone, Debug, PartialEq)]
pub struct Standardizer {
    pub mean: Vec<f32>,
    pub std: Vec<f32>,
}

impl Standardizer {
    /// From `x` (B x I); a descriptor that never varies gets std 1.
    pub fn fit(x: &[f32], inputs: usize) -> Self {
        let b = (x.len() / inputs.max(1)).max(1) as f64;
        let mut mean = vec![0.0f64; inputs];
        let mut sq = vec![0.0f64; inputs];
        for row in x.chunks(inputs.max(1)) {
            for (j, &v) in row.iter().enumerate() {
                mean[j] += v as f64;
                sq[j] += (v as f64) * (v as f64);
            }
        }
        let m: Vec<f32> = mean.iter().map(|s| (s / b) as f32).collect();
        let s: Vec<f32> = mean
            .iter()
            .zip(&sq)
            .map(|(s, q)| {
                let var = (q / b - (s / b) * (s / b)).max(0.0);
                if var > 1e-12 { var.sqrt() as f32 } else { 1.0 }
            })
            .collect();
        Standardizer { mean: m, std: s }
    }
    /// `(x - mean) / std` row by row.
    pub fn apply(&self, x: &[f32]) -> Vec<f32> {
        let i = self.mean.len().max(1);
        x.iter().enumerate().map(|(k, &v)| (v - self.mean[k % i]) / self.std[k % i]).collect()
    }
}

/// The discriminator with its optimiser state.
#[derive(Clone, Debug)]
pub struct Discriminator {
    /// Descriptors per molecule, I.
    pub inputs: usize,
    pub params: DiscParams,
    adam: Adam,
    /// PyTorch-style L2 weight decay added to the gradient (1e-4).
    pub weight_decay: f32,
    /// Input standardisation (identity until [`Discriminator::set_standardizer`]).
    pub standardizer: Option<Standardizer>,
}

impl Discriminator {
    /// A fresh D for `inputs` descriptors, PyTorch's default `Linear` initialisation (uniform in +-1/sqrt(fan_in)).
    ///
    /// # Errors
    /// [`Error::Range`] when `inputs` is 0.
    pub fn new(inputs: usize, rng: &mut Rng) -> Result<Self> {
        if inputs == 0 {
            return Err(Error::range("discriminator inputs", "need at least one descriptor per molecule"));
        }
        let mut lin = |i: usize, o: usize| {
            let bound = 1.0 / (i as f32).sqrt();
            let w: Vec<f32> = (0..i * o).map(|_| rng.uniform_in(-bound, bound)).collect();
            let b: Vec<f32> = (0..o).map(|_| rng.uniform_in(-bound, bound)).collect();
            (w, b)
        };
        let (w1, b1) = lin(inputs, HIDDEN[0]);
        let (w2, b2) = lin(HIDDEN[0], HIDDEN[1]);
        let (w3, b3) = lin(HIDDEN[1], 1);
        let params = DiscParams { w1, b1, w2, b2, w3, b3 };
        let sizes: Vec<usize> = params.slices().iter().map(|t| t.len()).collect();
        Ok(Discriminator { inputs, params, adam: Adam::new(1e-3, &sizes), weight_decay: 1e-4, standardizer: None })
    }

    /// Uses `s` on every input from now on.
    pub fn set_standardizer(&mut self, s: Standardizer) {
        self.standardizer = Some(s);
    }

    /// Forward pass on raw descriptors `x` (B x I): D(x) for every row, with the cache for the backward.
    ///
    /// # Errors
    /// [`Error::Shape`] when `x.len()` is not a multiple of I.
    pub fn forward(&self, x: &[f32]) -> Result<DiscCache> {
        forward_with(&self.params, self.standardizer.as_ref(), x, self.inputs)
    }

    /// D(x) only.
    ///
    /// # Errors
    /// As [`Discriminator::forward`].
    pub fn predict(&self, x: &[f32]) -> Result<Vec<f32>> {
        Ok(self.forward(x)?.out)
    }

    /// `steps` full-batch Adam steps on BCE(D(x), y); returns the loss before each step.
    ///
    /// # Errors
    /// [`Error::Shape`] when `x` and `y` do not fit.
    pub fn train(&mut self, x: &[f32], y: &[f32], steps: usize) -> Result<Vec<f32>> {
        let mut losses = Vec::with_capacity(steps);
        for _ in 0..steps {
            let (loss, mut g) = loss_grad(&self.params, self.standardizer.as_ref(), x, y, self.inputs)?;
            for (gt, pt) in g.slices_mut().into_iter().zip(self.params.slices()) {
                for (gv, pv) in gt.iter_mut().zip(pt) {
                    *gv += self.weight_decay * pv;
                }
            }
            let grads = g.slices();
            let mut ps = self.params.slices_mut();
            self.adam.step(&mut ps, &grads);
            losses.push(loss);
        }
        Ok(losses)
    }
}

/// The forward of D with explicit parameters. Shapes: `x` B x I; returns D(x) B in the cache.
///
/// # Errors
/// [`Error::Shape`] when `x.len()` is not a multiple of I.
pub fn forward_with(p: &DiscParams, s: Option<&Standardizer>, x: &[f32], inputs: usize) -> Result<DiscCache> {
    if inputs == 0 || x.len() % inputs != 0 {
        return Err(Error::shape("discriminator", format!("{} inputs are not rows of {inputs} descriptors", x.len())));
    }
    let batch = x.len() / inputs;
    let xs = match s {
        Some(s) => s.apply(x),
        None => x.to_vec(),
    };
    let h1 = sigmoid_forward(&linear_forward(&xs, &p.w1, &p.b1, batch, inputs, HIDDEN[0])?);
    let h2 = sigmoid_forward(&linear_forward(&h1, &p.w2, &p.b2, batch, HIDDEN[0], HIDDEN[1])?);
    let out = sigmoid_forward(&linear_forward(&h2, &p.w3, &p.b3, batch, HIDDEN[1], 1)?);
    Ok(DiscCache { x: xs, h1, h2, out, batch })
}

/// Backward of [`forward_with`] from `dout` (B): gradients of every parameter.
///
/// # Errors
/// [`Error::Shape`] on mismatched lengths.
pub fn backward_with(p: &DiscParams, c: &DiscCache, dout: &[f32], inputs: usize) -> Result<DiscParams> {
    let mut g = p.zeros_like();
    let b = c.batch;
    let dz3 = sigmoid_backward(dout, &c.out);
    let dh2 = linear_backward(&dz3, &c.h2, &p.w3, &mut g.w3, &mut g.b3, b, HIDDEN[1], 1, true)?;
    let dz2 = sigmoid_backward(&dh2, &c.h2);
    let dh1 = linear_backward(&dz2, &c.h1, &p.w2, &mut g.w2, &mut g.b2, b, HIDDEN[0], HIDDEN[1], true)?;
    let dz1 = sigmoid_backward(&dh1, &c.h1);
    linear_backward(&dz1, &c.x, &p.w1, &mut g.w1, &mut g.b1, b, inputs, HIDDEN[0], false)?;
    Ok(g)
}

/// The mean BCE of D on (`x`, `y`) and its gradient with respect to every parameter (no weight decay).
///
/// # Errors
/// [`Error::Shape`] when `x` (B x I) and `y` (B) do not fit.
pub fn loss_grad(p: &DiscParams, s: Option<&Standardizer>, x: &[f32], y: &[f32], inputs: usize) -> Result<(f32, DiscParams)> {
    let c = forward_with(p, s, x, inputs)?;
    if y.len() != c.batch {
        return Err(Error::shape("discriminator", format!("{} labels for {} molecules", y.len(), c.batch)));
    }
    let (loss, dout) = bce_forward_backward(&c.out, y);
    Ok((loss, backward_with(p, &c, &dout, inputs)?))
}
