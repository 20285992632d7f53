//! Bound soundness as a property (a seeded random search with a time budget): random small ReLU nets — random
//! depths and widths, weights at large and tiny scales — random boxes (ε from 0 to 1, clipped to the input domain
//! [0, 1]) and random points in them. For IBP, CROWN (each lower slope) and CROWN-IBP (several β): every margin at
//! every sampled point, and at PGD's worst point, lies inside the bounds; ε = 0 gives the forward pass (to f32
//! rounding); the CROWN-IBP lower bound is the mixture β·CROWN-IBP + (1 − β)·IBP of the paper's Eq. 8 (β = 0 is
//! IBP's bound, β = 0.5 the mean of the two ends). No tightness order between CROWN and IBP is asserted: with the
//! same intermediate bounds neither dominates in general (on robustly trained nets IBP is often tighter, as the
//! verify lab shows). The oracle is the network's own forward pass. Budget: `PAPERLAB_PROPERTY_SECS` (default
//! 10 s in `make test`; `make fuzz` runs longer); the number of cases is printed.
#![cfg(not(target_arch = "wasm32"))]

use std::time::{Duration, Instant};

use paperlab::labs::verify::{margin_bounds, pgd, LowerSlope, Method};
use paperlab::nn::mlp::Mlp;
use paperlab::nn::Rng;

/// `x` as rows of `i` values (B x I).
fn rows(x: &[f32], i: usize) -> ndarray::ArrayView2<'_, f32> {
    paperlab::nd::view("test x", x, (x.len() / i, i)).unwrap()
}

/// Margin bounds as flat row-major B x K vectors.
fn vecs((lo, up): (ndarray::Array2<f32>, ndarray::Array2<f32>)) -> (Vec<f32>, Vec<f32>) {
    (paperlab::nd::into_vec(lo), paperlab::nd::into_vec(up))
}

const SLOPES: [LowerSlope; 4] = [LowerSlope::Adaptive, LowerSlope::Zero, LowerSlope::One, LowerSlope::Parallel];

fn random_net(rng: &mut Rng) -> Mlp {
    let depth = 1 + rng.below(4);
    let mut dims = vec![2 + rng.below(12)];
    for _ in 0..depth - 1 {
        dims.push(1 + rng.below(16));
    }
    dims.push(2 + rng.below(5));
    let mut m = Mlp::new(&dims, rng).unwrap();
    // Scales from 1e-3 to 1e2 per layer, biases too: tiny and large weights both.
    for l in 0..m.w.len() {
        let s = 10f32.powf(rng.uniform_in(-3.0, 2.0));
        m.w[l].iter_mut().for_each(|w| *w *= s);
        m.b[l].iter_mut().for_each(|b| *b = rng.normal() * s);
    }
    m
}

fn margins(m: &Mlp, x: &[f32], y: u8) -> Vec<f32> {
    let z = paperlab::nd::into_vec(m.logits(rows(x, x.len())).unwrap());
    z.iter().map(|&zj| z[y as usize] - zj).collect()
}

fn inside(lo: &[f32], up: &[f32], mg: &[f32], what: &str) {
    for j in 0..mg.len() {
        let scale = 1.0 + mg[j].abs().max(lo[j].abs()).max(up[j].abs());
        let tol = 2e-4 * scale;
        assert!(lo[j] <= mg[j] + tol && mg[j] <= up[j] + tol, "{what}: margin {j} = {} outside [{}, {}]", mg[j], lo[j], up[j]);
    }
}

#[test]
fn bounds_hold_on_random_nets_boxes_and_points() {
    let budget = Duration::from_secs(std::env::var("PAPERLAB_PROPERTY_SECS").ok().and_then(|s| s.parse().ok()).unwrap_or(10));
    let t0 = Instant::now();
    let mut rng = Rng::new(20261201);
    let (mut cases, mut points) = (0usize, 0usize);
    while t0.elapsed() < budget || cases < 20 {
        let m = random_net(&mut rng);
        let i = m.dims[0];
        let k = *m.dims.last().unwrap();
        let x: Vec<f32> = (0..i).map(|_| rng.uniform()).collect();
        let y = rng.below(k) as u8;
        let eps = if rng.uniform() < 0.2 { 0.0 } else { rng.uniform().powi(2) };
        let exact = margins(&m, &x, y);
        let (ibp_lo, ibp_up) = margin_bounds(&m, rows(&x, m.inputs()), &[y], eps, Method::Ibp, 1.0, LowerSlope::Adaptive).map(vecs).unwrap();
        let mut all = vec![(format!("IBP eps={eps}"), ibp_lo.clone(), ibp_up.clone())];
        for slope in SLOPES {
            let (lo, up) = margin_bounds(&m, rows(&x, m.inputs()), &[y], eps, Method::Crown, 1.0, slope).map(vecs).unwrap();
            all.push((format!("CROWN {slope:?} eps={eps}"), lo, up));
            let mut ends = Vec::new();
            for beta in [0.0f32, 0.5, 1.0] {
                let (lo, up) = margin_bounds(&m, rows(&x, m.inputs()), &[y], eps, Method::CrownIbp, beta, slope).map(vecs).unwrap();
                ends.push(lo.clone());
                all.push((format!("CROWN-IBP {slope:?} beta={beta} eps={eps}"), lo, up));
            }
            for j in 0..k {
                let tol = 1e-4 * (1.0 + ends[2][j].abs() + ends[0][j].abs());
                assert!((ends[0][j] - ibp_lo[j]).abs() <= tol, "CROWN-IBP at beta = 0 is not IBP: {} vs {}", ends[0][j], ibp_lo[j]);
                let mid = 0.5 * (ends[0][j] + ends[2][j]);
                assert!((ends[1][j] - mid).abs() <= tol, "CROWN-IBP at beta = 0.5: {} is not the mean {}", ends[1][j], mid);
            }
        }
        let dims = format!("{:?}", m.dims);
        if eps == 0.0 {
            for (what, lo, up) in &all {
                for j in 0..k {
                    let tol = 1e-4 * (1.0 + exact[j].abs());
                    assert!((lo[j] - exact[j]).abs() <= tol && (up[j] - exact[j]).abs() <= tol,
                        "{what} {dims}: at eps = 0 bounds [{}, {}] differ from the margin {}", lo[j], up[j], exact[j]);
                }
            }
        }
        // Random points of the clipped box (corners half the time), then PGD's worst point.
        let mut pts: Vec<Vec<f32>> = (0..50)
            .map(|_| {
                x.iter()
                    .map(|&v| {
                        let d = if rng.uniform() < 0.5 { rng.uniform_in(-eps, eps) } else if rng.uniform() < 0.5 { eps } else { -eps };
                        (v + d).clamp(0.0, 1.0)
                    })
                    .collect()
            })
            .collect();
        if eps > 0.0 {
            let (adv, _) = pgd(&m, rows(&x, m.inputs()), &[y], cases, eps, 10, 7).unwrap();
            pts.push(paperlab::nd::into_vec(adv));
        }
        for p in &pts {
            let mg = margins(&m, p, y);
            for (what, lo, up) in &all {
                inside(lo, up, &mg, &format!("{what} {dims}"));
            }
        }
        points += pts.len();
        cases += 1;
    }
    eprintln!("bound soundness: {cases} random nets and boxes, {points} points each against 16 bound variants, in {:.1} s", t0.elapsed().as_secs_f32());
}
