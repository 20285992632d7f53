//! Soundness and exactness of IBP / CROWN / CROWN-IBP margin bounds, and the CROWN-IBP training gradient against
//! finite differences.
#![cfg(not(target_arch = "wasm32"))] // native tests; `wasm-pack test` builds every test target for wasm32 too

use crate::common::check_grad;
use paperlab::labs::verify::{margin_bounds, pgd, pgd_count, robust_loss_grad, verify_counts, LowerSlope, Method, RobustLoss};
use paperlab::nn::layers::{argmax_rows, softmax_cross_entropy};
use paperlab::nn::mlp::{Mlp, MlpGrads};
use paperlab::nn::Rng;

/// `x` as rows of `i` values (B x I).
fn rows(x: &[f32], i: usize) -> ndarray::ArrayView2<'_, f32> {
    paperlab::nd::view("test x", x, (x.len() / i, i)).unwrap()
}

/// Margin bounds as flat row-major B x K vectors.
fn vecs((lo, up): (ndarray::Array2<f32>, ndarray::Array2<f32>)) -> (Vec<f32>, Vec<f32>) {
    (paperlab::nd::into_vec(lo), paperlab::nd::into_vec(up))
}

const METHODS: [Method; 3] = [Method::Ibp, Method::Crown, Method::CrownIbp];
const SLOPES: [LowerSlope; 4] = [LowerSlope::Adaptive, LowerSlope::Zero, LowerSlope::One, LowerSlope::Parallel];

fn net(dims: &[usize], seed: u64) -> Mlp {
    let mut rng = Rng::new(seed);
    Mlp::new(dims, &mut rng).unwrap()
}

fn margins(m: &Mlp, x: &[f32], y: u8) -> Vec<f32> {
    let z = paperlab::nd::into_vec(m.logits(rows(x, x.len())).unwrap());
    z.iter().map(|&zj| z[y as usize] - zj).collect()
}

#[test]
fn bounds_contain_every_sampled_margin() {
    // Property: for thousands of points in the clamped ball, every margin lies inside [lower, upper].
    for (seed, dims) in [(1u64, vec![20, 16, 12, 5]), (2, vec![30, 24, 5]), (3, vec![10, 8, 8, 8, 4])] {
        let m = net(&dims, seed);
        let mut rng = Rng::new(seed + 100);
        let i = dims[0];
        for trial in 0..4 {
            let x: Vec<f32> = (0..i).map(|_| rng.uniform()).collect();
            let y = (trial % dims[dims.len() - 1]) as u8;
            for &eps in &[0.01f32, 0.05, 0.2] {
                for (method, slope) in METHODS.iter().flat_map(|&me| SLOPES.iter().map(move |&sl| (me, sl))) {
                    let (lo, up) = margin_bounds(&m, rows(&x, m.inputs()), &[y], eps, method, 1.0, slope).map(vecs).unwrap();
                    for _ in 0..400 {
                        // corners are where bounds are tightest, so sample corners half the time
                        let xp: Vec<f32> = x
                            .iter()
                            .map(|&v| {
                                let d = if rng.uniform() < 0.5 { rng.uniform_in(-eps, eps) } else if rng.uniform() < 0.5 { eps } else { -eps };
                                (v + d).clamp(0.0, 1.0)
                            })
                            .collect();
                        let mg = margins(&m, &xp, y);
                        for j in 0..mg.len() {
                            let tol = 1e-4 * (1.0 + mg[j].abs());
                            assert!(lo[j] <= mg[j] + tol && mg[j] <= up[j] + tol, "{method:?} {slope:?} eps={eps} dims={dims:?}: margin {j} = {} outside [{}, {}]", mg[j], lo[j], up[j]);
                        }
                    }
                }
            }
        }
    }
}

#[test]
fn eps_zero_gives_the_exact_margin() {
    let m = net(&[12, 9, 7, 4], 4);
    let mut rng = Rng::new(5);
    let x: Vec<f32> = (0..12).map(|_| rng.uniform()).collect();
    let mg = margins(&m, &x, 2);
    for method in METHODS {
        let (lo, up) = margin_bounds(&m, rows(&x, m.inputs()), &[2], 0.0, method, 1.0, LowerSlope::Adaptive).map(vecs).unwrap();
        for j in 0..4 {
            assert!((lo[j] - mg[j]).abs() < 1e-5 && (up[j] - mg[j]).abs() < 1e-5, "{method:?}: [{}, {}] vs {}", lo[j], up[j], mg[j]);
        }
        assert_eq!(lo[2], 0.0);
    }
}

