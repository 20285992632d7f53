//! The convolution kernel against its seven-loop twin on many shapes (odd sizes, stride > kernel, padding >= kernel,
//! 1x1, batches of 1 and 7), both algorithms, NaN-prefilled outputs; gradients against central finite differences of
//! an f64 convolution; the interval entry points against their lower/upper twin; bit-identical results on 1, 2 and 3
//! threads (feature `parallel`); errors instead of panics for bad shapes.
#![cfg(not(target_arch = "wasm32"))] // native tests; `wasm-pack test` builds every test target for wasm32 too

use crate::common::assert_close;
use paperlab::kernels::conv::{
    col2im, conv2d, conv2d_backward, conv2d_backward_naive, conv2d_backward_with, conv2d_ibp, conv2d_ibp_naive, conv2d_naive,
    conv2d_pos_neg, conv2d_transpose, conv2d_with, im2col, ConvAlgo, ConvGrads, ConvShape,
};
use paperlab::kernels::interval::{abs, pos_neg};
use paperlab::nn::Rng;

fn rv(rng: &mut Rng, n: usize) -> Vec<f32> {
    (0..n).map(|_| rng.uniform_in(-1.0, 1.0)).collect()
}

#[allow(clippy::too_many_arguments)]
fn sh(n: usize, c: usize, h: usize, w: usize, o: usize, kh: usize, kw: usize, st: (usize, usize), pad: (usize, usize)) -> ConvShape {
    ConvShape { n, c, h, w, o, kh, kw, stride: st, pad }
}

/// The shapes every comparison runs on.
fn shapes() -> Vec<ConvShape> {
    vec![
        sh(1, 1, 1, 1, 1, 1, 1, (1, 1), (0, 0)),
        sh(7, 3, 5, 5, 4, 1, 1, (1, 1), (0, 0)),  // 1x1, batch 7
        sh(2, 5, 7, 9, 3, 1, 1, (2, 3), (0, 0)),  // 1x1 with strides
        sh(1, 2, 6, 6, 3, 1, 1, (1, 1), (1, 2)),  // 1x1 with padding (padding >= kernel)
        sh(3, 3, 9, 7, 5, 3, 3, (1, 1), (1, 1)),  // 3x3 same
        sh(1, 4, 11, 13, 2, 3, 3, (2, 2), (0, 0)), // odd sizes, stride 2
        sh(7, 1, 28, 28, 4, 4, 4, (2, 2), (1, 1)), // MNIST conv 1 (fewer channels), batch 7
        sh(2, 16, 13, 13, 8, 4, 4, (1, 1), (0, 0)), // MNIST conv 2 geometry
        sh(2, 2, 10, 9, 3, 2, 2, (3, 4), (0, 1)),  // stride > kernel
        sh(1, 3, 4, 5, 2, 3, 2, (1, 2), (3, 4)),   // padding >= kernel
        sh(2, 2, 3, 3, 2, 5, 5, (1, 1), (2, 2)),   // kernel larger than the input
        sh(1, 3, 8, 6, 7, 3, 1, (2, 1), (1, 0)),   // non-square kernel
        sh(1, 40, 6, 6, 3, 3, 3, (1, 1), (1, 1)),  // many taps (im2col by the size rule)
    ]
}

fn algos() -> [ConvAlgo; 3] {
    [ConvAlgo::Auto, ConvAlgo::Direct, ConvAlgo::Im2col]
}

fn tol(s: &ConvShape) -> f32 {
    2e-6 * (s.ckk() as f32).sqrt().max(1.0)
}

#[test]
fn forward_matches_naive_on_many_shapes() {
    let mut rng = Rng::new(1);
    for s in shapes() {
        let x = rv(&mut rng, s.x_len());
        let w = rv(&mut rng, s.w_len());
        let b = rv(&mut rng, s.o);
        for bias in [Some(&b[..]), None] {
            let mut want = vec![f32::NAN; s.y_len()];
            conv2d_naive(&s, &x, &w, bias, &mut want).unwrap();
            assert!(want.iter().all(|v| v.is_finite()));
            for algo in algos() {
                let mut y = vec![f32::NAN; s.y_len()];
                conv2d_with(algo, &s, &x, &w, bias, &mut y).unwrap();
                assert_close(&format!("conv2d {algo:?} bias={} {s:?}", bias.is_some()), &y, &want, tol(&s), 1e-5);
            }
        }
    }
}

