//! The UCB lab's math against closed forms and finite differences: the stable softplus, the scale-mixture prior's
//! log-density (by hand in f64, and finite for huge weights), the Monte-Carlo complexity cost against the closed-form
//! Gaussian KL, the gradients of the per-step loss with fixed noise, the UCB learning-rate rule per task, pruning
//! counts, and the ACC/BWT arithmetic.

use crate::common::check_grad;
use paperlab::labs::ucb::*;
use ndarray::{aview1, ArrayView2};
use paperlab::nn::Rng;

fn tiny_cfg(method: Method, mode: Mode) -> Config {
    let mut c = Config::default_for(method, mode, 7);
    c.hidden = vec![6, 5];
    c
}

/// Layer `l` of a head's path (the shared layers, then the head).
fn layer_mut(n: &mut Net, head: usize, l: usize) -> &mut BayesLinear {
    if l < n.shared.len() {
        &mut n.shared[l]
    } else {
        &mut n.heads[head]
    }
}

/// Fixed noise for every layer on a head's path.
fn fixed_eps(net: &Net, head: usize, rng: &mut Rng) -> Vec<(Vec<f32>, Vec<f32>)> {
    net.path(head).iter().map(|l| ((0..l.w_mu.len()).map(|_| rng.normal()).collect(), (0..l.b_mu.len()).map(|_| rng.normal()).collect())).collect()
}

#[test]
fn loss_gradients_match_finite_differences() {
    for (method, mode) in [(Method::Ucb, Mode::Task), (Method::Bbb, Mode::Class), (Method::Finetune, Mode::Task)] {
        let cfg = tiny_cfg(method, mode);
        let mut rng = Rng::new(11);
        let mut net = Net::new(&cfg, &mut rng);
        // Spread the rhos so sigmas differ, and make the means larger than the prior's narrow component.
        for l in net.shared.iter_mut().chain(net.heads.iter_mut()) {
            for r in l.w_rho.iter_mut().chain(l.b_rho.iter_mut()) {
                *r = -2.5 + rng.uniform_in(-1.0, 1.0);
            }
        }
        let head = if mode == Mode::Task { 3 } else { 0 };
        let b = 6;
        let x: Vec<f32> = (0..b * 784).map(|_| rng.uniform()).collect();
        let k = net.heads[head].out;
        let targets: Vec<u8> = (0..b).map(|i| (i % k) as u8).collect();
        let eps = fixed_eps(&net, head, &mut rng);
        let c = 0.05f32;
        let prior = cfg.prior;
        let grads = net.loss_grads(head, &eps, ArrayView2::from_shape((b, 784), &x).unwrap(), aview1(&targets), &prior, c).unwrap();
        let path_len = net.path(head).len();
        for l in 0..path_len {
            let nw = net.path(head)[l].w_mu.len();
            let idx: Vec<usize> = (0..24).map(|i| (i * 7919 + l * 13) % nw).collect();
            let bidx: Vec<usize> = (0..net.path(head)[l].b_mu.len()).collect();
            // mu of the weights
            let base = net.clone();
            let f = |v: &[f32], which: u8| -> f64 {
                let mut n = base.clone();
                let layer = layer_mut(&mut n, head, l);
                match which {
                    0 => layer.w_mu.copy_from_slice(v),
                    1 => layer.w_rho.copy_from_slice(v),
                    2 => layer.b_mu.copy_from_slice(v),
                    _ => layer.b_rho.copy_from_slice(v),
                }
                n.loss_at(head, &eps, ArrayView2::from_shape((b, 784), &x).unwrap(), aview1(&targets), &prior, c).unwrap()
            };
            let lay = base.path(head)[l].clone();
            let g = &grads[l];
            let what = format!("{:?}/{:?} layer {l}", method, mode);
            check_grad(&format!("{what} dw_mu"), &mut |v| f(v, 0), &lay.w_mu, &g.w_mu, &idx, 2e-3, 2e-3, 2e-2, 0.2);
            check_grad(&format!("{what} db_mu"), &mut |v| f(v, 2), &lay.b_mu, &g.b_mu, &bidx, 2e-3, 2e-3, 2e-2, 0.2);
            if lay.bayes() {
                check_grad(&format!("{what} dw_rho"), &mut |v| f(v, 1), &lay.w_rho, &g.w_rho, &idx, 2e-3, 2e-3, 2e-2, 0.2);
                check_grad(&format!("{what} db_rho"), &mut |v| f(v, 3), &lay.b_rho, &g.b_rho, &bidx, 2e-3, 2e-3, 2e-2, 0.2);
            } else {
                assert!(g.w_rho.is_empty() && g.b_rho.is_empty());
            }
        }
    }
}

