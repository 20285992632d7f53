//! Greedy top-down parsing from syntactic distances (Shen et al., section 6.2) and unlabelled bracket F1.
//!
//! Parsing: given distances `d_0 .. d_{n-1}` (one per word), take `i = argmax d` and split the sentence into
//! `((x_<i), (x_i, (x_>i)))`, then recurse into `x_<i` and `x_>i`. A large `d_i` means the model erased much of its
//! high-level memory on reading word i, so a high-level constituent starts at word i.
//!
//! Tie rule: among equal largest distances the leftmost wins (NumPy's `argmax`, as in the authors' evaluation
//! code). So all-equal distances give the right-branching tree, decreasing distances too, increasing distances the
//! left-branching tree.
//!
//! F1: brackets are `[start, end)` word spans; single words and the whole sentence are not counted (section 6.2's
//! protocol). Per sentence, precision = |P ∩ G| / |P|, recall = |P ∩ G| / |G|, F1 = 2PR / (P + R) (0 when the
//! overlap is empty); the corpus F1 is the mean over sentences (sentence-averaged), skipping sentences whose gold
//! tree has no bracket that counts.

use std::collections::BTreeSet;

use crate::nn::Rng;

/// Index of the largest value; the leftmost on ties. NaN never wins. Panics on an empty slice.
pub fn argmax_leftmost(d: &[f32]) -> usize {
    assert!(!d.is_empty(), "argmax_leftmost: empty slice");
    let mut best = 0;
    for (i, &v) in d.iter().enumerate().skip(1) {
        if v > d[best] || d[best].is_nan() && !v.is_nan() {
            best = i;
        }
    }
    best
}

/// The binary tree of the greedy top-down parse of distances `d` (n = `d.len()` words), as its constituent spans
/// `[start, end)` (every internal node, the whole sentence included, single words not), outermost first.
/// Empty for n < 2.
pub fn parse_spans(d: &[f32]) -> Vec<(usize, usize)> {
    let mut out = Vec::new();
    fn node(d: &[f32], a: usize, b: usize, out: &mut Vec<(usize, usize)>) {
        // [a, b) is a node of the tree; record it and build its inside.
        if b - a < 2 {
            return;
        }
        out.push((a, b));
        let i = a + argmax_leftmost(&d[a..b]);
        if i == a {
            // (x_a, (x_>a))
            node(d, a + 1, b, out);
        } else {
            // ((x_<i), (x_i, (x_>i)))
            node(d, a, i, out);
            if i + 1 < b {
                out.push((i, b));
                node(d, i + 1, b, out);
            }
        }
    }
    node(d, 0, d.len(), &mut out);
    out
}

/// The brackets that count: spans of two or more words that are not the whole sentence of `n` words.
pub fn counted(spans: &[(usize, usize)], n: usize) -> BTreeSet<(usize, usize)> {
    spans.iter().copied().filter(|&(a, b)| b - a >= 2 && !(a == 0 && b == n)).collect()
}

/// Sentence-level unlabelled F1 of `pred` against `gold` spans of an `n`-word sentence (both filtered by
/// [`counted`]), as a fraction in `[0, 1]`; `None` when the gold tree has no bracket that counts.
pub fn sentence_f1(pred: &[(usize, usize)], gold: &[(usize, usize)], n: usize) -> Option<f64> {
    let (p, g) = (counted(pred, n), counted(gold, n));
    if g.is_empty() {
        return None;
    }
    let hit = p.intersection(&g).count() as f64;
    if hit == 0.0 {
        return Some(0.0);
    }
    let (prec, rec) = (hit / p.len() as f64, hit / g.len() as f64);
    Some(2.0 * prec * rec / (prec + rec))
}

/// Sentence-averaged F1 over pairs `(pred spans, gold spans, n)`, as a fraction; NaN when no sentence counts.
pub fn mean_f1<'a>(items: impl IntoIterator<Item = (&'a [(usize, usize)], &'a [(usize, usize)], usize)>) -> f64 {
    let (mut s, mut k) = (0.0, 0usize);
    for (p, g, n) in items {
        if let Some(f) = sentence_f1(p, g, n) {
            s += f;
            k += 1;
        }
    }
    if k == 0 {
        f64::NAN
    } else {
        s / k as f64
    }
}

/// Spans of the right-branching tree `(x_0 (x_1 (... x_{n-1})))`.
pub fn right_branching(n: usize) -> Vec<(usize, usize)> {
    (0..n.saturating_sub(1)).map(|a| (a, n)).collect()
}

/// Spans of the left-branching tree `(((x_0 x_1) ...) x_{n-1})`.
pub fn left_branching(n: usize) -> Vec<(usize, usize)> {
    (2..=n).rev().map(|b| (0, b)).collect()
}

/// Spans of a random binary tree: the greedy parse of i.i.d. uniform distances from `rng`, i.e. what
/// [`parse_spans`] makes of distances that carry no information.
pub fn random_tree(n: usize, rng: &mut Rng) -> Vec<(usize, usize)> {
    let d: Vec<f32> = (0..n).map(|_| rng.uniform()).collect();
    parse_spans(&d)
}
