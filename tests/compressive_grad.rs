//! Compressive Transformer: every backward against central finite differences (layer norm, attention over
//! [cm; m; h] with relative-position biases, the learned compression functions, the whole language model), the
//! compression functions against brute force, and the gradient separation of sec. 3.2 in both directions.
#![cfg(not(target_arch = "wasm32"))] // native tests; `wasm-pack test` builds every test target for wasm32 too

use crate::common::check_grad;
use paperlab::labs::compressive::train::{TrainConfig, Trainer};
use paperlab::labs::compressive::{
    ae_reconstruction, attention_backward, attention_forward, compress_backward, compress_forward, layernorm_backward, layernorm_forward,
    most_used, AttnCache, Compression, Config, FcLoss, Memory, Model,
};
use ndarray::{aview1, ArrayView2, ArrayViewMut1, ArrayViewMut2};
use paperlab::nn::Rng;

// The oracles here work on flat vectors; these call the public ndarray functions with the shapes spelled out.
fn v2<'a>(x: &'a [f32], cols: usize) -> ArrayView2<'a, f32> {
    ArrayView2::from_shape((x.len() / cols, cols), x).unwrap()
}

fn m2<'a>(x: &'a mut [f32], cols: usize) -> ArrayViewMut2<'a, f32> {
    let rows = x.len() / cols;
    ArrayViewMut2::from_shape((rows, cols), x).unwrap()
}

fn flat(a: ndarray::Array2<f32>) -> Vec<f32> {
    a.iter().copied().collect()
}

fn ln_fwd(x: &[f32], g: &[f32], b: &[f32]) -> (Vec<f32>, Vec<f32>, Vec<f32>) {
    let (y, xh, rs) = layernorm_forward(v2(x, g.len()), aview1(g), aview1(b)).unwrap();
    (flat(y), flat(xh), rs.to_vec())
}

fn ln_bwd(dy: &[f32], xhat: &[f32], rstd: &[f32], g: &[f32], dg: &mut [f32], db: &mut [f32]) -> Vec<f32> {
    let d = g.len();
    flat(layernorm_backward(v2(dy, d), v2(xhat, d), aview1(rstd), aview1(g), ArrayViewMut1::from(dg), ArrayViewMut1::from(db)).unwrap())
}

#[allow(clippy::too_many_arguments)]
fn attn_fwd(z: &[f32], s: usize, t: usize, heads: usize, wq: &[f32], wk: &[f32], wv: &[f32], wo: &[f32], rel: &[f32]) -> paperlab::Result<(Vec<f32>, AttnCache)> {
    let d = z.len() / s;
    let (o, c) = attention_forward(v2(z, d), t, [v2(wq, d), v2(wk, d), v2(wv, d), v2(wo, d)], v2(rel, rel.len() / heads))?;
    Ok((flat(o), c))
}

#[allow(clippy::too_many_arguments)]
fn attn_bwd(dout: &[f32], c: &AttnCache, z: &[f32], s: usize, _t: usize, heads: usize, w: [&[f32]; 4], dw: [&mut [f32]; 4], drel: &mut [f32]) -> paperlab::Result<Vec<f32>> {
    let d = z.len() / s;
    let r = drel.len() / heads;
    let [a, b, e, f] = dw;
    let dz = attention_backward(v2(dout, d), c, v2(z, d), w.map(|m| v2(m, d)), [m2(a, d), m2(b, d), m2(e, d), m2(f, d)], m2(drel, r))?;
    Ok(flat(dz))
}

fn comp_fwd(func: Compression, c: usize, d: usize, old: &[f32], usage: &[f32], fc: &[Vec<f32>]) -> paperlab::Result<Vec<f32>> {
    Ok(flat(compress_forward(func, c, v2(old, d), aview1(usage), fc)?))
}

fn comp_bwd(func: Compression, c: usize, d: usize, dy: &[f32], old: &[f32], fc: &[Vec<f32>], dfc: &mut [Vec<f32>]) -> paperlab::Result<()> {
    compress_backward(func, c, v2(dy, d), v2(old, d), fc, dfc)
}