#[test]
fn softplus_is_stable_and_inverts() {
    for &x in &[-30.0f32, -5.0, -3.0, -0.5, 0.0, 0.5, 3.0, 15.0] {
        let want = (1.0 + (x as f64).exp()).ln();
        let got = softplus(x) as f64;
        assert!((got - want).abs() <= 1e-6 * want.max(1e-30) + 1e-12, "softplus({x}) = {got}, want {want}");
        assert!((softplus_inv(softplus(x)) - x).abs() < 1e-4 * x.abs().max(1.0), "softplus_inv(softplus({x}))");
        let d = sigmoid(x) as f64;
        assert!((d - 1.0 / (1.0 + (-(x as f64)).exp())).abs() < 1e-7, "sigmoid({x})");
    }
    // No overflow or NaN at the ends; exactly 0 at -inf (how pruning zeroes sigma).
    assert_eq!(softplus(1e30), 1e30);
    assert_eq!(softplus(100.0), 100.0);
    assert!(softplus(-100.0) > 0.0 && softplus(-100.0) < 1e-43);
    assert_eq!(softplus(f32::NEG_INFINITY), 0.0);
    assert!(sigmoid(-1e30) == 0.0 && sigmoid(1e30) == 1.0);
}

/// The released code's MNIST prior: pi = 0.25, sigma1 = e^0, sigma2 = e^-6.
fn paper_prior() -> Prior {
    Prior { pi: 0.25, sigma1: 1.0, sigma2: (-6.0f32).exp() }
}

#[test]
fn mixture_log_density_matches_a_hand_computation() {
    let p = paper_prior();
    let (s1, s2) = (1.0f64, (p.sigma2 as f64));
    let n = |w: f64, s: f64| (-(w * w) / (2.0 * s * s)).exp() / (s * (2.0 * std::f64::consts::PI).sqrt());
    // Points inside the narrow spike, at its edge, and where the wide component takes over.
    for &w in &[0.0f32, 1e-3, -2.5e-3, 0.01, 0.02, -0.1, 1.0, 3.0] {
        let w64 = w as f64;
        let want = (0.25 * n(w64, s1) + 0.75 * n(w64, s2)).ln();
        let got = p.log_prob(w);
        assert!((got - want).abs() < 1e-9 * want.abs().max(1.0), "log p({w}) = {got}, by hand {want}");
        // The gradient against a central difference of the f64 density.
        let h = 1e-7f64.max(w64.abs() * 1e-6);
        let fd = ((0.25 * n(w64 + h, s1) + 0.75 * n(w64 + h, s2)).ln() - (0.25 * n(w64 - h, s1) + 0.75 * n(w64 - h, s2)).ln()) / (2.0 * h);
        let g = p.dlog_prob(w) as f64;
        assert!((g - fd).abs() <= 1e-3 * fd.abs() + 1e-3, "d log p / dw at {w}: {g} vs {fd}");
    }
    // At w = 0 by hand: log(0.25 / sqrt(2 pi) + 0.75 / (sigma2 sqrt(2 pi))).
    let at0 = (0.25 + 0.75 / s2).ln() - 0.5 * (2.0 * std::f64::consts::PI).ln();
    assert!((p.log_prob(0.0) - at0).abs() < 1e-12);
    // One component: pi = 1 is a plain Gaussian.
    let g = Prior { pi: 1.0, sigma1: 0.3, sigma2: 0.01 };
    for &w in &[0.0f32, 0.5, -2.0] {
        assert!((g.log_prob(w) - log_normal(w as f64, 0.0, 0.3f32 as f64)).abs() < 1e-12);
    }
}