#[test]
fn forward_direct_sum_by_hand() {
    // A 1x1x3x3 input with a 2x2 kernel, stride 1, padding 0: four hand-computed outputs.
    let s = sh(1, 1, 3, 3, 1, 2, 2, (1, 1), (0, 0));
    let x = [1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 7.0, 8.0, 9.0];
    let w = [1.0, 0.0, 0.0, -1.0]; // x[i][j] - x[i+1][j+1]
    for algo in algos() {
        let mut y = vec![f32::NAN; 4];
        conv2d_with(algo, &s, &x, &w, Some(&[0.5]), &mut y).unwrap();
        assert_eq!(y, vec![-3.5, -3.5, -3.5, -3.5], "{algo:?}");
    }
    // Padding 1, stride 2 on the same input: outputs at (-1,-1), (-1,1), (1,-1), (1,1) of the padded grid.
    let s = sh(1, 1, 3, 3, 1, 2, 2, (2, 2), (1, 1));
    let mut y = vec![f32::NAN; 4];
    conv2d(&s, &x, &w, None, &mut y).unwrap();
    // tap (1,1) has weight -1, so y = -x at (0,0), (0,2), (2,0), (2,2) plus tap (0,0) on x at (1,1) for the last.
    assert_eq!(y, vec![-1.0, -3.0, -7.0, 5.0 - 9.0]);
}

#[test]
fn backward_matches_naive_on_many_shapes() {
    let mut rng = Rng::new(2);
    for s in shapes() {
        let x = rv(&mut rng, s.x_len());
        let w = rv(&mut rng, s.w_len());
        let dy = rv(&mut rng, s.y_len());
        let (mut dx0, mut dw0, mut db0) = (vec![0.0; s.x_len()], vec![0.0; s.w_len()], vec![0.0; s.o]);
        conv2d_backward_naive(&s, &x, &w, &dy, ConvGrads { dx: Some(&mut dx0), dw: Some(&mut dw0), db: Some(&mut db0) }).unwrap();
        // the weight gradient sums over N·OH·OW positions
        let tw = 2e-6 * ((s.n * s.oh() * s.ow()) as f32).sqrt().max(1.0);
        for algo in algos() {
            let (mut dx, mut dw, mut db) = (vec![f32::NAN; s.x_len()], vec![f32::NAN; s.w_len()], vec![f32::NAN; s.o]);
            conv2d_backward_with(algo, &s, &x, &w, &dy, ConvGrads { dx: Some(&mut dx), dw: Some(&mut dw), db: Some(&mut db) }).unwrap();
            assert_close(&format!("dx {algo:?} {s:?}"), &dx, &dx0, tol(&s), 1e-5);
            assert_close(&format!("dw {algo:?} {s:?}"), &dw, &dw0, tw, 1e-5);
            assert_close(&format!("db {algo:?} {s:?}"), &db, &db0, tw, 1e-5);
            // each gradient alone gives the same numbers
            let mut dx1 = vec![f32::NAN; s.x_len()];
            conv2d_backward_with(algo, &s, &[], &w, &dy, ConvGrads { dx: Some(&mut dx1), dw: None, db: None }).unwrap();
            assert_eq!(dx1, dx, "dx alone {algo:?} {s:?}");
            let mut dw1 = vec![f32::NAN; s.w_len()];
            conv2d_backward_with(algo, &s, &x, &w, &dy, ConvGrads { dx: None, dw: Some(&mut dw1), db: None }).unwrap();
            assert_eq!(dw1, dw, "dw alone {algo:?} {s:?}");
        }
    }
}

/// `L = sum r * conv(x, w, b)` in f64, from f64 inputs: the function the finite differences run on.
fn loss_f64(s: &ConvShape, x: &[f64], w: &[f64], b: &[f64], r: &[f32]) -> f64 {
    let (oh, ow) = (s.oh(), s.ow());
    let mut l = 0.0;
    for n in 0..s.n {
        for o in 0..s.o {
            for i in 0..oh {
                for j in 0..ow {
                    let mut acc = b[o];
                    for c in 0..s.c {
                        for ki in 0..s.kh {
                            for kj in 0..s.kw {
                                let ii = (i * s.stride.0 + ki) as i64 - s.pad.0 as i64;
                                let jj = (j * s.stride.1 + kj) as i64 - s.pad.1 as i64;
                                if ii >= 0 && jj >= 0 && (ii as usize) < s.h && (jj as usize) < s.w {
                                    acc += w[((o * s.c + c) * s.kh + ki) * s.kw + kj] * x[((n * s.c + c) * s.h + ii as usize) * s.w + jj as usize];
                                }
                            }
                        }
                    }
                    l += acc * r[((n * s.o + o) * oh + i) * ow + j] as f64;
                }
            }
        }
    }
    l
}

