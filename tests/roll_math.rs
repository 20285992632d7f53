//! The roll lab's math against independent checks: the batched gradients against one backward pass per neuron; the
//! margins ε̂_{x,p} against a brute-force grid labelled by activation pattern (the ball of radius ε̂ stays in the
//! region, a ball 2% larger leaves it); the directional and decision-boundary margins against stepping along the
//! ray and checking predictions on a grid; the random-coordinate estimate against the exact norm; the ROLL loss and
//! its gradient against an f64 re-implementation with central finite differences; errors for bad input.


use crate::common::assert_close;
use paperlab::labs::roll::{
    directional_margin, linearize, margins, neuron_gradients, neuron_gradients_backward, patterns, region_map, roll_loss, Probes, RollConfig,
};
use ndarray::{aview1, ArrayView2};
use paperlab::nd::into_vec;
use paperlab::nn::{Mlp, Rng};

/// `x` as rows of `d` values (B x D).
fn rows(x: &[f32], d: usize) -> ArrayView2<'_, f32> {
    paperlab::nd::view("test x", x, (x.len() / d, d)).unwrap()
}

fn net(dims: &[usize], seed: u64) -> Mlp {
    let mut m = Mlp::new(dims, &mut Rng::new(seed)).unwrap();
    // Larger biases than PyTorch's init give more regions near the origin.
    let mut r = Rng::new(seed + 100);
    for b in m.b.iter_mut() {
        for v in b.iter_mut() {
            *v = r.uniform_in(-0.5, 0.5);
        }
    }
    m
}

#[test]
fn batched_gradients_equal_per_neuron_backward_passes() {
    for (dims, seed) in [(vec![2, 8, 8, 2], 1u64), (vec![5, 7, 6, 5, 3], 2), (vec![20, 16, 16, 4], 3)] {
        let m = net(&dims, seed);
        let mut r = Rng::new(seed + 7);
        for _ in 0..3 {
            let x: Vec<f32> = (0..dims[0]).map(|_| r.uniform_in(-1.0, 1.0)).collect();
            let fast = neuron_gradients(&m, aview1(&x[..])).unwrap();
            let slow = neuron_gradients_backward(&m, aview1(&x[..])).unwrap();
            assert_eq!(fast.widths, slow.widths);
            assert_close("z", &fast.z, &slow.z, 1e-5, 1e-5);
            assert_close("neuron gradients", &fast.grad, &slow.grad, 1e-5, 1e-5);
            assert_close("logits", &fast.logits, &slow.logits, 1e-5, 1e-5);
            assert_close("logit gradients", &fast.logit_grad, &slow.logit_grad, 1e-5, 1e-5);
            // And against central differences of the network itself (the pattern does not change within 1e-3 of x
            // unless a neuron is that close to zero, which these points are not required to avoid: check the
            // logits only where the pattern is unchanged).
            let h = 1e-3f32;
            for i in 0..dims[0] {
                let (mut xp, mut xm) = (x.clone(), x.clone());
                xp[i] += h;
                xm[i] -= h;
                let same = patterns(&m, rows(&xp, m.inputs())).unwrap() == patterns(&m, rows(&x, m.inputs())).unwrap() && patterns(&m, rows(&xm, m.inputs())).unwrap() == patterns(&m, rows(&x, m.inputs())).unwrap();
                if !same {
                    continue;
                }
                let (lp, lm) = (m.logits(rows(&xp, m.inputs())).map(into_vec).unwrap(), m.logits(rows(&xm, m.inputs())).map(into_vec).unwrap());
                for k in 0..m.classes() {
                    let fd = (lp[k] - lm[k]) / (2.0 * h);
                    let g = fast.logit_grad[k * dims[0] + i];
                    assert!((fd - g).abs() < 2e-3 + 2e-3 * g.abs(), "d logit {k} / dx {i}: fd {fd} vs {g}");
                }
            }
        }
    }
}

/// Pattern of every point of a `side x side` grid over `[c - half, c + half]²`.
fn grid_patterns(m: &Mlp, c: [f32; 2], half: f32, side: usize) -> (Vec<[f32; 2]>, Vec<Vec<bool>>) {
    let mut pts = Vec::with_capacity(side * side);
    for i in 0..side {
        for j in 0..side {
            let t = |k: usize| -half + 2.0 * half * k as f32 / (side - 1) as f32;
            pts.push([c[0] + t(i), c[1] + t(j)]);
        }
    }
    let flat: Vec<f32> = pts.iter().flatten().copied().collect();
    let pat = patterns(m, rows(&flat, 2)).unwrap();
    (pts, pat.rows().into_iter().map(|c| c.to_vec()).collect())
}

