//! Uncertainty-guided continual learning with Bayesian neural networks (UCB), on Split MNIST.
//!
//! Paper: Ebrahimi, Elhoseiny, Darrell & Rohrbach, "Uncertainty-guided Continual Learning with Bayesian Neural
//! Networks" (ICLR 2020; arXiv:1906.02425), referred to as *the paper* below.
//!
//! Legend: B batch, I inputs (784), H hidden widths, K classes of a head (2 per task, or 10 shared), S Monte-Carlo
//! samples, T tasks (5), N training images of the current task, P parameters of a layer.
//!
//! **Model: Bayes by Backprop** (Blundell et al. 2015, the paper's sec. 3.1). Every weight and bias has a factorised
//! Gaussian posterior `q(w) = N(mu, sigma^2)` with `sigma = softplus(rho) = log(1 + exp(rho))` (computed stably). A
//! training step draws `S` weight samples `w = mu + sigma * eps`, `eps ~ N(0, 1)` (the reparameterisation trick;
//! one sample of every weight per step, shared by the batch) and descends the Monte-Carlo estimate of the negative
//! ELBO per training image,
//!
//! `L = (1/S) sum_s [ CE(batch; w_s) + (kl_weight / N) * sum_params (log q(w_s) - log p(w_s)) ]`,
//!
//! with the scale-mixture prior `p(w) = pi N(w; 0, sigma1^2) + (1 - pi) N(w; 0, sigma2^2)` evaluated by
//! log-sum-exp (finite for any finite f32 weight). `kl_weight` < 1 tempers the complexity cost, as the released code
//! does with fixed coefficients (see [`Config::kl_weight`]). At test time the prediction is the predictive mean:
//! class probabilities averaged over `test_samples` weight samples.
//!
//! Gradients use the path derivative of `log q`: along `w = mu + sigma eps`, `log q = -log sigma - eps^2/2 + const`,
//! so its total derivative is 0 for mu and `-1/sigma` for sigma. With `g = dCE/dw - c d log p/dw` (`c = kl_weight/N`):
//! `dL/dmu = g`, `dL/dsigma = g eps - c / sigma`, `dL/drho = dL/dsigma * sigmoid(rho)`.
//!
//! **UCB** (the paper's sec. 3.2, Algorithm 1): the importance of a mean is the inverse of its uncertainty,
//! `Omega_mu = 1 / sigma`, and from the second task on each mean's learning rate is divided by it:
//! `alpha_mu <- alpha_mu / Omega_mu = alpha_mu * sigma`, while `rho` keeps the base rate (`Omega_rho = 1`). sigma is
//! read at the start of each task ([`mu_lr_scale`]). A task-incremental head is trained only in its own task, so
//! for it that task is its first and it learns at the base rate (the released code does not train later heads at
//! all). Likewise in the class-incremental setting the rows of the shared head for classes not trained in an earlier
//! task keep the base rate (they have nothing to protect; scaling them by sigma kept UCB from learning task 2 at
//! all). `Config::normalised_rule` switches to `lr * sigma / sigma_init`, which keeps only the uncertainty-dependent
//! part of the rule.
//!
//! Where we follow the paper rather than the released code: there, the sampled weights used a sigma computed once
//! from the initial rho, so the network was always trained with the initial noise while the learning rates read
//! the learned sigma; here sigma is recomputed from rho at every step.
//!
//! What our runs show (the manifest, `www/models/ucb/`): with a few epochs per task the sigmas move only by a factor
//! of about 0.5 to 3 from sigma_init (the tasks are fitted long before the noise limits the fit), so the paper's rule
//! acts mostly as a global drop of the means' learning rate by about sigma_init from the second task on.
//! [`Method::UcbFlat`] is that drop alone (every sigma replaced by sigma_init); it matches UCB within the seed
//! spread. With many more epochs per task (`paperlab train ucb long`, [`long_cli`]) sigma does move, but almost only
//! upwards (toward the prior's broad component), so lr * sigma then speeds most means up and UCB forgets more than
//! the flat ablation (`docs/labs/ucb.md`). Deviations from the paper (also on the page): Adam instead of SGD with early stopping, four epochs per
//! task, an MLP 784-100-100 instead of one hidden layer of 1,200 units, 2 Monte-Carlo samples per step instead of
//! 10, the shipped 8,000-image subset instead of the 60,000 MNIST training images.
//!
//! **Pruning by uncertainty** (the paper's UCB-P criterion): remove the weights with the lowest signal-to-noise
//! ratio `|mu| / sigma` in each weight matrix ([`Criterion::Snr`]); removing a weight sets it to exactly 0 (mu = 0 and
//! sigma = 0). [`Criterion::Magnitude`] (`|mu|`) is the usual baseline and the only choice for the deterministic MLP.
//!
//! **Setting**: Split MNIST, five tasks of two digits (0/1, 2/3, 4/5, 6/7, 8/9). Task-incremental ([`Mode::Task`],
//! the paper's setting): one 2-way head per task and the task is known at test time. Class-incremental
//! ([`Mode::Class`]): one shared 10-way head, no task identity at test time. Metrics: the accuracy matrix `R[t][i]`
//! (after training task t, test accuracy on task i), `ACC = mean_i R[T-1][i]` and
//! `BWT = mean_{i < T-1} (R[T-1][i] - R[i][i])` (Lopez-Paz & Ranzato 2017, as in the paper).
//!
//! **Permuted MNIST** ([`Mode::Perm`], [`SplitMnist::permuted`]; native runs only): five tasks, each all ten digits of
//! the shipped images with its own fixed pixel permutation (task 1 the identity, the others seeded), a 10-way head per
//! task. The paper uses ten permutations of the full MNIST; here five, of a subset of the shipped training digits.

