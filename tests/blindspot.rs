//! The blind-spot lab against independent oracles: the transform against its closed form, the CNN's forward pass
//! against a plain f64 re-implementation and its gradients against f64 central differences of that
//! re-implementation, the k-NN distance against brute force, the PCA directions against a covariance with known
//! axes, attack success bounds (never above 100%, error under attack never below the clean error, ε = 0 fools
//! nothing, every success re-checked by an independent forward pass inside the ball), attack determinism given the
//! seed, and certificates never contradicted by the attack.
#![cfg(not(target_arch = "wasm32"))]

use paperlab::data::mnist::{Mnist, PIXELS};
use paperlab::labs::blindspot::{
    attack, attack_blocks, kde_kl, knn_distance, knn_distance_naive, pca2, success_rate, train, transform, verified_error, AttackConfig, Cnn,
    CnnGrads, Model, TrainConfig,
};
use ndarray::ArrayView2;
use paperlab::nd::into_vec;
use paperlab::nn::rng::Rng;
use paperlab::nn::Mlp;

/// `x` as rows of `d` values.
fn rows(x: &[f32], d: usize) -> ArrayView2<'_, f32> {
    paperlab::nd::view("test x", x, (x.len() / d, d)).unwrap()
}

/// Compares with `tol + rtol·|ref|` and prints the worst and first mismatches.
fn check_close(what: &str, got: &[f64], want: &[f64], tol: f64, rtol: f64) {
    assert_eq!(got.len(), want.len(), "{what}: lengths");
    let bad: Vec<(usize, f64, f64)> =
        got.iter().zip(want).enumerate().filter(|(_, (g, w))| (*g - *w).abs() > tol + rtol * w.abs()).map(|(i, (g, w))| (i, *g, *w)).collect();
    let worst = got.iter().zip(want).map(|(g, w)| (g - w).abs()).fold(0.0, f64::max);
    assert!(bad.is_empty(), "{what}: {} of {} differ (max |diff| {worst:.3e}); first: {:?}", bad.len(), got.len(), &bad[..bad.len().min(5)]);
}

#[test]
fn transform_matches_closed_form_and_clips() {
    let x: Vec<f32> = (0..=20).map(|i| i as f32 / 20.0).collect();
    let transform = |a: f32, b: f32| transform(rows(&x, x.len()), a, b).map(into_vec);
    for (a, b) in [(1.0f32, 0.0f32), (0.6, 0.3), (0.7, 0.0), (1.0, 0.3), (0.8, 0.15), (0.5, 0.5)] {
        let y = transform(a, b).unwrap();
        let want: Vec<f64> = x.iter().map(|&v| (f64::from(a) * f64::from(v) + f64::from(b)).clamp(0.0, 1.0)).collect();
        check_close("transform", &y.iter().map(|&v| f64::from(v)).collect::<Vec<_>>(), &want, 1e-6, 0.0);
        assert!(y.iter().all(|&v| (0.0..=1.0).contains(&v)));
    }
    // α = 1, β = 0 is the identity; β = 0.3 at α = 1 clips ink at 1; the background becomes β.
    assert_eq!(transform(1.0, 0.0).unwrap(), x);
    let y = transform(1.0, 0.3).unwrap();
    assert_eq!((y[0], y[20], y[14]), (0.3, 1.0, 1.0));
    for (a, b) in [(0.4, 0.0), (1.1, 0.0), (0.8, -0.1), (0.8, 0.6), (f32::NAN, 0.0), (0.8, f32::NAN)] {
        let e = transform(a, b).unwrap_err().to_string();
        assert!(e.contains("alpha") || e.contains("beta"), "{e}");
    }
}

// ---- an independent f64 re-implementation of the CNN (plain loops) ----

fn conv_f64(x: &[f64], c: usize, side: usize, w: &[f64], b: &[f64], o: usize) -> Vec<f64> {
    let out = side / 2;
    let mut y = vec![0.0; o * out * out];
    for oc in 0..o {
        for i in 0..out {
            for j in 0..out {
                let mut s = b[oc];
                for ic in 0..c {
                    for ki in 0..4 {
                        for kj in 0..4 {
                            let (r, q) = ((2 * i + ki) as isize - 1, (2 * j + kj) as isize - 1);
                            if r >= 0 && q >= 0 && (r as usize) < side && (q as usize) < side {
                                s += w[((oc * c + ic) * 4 + ki) * 4 + kj] * x[(ic * side + r as usize) * side + q as usize];
                            }
                        }
                    }
                }
                y[(oc * out + i) * out + j] = s;
            }
        }
    }
    y
}

fn dense_f64(x: &[f64], w: &[f64], b: &[f64], out: usize) -> Vec<f64> {
    let inp = x.len();
    (0..out).map(|o| b[o] + (0..inp).map(|i| w[o * inp + i] * x[i]).sum::<f64>()).collect()
}

