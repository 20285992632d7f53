//! The lane activations against f64 references and their scalar twins: `exp` over the whole f32 range (error in
//! ulps, special values), sigmoid/tanh/GELU/ReLU and their backwards, softmax and log-softmax on strided rows, layer
//! norm forward and backward (finite differences in f64), and errors for bad lengths.
#![cfg(not(target_arch = "wasm32"))] // native tests; `wasm-pack test` builds every test target for wasm32 too

use paperlab::kernels::act::*;

/// `crate::common::assert_close`, where equal infinities count as equal.
fn assert_close(what: &str, got: &[f32], want: &[f32], atol: f32, rtol: f32) {
    let keep = |a: f32, b: f32| if a == b && a.is_infinite() { 0.0 } else { a };
    let g: Vec<f32> = got.iter().zip(want).map(|(&a, &b)| keep(a, b)).collect();
    let w: Vec<f32> = want.iter().zip(got).map(|(&a, &b)| keep(a, b)).collect();
    crate::common::assert_close(what, &g, &w, atol, rtol);
}
use paperlab::kernels::gemm::MatRef;
use paperlab::nn::Rng;

/// Error of `got` against the exact `want` in ulps of the f32 grid at `want` (subnormal spacing 2^-149 at the bottom;
/// +inf counts as 2^128).
fn ulps(got: f32, want: f64) -> f64 {
    let g = if got == f32::INFINITY { 2f64.powi(128) } else { got as f64 };
    let w32 = want as f32;
    let e = if w32 == 0.0 || !w32.is_finite() { -149 } else { (w32.abs().log2().floor() as i32 - 23).max(-149) };
    (g - want).abs() / 2f64.powi(e)
}

#[test]
fn exp_error_over_the_whole_f32_range() {
    // Every 97th bit pattern (44 million inputs, both signs, all exponents), plus every input around the overflow and
    // the underflow thresholds and around 0.
    let mut worst = (0.0f64, 0.0f32);
    let mut check = |x: f32| {
        let y = exp_f32(x);
        let want = (x as f64).exp();
        if x.is_nan() {
            assert!(y.is_nan(), "exp(NaN) = {y}");
            return;
        }
        if want > f32::MAX as f64 * (1.0 + 2f64.powi(-25)) {
            assert_eq!(y, f32::INFINITY, "exp({x:e}) should overflow");
            return;
        }
        if want < 2f64.powi(-150) {
            assert!(y == 0.0 || y == f32::from_bits(1), "exp({x:e}) = {y:e}, want {want:e}");
            return;
        }
        let u = ulps(y, want);
        if u > worst.0 {
            worst = (u, x);
        }
    };
    for bits in (0u32..=u32::MAX).step_by(97) {
        check(f32::from_bits(bits));
    }
    for center in [88.722_83f32, -87.336_55, -103.972_08, 0.0, -0.0] {
        let b = center.to_bits();
        for d in 0..20_000u32 {
            check(f32::from_bits(b.wrapping_add(d)));
            check(f32::from_bits(b.wrapping_sub(d)));
        }
    }
    eprintln!("exp: max error {:.3} ulp at x = {:e}", worst.0, worst.1);
    assert!(worst.0 <= EXP_MAX_ULP, "exp: {:.3} ulp at x = {:e} exceeds the stated bound {EXP_MAX_ULP}", worst.0, worst.1);
    // special values
    assert_eq!(exp_f32(f32::INFINITY), f32::INFINITY);
    assert_eq!(exp_f32(f32::NEG_INFINITY).to_bits(), 0);
    assert!(exp_f32(f32::NAN).is_nan());
    assert_eq!(exp_f32(0.0), 1.0);
    assert_eq!(exp_f32(89.0), f32::INFINITY);
    assert_eq!(exp_f32(-1e30), 0.0);
    assert_eq!(exp_f32(f32::MAX), f32::INFINITY);
}

#[test]
fn slices_match_single_values_and_naive() {
    // The slice kernels run lanes of 4 and a padded tail: each element must equal the one-value path bit for bit.
    let mut rng = Rng::new(1);
    for n in [0, 1, 3, 4, 5, 17, 1000] {
        let x: Vec<f32> = (0..n).map(|i| if i % 11 == 5 { [f32::NAN, f32::INFINITY, f32::NEG_INFINITY][i % 3] } else { rng.uniform_in(-30.0, 30.0) }).collect();
        let mut y = vec![f32::NAN; n];
        exp(&x, &mut y).unwrap();
        for (a, &v) in y.iter().zip(&x) {
            assert_eq!(a.to_bits(), exp_f32(v).to_bits(), "exp({v}) slice vs single");
        }
        sigmoid(&x, &mut y).unwrap();
        for (a, &v) in y.iter().zip(&x) {
            assert_eq!(a.to_bits(), sigmoid_f32(v).to_bits(), "sigmoid({v})");
        }
        tanh(&x, &mut y).unwrap();
        for (a, &v) in y.iter().zip(&x) {
            assert_eq!(a.to_bits(), tanh_f32(v).to_bits(), "tanh({v})");
        }
    }
}