use std::str::FromStr;

use serde::{Deserialize, Serialize};

use crate::data::mnist::{Mnist, Split, PIXELS};
use crate::error::{Error, Result};
use crate::nn::flat::{linear_backward, linear_forward, relu_forward, softmax_cross_entropy};
use crate::nn::{Adam, Rng};

/// Number of tasks in Split MNIST.
pub const TASKS: usize = 5;
/// Digits per task.
pub const DIGITS_PER_TASK: usize = 2;

// ---------------------------------------------------------------------------------------------------------------------
// Settings

/// How the network learns the task sequence.
#[derive(Copy, Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Method {
    /// A deterministic MLP trained on each task in turn (no protection against forgetting).
    Finetune,
    /// Bayes by Backprop, every learning rate at its base value.
    Bbb,
    /// Bayes by Backprop with uncertainty-guided learning rates for the means (the paper's UCB).
    Ucb,
    /// Ablation: UCB's schedule with every sigma replaced by sigma_init, i.e. the same global drop of the means'
    /// learning rate from the second task on, but blind to uncertainty.
    UcbFlat,
}

impl Method {
    /// All methods, in the order the page lists them.
    pub const ALL: [Method; 4] = [Method::Ucb, Method::UcbFlat, Method::Bbb, Method::Finetune];

    /// The name used in URLs and manifests.
    pub fn name(self) -> &'static str {
        match self {
            Method::Finetune => "finetune",
            Method::Bbb => "bbb",
            Method::Ucb => "ucb",
            Method::UcbFlat => "ucb-flat",
        }
    }

    /// Whether the network is Bayesian (has a rho per parameter).
    pub fn bayes(self) -> bool {
        self != Method::Finetune
    }
}

impl FromStr for Method {
    type Err = Error;
    fn from_str(s: &str) -> Result<Self> {
        match s.trim().to_ascii_lowercase().as_str() {
            "finetune" | "fine-tune" | "sgd" => Ok(Method::Finetune),
            "bbb" => Ok(Method::Bbb),
            "ucb" => Ok(Method::Ucb),
            "ucb-flat" | "ucbflat" => Ok(Method::UcbFlat),
            _ => Err(Error::range("method", format!("'{s}' is not one of ucb, ucb-flat, bbb, finetune"))),
        }
    }
}

/// Evaluation protocol.
#[derive(Copy, Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Mode {
    /// Task-incremental: one 2-way head per task, the task is known at test time (the paper's setting).
    Task,
    /// Class-incremental: one shared 10-way head, the task is not known at test time.
    Class,
    /// Permuted MNIST ([`SplitMnist::permuted`]): every task is all ten digits under its own fixed pixel permutation,
    /// with a 10-way head per task and the task known at test time (the released code's multi-head setting; its
    /// `pmnist` loader gives every task 10 classes).
    Perm,
}