#[test]
fn mixture_log_density_is_finite_for_huge_weights() {
    let p = paper_prior();
    for &w in &[50.0f32, 1e4, -1e10, 1e19, f32::MAX, -f32::MAX] {
        let got = p.log_prob(w);
        assert!(got.is_finite(), "log p({w}) = {got}");
        // Far in the tails the wide component is all there is: log(pi) - log(sigma1) - log(2 pi)/2 - w^2 / 2.
        let w64 = w as f64;
        let tail = 0.25f64.ln() - 0.5 * (2.0 * std::f64::consts::PI).ln() - 0.5 * w64 * w64;
        assert!((got - tail).abs() <= 1e-12 * tail.abs(), "log p({w}) = {got}, tail {tail}");
        assert!(p.dlog_prob(w).is_finite() || w.abs() > 1e30, "d log p({w})");
    }
    // The naive f32 formula underflows to log(0) = -inf already at w = 50: why log-sum-exp is needed.
    let naive = |w: f32| {
        let n = |s: f32| (-(w * w) / (2.0 * s * s)).exp() / (s * (2.0 * std::f32::consts::PI).sqrt());
        (0.25 * n(1.0) + 0.75 * n(p.sigma2)).ln()
    };
    assert_eq!(naive(50.0), f32::NEG_INFINITY);
    // The complexity cost of a huge sampled weight is finite too.
    let c = complexity_mc(&[1e15], &[-3.0], &[0.5], &p);
    assert!(c.is_finite() && c > 1e29);
}

#[test]
fn monte_carlo_complexity_cost_matches_the_gaussian_kl() {
    // With a one-component prior N(0, 0.5^2), E_q[log q(w) - log p(w)] is KL(q || p) in closed form.
    let prior = Prior { pi: 1.0, sigma1: 0.5, sigma2: 1.0 };
    let mut rng = Rng::new(3);
    for &(mu, rho) in &[(0.3f32, -2.0f32), (-1.2, 0.5), (0.0, -4.0)] {
        let n = 200_000;
        let eps: Vec<f32> = (0..n).map(|_| rng.normal()).collect();
        let rhos = vec![rho; n];
        let mus = vec![mu; n];
        let w = reparam(&mus, &rhos, &eps);
        let mc = complexity_mc(&w, &rhos, &eps, &prior) / n as f64;
        let s = softplus(rho) as f64;
        let kl = kl_normal(mu as f64, s, 0.0, 0.5);
        // Standard error of the estimate: the per-sample terms have variance of order (mu^2 + s^2) / 0.5^4.
        let se = (((mu as f64).powi(2) + s * s) / 0.0625 + 1.0).sqrt() / (n as f64).sqrt();
        assert!((mc - kl).abs() < 5.0 * se, "mu {mu} rho {rho}: Monte-Carlo {mc} vs closed form {kl} (se {se})");
    }
    assert!(kl_normal(0.1, 0.2, 0.1, 0.2).abs() < 1e-15);
}

/// Five tiny tasks of synthetic "images": class k lights pixel block k, plus noise, so a small net learns them fast.
fn toy_data(per_task: usize, seed: u64) -> std::sync::Arc<SplitMnist> {
    let mut rng = Rng::new(seed);
    let mut mk = |t: usize, n: usize| {
        let mut d = TaskData::default();
        for i in 0..n {
            let digit = (2 * t + i % 2) as u8;
            let mut img: Vec<f32> = (0..784).map(|_| 0.1 * rng.uniform()).collect();
            for p in 0..40 {
                img[digit as usize * 70 + p] = 1.0;
            }
            d.x.extend(img);
            d.digits.push(digit);
        }
        d
    };
    std::sync::Arc::new(SplitMnist { train: (0..5).map(|t| mk(t, per_task)).collect(), test: (0..5).map(|t| mk(t, per_task / 2)).collect(), perms: Vec::new() })
}

