//! Linear, ReLU and softmax cross-entropy, forward and backward.

use crate::error::{Error, Result};
use crate::kernels::gemm::{gemm, MatRef};

/// `y = x W^T + b`. Shapes: `x` B x I, `w` O x I (PyTorch layout), `b` O; returns `y` B x O.
///
/// # Errors
/// [`Error::Shape`] on mismatched lengths.
pub fn linear_forward(x: &[f32], w: &[f32], b: &[f32], batch: usize, inp: usize, out: usize) -> Result<Vec<f32>> {
    if x.len() != batch * inp || w.len() != out * inp || b.len() != out {
        return Err(Error::shape(
            "linear_forward",
            format!(
                "x {}x{inp} (has {}), W {out}x{inp} (has {}), b {out} (has {}) do not fit",
                batch,
                x.len(),
                w.len(),
                b.len()
            ),
        ));
    }
    let mut y = vec![0.0; batch * out];
    for row in y.chunks_mut(out.max(1)) {
        row.copy_from_slice(b);
    }
    gemm(1.0, MatRef::new(x, batch, inp), MatRef::new(w, out, inp).t(), 1.0, &mut y, out, 1)?;
    Ok(y)
}

/// Backward of [`linear_forward`]. Shapes: `dy` B x O, `x` B x I, `w` O x I. Accumulates `dw += dy^T x` (O x I) and
/// `db += sum_b dy` (O); returns `dx = dy W` (B x I), or an empty vector when `need_dx` is false.
///
/// # Errors
/// [`Error::Shape`] on mismatched lengths.
#[allow(clippy::too_many_arguments)]
pub fn linear_backward(
    dy: &[f32],
    x: &[f32],
    w: &[f32],
    dw: &mut [f32],
    db: &mut [f32],
    batch: usize,
    inp: usize,
    out: usize,
    need_dx: bool,
) -> Result<Vec<f32>> {
    if dy.len() != batch * out || dw.len() != out * inp || db.len() != out {
        return Err(Error::shape("linear_backward", format!("dy must be {batch}x{out}, dW {out}x{inp}, db {out}")));
    }
    gemm(1.0, MatRef::new(dy, batch, out).t(), MatRef::new(x, batch, inp), 1.0, dw, inp, 1)?;
    for row in dy.chunks(out.max(1)) {
        for (d, g) in db.iter_mut().zip(row) {
            *d += g;
        }
    }
    if !need_dx {
        return Ok(Vec::new());
    }
    let mut dx = vec![0.0; batch * inp];
    gemm(1.0, MatRef::new(dy, batch, out), MatRef::new(w, out, inp), 0.0, &mut dx, inp, 1)?;
    Ok(dx)
}

/// `max(x, 0)` element-wise.
pub fn relu_forward(x: &[f32]) -> Vec<f32> {
    x.iter().map(|&v| v.max(0.0)).collect()
}

/// Backward of ReLU: `dx = dy * [x > 0]` (the subgradient 0 at 0). `x` is the ReLU's input.
pub fn relu_backward(dy: &[f32], x: &[f32]) -> Vec<f32> {
    dy.iter().zip(x).map(|(&d, &v)| if v > 0.0 { d } else { 0.0 }).collect()
}

/// Mean softmax cross-entropy over a batch, and its gradient.
///
/// Shapes: `logits` B x K, `labels` B with values in `0..K`. Returns `(loss, dlogits)` with
/// `loss = -(1/B) sum_b log softmax(z_b)[y_b]` in nats and `dlogits = (softmax(z) - onehot(y)) / B` (B x K).
/// Stable for large logits (the max is subtracted).
///
/// # Errors
/// [`Error::Shape`] on mismatched lengths, [`Error::Range`] for a label `>= K`.
pub fn softmax_cross_entropy(logits: &[f32], labels: &[u8], k: usize) -> Result<(f32, Vec<f32>)> {
    let batch = labels.len();
    if logits.len() != batch * k || k == 0 {
        return Err(Error::shape("softmax_cross_entropy", format!("logits must be {batch}x{k}")));
    }
    let mut d = vec![0.0; batch * k];
    let mut loss = 0.0f64;
    for (b, &y) in labels.iter().enumerate() {
        let y = y as usize;
        if y >= k {
            return Err(Error::range("label", format!("{y} is not below the number of classes {k}")));
        }
        let z = &logits[b * k..(b + 1) * k];
        let lse = crate::kernels::act::log_sum_exp(z);
        loss += (lse - z[y]) as f64;
        for j in 0..k {
            let p = (z[j] - lse).exp();
            d[b * k + j] = (p - if j == y { 1.0 } else { 0.0 }) / batch as f32;
        }
    }
    Ok(((loss / batch as f64) as f32, d))
}

/// Index of the largest element of each row of a B x K matrix (the first one on ties).
pub fn argmax_rows(x: &[f32], k: usize) -> Vec<usize> {
    x.chunks(k)
        .map(|r| r.iter().enumerate().fold((0, f32::NEG_INFINITY), |(bi, bv), (i, &v)| if v > bv { (i, v) } else { (bi, bv) }).0)
        .collect()
}