impl Mode {
    /// The name used in URLs and manifests.
    pub fn name(self) -> &'static str {
        match self {
            Mode::Task => "task",
            Mode::Class => "class",
            Mode::Perm => "perm",
        }
    }

    /// Whether every task has its own head (task-incremental split, permuted).
    pub fn per_task_heads(self) -> bool {
        self != Mode::Class
    }

    /// Classes of one head.
    pub fn head_classes(self) -> usize {
        match self {
            Mode::Task => DIGITS_PER_TASK,
            Mode::Class | Mode::Perm => TASKS * DIGITS_PER_TASK,
        }
    }

    /// Number of heads.
    pub fn heads(self) -> usize {
        match self {
            Mode::Task | Mode::Perm => TASKS,
            Mode::Class => 1,
        }
    }

    /// Which head serves task `t`.
    pub fn head_of(self, t: usize) -> usize {
        match self {
            Mode::Task | Mode::Perm => t,
            Mode::Class => 0,
        }
    }

    /// The target of a digit in task `t`: its index within the task (task-incremental) or the digit itself.
    pub fn target(self, t: usize, digit: u8) -> u8 {
        match self {
            Mode::Task => digit - (t * DIGITS_PER_TASK) as u8,
            Mode::Class | Mode::Perm => digit,
        }
    }
}

impl FromStr for Mode {
    type Err = Error;
    fn from_str(s: &str) -> Result<Self> {
        match s.trim().to_ascii_lowercase().as_str() {
            "task" | "task-il" | "task-incremental" => Ok(Mode::Task),
            "class" | "class-il" | "class-incremental" => Ok(Mode::Class),
            "perm" | "permuted" | "pmnist" => Ok(Mode::Perm),
            _ => Err(Error::range("mode", format!("'{s}' is not one of task, class, perm"))),
        }
    }
}

/// Which weights pruning removes first.
#[derive(Copy, Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Criterion {
    /// Lowest signal-to-noise ratio `|mu| / sigma` (the paper's; Bayesian networks only).
    Snr,
    /// Lowest magnitude `|mu|`.
    Magnitude,
}

impl FromStr for Criterion {
    type Err = Error;
    fn from_str(s: &str) -> Result<Self> {
        match s.trim().to_ascii_lowercase().as_str() {
            "snr" => Ok(Criterion::Snr),
            "magnitude" | "mag" => Ok(Criterion::Magnitude),
            _ => Err(Error::range("pruning criterion", format!("'{s}' is not one of snr, magnitude"))),
        }
    }
}

/// The scale-mixture prior `p(w) = pi N(w; 0, sigma1^2) + (1 - pi) N(w; 0, sigma2^2)` (Blundell et al. 2015, eq. 7;
/// the paper's sec. 3.1). The released code's MNIST values are `pi = 0.25`, `sigma1 = e^0`, `sigma2 = e^-6`.
#[derive(Copy, Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Prior {
    /// Weight of the first component, in `[0, 1]`.
    pub pi: f32,
    /// Standard deviation of the first component (> 0).
    pub sigma1: f32,
    /// Standard deviation of the second component (> 0).
    pub sigma2: f32,
}

const HALF_LN_2PI: f64 = 0.918_938_533_204_672_8;

impl Prior {
    /// Checks `pi` in `[0, 1]` and both sigmas finite and positive.
    ///
    /// # Errors
    /// [`Error::Range`] otherwise.
    pub fn check(&self) -> Result<()> {
        if !(self.pi.is_finite() && (0.0..=1.0).contains(&self.pi)) {
            return Err(Error::range("prior pi", format!("{} must be in [0, 1]", self.pi)));
        }
        for (n, s) in [("prior sigma1", self.sigma1), ("prior sigma2", self.sigma2)] {
            if !(s.is_finite() && s > 0.0) {
                return Err(Error::range(n, format!("{s} must be a positive number")));
            }
        }
        Ok(())
    }

    /// `log p(w)` in nats, computed in f64 by log-sum-exp of the two weighted components: finite for every finite
    /// f32 `w` (a naive `ln(pi N1 + (1-pi) N2)` underflows to `ln 0 = -inf` once `|w|` is a few dozen sigma1).
    pub fn log_prob(&self, w: f32) -> f64 {
        let w = w as f64;
        let comp = |weight: f32, s: f32| -> f64 {
            if weight <= 0.0 {
                return f64::NEG_INFINITY;
            }
            let s = s as f64;
            (weight as f64).ln() - s.ln() - HALF_LN_2PI - 0.5 * (w / s) * (w / s)
        };
        log_add_exp(comp(self.pi, self.sigma1), comp(1.0 - self.pi, self.sigma2))
    }