fn toy_cfg(method: Method, mode: Mode) -> Config {
    let mut c = Config::default_for(method, mode, 5);
    c.hidden = vec![16];
    c.epochs = 2;
    c.batch = 10;
    c
}

/// Runs until task `t` is trained and its row evaluated, i.e. until training of task `t + 1` has begun.
fn run_until_task(r: &mut Run, t: usize) {
    while r.phase() != Phase::Train(t) {
        r.advance(7).unwrap();
    }
}

#[test]
fn learning_rate_rule_per_task() {
    // The rule itself.
    let s0 = softplus(-3.0);
    for t in 0..5 {
        for &m in &[Method::Finetune, Method::Bbb, Method::Ucb, Method::UcbFlat] {
            let got = mu_lr_scale(m, t, 0.01, s0, false);
            let want = match (t, m) {
                (0, _) | (_, Method::Finetune) | (_, Method::Bbb) => 1.0,
                (_, Method::Ucb) => 0.01,
                (_, Method::UcbFlat) => s0,
            };
            assert_eq!(got, want, "task {t} {m:?}");
            let norm = mu_lr_scale(m, t, 0.01, s0, true);
            assert_eq!(norm, if t > 0 && m == Method::Ucb { 0.01 / s0 } else { 1.0 });
        }
    }
    // Inside a run: on the first task nothing is scaled; from the second on, UCB scales every shared mean by its sigma
    // at the start of that task, a task-incremental head keeps the base rate, a shared class-incremental head scales only the rows of classes
    // trained in an earlier task.
    let data = toy_data(40, 1);
    for mode in [Mode::Task, Mode::Class] {
        let mut r = Run::new(toy_cfg(Method::Ucb, mode), data.clone()).unwrap();
        assert!(r.lr_scales().iter().all(|(w, b)| w.is_empty() && b.is_empty()), "{mode:?}: task 1 is at the base rate");
        for t in 1..3 {
            run_until_task(&mut r, t);
            let scales = r.lr_scales();
            let net = r.net();
            let path = net.path(mode.head_of(t));
            for (l, ((ws, bs), layer)) in scales.iter().zip(&path).enumerate() {
                let head = l + 1 == path.len();
                if head && mode == Mode::Task {
                    assert!(ws.is_empty() && bs.is_empty(), "task {t}: a fresh head learns at the base rate");
                    continue;
                }
                let mut wsig = layer.w_sigma();
                let mut bsig: Vec<f32> = layer.b_rho.iter().map(|&r| softplus(r)).collect();
                if head {
                    // The shared head's rows of classes not trained before (2t and up) keep the base rate.
                    wsig[2 * t * layer.inp..].iter_mut().for_each(|s| *s = 1.0);
                    bsig[2 * t..].iter_mut().for_each(|s| *s = 1.0);
                    assert!(ws[..2 * t * layer.inp].iter().all(|&s| s < 0.5), "{mode:?} task {t}: old classes' rows are scaled");
                }
                assert_eq!(ws, &wsig, "{mode:?} task {t} layer {l}: weight scales are the sigmas (1 for new classes' rows)");
                assert_eq!(bs, &bsig);
            }
        }
        // The flat ablation scales everything shared by sigma_init; BBB never scales.
        let mut f = Run::new(toy_cfg(Method::UcbFlat, mode), data.clone()).unwrap();
        run_until_task(&mut f, 1);
        let s0 = f.config().sigma_init();
        assert!(f.lr_scales()[0].0.iter().all(|&s| s == s0));
        let mut b = Run::new(toy_cfg(Method::Bbb, mode), data.clone()).unwrap();
        run_until_task(&mut b, 1);
        assert!(b.lr_scales().iter().all(|(w, bb)| w.is_empty() && bb.is_empty()));
    }
}

