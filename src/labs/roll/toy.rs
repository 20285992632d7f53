//! Two-dimensional toy data in the style of TensorFlow Playground, and a trainer for small ReLU nets on it (plain,
//! λ = 0, or with the ROLL loss), stepped a few iterations at a time so a page can draw between steps.
//!
//! Points lie in `[-1, 1]²`; labels are 0 or 1. Every set is a function of `(kind, n, noise, seed)` only.

use serde::{Deserialize, Serialize};

use super::{roll_loss, Probes, RollConfig, RollLoss};
use crate::error::{Error, Result};
use crate::nd;
use crate::nn::{Adam, Mlp, Rng};

/// The toy sets.
#[derive(Copy, Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Toy {
    /// Two interleaved spirals (1.5 turns each).
    Spirals,
    /// A disc (class 1) inside a ring (class 0).
    Circles,
    /// The four quadrants, class = sign(x) xor sign(y).
    Xor,
    /// Two interleaving half circles.
    Moons,
}

impl Toy {
    /// Parses `spirals`, `circles`, `xor` or `moons`.
    ///
    /// # Errors
    /// [`Error::Range`] for any other name.
    pub fn parse(s: &str) -> Result<Toy> {
        match s {
            "spirals" => Ok(Toy::Spirals),
            "circles" => Ok(Toy::Circles),
            "xor" => Ok(Toy::Xor),
            "moons" => Ok(Toy::Moons),
            _ => Err(Error::range("dataset", format!("'{s}' is not one of spirals, circles, xor, moons"))),
        }
    }
}

/// `n` points (n x 2, in `[-1, 1]²` before noise) and their labels; `noise` is the standard deviation of Gaussian
/// jitter added to each coordinate (in the same units, e.g. 0.05). Half the points (rounded down) are class 0.
///
/// # Errors
/// [`Error::Range`] for `n` outside 2..=10000 or a negative or non-finite `noise`.
pub fn make(kind: Toy, n: usize, noise: f32, seed: u64) -> Result<(Vec<f32>, Vec<u8>)> {
    if !(2..=10_000).contains(&n) {
        return Err(Error::range("number of points", format!("{n} must be in 2..=10000")));
    }
    if !(noise >= 0.0 && noise.is_finite()) {
        return Err(Error::range("noise", format!("{noise} must be >= 0")));
    }
    let mut rng = Rng::new(seed);
    let mut x = Vec::with_capacity(2 * n);
    let mut y = Vec::with_capacity(n);
    let pi = std::f32::consts::PI;
    for i in 0..n {
        let label = u8::from(i >= n / 2);
        let (px, py) = match kind {
            Toy::Spirals => {
                let t = rng.uniform();
                let r = 0.05 + 0.9 * t;
                let a = 3.0 * pi * t + if label == 1 { pi } else { 0.0 };
                (r * a.cos(), r * a.sin())
            }
            Toy::Circles => {
                let a = 2.0 * pi * rng.uniform();
                let r = if label == 1 { 0.45 * rng.uniform().sqrt() } else { 0.65 + 0.3 * rng.uniform() };
                (r * a.cos(), r * a.sin())
            }
            Toy::Xor => {
                let (mut u, mut v) = (rng.uniform_in(0.05, 0.95), rng.uniform_in(0.05, 0.95));
                let q = rng.below(2);
                // Class 1: quadrants I and III; class 0: II and IV.
                if label == 1 {
                    if q == 1 {
                        u = -u;
                        v = -v;
                    }
                } else if q == 1 {
                    u = -u;
                } else {
                    v = -v;
                }
                (u, v)
            }
            Toy::Moons => {
                let a = pi * rng.uniform();
                if label == 0 {
                    (0.6 * a.cos() - 0.25, 0.6 * a.sin() - 0.15)
                } else {
                    (0.25 - 0.6 * a.cos(), 0.15 - 0.6 * a.sin())
                }
            }
        };
        x.push(px + noise * rng.normal());
        x.push(py + noise * rng.normal());
        y.push(label);
    }
    Ok((x, y))
}

/// Settings of a toy training run.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ToyConfig {
    /// Hidden widths, e.g. `[16, 16, 16]`.
    pub hidden: Vec<usize>,
    /// The ROLL loss settings (λ = 0 is plain cross-entropy training).
    pub roll: RollConfig,
    /// Adam step size.
    pub lr: f32,
    /// Minibatch size (0 or more than the data: full batch).
    pub batch: usize,
    /// Seed of the initialisation and the minibatch order.
    pub seed: u64,
}

impl Default for ToyConfig {
    fn default() -> Self {
        ToyConfig { hidden: vec![16, 16, 16], roll: RollConfig { lambda: 0.0, c: 0.1, gamma: 20.0 }, lr: 5e-3, batch: 0, seed: 1 }
    }
}

