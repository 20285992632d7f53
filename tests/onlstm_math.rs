//! The onlstm lab's math against independent references: cumax against its plain twin and closed forms, the ON-LSTM
//! cell and the language model against finite differences, the parser on hand-made distances, F1 on hand-counted
//! brackets, and the grammar's trees.
#![cfg(not(target_arch = "wasm32"))] // native tests; `wasm-pack test` builds every test target for wasm32 too

use crate::common::{assert_close, check_grad};
use paperlab::kernels::cumax::{cumax_backward, cumax_naive, cumax_rows};
use ndarray::{aview1, ArrayView2, ArrayView3, ArrayViewMut1, ArrayViewMut2};
use paperlab::labs::onlstm::cell::{onlstm_backward, onlstm_forward, OnCache, OnDims};
use paperlab::labs::onlstm::grammar::{corpus, word_id, Tree, MAX_WORDS, MIN_WORDS, VOCAB};
use paperlab::labs::onlstm::model::{batch_tokens, Lm, LmConfig};
use paperlab::labs::onlstm::parse::{left_branching, mean_f1, parse_spans, right_branching, sentence_f1};
use paperlab::labs::onlstm::{analyze, baseline_f1, tokenize};
use paperlab::nn::Rng;

fn rv(rng: &mut Rng, n: usize, s: f32) -> Vec<f32> {
    (0..n).map(|_| rng.uniform_in(-s, s)).collect()
}

fn proj(y: &[f32], r: &[f32]) -> f64 {
    y.iter().zip(r).map(|(a, b)| (*a as f64) * (*b as f64)).sum()
}

#[test]
fn cumax_uniform_input_gives_k_over_n() {
    for n in [1, 3, 4, 7, 8, 16, 33] {
        let x = vec![0.37f32; 2 * n];
        let mut y = vec![f32::NAN; 2 * n];
        cumax_rows(&x, &mut y, n);
        let want: Vec<f32> = (0..2 * n).map(|i| ((i % n) + 1) as f32 / n as f32).collect();
        assert_close(&format!("cumax uniform n={n}"), &y, &want, 1e-6, 1e-6);
    }
}

#[test]
fn cumax_matches_twin_is_monotone_and_ends_at_one() {
    let mut rng = Rng::new(3);
    for n in [1, 2, 3, 4, 5, 8, 13, 16, 31, 64] {
        for scale in [0.1f32, 3.0, 30.0] {
            let x = rv(&mut rng, 5 * n, scale);
            let (mut a, mut b) = (vec![f32::NAN; 5 * n], vec![f32::NAN; 5 * n]);
            cumax_rows(&x, &mut a, n);
            cumax_naive(&x, &mut b, n);
            assert_close(&format!("cumax vs twin n={n} scale={scale}"), &a, &b, 1e-6, 1e-5);
            for row in a.chunks(n) {
                assert_eq!(row[n - 1], 1.0, "last entry must be exactly 1: {row:?}");
                assert!(row.windows(2).all(|w| w[0] <= w[1]), "not monotone: {row:?}");
                assert!(row.iter().all(|v| (0.0..=1.0).contains(v)), "outside [0, 1]: {row:?}");
            }
        }
    }
}

#[test]
fn cumax_large_inputs_stay_finite() {
    // exp(1e4) overflows f32: without the max shift these rows would be inf/inf = NaN.
    let x = [1e4f32, -1e4, 3e4, 3e4, 0.0, 1e30, -1e30, 88.0];
    let mut y = [0.0f32; 8];
    cumax_rows(&x, &mut y, 4);
    assert!(y.iter().all(|v| v.is_finite()), "{y:?}");
    // Row 1: the two equal maxima at k = 2, 3 share the mass.
    assert_close("large row 1", &y[..4], &[0.0, 0.0, 0.5, 1.0], 1e-6, 0.0);
    // Row 2: all mass on k = 1.
    assert_close("large row 2", &y[4..], &[0.0, 1.0, 1.0, 1.0], 1e-6, 0.0);
    // -inf is probability 0; NaN or +inf make the row NaN (documented), never a silent wrong number.
    let mut z = [0.0f32; 9];
    cumax_rows(&[f32::NEG_INFINITY, 0.0, 0.0, 1.0, f32::NAN, 0.0, f32::INFINITY, 0.0, 1.0], &mut z, 3);
    assert_close("-inf row", &z[..3], &[0.0, 0.5, 1.0], 1e-6, 0.0);
    assert!(z[3..].iter().all(|v| v.is_nan()), "{z:?}");
}

