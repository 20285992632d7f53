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
//! spread. Deviations from the paper (also on the page): Adam instead of SGD with early stopping, four epochs per
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

use std::str::FromStr;

use serde::{Deserialize, Serialize};

use crate::data::mnist::{Mnist, Split, PIXELS};
use crate::error::{Error, Result};
use crate::nn::layers::{linear_backward, linear_forward, relu_forward, softmax_cross_entropy};
use crate::nn::Rng;

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
}

impl Mode {
    /// The name used in URLs and manifests.
    pub fn name(self) -> &'static str {
        match self {
            Mode::Task => "task",
            Mode::Class => "class",
        }
    }

    /// Classes of one head.
    pub fn head_classes(self) -> usize {
        match self {
            Mode::Task => DIGITS_PER_TASK,
            Mode::Class => TASKS * DIGITS_PER_TASK,
        }
    }

    /// Number of heads.
    pub fn heads(self) -> usize {
        match self {
            Mode::Task => TASKS,
            Mode::Class => 1,
        }
    }

    /// Which head serves task `t`.
    pub fn head_of(self, t: usize) -> usize {
        match self {
            Mode::Task => t,
            Mode::Class => 0,
        }
    }

    /// The target of a digit in task `t`: its index within the task (task-incremental) or the digit itself.
    pub fn target(self, t: usize, digit: u8) -> u8 {
        match self {
            Mode::Task => digit - (t * DIGITS_PER_TASK) as u8,
            Mode::Class => digit,
        }
    }
}