#[test]
fn pruning_removes_exactly_the_lowest_scores() {
    // round(ratio * n) entries go, ties by index, NaN first.
    let scores = [0.5f32, 0.1, 0.1, 2.0, f32::NAN, 0.3, 7.0, 0.2, 0.1, 1.0];
    let keep = keep_mask(&scores, 0.4);
    let dropped: Vec<usize> = (0..10).filter(|&i| !keep[i]).collect();
    assert_eq!(dropped, vec![1, 2, 4, 8], "4 dropped: NaN, then the three 0.1s in index order");
    assert!(keep_mask(&scores, 0.0).iter().all(|&k| k));
    assert!(keep_mask(&scores, 1.0).iter().all(|&k| !k));
    for n in [1usize, 7, 100, 1001] {
        for &r in &[0.05f32, 0.25, 0.5, 0.95] {
            let s: Vec<f32> = (0..n).map(|i| ((i * 37) % 101) as f32).collect();
            let gone = keep_mask(&s, r).iter().filter(|k| !**k).count();
            assert_eq!(gone, (r as f64 * n as f64).round() as usize, "n {n} ratio {r}");
        }
    }
    // On a network: per weight matrix, biases untouched, SNR ranks by |mu| / sigma.
    let cfg = tiny_cfg(Method::Ucb, Mode::Task);
    let mut rng = Rng::new(9);
    let mut net = Net::new(&cfg, &mut rng);
    for l in net.shared.iter_mut().chain(net.heads.iter_mut()) {
        for r in l.w_rho.iter_mut() {
            *r = rng.uniform_in(-6.0, 0.0);
        }
    }
    for crit in [Criterion::Snr, Criterion::Magnitude] {
        let p = net.pruned(0.6, crit).unwrap();
        for (a, b) in net.weight_layers().iter().zip(p.weight_layers()) {
            let zeros = b.w_mu.iter().filter(|&&m| m == 0.0).count();
            let n = a.w_mu.len();
            assert_eq!(zeros, (0.6 * n as f64).round() as usize, "{crit:?}");
            assert_eq!(a.b_mu, b.b_mu, "biases are not pruned");
            // Every removed weight scores at most every kept one.
            let s = prune_scores(a, crit);
            let max_gone = (0..n).filter(|&j| b.w_mu[j] == 0.0).map(|j| s[j]).fold(f32::NEG_INFINITY, f32::max);
            let min_kept = (0..n).filter(|&j| b.w_mu[j] != 0.0).map(|j| s[j]).fold(f32::INFINITY, f32::min);
            assert!(max_gone <= min_kept);
            // A removed weight has sigma exactly 0, so every sample of it is 0.
            assert!((0..n).filter(|&j| b.w_mu[j] == 0.0).all(|j| softplus(b.w_rho[j]) == 0.0));
        }
    }
    // SNR needs a posterior.
    let det = Net::new(&tiny_cfg(Method::Finetune, Mode::Task), &mut rng);
    assert!(det.pruned(0.5, Criterion::Snr).is_err());
    assert!(det.pruned(0.5, Criterion::Magnitude).is_ok());
    assert!(net.pruned(1.5, Criterion::Snr).is_err());
}