/// The row-major values of a boolean array.
fn into_vec_bool(a: ndarray::Array2<bool>) -> Vec<bool> {
    a.iter().copied().collect()
}

fn dist(p: usize, a: [f32; 2], b: [f32; 2]) -> f32 {
    let (dx, dy) = ((a[0] - b[0]).abs(), (a[1] - b[1]).abs());
    match p {
        0 => dx + dy,
        1 => (dx * dx + dy * dy).sqrt(),
        _ => dx.max(dy),
    }
}

#[test]
fn margin_balls_stay_in_the_region_and_are_tight() {
    let mut checked = 0;
    for seed in 1..=3u64 {
        let m = net(&[2, 12, 12, 2], seed);
        let mut r = Rng::new(seed * 31);
        for _ in 0..4 {
            let x = [r.uniform_in(-0.8, 0.8), r.uniform_in(-0.8, 0.8)];
            let lin = neuron_gradients(&m, aview1(&x[..])).unwrap();
            let mg = margins(&lin);
            let own = patterns(&m, rows(&x, 2)).unwrap().row(0).to_vec();
            let big = mg.eps.iter().cloned().fold(0.0f32, f32::max);
            assert!(big.is_finite() && mg.eps.iter().all(|&e| e > 0.0), "margins {:?}", mg.eps);
            // A grid over the box of the largest ball, 1.1x, with spacing well below 2% of the smallest margin.
            let small = mg.eps.iter().cloned().fold(f32::INFINITY, f32::min);
            let half = 1.1 * big;
            let side = ((2.0 * half / (0.004 * small)).ceil() as usize).clamp(201, 1601);
            let (pts, pats) = grid_patterns(&m, x, half, side);
            for (t, &eps) in mg.eps.iter().enumerate() {
                let mut inside_ok = true;
                let mut leaves = false;
                for (pt, pat) in pts.iter().zip(&pats) {
                    let d = dist(t, *pt, x);
                    if d <= eps * 0.999 && *pat != own {
                        inside_ok = false;
                    }
                    if d <= eps * 1.02 && *pat != own {
                        leaves = true;
                    }
                }
                assert!(inside_ok, "seed {seed} x {x:?}: a grid point within 0.999 eps_{} = {eps} has another pattern", ["1", "2", "inf"][t]);
                assert!(leaves, "seed {seed} x {x:?}: no grid point within 1.02 eps_{} = {eps} (grid {side}^2) leaves the region", ["1", "2", "inf"][t]);
                checked += 1;
            }
        }
    }
    assert_eq!(checked, 36);
}