/// Central differences of [`loss_f64`] in each coordinate of `v` (step `h`), against `grad`.
fn fd_check(what: &str, grad: &[f32], v: &[f64], f: &dyn Fn(&[f64]) -> f64) {
    let h = 1e-3;
    let mut p = v.to_vec();
    let mut bad = Vec::new();
    for (i, &vi) in v.iter().enumerate() {
        p[i] = vi + h;
        let fp = f(&p);
        p[i] = vi - h;
        let fm = f(&p);
        p[i] = vi;
        let num = (fp - fm) / (2.0 * h);
        if (grad[i] as f64 - num).abs() > 1e-4 + 1e-4 * num.abs() {
            bad.push((i, grad[i], num));
        }
    }
    assert!(bad.is_empty(), "{what}: {} of {} differ from finite differences; first (index, analytic, numeric): {:?}", bad.len(), v.len(), &bad[..bad.len().min(6)]);
}

#[test]
fn gradients_match_finite_differences_in_f64() {
    let mut rng = Rng::new(3);
    let cases = [
        sh(2, 2, 7, 6, 3, 3, 2, (1, 1), (0, 0)),
        sh(2, 2, 7, 6, 3, 3, 3, (2, 1), (1, 2)),
        sh(1, 3, 5, 5, 2, 1, 1, (1, 1), (0, 0)),
        sh(3, 1, 8, 8, 2, 4, 4, (2, 2), (1, 1)),
        sh(1, 20, 4, 4, 2, 2, 2, (3, 3), (2, 2)),
    ];
    for s in cases {
        let x = rv(&mut rng, s.x_len());
        let w = rv(&mut rng, s.w_len());
        let b = rv(&mut rng, s.o);
        let r = rv(&mut rng, s.y_len());
        let f64v = |v: &[f32]| v.iter().map(|&a| a as f64).collect::<Vec<f64>>();
        let (xd, wd, bd) = (f64v(&x), f64v(&w), f64v(&b));
        for algo in algos() {
            let (mut dx, mut dw, mut db) = (vec![f32::NAN; s.x_len()], vec![f32::NAN; s.w_len()], vec![f32::NAN; s.o]);
            conv2d_backward_with(algo, &s, &x, &w, &r, ConvGrads { dx: Some(&mut dx), dw: Some(&mut dw), db: Some(&mut db) }).unwrap();
            fd_check(&format!("dx {algo:?} {s:?}"), &dx, &xd, &|v| loss_f64(&s, v, &wd, &bd, &r));
            fd_check(&format!("dw {algo:?} {s:?}"), &dw, &wd, &|v| loss_f64(&s, &xd, v, &bd, &r));
            fd_check(&format!("db {algo:?} {s:?}"), &db, &bd, &|v| loss_f64(&s, &xd, &wd, v, &r));
        }
    }
}

#[test]
fn im2col_and_col2im_are_adjoint_and_transpose_is_the_adjoint_of_conv() {
    // <im2col(x), c> == <x, col2im(c)> and <conv(x), dy> == <x, conv_transpose(dy)>, in f64.
    let mut rng = Rng::new(4);
    for s in shapes() {
        let one = ConvShape { n: 1, ..s };
        let x = rv(&mut rng, one.x_len());
        let cl = one.ckk() * one.oh() * one.ow();
        let mut cols = vec![f32::NAN; cl];
        im2col(&one, &x, &mut cols);
        let c = rv(&mut rng, cl);
        let mut back = vec![0.0; one.x_len()];
        col2im(&one, &c, &mut back);
        let dot = |a: &[f32], b: &[f32]| a.iter().zip(b).map(|(&p, &q)| p as f64 * q as f64).sum::<f64>();
        let (l, r) = (dot(&cols, &c), dot(&x, &back));
        assert!((l - r).abs() <= 1e-4 * (1.0 + l.abs()), "im2col adjoint {s:?}: {l} vs {r}");

        let x = rv(&mut rng, s.x_len());
        let w = rv(&mut rng, s.w_len());
        let dy = rv(&mut rng, s.y_len());
        let mut y = vec![f32::NAN; s.y_len()];
        conv2d(&s, &x, &w, None, &mut y).unwrap();
        let mut dx = vec![f32::NAN; s.x_len()];
        conv2d_transpose(&s, &w, &dy, &mut dx).unwrap();
        let (l, r) = (dot(&y, &dy), dot(&x, &dx));
        assert!((l - r).abs() <= 1e-4 * (1.0 + l.abs()), "conv transpose adjoint {s:?}: {l} vs {r}");
    }
}

