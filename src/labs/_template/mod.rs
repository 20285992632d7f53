//! The template lab: the smallest complete lab, copied by `make new-lab NAME=x` (see README, "Adding a lab").
//!
//! Its "paper" is a one-line model so that the shape of a lab stands out: the logistic curve y = σ(k·x) with a
//! steepness k (the main slider), drawn on a grid, and a Monte-Carlo estimate, run in steps the page drives, of the
//! fraction of x ~ U[-5, 5] where σ(k·x) > 0.9 — whose closed form, (5 − ln 9 / k) / 10, is the test oracle.
//!
//! Shapes: `xs` N (any N ≥ 1), result N. Units: none. Ranges: k in [[`K_MIN`], [`K_MAX`]].
//! Public functions take and return `ndarray` arrays; errors are [`crate::Error`] with a message that says what to
//! change; nothing here knows about wasm-bindgen or the DOM.

use ndarray::{Array1, ArrayView1};
use serde::Serialize;

use crate::error::{Error, Result};
use crate::nn::rng::Rng as SeededRng;

/// Smallest steepness the lab accepts.
pub const K_MIN: f32 = 0.1;
/// Largest steepness the lab accepts.
pub const K_MAX: f32 = 10.0;
/// The sampled interval is [-X_MAX, X_MAX].
pub const X_MAX: f32 = 5.0;

fn check_k(k: f32) -> Result<()> {
    if !(K_MIN..=K_MAX).contains(&k) {
        return Err(Error::range("steepness k", format!("{k} is not in [{K_MIN}, {K_MAX}]; pick a k in that range")));
    }
    Ok(())
}

/// σ(k·x) for each x of `xs` (shape N → N). Errors if k is outside [K_MIN, K_MAX] (NaN included).
pub fn logistic(k: f32, xs: ArrayView1<'_, f32>) -> Result<Array1<f32>> {
    check_k(k)?;
    Ok(xs.mapv(|x| 1.0 / (1.0 + (-k * x).exp())))
}

/// `n` evenly spaced points from −X_MAX to X_MAX inclusive (n ≥ 2), the grid the page plots.
pub fn grid(n: usize) -> Result<Array1<f32>> {
    if n < 2 {
        return Err(Error::range("grid size", format!("{n} points; need at least 2")));
    }
    Ok(Array1::linspace(-X_MAX, X_MAX, n))
}

/// The exact fraction of x ~ U[−X_MAX, X_MAX] with σ(k·x) > 0.9: σ(k·x) > 0.9 ⇔ x > ln 9 / k.
pub fn fraction_above_exact(k: f32) -> Result<f64> {
    check_k(k)?;
    let t = 9f64.ln() / f64::from(k);
    Ok(((f64::from(X_MAX) - t) / (2.0 * f64::from(X_MAX))).max(0.0))
}

/// The running Monte-Carlo estimate the page shows while it converges.
#[derive(Clone, Debug, Serialize)]
pub struct Estimate {
    /// Samples drawn so far.
    pub samples: u64,
    /// Fraction of them with σ(k·x) > 0.9.
    pub fraction: f64,
    /// Its standard error, sqrt(p(1−p)/n).
    pub std_error: f64,
    /// The closed form it converges to.
    pub exact: f64,
}

/// A seeded Monte-Carlo run of `total` samples, advanced by [`MonteCarlo::step`].
pub struct MonteCarlo {
    k: f32,
    total: u64,
    samples: u64,
    hits: u64,
    rng: SeededRng,
}

impl MonteCarlo {
    /// A run of `total` (≥ 1) samples at steepness k with `seed`; the same seed gives the same estimates.
    pub fn new(k: f32, total: u64, seed: u64) -> Result<Self> {
        check_k(k)?;
        if total == 0 {
            return Err(Error::range("samples", "0; ask for at least one sample"));
        }
        Ok(MonteCarlo { k, total, samples: 0, hits: 0, rng: SeededRng::new(seed) })
    }

    /// Draws up to `n` more samples (fewer at the end); returns the estimate so far.
    pub fn step(&mut self, n: u64) -> Estimate {
        let n = n.min(self.total - self.samples);
        for _ in 0..n {
            let x = self.rng.uniform_in(-X_MAX, X_MAX);
            if 1.0 / (1.0 + (-self.k * x).exp()) > 0.9 {
                self.hits += 1;
            }
        }
        self.samples += n;
        self.estimate()
    }

    /// The estimate so far (fraction 0 before any sample).
    pub fn estimate(&self) -> Estimate {
        let n = self.samples.max(1) as f64;
        let p = self.hits as f64 / n;
        Estimate {
            samples: self.samples,
            fraction: p,
            std_error: (p * (1.0 - p) / n).sqrt(),
            exact: fraction_above_exact(self.k).unwrap_or(f64::NAN),
        }
    }

    /// True once all `total` samples are drawn.
    pub fn finished(&self) -> bool {
        self.samples >= self.total
    }

    /// Samples the run will draw in all.
    pub fn total(&self) -> u64 {
        self.total
    }
}
