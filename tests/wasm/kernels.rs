//! The kernels and the verifier inside WebAssembly (simd128 lanes; threads in the threaded build): GEMM against its
//! plain twin on many shapes with NaN-prefilled outputs, interval products against the lower/upper form, and margin
//! bounds that contain sampled margins.
#![cfg(target_arch = "wasm32")]

use paperlab::kernels::gemm::{gemm, gemm_naive, MatRef, KC, MR, NR};
use paperlab::kernels::interval::{abs, affine_box, affine_box_naive};
use paperlab::labs::verify::{margin_bounds, LowerSlope, Method};
use paperlab::nn::{Mlp, Rng};
use wasm_bindgen_test::*;

fn rv(rng: &mut Rng, n: usize) -> Vec<f32> {
    (0..n).map(|_| rng.uniform_in(-1.0, 1.0)).collect()
}

fn close(what: &str, got: &[f32], want: &[f32], tol: f32) {
    let mut worst = (0usize, 0.0f32);
    for (i, (g, w)) in got.iter().zip(want).enumerate() {
        let d = (g - w).abs();
        assert!(!d.is_nan(), "{what}: NaN at {i} (got {g}, want {w})");
        if d > worst.1 {
            worst = (i, d);
        }
    }
    let i = worst.0;
    assert!(worst.1 <= tol * (1.0 + want[i].abs()), "{what}: max |diff| {} at {i}: {} vs {}", worst.1, got[i], want[i]);
}

#[wasm_bindgen_test]
fn gemm_matches_naive_in_wasm() {
    let mut rng = Rng::new(42);
    let sizes = [1, 3, MR, MR + 1, NR - 1, NR + 1, 33, 100];
    for &m in &sizes {
        for &n in &sizes {
            for &k in &[1, 9, KC + 5] {
                for &(ta, beta) in &[(false, 0.0f32), (true, 0.5)] {
                    let a = rv(&mut rng, m * k);
                    let b = rv(&mut rng, k * n);
                    let av = if ta { MatRef::new(&a, k, m).t() } else { MatRef::new(&a, m, k) };
                    let bv = MatRef::new(&b, k, n);
                    let init = if beta == 0.0 { f32::NAN } else { 1.0 };
                    let mut c = vec![init; m * n];
                    let mut c2 = c.clone();
                    gemm(1.0, av, bv, beta, &mut c, n, 1).unwrap();
                    gemm_naive(1.0, av, bv, beta, &mut c2, n, 1).unwrap();
                    close(&format!("gemm {m}x{k}x{n} ta={ta}"), &c, &c2, 1e-4);
                }
            }
        }
    }
    // large enough for the parallel task grid in the threaded build
    let (m, k, n) = (300, 300, 300);
    let a = rv(&mut rng, m * k);
    let b = rv(&mut rng, k * n);
    let mut c = vec![f32::NAN; m * n];
    let mut c2 = c.clone();
    gemm(1.0, MatRef::new(&a, m, k), MatRef::new(&b, k, n).t(), 0.0, &mut c, n, 1).unwrap();
    gemm_naive(1.0, MatRef::new(&a, m, k), MatRef::new(&b, k, n).t(), 0.0, &mut c2, n, 1).unwrap();
    close("gemm 300^3", &c, &c2, 1e-4);
}

#[wasm_bindgen_test]
fn interval_products_in_wasm() {
    let mut rng = Rng::new(7);
    let (batch, inp, out) = (5, 784, 100);
    let w = rv(&mut rng, out * inp);
    let b = rv(&mut rng, out);
    let c = rv(&mut rng, batch * inp);
    let r: Vec<f32> = (0..batch * inp).map(|_| rng.uniform_in(0.0, 0.2)).collect();
    let (c2, r2) = affine_box(&w, &abs(&w), &b, out, inp, &c, &r, batch).unwrap();
    let (lo, hi) = affine_box_naive(&w, &b, out, inp, &c, &r, batch);
    let lo2: Vec<f32> = c2.iter().zip(&r2).map(|(a, b)| a - b).collect();
    let hi2: Vec<f32> = c2.iter().zip(&r2).map(|(a, b)| a + b).collect();
    close("lower", &lo2, &lo, 1e-4);
    close("upper", &hi2, &hi, 1e-4);
}

#[wasm_bindgen_test]
fn bounds_are_sound_in_wasm() {
    let mut rng = Rng::new(3);
    let m = Mlp::new(&[20, 16, 12, 5], &mut rng).unwrap();
    let x: Vec<f32> = (0..20).map(|_| rng.uniform()).collect();
    for method in [Method::Ibp, Method::Crown, Method::CrownIbp] {
        let (lo, up) = margin_bounds(&m, paperlab::nd::view("x", &x, (1, 20)).unwrap(), &[2], 0.05, method, 1.0, LowerSlope::Adaptive).map(|(a, b)| (paperlab::nd::into_vec(a), paperlab::nd::into_vec(b))).unwrap();
        for _ in 0..500 {
            let xp: Vec<f32> = x.iter().map(|&v| (v + rng.uniform_in(-0.05, 0.05)).clamp(0.0, 1.0)).collect();
            let z = m.logits(ndarray::aview1(&xp).insert_axis(ndarray::Axis(0))).unwrap().row(0).to_vec();
            for j in 0..5 {
                let mg = z[2] - z[j];
                assert!(lo[j] <= mg + 1e-4 && mg <= up[j] + 1e-4, "{method:?}: margin {j} {mg} outside [{}, {}]", lo[j], up[j]);
            }
        }
    }
}