#[test]
fn directional_and_decision_margins_match_brute_force() {
    // A net trained on XOR, so that its decision boundary crosses the square.
    let (x, y) = paperlab::labs::roll::toy::make(paperlab::labs::roll::toy::Toy::Xor, 200, 0.05, 3).unwrap();
    let cfg = paperlab::labs::roll::toy::ToyConfig { hidden: vec![10, 10], ..Default::default() };
    let mut tr = paperlab::labs::roll::toy::ToyTrainer::new(cfg, x, y).unwrap();
    let loss = tr.step(300).unwrap();
    assert!(loss.acc > 0.9, "XOR should be learned: {loss:?}");
    let m = tr.mlp.clone();
    let mut r = Rng::new(9);
    let mut boundary_checked = 0;
    for trial in 0..4000 {
        if trial >= 20 && boundary_checked >= 5 {
            break;
        }
        let x = [r.uniform_in(-0.8, 0.8), r.uniform_in(-0.8, 0.8)];
        let lin = neuron_gradients(&m, aview1(&x[..])).unwrap();
        let own = patterns(&m, rows(&x, m.inputs())).unwrap();
        let a = r.uniform_in(0.0, std::f32::consts::TAU);
        let dir = [a.cos() * 0.3, a.sin() * 0.3];
        let t = directional_margin(&lin, aview1(&dir[..])).unwrap();
        if t.is_finite() && trial < 20 {
            let at = |s: f32| patterns(&m, rows(&[x[0] + s * dir[0], x[1] + s * dir[1]], 2)).unwrap();
            for k in 1..=50 {
                assert_eq!(at(t * 0.999 * k as f32 / 50.0), own, "the ray leaves the region before t = {t}");
            }
            assert_ne!(at(t * 1.001), own, "the ray is still in the region after t = {t}");
        }
        // Within min(eps, decision) the prediction is constant; when the boundary is closer than the region's
        // edge, a point just beyond it along the region's normal is classified differently.
        let mg = margins(&lin);
        let c = mg.class;
        let (e2, d2) = (mg.eps[1], mg.decision[1]);
        let rad = e2.min(d2);
        if trial >= 20 && d2 >= e2 {
            continue;
        }
        for k in 0..64 {
            let ang = k as f32 * std::f32::consts::TAU / 64.0;
            let p = [x[0] + 0.999 * rad * ang.cos(), x[1] + 0.999 * rad * ang.sin()];
            let l = m.logits(rows(&p, m.inputs())).map(into_vec).unwrap();
            assert_eq!(usize::from(l[1] > l[0]), c, "prediction changes inside the certified l2 radius {rad}");
        }
        if d2 < e2 {
            let j = 1 - c;
            let g: Vec<f32> = (0..2).map(|i| lin.logit_grad[c * 2 + i] - lin.logit_grad[j * 2 + i]).collect();
            let n = (g[0] * g[0] + g[1] * g[1]).sqrt();
            let p = [x[0] - 1.001 * d2 * g[0] / n, x[1] - 1.001 * d2 * g[1] / n];
            let l = m.logits(rows(&p, m.inputs())).map(into_vec).unwrap();
            assert_ne!(usize::from(l[1] > l[0]), c, "just past the l2 decision margin {d2} the class should flip");
            let p = [x[0] - 0.999 * d2 * g[0] / n, x[1] - 0.999 * d2 * g[1] / n];
            let l = m.logits(rows(&p, m.inputs())).map(into_vec).unwrap();
            assert_eq!(usize::from(l[1] > l[0]), c);
            boundary_checked += 1;
        }
    }
    assert!(boundary_checked >= 5, "no point had its decision boundary inside its region; pick other points");
}

#[test]
fn random_coordinates_estimate_the_gradient_norm_without_bias() {
    let d = 24;
    let m = net(&[d, 16, 16, 3], 4);
    let x: Vec<f32> = (0..d).map(|i| ((i * 7 % 11) as f32 - 5.0) * 0.1).collect();
    let exact = neuron_gradients(&m, aview1(&x[..])).unwrap();
    let n = exact.z.len();
    let norm2: Vec<f64> = exact.grad.chunks(d).map(|g| g.iter().map(|v| (*v as f64).powi(2)).sum()).collect();
    // All D coordinates: the exact norm.
    let mut rng = Rng::new(1);
    let p = Probes::random_coords(d, d, &mut rng);
    let st = linearize(&m, rows(&x, d), &p).unwrap();
    let est = st.point(&m, 0).unwrap();
    for j in 0..n {
        let e: f64 = est.grad[j * d..(j + 1) * d].iter().map(|v| (*v as f64).powi(2)).sum::<f64>() * p.scale as f64;
        assert!((e - norm2[j]).abs() <= 1e-4 * norm2[j] + 1e-9, "neuron {j}: {e} vs {}", norm2[j]);
    }
    // k = 4: the mean over many draws approaches the exact squared norm.
    let draws = 3000;
    let mut mean = vec![0.0f64; n];
    for _ in 0..draws {
        let p = Probes::random_coords(d, 4, &mut rng);
        let st = linearize(&m, rows(&x, d), &p).unwrap();
        let est = st.point(&m, 0).unwrap();
        for j in 0..n {
            mean[j] += est.grad[j * 4..(j + 1) * 4].iter().map(|v| (*v as f64).powi(2)).sum::<f64>() * p.scale as f64 / draws as f64;
        }
    }
    for j in 0..n {
        if norm2[j] > 1e-6 {
            assert!((mean[j] - norm2[j]).abs() < 0.08 * norm2[j], "neuron {j}: mean estimate {} vs exact {}", mean[j], norm2[j]);
        }
    }
}

// ---- the ROLL loss in f64, written from the equations with loops ----

struct Net64 {
    dims: Vec<usize>,
    w: Vec<Vec<f64>>,
    b: Vec<Vec<f64>>,
}

