//! Every backward against central finite differences (see `crate::common::check_grad`).
#![cfg(not(target_arch = "wasm32"))] // native tests; `wasm-pack test` builds every test target for wasm32 too

use crate::common::check_grad;
use ndarray::aview1;
use paperlab::nd::{into_vec, view, view_mut};
use paperlab::nn::conv::Conv2d;
use paperlab::nn::layers::{linear_backward, linear_forward, relu_backward, relu_forward, softmax_cross_entropy};
use paperlab::nn::mlp::{Mlp, MlpGrads};
use paperlab::nn::Rng;

fn rv(rng: &mut Rng, n: usize) -> Vec<f32> {
    (0..n).map(|_| rng.uniform_in(-1.0, 1.0)).collect()
}

/// A fixed random projection makes a scalar loss from a tensor: L = sum(r * y).
fn proj(y: &[f32], r: &[f32]) -> f64 {
    y.iter().zip(r).map(|(a, b)| (*a as f64) * (*b as f64)).sum()
}

#[test]
fn linear_backward_matches_fd() {
    let mut rng = Rng::new(1);
    let (bt, i, o) = (4, 7, 5);
    let x = rv(&mut rng, bt * i);
    let w = rv(&mut rng, o * i);
    let b = rv(&mut rng, o);
    let r = rv(&mut rng, bt * o);
    let mut dw = vec![0.0; o * i];
    let mut db = vec![0.0; o];
    let dx = linear_backward(
        view("dy", &r, (bt, o)).unwrap(),
        view("x", &x, (bt, i)).unwrap(),
        view("W", &w, (o, i)).unwrap(),
        view_mut("dW", &mut dw, (o, i)).unwrap(),
        view_mut("db", &mut db, o).unwrap(),
        true,
    )
    .unwrap()
    .map(into_vec)
    .unwrap();
    let fwd = |x: &[f32], w: &[f32], b: &[f32]| into_vec(linear_forward(view("x", x, (bt, i)).unwrap(), view("W", w, (o, i)).unwrap(), aview1(b)).unwrap());
    let all = |n: usize| (0..n).collect::<Vec<_>>();
    check_grad("linear dx", &mut |xx| proj(&fwd(xx, &w, &b), &r), &x, &dx, &all(x.len()), 1e-2, 1e-3, 1e-3, 0.0);
    check_grad("linear dW", &mut |ww| proj(&fwd(&x, ww, &b), &r), &w, &dw, &all(w.len()), 1e-2, 1e-3, 1e-3, 0.0);
    check_grad("linear db", &mut |bb| proj(&fwd(&x, &w, bb), &r), &b, &db, &all(b.len()), 1e-2, 1e-3, 1e-3, 0.0);
}

#[test]
fn relu_and_cross_entropy_match_fd() {
    let mut rng = Rng::new(2);
    let x = rv(&mut rng, 40);
    let r = rv(&mut rng, 40);
    let dx = into_vec(relu_backward(aview1(&r), aview1(&x)).unwrap());
    let idx: Vec<usize> = (0..40).collect();
    check_grad("relu", &mut |xx| proj(&into_vec(relu_forward(aview1(xx))), &r), &x, &dx, &idx, 1e-3, 1e-3, 1e-3, 0.1);

    let (bt, k) = (5, 4);
    let z: Vec<f32> = rv(&mut rng, bt * k).iter().map(|v| 3.0 * v).collect();
    let labels = [0u8, 3, 1, 2, 3];
    let ce = |z: &[f32], labels: &[u8]| softmax_cross_entropy(view("logits", z, (labels.len(), k)).unwrap(), aview1(labels)).unwrap();
    let (_, dz) = ce(&z, &labels);
    let dz = into_vec(dz);
    let idx: Vec<usize> = (0..bt * k).collect();
    check_grad("cross-entropy", &mut |zz| ce(zz, &labels).0 as f64, &z, &dz, &idx, 1e-2, 1e-4, 1e-3, 0.0);
    // closed form: uniform logits give log K
    let (l, _) = ce(&vec![0.7; bt * k], &labels);
    assert!((l - (k as f32).ln()).abs() < 1e-6);
    // huge logits stay finite
    let (l, d) = ce(&[1e30, -1e30, 0.0, 5e29], &[1]);
    assert!(l.is_finite() || l == f32::INFINITY, "{l}");
    assert!(d.iter().all(|v| v.is_finite()));
}

#[test]
fn conv2d_backward_matches_fd() {
    let mut rng = Rng::new(3);
    for &(stride, pad) in &[(1, 0), (2, 1), (1, 2)] {
        let cv = Conv2d { c: 2, h: 7, w: 6, o: 3, kh: 3, kw: 2, stride, pad };
        let bt = 2;
        let x = rv(&mut rng, bt * cv.c * cv.h * cv.w);
        let wt = rv(&mut rng, cv.o * cv.c * cv.kh * cv.kw);
        let b = rv(&mut rng, cv.o);
        let ny = bt * cv.o * cv.oh() * cv.ow();
        let r = rv(&mut rng, ny);
        let mut dw = vec![0.0; wt.len()];
        let mut db = vec![0.0; b.len()];
        let (xs, ws, ys) = ((bt, cv.c, cv.h, cv.w), (cv.o, cv.c, cv.kh, cv.kw), (bt, cv.o, cv.oh(), cv.ow()));
        let dx = cv
            .backward(view("dy", &r, ys).unwrap(), view("x", &x, xs).unwrap(), view("W", &wt, ws).unwrap(), view_mut("dW", &mut dw, ws).unwrap(), view_mut("db", &mut db, cv.o).unwrap())
            .unwrap();
        let dx = into_vec(dx);
        let fwd = |x: &[f32], w: &[f32], b: &[f32]| into_vec(cv.forward(view("x", x, xs).unwrap(), view("W", w, ws).unwrap(), aview1(b)).unwrap());
        let all = |n: usize| (0..n).collect::<Vec<_>>();
        check_grad("conv dx", &mut |xx| proj(&fwd(xx, &wt, &b), &r), &x, &dx, &all(x.len()), 1e-2, 1e-3, 1e-3, 0.0);
        check_grad("conv dW", &mut |ww| proj(&fwd(&x, ww, &b), &r), &wt, &dw, &all(wt.len()), 1e-2, 1e-3, 1e-3, 0.0);
        check_grad("conv db", &mut |bb| proj(&fwd(&x, &wt, bb), &r), &b, &db, &all(b.len()), 1e-2, 1e-3, 1e-3, 0.0);
    }
}