#[test]
fn bounds_against_brute_force_on_a_two_pixel_net() {
    // Two inputs: the exact min/max of each margin over the box is found by a dense grid (the margin is piecewise
    // linear, so a 401x401 grid including the corners is within a hair of exact). Bounds must enclose it, and
    // CROWN must be at least as tight as IBP here (it is for this one-hidden-layer net: CROWN's relaxation of each
    // neuron is tighter than the interval).
    let m = net(&[2, 6, 3], 9);
    let x = [0.4f32, 0.6];
    let eps = 0.15;
    let y = 1u8;
    let mut exact_lo = [f32::INFINITY; 3];
    let mut exact_up = [f32::NEG_INFINITY; 3];
    for a in 0..=400 {
        for b in 0..=400 {
            let p = [x[0] - eps + 2.0 * eps * a as f32 / 400.0, x[1] - eps + 2.0 * eps * b as f32 / 400.0];
            let mg = margins(&m, &p, y);
            for j in 0..3 {
                exact_lo[j] = exact_lo[j].min(mg[j]);
                exact_up[j] = exact_up[j].max(mg[j]);
            }
        }
    }
    let (ilo, iup) = margin_bounds(&m, rows(&x, m.inputs()), &[y], eps, Method::Ibp, 1.0, LowerSlope::Adaptive).map(vecs).unwrap();
    let (clo, cup) = margin_bounds(&m, rows(&x, m.inputs()), &[y], eps, Method::Crown, 1.0, LowerSlope::Adaptive).map(vecs).unwrap();
    for j in 0..3 {
        assert!(ilo[j] <= exact_lo[j] + 1e-5 && iup[j] >= exact_up[j] - 1e-5);
        assert!(clo[j] <= exact_lo[j] + 1e-5 && cup[j] >= exact_up[j] - 1e-5);
        assert!(clo[j] >= ilo[j] - 1e-5, "CROWN lower {} looser than IBP {}", clo[j], ilo[j]);
    }
}

#[test]
fn crown_ibp_with_beta_zero_is_ibp_and_bad_input_is_an_error() {
    let m = net(&[10, 8, 6, 3], 6);
    let x = vec![0.5f32; 20];
    let labels = [0u8, 2];
    let a = margin_bounds(&m, rows(&x, m.inputs()), &labels, 0.1, Method::CrownIbp, 0.0, LowerSlope::Adaptive).unwrap();
    let b = margin_bounds(&m, rows(&x, m.inputs()), &labels, 0.1, Method::Ibp, 1.0, LowerSlope::Adaptive).unwrap();
    assert_eq!(a, b);
    assert!(margin_bounds(&m, rows(&x, m.inputs()), &labels, f32::NAN, Method::Ibp, 1.0, LowerSlope::Adaptive).is_err());
    assert!(margin_bounds(&m, rows(&x, m.inputs()), &labels, -0.1, Method::Ibp, 1.0, LowerSlope::Adaptive).is_err());
    assert!(margin_bounds(&m, rows(&x, m.inputs()), &labels, 0.1, Method::CrownIbp, 1.5, LowerSlope::Adaptive).is_err());
    assert!(margin_bounds(&m, rows(&x, m.inputs()), &[0u8, 7], 0.1, Method::Ibp, 1.0, LowerSlope::Adaptive).is_err());
    assert!(margin_bounds(&m, rows(&x[..15], 15), &labels, 0.1, Method::Ibp, 1.0, LowerSlope::Adaptive).is_err());
    assert!("crown-ibp".parse::<Method>().is_ok() && "foo".parse::<Method>().is_err());
}

#[test]
fn verified_error_grows_with_eps_and_exceeds_pgd_error() {
    let m = net(&[16, 12, 10, 4], 7);
    let mut rng = Rng::new(8);
    let n = 64;
    let x: Vec<f32> = (0..n * 16).map(|_| rng.uniform()).collect();
    let clean = argmax_rows(m.logits(rows(&x, 16)).unwrap().view());
    let labels: Vec<u8> = clean.iter().map(|&c| c as u8).collect(); // the net's own predictions: clean error 0
    for method in METHODS {
        let mut last = 0;
        for &eps in &[0.0f32, 0.01, 0.03, 0.1, 0.3] {
            let c = verify_counts(&m, rows(&x, m.inputs()), &labels, eps, method, 1.0, LowerSlope::Adaptive, 7).unwrap();
            assert_eq!(c.clean_err, 0);
            assert!(c.verified_err >= last, "{method:?}: verified error fell from {last} to {} at eps {eps}", c.verified_err);
            last = c.verified_err;
            // PGD finds only real counterexamples, so its error can never exceed the verified error.
            let (adv, fooled) = pgd(&m, rows(&x, m.inputs()), &labels, 0, eps, 10, 1).unwrap();
            assert!(fooled.iter().filter(|&&f| f).count() as u32 <= c.verified_err);
            for (a, b) in adv.iter().zip(&x) {
                assert!((a - b).abs() <= eps + 1e-6 && (0.0..=1.0).contains(a));
            }
        }
    }
}