#[test]
fn acc_and_bwt_by_hand() {
    let r = vec![
        vec![0.99, 0.5, 0.5],
        vec![0.90, 0.98, 0.5],
        vec![0.80, 0.95, 0.97],
    ];
    let (acc, bwt) = acc_bwt(&r);
    assert!((acc - (0.80 + 0.95 + 0.97) / 3.0).abs() < 1e-6);
    assert!((bwt - ((0.80 - 0.99) + (0.95 - 0.98)) / 2.0).abs() < 1e-6);
    assert_eq!(acc_bwt(&[vec![0.7]]), (0.7, 0.0));
    // The record the page shows: the same numbers, the diagonal, and nothing until the last row is in.
    let m = metrics(&r);
    assert!((m.acc.unwrap() - (0.80 + 0.95 + 0.97) / 3.0).abs() < 1e-6);
    assert!((m.bwt.unwrap() - ((0.80 - 0.99) + (0.95 - 0.98)) / 2.0).abs() < 1e-6);
    assert_eq!(m.learned, vec![Some(0.99), Some(0.98), Some(0.97)]);
    let mut partial = r.clone();
    partial[2][1] = f32::NAN;
    partial[2][2] = f32::NAN;
    let p = metrics(&partial);
    assert_eq!((p.acc, p.bwt), (None, None), "no ACC/BWT before the last row is complete");
    assert_eq!(p.learned, vec![Some(0.99), Some(0.98), None]);
}

#[test]
fn a_run_is_the_same_however_it_is_split_and_learns_the_toy_tasks() {
    let data = toy_data(60, 2);
    for method in [Method::Ucb, Method::Finetune] {
        let cfg = toy_cfg(method, Mode::Task);
        let mut a = Run::new(cfg.clone(), data.clone()).unwrap();
        a.run_to_end(|_, _| {}).unwrap();
        let mut b = Run::new(cfg, data.clone()).unwrap();
        let mut calls = 0;
        while b.advance(1).unwrap() != Advanced::Done {
            calls += 1;
        }
        assert!(calls > b.total_steps());
        assert_eq!(a.matrix(), b.matrix(), "{method:?}: splitting the run into calls changes nothing");
        assert_eq!(a.cells_done(), 25);
        // The first task is learned by both; fine-tuning learns every toy task (UCB's shared layer learns later
        // tasks at lr * sigma, too slowly for two tiny epochs).
        let learned = if method == Method::Finetune { 5 } else { 1 };
        for t in 0..learned {
            assert!(a.matrix()[t][t] > 0.9, "{method:?}: R[{t}][{t}] = {}", a.matrix()[t][t]);
        }
        if method == Method::Ucb {
            assert_eq!(a.hists().len(), 5);
            let per_group: Vec<u32> = a.hists()[4].iter().map(|h| h.iter().sum()).collect();
            assert_eq!(per_group, vec![784 * 16, 16 * 2 * 5], "every weight counted once: the hidden layer, then the five heads");
        } else {
            assert!(a.hists().iter().all(|h| h.is_empty()));
        }
    }
}

#[test]
fn near_init_share_counts_sigmas_within_a_factor_two() {
    // sigmas at the bin centres of the histogram, so the binned share and a direct count of
    // |log10 sigma - log10 sigma_init| <= log10 2 must agree exactly.
    let w = (HIST_HI - HIST_LO) / HIST_BINS as f32;
    let mut rng = Rng::new(3);
    let sig: Vec<f32> = (0..500).map(|_| 10f32.powf(HIST_LO + ((rng.uniform() * HIST_BINS as f32).floor() + 0.5) * w)).collect();
    let layer = BayesLinear { inp: 500, out: 1, w_mu: vec![0.0; 500], w_rho: sig.iter().map(|&s| softplus_inv(s)).collect(), b_mu: vec![0.0], b_rho: vec![0.0] };
    let s0 = softplus(-3.0);
    let direct = sig.iter().filter(|&&s| (s.log10() - s0.log10()).abs() <= 2f32.log10()).count() as f32 / 500.0;
    let h = sigma_histogram(&[&layer]);
    assert_eq!(h.iter().sum::<u32>(), 500);
    let got = near_init_share(&[h], s0);
    assert!((got - direct).abs() < 1e-6, "binned {got} vs direct {direct}");
    assert!(direct > 0.05 && direct < 0.95, "the test data straddle the window: {direct}");
    assert!(near_init_share(&[vec![0; HIST_BINS]], s0).is_nan());
}