fn ae_rec(d: usize, old: &[f32], cm: &[f32], w: &[f32], b: &[f32], dw: &mut [f32], db: &mut [f32]) -> paperlab::Result<(f32, Vec<f32>)> {
    let (l, dcm) = ae_reconstruction(v2(old, d), v2(cm, d), v2(w, d), aview1(b), m2(dw, d), ArrayViewMut1::from(db))?;
    Ok((l, flat(dcm)))
}

fn rv(rng: &mut Rng, n: usize, s: f32) -> Vec<f32> {
    (0..n).map(|_| s * rng.uniform_in(-1.0, 1.0)).collect()
}

fn proj(y: &[f32], r: &[f32]) -> f64 {
    y.iter().zip(r).map(|(a, b)| *a as f64 * *b as f64).sum()
}

fn all(n: usize) -> Vec<usize> {
    (0..n).collect()
}

#[test]
fn layernorm_backward_matches_fd() {
    let mut rng = Rng::new(1);
    let (n, d) = (4, 7);
    let x = rv(&mut rng, n * d, 2.0);
    let g = rv(&mut rng, d, 1.5);
    let b = rv(&mut rng, d, 0.5);
    let r = rv(&mut rng, n * d, 1.0);
    let (_, xh, rs) = ln_fwd(&x, &g, &b);
    let (mut dg, mut db) = (vec![0.0; d], vec![0.0; d]);
    let dx = ln_bwd(&r, &xh, &rs, &g, &mut dg, &mut db);
    check_grad("ln dx", &mut |v| proj(&ln_fwd(v, &g, &b).0, &r), &x, &dx, &all(x.len()), 1e-2, 1e-3, 1e-3, 0.0);
    check_grad("ln dg", &mut |v| proj(&ln_fwd(&x, v, &b).0, &r), &g, &dg, &all(d), 1e-2, 1e-3, 1e-3, 0.0);
    check_grad("ln db", &mut |v| proj(&ln_fwd(&x, &g, v).0, &r), &b, &db, &all(d), 1e-2, 1e-3, 1e-3, 0.0);
    // closed form: each output row has mean b-mean... with g = 1, b = 0 it has mean 0 and variance ~1
    let (y, _, _) = ln_fwd(&x, &vec![1.0; d], &vec![0.0; d]);
    for row in y.chunks(d) {
        let m: f32 = row.iter().sum::<f32>() / d as f32;
        let v: f32 = row.iter().map(|a| (a - m) * (a - m)).sum::<f32>() / d as f32;
        assert!(m.abs() < 1e-5 && (v - 1.0).abs() < 1e-3, "mean {m} var {v}");
    }
}

#[test]
fn attention_backward_matches_fd_with_memory() {
    let mut rng = Rng::new(2);
    // 3 compressed + 4 memory rows before a segment of 5: P = 7, S = 12; R = 14 > S.
    let (s, t, d, heads, r) = (12, 5, 8, 2, 14);
    let z = rv(&mut rng, s * d, 1.0);
    let w: Vec<Vec<f32>> = (0..4).map(|_| rv(&mut rng, d * d, 0.6)).collect();
    let rel = rv(&mut rng, heads * r, 0.8);
    let rr = rv(&mut rng, t * d, 1.0);
    let (_, cache) = attn_fwd(&z, s, t, heads, &w[0], &w[1], &w[2], &w[3], &rel).unwrap();
    // causal mask: probabilities vanish beyond P + i and rows sum to 1
    for h in 0..heads {
        for i in 0..t {
            let row = &cache.a[(h * t + i) * s..(h * t + i + 1) * s];
            assert!(row[7 + i + 1..].iter().all(|&x| x == 0.0));
            assert!((row.iter().sum::<f32>() - 1.0).abs() < 1e-5);
        }
    }
    let mut dw: Vec<Vec<f32>> = (0..4).map(|_| vec![0.0; d * d]).collect();
    let mut drel = vec![0.0; heads * r];
    let dz = {
        let [a, b, c, e] = &mut dw[..] else { unreachable!() };
        attn_bwd(&rr, &cache, &z, s, t, heads, [&w[0], &w[1], &w[2], &w[3]], [a, b, c, e], &mut drel).unwrap()
    };
    let f = |z: &[f32], w: &[Vec<f32>], rel: &[f32]| proj(&attn_fwd(z, s, t, heads, &w[0], &w[1], &w[2], &w[3], rel).unwrap().0, &rr);
    check_grad("attn dz", &mut |v| f(v, &w, &rel), &z, &dz, &all(z.len()), 1e-2, 2e-3, 2e-3, 0.0);
    for k in 0..4 {
        let name = ["dWq", "dWk", "dWv", "dWo"][k];
        check_grad(name, &mut |v| { let mut ww = w.clone(); ww[k].copy_from_slice(v); f(&z, &ww, &rel) }, &w[k], &dw[k], &all(d * d), 1e-2, 2e-3, 2e-3, 0.0);
    }
    check_grad("attn drel", &mut |v| f(&z, &w, v), &rel, &drel, &all(rel.len()), 1e-2, 2e-3, 2e-3, 0.0);
    // offsets beyond the window never get a gradient
    for h in 0..heads {
        assert!(drel[h * r + s..(h + 1) * r].iter().all(|&x| x == 0.0));
    }
}

