//! One continual-learning run: the tasks in order, advanced in small steps (train, evaluate), UCB's per-weight
//! learning rates, accuracies, ACC/BWT.

#[allow(unused_imports)]
use super::*;

// ---------------------------------------------------------------------------------------------------------------------
// Optimiser

/// The optimiser state of one layer in the current task: `nn::Adam` over its means (step sizes scaled per element
/// by UCB) and over its rhos (never scaled), re-created per task.
#[derive(Clone, Debug)]
struct LayerOpt {
    mu: Adam,
    rho: Adam,
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
        if (cfg.mode == Mode::Perm) != data.is_permuted() {
            return Err(Error::range(
                "mode",
                format!("mode '{}' needs {} data (SplitMnist::{})", cfg.mode.name(), if cfg.mode == Mode::Perm { "Permuted MNIST" } else { "Split MNIST" }, if cfg.mode == Mode::Perm { "permuted" } else { "new" }),
            ));
        }
        let mut rng = Rng::new(cfg.seed);
        let net = Net::new(&cfg, &mut rng);
        let steps_per_epoch = data.train.iter().map(|t| t.n().div_ceil(cfg.batch)).collect();
        let mut r = Run {
            net,
            rng,
            opt: Vec::new(),
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
        let fresh = |i: usize| cfg.mode.per_task_heads() && i + 1 == path.len();
        // Likewise the rows of a class-incremental shared head whose classes appear for the first time in task t (and
        // those of later classes): no earlier task trained them on their own class, so they learn at the base rate.
        // Without this, lr * sigma (about lr * sigma_init) also held back the new classes' rows and the new digits
        // were never learned (0% on task 2 right after training it; tests/ucb_class.rs).
        let first_new = (t * DIGITS_PER_TASK).min(cfg.mode.head_classes());
        let head = path.len() - 1;
        self.opt = path
            .iter()
            .enumerate()
            .map(|(i, l)| {
                let (mut w_scale, mut b_scale) = if fresh(i) { (Vec::new(), Vec::new()) } else { (scale(&l.w_rho), scale(&l.b_rho)) };
                if cfg.mode == Mode::Class && i == head && !w_scale.is_empty() {
                    w_scale[first_new * l.inp..].iter_mut().for_each(|s| *s = 1.0);
                    b_scale[first_new..].iter_mut().for_each(|s| *s = 1.0);
                }
                LayerOpt {
                    mu: Adam::new(cfg.lr, &[l.w_mu.len(), l.b_mu.len()]),
                    rho: Adam::new(cfg.lr_rho, &[l.w_rho.len(), l.b_rho.len()]),
                    w_scale,
                    b_scale,
                }
            })
            .collect();
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
        let trained = if self.cfg.mode.per_task_heads() { t + 1 } else { 1 };
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
        let xv = crate::nd::view("ucb batch", &x, (idx.len(), PIXELS))?;
        let per: Vec<Result<(f32, Vec<LayerGrads>)>> =
            crate::par::map_range(samples, |s| net.sample_grads(head, &draws[s], &sig, xv, ndarray::aview1(&targets), &prior, c));
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
        let n_shared = self.net.shared.len();
        for (l, (o, g)) in self.opt.iter_mut().zip(&grads).enumerate() {
            let layer = if l < n_shared { &mut self.net.shared[l] } else { &mut self.net.heads[head] };
            o.mu.step_scaled(&mut [&mut layer.w_mu, &mut layer.b_mu], &[&g.w_mu, &g.b_mu], &[&o.w_scale, &o.b_scale]);
            if layer.bayes() {
                o.rho.step(&mut [&mut layer.w_rho, &mut layer.b_rho], &[&g.w_rho, &g.b_rho]);
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
pub(super) fn accuracy(net: &Net, cfg: &Config, data: &TaskData, t: usize, rng: &mut Rng) -> Result<f32> {
    let n = data.n();
    if n == 0 {
        return Ok(f32::NAN);
    }
    let head = cfg.mode.head_of(t);
    let k = net.heads[head].out;
    let p = net.predict(head, crate::nd::view("ucb test images", &data.x, (n, PIXELS))?, cfg.test_samples, rng)?;
    let mut right = 0usize;
    debug_assert_eq!(p.ncols(), k);
    for (i, row) in p.rows().into_iter().enumerate() {
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

/// What the page shows under the accuracy matrix, computed here rather than in the page: ACC and BWT (see
/// [`acc_bwt`]; `None` until the last row is complete) and each task's accuracy right after training it (the
/// diagonal `R[t][t]`; `None` where not evaluated yet). Fractions in `[0, 1]`.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Metrics {
    pub acc: Option<f32>,
    pub bwt: Option<f32>,
    pub learned: Vec<Option<f32>>,
}

/// [`Metrics`] of a T x T accuracy matrix with NaN for cells not evaluated.
pub fn metrics(r: &[Vec<f32>]) -> Metrics {
    let fin = |v: f32| if v.is_finite() { Some(v) } else { None };
    let learned = r.iter().enumerate().map(|(t, row)| row.get(t).copied().and_then(fin)).collect();
    let complete = r.last().is_some_and(|last| last.len() >= r.len() && last.iter().take(r.len()).all(|v| v.is_finite()))
        && r.iter().enumerate().all(|(t, row)| row.get(t).is_some_and(|v| v.is_finite()));
    let (acc, bwt) = if complete { acc_bwt(r) } else { (f32::NAN, f32::NAN) };
    Metrics { acc: fin(acc), bwt: fin(bwt), learned }
}
