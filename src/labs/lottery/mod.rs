//! Lottery tickets: iterative magnitude pruning (IMP) with rewinding, and its controls, on three settings.
//!
//! Papers: Frankle & Carbin, "The Lottery Ticket Hypothesis: Finding Sparse, Trainable Neural Networks" (ICLR 2019;
//! arXiv:1803.03635), *LTH* below; Yu, Edunov, Tian & Morcos, "Playing the lottery with rewards and multiple
//! languages: lottery tickets in RL and NLP" (ICLR 2020; arXiv:1906.02768), *Yu et al.* below.
//!
//! IMP (LTH sec. 2, "Identifying winning tickets", and sec. 5 for iterative pruning):
//! 1. Initialise the network, theta_0.
//! 2. Train it for `iters` iterations.
//! 3. Prune: every weight matrix keeps `round(n (1 - p)^r)` of its weights after round `r` (the smallest magnitudes
//!    among the survivors go; ties by index; see [`crate::nn::prune`]). LTH's rates for LeNet: p = 20% for the
//!    hidden layers and 10% for the output layer. With `global`, one ranking over all weight matrices instead.
//!    Biases are never pruned.
//! 4. Rewind the survivors to theta_0 (LTH) or to their values theta_k after `k` iterations of the first, dense
//!    training run ("late rewinding", Yu et al. sec. 3, after Frankle et al. 2019), and train again from that
//!    iteration to the end (iterations k..iters, with the minibatches the dense run had there); repeat 3-4.
//!
//! Controls (LTH sec. 2): *random re-initialisation* trains each level's ticket mask from a fresh random
//! initialisation; *random pruning* trains a random mask with the same survivor counts from theta_0.
//!
//! Training with a mask: the gradients of pruned weights are set to zero before every Adam step, so their Adam
//! moments stay exactly zero and the step leaves them at zero; the mask is applied to the weights after every step as
//! well. Each training run starts a fresh Adam. The minibatch order is a function of the run's seed and the
//! iteration only, so every level sees the same data in the same order.
//!
//! Early stopping (LTH fig. 3, 4): the network is evaluated every `eval_every` iterations; the *early-stopping
//! iteration* is the evaluation with the lowest validation loss, and the reported metric is the one measured there.
//!
//! Legend: B batch, I inputs (784), K classes (10), L levels (level 0 is the dense network, level r has been pruned r
//! times).

use serde::{Deserialize, Serialize};

use crate::data::mnist::Mnist;
use crate::error::{Error, Result};
use crate::nn::flat::{argmax_rows, softmax_cross_entropy};
use crate::nn::mlp::Mlp;
use crate::nn::prune::{prune_global, prune_layerwise, survivors, Mask};
use crate::nn::{Adam, Rng};

pub mod cartpole;
pub mod page;
pub mod text;
#[cfg(not(target_arch = "wasm32"))]
pub mod ship;

/// What a prunable tensor is, which decides its pruning rate.
#[derive(Copy, Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Role {
    /// A hidden layer's weights: rate `p`.
    Hidden,
    /// The output layer's weights: rate `p_out` (LTH: half of `p`).
    Output,
    /// An embedding table: rate `p` when embeddings are pruned, else never pruned (but counted as weights).
    Embedding,
}

/// One evaluation of a network.
#[derive(Copy, Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct Eval {
    /// Selection loss, lower is better: the early-stopping iteration is where it is lowest (validation loss).
    pub select: f64,
    /// The reported metric (test accuracy, episode return, validation bits per character).
    pub metric: f64,
}

/// A network and what it is trained on, as the IMP driver sees it. Parameters are a fixed list of tensors (weights
/// and biases); some weight tensors are prunable.
pub trait Task {
    /// Every parameter tensor, in a fixed order.
    fn params(&self) -> Vec<&[f32]>;
    /// The same, mutable.
    fn params_mut(&mut self) -> Vec<&mut [f32]>;
    /// The prunable tensors: `(index into params, role)`, in a fixed order.
    fn prunable(&self) -> Vec<(usize, Role)>;
    /// A fresh initialisation of every parameter from `seed`, in [`Task::params`] order.
    fn init_params(&self, seed: u64) -> Vec<Vec<f32>>;
    /// The training loss at iteration `it` of a run (its minibatch or episodes are a function of the task's seed and
    /// `it`) and its gradient with respect to every parameter, in [`Task::params`] order.
    fn loss_grad(&mut self, it: usize) -> Result<(f32, Vec<Vec<f32>>)>;
    /// Evaluates the current parameters.
    fn evaluate(&mut self) -> Result<Eval>;
}

/// Which networks a run trains at each level.
#[derive(Copy, Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Mode {
    /// IMP: the ticket at each level, rewound to theta_k (k = `rewind_iter`; 0 is LTH's rewind to init).
    Ticket,
    /// IMP as in `Ticket`, and at every pruned level also the ticket's mask from a fresh random initialisation.
    Reinit,
    /// At every pruned level a random mask with the IMP survivor counts, trained from theta_0 (no IMP).
    Random,
}

/// Settings of one IMP run.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct ImpConfig {
    /// Fraction of the surviving weights pruned per round in hidden layers (and globally), in (0, 1).
    pub rate: f64,
    /// Fraction pruned per round in the output layer, in [0, 1).
    pub rate_output: f64,
    /// One magnitude ranking over all prunable tensors instead of one per tensor.
    pub global: bool,
    /// Stop at the first level whose fraction of weights remaining is at or below this, in (0, 1].
    pub target: f64,
    /// At most this many pruning rounds (levels `0..=max_rounds`).
    pub max_rounds: usize,
    /// What to train at each level.
    pub mode: Mode,
    /// Rewind the survivors to their values after this many iterations of the dense run (0 = to init).
    pub rewind_iter: usize,
    /// Training iterations per network.
    pub iters: usize,
    /// Evaluate every this many iterations (and after the last).
    pub eval_every: usize,
    /// Adam step size.
    pub lr: f32,
    /// Seed of the initialisation (theta_0), the data order, re-initialisations and random masks.
    pub seed: u64,
    /// Prune embedding tables (language setting; Yu et al. sec. 4 compare both).
    pub prune_embedding: bool,
}