/// ROLL objective in f64 (mean over the batch) with the probe rows `u` (P x D) and scale.
fn roll64(n: &Net64, x: &[f32], y: &[u8], u: &[f32], scale: f64, lambda: f64, c: f64, gamma: f64) -> f64 {
    let d = n.dims[0];
    let layers = n.dims.len() - 1;
    let p = u.len() / d;
    let batch = y.len();
    let mut total = 0.0;
    for bi in 0..batch {
        // Forward keeping the value and the input Jacobian (rows = neurons, cols = D) of every layer.
        let mut a: Vec<f64> = x[bi * d..(bi + 1) * d].iter().map(|&v| v as f64).collect();
        let mut ja: Vec<Vec<f64>> = (0..d).map(|i| (0..d).map(|k| f64::from(u8::from(i == k))).collect()).collect();
        let mut margins = Vec::new();
        let mut logits = Vec::new();
        for l in 0..layers {
            let (i, o) = (n.dims[l], n.dims[l + 1]);
            let z: Vec<f64> = (0..o).map(|k| n.b[l][k] + (0..i).map(|j| n.w[l][k * i + j] * a[j]).sum::<f64>()).collect();
            let jz: Vec<Vec<f64>> = (0..o).map(|k| (0..d).map(|t| (0..i).map(|j| n.w[l][k * i + j] * ja[j][t]).sum::<f64>()).collect()).collect();
            if l + 1 == layers {
                logits = z;
                break;
            }
            for k in 0..o {
                let r2: f64 = (0..p).map(|q| (0..d).map(|t| jz[k][t] * u[q * d + t] as f64).sum::<f64>().powi(2)).sum::<f64>() * scale;
                let r = r2.sqrt();
                margins.push(if r > 1e-20 { z[k].abs() / r } else { f64::INFINITY });
            }
            a = z.iter().map(|&v| v.max(0.0)).collect();
            ja = jz.iter().zip(&z).map(|(row, &v)| if v > 0.0 { row.clone() } else { vec![0.0; d] }).collect();
        }
        let mx = logits.iter().cloned().fold(f64::NEG_INFINITY, f64::max);
        let lse = mx + logits.iter().map(|v| (v - mx).exp()).sum::<f64>().ln();
        let ce = lse - logits[y[bi] as usize];
        margins.sort_by(f64::total_cmp);
        let sel = ((gamma / 100.0 * margins.len() as f64).ceil() as usize).clamp(1, margins.len());
        let hinge: f64 = margins[..sel].iter().map(|m| (c - m).max(0.0)).sum::<f64>() * lambda / sel as f64;
        total += ce + hinge;
    }
    total / batch as f64
}

#[test]
fn roll_loss_and_gradient_match_an_f64_reference_and_finite_differences() {
    let dims = [3usize, 6, 5, 3];
    let m = net(&dims, 11);
    let mut r = Rng::new(12);
    let x: Vec<f32> = (0..4 * 3).map(|_| r.uniform_in(-1.0, 1.0)).collect();
    let y = vec![0u8, 2, 1, 2];
    for (probes, label) in [(Probes::basis(3), "basis"), (Probes::random_coords(3, 2, &mut Rng::new(3)), "2 random coordinates")] {
        for cfg in [RollConfig { lambda: 0.7, c: 2.0, gamma: 50.0 }, RollConfig { lambda: 1.5, c: 0.3, gamma: 100.0 }, RollConfig { lambda: 0.0, c: 1.0, gamma: 10.0 }] {
            let (loss, g) = roll_loss(&m, rows(&x, 3), &y, &probes, &cfg).unwrap();
            let n64 = Net64 {
                dims: dims.to_vec(),
                w: m.w.iter().map(|w| w.iter().map(|&v| v as f64).collect()).collect(),
                b: m.b.iter().map(|b| b.iter().map(|&v| v as f64).collect()).collect(),
            };
            let f = |n: &Net64| roll64(n, &x, &y, &probes.u, probes.scale as f64, cfg.lambda as f64, cfg.c as f64, cfg.gamma as f64);
            let ref_loss = f(&n64);
            assert!((loss.total as f64 - ref_loss).abs() < 1e-4 * (1.0 + ref_loss.abs()), "{label} {cfg:?}: loss {} vs f64 {ref_loss}", loss.total);
            if cfg.lambda > 0.0 {
                assert!(loss.roll > 0.0, "{label} {cfg:?}: the hinge should be active");
            }
            // Central differences in f64 on every parameter.
            let h = 1e-6;
            let mut bad = Vec::new();
            let mut count = 0;
            for l in 0..dims.len() - 1 {
                for (which, len) in [(0, n64.w[l].len()), (1, n64.b[l].len())] {
                    for i in 0..len {
                        let mut np = Net64 { dims: n64.dims.clone(), w: n64.w.clone(), b: n64.b.clone() };
                        let mut nm = Net64 { dims: n64.dims.clone(), w: n64.w.clone(), b: n64.b.clone() };
                        if which == 0 {
                            np.w[l][i] += h;
                            nm.w[l][i] -= h;
                        } else {
                            np.b[l][i] += h;
                            nm.b[l][i] -= h;
                        }
                        let fd = (f(&np) - f(&nm)) / (2.0 * h);
                        let an = if which == 0 { g.dw[l][i] } else { g.db[l][i] } as f64;
                        count += 1;
                        if (fd - an).abs() > 2e-4 + 2e-3 * fd.abs() {
                            bad.push((l, which, i, an, fd));
                        }
                    }
                }
            }
            assert!(bad.is_empty(), "{label} {cfg:?}: {} of {count} gradients differ from f64 finite differences; first (layer, w/b, index, analytic, fd): {:?}", bad.len(), &bad[..bad.len().min(6)]);
        }
    }
}