impl FromStr for Mode {
    type Err = Error;
    fn from_str(s: &str) -> Result<Self> {
        match s.trim().to_ascii_lowercase().as_str() {
            "task" | "task-il" | "task-incremental" => Ok(Mode::Task),
            "class" | "class-il" | "class-incremental" => Ok(Mode::Class),
            _ => Err(Error::range("mode", format!("'{s}' is not one of task, class"))),
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

// ---------------------------------------------------------------------------------------------------------------------
// Data

/// The images of one task: `n` images of its two digits.
#[derive(Clone, Debug, Default)]
pub struct TaskData {
    /// `n * 784` pixels in `[0, 1]`, row-major images one after the other.
    pub x: Vec<f32>,
    /// The digit of each image.
    pub digits: Vec<u8>,
}

impl TaskData {
    /// Number of images.
    pub fn n(&self) -> usize {
        self.digits.len()
    }

    fn from_split(s: &Split, t: usize) -> TaskData {
        let lo = (t * DIGITS_PER_TASK) as u8;
        let idx: Vec<usize> = (0..s.n).filter(|&i| (lo..lo + DIGITS_PER_TASK as u8).contains(&s.labels[i])).collect();
        TaskData { x: s.batch_f32(&idx), digits: s.batch_labels(&idx) }
    }
}

/// Split MNIST: the shipped train and test splits cut into five tasks of two digits (0/1, 2/3, 4/5, 6/7, 8/9), each
/// keeping the images' original order.
#[derive(Clone, Debug)]
pub struct SplitMnist {
    pub train: Vec<TaskData>,
    pub test: Vec<TaskData>,
}

impl SplitMnist {
    /// Cuts `m` into the five tasks.
    pub fn new(m: &Mnist) -> SplitMnist {
        SplitMnist {
            train: (0..TASKS).map(|t| TaskData::from_split(&m.train, t)).collect(),
            test: (0..TASKS).map(|t| TaskData::from_split(&m.test, t)).collect(),
        }
    }
}

// ---------------------------------------------------------------------------------------------------------------------
// Network

/// A linear layer `y = x W^T + b` whose parameters are Gaussian (`mu`, `rho`) or, when `rho` is empty, plain weights
/// (`mu` only). Shapes: `w_mu`, `w_rho` O x I (PyTorch layout); `b_mu`, `b_rho` O.
#[derive(Clone, Debug, PartialEq)]
pub struct BayesLinear {
    pub inp: usize,
    pub out: usize,
    pub w_mu: Vec<f32>,
    pub w_rho: Vec<f32>,
    pub b_mu: Vec<f32>,
    pub b_rho: Vec<f32>,
}

impl BayesLinear {
    fn new(inp: usize, out: usize, bayes: bool, cfg: &Config, rng: &mut Rng) -> BayesLinear {
        let mut normal = |n: usize| -> Vec<f32> { (0..n).map(|_| cfg.mu_init_std * rng.normal()).collect() };
        let w_mu = normal(out * inp);
        let b_mu = normal(out);
        let (w_rho, b_rho) =
            if bayes { (vec![cfg.rho_init; out * inp], vec![cfg.rho_init; out]) } else { (Vec::new(), Vec::new()) };
        BayesLinear { inp, out, w_mu, w_rho, b_mu, b_rho }
    }

    /// Whether the layer has a posterior (rho) and not only point weights.
    pub fn bayes(&self) -> bool {
        !self.w_rho.is_empty()
    }

    /// The standard deviations of the weights (O x I), `softplus(rho)`; empty for a point layer.
    pub fn w_sigma(&self) -> Vec<f32> {
        self.w_rho.iter().map(|&r| softplus(r)).collect()
    }

    /// `softplus(rho)` and `sigmoid(rho)` of weights and biases, computed once per step and shared by its samples.
    fn sigmas(&self) -> LayerSigma {
        LayerSigma {
            w: self.w_rho.iter().map(|&r| softplus(r)).collect(),
            b: self.b_rho.iter().map(|&r| softplus(r)).collect(),
            w_d: self.w_rho.iter().map(|&r| sigmoid(r)).collect(),
            b_d: self.b_rho.iter().map(|&r| sigmoid(r)).collect(),
        }
    }

    /// A weight sample: `(w, b, eps_w, eps_b)` with `w = mu + sigma eps`, or the point weights (and empty eps) for a
    /// point layer or without a generator.
    fn sample(&self, sig: &LayerSigma, rng: Option<&mut Rng>) -> (Vec<f32>, Vec<f32>, Vec<f32>, Vec<f32>) {
        match rng {
            Some(rng) if self.bayes() => {
                let ew: Vec<f32> = (0..self.w_mu.len()).map(|_| rng.normal()).collect();
                let eb: Vec<f32> = (0..self.b_mu.len()).map(|_| rng.normal()).collect();
                let w = self.w_mu.iter().zip(&sig.w).zip(&ew).map(|((&m, &s), &e)| m + s * e).collect();
                let b = self.b_mu.iter().zip(&sig.b).zip(&eb).map(|((&m, &s), &e)| m + s * e).collect();
                (w, b, ew, eb)
            }
            _ => (self.w_mu.clone(), self.b_mu.clone(), Vec::new(), Vec::new()),
        }
    }
}

/// `softplus(rho)` (`w`, `b`) and its derivative `sigmoid(rho)` (`w_d`, `b_d`) of one layer; empty for a point layer.
#[derive(Clone, Debug, Default)]
struct LayerSigma {
    w: Vec<f32>,
    b: Vec<f32>,
    w_d: Vec<f32>,
    b_d: Vec<f32>,
}

/// `mu + softplus(rho) * eps`, element-wise.
pub fn reparam(mu: &[f32], rho: &[f32], eps: &[f32]) -> Vec<f32> {
    mu.iter().zip(rho).zip(eps).map(|((&m, &r), &e)| m + softplus(r) * e).collect()
}

/// Gradients of one layer's variational parameters (same layout as [`BayesLinear`]; `*_rho` empty for a point layer).
#[derive(Clone, Debug, PartialEq)]
pub struct LayerGrads {
    pub w_mu: Vec<f32>,
    pub w_rho: Vec<f32>,
    pub b_mu: Vec<f32>,
    pub b_rho: Vec<f32>,
}

impl LayerGrads {
    fn zeros(l: &BayesLinear) -> LayerGrads {
        LayerGrads {
            w_mu: vec![0.0; l.w_mu.len()],
            w_rho: vec![0.0; l.w_rho.len()],
            b_mu: vec![0.0; l.b_mu.len()],
            b_rho: vec![0.0; l.b_rho.len()],
        }
    }

    fn add_scaled(&mut self, o: &LayerGrads, s: f32) {
        for (a, b) in [(&mut self.w_mu, &o.w_mu), (&mut self.w_rho, &o.w_rho), (&mut self.b_mu, &o.b_mu), (&mut self.b_rho, &o.b_rho)] {
            for (x, y) in a.iter_mut().zip(b) {
                *x += s * y;
            }
        }
    }
}

/// Turns `dL_data/dw` at a sample into gradients of `mu` and `rho` of `L = L_data + c (log q - log p)` (see the
/// module docs): `dmu = g`, `drho = (g eps - c / sigma) sigmoid(rho)` with `g = dL_data/dw - c d log p(w)/dw`.
/// Shapes: all slices of one tensor's length (`sigma = softplus(rho)`, `dsig = sigmoid(rho)`); results are written to
/// `dmu` and `drho`.
#[allow(clippy::too_many_arguments)]
fn reparam_backward(dw: &[f32], w: &[f32], eps: &[f32], sigma: &[f32], dsig: &[f32], prior: &PriorConsts, c: f32, dmu: &mut [f32], drho: &mut [f32]) {
    for j in 0..dw.len() {
        let g = dw[j] - c * prior.dlog(w[j]);
        dmu[j] = g;
        drho[j] = (g * eps[j] - c / sigma[j]) * dsig[j];
    }
}

/// The network: shared hidden layers (ReLU) and one head per task (task-incremental) or one shared head.
#[derive(Clone, Debug, PartialEq)]
pub struct Net {
    /// `shared[l]` maps width `dims[l]` to `dims[l+1]` (784 -> H1 -> ... ).
    pub shared: Vec<BayesLinear>,
    /// Heads, each `H_last -> K`.
    pub heads: Vec<BayesLinear>,
}

/// What a forward pass keeps for the backward: each layer's input and the hidden pre-activations.
struct Cache {
    acts: Vec<Vec<f32>>,
    pre: Vec<Vec<f32>>,
}

/// One weight sample of the layers on the path of a head: `w`, `b`, and their eps (empty for point weights).
struct Sampled {
    w: Vec<Vec<f32>>,
    b: Vec<Vec<f32>>,
    ew: Vec<Vec<f32>>,
    eb: Vec<Vec<f32>>,
}

impl Sampled {
    fn empty() -> Sampled {
        Sampled { w: Vec::new(), b: Vec::new(), ew: Vec::new(), eb: Vec::new() }
    }
}

impl Net {
    /// A fresh network for `cfg` (Bayesian unless the method is fine-tuning), initialised from `rng`.
    pub fn new(cfg: &Config, rng: &mut Rng) -> Net {
        let bayes = cfg.method.bayes();
        let mut dims = vec![PIXELS];
        dims.extend_from_slice(&cfg.hidden);
        let shared = (0..cfg.hidden.len()).map(|l| BayesLinear::new(dims[l], dims[l + 1], bayes, cfg, rng)).collect();
        let h = *dims.last().unwrap();
        let heads = (0..cfg.mode.heads()).map(|_| BayesLinear::new(h, cfg.mode.head_classes(), bayes, cfg, rng)).collect();
        Net { shared, heads }
    }

    /// Whether the network is Bayesian.
    pub fn bayes(&self) -> bool {
        self.shared[0].bayes()
    }

    /// The layers a head's prediction uses: the shared ones, then the head.
    pub fn path(&self, head: usize) -> Vec<&BayesLinear> {
        self.shared.iter().chain(std::iter::once(&self.heads[head])).collect()
    }

    fn sigmas(&self, head: usize) -> Vec<LayerSigma> {
        self.path(head).iter().map(|l| l.sigmas()).collect()
    }

    fn sample(&self, head: usize, sig: &[LayerSigma], rng: Option<&mut Rng>) -> Sampled {
        let mut s = Sampled::empty();
        let mut rng = rng;
        for (l, sg) in self.path(head).into_iter().zip(sig) {
            let (w, b, ew, eb) = l.sample(sg, rng.as_deref_mut());
            s.w.push(w);
            s.b.push(b);
            s.ew.push(ew);
            s.eb.push(eb);
        }
        s
    }

    fn forward(&self, head: usize, s: &Sampled, x: &[f32], batch: usize) -> Result<(Vec<f32>, Cache)> {
        let path = self.path(head);
        let mut acts = vec![x.to_vec()];
        let mut pre = Vec::new();
        for (l, layer) in path.iter().enumerate() {
            let z = linear_forward(&acts[l], &s.w[l], &s.b[l], batch, layer.inp, layer.out)?;
            if l + 1 < path.len() {
                acts.push(relu_forward(&z));
                pre.push(z);
            } else {
                return Ok((z, Cache { acts, pre }));
            }
        }
        unreachable!("a path has at least one layer")
    }

    /// Gradients of the mean cross-entropy over the batch plus `c (log q - log p)` at one weight sample, for the
    /// layers on the head's path. Returns `(cross-entropy, grads)`.
    #[allow(clippy::too_many_arguments)]
    fn sample_grads(&self, head: usize, s: &Sampled, sig: &[LayerSigma], x: &[f32], targets: &[u8], prior: &PriorConsts, c: f32) -> Result<(f32, Vec<LayerGrads>)> {
        let batch = targets.len();
        let path = self.path(head);
        let (logits, cache) = self.forward(head, s, x, batch)?;
        let (ce, dlogits) = softmax_cross_entropy(&logits, targets, path.last().unwrap().out)?;
        let mut grads: Vec<LayerGrads> = path.iter().map(|l| LayerGrads::zeros(l)).collect();
        let mut d = dlogits;
        for l in (0..path.len()).rev() {
            let layer = path[l];
            let mut dw = vec![0.0; layer.w_mu.len()];
            let mut db = vec![0.0; layer.b_mu.len()];
            let dx = linear_backward(&d, &cache.acts[l], &s.w[l], &mut dw, &mut db, batch, layer.inp, layer.out, l > 0)?;
            let g = &mut grads[l];
            if layer.bayes() {
                let sg = &sig[l];
                reparam_backward(&dw, &s.w[l], &s.ew[l], &sg.w, &sg.w_d, prior, c, &mut g.w_mu, &mut g.w_rho);
                reparam_backward(&db, &s.b[l], &s.eb[l], &sg.b, &sg.b_d, prior, c, &mut g.b_mu, &mut g.b_rho);
            } else {
                g.w_mu = dw;
                g.b_mu = db;
            }
            if l > 0 {
                d = dx.iter().zip(&cache.pre[l - 1]).map(|(&g, &z)| if z > 0.0 { g } else { 0.0 }).collect();
            }
        }
        Ok((ce, grads))
    }

    /// The loss a training step descends at one fixed sample: `CE(batch) + c * sum (log q(w) - log p(w))` over the
    /// head's path, in f64, with `w = mu + softplus(rho) eps` for the given eps (`eps[l] = (eps_w, eps_b)`; ignored for
    /// point layers). This is the function [`Net::loss_grads`] differentiates (used by the finite-difference tests).
    ///
    /// # Errors
    /// [`Error::Shape`] on mismatched inputs.
    pub fn loss_at(&self, head: usize, eps: &[(Vec<f32>, Vec<f32>)], x: &[f32], targets: &[u8], prior: &Prior, c: f32) -> Result<f64> {
        let s = self.with_eps(head, eps)?;
        let (logits, _) = self.forward(head, &s, x, targets.len())?;
        let (ce, _) = softmax_cross_entropy(&logits, targets, self.heads[head].out)?;
        let mut kl = 0.0f64;
        for (l, layer) in self.path(head).into_iter().enumerate() {
            if layer.bayes() {
                kl += complexity_mc(&s.w[l], &layer.w_rho, &s.ew[l], prior) + complexity_mc(&s.b[l], &layer.b_rho, &s.eb[l], prior);
            }
        }
        Ok(ce as f64 + c as f64 * kl)
    }

    /// Gradients of [`Net::loss_at`] with respect to every mu and rho on the head's path, at the given eps.
    ///
    /// # Errors
    /// As [`Net::loss_at`].
    pub fn loss_grads(&self, head: usize, eps: &[(Vec<f32>, Vec<f32>)], x: &[f32], targets: &[u8], prior: &Prior, c: f32) -> Result<Vec<LayerGrads>> {
        let s = self.with_eps(head, eps)?;
        Ok(self.sample_grads(head, &s, &self.sigmas(head), x, targets, &prior.consts(), c)?.1)
    }

    fn with_eps(&self, head: usize, eps: &[(Vec<f32>, Vec<f32>)]) -> Result<Sampled> {
        let path = self.path(head);
        if eps.len() != path.len() {
            return Err(Error::shape("Net::with_eps", format!("{} eps pairs for {} layers", eps.len(), path.len())));
        }
        let mut s = Sampled::empty();
        for (l, (ew, eb)) in path.iter().zip(eps) {
            if l.bayes() {
                if ew.len() != l.w_mu.len() || eb.len() != l.b_mu.len() {
                    return Err(Error::shape("Net::with_eps", "eps must match the layer's weight and bias lengths"));
                }
                s.w.push(reparam(&l.w_mu, &l.w_rho, ew));
                s.b.push(reparam(&l.b_mu, &l.b_rho, eb));
                s.ew.push(ew.clone());
                s.eb.push(eb.clone());
            } else {
                s.w.push(l.w_mu.clone());
                s.b.push(l.b_mu.clone());
                s.ew.push(Vec::new());
                s.eb.push(Vec::new());
            }
        }
        Ok(s)
    }

    /// Predictive class probabilities of `x` (B x I) under head `head`: the softmax averaged over `samples` weight
    /// samples drawn from `rng` (Bayesian), or the softmax of the point network. Returns B x K.
    ///
    /// # Errors
    /// [`Error::Shape`] on mismatched inputs.
    pub fn predict(&self, head: usize, x: &[f32], batch: usize, samples: usize, rng: &mut Rng) -> Result<Vec<f32>> {
        let k = self.heads[head].out;
        let sig = self.sigmas(head);
        let draws: Vec<Sampled> = if self.bayes() {
            (0..samples.max(1)).map(|_| self.sample(head, &sig, Some(rng))).collect()
        } else {
            vec![self.sample(head, &sig, None)]
        };
        let probs: Vec<Result<Vec<f32>>> = crate::par::map_range(draws.len(), |i| {
            let (z, _) = self.forward(head, &draws[i], x, batch)?;
            Ok(softmax_rows(&z, k))
        });
        let mut mean = vec![0.0f32; batch * k];
        for p in probs {
            for (m, v) in mean.iter_mut().zip(p?) {
                *m += v;
            }
        }
        let inv = 1.0 / draws.len() as f32;
        mean.iter_mut().for_each(|m| *m *= inv);
        Ok(mean)
    }

    /// All weight matrices (not biases): the shared layers, then the heads.
    pub fn weight_layers(&self) -> Vec<&BayesLinear> {
        self.shared.iter().chain(&self.heads).collect()
    }

    /// A copy with the fraction `ratio` of each weight matrix removed (set to exactly 0: mu = 0, and sigma = 0 via
    /// rho = -inf), lowest score first: `|mu| / sigma` for [`Criterion::Snr`], `|mu|` for [`Criterion::Magnitude`].
    /// Biases are kept. For evaluation only (the removed weights' rho is -inf).
    ///
    /// # Errors
    /// [`Error::Range`] for a ratio outside `[0, 1]` or SNR pruning of a point network.
    pub fn pruned(&self, ratio: f32, criterion: Criterion) -> Result<Net> {
        if !(ratio.is_finite() && (0.0..=1.0).contains(&ratio)) {
            return Err(Error::range("pruning ratio", format!("{ratio} must be in [0, 1]")));
        }
        if criterion == Criterion::Snr && !self.bayes() {
            return Err(Error::range("pruning criterion", "signal-to-noise pruning needs a Bayesian network; use magnitude"));
        }
        let mut out = self.clone();
        for l in out.shared.iter_mut().chain(out.heads.iter_mut()) {
            let scores = prune_scores(l, criterion);
            let keep = keep_mask(&scores, ratio);
            for (j, k) in keep.iter().enumerate() {
                if !k {
                    l.w_mu[j] = 0.0;
                    if l.bayes() {
                        l.w_rho[j] = f32::NEG_INFINITY;
                    }
                }
            }
        }
        Ok(out)
    }
}

/// The score pruning ranks a layer's weights by (lower goes first).
pub fn prune_scores(l: &BayesLinear, criterion: Criterion) -> Vec<f32> {
    match criterion {
        Criterion::Magnitude => l.w_mu.iter().map(|m| m.abs()).collect(),
        Criterion::Snr => l.w_mu.iter().zip(&l.w_rho).map(|(m, &r)| m.abs() / softplus(r)).collect(),
    }
}

/// Which entries survive pruning the fraction `ratio` of `scores`: exactly `round(ratio * n)` entries with the lowest
/// scores are dropped (ties broken by index, NaN scores first). Returns one flag per entry, `true` = kept.
pub fn keep_mask(scores: &[f32], ratio: f32) -> Vec<bool> {
    let n = scores.len();
    let drop = ((ratio.clamp(0.0, 1.0) as f64) * n as f64).round() as usize;
    let mut idx: Vec<usize> = (0..n).collect();
    let key = |v: f32| if v.is_nan() { f32::NEG_INFINITY } else { v };
    idx.sort_by(|&a, &b| key(scores[a]).total_cmp(&key(scores[b])).then(a.cmp(&b)));
    let mut keep = vec![true; n];
    for &i in &idx[..drop.min(n)] {
        keep[i] = false;
    }
    keep
}

/// Row-wise softmax of a B x K matrix (max subtracted).
pub fn softmax_rows(z: &[f32], k: usize) -> Vec<f32> {
    let mut out = vec![0.0; z.len()];
    for (row, o) in z.chunks(k).zip(out.chunks_mut(k)) {
        let mx = row.iter().cloned().fold(f32::NEG_INFINITY, f32::max);
        let mut s = 0.0;
        for (d, &v) in o.iter_mut().zip(row) {
            *d = (v - mx).exp();
            s += *d;
        }
        o.iter_mut().for_each(|d| *d /= s);
    }
    out
}

/// The Monte-Carlo complexity cost of one tensor at a sample: `sum_j log q(w_j) - log p(w_j)`, in f64, where
/// `log q(w_j) = log N(w_j; mu_j, sigma_j^2) = -log sigma_j - eps_j^2 / 2 - log(2 pi) / 2` along the sample path.
pub fn complexity_mc(w: &[f32], rho: &[f32], eps: &[f32], prior: &Prior) -> f64 {
    let mut s = 0.0f64;
    for ((&wj, &r), &e) in w.iter().zip(rho).zip(eps) {
        let sigma = softplus(r) as f64;
        let log_q = -HALF_LN_2PI - sigma.ln() - 0.5 * (e as f64) * (e as f64);
        s += log_q - prior.log_prob(wj);
    }
    s
}

// ---------------------------------------------------------------------------------------------------------------------
// Optimiser

/// Adam state of one tensor (bias-corrected, betas 0.9 / 0.999, eps 1e-8), with an optional per-element multiplier of
/// the step size (UCB's learning rates).
#[derive(Clone, Debug, Default)]
struct AdamTensor {
    m: Vec<f32>,
    v: Vec<f32>,
}

impl AdamTensor {
    fn new(n: usize) -> Self {
        AdamTensor { m: vec![0.0; n], v: vec![0.0; n] }
    }

    /// `p -= lr * scale_j * mhat / (sqrt(vhat) + eps)` at Adam step `t` (1-based). An empty `scale` means 1.
    fn step(&mut self, p: &mut [f32], g: &[f32], t: i32, lr: f32, scale: &[f32]) {
        const B1: f32 = 0.9;
        const B2: f32 = 0.999;
        let bc1 = 1.0 - B1.powi(t);
        let bc2 = 1.0 - B2.powi(t);
        for j in 0..p.len() {
            self.m[j] = B1 * self.m[j] + (1.0 - B1) * g[j];
            self.v[j] = B2 * self.v[j] + (1.0 - B2) * g[j] * g[j];
            let s = if scale.is_empty() { 1.0 } else { scale[j] };
            p[j] -= lr * s * (self.m[j] / bc1) / ((self.v[j] / bc2).sqrt() + 1e-8);
        }
    }
}

#[derive(Clone, Debug, Default)]
struct LayerOpt {
    w_mu: AdamTensor,
    w_rho: AdamTensor,
    b_mu: AdamTensor,
    b_rho: AdamTensor,
    /// UCB multipliers of the means' step sizes for the current task (empty = all 1).
    w_scale: Vec<f32>,
    b_scale: Vec<f32>,
}

// ---------------------------------------------------------------------------------------------------------------------
// A run over the task sequence

/// Where a [`Run`] is.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub enum Phase {
    /// Training task `t` (0-based).
    Train(usize),
    /// Task `after` is trained; the test accuracy on task `next` is the next cell of row `after` to evaluate.
    Eval { after: usize, next: usize },
    /// All tasks trained and evaluated.
    Done,
}

/// What one call of [`Run::advance`] did.
#[derive(Copy, Clone, Debug, PartialEq)]
pub enum Advanced {
    /// `n` training steps of task `task`, with the mean cross-entropy over them (nats).
    Trained { task: usize, steps: usize, ce: f32 },
    /// The accuracy matrix cell `R[after][on]` was evaluated.
    Evaluated { after: usize, on: usize, acc: f32 },
    /// Nothing left to do.
    Done,
}

/// Bins of the sigma histograms: `log10 sigma` in `[HIST_LO, HIST_HI]`, values outside counted in the end bins.
pub const HIST_BINS: usize = 40;
/// Lower edge of the sigma histograms (log10 sigma).
pub const HIST_LO: f32 = -3.0;
/// Upper edge of the sigma histograms (log10 sigma).
pub const HIST_HI: f32 = 0.0;

/// Histogram of `log10 sigma` over the weights (not biases) of `layers`: [`HIST_BINS`] counts over
/// `[HIST_LO, HIST_HI]`, out-of-range values in the end bins.
pub fn sigma_histogram(layers: &[&BayesLinear]) -> Vec<u32> {
    let mut h = vec![0u32; HIST_BINS];
    let w = (HIST_HI - HIST_LO) / HIST_BINS as f32;
    for l in layers {
        for &r in &l.w_rho {
            let s = softplus(r);
            let b = ((s.log10() - HIST_LO) / w).floor();
            let b = if b.is_nan() { 0 } else { (b.max(0.0) as usize).min(HIST_BINS - 1) };
            h[b] += 1;
        }
    }
    h
}

/// A continual-learning run: trains the tasks in order and fills the accuracy matrix, in small steps a caller (the CLI,
/// or the page through the wasm facade) drives. The same seed and configuration give the same numbers however the work
/// is split into calls.
pub struct Run {
    cfg: Config,
    data: std::sync::Arc<SplitMnist>,
    net: Net,
    rng: Rng,
    opt: Vec<LayerOpt>,
    adam_t: i32,
    phase: Phase,
    /// Step within the current task.
    step: usize,
    order: Vec<usize>,
    steps_per_epoch: Vec<usize>,
    /// `matrix[t][i]`: accuracy on task i after training task t (NaN until evaluated).
    matrix: Vec<Vec<f32>>,
    /// `hists[t][l]`: sigma histogram of layer group l (shared layers, then all heads trained so far) after task t.
    hists: Vec<Vec<Vec<u32>>>,
    /// Mean training cross-entropy of each epoch, per task.
    pub epoch_ce: Vec<Vec<f32>>,
    ce_acc: (f64, usize),
}

impl Run {
    /// A run of `cfg` on `data`, initialised from `cfg.seed`.
    ///
    /// # Errors
    /// [`Error::Range`] for a bad configuration; [`Error::Shape`] when a task has no training images.
    pub fn new(cfg: Config, data: std::sync::Arc<SplitMnist>) -> Result<Run> {
        cfg.check()?;
        if data.train.len() != TASKS || data.test.len() != TASKS || data.train.iter().any(|t| t.n() == 0) {
            return Err(Error::shape("ucb::Run", format!("Split MNIST needs {TASKS} tasks with training images")));
        }
        let mut rng = Rng::new(cfg.seed);
        let net = Net::new(&cfg, &mut rng);
        let steps_per_epoch = data.train.iter().map(|t| t.n().div_ceil(cfg.batch)).collect();
        let mut r = Run {
            net,
            rng,
            opt: Vec::new(),
            adam_t: 0,
            phase: Phase::Train(0),
            step: 0,
            order: Vec::new(),
            steps_per_epoch,
            matrix: vec![vec![f32::NAN; TASKS]; TASKS],
            hists: Vec::new(),
            epoch_ce: vec![Vec::new(); TASKS],
            ce_acc: (0.0, 0),
            data,
            cfg,
        };
        r.begin_task(0);
        Ok(r)
    }

    /// The configuration.
    pub fn config(&self) -> &Config {
        &self.cfg
    }

    /// The network as it is now.
    pub fn net(&self) -> &Net {
        &self.net
    }

    /// Where the run is.
    pub fn phase(&self) -> Phase {
        self.phase
    }

    /// The accuracy matrix, `matrix[t][i]` in `[0, 1]`, NaN where not yet evaluated.
    pub fn matrix(&self) -> &[Vec<f32>] {
        &self.matrix
    }

    /// Sigma histograms after each finished task: `hists[t][g]` for layer group g (the shared layers in order, then
    /// the heads trained so far); empty for the deterministic MLP.
    pub fn hists(&self) -> &[Vec<Vec<u32>>] {
        &self.hists
    }

    /// Training steps of task `t`.
    pub fn task_steps(&self, t: usize) -> usize {
        self.steps_per_epoch[t] * self.cfg.epochs
    }

    /// Training steps of the whole run.
    pub fn total_steps(&self) -> usize {
        (0..TASKS).map(|t| self.task_steps(t)).sum()
    }

    /// Training steps done so far.
    pub fn steps_done(&self) -> usize {
        match self.phase {
            Phase::Train(t) => (0..t).map(|u| self.task_steps(u)).sum::<usize>() + self.step,
            Phase::Eval { after, .. } => (0..=after).map(|u| self.task_steps(u)).sum(),
            Phase::Done => self.total_steps(),
        }
    }

    /// Accuracy-matrix cells evaluated so far.
    pub fn cells_done(&self) -> usize {
        match self.phase {
            Phase::Train(t) => t * TASKS,
            Phase::Eval { after, next } => after * TASKS + next,
            Phase::Done => TASKS * TASKS,
        }
    }

    /// The UCB multipliers currently applied to the means' step sizes, for the layers on the current task's path
    /// (`(weights, biases)` per layer; empty vectors mean 1).
    pub fn lr_scales(&self) -> Vec<(Vec<f32>, Vec<f32>)> {
        self.opt.iter().map(|o| (o.w_scale.clone(), o.b_scale.clone())).collect()
    }

    fn head(&self, t: usize) -> usize {
        self.cfg.mode.head_of(t)
    }

    /// Starts task t: fresh Adam state (as the paper re-creates its optimiser per task), UCB step sizes from the
    /// current sigmas, a new shuffle.
    fn begin_task(&mut self, t: usize) {
        let cfg = &self.cfg;
        let s0 = cfg.sigma_init();
        let scale = |rho: &[f32]| -> Vec<f32> {
            if matches!(cfg.method, Method::Ucb | Method::UcbFlat) && t > 0 {
                rho.iter().map(|&r| mu_lr_scale(cfg.method, t, softplus(r), s0, cfg.normalised_rule)).collect()
            } else {
                Vec::new()
            }
        };
        let path = self.net.path(cfg.mode.head_of(t));
        // A task-incremental head is trained only in its own task: for it this is the first task, at the base rate.
        let fresh = |i: usize| cfg.mode == Mode::Task && i + 1 == path.len();
        self.opt = path
            .iter()
            .enumerate()
            .map(|(i, l)| LayerOpt {
                w_mu: AdamTensor::new(l.w_mu.len()),
                w_rho: AdamTensor::new(l.w_rho.len()),
                b_mu: AdamTensor::new(l.b_mu.len()),
                b_rho: AdamTensor::new(l.b_rho.len()),
                w_scale: if fresh(i) { Vec::new() } else { scale(&l.w_rho) },
                b_scale: if fresh(i) { Vec::new() } else { scale(&l.b_rho) },
            })
            .collect();
        self.adam_t = 0;
        self.step = 0;
        self.order = (0..self.data.train[t].n()).collect();
        self.rng.shuffle(&mut self.order);
        self.phase = Phase::Train(t);
    }

    /// Does up to `budget` training steps (never past the end of the current task), or evaluates one cell of the
    /// accuracy matrix when a task has just finished. Call until it returns [`Advanced::Done`].
    ///
    /// # Errors
    /// Only on internal shape errors (a bug).
    pub fn advance(&mut self, budget: usize) -> Result<Advanced> {
        match self.phase {
            Phase::Done => Ok(Advanced::Done),
            Phase::Eval { after, next } => {
                let acc = self.evaluate(after, next)?;
                self.matrix[after][next] = acc;
                self.phase = if next + 1 < TASKS {
                    Phase::Eval { after, next: next + 1 }
                } else if after + 1 < TASKS {
                    self.begin_task(after + 1);
                    Phase::Train(after + 1)
                } else {
                    Phase::Done
                };
                Ok(Advanced::Evaluated { after, on: next, acc })
            }
            Phase::Train(t) => {
                let total = self.task_steps(t);
                let n = budget.max(1).min(total - self.step);
                let mut ce = 0.0f64;
                for _ in 0..n {
                    ce += self.train_step(t)? as f64;
                }
                if self.step == total {
                    self.hists.push(self.group_hists(t));
                    self.phase = Phase::Eval { after: t, next: 0 };
                }
                Ok(Advanced::Trained { task: t, steps: n, ce: (ce / n as f64) as f32 })
            }
        }
    }

    /// Runs to the end.
    ///
    /// # Errors
    /// As [`Run::advance`].
    pub fn run_to_end(&mut self, mut progress: impl FnMut(&Advanced, &Run)) -> Result<()> {
        loop {
            let a = self.advance(64)?;
            if a == Advanced::Done {
                return Ok(());
            }
            progress(&a, self);
        }
    }

    fn group_hists(&self, t: usize) -> Vec<Vec<u32>> {
        if !self.net.bayes() {
            return Vec::new();
        }
        let mut out: Vec<Vec<u32>> = self.net.shared.iter().map(|l| sigma_histogram(&[l])).collect();
        let trained = match self.cfg.mode {
            Mode::Task => t + 1,
            Mode::Class => 1,
        };
        let heads: Vec<&BayesLinear> = self.net.heads[..trained].iter().collect();
        out.push(sigma_histogram(&heads));
        out
    }

    /// One minibatch step on task t.
    fn train_step(&mut self, t: usize) -> Result<f32> {
        let cfg = &self.cfg;
        let task = &self.data.train[t];
        let n = task.n();
        let spe = self.steps_per_epoch[t];
        let s_in_epoch = self.step % spe;
        if s_in_epoch == 0 && self.step > 0 {
            self.rng.shuffle(&mut self.order);
        }
        let idx = &self.order[s_in_epoch * cfg.batch..((s_in_epoch + 1) * cfg.batch).min(n)];
        let mut x = Vec::with_capacity(idx.len() * PIXELS);
        for &i in idx {
            x.extend_from_slice(&task.x[i * PIXELS..(i + 1) * PIXELS]);
        }
        let targets: Vec<u8> = idx.iter().map(|&i| cfg.mode.target(t, task.digits[i])).collect();
        let head = self.head(t);
        let bayes = self.net.bayes();
        let samples = if bayes { cfg.samples } else { 1 };
        // Draw every sample's noise first, in order, so threads cannot change the stream.
        let sig = self.net.sigmas(head);
        let draws: Vec<Sampled> = (0..samples).map(|_| self.net.sample(head, &sig, if bayes { Some(&mut self.rng) } else { None })).collect();
        let c = cfg.kl_weight / n as f32;
        let prior = cfg.prior.consts();
        let net = &self.net;
        let per: Vec<Result<(f32, Vec<LayerGrads>)>> =
            crate::par::map_range(samples, |s| net.sample_grads(head, &draws[s], &sig, &x, &targets, &prior, c));
        let mut grads: Vec<LayerGrads> = net.path(head).iter().map(|l| LayerGrads::zeros(l)).collect();
        let mut ce = 0.0f32;
        let inv = 1.0 / samples as f32;
        for r in per {
            let (l, g) = r?;
            ce += l * inv;
            for (a, b) in grads.iter_mut().zip(&g) {
                a.add_scaled(b, inv);
            }
        }
        self.adam_t += 1;
        let (lr, lr_rho, at) = (cfg.lr, cfg.lr_rho, self.adam_t);
        let n_shared = self.net.shared.len();
        for (l, (o, g)) in self.opt.iter_mut().zip(&grads).enumerate() {
            let layer = if l < n_shared { &mut self.net.shared[l] } else { &mut self.net.heads[head] };
            o.w_mu.step(&mut layer.w_mu, &g.w_mu, at, lr, &o.w_scale);
            o.b_mu.step(&mut layer.b_mu, &g.b_mu, at, lr, &o.b_scale);
            if layer.bayes() {
                o.w_rho.step(&mut layer.w_rho, &g.w_rho, at, lr_rho, &[]);
                o.b_rho.step(&mut layer.b_rho, &g.b_rho, at, lr_rho, &[]);
            }
        }
        self.step += 1;
        self.ce_acc.0 += ce as f64;
        self.ce_acc.1 += 1;
        if self.step % spe == 0 {
            self.epoch_ce[t].push((self.ce_acc.0 / self.ce_acc.1 as f64) as f32);
            self.ce_acc = (0.0, 0);
        }
        Ok(ce)
    }

    /// Test accuracy on task `on` of the network as it is now, in `[0, 1]`. The prediction noise is seeded by
    /// `(seed, after, on)` so the number does not depend on how the run was split into calls.
    ///
    /// # Errors
    /// Only on internal shape errors.
    pub fn evaluate(&self, after: usize, on: usize) -> Result<f32> {
        let mut rng = Rng::new(mix_seed(self.cfg.seed, 1 + after as u64, on as u64));
        accuracy(&self.net, &self.cfg, &self.data.test[on], on, &mut rng)
    }

    /// Test accuracy on every task of the network pruned by `criterion` at `ratio` (see [`Net::pruned`]), with the
    /// prediction noise of the final evaluation (so ratio 0 gives the last row of the matrix once the run is done).
    ///
    /// # Errors
    /// As [`Net::pruned`].
    pub fn pruned_accuracy(&self, ratio: f32, criterion: Criterion) -> Result<Vec<f32>> {
        prune_accuracy(&self.net, &self.cfg, &self.data, ratio, criterion)
    }
}

/// Test accuracy on every task of `net` pruned by `criterion` at `ratio`. Every ratio uses the same prediction noise
/// as the final evaluation, seeded by `(seed, T-1, task)` (common random numbers: the curve over ratios is not
/// jittered by resampling, and ratio 0 reproduces the last row of the accuracy matrix).
///
/// # Errors
/// As [`Net::pruned`].
pub fn prune_accuracy(net: &Net, cfg: &Config, data: &SplitMnist, ratio: f32, criterion: Criterion) -> Result<Vec<f32>> {
    let p = net.pruned(ratio, criterion)?;
    (0..TASKS)
        .map(|t| {
            let mut rng = Rng::new(mix_seed(cfg.seed, TASKS as u64, t as u64));
            accuracy(&p, cfg, &data.test[t], t, &mut rng)
        })
        .collect()
}

/// Accuracy of `net` on task `t`'s images in `data` (predictive mean over `cfg.test_samples` samples).
fn accuracy(net: &Net, cfg: &Config, data: &TaskData, t: usize, rng: &mut Rng) -> Result<f32> {
    let n = data.n();
    if n == 0 {
        return Ok(f32::NAN);
    }
    let head = cfg.mode.head_of(t);
    let k = net.heads[head].out;
    let p = net.predict(head, &data.x, n, cfg.test_samples, rng)?;
    let mut right = 0usize;
    for (i, row) in p.chunks(k).enumerate() {
        let pred = row.iter().enumerate().fold((0, f32::NEG_INFINITY), |(bi, bv), (j, &v)| if v > bv { (j, v) } else { (bi, bv) }).0;
        if pred == cfg.mode.target(t, data.digits[i]) as usize {
            right += 1;
        }
    }
    Ok(right as f32 / n as f32)
}

/// A seed for an independent stream from `(seed, a, b)` (splitmix64 finaliser).
pub fn mix_seed(seed: u64, a: u64, b: u64) -> u64 {
    let mut z = seed ^ a.wrapping_mul(0x9E37_79B9_7F4A_7C15) ^ b.wrapping_mul(0xD1B5_4A32_D192_ED03);
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

/// `(ACC, BWT)` of an accuracy matrix `r` (T x T, fractions): `ACC = mean_i r[T-1][i]`,
/// `BWT = mean_{i < T-1} (r[T-1][i] - r[i][i])` (0 for one task).
pub fn acc_bwt(r: &[Vec<f32>]) -> (f32, f32) {
    let t = r.len();
    if t == 0 {
        return (f32::NAN, f32::NAN);
    }
    let last = &r[t - 1];
    let acc = last.iter().take(t).map(|&v| v as f64).sum::<f64>() / t as f64;
    let bwt = if t > 1 { (0..t - 1).map(|i| (last[i] - r[i][i]) as f64).sum::<f64>() / (t - 1) as f64 } else { 0.0 };
    (acc as f32, bwt as f32)
}

// ---------------------------------------------------------------------------------------------------------------------
// Shipped results (`paperlab train ucb`)

/// Pruning ratios of the shipped accuracy-vs-ratio curves (the page's slider grid): 0, 0.05, ..., 0.95.
pub fn prune_ratios() -> Vec<f32> {
    (0..20).map(|i| i as f32 * 0.05).collect()
}

fn round4(v: f32) -> f64 {
    if v.is_finite() {
        (v as f64 * 10000.0).round() / 10000.0
    } else {
        f64::NAN
    }
}

/// The manifest entry of a finished run: configuration, accuracy matrix, ACC/BWT, sigma histograms after each task,
/// mean training cross-entropy per epoch, and accuracy on every task vs pruning ratio (per criterion).
///
/// # Errors
/// As [`Run::pruned_accuracy`].
pub fn run_json(run: &Run, seconds: f64) -> Result<serde_json::Value> {
    let cfg = run.config();
    let (acc, bwt) = acc_bwt(run.matrix());
    let criteria: &[Criterion] = if cfg.method.bayes() { &[Criterion::Snr, Criterion::Magnitude] } else { &[Criterion::Magnitude] };
    let mut prune = serde_json::Map::new();
    for &c in criteria {
        let rows: Vec<Vec<f64>> = prune_ratios()
            .iter()
            .map(|&r| run.pruned_accuracy(r, c).map(|v| v.into_iter().map(round4).collect()))
            .collect::<Result<_>>()?;
        let name = if c == Criterion::Snr { "snr" } else { "magnitude" };
        prune.insert(name.into(), serde_json::json!(rows));
    }
    Ok(serde_json::json!({
        "method": cfg.method.name(),
        "mode": cfg.mode.name(),
        "seed": cfg.seed,
        "config": cfg,
        "matrix": run.matrix().iter().map(|r| r.iter().map(|&v| round4(v)).collect::<Vec<_>>()).collect::<Vec<_>>(),
        "acc": round4(acc),
        "bwt": round4(bwt),
        "seconds": (seconds * 100.0).round() / 100.0,
        "hists": run.hists(),
        "epoch_ce": run.epoch_ce.iter().map(|r| r.iter().map(|&v| round4(v)).collect::<Vec<_>>()).collect::<Vec<_>>(),
        "prune": prune,
    }))
}

/// `paperlab train ucb [--out DIR] [--seeds 1,2,3] [--only METHOD:MODE] [--set KEY=VALUE]... [--quick] [--dry]`:
/// runs every method in both modes for every seed, prints the accuracy matrices, and writes `manifest.json` (to
/// `www/models/ucb/` by default; `--dry` writes nothing). `--set` overrides a [`Config`] field (JSON value) for
/// experiments; `--quick` is one epoch per task.
///
/// # Errors
/// [`Error::Range`] for bad arguments; [`Error::Io`] when the data cannot be read or the manifest not written.
#[cfg(not(target_arch = "wasm32"))]
pub fn train_cli(args: &[&str]) -> Result<()> {
    use std::time::Instant;
    let cli = crate::labs::cli::Args::parse_with("paperlab train ucb", args, &["out", "seeds", "only"], &["quick", "dry", "verbose"], &["set"])?;
    let out = cli.path("out", std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("www/models/ucb"));
    let seeds: Vec<u64> = cli.list("seeds", vec![1, 2, 3])?;
    let only: Option<(Method, Mode)> = match cli.get("only") {
        Some(s) => {
            let (a, b) = s.split_once(':').ok_or_else(|| Error::range("--only", "use METHOD:MODE, e.g. ucb:task"))?;
            Some((a.parse()?, b.parse()?))
        }
        None => None,
    };
    let sets: Vec<(&str, serde_json::Value)> = cli
        .all("set")
        .into_iter()
        .map(|kv| {
            let (k, v) = kv.split_once('=').ok_or_else(|| Error::range("--set", "use KEY=VALUE"))?;
            Ok((k, serde_json::from_str(v).unwrap_or_else(|_| serde_json::Value::String(v.to_string()))))
        })
        .collect::<Result<_>>()?;
    let quick = cli.has("quick");
    let dry = cli.has("dry");
    let mnist = Mnist::load_default()?;
    let data = std::sync::Arc::new(SplitMnist::new(&mnist));
    let mut runs = Vec::new();
    for mode in [Mode::Task, Mode::Class] {
        for method in Method::ALL {
            if only.is_some_and(|o| o != (method, mode)) {
                continue;
            }
            for &seed in &seeds {
                let mut cfg = Config::default_for(method, mode, seed);
                if quick {
                    cfg.epochs = 1;
                }
                if !sets.is_empty() {
                    let mut v = serde_json::to_value(&cfg).expect("config serialises");
                    for (k, val) in &sets {
                        if v.get(*k).is_none() {
                            return Err(Error::range("--set", format!("'{k}' is not a config field")));
                        }
                        v[*k] = val.clone();
                    }
                    cfg = serde_json::from_value(v).map_err(|e| Error::range("--set", e.to_string()))?;
                }
                let t0 = Instant::now();
                let mut run = Run::new(cfg, data.clone())?;
                run.run_to_end(|_, _| {})?;
                let secs = t0.elapsed().as_secs_f64();
                let (acc, bwt) = acc_bwt(run.matrix());
                eprintln!("== {} / {} / seed {seed}: ACC {:.2}%  BWT {:+.2}%  ({secs:.1} s, {} threads)", method.name(), mode.name(), 100.0 * acc, 100.0 * bwt, crate::par::threads());
                for (t, row) in run.matrix().iter().enumerate() {
                    let cells: Vec<String> = row.iter().map(|v| format!("{:6.2}", 100.0 * v)).collect();
                    let ce: Vec<String> = run.epoch_ce[t].iter().map(|v| format!("{v:.3}")).collect();
                    eprintln!("   after task {}: {}   train CE {}", t + 1, cells.join(" "), ce.join(" "));
                }
                if cli.has("verbose") {
                    for (t, h) in run.hists().iter().enumerate() {
                        for (g, counts) in h.iter().enumerate() {
                            let c: Vec<String> = counts.iter().map(|c| c.to_string()).collect();
                            eprintln!("   sigma hist after task {} group {g}: {}", t + 1, c.join(" "));
                        }
                    }
                }
                if dry {
                    runs.push(serde_json::json!({ "method": method.name(), "mode": mode.name(), "seed": seed, "acc": acc, "bwt": bwt }));
                    continue;
                }
                let t1 = Instant::now();
                let mut j = run_json(&run, secs)?;
                eprintln!("   pruning curves in {:.1} s", t1.elapsed().as_secs_f64());
                j["threads"] = crate::par::threads().into();
                runs.push(j);
            }
        }
    }
    let mut summary = Vec::new();
    for mode in [Mode::Task, Mode::Class] {
        for method in Method::ALL {
            let sel: Vec<&serde_json::Value> = runs.iter().filter(|r| r["method"] == method.name() && r["mode"] == mode.name()).collect();
            if sel.is_empty() {
                continue;
            }
            let stat = |k: &str| {
                let v: Vec<f64> = sel.iter().map(|r| r[k].as_f64().unwrap_or(f64::NAN)).collect();
                let m = v.iter().sum::<f64>() / v.len() as f64;
                let sd = if v.len() > 1 { (v.iter().map(|x| (x - m) * (x - m)).sum::<f64>() / (v.len() - 1) as f64).sqrt() } else { 0.0 };
                ((m * 10000.0).round() / 10000.0, (sd * 10000.0).round() / 10000.0)
            };
            let (am, asd) = stat("acc");
            let (bm, bsd) = stat("bwt");
            eprintln!("{:>8} / {:<5}: ACC {:.2} ± {:.2}%   BWT {:+.2} ± {:.2}%", method.name(), mode.name(), 100.0 * am, 100.0 * asd, 100.0 * bm, 100.0 * bsd);
            summary.push(serde_json::json!({
                "method": method.name(), "mode": mode.name(), "seeds": sel.iter().map(|r| r["seed"].clone()).collect::<Vec<_>>(),
                "acc_mean": am, "acc_std": asd, "bwt_mean": bm, "bwt_std": bsd,
            }));
        }
    }
    if dry {
        return Ok(());
    }
    let manifest = serde_json::json!({
        "lab": "ucb",
        "made_by": "paperlab train ucb (src/labs/ucb.rs); re-checked by tests/ucb_models.rs",
        "data": "MNIST, 8,000 train / 2,000 test digits (www/data/README.md), split into five tasks 0/1, 2/3, 4/5, 6/7, 8/9",
        "tasks": (0..TASKS).map(|t| [2 * t, 2 * t + 1]).collect::<Vec<_>>(),
        "train_images": data.train.iter().map(TaskData::n).collect::<Vec<_>>(),
        "test_images": data.test.iter().map(TaskData::n).collect::<Vec<_>>(),
        "prune_ratios": prune_ratios().iter().map(|&r| round4(r)).collect::<Vec<_>>(),
        "hist": { "lo": HIST_LO, "hi": HIST_HI, "bins": HIST_BINS, "of": "log10 sigma of the weights (biases excluded)" },
        "quick": quick,
        "summary": summary,
        "runs": runs,
    });
    std::fs::create_dir_all(&out)?;
    let path = out.join("manifest.json");
    std::fs::write(&path, serde_json::to_string(&manifest).expect("manifest serialises") + "\n")?;
    eprintln!("wrote {}", path.display());
    Ok(())
}