impl Default for ImpConfig {
    fn default() -> Self {
        ImpConfig {
            rate: 0.2,
            rate_output: 0.1,
            global: false,
            target: 0.05,
            max_rounds: 40,
            mode: Mode::Ticket,
            rewind_iter: 0,
            iters: 1000,
            eval_every: 100,
            lr: 1.2e-3,
            seed: 1,
            prune_embedding: true,
        }
    }
}

impl ImpConfig {
    /// Checks every field's range.
    ///
    /// # Errors
    /// [`Error::Range`] naming the first field out of range.
    pub fn validate(&self) -> Result<()> {
        let bad = |what: &'static str, d: String| Err(Error::range(what, d));
        if !(self.rate > 0.0 && self.rate < 1.0) {
            return bad("pruning rate", format!("{} must be in (0, 1)", self.rate));
        }
        if !(self.rate_output >= 0.0 && self.rate_output < 1.0) {
            return bad("output pruning rate", format!("{} must be in [0, 1)", self.rate_output));
        }
        if !(self.target > 0.0 && self.target <= 1.0) {
            return bad("target fraction", format!("{} must be in (0, 1]", self.target));
        }
        if self.max_rounds > 100 {
            return bad("max_rounds", format!("{} must be at most 100", self.max_rounds));
        }
        if self.iters == 0 || self.iters > 1_000_000 {
            return bad("iters", format!("{} must be in [1, 1000000]", self.iters));
        }
        if self.eval_every == 0 {
            return bad("eval_every", "must be at least 1".into());
        }
        if self.rewind_iter >= self.iters {
            return bad("rewind iteration", format!("{} must be below the {} training iterations", self.rewind_iter, self.iters));
        }
        if !(self.lr > 0.0 && self.lr.is_finite()) {
            return bad("learning rate", format!("{} must be positive", self.lr));
        }
        Ok(())
    }

    /// Pruning rate of a tensor with this role, or `None` when it is never pruned.
    pub fn rate_for(&self, role: Role) -> Option<f64> {
        match role {
            Role::Hidden => Some(self.rate),
            Role::Output => Some(self.rate_output),
            Role::Embedding if self.prune_embedding => Some(self.rate),
            Role::Embedding => None,
        }
    }
}

/// Survivor counts of every prunable tensor at level `r` under the counting rule of [`crate::nn::prune`]. In global
/// mode only the total of the pruned tensors is fixed by the rule; `None` is returned for them.
pub fn level_counts(sizes: &[usize], roles: &[Role], cfg: &ImpConfig, r: usize) -> Vec<Option<usize>> {
    sizes
        .iter()
        .zip(roles)
        .map(|(&n, &role)| match cfg.rate_for(role) {
            None => Some(n),
            Some(_) if cfg.global => None,
            Some(p) => Some(survivors(n, p, r)),
        })
        .collect()
}

/// Total survivors at level `r` (prunable tensors and never-pruned ones together).
pub fn level_total(sizes: &[usize], roles: &[Role], cfg: &ImpConfig, r: usize) -> usize {
    let frozen: usize = sizes.iter().zip(roles).filter(|(_, &ro)| cfg.rate_for(ro).is_none()).map(|(n, _)| n).sum();
    if cfg.global {
        let pool: usize = sizes.iter().sum::<usize>() - frozen;
        frozen + survivors(pool, cfg.rate, r)
    } else {
        level_counts(sizes, roles, cfg, r).iter().map(|c| c.unwrap_or(0)).sum()
    }
}

/// The levels a run visits: `(level, fraction of weights remaining)` from 1.0 at level 0 to the first level at or
/// below `cfg.target` (or `cfg.max_rounds`, or the first level where nothing more can be pruned).
///
/// The target is compared with the fraction remaining of the tensors that are pruned: when every prunable tensor is
/// pruned (all settings except the language model with its embedding kept dense) that is the fraction of all weights;
/// with the embedding kept, the run takes the same rounds as with it pruned, so the two compare level by level.
pub fn plan(sizes: &[usize], roles: &[Role], cfg: &ImpConfig) -> Vec<(usize, f64)> {
    plan_with_stop(sizes, roles, cfg).0
}

/// Why a plan ends where it does.
#[derive(Copy, Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Stop {
    /// The last level is at or below the target (or the target is 1, or nothing is prunable).
    Target,
    /// `max_rounds` rounds were taken before the target was reached.
    Cap,
    /// Rounding keeps every survivor: another round would prune nothing, so the target is never reached.
    Stuck,
}

/// [`plan`] and why it ends there.
pub fn plan_with_stop(sizes: &[usize], roles: &[Role], cfg: &ImpConfig) -> (Vec<(usize, f64)>, Stop) {
    let n: usize = sizes.iter().sum();
    let frozen: usize = sizes.iter().zip(roles).filter(|(_, &ro)| cfg.rate_for(ro).is_none()).map(|(s, _)| s).sum();
    let mut out = vec![(0, 1.0)];
    if cfg.target >= 1.0 || frozen == n {
        return (out, Stop::Target);
    }
    let mut last = n;
    for r in 1..=cfg.max_rounds {
        let t = level_total(sizes, roles, cfg, r);
        if t == last {
            return (out, Stop::Stuck);
        }
        last = t;
        out.push((r, t as f64 / n.max(1) as f64));
        if (t - frozen) as f64 / (n - frozen) as f64 <= cfg.target + 1e-12 {
            return (out, Stop::Target);
        }
    }
    (out, Stop::Cap)
}