#[test]
fn compression_functions_match_brute_force_and_fd() {
    let mut rng = Rng::new(3);
    let (d, c, g) = (5, 3, 4);
    let old = rv(&mut rng, g * c * d, 1.0);
    let usage: Vec<f32> = (0..g * c).map(|i| ((i * 7) % 5) as f32).collect();
    let row = |i: usize| &old[i * d..(i + 1) * d];
    // pooling by hand
    let mx = comp_fwd(Compression::Max, c, d, &old, &usage, &[]).unwrap();
    let mn = comp_fwd(Compression::Mean, c, d, &old, &usage, &[]).unwrap();
    for gi in 0..g {
        for j in 0..d {
            let vals: Vec<f32> = (0..c).map(|t| row(gi * c + t)[j]).collect();
            assert_eq!(mx[gi * d + j], vals.iter().cloned().fold(f32::MIN, f32::max));
            assert!((mn[gi * d + j] - vals.iter().sum::<f32>() / c as f32).abs() < 1e-6);
        }
    }
    // most-used: usage (i*7)%5 over 12 rows = 0,2,4,1,3,0,2,4,1,3,0,2 -> the 4 largest are rows 2, 4, 7, 9 (4,3,4,3)
    assert_eq!(most_used(&usage, g * c, g), vec![2, 4, 7, 9]);
    let mu = comp_fwd(Compression::MostUsed, c, d, &old, &usage, &[]).unwrap();
    assert_eq!(&mu[..d], row(2));
    assert_eq!(&mu[3 * d..], row(9));
    // conv (kernel = stride = c): one output is W . concat(group) + b, by explicit sums
    let fc = vec![rv(&mut rng, d * c * d, 0.5), rv(&mut rng, d, 0.5)];
    let y = comp_fwd(Compression::Conv, c, d, &old, &usage, &fc).unwrap();
    for gi in 0..g {
        for o in 0..d {
            let mut s = fc[1][o];
            for t in 0..c {
                for j in 0..d {
                    s += fc[0][o * c * d + t * d + j] * row(gi * c + t)[j];
                }
            }
            assert!((y[gi * d + o] - s).abs() < 1e-5);
        }
    }
    // dilated (kernel 2, dilation floor(c/2) = 1, outputs (0,1), (1,2) averaged)
    let fd = vec![rv(&mut rng, d * d, 0.5), rv(&mut rng, d * d, 0.5), rv(&mut rng, d, 0.5)];
    let y = comp_fwd(Compression::Dilated, c, d, &old, &usage, &fd).unwrap();
    for gi in 0..g {
        for o in 0..d {
            let mut s = fd[2][o];
            for (t0, t1) in [(0, 1), (1, 2)] {
                for j in 0..d {
                    s += 0.5 * (fd[0][o * d + j] * row(gi * c + t0)[j] + fd[1][o * d + j] * row(gi * c + t1)[j]);
                }
            }
            assert!((y[gi * d + o] - s).abs() < 1e-5);
        }
    }
    // parameter gradients against finite differences
    let r = rv(&mut rng, g * d, 1.0);
    for (func, p) in [(Compression::Conv, fc), (Compression::Dilated, fd)] {
        let mut dp: Vec<Vec<f32>> = p.iter().map(|v| vec![0.0; v.len()]).collect();
        comp_bwd(func, c, d, &r, &old, &p, &mut dp).unwrap();
        for k in 0..p.len() {
            check_grad(&format!("{} param {k}", func.name()), &mut |v| { let mut pp = p.clone(); pp[k].copy_from_slice(v); proj(&comp_fwd(func, c, d, &old, &usage, &pp).unwrap(), &r) }, &p[k], &dp[k], &all(p[k].len()), 1e-2, 1e-3, 1e-3, 0.0);
        }
    }
}