#[test]
fn conv2d_forward_matches_direct_sum() {
    // Independent twin: the textbook six-loop cross-correlation.
    let mut rng = Rng::new(4);
    let cv = Conv2d { c: 3, h: 9, w: 8, o: 4, kh: 3, kw: 3, stride: 2, pad: 1 };
    let x = rv(&mut rng, cv.c * cv.h * cv.w);
    let wt = rv(&mut rng, cv.o * cv.c * 9);
    let b = rv(&mut rng, cv.o);
    let y = cv.forward(view("x", &x, (1, cv.c, cv.h, cv.w)).unwrap(), view("W", &wt, (cv.o, cv.c, 3, 3)).unwrap(), aview1(&b)).unwrap();
    let y = into_vec(y);
    for o in 0..cv.o {
        for oi in 0..cv.oh() {
            for oj in 0..cv.ow() {
                let mut s = b[o] as f64;
                for c in 0..cv.c {
                    for ki in 0..3 {
                        for kj in 0..3 {
                            let (ii, jj) = ((oi * 2 + ki) as i64 - 1, (oj * 2 + kj) as i64 - 1);
                            if ii >= 0 && jj >= 0 && (ii as usize) < cv.h && (jj as usize) < cv.w {
                                s += (wt[((o * cv.c + c) * 3 + ki) * 3 + kj] * x[(c * cv.h + ii as usize) * cv.w + jj as usize]) as f64;
                            }
                        }
                    }
                }
                let got = y[(o * cv.oh() + oi) * cv.ow() + oj] as f64;
                assert!((got - s).abs() < 1e-4, "conv ({o},{oi},{oj}): {got} vs {s}");
            }
        }
    }
}

#[test]
fn mlp_backward_matches_fd() {
    let mut rng = Rng::new(5);
    let m = Mlp::new(&[6, 5, 4, 3], &mut rng).unwrap();
    let bt = 4;
    let x: Vec<f32> = (0..bt * 6).map(|_| rng.uniform()).collect();
    let labels = [0u8, 2, 1, 2];
    let loss = |m: &Mlp, x: &[f32]| -> f64 {
        let z = m.logits(view("x", x, (bt, 6)).unwrap()).unwrap();
        softmax_cross_entropy(z.view(), aview1(&labels)).unwrap().0 as f64
    };
    let (z, cache) = m.forward(view("x", &x, (bt, 6)).unwrap()).unwrap();
    let (_, dz) = softmax_cross_entropy(z.view(), aview1(&labels)).unwrap();
    let mut g = MlpGrads::zeros(&m);
    let dx = into_vec(m.backward(&cache, dz.view(), &mut g, true).unwrap().unwrap());
    let idx: Vec<usize> = (0..x.len()).collect();
    check_grad("mlp dx", &mut |xx| loss(&m, xx), &x, &dx, &idx, 3e-3, 3e-4, 5e-3, 0.1);
    for l in 0..m.layers() {
        let w0 = m.w[l].clone();
        let idx: Vec<usize> = (0..w0.len()).collect();
        let mut mm = m.clone();
        check_grad(&format!("mlp dW{l}"), &mut |ww| { mm.w[l].copy_from_slice(ww); loss(&mm, &x) }, &w0, &g.dw[l], &idx, 3e-3, 3e-4, 5e-3, 0.1);
        let b0 = m.b[l].clone();
        let idx: Vec<usize> = (0..b0.len()).collect();
        let mut mm = m.clone();
        check_grad(&format!("mlp db{l}"), &mut |bb| { mm.b[l].copy_from_slice(bb); loss(&mm, &x) }, &b0, &g.db[l], &idx, 3e-3, 3e-4, 5e-3, 0.1);
    }
}

#[test]
fn adam_first_step_is_lr_times_sign() {
    // Closed form: after one bias-corrected step, mhat = g and vhat = g^2, so the step is lr * g / (|g| + eps).
    let mut opt = paperlab::nn::Adam::new(0.1, &[3]);
    let mut p = [1.0f32, 2.0, 3.0];
    let g = vec![0.5f32, -2.0, 1e-3];
    opt.step(&mut [&mut p[..]], &[&g[..]]);
    let want: Vec<f32> = [1.0f32, 2.0, 3.0].iter().zip(&g).map(|(x, gg)| x - 0.1 * gg / (gg.abs() + 1e-8)).collect();
    for (a, b) in p.iter().zip(&want) {
        assert!((a - b).abs() < 1e-6, "{a} vs {b}");
    }
}