/// Training iterations a run of `cfg` over `levels` takes in all: a rewound ticket resumes at iteration
/// `cfg.rewind_iter`; the dense network, re-initialised controls and random masks train from iteration 0.
pub fn total_iters(levels: &[(usize, f64)], cfg: &ImpConfig) -> usize {
    let per_level = |l: usize| match cfg.mode {
        _ if l == 0 => cfg.iters,
        Mode::Ticket => cfg.iters - cfg.rewind_iter,
        Mode::Reinit => 2 * cfg.iters - cfg.rewind_iter,
        Mode::Random => cfg.iters,
    };
    levels.iter().map(|&(l, _)| per_level(l)).sum()
}

/// What a level's training run was.
#[derive(Copy, Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Kind {
    /// The IMP ticket (rewound to theta_k; theta_0 when k = 0).
    Ticket,
    /// The ticket's mask from a fresh initialisation.
    Reinit,
    /// A random mask with the same survivor counts, from theta_0.
    Random,
}

/// The result of training one network at one level.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct LevelResult {
    pub level: usize,
    pub kind: Kind,
    /// Fraction of all weights (prunable tensors) remaining.
    pub remaining: f64,
    /// Survivors per prunable tensor.
    pub counts: Vec<usize>,
    /// Iteration of the lowest validation loss (the early-stopping iteration).
    pub early_stop_iter: usize,
    /// The metric at the early-stopping iteration.
    pub metric_at_es: f64,
    /// The metric after the last iteration.
    pub metric_final: f64,
    /// Mean metric over the evaluations in the last quarter of training (less noisy for RL).
    pub metric_tail: f64,
    /// Every evaluation: `(iteration, selection loss, metric)`.
    pub evals: Vec<(usize, f64, f64)>,
}

/// Progress of a run, in training iterations.
#[derive(Copy, Clone, Debug, PartialEq, Serialize)]
pub struct Progress {
    pub done_iters: usize,
    pub total_iters: usize,
    /// Level of the network being trained (or of the last one when finished).
    pub level: usize,
    /// Results recorded so far.
    pub results: usize,
    pub finished: bool,
}

struct Job {
    kind: Kind,
    mask: Mask,
    opt: Adam,
    it: usize,
    evals: Vec<(usize, f64, f64)>,
}

/// An IMP run, advanced in small steps so a page can show progress and cancel (see [`Imp::step`]).
pub struct Imp<T: Task> {
    pub task: T,
    cfg: ImpConfig,
    pidx: Vec<usize>,
    roles: Vec<Role>,
    sizes: Vec<usize>,
    levels: Vec<(usize, f64)>,
    theta0: Vec<Vec<f32>>,
    theta_k: Option<Vec<Vec<f32>>>,
    ticket_mask: Mask,
    last_mask: Mask,
    level: usize,
    queue: Vec<Kind>,
    job: Option<Job>,
    results: Vec<LevelResult>,
    done_iters: usize,
    total_iters: usize,
}