fn tiny(func: Compression, rate: usize) -> Config {
    Config { vocab: 11, d: 8, heads: 2, ff: 12, layers: 2, seg: 5, mem: 4, cmem: 3, rate, func, fc_loss: FcLoss::Attention }
}

fn toks(n: usize, k: usize) -> Vec<u8> {
    (0..n).map(|i| ((i * 7 + k * 3 + i * i) % 11) as u8).collect()
}

/// A model with non-trivial layer-norm gains, biases and relative biases, and a memory filled by `warm` segments
/// (so both m and cm are in use).
fn warmed(func: Compression, rate: usize, warm: usize) -> (Model, Memory) {
    warmed_cfg(tiny(func, rate), warm)
}

fn warmed_cfg(cfg: Config, warm: usize) -> (Model, Memory) {
    let mut m = Model::new(cfg, 5).unwrap();
    let mut rng = Rng::new(77);
    for l in &mut m.p.layers {
        for t in l.tensors_mut() {
            t.iter_mut().for_each(|x| *x += 0.2 * rng.uniform_in(-1.0, 1.0));
        }
    }
    let mut mem = Memory::new(&m.cfg);
    for k in 0..warm {
        let x = toks(6, k);
        m.segment(&mut mem, &x[..5], &x[1..], false, false).unwrap();
    }
    (m, mem)
}

#[test]
fn language_model_gradient_matches_fd_with_memory_held_fixed() {
    for (func, rate) in [(Compression::Conv, 2), (Compression::Max, 3)] {
        let (m, mem) = warmed(func, rate, 4);
        let (nm, ncm) = mem.rows(0, 8);
        assert!(nm > 0 && ncm > 0, "memory in use: m {nm}, cm {ncm}");
        let x = toks(6, 9);
        let out = m.segment(&mut mem.clone(), &x[..5], &x[1..], true, false).unwrap();
        let g = out.grads.unwrap();
        let loss = |mm: &Model| {
            let o = mm.segment(&mut mem.clone(), &x[..5], &x[1..], false, false).unwrap();
            o.losses.iter().map(|&v| v as f64).sum::<f64>() / 5.0
        };
        let names = paperlab::labs::compressive::Tensors::names(&m.cfg);
        let grads = g.lm.lm();
        for (ti, (name, _)) in names.iter().enumerate().take(grads.len()) {
            let p0 = m.p.lm()[ti].clone();
            // at most 24 coordinates per tensor, spread over it
            let step = (p0.len() / 24).max(1);
            let idx: Vec<usize> = (0..p0.len()).step_by(step).collect();
            let mut mm = m.clone();
            check_grad(name, &mut |v| { mm.p.lm_mut()[ti].copy_from_slice(v); loss(&mm) }, &p0, grads[ti], &idx, 4e-3, 1e-3, 1e-2, 0.1);
        }
    }
}