#[test]
fn cumax_backward_matches_fd() {
    let mut rng = Rng::new(4);
    let n = 7;
    let x = rv(&mut rng, 3 * n, 2.0);
    let r = rv(&mut rng, 3 * n, 1.0);
    let mut y = vec![0.0; 3 * n];
    cumax_rows(&x, &mut y, n);
    let mut dx = vec![0.0; 3 * n];
    cumax_backward(&y, &r, &mut dx, n);
    let idx: Vec<usize> = (0..3 * n).collect();
    check_grad(
        "cumax",
        &mut |xx| {
            let mut yy = vec![0.0; xx.len()];
            cumax_naive(xx, &mut yy, n);
            proj(&yy, &r)
        },
        &x,
        &dx,
        &idx,
        1e-2,
        1e-4,
        1e-3,
        0.0,
    );
}

/// `onlstm_forward` on flat buffers with the sizes of `d` (the test's oracle code works on flat vectors).
fn fwd(x: &[f32], wi: &[f32], wh: &[f32], bi: &[f32], d: OnDims) -> (Vec<f32>, OnCache) {
    let g = d.gates();
    let (hs, c) = onlstm_forward(
        ArrayView3::from_shape((d.t, d.b, d.e), x).unwrap(),
        ArrayView2::from_shape((g, d.e), wi).unwrap(),
        ArrayView2::from_shape((g, d.h), wh).unwrap(),
        aview1(bi),
        d.chunk,
    )
    .unwrap();
    (hs.iter().copied().collect(), c)
}

#[test]
fn onlstm_cell_backward_matches_fd() {
    let mut rng = Rng::new(5);
    for (chunk, h) in [(2usize, 6usize), (3, 6), (1, 4)] {
        let d = OnDims { t: 4, b: 2, e: 3, h, chunk };
        let g = d.gates();
        let x = rv(&mut rng, d.t * d.b * d.e, 1.0);
        let wi = rv(&mut rng, g * d.e, 0.8);
        let wh = rv(&mut rng, g * h, 0.8);
        let bi = rv(&mut rng, g, 0.5);
        let r = rv(&mut rng, d.t * d.b * h, 1.0);
        let (_, cache) = fwd(&x, &wi, &wh, &bi, d);
        let (mut dwi, mut dwh, mut db) = (vec![0.0; wi.len()], vec![0.0; wh.len()], vec![0.0; bi.len()]);
        let dx: Vec<f32> = onlstm_backward(
            ArrayView3::from_shape((d.t, d.b, h), &r).unwrap(),
            &cache,
            ArrayView2::from_shape((g, d.e), &wi).unwrap(),
            ArrayView2::from_shape((g, h), &wh).unwrap(),
            ArrayViewMut2::from_shape((g, d.e), &mut dwi).unwrap(),
            ArrayViewMut2::from_shape((g, h), &mut dwh).unwrap(),
            ArrayViewMut1::from(&mut db[..]),
        )
        .unwrap()
        .iter()
        .copied()
        .collect();
        let all = |n: usize| (0..n).collect::<Vec<_>>();
        let what = |s: &str| format!("onlstm C={chunk} H={h} {s}");
        check_grad(&what("dx"), &mut |v| proj(&fwd(v, &wi, &wh, &bi, d).0, &r), &x, &dx, &all(x.len()), 1e-2, 1e-4, 2e-3, 0.0);
        check_grad(&what("dW_ih"), &mut |v| proj(&fwd(&x, v, &wh, &bi, d).0, &r), &wi, &dwi, &all(wi.len()), 1e-2, 1e-4, 2e-3, 0.0);
        check_grad(&what("dW_hh"), &mut |v| proj(&fwd(&x, &wi, v, &bi, d).0, &r), &wh, &dwh, &all(wh.len()), 1e-2, 1e-4, 2e-3, 0.0);
        check_grad(&what("dbias"), &mut |v| proj(&fwd(&x, &wi, &wh, v, d).0, &r), &bi, &db, &all(bi.len()), 1e-2, 1e-4, 2e-3, 0.0);
    }
}