/// A well-mixed 64-bit seed from a base seed and two small numbers (splitmix64 finaliser).
pub(crate) fn mix(seed: u64, a: u64, b: u64) -> u64 {
    let mut z = seed ^ a.wrapping_mul(0x9E37_79B9_7F4A_7C15) ^ b.wrapping_mul(0xD1B5_4A32_D192_ED03);
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

/// Seed of the fresh initialisation a [`Kind::Reinit`] network gets at `level`.
pub fn reinit_seed(seed: u64, level: usize) -> u64 {
    mix(seed, 1, level as u64)
}

/// Seed of the random mask a [`Kind::Random`] network gets at `level`.
pub fn random_mask_seed(seed: u64, level: usize) -> u64 {
    mix(seed, 2, level as u64)
}

impl<T: Task> Imp<T> {
    /// A run of `task` with `cfg`: theta_0 comes from `task.init_params(cfg.seed)`.
    ///
    /// # Errors
    /// [`Error::Range`] for a bad configuration.
    pub fn new(mut task: T, cfg: ImpConfig) -> Result<Self> {
        cfg.validate()?;
        let pr = task.prunable();
        let pidx: Vec<usize> = pr.iter().map(|p| p.0).collect();
        let roles: Vec<Role> = pr.iter().map(|p| p.1).collect();
        let theta0 = task.init_params(cfg.seed);
        {
            let mut ps = task.params_mut();
            if ps.len() != theta0.len() {
                return Err(Error::shape("Imp::new", "init_params returned the wrong number of tensors"));
            }
            for (p, t) in ps.iter_mut().zip(&theta0) {
                p.copy_from_slice(t);
            }
        }
        let sizes: Vec<usize> = pidx.iter().map(|&i| theta0[i].len()).collect();
        let levels = plan(&sizes, &roles, &cfg);
        let total_iters = total_iters(&levels, &cfg);
        let ticket_mask = Mask::dense(&sizes);
        let last_mask = ticket_mask.clone();
        Ok(Imp {
            task,
            cfg,
            pidx,
            roles,
            sizes,
            levels,
            theta0,
            theta_k: None,
            ticket_mask,
            last_mask,
            level: 0,
            queue: vec![Kind::Ticket],
            job: None,
            results: Vec::new(),
            done_iters: 0,
            total_iters,
        })
    }

    /// The configuration.
    pub fn config(&self) -> &ImpConfig {
        &self.cfg
    }

    /// The levels this run visits, `(level, fraction remaining)`.
    pub fn levels(&self) -> &[(usize, f64)] {
        &self.levels
    }

    /// Sizes of the prunable tensors.
    pub fn sizes(&self) -> &[usize] {
        &self.sizes
    }

    /// Roles of the prunable tensors.
    pub fn roles(&self) -> &[Role] {
        &self.roles
    }

    /// The initialisation theta_0 (every parameter tensor).
    pub fn theta0(&self) -> &[Vec<f32>] {
        &self.theta0
    }

    /// The rewind point theta_k once the dense run has passed iteration k.
    pub fn theta_k(&self) -> Option<&[Vec<f32>]> {
        self.theta_k.as_deref()
    }

    /// The ticket mask of the current level (after the last level's ticket: the mask it was trained with).
    pub fn ticket_mask(&self) -> &Mask {
        &self.ticket_mask
    }

    /// The mask of the network being trained now, or of the last one trained.
    pub fn current_mask(&self) -> &Mask {
        &self.last_mask
    }

    /// Kind and level of the network being trained now, if one has been started.
    pub fn current_job(&self) -> Option<(Kind, usize)> {
        self.job.as_ref().map(|j| (j.kind, self.level))
    }

    /// The optimiser of the network being trained now, if any.
    pub fn current_optimizer(&self) -> Option<&Adam> {
        self.job.as_ref().map(|j| &j.opt)
    }

    /// Results so far, in the order they finished.
    pub fn results(&self) -> &[LevelResult] {
        &self.results
    }

    /// Where the run is.
    pub fn progress(&self) -> Progress {
        Progress {
            done_iters: self.done_iters,
            total_iters: self.total_iters,
            level: self.level,
            results: self.results.len(),
            finished: self.finished(),
        }
    }

    /// True when every level has been trained.
    pub fn finished(&self) -> bool {
        self.job.is_none() && self.queue.is_empty()
    }

    fn counts_at(&self, level: usize) -> Vec<usize> {
        level_counts(&self.sizes, &self.roles, &self.cfg, level)
            .iter()
            .zip(&self.sizes)
            .map(|(c, &n)| c.unwrap_or(n))
            .collect()
    }

    /// Loads `values` into the task with the prunable tensors masked.
    fn load(&mut self, values: &[Vec<f32>], mask: &Mask) -> Result<()> {
        let pidx = self.pidx.clone();
        let mut ps = self.task.params_mut();
        for (p, v) in ps.iter_mut().zip(values) {
            p.copy_from_slice(v);
        }
        let mut ws: Vec<&mut [f32]> = Vec::new();
        for (i, p) in ps.into_iter().enumerate() {
            if pidx.contains(&i) {
                ws.push(p);
            }
        }
        mask.apply(&mut ws)
    }

    fn start_job(&mut self, kind: Kind) -> Result<()> {
        let level = self.level;
        let mask = match kind {
            Kind::Ticket | Kind::Reinit => self.ticket_mask.clone(),
            Kind::Random => {
                let mut rng = Rng::new(random_mask_seed(self.cfg.seed, level));
                let frozen: Vec<bool> = self.roles.iter().map(|&r| self.cfg.rate_for(r).is_none()).collect();
                if self.cfg.global {
                    // One random subset over the pruned tensors; never-pruned tensors stay dense.
                    let pool: Vec<usize> = self.sizes.iter().zip(&frozen).filter(|(_, &f)| !f).map(|(&n, _)| n).collect();
                    let total = survivors(pool.iter().sum(), self.cfg.rate, level);
                    let sub = Mask::random_global(&pool, total, &mut rng)?;
                    let mut it = sub.keep.into_iter();
                    Mask { keep: self.sizes.iter().zip(&frozen).map(|(&n, &f)| if f { vec![true; n] } else { it.next().unwrap() }).collect() }
                } else {
                    Mask::random(&self.sizes, &self.counts_at(level), &mut rng)?
                }
            }
        };
        let values = match kind {
            Kind::Ticket if level == 0 => self.theta0.clone(),
            Kind::Ticket => self.theta_k.clone().unwrap_or_else(|| self.theta0.clone()),
            Kind::Reinit => self.task.init_params(reinit_seed(self.cfg.seed, level)),
            Kind::Random => self.theta0.clone(),
        };
        self.load(&values, &mask)?;
        self.last_mask = mask.clone();
        let sizes: Vec<usize> = self.task.params().iter().map(|p| p.len()).collect();
        let opt = Adam::new(self.cfg.lr, &sizes);
        // Rewinding to theta_k rewinds the clock too: the ticket trains iterations k..iters (the same minibatches
        // the dense run saw there), so a late-rewound ticket gets no more training than the others.
        let start = if kind == Kind::Ticket && level > 0 { self.cfg.rewind_iter } else { 0 };
        self.job = Some(Job { kind, mask, opt, it: start, evals: Vec::new() });
        if kind == Kind::Ticket && level == 0 && self.cfg.rewind_iter == 0 {
            self.theta_k = Some(self.theta0.clone());
        }
        Ok(())
    }

    /// One training iteration of the current job: gradient, masked gradient, Adam step, mask.
    fn train_iter(&mut self) -> Result<()> {
        let it = self.job.as_ref().unwrap().it;
        let (_, mut grads) = self.task.loss_grad(it)?;
        let job = self.job.as_mut().unwrap();
        for (t, &pi) in self.pidx.iter().enumerate() {
            for (g, &k) in grads[pi].iter_mut().zip(&job.mask.keep[t]) {
                if !k {
                    *g = 0.0;
                }
            }
        }
        let gs: Vec<&[f32]> = grads.iter().map(Vec::as_slice).collect();
        {
            let mut ps = self.task.params_mut();
            job.opt.step(&mut ps, &gs);
            let mut ws: Vec<&mut [f32]> = Vec::new();
            for (i, p) in ps.into_iter().enumerate() {
                if self.pidx.contains(&i) {
                    ws.push(p);
                }
            }
            job.mask.apply(&mut ws)?;
        }
        job.it += 1;
        let it = job.it;
        if job.kind == Kind::Ticket && self.level == 0 && it == self.cfg.rewind_iter {
            self.theta_k = Some(self.task.params().iter().map(|p| p.to_vec()).collect());
        }
        if it % self.cfg.eval_every == 0 || it == self.cfg.iters {
            let e = self.task.evaluate()?;
            self.job.as_mut().unwrap().evals.push((it, e.select, e.metric));
        }
        self.done_iters += 1;
        Ok(())
    }

    fn finish_job(&mut self) -> Result<()> {
        let job = self.job.take().unwrap();
        let mut best = 0;
        for (i, e) in job.evals.iter().enumerate() {
            if e.1 < job.evals[best].1 {
                best = i;
            }
        }
        let tail_from = self.cfg.iters - self.cfg.iters / 4;
        let tail: Vec<f64> = job.evals.iter().filter(|e| e.0 >= tail_from).map(|e| e.2).collect();
        let last = job.evals.last().copied().unwrap_or((0, f64::NAN, f64::NAN));
        let n: usize = self.sizes.iter().sum();
        self.results.push(LevelResult {
            level: self.level,
            kind: job.kind,
            remaining: job.mask.total() as f64 / n.max(1) as f64,
            counts: job.mask.counts(),
            early_stop_iter: job.evals.get(best).map(|e| e.0).unwrap_or(0),
            metric_at_es: job.evals.get(best).map(|e| e.2).unwrap_or(f64::NAN),
            metric_final: last.2,
            metric_tail: if tail.is_empty() { last.2 } else { tail.iter().sum::<f64>() / tail.len() as f64 },
            evals: job.evals,
        });
        if job.kind == Kind::Ticket && self.cfg.mode != Mode::Random {
            // Prune the trained ticket for the next level.
            if let Some(&(next, _)) = self.levels.get(self.level + 1) {
                let params: Vec<Vec<f32>> = self.task.params().iter().map(|p| p.to_vec()).collect();
                self.ticket_mask = self.prune_for_level(&params, &self.ticket_mask.clone(), next)?;
            }
        }
        if self.queue.is_empty() {
            if let Some(&(next, _)) = self.levels.get(self.level + 1) {
                self.level = next;
                self.queue = match self.cfg.mode {
                    Mode::Ticket => vec![Kind::Ticket],
                    // The control first: it needs this level's mask, which the ticket's pruning then replaces.
                    Mode::Reinit => vec![Kind::Reinit, Kind::Ticket],
                    Mode::Random => vec![Kind::Random],
                };
            }
        }
        Ok(())
    }

    /// The mask of `level` obtained by pruning `params` (every parameter tensor) from `mask`.
    pub fn prune_for_level(&self, params: &[Vec<f32>], mask: &Mask, level: usize) -> Result<Mask> {
        let ws: Vec<&[f32]> = self.pidx.iter().map(|&i| params[i].as_slice()).collect();
        let mut m = mask.clone();
        if self.cfg.global {
            let frozen: Vec<bool> = self.roles.iter().map(|&r| self.cfg.rate_for(r).is_none()).collect();
            let pool_ws: Vec<&[f32]> = ws.iter().zip(&frozen).filter(|(_, &f)| !f).map(|(w, _)| *w).collect();
            let mut pool = Mask { keep: m.keep.iter().zip(&frozen).filter(|(_, &f)| !f).map(|(k, _)| k.clone()).collect() };
            let n: usize = pool_ws.iter().map(|w| w.len()).sum();
            prune_global(&pool_ws, &mut pool, survivors(n, self.cfg.rate, level))?;
            let mut it = pool.keep.into_iter();
            for (k, &f) in m.keep.iter_mut().zip(&frozen) {
                if !f {
                    *k = it.next().unwrap();
                }
            }
        } else {
            prune_layerwise(&ws, &mut m, &self.counts_at(level))?;
        }
        Ok(m)
    }

    /// Starts the next network (loads its masked, rewound or re-initialised parameters) without training it, unless
    /// one is running or the run is finished. [`Imp::step`] does this itself.
    ///
    /// # Errors
    /// From the pruning (shape errors).
    pub fn prepare(&mut self) -> Result<()> {
        if self.job.is_none() && !self.queue.is_empty() {
            let kind = self.queue.remove(0);
            self.start_job(kind)?;
        }
        Ok(())
    }

    /// Trains for up to `max_iters` iterations, stopping early at the end of a network's run (so results arrive one
    /// by one). Returns where the run is.
    ///
    /// # Errors
    /// From the task (shape errors) or the pruning.
    pub fn step(&mut self, max_iters: usize) -> Result<Progress> {
        let mut left = max_iters.max(1);
        while left > 0 && !self.finished() {
            self.prepare()?;
            while left > 0 && self.job.as_ref().unwrap().it < self.cfg.iters {
                self.train_iter()?;
                left -= 1;
            }
            if self.job.as_ref().unwrap().it >= self.cfg.iters {
                self.finish_job()?;
                break;
            }
        }
        Ok(self.progress())
    }

    /// Runs to the end, calling `each` after every finished network.
    ///
    /// # Errors
    /// As [`Imp::step`].
    pub fn run(&mut self, mut each: impl FnMut(&LevelResult)) -> Result<()> {
        while !self.finished() {
            let before = self.results.len();
            self.step(usize::MAX)?;
            for r in &self.results[before..] {
                each(r);
            }
        }
        Ok(())
    }
}

/// One-shot magnitude pruning of an MLP to level `r` of LTH's rule: hidden layers keep `round(n (1 - rate)^r)` and
/// the output layer `round(n (1 - rate_output)^r)` of their weights (the largest magnitudes; ties by index; see
/// [`crate::nn::prune`]). Biases are kept. Used to prune the verify lab's certified network.
///
/// # Errors
/// [`Error::Range`] for rates outside [0, 1).
pub fn prune_mlp(m: &Mlp, rate: f64, rate_output: f64, r: usize) -> Result<Mlp> {
    if !(0.0..1.0).contains(&rate) || !(0.0..1.0).contains(&rate_output) {
        return Err(Error::range("pruning rate", format!("{rate} and {rate_output} must be in [0, 1)")));
    }
    let mut out = m.clone();
    let last = m.layers() - 1;
    for l in 0..m.layers() {
        let n = m.w[l].len();
        let mut keep = vec![true; n];
        let p = if l == last { rate_output } else { rate };
        crate::nn::prune::prune_tensor(&m.w[l], &mut keep, survivors(n, p, r))?;
        for (w, k) in out.w[l].iter_mut().zip(keep) {
            if !k {
                *w = 0.0;
            }
        }
    }
    Ok(out)
}

/// An IMP run of any task, as a trait object (what the wasm facade and the CLI drive).
pub trait Run {
    /// See [`Imp::step`].
    fn step(&mut self, max_iters: usize) -> Result<Progress>;
    /// See [`Imp::progress`].
    fn progress(&self) -> Progress;
    /// See [`Imp::results`].
    fn results(&self) -> &[LevelResult];
    /// See [`Imp::levels`].
    fn levels(&self) -> &[(usize, f64)];
    /// See [`Imp::current_mask`].
    fn current_mask(&self) -> &Mask;
    /// See [`Imp::config`].
    fn config(&self) -> &ImpConfig;
    /// Sizes of the prunable tensors.
    fn sizes(&self) -> &[usize];
}

impl<T: Task> Run for Imp<T> {
    fn step(&mut self, max_iters: usize) -> Result<Progress> {
        Imp::step(self, max_iters)
    }
    fn progress(&self) -> Progress {
        Imp::progress(self)
    }
    fn results(&self) -> &[LevelResult] {
        Imp::results(self)
    }
    fn levels(&self) -> &[(usize, f64)] {
        Imp::levels(self)
    }
    fn current_mask(&self) -> &Mask {
        Imp::current_mask(self)
    }
    fn config(&self) -> &ImpConfig {
        Imp::config(self)
    }
    fn sizes(&self) -> &[usize] {
        Imp::sizes(self)
    }
}

// ---------------------------------------------------------------------------------------------------------------
// Vision: LeNet-300-100 on MNIST (LTH sec. 2, fig. 3)

/// LeNet-300-100 (LTH's fully connected network for MNIST).
pub const LENET: [usize; 4] = [784, 300, 100, 10];

/// Glorot (Xavier) normal initialisation as in LTH: weights ~ N(0, 2 / (fan_in + fan_out)), biases 0.
pub fn glorot_mlp(dims: &[usize], seed: u64) -> Result<Mlp> {
    let mut rng = Rng::new(seed);
    let mut m = Mlp::new(dims, &mut rng)?;
    for l in 0..m.layers() {
        let std = (2.0 / (dims[l] + dims[l + 1]) as f32).sqrt();
        for w in m.w[l].iter_mut() {
            *w = std * rng.normal();
        }
        m.b[l].fill(0.0);
    }
    Ok(m)
}

/// Parameters of an [`Mlp`] in the order w0, b0, w1, b1, ...
pub fn mlp_params(m: &Mlp) -> Vec<&[f32]> {
    let mut v: Vec<&[f32]> = Vec::new();
    for (w, b) in m.w.iter().zip(&m.b) {
        v.push(w);
        v.push(b);
    }
    v
}

/// Prunable tensors of an [`Mlp`] in [`mlp_params`] order: every weight matrix; the last is the output layer.
pub fn mlp_prunable(m: &Mlp) -> Vec<(usize, Role)> {
    (0..m.layers()).map(|l| (2 * l, if l + 1 == m.layers() { Role::Output } else { Role::Hidden })).collect()
}

/// Images as sparse rows: the nonzero pixels of image `r` are `idx[ptr[r]..ptr[r+1]]` with values `val[..]`.
/// MNIST digits are ~80% background, so the first layer runs ~5x faster this way than as a dense product.
#[derive(Clone, Debug)]
struct SparseRows {
    ptr: Vec<usize>,
    idx: Vec<u16>,
    val: Vec<f32>,
}

impl SparseRows {
    fn from_dense(x: &[f32], cols: usize) -> Self {
        let mut s = SparseRows { ptr: vec![0], idx: Vec::new(), val: Vec::new() };
        for row in x.chunks(cols) {
            for (i, &v) in row.iter().enumerate() {
                if v != 0.0 {
                    s.idx.push(i as u16);
                    s.val.push(v);
                }
            }
            s.ptr.push(s.idx.len());
        }
        s
    }
    fn rows(&self) -> usize {
        self.ptr.len() - 1
    }
    fn row(&self, r: usize) -> (&[u16], &[f32]) {
        (&self.idx[self.ptr[r]..self.ptr[r + 1]], &self.val[self.ptr[r]..self.ptr[r + 1]])
    }
}

#[inline]
fn axpy(y: &mut [f32], a: f32, x: &[f32]) {
    for (o, &w) in y.iter_mut().zip(x) {
        *o += a * w;
    }
}

/// LeNet-300-100 trained on MNIST (LTH sec. 2): 7,000 training digits, 1,000 validation digits (the last 1,000 of
/// the shipped 8,000 training digits; they pick the early-stopping iteration), 2,000 test digits (the reported
/// accuracy). Minibatches of `batch` (LTH: 60) from a seeded shuffle per epoch; the partial last batch is dropped.
///
/// Parameters, in order: `w1t` I x 300 (the first layer stored input-major, i.e. transposed, so that a nonzero pixel
/// adds one contiguous row), `b1` 300, `w2` 100 x 300, `b2` 100, `w3` 10 x 100, `b3` 10 (PyTorch layout for the last
/// two). [`VisionTask::to_mlp`] gives the usual [`Mlp`] layout. Pruning ranks and breaks ties in this stored order.
#[derive(Clone)]
pub struct VisionTask {
    /// The parameters, in the order above.
    pub p: Vec<Vec<f32>>,
    xtr: SparseRows,
    ytr: Vec<u8>,
    xva: SparseRows,
    yva: Vec<u8>,
    xte: SparseRows,
    yte: Vec<u8>,
    batch: usize,
    data_seed: u64,
    order: Vec<usize>,
    order_epoch: usize,
}

/// Training digits used by [`VisionTask`] (the rest of the shipped 8,000 are the validation set).
pub const VISION_TRAIN: usize = 7000;

/// What [`VisionTask::forward`] keeps for the backward pass.
pub struct LenetCache {
    rows: Vec<usize>,
    z1: Vec<f32>,
    a1: Vec<f32>,
    z2: Vec<f32>,
    a2: Vec<f32>,
}

/// Which set a forward pass reads.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub enum Split {
    Train,
    Validation,
    Test,
}