    /// `d log p(w) / dw = -w (r1 / sigma1^2 + (1 - r1) / sigma2^2)`, where `r1` is the posterior responsibility of the
    /// first component, `sigmoid(log(pi N1) - log((1-pi) N2))`. In f32; finite unless `|w| / sigma^2` overflows.
    #[inline]
    pub fn dlog_prob(&self, w: f32) -> f32 {
        let k = self.consts();
        k.dlog(w)
    }

    fn consts(&self) -> PriorConsts {
        let (s1, s2) = (self.sigma1 as f64, self.sigma2 as f64);
        let pi = self.pi as f64;
        // log(pi N1) - log((1-pi) N2) = c0 + c1 w^2
        let c0 = pi.ln() - (1.0 - pi).ln() + s2.ln() - s1.ln();
        let c1 = 0.5 * (1.0 / (s2 * s2) - 1.0 / (s1 * s1));
        PriorConsts { c0: c0 as f32, c1: c1 as f32, inv1: (1.0 / (s1 * s1)) as f32, inv2: (1.0 / (s2 * s2)) as f32 }
    }
}

#[derive(Copy, Clone)]
struct PriorConsts {
    c0: f32,
    c1: f32,
    inv1: f32,
    inv2: f32,
}

impl PriorConsts {
    #[inline]
    fn dlog(&self, w: f32) -> f32 {
        let a = self.c0 + self.c1 * w * w;
        // Far in the tails one component has all the responsibility (sigmoid(+-40) is 1 or 0 in f32).
        let r1 = if a > 40.0 {
            1.0
        } else if a < -40.0 {
            0.0
        } else {
            sigmoid(a)
        };
        -w * (r1 * self.inv1 + (1.0 - r1) * self.inv2)
    }
}

/// `log(exp(a) + exp(b))` without overflow or underflow; `-inf` when both are `-inf`.
pub fn log_add_exp(a: f64, b: f64) -> f64 {
    let (hi, lo) = if a > b { (a, b) } else { (b, a) };
    if hi == f64::NEG_INFINITY {
        return f64::NEG_INFINITY;
    }
    hi + (lo - hi).exp().ln_1p()
}

/// `softplus(x) = log(1 + exp(x))`, computed as `max(x, 0) + log1p(exp(-|x|))`: no overflow for large x, full
/// precision for very negative x, and exactly 0 at `x = -inf` (how pruning zeroes a sigma).
#[inline]
pub fn softplus(x: f32) -> f32 {
    x.max(0.0) + (-x.abs()).exp().ln_1p()
}

/// The inverse of [`softplus`] for `y > 0`: `x = log(exp(y) - 1) = y + log(-expm1(-y))`.
pub fn softplus_inv(y: f32) -> f32 {
    let y = y as f64;
    (y + (-(-y).exp_m1()).ln()) as f32
}

/// The logistic function, `d softplus(x) / dx`; stable for large `|x|`.
#[inline]
pub fn sigmoid(x: f32) -> f32 {
    if x >= 0.0 {
        1.0 / (1.0 + (-x).exp())
    } else {
        let e = x.exp();
        e / (1.0 + e)
    }
}

/// `log N(w; mu, sigma^2)` in f64.
pub fn log_normal(w: f64, mu: f64, sigma: f64) -> f64 {
    let z = (w - mu) / sigma;
    -HALF_LN_2PI - sigma.ln() - 0.5 * z * z
}

/// Closed-form `KL(N(mu_q, s_q^2) || N(mu_p, s_p^2))` in nats (the test oracle for the Monte-Carlo complexity cost
/// with a one-component prior).
pub fn kl_normal(mu_q: f64, s_q: f64, mu_p: f64, s_p: f64) -> f64 {
    (s_p / s_q).ln() + (s_q * s_q + (mu_q - mu_p) * (mu_q - mu_p)) / (2.0 * s_p * s_p) - 0.5
}

/// The multiplier of the learning rate of a mean whose posterior has standard deviation `sigma` at the start of task
/// `task` (0-based), for a parameter that was already trained on an earlier task. From the second task on,
/// [`Method::Ucb`] gives the paper's `alpha_mu / Omega_mu` with `Omega_mu = 1 / sigma`, i.e. `sigma`
/// (or `sigma / sigma_init` when `normalised`); [`Method::UcbFlat`] gives the same with `sigma_init` in place of
/// `sigma`; everything else, and every method on the first task, gives 1.
#[inline]
pub fn mu_lr_scale(method: Method, task: usize, sigma: f32, sigma_init: f32, normalised: bool) -> f32 {
    if task == 0 {
        return 1.0;
    }
    let s = match method {
        Method::Ucb => sigma,
        Method::UcbFlat => sigma_init,
        Method::Bbb | Method::Finetune => return 1.0,
    };
    if normalised {
        s / sigma_init
    } else {
        s
    }
}