/// Compares a lane activation with f64 `want` over a grid of inputs, with `atol + rtol |want|`.
fn against_f64(what: &str, f: fn(&[f32], &mut [f32]) -> paperlab::Result<()>, naive: fn(&[f32], &mut [f32]) -> paperlab::Result<()>, want: fn(f64) -> f64, atol: f32, rtol: f32) {
    let mut x: Vec<f32> = (-4000..=4000).map(|i| i as f32 * 0.01).collect();
    x.extend([1e-6, -1e-6, 1e-20, -1e-20, 0.0, -0.0, 50.0, -50.0, 88.0, -88.0, 100.0, -100.0, 1e30, -1e30, f32::MAX, f32::MIN]);
    let mut y = vec![f32::NAN; x.len()];
    f(&x, &mut y).unwrap();
    let w: Vec<f32> = x.iter().map(|&v| want(v as f64) as f32).collect();
    assert_close(what, &y, &w, atol, rtol);
    let mut yn = vec![f32::NAN; x.len()];
    naive(&x, &mut yn).unwrap();
    assert_close(&format!("{what} vs its scalar twin"), &y, &yn, atol, rtol);
    // NaN in, NaN out
    let mut z = [0.0f32; 3];
    f(&[f32::NAN, 1.0, f32::NAN], &mut z).unwrap();
    assert!(z[0].is_nan() && z[2].is_nan() && !z[1].is_nan(), "{what}: NaN handling {z:?}");
}

fn gelu64(x: f64) -> f64 {
    0.5 * x * (1.0 + ((2.0 / std::f64::consts::PI).sqrt() * (x + 0.044715 * x * x * x)).tanh())
}
fn sigmoid64(x: f64) -> f64 {
    1.0 / (1.0 + (-x).exp())
}

#[test]
fn activations_match_f64() {
    against_f64("exp", exp, exp_naive, f64::exp, 0.0, 2.5e-7);
    against_f64("sigmoid", sigmoid, sigmoid_naive, sigmoid64, 1e-37, 4e-7);
    against_f64("tanh", tanh, tanh_naive, f64::tanh, 1e-37, 4e-7);
    // GELU: for large |x| the f64 cube is huge but finite; x = ±f32::MAX is the clip
    against_f64("gelu", gelu, gelu_naive, |x| if x < -20.0 { 0.0 } else if x > 20.0 { x } else { gelu64(x) }, 1e-6, 1e-6);
    against_f64("relu", relu, relu_naive, |x| x.max(0.0), 0.0, 0.0);
    // tanh near 0 keeps its relative accuracy (no cancellation): tanh(1e-6) = 1e-6
    assert!((tanh_f32(1e-6) - 1e-6).abs() <= 1e-13, "{}", tanh_f32(1e-6));
    assert_eq!(tanh_f32(f32::INFINITY), 1.0);
    assert_eq!(tanh_f32(f32::NEG_INFINITY), -1.0);
    assert_eq!(sigmoid_f32(f32::NEG_INFINITY), 0.0);
    assert_eq!(sigmoid_f32(f32::INFINITY), 1.0);
    let mut g = [0.0f32; 2];
    gelu(&[f32::NEG_INFINITY, f32::INFINITY], &mut g).unwrap();
    assert_eq!(g, [0.0, f32::INFINITY]);
}

#[test]
fn activation_backwards_match_finite_differences() {
    let x: Vec<f32> = (-300..=300).map(|i| i as f32 * 0.02 + 0.001).collect();
    let dy: Vec<f32> = (0..x.len()).map(|i| ((i * 7 % 13) as f32 - 6.0) * 0.1).collect();
    let h = 1e-4;
    let fd = |f: fn(f64) -> f64| -> Vec<f32> { x.iter().zip(&dy).map(|(&v, &d)| ((f(v as f64 + h) - f(v as f64 - h)) / (2.0 * h) * d as f64) as f32).collect() };
    let mut dx = vec![f32::NAN; x.len()];
    let mut y = vec![0.0; x.len()];
    sigmoid(&x, &mut y).unwrap();
    sigmoid_backward(&y, &dy, &mut dx).unwrap();
    assert_close("sigmoid backward", &dx, &fd(sigmoid64), 1e-6, 1e-5);
    tanh(&x, &mut y).unwrap();
    tanh_backward(&y, &dy, &mut dx).unwrap();
    assert_close("tanh backward", &dx, &fd(f64::tanh), 1e-6, 1e-5);
    gelu_backward(&x, &dy, &mut dx).unwrap();
    assert_close("gelu backward", &dx, &fd(gelu64), 1e-6, 1e-5);
    relu_backward(&x, &dy, &mut dx).unwrap();
    assert_close("relu backward", &dx, &fd(|v| v.max(0.0)), 1e-6, 1e-5);
}