impl VisionTask {
    /// The task on the shipped digits; `data_seed` fixes the minibatch order.
    ///
    /// # Errors
    /// [`Error::Shape`] with fewer than two training digits or a zero batch.
    pub fn new(data: &Mnist, batch: usize, data_seed: u64) -> Result<Self> {
        let n = data.train.n;
        if n < 2 || batch == 0 {
            return Err(Error::shape("VisionTask", format!("need at least two training digits and a batch > 0 (have {n})")));
        }
        // The shipped 8,000: 7,000 train + 1,000 validation; smaller files (tests) keep a 7:1 split.
        let ntr = if n > VISION_TRAIN { VISION_TRAIN } else { (n * 7 / 8).max(1) };
        let tr: Vec<usize> = (0..ntr).collect();
        let va: Vec<usize> = (ntr..n).collect();
        let te: Vec<usize> = (0..data.test.n).collect();
        let init = glorot_mlp(&LENET, 0)?;
        Ok(VisionTask {
            p: Self::from_mlp(&init),
            xtr: SparseRows::from_dense(&data.train.batch_f32(&tr), 784),
            ytr: data.train.batch_labels(&tr),
            xva: SparseRows::from_dense(&data.train.batch_f32(&va), 784),
            yva: data.train.batch_labels(&va),
            xte: SparseRows::from_dense(&data.test.batch_f32(&te), 784),
            yte: data.test.labels.clone(),
            batch: batch.min(ntr),
            data_seed,
            order: Vec::new(),
            order_epoch: usize::MAX,
        })
    }