#[test]
fn onlstm_gates_follow_the_paper() {
    // One step from a zero state: c_1 = i^ * c^ with i^ = i w + (i~ - w), w = f~ i~ (eqs. 11-14), checked by hand.
    let mut rng = Rng::new(6);
    let d = OnDims { t: 1, b: 1, e: 2, h: 4, chunk: 2 };
    let g = d.gates();
    let x = rv(&mut rng, 2, 1.0);
    let wi = rv(&mut rng, g * 2, 1.0);
    let wh = vec![0.0; g * 4];
    let bi = rv(&mut rng, g, 1.0);
    let (hs, cache) = fwd(&x, &wi, &wh, &bi, d);
    let a: Vec<f64> = (0..g).map(|k| bi[k] as f64 + wi[2 * k] as f64 * x[0] as f64 + wi[2 * k + 1] as f64 * x[1] as f64).collect();
    let sm = |z: &[f64]| {
        let e: Vec<f64> = z.iter().map(|v| v.exp()).collect();
        let s: f64 = e.iter().sum();
        vec![e[0] / s, 1.0]
    };
    let sig = |v: f64| 1.0 / (1.0 + (-v).exp());
    let (mf, cmi) = (sm(&a[0..2]), sm(&a[2..4]));
    for j in 0..4 {
        let k = j / 2;
        let (fm, im) = (mf[k], 1.0 - cmi[k]);
        let w = fm * im;
        let i = sig(a[4 + 4 + j]);
        let o = sig(a[4 + 8 + j]);
        let gg = a[4 + 12 + j].tanh();
        let c = (i * w + (im - w)) * gg;
        let h = o * c.tanh();
        assert!((hs[j] as f64 - h).abs() < 1e-5, "h[{j}] = {} but by hand {h}", hs[j]);
    }
    assert!((cache.distance(0, 0) as f64 - (2.0 - mf[0] - mf[1])).abs() < 1e-6);
}

#[test]
fn language_model_gradient_matches_fd() {
    for chunk in [2usize, 0] {
        let cfg = LmConfig { chunk, e: 3, h: 4, layers: 2, v: 6 };
        let mut lm = Lm::new(cfg, 7).unwrap();
        let mut rng = Rng::new(8);
        for t in lm.p.iter_mut() {
            for v in t.iter_mut() {
                *v = rng.uniform_in(-0.8, 0.8);
            }
        }
        let (inp, tgt) = batch_tokens(&[&[2u8, 3, 5][..], &[4, 1, 1][..]]);
        let (_, g) = lm.loss(inp.view(), tgt.view(), true).unwrap();
        let g = g.unwrap();
        for k in 0..lm.p.len() {
            let p0 = lm.p[k].clone();
            let idx: Vec<usize> = (0..p0.len()).step_by(3).collect();
            let mut f = |v: &[f32]| {
                let mut m = lm.clone();
                m.p[k] = v.to_vec();
                m.loss(inp.view(), tgt.view(), false).unwrap().0 as f64
            };
            check_grad(&format!("LM chunk={chunk} tensor {k}"), &mut f, &p0, &g[k], &idx, 1e-2, 1e-4, 2e-3, 0.0);
            lm.p[k] = p0;
        }
    }
}

#[test]
fn parser_on_hand_made_distances() {
    // Decreasing distances: every word opens a constituent to the end -> right-branching.
    assert_eq!(parse_spans(&[5.0, 4.0, 3.0, 2.0, 1.0]), vec![(0, 5), (1, 5), (2, 5), (3, 5)]);
    // Increasing: the last word splits off each time -> left-branching.
    assert_eq!(parse_spans(&[1.0, 2.0, 3.0, 4.0, 5.0]), vec![(0, 5), (0, 4), (0, 3), (0, 2)]);
    // Ties: the leftmost largest wins, so equal distances give the right-branching tree.
    assert_eq!(parse_spans(&[2.0, 2.0, 2.0, 2.0]), vec![(0, 4), (1, 4), (2, 4)]);
    // A tie in the middle: words 1 and 3 both have the max; word 1 wins: ((x0) (x1 (x2 x3 x4 ...))).
    assert_eq!(parse_spans(&[0.0, 3.0, 1.0, 3.0, 0.5]), vec![(0, 5), (1, 5), (2, 5), (3, 5)]);
    // "the dog chased a cat": a big boundary before "chased" and a smaller one before "a":
    // ((the dog) (chased (a cat))).
    assert_eq!(parse_spans(&[0.5, 0.0, 3.0, 1.0, 0.0]), vec![(0, 5), (0, 2), (2, 5), (3, 5)]);
    assert!(parse_spans(&[1.0]).is_empty());
    assert_eq!(right_branching(4), vec![(0, 4), (1, 4), (2, 4)]);
    assert_eq!(left_branching(4), vec![(0, 4), (0, 3), (0, 2)]);
}

