//! Bounds through convolutions (`paperlab::labs::verify::Net`): the same conv net written as a dense MLP — its
//! Toeplitz matrices built here by plain loops from the `Conv2d` formula — gets the same IBP, CROWN and CROWN-IBP
//! bounds and the same training gradient (projected back onto the shared weights); every bound holds on 10,000
//! points sampled in the box (corners half the time) and on PGD points; full CROWN is tighter than IBP on a
//! naturally trained CNN.
#![cfg(not(target_arch = "wasm32"))] // native tests; `wasm-pack test` builds every test target for wasm32 too

use paperlab::labs::verify::{margin_bounds, pgd, robust_loss_grad, LowerSlope, Method, Net, NetGrads, Op, RobustLoss, TrainConfig};
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

/// A tiny conv net: 1x8x8 -> conv 3 (3x3, s2, p1) -> 3x4x4 -> conv 4 (2x2, s1, p0) -> 4x3x3 -> dense 12 -> dense 5.
fn tiny_ops() -> Vec<Op> {
    vec![
        Op::Conv { c: 1, h: 8, w: 8, o: 3, k: 3, stride: 2, pad: 1 },
        Op::Conv { c: 3, h: 4, w: 4, o: 4, k: 2, stride: 1, pad: 0 },
        Op::Dense { ni: 36, no: 12 },
        Op::Dense { ni: 12, no: 5 },
    ]
}

/// The Toeplitz matrix (rows (o, i, j), columns (c, y, x)) of a conv, from the formula
/// `y[o,i,j] = sum w[o,c,ki,kj] x[c, i*s+ki-p, j*s+kj-p]`, with `map[row][col]` = the weight index or None.
fn toeplitz_index(op: &Op) -> (usize, usize, Vec<Vec<(usize, usize)>>) {
    let Op::Conv { c, h, w, o, k, stride, pad } = *op else { panic!("conv expected") };
    let (oh, ow) = ((h + 2 * pad - k) / stride + 1, (w + 2 * pad - k) / stride + 1);
    let (ni, no) = (c * h * w, o * oh * ow);
    let mut rows = vec![Vec::new(); no];
    for oo in 0..o {
        for i in 0..oh {
            for j in 0..ow {
                let r = (oo * oh + i) * ow + j;
                for cc in 0..c {
                    for ki in 0..k {
                        for kj in 0..k {
                            let (y, x) = ((i * stride + ki) as isize - pad as isize, (j * stride + kj) as isize - pad as isize);
                            if y < 0 || x < 0 || y >= h as isize || x >= w as isize {
                                continue;
                            }
                            let col = (cc * h + y as usize) * w + x as usize;
                            rows[r].push((col, ((oo * c + cc) * k + ki) * k + kj));
                        }
                    }
                }
            }
        }
    }
    (ni, no, rows)
}

fn as_dense(m: &Net) -> Mlp {
    let mut dims = vec![m.inputs()];
    let (mut w, mut b) = (Vec::new(), Vec::new());
    for l in &m.layers {
        match l.op {
            Op::Dense { no, .. } => {
                dims.push(no);
                w.push(l.w.clone());
                b.push(l.b.clone());
            }
            Op::Conv { o, .. } => {
                let (ni, no, rows) = toeplitz_index(&l.op);
                dims.push(no);
                let mut mat = vec![0.0; no * ni];
                for (r, taps) in rows.iter().enumerate() {
                    for &(col, wi) in taps {
                        mat[r * ni + col] = l.w[wi];
                    }
                }
                w.push(mat);
                b.push((0..no).map(|r| l.b[r / (no / o)]).collect());
            }
        }
    }
    Mlp { dims, w, b }
}

fn close(a: f32, b: f32) -> bool {
    (a - b).abs() <= 2e-5 * (1.0 + a.abs().max(b.abs()))
}

fn assert_all_close(what: &str, got: &[f32], want: &[f32]) {
    assert_eq!(got.len(), want.len(), "{what}: lengths");
    let bad: Vec<String> = got.iter().zip(want).enumerate().filter(|(_, (a, b))| !close(**a, **b)).take(5).map(|(i, (a, b))| format!("[{i}] {a} vs {b}")).collect();
    assert!(bad.is_empty(), "{what}: first mismatches {bad:?}");
}

#[test]
fn dense_toeplitz_matches_the_conv_kernel_and_to_mlp() {
    let m = Net::new(&tiny_ops(), &mut Rng::new(5)).unwrap();
    let d = as_dense(&m);
    let mut rng = Rng::new(6);
    let x: Vec<f32> = (0..3 * 64).map(|_| rng.uniform()).collect();
    assert_all_close("logits", &paperlab::nd::into_vec(m.logits(rows(&x, 64)).unwrap()), &paperlab::nd::into_vec(d.logits(rows(&x, 64)).unwrap()));
    let via = m.to_mlp().unwrap();
    for l in 0..d.layers() {
        assert_all_close(&format!("to_mlp layer {l}"), &via.w[l], &d.w[l]);
    }
}