    /// Parameters in this task's order from an [`Mlp`] 784-300-100-10 (the first weight transposed).
    pub fn from_mlp(m: &Mlp) -> Vec<Vec<f32>> {
        let (i, o) = (m.dims[0], m.dims[1]);
        let mut w1t = vec![0.0; i * o];
        for r in 0..o {
            for c in 0..i {
                w1t[c * o + r] = m.w[0][r * i + c];
            }
        }
        vec![w1t, m.b[0].clone(), m.w[1].clone(), m.b[1].clone(), m.w[2].clone(), m.b[2].clone()]
    }

    /// The current parameters as an [`Mlp`] 784-300-100-10 (standard layout).
    pub fn to_mlp(&self) -> Mlp {
        Self::mlp_of(&self.p)
    }

    /// Parameters in this task's order as an [`Mlp`] 784-300-100-10 (standard layout).
    pub fn mlp_of(p: &[Vec<f32>]) -> Mlp {
        let (i, o) = (LENET[0], LENET[1]);
        let mut w1 = vec![0.0; i * o];
        for c in 0..i {
            for r in 0..o {
                w1[r * i + c] = p[0][c * o + r];
            }
        }
        Mlp { dims: LENET.to_vec(), w: vec![w1, p[2].clone(), p[4].clone()], b: vec![p[1].clone(), p[3].clone(), p[5].clone()] }
    }