#[test]
fn f1_against_hand_counted_brackets() {
    // Gold ((the dog) (chased (a cat))): counted brackets {(0,2), (2,5), (3,5)}.
    let gold = [(0, 5), (0, 2), (2, 5), (3, 5)];
    // Right-branching counts {(1,5), (2,5), (3,5)}: 2 of 3 right -> P = R = 2/3, F1 = 2/3.
    assert!((sentence_f1(&right_branching(5), &gold, 5).unwrap() - 2.0 / 3.0).abs() < 1e-12);
    // Left-branching counts {(0,4), (0,3), (0,2)}: 1 hit -> F1 = 1/3.
    assert!((sentence_f1(&left_branching(5), &gold, 5).unwrap() - 1.0 / 3.0).abs() < 1e-12);
    // A flat gold tree with one inner bracket: pred {(0,2),(2,5),(3,5)} vs gold {(2,5)}: P = 1/3, R = 1, F1 = 1/2.
    assert!((sentence_f1(&gold, &[(0, 5), (2, 5)], 5).unwrap() - 0.5).abs() < 1e-12);
    // The whole sentence and single words do not count: a gold tree with no other bracket is skipped.
    assert_eq!(sentence_f1(&gold, &[(0, 5)], 5), None);
    // Sentence-averaged: (2/3 + 1/3) / 2, and the skipped sentence does not dilute it.
    let g2 = [(0, 5)];
    let (r5, l5) = (right_branching(5), left_branching(5));
    let m = mean_f1([(r5.as_slice(), &gold[..], 5), (l5.as_slice(), &gold[..], 5), (r5.as_slice(), &g2[..], 5)]);
    assert!((m - 0.5).abs() < 1e-12, "{m}");
}

#[test]
fn grammar_trees_cover_their_sentences() {
    let sents = corpus(11, 300);
    let mut lengths = std::collections::BTreeSet::new();
    for s in &sents {
        let n = s.words.len();
        assert!((MIN_WORDS..=MAX_WORDS).contains(&n));
        assert_eq!(s.tree.span(), (0, n));
        // Every node has two or more children, and children tile their parent left to right.
        fn check(t: &Tree) {
            if let Tree::Node(ch) = t {
                assert!(ch.len() >= 2);
                for w in ch.windows(2) {
                    assert_eq!(w[0].span().1, w[1].span().0);
                }
                ch.iter().for_each(check);
            }
        }
        check(&s.tree);
        lengths.insert(n);
    }
    assert!(lengths.len() > 10, "sentence lengths should vary: {lengths:?}");
    assert!(VOCAB.len() < 256);
    assert_eq!(corpus(11, 5)[4].words, sents[4].words, "the corpus is a function of the seed");
    // Right-branching is a real baseline but not the answer; left-branching and random trees are weaker.
    let (right, left, random) = baseline_f1(&sents, 3);
    assert!(right > random && random > 0.15 && right < 0.6 && left < right, "right {right} left {left} random {random}");
}

#[test]
fn tokenizer_handles_unknown_empty_and_long_input() {
    let t = tokenize("The KING's dog sees a zebra.").unwrap();
    assert_eq!(t.words, ["the", "king", "'s", "dog", "sees", "a", "zebra"]);
    assert_eq!(t.unknown, [false, false, false, false, false, false, true]);
    assert_eq!(t.ids[0], word_id("the").unwrap());
    assert!(tokenize("   ").unwrap_err().to_string().contains("no words"));
    assert!(tokenize("?! ...").is_err());
    let long = "the dog ".repeat(30);
    assert!(tokenize(&long).unwrap_err().to_string().contains("at most"));
    assert!(tokenize(&"x".repeat(5000)).is_err());
    let lm = Lm::new(LmConfig::lab(8), 1).unwrap();
    let a = analyze(&lm, "alice sees the dog").unwrap();
    assert_eq!(a.distances.len(), 2);
    assert_eq!(a.distances[0].len(), 4);
    assert_eq!(a.gate_width, 8);
    assert_eq!(a.gates[1].len(), 4 * 8);
    assert_eq!(a.spans[0][0], (0, 4));
    assert_eq!(a.nll.len(), 5);
    // Perplexity: the inverse geometric mean of the five token probabilities.
    let prob: f64 = a.nll.iter().map(|&x| (-f64::from(x)).exp()).product();
    assert!((a.ppl - prob.powf(-1.0 / 5.0)).abs() < 1e-6 * a.ppl, "{} vs {}", a.ppl, prob.powf(-0.2));
}