#[test]
fn interval_propagation_matches_lower_upper_twin_and_is_sound() {
    let mut rng = Rng::new(5);
    for s in shapes() {
        let w = rv(&mut rng, s.w_len());
        let b = rv(&mut rng, s.o);
        let c = rv(&mut rng, s.x_len());
        let r: Vec<f32> = (0..s.x_len()).map(|_| rng.uniform_in(0.0, 0.3)).collect();
        let (c2, r2) = conv2d_ibp(&s, &w, &abs(&w), &b, &c, &r).unwrap();
        let (lo, hi) = conv2d_ibp_naive(&s, &w, &b, &c, &r).unwrap();
        let lo2: Vec<f32> = c2.iter().zip(&r2).map(|(a, b)| a - b).collect();
        let hi2: Vec<f32> = c2.iter().zip(&r2).map(|(a, b)| a + b).collect();
        let t = 4.0 * tol(&s);
        assert_close(&format!("ibp lower {s:?}"), &lo2, &lo, t, 1e-5);
        assert_close(&format!("ibp upper {s:?}"), &hi2, &hi, t, 1e-5);
        assert!(r2.iter().all(|&v| v >= 0.0));
        // the W+/W- form on the fast kernel
        let (wp, wn) = pos_neg(&w);
        let l: Vec<f32> = c.iter().zip(&r).map(|(a, b)| a - b).collect();
        let u: Vec<f32> = c.iter().zip(&r).map(|(a, b)| a + b).collect();
        let (lo3, hi3) = conv2d_pos_neg(&s, &wp, &wn, &b, &l, &u).unwrap();
        assert_close(&format!("pos/neg lower {s:?}"), &lo3, &lo, t, 1e-5);
        assert_close(&format!("pos/neg upper {s:?}"), &hi3, &hi, t, 1e-5);
        // sound: points of the box (corners included) land inside the bounds
        for trial in 0..4 {
            let x: Vec<f32> = c
                .iter()
                .zip(&r)
                .map(|(&cc, &rr)| match trial {
                    0 => cc - rr,
                    1 => cc + rr,
                    _ => cc + rr * rng.uniform_in(-1.0, 1.0),
                })
                .collect();
            let mut y = vec![0.0; s.y_len()];
            conv2d(&s, &x, &w, Some(&b), &mut y).unwrap();
            for (k, &v) in y.iter().enumerate() {
                assert!(v >= lo[k] - t && v <= hi[k] + t, "{s:?}: output {k} = {v} outside [{}, {}]", lo[k], hi[k]);
            }
        }
    }
}

#[test]
fn bad_shapes_are_errors_not_panics() {
    let ok = sh(2, 3, 8, 8, 4, 3, 3, (1, 1), (1, 1));
    let x = vec![0.0; ok.x_len()];
    let w = vec![0.0; ok.w_len()];
    let b = vec![0.0; ok.o];
    let mut y = vec![0.0; ok.y_len()];
    let expect = |r: paperlab::Result<()>, needle: &str| {
        let e = r.expect_err(needle);
        assert!(e.to_string().contains(needle), "'{e}' should mention '{needle}'");
    };
    expect(conv2d(&ConvShape { stride: (0, 1), ..ok }, &x, &w, Some(&b), &mut y), "stride");
    expect(conv2d(&ConvShape { kh: 0, ..ok }, &x, &w, Some(&b), &mut y), "at least 1");
    expect(conv2d(&ConvShape { c: 0, ..ok }, &x, &w, Some(&b), &mut y), "at least 1");
    expect(conv2d(&ConvShape { kh: 11, pad: (1, 1), ..ok }, &x, &w, Some(&b), &mut y), "does not fit");
    expect(conv2d(&ConvShape { pad: (usize::MAX, 0), ..ok }, &x, &w, Some(&b), &mut y), "");
    expect(conv2d(&ok, &x[1..], &w, Some(&b), &mut y), "x must have");
    expect(conv2d(&ok, &x, &w[1..], Some(&b), &mut y), "w must have");
    expect(conv2d(&ok, &x, &w, Some(&b[1..]), &mut y), "bias must have");
    expect(conv2d(&ok, &x, &w, Some(&b), &mut y[1..]), "y must have");
    expect(conv2d_naive(&ok, &x, &w, Some(&b), &mut y[1..]), "y must have");
    expect(conv2d(&ConvShape { n: usize::MAX / 4, ..ok }, &x, &w, Some(&b), &mut y), "too large");
    let dy = vec![0.0; ok.y_len()];
    let mut dw = vec![0.0; ok.w_len()];
    expect(conv2d_backward(&ok, &x, &w, &dy[1..], ConvGrads { dx: None, dw: Some(&mut dw), db: None }), "dy must have");
    expect(conv2d_backward(&ok, &[], &w, &dy, ConvGrads { dx: None, dw: Some(&mut dw), db: None }), "x must have");
    expect(conv2d_backward(&ok, &x, &w, &dy, ConvGrads { dx: None, dw: Some(&mut dw[1..]), db: None }), "dw must have");
    let mut dx = vec![0.0; ok.x_len() + 1];
    expect(conv2d_transpose(&ok, &w, &dy, &mut dx), "dx must have");
    expect(conv2d_ibp(&ok, &w, &w[1..], &b, &x, &x).map(|_| ()), "|W|");
    // A batch of 0 is fine and writes nothing.
    let empty = ConvShape { n: 0, ..ok };
    conv2d(&empty, &[], &w, Some(&b), &mut []).unwrap();
}