#[test]
fn softmax_and_log_softmax_on_strided_rows() {
    let mut rng = Rng::new(2);
    for &(rows, cols) in &[(1, 1), (3, 5), (7, 4), (4, 33), (2, 1000)] {
        // x with column stride 2 and padded rows; y with padded rows (padding must stay NaN)
        let (cs, rs) = (2, 2 * cols + 3);
        let mut data: Vec<f32> = (0..rows * rs).map(|_| rng.uniform_in(-20.0, 20.0)).collect();
        if cols > 2 {
            data[cs] = f32::NEG_INFINITY; // a -inf entry gets probability 0
        }
        let x = MatRef::strided(&data, rows, cols, rs, cs);
        let rsy = cols + 2;
        for log in [false, true] {
            let mut y = vec![f32::NAN; rows * rsy];
            let mut yn = vec![f32::NAN; rows * rsy];
            if log {
                log_softmax(x, &mut y, rsy).unwrap();
                log_softmax_naive(x, &mut yn, rsy).unwrap();
            } else {
                softmax(x, &mut y, rsy).unwrap();
                softmax_naive(x, &mut yn, rsy).unwrap();
            }
            // f64 reference
            for i in 0..rows {
                let r: Vec<f64> = (0..cols).map(|j| x.at(i, j) as f64).collect();
                let m = r.iter().cloned().fold(f64::NEG_INFINITY, f64::max);
                let lse = m + r.iter().map(|v| (v - m).exp()).sum::<f64>().ln();
                let want: Vec<f32> = r.iter().map(|v| if log { (v - lse) as f32 } else { (v - lse).exp() as f32 }).collect();
                let got = &y[i * rsy..i * rsy + cols];
                let (atol, rtol) = if log { (2e-6, 1e-6) } else { (1e-7, 1e-6) };
                assert_close(&format!("softmax log={log} {rows}x{cols} row {i}"), got, &want, atol, rtol);
                assert_close(&format!("vs twin log={log} {rows}x{cols} row {i}"), got, &yn[i * rsy..i * rsy + cols], atol, rtol);
                if !log {
                    let s: f32 = got.iter().sum();
                    assert!((s - 1.0).abs() < 1e-5, "row sums to {s}");
                }
                assert!(y[i * rsy + cols..(i + 1) * rsy].iter().all(|v| v.is_nan()), "softmax wrote into the row padding");
            }
        }
    }
    // huge logits stay finite; a NaN or +inf row, or an all -inf row, is NaN; an empty matrix is fine
    let mut y = [0.0f32; 3];
    softmax(MatRef::new(&[1e30, -1e30, 5e29], 1, 3), &mut y, 3).unwrap();
    assert_eq!(y, [1.0, 0.0, 0.0]);
    for bad in [[1.0, f32::NAN, 2.0], [f32::INFINITY, 0.0, 1.0], [f32::NEG_INFINITY; 3]] {
        softmax(MatRef::new(&bad, 1, 3), &mut y, 3).unwrap();
        assert!(y.iter().all(|v| v.is_nan()), "{bad:?} -> {y:?}");
        log_softmax(MatRef::new(&bad, 1, 3), &mut y, 3).unwrap();
        assert!(y.iter().all(|v| v.is_nan()), "log {bad:?} -> {y:?}");
    }
    softmax(MatRef::new(&[], 0, 3), &mut [], 3).unwrap();
}

/// `L = sum r * layer_norm(x)` in f64.
fn ln_loss(x: &[f64], g: &[f64], b: &[f64], eps: f64, r: &[f32]) -> f64 {
    let d = g.len();
    let mut l = 0.0;
    for (i, xr) in x.chunks(d).enumerate() {
        let m = xr.iter().sum::<f64>() / d as f64;
        let v = xr.iter().map(|a| (a - m).powi(2)).sum::<f64>() / d as f64;
        for (k, (&xk, &rk)) in xr.iter().zip(&r[i * d..(i + 1) * d]).enumerate() {
            l += ((xk - m) / (v + eps).sqrt() * g[k] + b[k]) * rk as f64;
        }
    }
    l
}