/// Logits of one image, everything in f64. `p` = the eight tensors in Cnn order.
fn cnn_f64(m: &Cnn, p: &[Vec<f64>], x: &[f64]) -> Vec<f64> {
    let relu = |v: Vec<f64>| v.into_iter().map(|a| a.max(0.0)).collect::<Vec<_>>();
    let h1 = relu(conv_f64(x, 1, 28, &p[0], &p[1], m.c1));
    let h2 = relu(conv_f64(&h1, m.c1, 14, &p[2], &p[3], m.c2));
    let h3 = relu(dense_f64(&h2, &p[4], &p[5], m.hidden));
    dense_f64(&h3, &p[6], &p[7], 10)
}

fn tensors_f64(m: &Cnn) -> Vec<Vec<f64>> {
    [&m.w1, &m.b1, &m.w2, &m.b2, &m.w3, &m.b3, &m.w4, &m.b4].iter().map(|t| t.iter().map(|&v| f64::from(v)).collect()).collect()
}

#[test]
fn cnn_forward_and_gradients_match_f64_reference() {
    let mut rng = Rng::new(5);
    let mut m = Cnn::new(3, 4, 6, &mut rng).unwrap();
    for b in [&mut m.b1, &mut m.b2, &mut m.b3, &mut m.b4] {
        b.iter_mut().for_each(|v| *v = rng.uniform_in(-0.1, 0.1));
    }
    let batch = 2;
    let x: Vec<f32> = (0..batch * PIXELS).map(|_| rng.uniform()).collect();
    let c: Vec<f32> = (0..batch * 10).map(|_| rng.uniform_in(-1.0, 1.0)).collect(); // L = Σ c·z
    let (z, cache) = m.forward(rows(&x, PIXELS)).unwrap();
    let p = tensors_f64(&m);
    let xd: Vec<f64> = x.iter().map(|&v| f64::from(v)).collect();
    let zref: Vec<f64> = (0..batch).flat_map(|b| cnn_f64(&m, &p, &xd[b * PIXELS..(b + 1) * PIXELS])).collect();
    check_close("logits", &z.iter().map(|&v| f64::from(v)).collect::<Vec<_>>(), &zref, 1e-5, 1e-4);

    let mut g = CnnGrads::zeros(&m);
    let dx = into_vec(m.backward(&cache, rows(&c, 10), Some(&mut g), true).unwrap().unwrap());
    let loss = |p: &[Vec<f64>], xd: &[f64]| -> f64 {
        (0..batch).map(|b| cnn_f64(&m, p, &xd[b * PIXELS..(b + 1) * PIXELS]).iter().zip(&c[b * 10..(b + 1) * 10]).map(|(z, &c)| z * f64::from(c)).sum::<f64>()).sum()
    };
    let h = 1e-6;
    // Input gradient on a sample of pixels of both images.
    let idx: Vec<usize> = (0..batch * PIXELS).step_by(37).collect();
    let fd: Vec<f64> = idx
        .iter()
        .map(|&i| {
            let (mut xp, mut xm) = (xd.clone(), xd.clone());
            xp[i] += h;
            xm[i] -= h;
            (loss(&p, &xp) - loss(&p, &xm)) / (2.0 * h)
        })
        .collect();
    check_close("dx", &idx.iter().map(|&i| f64::from(dx[i])).collect::<Vec<_>>(), &fd, 1e-4, 1e-3);
    // Weight gradients: a sample of every tensor.
    let grads = g.as_slices();
    for (t, name) in ["w1", "b1", "w2", "b2", "w3", "b3", "w4", "b4"].iter().enumerate() {
        let idx: Vec<usize> = (0..p[t].len()).step_by((p[t].len() / 12).max(1)).collect();
        let fd: Vec<f64> = idx
            .iter()
            .map(|&i| {
                let (mut pp, mut pm) = (p.clone(), p.clone());
                pp[t][i] += h;
                pm[t][i] -= h;
                (loss(&pp, &xd) - loss(&pm, &xd)) / (2.0 * h)
            })
            .collect();
        check_close(name, &idx.iter().map(|&i| f64::from(grads[t][i])).collect::<Vec<_>>(), &fd, 1e-4, 1e-3);
    }
    // The embedding is the penultimate activation, ≥ 0, B x H.
    let e = Model::embed(&m, rows(&x, PIXELS)).unwrap();
    assert_eq!(e.len(), batch * m.hidden);
    assert!(e.iter().all(|&v| v >= 0.0));
    // Round trip through safetensors.
    let bytes = m.to_safetensors(&Default::default()).unwrap();
    assert_eq!(Cnn::from_safetensors(&bytes).unwrap().0, m);
    assert!(Cnn::from_safetensors(&bytes[..bytes.len() / 2]).is_err());
    assert!(m.forward(rows(&x[..100], 100)).is_err());
}