/// Threads change who computes an image or a batch group, never how: every result must be bit-identical on 1, 2
/// and 3 threads (batches of 1 to 64; a small batch is cut into bands of output rows and blocks of input channels).
#[cfg(feature = "parallel")]
#[test]
fn threads_are_bit_identical() {
    let cases = [
        sh(7, 3, 12, 12, 16, 3, 3, (1, 1), (1, 1)),
        sh(64, 1, 28, 28, 16, 4, 4, (2, 2), (1, 1)),
        sh(9, 16, 13, 13, 32, 4, 4, (1, 1), (0, 0)),
        sh(1, 64, 28, 28, 64, 3, 3, (1, 1), (1, 1)),
        sh(5, 32, 10, 10, 32, 1, 1, (1, 1), (0, 0)),
        // small batches above the conv's parallel cut: output bands, channel blocks of dx and of dw
        sh(2, 64, 14, 14, 64, 1, 1, (1, 1), (0, 0)),
        sh(2, 16, 14, 14, 32, 4, 4, (1, 1), (1, 1)),
        sh(3, 40, 23, 19, 24, 3, 3, (2, 1), (1, 1)),
    ];
    let mut rng = Rng::new(6);
    let inputs: Vec<_> = cases.iter().map(|s| (rv(&mut rng, s.x_len()), rv(&mut rng, s.w_len()), rv(&mut rng, s.o), rv(&mut rng, s.y_len()))).collect();
    let run = |threads: usize| -> Vec<Vec<f32>> {
        let pool = rayon::ThreadPoolBuilder::new().num_threads(threads).build().unwrap();
        pool.install(|| {
            assert_eq!(paperlab::par::threads(), threads);
            let mut out = Vec::new();
            for (s, (x, w, b, dy)) in cases.iter().zip(&inputs) {
                for algo in algos() {
                    let mut y = vec![f32::NAN; s.y_len()];
                    conv2d_with(algo, s, x, w, Some(b), &mut y).unwrap();
                    let (mut dx, mut dw, mut db) = (vec![f32::NAN; s.x_len()], vec![f32::NAN; s.w_len()], vec![f32::NAN; s.o]);
                    conv2d_backward_with(algo, s, x, w, dy, ConvGrads { dx: Some(&mut dx), dw: Some(&mut dw), db: Some(&mut db) }).unwrap();
                    out.extend([y, dx, dw, db]);
                }
            }
            out
        })
    };
    let one = run(1);
    // the 1-thread results against the twin, so "identical" is not identical-but-wrong
    for (s, (x, w, b, _)) in cases.iter().zip(&inputs) {
        let mut want = vec![0.0; s.y_len()];
        conv2d_naive(s, x, w, Some(b), &mut want).unwrap();
        let mut y = vec![0.0; s.y_len()];
        conv2d(s, x, w, Some(b), &mut y).unwrap();
        assert_close(&format!("{s:?}"), &y, &want, tol(s), 1e-5);
    }
    for threads in [2, 3] {
        let many = run(threads);
        for (i, (a, b)) in one.iter().zip(&many).enumerate() {
            assert!(a.iter().zip(b).all(|(p, q)| p.to_bits() == q.to_bits()), "result {i} differs on {threads} threads");
        }
    }
}