#[test]
fn conv_net_bounds_equal_those_of_the_same_net_written_dense() {
    for seed in 1..4u64 {
        let m = Net::new(&tiny_ops(), &mut Rng::new(seed)).unwrap();
        let d = as_dense(&m);
        let mut rng = Rng::new(seed + 10);
        let batch = 4;
        let x: Vec<f32> = (0..batch * 64).map(|_| rng.uniform()).collect();
        let y: Vec<u8> = (0..batch).map(|b| (b % 5) as u8).collect();
        for &eps in &[0.0f32, 0.02, 0.1, 0.3] {
            for method in METHODS {
                for slope in SLOPES {
                    for beta in [1.0f32, 0.4] {
                        let (lo, up) = m.margin_bounds(rows(&x, m.inputs()), &y, eps, method, beta, slope).map(vecs).unwrap();
                        let (dlo, dup) = margin_bounds(&d, rows(&x, d.inputs()), &y, eps, method, beta, slope).map(vecs).unwrap();
                        let what = format!("seed {seed} eps {eps} {method:?} {slope:?} beta {beta}");
                        assert_all_close(&format!("{what} lower"), &lo, &dlo);
                        assert_all_close(&format!("{what} upper"), &up, &dup);
                        // The lower-only pass (K specification rows instead of 2K) the verified-error counts use.
                        let lo_only = paperlab::nd::into_vec(m.margin_lower(rows(&x, m.inputs()), &y, eps, method, beta, slope).unwrap());
                        assert_all_close(&format!("{what} lower only"), &lo_only, &dlo);
                    }
                }
            }
        }
    }
}

#[test]
fn training_gradient_equals_the_dense_gradient_summed_over_shared_weights() {
    let m = Net::new(&tiny_ops(), &mut Rng::new(3)).unwrap();
    let d = as_dense(&m);
    let mut rng = Rng::new(4);
    let batch = 6;
    let x: Vec<f32> = (0..batch * 64).map(|_| rng.uniform()).collect();
    let y: Vec<u8> = (0..batch).map(|b| (b % 5) as u8).collect();
    for opt in [RobustLoss { eps: 0.1, kappa: 0.5, beta: 1.0 }, RobustLoss { eps: 0.2, kappa: 0.3, beta: 0.5 }, RobustLoss { eps: 0.1, kappa: 0.0, beta: 0.0 }, RobustLoss { eps: 0.0, kappa: 1.0, beta: 1.0 }] {
        let mut g = NetGrads::zeros(&m);
        let (l, nat, _) = m.robust_loss_grad(rows(&x, m.inputs()), &y, opt, &mut g).unwrap();
        let mut gd = MlpGrads::zeros(&d);
        let (ld, natd, _) = robust_loss_grad(&d, rows(&x, d.inputs()), &y, opt, &mut gd).unwrap();
        assert!(close(l, ld) && close(nat, natd), "{opt:?}: loss {l} vs {ld}");
        for (li, layer) in m.layers.iter().enumerate() {
            match layer.op {
                Op::Dense { .. } => {
                    assert_all_close(&format!("{opt:?} dW{li}"), &g.dw[li], &gd.dw[li]);
                    assert_all_close(&format!("{opt:?} db{li}"), &g.db[li], &gd.db[li]);
                }
                Op::Conv { o, .. } => {
                    let (ni, no, rows) = toeplitz_index(&layer.op);
                    let mut want = vec![0.0f32; layer.w.len()];
                    for (r, taps) in rows.iter().enumerate() {
                        for &(col, wi) in taps {
                            want[wi] += gd.dw[li][r * ni + col];
                        }
                    }
                    let mut wb = vec![0.0f32; o];
                    for r in 0..no {
                        wb[r / (no / o)] += gd.db[li][r];
                    }
                    let tol = |a: &[f32], b: &[f32]| a.iter().zip(b).all(|(x, y)| (x - y).abs() <= 1e-4 * (1.0 + y.abs()));
                    assert!(tol(&g.dw[li], &want), "{opt:?} conv dW{li}: {:?} vs {:?}", &g.dw[li][..4], &want[..4]);
                    assert!(tol(&g.db[li], &wb), "{opt:?} conv db{li}: {:?} vs {:?}", g.db[li], wb);
                }
            }
        }
    }
}

fn margins(m: &Net, x: &[f32], y: u8) -> Vec<f32> {
    let z = paperlab::nd::into_vec(m.logits(rows(x, x.len())).unwrap());
    z.iter().map(|&zj| z[y as usize] - zj).collect()
}