#[test]
fn knn_distance_matches_brute_force() {
    let mut rng = Rng::new(9);
    for (n, q, d, k) in [(50, 7, 3, 1), (200, 70, 16, 5), (65, 130, 10, 65), (300, 1, 100, 10)] {
        let r: Vec<f32> = (0..n * d).map(|_| rng.normal()).collect();
        let mut qs: Vec<f32> = (0..q * d).map(|_| rng.normal() * 2.0).collect();
        qs[..d].copy_from_slice(&r[..d]); // a query equal to a reference point: nearest distance 0
        let fast = knn_distance(rows(&r, d), rows(&qs, d), k).unwrap();
        let slow = knn_distance_naive(rows(&r, d), rows(&qs, d), k).unwrap();
        check_close("knn", &fast.iter().map(|&v| f64::from(v)).collect::<Vec<_>>(), &slow.iter().map(|&v| f64::from(v)).collect::<Vec<_>>(), 2e-3, 1e-3);
    }
    let r = vec![0.0f32; 12];
    assert!(knn_distance(rows(&r, 3), rows(&r, 3), 0).is_err());
    assert!(knn_distance(rows(&r, 3), rows(&r, 3), 5).is_err());
    assert!(knn_distance(rows(&r, 3), rows(&r[..5], 5), 1).is_err());
}

#[test]
fn pca_finds_known_axes_and_kde_kl_separates_shifted_sets() {
    // Points with standard deviations 3, 1, 0.1 along a rotated orthonormal basis of R^3.
    let mut rng = Rng::new(3);
    let (s, c) = (0.6f32, 0.8f32);
    let basis = [[c, s, 0.0], [-s, c, 0.0], [0.0, 0.0, 1.0]];
    let mut x = Vec::new();
    for _ in 0..4000 {
        let coef = [3.0 * rng.normal(), rng.normal(), 0.1 * rng.normal()];
        for j in 0..3 {
            x.push(5.0 + (0..3).map(|a| coef[a] * basis[a][j]).sum::<f32>());
        }
    }
    let p = pca2(rows(&x, 3)).unwrap();
    let dot = |u: &[f32], v: &[f32; 3]| u.iter().zip(v).map(|(a, b)| a * b).sum::<f32>().abs();
    assert!(dot(&p.u1, &basis[0]) > 0.99 && dot(&p.u2, &basis[1]) > 0.99, "{:?} {:?}", p.u1, p.u2);
    assert!((p.var[0] / 9.0 - 1.0).abs() < 0.1 && (p.var[1] - 1.0).abs() < 0.1, "{:?}", p.var);
    assert!(pca2(rows(&x[..3], 3)).is_err());
    // KL between KDEs: about 0 for two samples of one Gaussian, large for a shifted one.
    let g = |rng: &mut Rng, n: usize, dx: f32| -> Vec<f32> { (0..n).flat_map(|_| [rng.normal() + dx, rng.normal()]).collect() };
    let (a, b, far) = (g(&mut rng, 600, 0.0), g(&mut rng, 600, 0.0), g(&mut rng, 600, 3.0));
    let same = kde_kl(rows(&a, 2), rows(&b, 2), None).unwrap();
    let shifted = kde_kl(rows(&a, 2), rows(&far, 2), None).unwrap();
    // Closed form for N(μ, I) vs N(0, I) is |μ|²/2 = 4.5; the KDE widens both, so expect less but well above 0.
    assert!(same.abs() < 0.15 && shifted > 2.0, "same {same}, shifted {shifted}");
}

/// A small CNN trained for one epoch on 2,000 digits (seconds), for the attack tests.
fn small_model(data: &Mnist) -> Cnn {
    let n = 2000;
    let x = data.train.batch_f32(&(0..n).collect::<Vec<_>>());
    let cfg = TrainConfig { widths: [4, 8, 32], epochs: 1, batch: 50, lr: 2e-3, lr_halve_at: vec![], eps: 0.0, ramp_epochs: 0, pgd_steps: 0, seed: 7 };
    train(&cfg, rows(&x, PIXELS), &data.train.labels[..n], |_, _| {}).unwrap()
}

