//! Linear, ReLU and softmax cross-entropy, forward and backward.
//!
//! Boundaries are `ndarray` (see [`crate::nd`]): activations are `ArrayView2` of B x I, weights O x I (PyTorch
//! layout), biases `ArrayView1` of O; results are owned arrays. The GEMM underneath takes the views' buffers as they
//! are when they are row-major.

use ndarray::{Array, Array1, Array2, ArrayView, ArrayView1, ArrayView2, ArrayViewMut1, ArrayViewMut2, Dimension};

use crate::error::{Error, Result};
use crate::kernels::gemm::{gemm, MatRef};
use crate::nd;

/// `y = x W^T + b`. Shapes: `x` B x I, `w` O x I (PyTorch layout), `b` O; returns `y` B x O.
///
/// # Errors
/// [`Error::Shape`] when the widths do not fit (`x` has I columns, `w` is O x I, `b` has O entries).
pub fn linear_forward(x: ArrayView2<f32>, w: ArrayView2<f32>, b: ArrayView1<f32>) -> Result<Array2<f32>> {
    let ((batch, inp), (out, wi)) = (x.dim(), w.dim());
    if wi != inp || b.len() != out {
        return Err(Error::shape(
            "linear_forward",
            format!("x {batch}x{inp}, W {out}x{wi}, b {} do not fit (W must be O x {inp}, b of O)", b.len()),
        ));
    }
    let (x, w) = (nd::standard(x), nd::standard(w));
    let mut y = Array2::zeros((batch, out));
    y.rows_mut().into_iter().for_each(|mut r| r.assign(&b));
    let ys = nd::slice_mut("linear_forward", &mut y)?;
    gemm(1.0, MatRef::new(nd::slice_of("linear_forward", &x)?, batch, inp), MatRef::new(nd::slice_of("linear_forward", &w)?, out, inp).t(), 1.0, ys, out, 1)?;
    Ok(y)
}

/// Backward of [`linear_forward`]. Shapes: `dy` B x O, `x` B x I, `w` O x I. Accumulates `dw += dy^T x` (O x I) and
/// `db += sum_b dy` (O); returns `dx = dy W` (B x I), or `None` when `need_dx` is false.
///
/// # Errors
/// [`Error::Shape`] when the shapes do not fit together.
pub fn linear_backward(
    dy: ArrayView2<f32>,
    x: ArrayView2<f32>,
    w: ArrayView2<f32>,
    mut dw: ArrayViewMut2<f32>,
    mut db: ArrayViewMut1<f32>,
    need_dx: bool,
) -> Result<Option<Array2<f32>>> {
    let ((batch, out), (xb, inp)) = (dy.dim(), x.dim());
    if xb != batch || w.dim() != (out, inp) || dw.dim() != (out, inp) || db.len() != out {
        return Err(Error::shape(
            "linear_backward",
            format!("dy {batch}x{out} and x {xb}x{inp} need W and dW of {out}x{inp} (have {:?}, {:?}) and db of {out} (has {})", w.dim(), dw.dim(), db.len()),
        ));
    }
    let (dy, x, w) = (nd::standard(dy), nd::standard(x), nd::standard(w));
    let (dys, xs, ws) = (nd::slice_of("linear_backward", &dy)?, nd::slice_of("linear_backward", &x)?, nd::slice_of("linear_backward", &w)?);
    {
        let dws = nd::slice_mut("linear_backward", &mut dw)?;
        gemm(1.0, MatRef::new(dys, batch, out).t(), MatRef::new(xs, batch, inp), 1.0, dws, inp, 1)?;
    }
    for row in dys.chunks(out.max(1)) {
        for (d, g) in db.iter_mut().zip(row) {
            *d += g;
        }
    }
    if !need_dx {
        return Ok(None);
    }
    let mut dx = vec![0.0; batch * inp];
    gemm(1.0, MatRef::new(dys, batch, out), MatRef::new(ws, out, inp), 0.0, &mut dx, inp, 1)?;
    Ok(Some(nd::array("linear_backward", dx, (batch, inp))?))
}

/// `max(x, 0)` element-wise, any shape.
pub fn relu_forward<D: Dimension>(x: ArrayView<f32, D>) -> Array<f32, D> {
    x.mapv(|v| v.max(0.0))
}

/// Backward of ReLU: `dx = dy * [x > 0]` (the subgradient 0 at 0). `x` is the ReLU's input, of `dy`'s shape.
///
/// # Errors
/// [`Error::Shape`] when `dy` and `x` differ in shape.
pub fn relu_backward<D: Dimension>(dy: ArrayView<f32, D>, x: ArrayView<f32, D>) -> Result<Array<f32, D>> {
    if dy.shape() != x.shape() {
        return Err(Error::shape("relu_backward", format!("dy {:?} and x {:?} differ", dy.shape(), x.shape())));
    }
    Ok(ndarray::Zip::from(&dy).and(&x).map_collect(|&d, &v| if v > 0.0 { d } else { 0.0 }))
}

/// Mean softmax cross-entropy over a batch, and its gradient.
///
/// Shapes: `logits` B x K, `labels` B with values in `0..K`. Returns `(loss, dlogits)` with
/// `loss = -(1/B) sum_b log softmax(z_b)[y_b]` in nats and `dlogits = (softmax(z) - onehot(y)) / B` (B x K).
/// Stable for large logits (the max is subtracted).
///
/// # Errors
/// [`Error::Shape`] when `logits` has other than B rows or no columns, [`Error::Range`] for a label `>= K`.
pub fn softmax_cross_entropy(logits: ArrayView2<f32>, labels: ArrayView1<u8>) -> Result<(f32, Array2<f32>)> {
    let (batch, k) = logits.dim();
    if batch != labels.len() || k == 0 {
        return Err(Error::shape("softmax_cross_entropy", format!("logits {batch}x{k} for {} labels; need one row per label", labels.len())));
    }
    let logits = nd::standard(logits);
    let zs = nd::slice_of("softmax_cross_entropy", &logits)?;
    let mut d = vec![0.0; batch * k];
    let mut loss = 0.0f64;
    for (b, &y) in labels.iter().enumerate() {
        let y = y as usize;
        if y >= k {
            return Err(Error::range("label", format!("{y} is not below the number of classes {k}")));
        }
        let z = &zs[b * k..(b + 1) * k];
        let lse = crate::kernels::act::log_sum_exp(z);
        loss += (lse - z[y]) as f64;
        for j in 0..k {
            let p = (z[j] - lse).exp();
            d[b * k + j] = (p - if j == y { 1.0 } else { 0.0 }) / batch as f32;
        }
    }
    Ok(((loss / batch as f64) as f32, nd::array("softmax_cross_entropy", d, (batch, k))?))
}

/// Index of the largest element of each row of a B x K matrix (the first one on ties; NaN never wins).
pub fn argmax_rows(x: ArrayView2<f32>) -> Array1<usize> {
    x.rows()
        .into_iter()
        .map(|r| r.iter().enumerate().fold((0, f32::NEG_INFINITY), |(bi, bv), (i, &v)| if v > bv { (i, v) } else { (bi, bv) }).0)
        .collect()
}