#[test]
fn layer_norm_matches_twin_and_finite_differences() {
    let mut rng = Rng::new(3);
    let eps = 1e-5;
    for &(rows, d) in &[(1, 1), (3, 5), (4, 8), (2, 33), (5, 256)] {
        let x: Vec<f32> = (0..rows * d).map(|_| rng.uniform_in(-3.0, 3.0) + 1.5).collect();
        let g: Vec<f32> = (0..d).map(|_| rng.uniform_in(0.5, 1.5)).collect();
        let b: Vec<f32> = (0..d).map(|_| rng.uniform_in(-1.0, 1.0)).collect();
        let (mut y, mut m, mut rs) = (vec![f32::NAN; rows * d], vec![f32::NAN; rows], vec![f32::NAN; rows]);
        layer_norm(&x, &g, &b, eps, &mut y, &mut m, &mut rs).unwrap();
        let (mut y0, mut m0, mut rs0) = (vec![0.0; rows * d], vec![0.0; rows], vec![0.0; rows]);
        layer_norm_naive(&x, &g, &b, eps, &mut y0, &mut m0, &mut rs0).unwrap();
        assert_close(&format!("layer_norm {rows}x{d}"), &y, &y0, 1e-5, 1e-5);
        assert_close("mean", &m, &m0, 1e-6, 1e-6);
        assert_close("rstd", &rs, &rs0, 1e-4, 1e-5);
        if d == 1 {
            continue; // x - mean = 0: the function is constant in x
        }
        let r: Vec<f32> = (0..rows * d).map(|_| rng.uniform_in(-1.0, 1.0)).collect();
        let (mut dx, mut dg, mut db) = (vec![f32::NAN; rows * d], vec![f32::NAN; d], vec![f32::NAN; d]);
        layer_norm_backward(&x, &g, &m, &rs, &r, LnGrads { dx: Some(&mut dx), dgamma: Some(&mut dg), dbeta: Some(&mut db) }).unwrap();
        let f64v = |v: &[f32]| v.iter().map(|&a| a as f64).collect::<Vec<f64>>();
        let (xd, gd, bd) = (f64v(&x), f64v(&g), f64v(&b));
        let h = 1e-5;
        let fd = |which: usize, n: usize| -> Vec<f32> {
            (0..n)
                .map(|i| {
                    let (mut p, mut q) = ([xd.clone(), gd.clone(), bd.clone()], [xd.clone(), gd.clone(), bd.clone()]);
                    p[which][i] += h;
                    q[which][i] -= h;
                    ((ln_loss(&p[0], &p[1], &p[2], eps as f64, &r) - ln_loss(&q[0], &q[1], &q[2], eps as f64, &r)) / (2.0 * h)) as f32
                })
                .collect()
        };
        assert_close(&format!("layer_norm dx {rows}x{d}"), &dx, &fd(0, rows * d), 1e-4, 1e-3);
        assert_close(&format!("layer_norm dgamma {rows}x{d}"), &dg, &fd(1, d), 1e-4, 1e-3);
        assert_close(&format!("layer_norm dbeta {rows}x{d}"), &db, &fd(2, d), 1e-4, 1e-3);
    }
}

#[test]
fn bad_lengths_are_errors() {
    let mut y = [0.0f32; 3];
    assert!(exp(&[1.0, 2.0], &mut y).unwrap_err().to_string().contains("one length"));
    assert!(sigmoid_backward(&[1.0], &[1.0, 2.0], &mut y).is_err());
    assert!(softmax(MatRef::new(&[1.0; 4], 2, 3), &mut [0.0; 6], 3).is_err()); // x too short
    assert!(softmax(MatRef::new(&[1.0; 6], 2, 3), &mut [0.0; 5], 3).is_err()); // y too short
    assert!(softmax(MatRef::new(&[1.0; 6], 2, 3), &mut [0.0; 6], 2).unwrap_err().to_string().contains("overlap"));
    let (mut m, mut r) = ([0.0f32; 2], [0.0f32; 2]);
    let mut out = [0.0f32; 6];
    assert!(layer_norm(&[1.0; 6], &[1.0; 3], &[0.0; 2], 1e-5, &mut out, &mut m, &mut r).is_err());
    assert!(layer_norm(&[1.0; 6], &[1.0; 3], &[0.0; 3], -1.0, &mut out, &mut m, &mut r).unwrap_err().to_string().contains("eps"));
    assert!(layer_norm(&[1.0; 6], &[], &[], 1e-5, &mut out, &mut m, &mut r).is_err());
    assert!(layer_norm_backward(&[1.0; 6], &[1.0; 3], &m, &r, &[0.0; 5], LnGrads { dx: None, dgamma: None, dbeta: None }).is_err());
}