/// Everything that defines a run; with the data it determines the result exactly.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Config {
    pub method: Method,
    pub mode: Mode,
    /// Hidden widths, e.g. `[100, 100]` for an MLP 784-100-100-heads.
    pub hidden: Vec<usize>,
    /// Passes over each task's training images.
    pub epochs: usize,
    /// Minibatch size.
    pub batch: usize,
    /// Adam step size of the means (and of the deterministic MLP's weights).
    pub lr: f32,
    /// Adam step size of the rhos (never scaled by UCB).
    pub lr_rho: f32,
    /// Monte-Carlo weight samples per training step (Bayesian methods).
    pub samples: usize,
    /// Weight samples averaged for a prediction at test time (Bayesian methods).
    pub test_samples: usize,
    /// Initial rho of every parameter; sigma_init = softplus(rho_init).
    pub rho_init: f32,
    /// Standard deviation of the initial means (normal, zero mean), as in the released code.
    pub mu_init_std: f32,
    pub prior: Prior,
    /// Weight of the complexity cost `(log q - log p) / N` in the loss (1 = the ELBO; the released code uses fixed
    /// coefficients that amount to about 0.02 for its MNIST runs).
    pub kl_weight: f32,
    /// Seed of initialisation, shuffling and weight noise.
    pub seed: u64,
    /// UCB's mean learning rate from the second task on: the paper's `lr * sigma` (false, the default) or
    /// `lr * sigma / sigma_init` (true), which keeps only the uncertainty-dependent part.
    #[serde(default)]
    pub normalised_rule: bool,
}

impl Config {
    /// The shipped configuration of a method and mode (what `paperlab train ucb` and the page's live run use).
    pub fn default_for(method: Method, mode: Mode, seed: u64) -> Config {
        Config {
            method,
            mode,
            hidden: vec![100, 100],
            epochs: 4,
            batch: 64,
            lr: 3e-3,
            lr_rho: 1e-2,
            samples: 2,
            test_samples: 4,
            rho_init: -3.0,
            mu_init_std: 0.1,
            prior: Prior { pi: 0.25, sigma1: 1.0, sigma2: (-6.0f32).exp() },
            kl_weight: 0.02,
            seed,
            normalised_rule: false,
        }
    }

    /// Checks ranges: widths 1..=4096, 1..=200 epochs, batch 1..=1024, positive finite rates, 1..=64 samples.
    ///
    /// # Errors
    /// [`Error::Range`] naming the first bad field.
    pub fn check(&self) -> Result<()> {
        if self.hidden.is_empty() || self.hidden.len() > 8 || self.hidden.iter().any(|&h| h == 0 || h > 4096) {
            return Err(Error::range("hidden widths", format!("{:?} must be 1 to 8 widths in 1..=4096", self.hidden)));
        }
        if !(1..=200).contains(&self.epochs) {
            return Err(Error::range("epochs", format!("{} must be in 1..=200", self.epochs)));
        }
        if !(1..=1024).contains(&self.batch) {
            return Err(Error::range("batch", format!("{} must be in 1..=1024", self.batch)));
        }
        for (n, v) in [("lr", self.lr), ("lr_rho", self.lr_rho)] {
            if !(v.is_finite() && v > 0.0 && v < 10.0) {
                return Err(Error::range(n, format!("{v} must be in (0, 10)")));
            }
        }
        if !(1..=64).contains(&self.samples) || !(1..=64).contains(&self.test_samples) {
            return Err(Error::range("samples", format!("{} and {} must be in 1..=64", self.samples, self.test_samples)));
        }
        if !(self.rho_init.is_finite() && self.mu_init_std.is_finite() && self.mu_init_std >= 0.0) {
            return Err(Error::range("initialisation", "rho_init and mu_init_std must be finite, mu_init_std >= 0"));
        }
        if !(self.kl_weight.is_finite() && self.kl_weight >= 0.0) {
            return Err(Error::range("kl_weight", format!("{} must be >= 0", self.kl_weight)));
        }
        self.prior.check()
    }

    /// `softplus(rho_init)`.
    pub fn sigma_init(&self) -> f32 {
        softplus(self.rho_init)
    }
}

mod bnn;
mod data;
mod long;
mod run;
mod ship;

pub use bnn::*;
pub use data::*;
pub use long::*;
pub use run::*;
pub use ship::*;
