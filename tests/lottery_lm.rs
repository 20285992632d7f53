//! The language setting: the LSTM's backward against central finite differences (every weight, bias and input),
//! the character LM's gradient (embedding included) against finite differences, and a tiny IMP run with and
//! without pruning the embedding.

use crate::common::check_grad;
use ndarray::{aview1, ArrayView2, ArrayView3, ArrayViewMut1, ArrayViewMut2};
use paperlab::labs::lottery::text::{LmConfig, TextTask};
use paperlab::labs::lottery::{Imp, ImpConfig, Mode};
use paperlab::nn::lstm::{lstm_backward, lstm_forward, LstmCache, LstmDims};
use paperlab::nn::prune::survivors;
use paperlab::nn::Rng;

fn rv(rng: &mut Rng, n: usize, s: f32) -> Vec<f32> {
    (0..n).map(|_| s * rng.uniform_in(-1.0, 1.0)).collect()
}

fn proj(y: &[f32], r: &[f32]) -> f64 {
    y.iter().zip(r).map(|(a, b)| *a as f64 * *b as f64).sum()
}

/// `lstm_forward` on flat buffers with the sizes of `d`; returns the hidden states flat (T*B*H) and the cache.
fn fwd(x: &[f32], wi: &[f32], wh: &[f32], b: &[f32], d: LstmDims) -> (Vec<f32>, LstmCache) {
    let g = 4 * d.h;
    let (hs, c) = lstm_forward(
        ArrayView3::from_shape((d.t, d.b, d.e), x).unwrap(),
        ArrayView2::from_shape((g, d.e), wi).unwrap(),
        ArrayView2::from_shape((g, d.h), wh).unwrap(),
        aview1(b),
    )
    .unwrap();
    (hs.iter().copied().collect(), c)
}

#[test]
fn lstm_backward_matches_finite_differences() {
    let mut rng = Rng::new(3);
    let d = LstmDims { t: 5, b: 3, e: 4, h: 6 };
    let g = 4 * d.h;
    let x = rv(&mut rng, d.t * d.b * d.e, 1.0);
    let w_ih = rv(&mut rng, g * d.e, 0.6);
    let w_hh = rv(&mut rng, g * d.h, 0.6);
    let bias = rv(&mut rng, g, 0.5);
    // L = sum r * h over every step, so every step's hidden state receives a gradient.
    let r = rv(&mut rng, d.t * d.b * d.h, 1.0);
    let (_, cache) = fwd(&x, &w_ih, &w_hh, &bias, d);
    let (mut dwi, mut dwh, mut db) = (vec![0.0; w_ih.len()], vec![0.0; w_hh.len()], vec![0.0; g]);
    let dx: Vec<f32> = lstm_backward(
        ArrayView3::from_shape((d.t, d.b, d.h), &r).unwrap(),
        &cache,
        ArrayView2::from_shape((g, d.e), &w_ih).unwrap(),
        ArrayView2::from_shape((g, d.h), &w_hh).unwrap(),
        ArrayViewMut2::from_shape((g, d.e), &mut dwi).unwrap(),
        ArrayViewMut2::from_shape((g, d.h), &mut dwh).unwrap(),
        ArrayViewMut1::from(&mut db[..]),
    )
    .unwrap()
    .iter()
    .copied()
    .collect();
    let all = |n: usize| (0..n).collect::<Vec<_>>();
    let f = |x: &[f32], wi: &[f32], wh: &[f32], b: &[f32]| proj(&fwd(x, wi, wh, b, d).0, &r);
    check_grad("lstm dx", &mut |v| f(v, &w_ih, &w_hh, &bias), &x, &dx, &all(x.len()), 1e-2, 2e-3, 2e-3, 0.0);
    check_grad("lstm dW_ih", &mut |v| f(&x, v, &w_hh, &bias), &w_ih, &dwi, &all(w_ih.len()), 1e-2, 2e-3, 2e-3, 0.0);
    check_grad("lstm dW_hh", &mut |v| f(&x, &w_ih, v, &bias), &w_hh, &dwh, &all(w_hh.len()), 1e-2, 2e-3, 2e-3, 0.0);
    check_grad("lstm dbias", &mut |v| f(&x, &w_ih, &w_hh, v), &bias, &db, &all(g), 1e-2, 2e-3, 2e-3, 0.0);
    // A single step has no recurrence: h = o tanh(i g) from the bias alone when x = 0.
    let d1 = LstmDims { t: 1, b: 1, e: 1, h: 1 };
    let (h1, _) = fwd(&[0.0], &[0.0; 4], &[0.0; 4], &[0.0, 0.0, 1.0, 0.0], d1);
    let want = 0.5 * (0.5 * 1.0f32.tanh()).tanh();
    assert!((h1[0] - want).abs() < 1e-7, "{} vs {want}", h1[0]);
}