    fn set(&self, split: Split) -> (&SparseRows, &[u8]) {
        match split {
            Split::Train => (&self.xtr, &self.ytr),
            Split::Validation => (&self.xva, &self.yva),
            Split::Test => (&self.xte, &self.yte),
        }
    }

    /// Number of digits in a split.
    pub fn len(&self, split: Split) -> usize {
        self.set(split).0.rows()
    }

    /// Logits (B x 10) of digits `rows` of `split`, and the cache for [`VisionTask::backward`].
    ///
    /// # Errors
    /// [`Error::Shape`] from the dense layers (not expected with valid parameters).
    pub fn forward(&self, split: Split, rows: &[usize]) -> Result<(Vec<f32>, LenetCache)> {
        let (h1, h2, k) = (LENET[1], LENET[2], LENET[3]);
        let (x, _) = self.set(split);
        let bsz = rows.len();
        let mut z1 = vec![0.0; bsz * h1];
        for (b, &r) in rows.iter().enumerate() {
            let z = &mut z1[b * h1..(b + 1) * h1];
            z.copy_from_slice(&self.p[1]);
            let (idx, val) = x.row(r);
            for (&i, &v) in idx.iter().zip(val) {
                axpy(z, v, &self.p[0][i as usize * h1..(i as usize + 1) * h1]);
            }
        }
        let a1 = crate::nn::flat::relu_forward(&z1);
        let z2 = crate::nn::flat::linear_forward(&a1, &self.p[2], &self.p[3], bsz, h1, h2)?;
        let a2 = crate::nn::flat::relu_forward(&z2);
        let z3 = crate::nn::flat::linear_forward(&a2, &self.p[4], &self.p[5], bsz, h2, k)?;
        Ok((z3, LenetCache { rows: rows.to_vec(), z1, a1, z2, a2 }))
    }

