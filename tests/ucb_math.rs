//! The UCB lab's math against closed forms and finite differences: the stable softplus, the scale-mixture prior's
//! log-density (by hand in f64, and finite for huge weights), the Monte-Carlo complexity cost against the closed-form
//! Gaussian KL, the gradients of the per-step loss with fixed noise, the UCB learning-rate rule per task, pruning
//! counts, and the ACC/BWT arithmetic.

mod common;
use common::check_grad;
use paperlab::labs::ucb::*;
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
        let grads = net.loss_grads(head, &eps, &x, &targets, &prior, c).unwrap();
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
                n.loss_at(head, &eps, &x, &targets, &prior, c).unwrap()
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