fn flat(m: &Mlp) -> Vec<f32> {
    m.w.iter().zip(&m.b).flat_map(|(w, b)| w.iter().chain(b).cloned().collect::<Vec<_>>()).collect()
}

fn unflat(m: &mut Mlp, p: &[f32]) {
    let mut o = 0;
    for l in 0..m.layers() {
        let (nw, nb) = (m.w[l].len(), m.b[l].len());
        m.w[l].copy_from_slice(&p[o..o + nw]);
        o += nw;
        m.b[l].copy_from_slice(&p[o..o + nb]);
        o += nb;
    }
}

#[test]
fn robust_loss_gradient_matches_fd() {
    // Through IBP, CROWN-IBP (including the relaxation slopes and intercepts) and the kappa/beta mixes.
    for (seed, dims, opt) in [
        (11u64, vec![8, 7, 6, 4], RobustLoss { eps: 0.1, kappa: 0.3, beta: 0.6 }),
        (12, vec![8, 7, 6, 4], RobustLoss { eps: 0.2, kappa: 0.0, beta: 1.0 }),
        (13, vec![6, 9, 4], RobustLoss { eps: 0.15, kappa: 0.5, beta: 0.0 }),
        (14, vec![5, 6, 6, 6, 3], RobustLoss { eps: 0.1, kappa: 0.2, beta: 0.5 }),
    ] {
        let m = net(&dims, seed);
        let mut rng = Rng::new(seed + 7);
        let bt = 5;
        let k = *dims.last().unwrap();
        let x: Vec<f32> = (0..bt * dims[0]).map(|_| rng.uniform()).collect();
        let labels: Vec<u8> = (0..bt).map(|b| (b % k) as u8).collect();
        let mut g = MlpGrads::zeros(&m);
        robust_loss_grad(&m, rows(&x, m.inputs()), &labels, opt, &mut g).unwrap();
        let grad: Vec<f32> = g.dw.iter().zip(&g.db).flat_map(|(w, b)| w.iter().chain(b).cloned().collect::<Vec<_>>()).collect();
        let p0 = flat(&m);
        let mut mm = m.clone();
        let idx: Vec<usize> = (0..p0.len()).collect();
        let checked = check_grad(
            &format!("robust loss {dims:?} {opt:?}"),
            &mut |p| {
                unflat(&mut mm, p);
                let mut gg = MlpGrads::zeros(&mm);
                robust_loss_grad(&mm, rows(&x, mm.inputs()), &labels, opt, &mut gg).unwrap().0 as f64
            },
            &p0,
            &grad,
            &idx,
            3e-3,
            3e-4,
            5e-3,
            0.15,
        );
        assert!(checked > p0.len() / 2);
    }
}

#[test]
fn natural_part_of_robust_loss_is_cross_entropy() {
    let m = net(&[8, 6, 3], 21);
    let x = vec![0.3f32; 16];
    let labels = [1u8, 2];
    let mut g = MlpGrads::zeros(&m);
    let (loss, nat, _) = robust_loss_grad(&m, rows(&x, m.inputs()), &labels, RobustLoss { eps: 0.1, kappa: 1.0, beta: 1.0 }, &mut g).unwrap();
    let (ce, _) = softmax_cross_entropy(m.logits(rows(&x, 8)).unwrap().view(), (&labels[..]).into()).unwrap();
    assert_eq!(loss, ce);
    assert_eq!(nat, ce);
}

#[test]
fn pgd_does_not_depend_on_how_the_set_is_split() {
    let m = net(&[16, 12, 4], 31);
    let mut rng = Rng::new(32);
    let n = 150;
    let x: Vec<f32> = (0..n * 16).map(|_| rng.uniform()).collect();
    let labels: Vec<u8> = (0..n).map(|b| (b % 4) as u8).collect();
    let whole = pgd_count(&m, rows(&x, m.inputs()), &labels, 0, 0.1, 8, 5).unwrap();
    let mut parts = 0;
    for (s, e) in [(0, 37), (37, 100), (100, 150)] {
        parts += pgd_count(&m, rows(&x[s * 16..e * 16], m.inputs()), &labels[s..e], s, 0.1, 8, 5).unwrap();
    }
    assert_eq!(whole, parts);
    let (_, one) = pgd(&m, rows(&x[40 * 16..41 * 16], m.inputs()), &labels[40..41], 40, 0.1, 8, 5).unwrap();
    let (_, all) = pgd(&m, rows(&x, m.inputs()), &labels, 0, 0.1, 8, 5).unwrap();
    assert_eq!(one[0], all[40]);
}

