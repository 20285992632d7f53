//! The Bayesian network: Bayes-by-Backprop linear layers (means, rhos, reparameterisation, the prior's
//! complexity cost) with forward and backward side by side, the multi-head net, and pruning by uncertainty.

#[allow(unused_imports)]
use super::*;

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
    pub(super) fn new(inp: usize, out: usize, bayes: bool, cfg: &Config, rng: &mut Rng) -> BayesLinear {
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
    pub(super) fn sigmas(&self) -> LayerSigma {
        LayerSigma {
            w: self.w_rho.iter().map(|&r| softplus(r)).collect(),
            b: self.b_rho.iter().map(|&r| softplus(r)).collect(),
            w_d: self.w_rho.iter().map(|&r| sigmoid(r)).collect(),
            b_d: self.b_rho.iter().map(|&r| sigmoid(r)).collect(),
        }
    }

    /// A weight sample: `(w, b, eps_w, eps_b)` with `w = mu + sigma eps`, or the point weights (and empty eps) for a
    /// point layer or without a generator.
    pub(super) fn sample(&self, sig: &LayerSigma, rng: Option<&mut Rng>) -> (Vec<f32>, Vec<f32>, Vec<f32>, Vec<f32>) {
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
pub(super) struct LayerSigma {
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
    pub(super) fn zeros(l: &BayesLinear) -> LayerGrads {
        LayerGrads {
            w_mu: vec![0.0; l.w_mu.len()],
            w_rho: vec![0.0; l.w_rho.len()],
            b_mu: vec![0.0; l.b_mu.len()],
            b_rho: vec![0.0; l.b_rho.len()],
        }
    }

    pub(super) fn add_scaled(&mut self, o: &LayerGrads, s: f32) {
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
pub(super) fn reparam_backward(dw: &[f32], w: &[f32], eps: &[f32], sigma: &[f32], dsig: &[f32], prior: &PriorConsts, c: f32, dmu: &mut [f32], drho: &mut [f32]) {
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
pub(super) struct Cache {
    acts: Vec<Array2<f32>>,
    pre: Vec<Array2<f32>>,
}

/// One weight sample of the layers on the path of a head: `w`, `b`, and their eps (empty for point weights).
pub(super) struct Sampled {
    w: Vec<Vec<f32>>,
    b: Vec<Vec<f32>>,
    ew: Vec<Vec<f32>>,
    eb: Vec<Vec<f32>>,
}

impl Sampled {
    pub(super) fn empty() -> Sampled {
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

    pub(super) fn sigmas(&self, head: usize) -> Vec<LayerSigma> {
        self.path(head).iter().map(|l| l.sigmas()).collect()
    }

    pub(super) fn sample(&self, head: usize, sig: &[LayerSigma], rng: Option<&mut Rng>) -> Sampled {
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

    /// Logits (B x K) of `x` (B x I) at the weight sample `s`, with the cache for the backward.
    pub(super) fn forward(&self, head: usize, s: &Sampled, x: ArrayView2<f32>) -> Result<(Array2<f32>, Cache)> {
        let path = self.path(head);
        let mut acts = vec![x.to_owned()];
        let mut pre = Vec::new();
        for (l, layer) in path.iter().enumerate() {
            let z = linear_forward(acts[l].view(), nd::view("ucb weight", &s.w[l], (layer.out, layer.inp))?, nd::view("ucb bias", &s.b[l], layer.out)?)?;
            if l + 1 < path.len() {
                acts.push(relu_forward(z.view()));
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
    pub(super) fn sample_grads(&self, head: usize, s: &Sampled, sig: &[LayerSigma], x: ArrayView2<f32>, targets: ArrayView1<u8>, prior: &PriorConsts, c: f32) -> Result<(f32, Vec<LayerGrads>)> {
        let path = self.path(head);
        let (logits, cache) = self.forward(head, s, x)?;
        let (ce, dlogits) = softmax_cross_entropy(logits.view(), targets)?;
        let mut grads: Vec<LayerGrads> = path.iter().map(|l| LayerGrads::zeros(l)).collect();
        let mut d = dlogits;
        for l in (0..path.len()).rev() {
            let layer = path[l];
            let mut dw = vec![0.0; layer.w_mu.len()];
            let mut db = vec![0.0; layer.b_mu.len()];
            let dx = linear_backward(
                d.view(),
                cache.acts[l].view(),
                nd::view("ucb weight", &s.w[l], (layer.out, layer.inp))?,
                nd::view_mut("ucb dW", &mut dw, (layer.out, layer.inp))?,
                nd::view_mut("ucb db", &mut db, layer.out)?,
                l > 0,
            )?;
            let g = &mut grads[l];
            if layer.bayes() {
                let sg = &sig[l];
                reparam_backward(&dw, &s.w[l], &s.ew[l], &sg.w, &sg.w_d, prior, c, &mut g.w_mu, &mut g.w_rho);
                reparam_backward(&db, &s.b[l], &s.eb[l], &sg.b, &sg.b_d, prior, c, &mut g.b_mu, &mut g.b_rho);
            } else {
                g.w_mu = dw;
                g.b_mu = db;
            }
            if let (true, Some(dx)) = (l > 0, dx) {
                d = relu_backward(dx.view(), cache.pre[l - 1].view())?;
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
    pub fn loss_at(&self, head: usize, eps: &[(Vec<f32>, Vec<f32>)], x: ArrayView2<f32>, targets: ArrayView1<u8>, prior: &Prior, c: f32) -> Result<f64> {
        let s = self.with_eps(head, eps)?;
        let (logits, _) = self.forward(head, &s, x)?;
        let (ce, _) = softmax_cross_entropy(logits.view(), targets)?;
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
    pub fn loss_grads(&self, head: usize, eps: &[(Vec<f32>, Vec<f32>)], x: ArrayView2<f32>, targets: ArrayView1<u8>, prior: &Prior, c: f32) -> Result<Vec<LayerGrads>> {
        let s = self.with_eps(head, eps)?;
        Ok(self.sample_grads(head, &s, &self.sigmas(head), x, targets, &prior.consts(), c)?.1)
    }

    pub(super) fn with_eps(&self, head: usize, eps: &[(Vec<f32>, Vec<f32>)]) -> Result<Sampled> {
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
    pub fn predict(&self, head: usize, x: ArrayView2<f32>, samples: usize, rng: &mut Rng) -> Result<Array2<f32>> {
        let (batch, k) = (x.nrows(), self.heads[head].out);
        let sig = self.sigmas(head);
        let draws: Vec<Sampled> = if self.bayes() {
            (0..samples.max(1)).map(|_| self.sample(head, &sig, Some(rng))).collect()
        } else {
            vec![self.sample(head, &sig, None)]
        };
        let probs: Vec<Result<Array2<f32>>> = crate::par::map_range(draws.len(), |i| {
            let (mut z, _) = self.forward(head, &draws[i], x)?;
            z.rows_mut().into_iter().for_each(|mut r| {
                if let Some(r) = r.as_slice_mut() {
                    crate::kernels::act::softmax_row_inplace(r);
                }
            });
            Ok(z)
        });
        let mut mean = Array2::<f32>::zeros((batch, k));
        for p in probs {
            mean += &p?;
        }
        let inv = 1.0 / draws.len() as f32;
        mean.mapv_inplace(|m| m * inv);
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
    let mut out = z.to_vec();
    for o in out.chunks_mut(k) {
        crate::kernels::act::softmax_row_inplace(o);
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