    /// Gradients of every parameter (in this task's order) from `dz3` (B x 10).
    ///
    /// # Errors
    /// [`Error::Shape`] from the dense layers.
    pub fn backward(&self, split: Split, c: &LenetCache, dz3: &[f32]) -> Result<Vec<Vec<f32>>> {
        use crate::nn::flat::{linear_backward, relu_backward};
        let (i, h1, h2, k) = (LENET[0], LENET[1], LENET[2], LENET[3]);
        let bsz = c.rows.len();
        let (mut dw3, mut db3) = (vec![0.0; k * h2], vec![0.0; k]);
        let da2 = linear_backward(dz3, &c.a2, &self.p[4], &mut dw3, &mut db3, bsz, h2, k, true)?;
        let dz2 = relu_backward(&da2, &c.z2);
        let (mut dw2, mut db2) = (vec![0.0; h2 * h1], vec![0.0; h2]);
        let da1 = linear_backward(&dz2, &c.a1, &self.p[2], &mut dw2, &mut db2, bsz, h1, h2, true)?;
        let dz1 = relu_backward(&da1, &c.z1);
        let (x, _) = self.set(split);
        let mut dw1t = vec![0.0; i * h1];
        let mut db1 = vec![0.0; h1];
        for (b, &r) in c.rows.iter().enumerate() {
            let d = &dz1[b * h1..(b + 1) * h1];
            axpy(&mut db1, 1.0, d);
            let (idx, val) = x.row(r);
            for (&p, &v) in idx.iter().zip(val) {
                axpy(&mut dw1t[p as usize * h1..(p as usize + 1) * h1], v, d);
            }
        }
        Ok(vec![dw1t, db1, dw2, db2, dw3, db3])
    }

    /// Mean cross-entropy (nats) and accuracy of the current network on a whole split.
    ///
    /// # Errors
    /// As [`VisionTask::forward`].
    pub fn loss_acc(&self, split: Split) -> Result<(f64, f64)> {
        let (_, y) = self.set(split);
        let n = y.len();
        let (mut loss, mut ok) = (0.0f64, 0usize);
        for s in (0..n).step_by(500) {
            let rows: Vec<usize> = (s..(s + 500).min(n)).collect();
            let (z, _) = self.forward(split, &rows)?;
            let ys: Vec<u8> = rows.iter().map(|&r| y[r]).collect();
            let (l, _) = softmax_cross_entropy(&z, &ys, 10)?;
            loss += l as f64 * rows.len() as f64;
            ok += argmax_rows(&z, 10).iter().zip(&ys).filter(|(p, y)| **p == **y as usize).count();
        }
        Ok((loss / n.max(1) as f64, ok as f64 / n.max(1) as f64))
    }

    /// Sets the seed of the minibatch order (the shipped runs use the run's seed).
    pub fn set_data_seed(&mut self, seed: u64) {
        self.data_seed = seed;
        self.order_epoch = usize::MAX;
    }

    /// The minibatch (training digit indices) of iteration `it`.
    pub fn batch_rows(&mut self, it: usize) -> Vec<usize> {
        let n = self.ytr.len();
        let per_epoch = n / self.batch;
        let epoch = it / per_epoch;
        if epoch != self.order_epoch {
            self.order = (0..n).collect();
            Rng::new(mix(self.data_seed, 3, epoch as u64)).shuffle(&mut self.order);
            self.order_epoch = epoch;
        }
        let s = (it % per_epoch) * self.batch;
        self.order[s..s + self.batch].to_vec()
    }
}

impl Task for VisionTask {
    fn params(&self) -> Vec<&[f32]> {
        self.p.iter().map(Vec::as_slice).collect()
    }
    fn params_mut(&mut self) -> Vec<&mut [f32]> {
        self.p.iter_mut().map(Vec::as_mut_slice).collect()
    }
    fn prunable(&self) -> Vec<(usize, Role)> {
        vec![(0, Role::Hidden), (2, Role::Hidden), (4, Role::Output)]
    }
    fn init_params(&self, seed: u64) -> Vec<Vec<f32>> {
        Self::from_mlp(&glorot_mlp(&LENET, seed).expect("LeNet dims are valid"))
    }
    fn loss_grad(&mut self, it: usize) -> Result<(f32, Vec<Vec<f32>>)> {
        let rows = self.batch_rows(it);
        let y: Vec<u8> = rows.iter().map(|&r| self.ytr[r]).collect();
        let (z, cache) = self.forward(Split::Train, &rows)?;
        let (loss, dz) = softmax_cross_entropy(&z, &y, 10)?;
        Ok((loss, self.backward(Split::Train, &cache, &dz)?))
    }
    fn evaluate(&mut self) -> Result<Eval> {
        let (vl, _) = self.loss_acc(Split::Validation)?;
        let (_, acc) = self.loss_acc(Split::Test)?;
        Ok(Eval { select: vl, metric: acc })
    }
}