#[test]
fn lower_slope_names_parse() {
    for (name, want) in [("adaptive", LowerSlope::Adaptive), ("zero", LowerSlope::Zero), ("one", LowerSlope::One), ("parallel", LowerSlope::Parallel)] {
        assert_eq!(name.parse::<LowerSlope>().unwrap(), want);
    }
    assert!("steep".parse::<LowerSlope>().is_err());
}

/// Margin lower bounds of the first test digits on shipped models against auto_LiRPA's (written by
/// `scripts/verify_lirpa.py fixture`, the command is in the fixture): IBP and CROWN-IBP (beta 1) must agree within
/// 1e-4 (relative to max(1, |bound|)). Full CROWN differs by design: our hidden bounds are intersected with IBP's
/// from the tightened layer below, which auto_LiRPA's CROWN does not do, so ours are mostly tighter (180 of 200 on
/// the CROWN-IBP-trained CNN at eps 0.3); with different hidden bounds the adaptive lower slope can flip, so a few may
/// be looser (at most 10% allowed; 10 of 200 at eps 0.1). The counts are printed. A fixture written for other
/// weights fails here: regenerate it after retraining.
#[test]
fn bounds_match_auto_lirpa_on_shipped_models() {
    use paperlab::labs::verify::Net;
    let root = std::path::PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    let fx: serde_json::Value = serde_json::from_slice(&std::fs::read(root.join("tests/fixtures/verify/lirpa-bounds.json")).expect("fixture is committed")).unwrap();
    let n = fx["digits"].as_u64().unwrap() as usize;
    let labels: Vec<u8> = fx["labels"].as_array().unwrap().iter().map(|v| v.as_u64().unwrap() as u8).collect();
    let data = paperlab::data::mnist::Mnist::load_default().unwrap();
    assert_eq!(labels, data.test.labels[..n], "the fixture's digits are the first {n} test digits");
    let x = data.test.batch_f32(&(0..n).collect::<Vec<_>>());
    let mut checked = 0;
    for (id, per_eps) in fx["models"].as_object().unwrap() {
        let bytes = std::fs::read(root.join(format!("www/models/verify/{id}.safetensors"))).unwrap();
        let mlp = Mlp::from_safetensors(&bytes).ok().map(|(m, _)| m);
        let net = Net::from_safetensors(&bytes).unwrap().0;
        for (eps_s, per_method) in per_eps.as_object().unwrap() {
            let eps: f32 = eps_s.parse().unwrap();
            for (name, method) in [("ibp", Method::Ibp), ("crown-ibp", Method::CrownIbp), ("crown", Method::Crown)] {
                let want: Vec<f32> = per_method[name].as_array().unwrap().iter().flat_map(|r| r.as_array().unwrap().iter().map(|v| v.as_f64().unwrap() as f32)).collect();
                let got = match &mlp {
                    Some(m) => vecs(margin_bounds(m, rows(&x, 784), &labels, eps, method, 1.0, LowerSlope::Adaptive).unwrap()).0,
                    None => vecs(net.margin_bounds(rows(&x, 784), &labels, eps, method, 1.0, LowerSlope::Adaptive).unwrap()).0,
                };
                assert_eq!(got.len(), want.len());
                let tol = |w: f32| 1e-4 * w.abs().max(1.0);
                let (mut bad, mut tighter, mut looser) = (Vec::new(), 0, 0);
                for (q, (&g, &w)) in got.iter().zip(&want).enumerate() {
                    if (g - w).abs() <= tol(w) {
                        continue;
                    }
                    if method == Method::Crown {
                        if g > w { tighter += 1 } else { looser += 1 }
                    } else {
                        bad.push(format!("digit {} class {}: ours {g} auto_LiRPA {w}", q / 10, q % 10));
                    }
                }
                assert!(bad.is_empty(), "{id} eps {eps} {name}: {} of {} bounds differ, first: {:?}", bad.len(), got.len(), &bad[..bad.len().min(5)]);
                if method == Method::Crown {
                    eprintln!("{id} eps {eps} crown: {tighter} of {} bounds tighter than auto_LiRPA's, {looser} looser", got.len());
                    assert!(10 * looser <= got.len(), "{id} eps {eps}: {looser} of {} CROWN bounds looser than auto_LiRPA's", got.len());
                }
                checked += got.len();
            }
        }
    }
    assert!(checked >= 2 * 2 * 3 * 10 * n, "fixture covers two models, two epsilons, three methods ({checked} bounds)");
}