/// A toy net, its data and its optimiser. Each [`ToyTrainer::step`] is a few Adam steps on the ROLL objective with
/// exact gradients (the basis has only 2 rows).
#[derive(Clone, Debug)]
pub struct ToyTrainer {
    /// The net (2 inputs, 2 classes).
    pub mlp: Mlp,
    /// The settings (λ, γ, C and lr may be changed between steps).
    pub cfg: ToyConfig,
    /// n x 2 points.
    pub x: Vec<f32>,
    /// n labels.
    pub y: Vec<u8>,
    adam: Adam,
    rng: Rng,
    /// Adam steps taken.
    pub iter: usize,
}

impl ToyTrainer {
    /// A fresh net from `cfg.seed` on the given points.
    ///
    /// # Errors
    /// [`Error::Shape`] for hidden widths that are empty, zero, or above 64 each / 256 in all, or data that is not
    /// n x 2 with n labels (n ≥ 1); [`Error::Range`] for labels other than 0/1 or a bad [`RollConfig`].
    pub fn new(cfg: ToyConfig, x: Vec<f32>, y: Vec<u8>) -> Result<Self> {
        cfg.roll.validate()?;
        if cfg.hidden.is_empty() || cfg.hidden.len() > 8 || cfg.hidden.iter().any(|&h| h == 0 || h > 64) || cfg.hidden.iter().sum::<usize>() > 256 {
            return Err(Error::shape("ToyTrainer", format!("hidden widths {:?} must be 1 to 8 layers of 1..=64 units, at most 256 in all", cfg.hidden)));
        }
        let mut dims = vec![2];
        dims.extend(&cfg.hidden);
        dims.push(2);
        let mlp = Mlp::new(&dims, &mut Rng::new(cfg.seed))?;
        let adam = Adam::new(cfg.lr, &mlp.param_sizes());
        let mut t = ToyTrainer { mlp, rng: Rng::new(cfg.seed ^ 0x5EED), cfg, x: Vec::new(), y: Vec::new(), adam, iter: 0 };
        t.set_data(x, y)?;
        Ok(t)
    }

    /// Replaces the points (the net and the optimiser state are kept).
    ///
    /// # Errors
    /// As [`ToyTrainer::new`] for the data.
    pub fn set_data(&mut self, x: Vec<f32>, y: Vec<u8>) -> Result<()> {
        if y.is_empty() || x.len() != 2 * y.len() {
            return Err(Error::shape("toy data", format!("{} coordinates for {} labels; need 2 per label and at least one point", x.len(), y.len())));
        }
        if y.iter().any(|&v| v > 1) {
            return Err(Error::range("label", "toy labels must be 0 or 1"));
        }
        if x.iter().any(|v| !v.is_finite()) {
            return Err(Error::range("toy points", "hold NaN or infinite values"));
        }
        self.x = x;
        self.y = y;
        Ok(())
    }

    /// Runs `n` Adam steps (clamped to 1..=1000) on the ROLL objective; returns the loss parts of the last one.
    ///
    /// # Errors
    /// [`Error::Range`] for a bad [`RollConfig`] set since construction.
    pub fn step(&mut self, n: usize) -> Result<RollLoss> {
        self.cfg.roll.validate()?;
        self.adam.lr = self.cfg.lr;
        let probes = Probes::basis(2);
        let total = self.y.len();
        let bs = if self.cfg.batch == 0 || self.cfg.batch >= total { total } else { self.cfg.batch };
        let mut last = RollLoss::default();
        for _ in 0..n.clamp(1, 1000) {
            let (xb, yb) = if bs == total {
                (self.x.clone(), self.y.clone())
            } else {
                let idx: Vec<usize> = (0..bs).map(|_| self.rng.below(total)).collect();
                (idx.iter().flat_map(|&i| [self.x[2 * i], self.x[2 * i + 1]]).collect(), idx.iter().map(|&i| self.y[i]).collect())
            };
            let (loss, g) = roll_loss(&self.mlp, nd::view("ToyTrainer::step", &xb, (yb.len(), 2))?, &yb, &probes, &self.cfg.roll)?;
            let grads = g.as_slices();
            self.adam.step(&mut self.mlp.params_mut(), &grads);
            self.iter += 1;
            last = loss;
        }
        Ok(last)
    }

    /// The objective on all points, without a step.
    ///
    /// # Errors
    /// As [`ToyTrainer::step`].
    pub fn evaluate(&self) -> Result<RollLoss> {
        Ok(roll_loss(&self.mlp, nd::view("ToyTrainer::evaluate", &self.x, (self.y.len(), 2))?, &self.y, &Probes::basis(2), &self.cfg.roll)?.0)
    }
}