#[test]
fn attack_success_is_bounded_checked_and_deterministic() {
    let data = Mnist::load_default().unwrap();
    let m = small_model(&data);
    let n = 120;
    let x0 = data.test.batch_f32(&(0..n).collect::<Vec<_>>());
    let x = into_vec(transform(rows(&x0, PIXELS), 0.8, 0.1).unwrap());
    let y = &data.test.labels[..n];
    let clean_err = argmax_err(&m, &x, y);
    for eps in [0.0f32, 0.05, 0.3] {
        for cfg in [AttackConfig::pgd(eps, 10, 1, 11), AttackConfig::cw(eps, 10, 1, 11)] {
            let r = attack(&m, rows(&x, PIXELS), y, 0, &cfg).unwrap();
            let s = success_rate(&r);
            assert!((0.0..=1.0).contains(&s.success) && s.fooled <= s.correct && s.correct <= n);
            assert!(s.robust_err + 1e-12 >= clean_err, "error under attack {} below the clean error {clean_err}", s.robust_err);
            assert!((s.clean_acc - (1.0 - clean_err)).abs() < 1e-12);
            if eps == 0.0 {
                assert_eq!(s.fooled, 0);
            }
            // Every claimed success is an input of the ball ∩ [0,1] that an independent forward pass misclassifies.
            let z = into_vec(m.logits(r.adv.view()).unwrap());
            for b in 0..n {
                let a = r.adv.row(b);
                let o = &x[b * PIXELS..(b + 1) * PIXELS];
                assert!(a.iter().zip(o).all(|(&a, &o)| (a - o).abs() <= eps + 1e-6 && (0.0..=1.0).contains(&a)));
                let pred = argmax(&z[b * 10..(b + 1) * 10]);
                if r.success[b] {
                    assert_ne!(pred, y[b] as usize, "digit {b}: success claimed, but the returned input is classified correctly");
                }
                assert!(!r.success[b] || r.clean_correct[b], "a success counted on a digit the model already got wrong");
            }
        }
    }
    // Determinism: the same seed gives the same result, whatever the split into blocks; more restarts only add.
    let cfg = AttackConfig::pgd(0.1, 8, 1, 42);
    let one = attack(&m, rows(&x, PIXELS), y, 0, &cfg).unwrap();
    assert_eq!(one, attack(&m, rows(&x, PIXELS), y, 0, &cfg).unwrap());
    assert_eq!(one, attack_blocks(&m, rows(&x, PIXELS), y, 0, &cfg, 7).unwrap());
    let more = attack(&m, rows(&x, PIXELS), y, 0, &AttackConfig { restarts: 3, ..cfg }).unwrap();
    assert!(one.success.iter().zip(&more.success).all(|(&a, &b)| !a || b));
    let strong = success_rate(&attack(&m, rows(&x, PIXELS), y, 0, &AttackConfig::pgd(0.3, 20, 1, 42)).unwrap()).success;
    assert!(strong > success_rate(&one).success, "ε = 0.3 should fool more digits of a natural net than ε = 0.1");
    // Bad configurations are errors.
    assert!(attack(&m, rows(&x, PIXELS), y, 0, &AttackConfig::pgd(1.5, 8, 1, 1)).is_err());
    assert!(attack(&m, rows(&x, PIXELS), y, 0, &AttackConfig::pgd(0.1, 8, 0, 1)).is_err());
    assert!(attack(&m, rows(&x[..10], 10), y, 0, &cfg).is_err());
}

fn argmax(z: &[f32]) -> usize {
    z.iter().enumerate().fold((0, f32::NEG_INFINITY), |(bi, bv), (i, &v)| if v > bv { (i, v) } else { (bi, bv) }).0
}

fn argmax_err(m: &dyn Model, x: &[f32], y: &[u8]) -> f64 {
    let z = into_vec(m.logits(rows(x, PIXELS)).unwrap());
    y.iter().enumerate().filter(|(b, &t)| argmax(&z[b * 10..(b + 1) * 10]) != t as usize).count() as f64 / y.len() as f64
}

#[test]
fn certificates_are_never_broken_by_the_attack() {
    let data = Mnist::load_default().unwrap();
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("www/models/verify/mlp-crownibp.safetensors");
    let (mlp, _) = Mlp::from_safetensors(&std::fs::read(path).unwrap()).unwrap();
    let n = 100;
    let x0 = data.test.batch_f32(&(0..n).collect::<Vec<_>>());
    let y = &data.test.labels[..n];
    for (a, b) in [(1.0, 0.0), (0.7, 0.2)] {
        let x = transform(rows(&x0, PIXELS), a, b).unwrap();
        let v = verified_error(&mlp, x.view(), y, 0.3).unwrap();
        let r = success_rate(&attack(&mlp, x.view(), y, 0, &AttackConfig::pgd(0.3, 20, 1, 3)).unwrap());
        let attacked = (r.n - r.correct + r.fooled) as f64 / n as f64;
        assert!(v.verified_err as f64 / n as f64 >= attacked, "α {a} β {b}: verified error {} below attack error {attacked}", v.verified_err);
        assert!(v.verified_err >= v.clean_err && v.verified_err <= n);
    }
}