#[test]
fn bounds_hold_on_ten_thousand_sampled_points_and_on_attack_points() {
    // The lab's CNN shape (narrow) on 784 inputs.
    let m = Net::new(&Net::small_cnn_ops(4, 8, 20), &mut Rng::new(11)).unwrap();
    let mut rng = Rng::new(12);
    let x: Vec<f32> = (0..784).map(|_| if rng.uniform() < 0.2 { rng.uniform() } else { 0.0 }).collect();
    let y = 3u8;
    for &eps in &[0.01f32, 0.05] {
        let all: Vec<(Method, LowerSlope, Vec<f32>, Vec<f32>)> = METHODS
            .iter()
            .flat_map(|&me| SLOPES.iter().map(move |&sl| (me, sl)))
            .map(|(me, sl)| {
                let (lo, up) = m.margin_bounds(rows(&x, m.inputs()), &[y], eps, me, 1.0, sl).map(vecs).unwrap();
                (me, sl, lo, up)
            })
            .collect();
        let check = |xp: &[f32], what: &str| {
            let mg = margins(&m, xp, y);
            for (me, sl, lo, up) in &all {
                for j in 0..mg.len() {
                    let tol = 1e-4 * (1.0 + mg[j].abs());
                    assert!(lo[j] <= mg[j] + tol && mg[j] <= up[j] + tol, "{what} {me:?} {sl:?} eps={eps}: margin {j} = {} outside [{}, {}]", mg[j], lo[j], up[j]);
                }
            }
        };
        for _ in 0..5000 {
            let xp: Vec<f32> = x
                .iter()
                .map(|&v| {
                    let d = if rng.uniform() < 0.5 { rng.uniform_in(-eps, eps) } else if rng.uniform() < 0.5 { eps } else { -eps };
                    (v + d).clamp(0.0, 1.0)
                })
                .collect();
            check(&xp, "sampled");
        }
        for seed in 0..5 {
            for target_steps in [10, 40] {
                let (adv, _) = pgd(&m, rows(&x, m.inputs()), &[y], 0, eps, target_steps, seed).unwrap();
                assert!(adv.iter().zip(&x).all(|(a, b)| (a - b).abs() <= eps + 1e-6 && (0.0..=1.0).contains(a)), "PGD left the ball");
                check(adv.as_slice().unwrap(), "PGD");
            }
        }
    }
}

#[test]
fn crown_is_tighter_than_ibp_on_a_naturally_trained_cnn() {
    let data = paperlab::data::mnist::Mnist::load_default().unwrap();
    let idx: Vec<usize> = (0..1000).collect();
    let xtr = data.train.batch_f32(&idx);
    let cfg = TrainConfig { dims: vec![], robust: false, epochs: 1, warmup: 0, ramp: 0, train_eps: 0.0, kappa_end: 1.0, beta_end: 1.0, beta_start: 1.0, batch: 50, lr: 1e-3, lr_halve_at: vec![], seed: 1 };
    let m = Net::train(&Net::small_cnn_ops(4, 8, 32), &cfg, rows(&xtr, 784), &data.train.labels[..1000], |_, _| {}).unwrap();
    let n = 12;
    let x = data.test.batch_f32(&(0..n).collect::<Vec<_>>());
    let y = &data.test.labels[..n];
    for &eps in &[0.005f32, 0.02] {
        let width = |me: Method| {
            let (lo, up) = m.margin_bounds(rows(&x, m.inputs()), y, eps, me, 1.0, LowerSlope::Adaptive).map(vecs).unwrap();
            lo.iter().zip(&up).map(|(a, b)| (b - a) as f64).sum::<f64>()
        };
        let (wi, wc) = (width(Method::Ibp), width(Method::Crown));
        assert!(wc <= wi, "eps {eps}: CROWN width {wc} > IBP width {wi}");
        assert!(wc < 0.9 * wi, "eps {eps}: CROWN ({wc}) should be clearly tighter than IBP ({wi}) on a natural net");
    }
}

#[test]
fn bad_nets_and_files_are_errors() {
    let mut m = Net::new(&tiny_ops(), &mut Rng::new(1)).unwrap();
    let bytes = m.to_safetensors(&Default::default()).unwrap();
    let (back, _) = Net::from_safetensors(&bytes).unwrap();
    assert_eq!(back.layers.len(), 4);
    assert_eq!(back.layers[1].w, m.layers[1].w);
    assert!(Net::from_safetensors(b"nope").is_err());
    assert!(Net::new(&[Op::Dense { ni: 4, no: 3 }, Op::Dense { ni: 2, no: 2 }], &mut Rng::new(1)).is_err());
    m.layers[0].w[0] = f32::NAN;
    assert!(m.validate().is_err());
    let m = Net::new(&tiny_ops(), &mut Rng::new(1)).unwrap();
    assert!(m.margin_bounds(rows(&[0.0; 10], 10), &[0], 0.1, Method::Ibp, 1.0, LowerSlope::Adaptive).is_err());
    assert!(m.margin_bounds(rows(&[0.0; 64], 64), &[7], 0.1, Method::Ibp, 1.0, LowerSlope::Adaptive).is_err());
    assert!(m.margin_bounds(rows(&[0.0; 64], 64), &[0], 1.5, Method::Ibp, 1.0, LowerSlope::Adaptive).is_err());
}