#[test]
fn region_map_ids_are_the_activation_patterns() {
    let m = net(&[2, 8, 8, 2], 21);
    let g = 48;
    let map = region_map(&m, [-1.0, -1.0], [1.0, 1.0], g).unwrap();
    assert_eq!(map.ids.len(), g * g);
    assert_eq!(map.hashes.len(), *map.ids.iter().max().unwrap() as usize + 1);
    let pts: Vec<f32> = (0..g * g).flat_map(|i| paperlab::labs::roll::cell_centre([-1.0, -1.0], [1.0, 1.0], g, i / g, i % g)).collect();
    let pats = into_vec_bool(patterns(&m, rows(&pts, 2)).unwrap());
    let n = pats.len() / (g * g);
    let logits = into_vec(m.logits(rows(&pts, 2)).unwrap());
    for a in 0..g * g {
        assert!((map.score[a] - (logits[2 * a + 1] - logits[2 * a])).abs() < 1e-5);
        for b in (a + 1..g * g).step_by(37) {
            assert_eq!(map.ids[a] == map.ids[b], pats[a * n..(a + 1) * n] == pats[b * n..(b + 1) * n], "cells {a} and {b}");
        }
    }
    assert!(map.hashes.len() > 5, "a random 2-8-8-2 net should cut the square into several regions");
}

#[test]
fn bad_input_gives_errors() {
    let m = net(&[2, 4, 2], 1);
    assert!(neuron_gradients(&m, aview1(&[0.0; 3][..])).is_err());
    assert!(neuron_gradients(&m, aview1(&[f32::NAN, 0.0][..])).is_err());
    assert!(linearize(&m, rows(&[0.0; 4], 2), &Probes::basis(3)).is_err());
    assert!(roll_loss(&m, rows(&[0.0; 4], 2), &[0, 1], &Probes::basis(2), &RollConfig { lambda: -1.0, c: 1.0, gamma: 10.0 }).is_err());
    assert!(roll_loss(&m, rows(&[0.0; 4], 2), &[0, 1], &Probes::basis(2), &RollConfig { lambda: 1.0, c: 1.0, gamma: 0.0 }).is_err());
    assert!(roll_loss(&m, rows(&[0.0; 4], 2), &[0, 5], &Probes::basis(2), &RollConfig { lambda: 1.0, c: 1.0, gamma: 10.0 }).is_err());
    assert!(roll_loss(&m, rows(&[0.0; 4], 2), &[0], &Probes::basis(2), &RollConfig { lambda: 1.0, c: 1.0, gamma: 10.0 }).is_err());
    let lin = neuron_gradients(&m, aview1(&[0.1, 0.2][..])).unwrap();
    assert!(directional_margin(&lin, aview1(&[1.0][..])).is_err());
    assert!(region_map(&net(&[3, 4, 2], 1), [-1.0; 2], [1.0; 2], 8).is_err());
    assert!(region_map(&m, [1.0; 2], [-1.0; 2], 8).is_err());
    assert!(region_map(&m, [-1.0; 2], [1.0; 2], 0).is_err());
    let mut broken = m.clone();
    broken.w[0].pop();
    assert!(neuron_gradients(&broken, aview1(&[0.0, 0.0][..])).is_err());
    assert!(paperlab::labs::roll::toy::make(paperlab::labs::roll::toy::Toy::Xor, 1, 0.0, 1).is_err());
    assert!(paperlab::labs::roll::toy::Toy::parse("rings").is_err());
}