#[test]
fn lm_loss_does_not_reach_fc_and_reconstruction_loss_reaches_only_fc() {
    for (func, loss) in [(Compression::Conv, FcLoss::Attention), (Compression::Dilated, FcLoss::Attention), (Compression::Conv, FcLoss::Autoencoder), (Compression::Dilated, FcLoss::Autoencoder)] {
        // From an empty memory: segments 1-2 fill m, segment 3 compresses (cm used from segment 4 on).
        let (mut m, mem) = warmed_cfg(Config { fc_loss: loss, ..tiny(func, 2) }, 3);
        // (the autoencoder's decoder starts as [I; I]: move it off its start so every entry matters)
        let mut rng = Rng::new(9);
        if loss == FcLoss::Autoencoder {
            m.p.fc.iter_mut().flat_map(|l| l.iter_mut().rev().take(2)).flat_map(|t| t.iter_mut()).for_each(|v| *v += 0.2 * rng.uniform_in(-1.0, 1.0));
        }
        assert!(mem.rows(0, 8).1 > 0);
        let x = toks(6, 11);
        let out = m.segment(&mut mem.clone(), &x[..5], &x[1..], true, false).unwrap();
        let g = out.grads.unwrap();
        // (1) The LM gradient has no f_c part...
        assert!(g.lm.fc().iter().all(|t| t.iter().all(|&v| v == 0.0)), "LM gradient reached f_c");
        // ...although the LM loss of a later segment does depend on f_c (through the compressed memories): the
        // separation is a stop-gradient, not an absence of influence. Perturbing f_c before compression changes it.
        let later = |mm: &Model| {
            let mut me = Memory::new(&mm.cfg);
            let mut l = 0.0;
            for k in 0..5 {
                let y = toks(6, k);
                l = mm.segment(&mut me, &y[..5], &y[1..], false, false).unwrap().losses.iter().map(|&v| v as f64).sum::<f64>();
            }
            l
        };
        let mut m2 = m.clone();
        // (a random perturbation: a constant one would shift every row by a multiple of 1, which LN1 removes)
        let mut rng = Rng::new(4);
        m2.p.fc[0][0].iter_mut().for_each(|v| *v += 0.3 * rng.uniform_in(-1.0, 1.0));
        assert!((later(&m2) - later(&m)).abs() > 1e-4, "f_c has no influence; the test proves nothing");
        // (2) The reconstruction gradient has no LM part and is non-zero on f_c...
        assert!(g.fc.lm().iter().all(|t| t.iter().all(|&v| v == 0.0)), "reconstruction gradient reached the LM");
        assert!(out.attn_loss > 0.0);
        assert!(g.fc.fc().iter().any(|t| t.iter().any(|&v| v != 0.0)));
        // ...and matches finite differences of the reconstruction loss in f_c's parameters.
        let rec = |mm: &Model| mm.segment(&mut mem.clone(), &x[..5], &x[1..], true, false).unwrap().attn_loss as f64;
        let gf = g.fc.fc();
        for k in 0..gf.len() {
            let p0 = m.p.fc()[k].clone();
            let idx: Vec<usize> = (0..p0.len()).step_by((p0.len() / 30).max(1)).collect();
            let mut mm = m.clone();
            check_grad(&format!("{} {} f_c {k}", func.name(), loss.name()), &mut |v| { mm.p.fc_mut()[k].copy_from_slice(v); rec(&mm) }, &p0, gf[k], &idx, 1e-2, 2e-5, 2e-2, 0.1);
        }
        if loss == FcLoss::Attention {
            // The reconstruction loss does depend on the layer's projections (queries, keys), which are held fixed.
            let mut m3 = m.clone();
            m3.p.layers[0].wk.iter_mut().for_each(|v| *v *= 1.5);
            assert!((rec(&m3) - rec(&m)).abs() > 1e-7, "L_attn ignores Wk; the test proves nothing");
        }
    }
}

#[test]
fn optimiser_updates_respect_the_separation() {
    let text: Vec<u8> = (0..600).map(|i| ((i * 13 + i / 7) % 11) as u8).collect();
    let base = Model::new(tiny(Compression::Conv, 2), 3).unwrap();
    let run = |lr: f32, fc_lr: f32| {
        let cfg = TrainConfig { batch: 2, steps: 6, lr, fc_lr, warmup: 1, clip: 1.0, seed: 1 };
        let mut tr = Trainer::new(base.clone(), text.clone(), cfg).unwrap();
        for _ in 0..6 {
            tr.step().unwrap();
        }
        tr.model
    };
    let changed = |a: &[&Vec<f32>], b: &[&Vec<f32>]| a.iter().zip(b).any(|(x, y)| x != y);
    // LM learning rate only: f_c untouched, the LM moves.
    let m = run(1e-2, 0.0);
    assert!(!changed(&m.p.fc(), &base.p.fc()), "f_c moved without its own step size");
    assert!(changed(&m.p.lm(), &base.p.lm()));
    // f_c learning rate only: the LM untouched, f_c moves.
    let m = run(0.0, 1e-2);
    assert!(!changed(&m.p.lm(), &base.p.lm()), "the LM moved on the reconstruction loss");
    assert!(changed(&m.p.fc(), &base.p.fc()));
}