fn tiny_text() -> Vec<u8> {
    let base = b"call me ishmael. some years ago--never mind how long precisely--having little or no money.\n";
    base.iter().cycle().take(1200).copied().collect()
}

#[test]
fn language_model_gradient_matches_finite_differences() {
    let cfg = LmConfig { e: 5, h: 7, batch: 2, seq: 6, train_chars: 900 };
    let mut task = TextTask::from_text(&tiny_text(), cfg, 1).unwrap();
    task.p = paperlab::labs::lottery::Task::init_params(&task, 9);
    let v = task.v();
    let inp: Vec<u8> = (0..12).map(|i| ((i * 5) % v) as u8).collect();
    let tgt: Vec<u8> = (0..12).map(|i| ((i * 3 + 1) % v) as u8).collect();
    let (inp2, tgt2) = (ArrayView2::from_shape((6, 2), &inp).unwrap(), ArrayView2::from_shape((6, 2), &tgt).unwrap());
    let (_, g) = task.loss(inp2, tgt2, true).unwrap();
    let g = g.unwrap();
    for t in 0..6 {
        let n = task.p[t].len();
        let idx: Vec<usize> = if n > 60 { (0..n).step_by(n / 60).collect() } else { (0..n).collect() };
        let base = task.clone();
        check_grad(&format!("LM parameter {t}"), &mut |w| {
            let mut tt = base.clone();
            tt.p[t] = w.to_vec();
            tt.loss(inp2, tgt2, false).unwrap().0 as f64
        }, &task.p[t], &g[t], &idx, 1e-2, 2e-4, 2e-3, 0.0);
    }
    // Embedding rows of characters that never occur in the input get no gradient.
    let used: std::collections::HashSet<u8> = inp.iter().copied().collect();
    for c in 0..v {
        if !used.contains(&(c as u8)) {
            assert!(g[0][c * 5..(c + 1) * 5].iter().all(|x| *x == 0.0));
        }
    }
}

#[test]
fn tiny_language_imp_with_and_without_the_embedding() {
    let cfg = LmConfig { e: 4, h: 8, batch: 2, seq: 8, train_chars: 900 };
    let mut levels = Vec::new();
    for prune_embedding in [true, false] {
        let task = TextTask::from_text(&tiny_text(), cfg.clone(), 2).unwrap();
        let v = task.v();
        let imp_cfg = ImpConfig { iters: 3, eval_every: 3, target: 0.7, lr: 1e-2, seed: 2, mode: Mode::Ticket, prune_embedding, ..Default::default() };
        let mut imp = Imp::new(task, imp_cfg).unwrap();
        imp.run(|_| {}).unwrap();
        let sizes = [v * 4, 32 * 4, 32 * 8, v * 8];
        for r in imp.results() {
            let l = r.level;
            let emb = if prune_embedding { survivors(sizes[0], 0.2, l) } else { sizes[0] };
            assert_eq!(r.counts, vec![emb, survivors(sizes[1], 0.2, l), survivors(sizes[2], 0.2, l), survivors(sizes[3], 0.1, l)]);
            assert!(r.metric_final > 0.5 && r.metric_final < 10.0, "bits per character {}", r.metric_final);
        }
        let last = imp.results().last().unwrap();
        // The target applies to the pruned tensors: the embedding left dense does not change the rounds.
        let pruned: usize = last.counts.iter().skip(if prune_embedding { 0 } else { 1 }).sum();
        let all: usize = sizes.iter().skip(if prune_embedding { 0 } else { 1 }).sum();
        assert!((pruned as f64) / (all as f64) <= 0.7);
        levels.push(imp.levels().len());
    }
    assert_eq!(levels[0], levels[1], "same rounds with and without pruning the embedding");
}