#[test]
fn autoencoding_loss_matches_closed_form_and_fd() {
    let mut rng = Rng::new(12);
    let (d, c, g) = (4, 3, 5);
    let old = rv(&mut rng, g * c * d, 1.0);
    // Closed form: with the decoder at its start ([I; I; I], b = 0) and cm the group means, the loss is the mean
    // squared deviation of every row from its group's mean.
    let mean = comp_fwd(Compression::Mean, c, d, &old, &[], &[]).unwrap();
    let mut w0 = vec![0.0; c * d * d];
    for t in 0..c {
        for o in 0..d {
            w0[(t * d + o) * d + o] = 1.0;
        }
    }
    let (mut dw, mut db) = (vec![0.0; c * d * d], vec![0.0; c * d]);
    let (l, _) = ae_rec(d, &old, &mean, &w0, &vec![0.0; c * d], &mut dw, &mut db).unwrap();
    let mut want = 0.0f64;
    for gi in 0..g {
        for t in 0..c {
            for j in 0..d {
                let x = (old[(gi * c + t) * d + j] - mean[gi * d + j]) as f64;
                want += x * x;
            }
        }
    }
    want /= (g * c * d) as f64;
    assert!((l as f64 - want).abs() < 1e-6, "L_ae {l} vs closed form {want}");
    // Gradients in cm, W and b against finite differences at a random point.
    let cm = rv(&mut rng, g * d, 1.0);
    let w = rv(&mut rng, c * d * d, 0.5);
    let b = rv(&mut rng, c * d, 0.5);
    let (mut dw, mut db) = (vec![0.0; w.len()], vec![0.0; b.len()]);
    let (_, dcm) = ae_rec(d, &old, &cm, &w, &b, &mut dw, &mut db).unwrap();
    let f = |cm: &[f32], w: &[f32], b: &[f32]| {
        let (mut a, mut e) = (vec![0.0; w.len()], vec![0.0; b.len()]);
        ae_rec(d, &old, cm, w, b, &mut a, &mut e).unwrap().0 as f64
    };
    check_grad("ae dcm", &mut |v| f(v, &w, &b), &cm, &dcm, &all(cm.len()), 1e-2, 1e-3, 1e-3, 0.0);
    check_grad("ae dW", &mut |v| f(&cm, v, &b), &w, &dw, &all(w.len()), 1e-2, 1e-3, 1e-3, 0.0);
    check_grad("ae db", &mut |v| f(&cm, &w, v), &b, &db, &all(b.len()), 1e-2, 1e-3, 1e-3, 0.0);
    // Shapes that do not fit are errors.
    assert!(ae_rec(d, &old[..d], &cm, &w, &b, &mut dw, &mut db).is_err());
}

#[test]
fn without_an_fc_loss_fc_keeps_its_initialisation() {
    let text: Vec<u8> = (0..600).map(|i| ((i * 13 + i / 7) % 11) as u8).collect();
    for (loss, moves) in [(FcLoss::None, false), (FcLoss::Autoencoder, true), (FcLoss::Attention, true)] {
        let base = Model::new(Config { fc_loss: loss, ..tiny(Compression::Conv, 2) }, 3).unwrap();
        let cfg = TrainConfig { batch: 2, steps: 6, lr: 1e-2, fc_lr: 1e-2, warmup: 1, clip: 1.0, seed: 1 };
        let mut tr = Trainer::new(base.clone(), text.clone(), cfg).unwrap();
        let mut fc_loss = 0.0;
        for _ in 0..6 {
            fc_loss += tr.step().unwrap().attn_loss;
        }
        let changed = tr.model.p.fc().iter().zip(base.p.fc()).any(|(x, y)| *x != y);
        assert_eq!(changed, moves, "{}: f_c moved {changed}", loss.name());
        assert_eq!(fc_loss > 0.0, moves, "{}: f_c loss {fc_loss}", loss.name());
        assert!(tr.model.p.lm().iter().zip(base.p.lm()).any(|(x, y)| *x != y), "{}: the LM trains", loss.name());
    }
    // The decoder is a file tensor of the autoencoder model only; the others keep their names.
    let names = |loss| paperlab::labs::compressive::Tensors::names(&Config { fc_loss: loss, ..tiny(Compression::Conv, 2) });
    assert_eq!(names(FcLoss::Autoencoder).len(), names(FcLoss::Attention).len() + 4);
    assert_eq!(names(FcLoss::None), names(FcLoss::Attention));
}
