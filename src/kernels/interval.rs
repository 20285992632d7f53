//! The products interval bound propagation needs: `|W|`, the positive and negative parts of `W`, and the affine map of
//! a box in centre/radius form.
//!
//! For a box with centre `c` and radius `r >= 0`, the image of the box under `x -> W x + b` is contained in the box with
//! centre `W c + b` and radius `|W| r` — and this box is the tightest one (interval arithmetic, Gowal et al. 2018; used
//! by IBP in CROWN-IBP, Zhang et al. 2020, eq. 5). The equivalent lower/upper form, `l' = W+ l + W- u + b` and
//! `u' = W+ u + W- l + b`, is the plain twin used as the test oracle.

use crate::error::{Error, Result};
use crate::kernels::gemm::{gemm, MatRef};

/// Element-wise `|w|`.
pub fn abs(w: &[f32]) -> Vec<f32> {
    w.iter().map(|x| x.abs()).collect()
}

/// `(W+, W-)` with `W+ = max(W, 0)` and `W- = min(W, 0)`, so `W = W+ + W-` and `|W| = W+ - W-`.
pub fn pos_neg(w: &[f32]) -> (Vec<f32>, Vec<f32>) {
    (w.iter().map(|x| x.max(0.0)).collect(), w.iter().map(|x| x.min(0.0)).collect())
}

/// The affine image of a batch of boxes, centre/radius form.
///
/// Shapes: `w` is `out x inp` row-major (PyTorch's `Linear.weight` layout), `abs_w = |w|` (pass it in so callers can
/// cache it), `bias` is `out`, `c` and `r` are `batch x inp` row-major, radii `>= 0`. Returns `(c', r')`, each
/// `batch x out`: `c' = c W^T + b`, `r' = r |W|^T`.
///
/// # Errors
/// [`Error::Shape`] when a length does not match.
pub fn affine_box(
    w: &[f32],
    abs_w: &[f32],
    bias: &[f32],
    out: usize,
    inp: usize,
    c: &[f32],
    r: &[f32],
    batch: usize,
) -> Result<(Vec<f32>, Vec<f32>)> {
    if w.len() != out * inp || abs_w.len() != out * inp || bias.len() != out {
        return Err(Error::shape(
            "affine_box",
            format!("W must be {out}x{inp} and b {out}, got {} and {} elements", w.len(), bias.len()),
        ));
    }
    if c.len() != batch * inp || r.len() != batch * inp {
        return Err(Error::shape("affine_box", format!("centre and radius must be {batch}x{inp}")));
    }
    let mut c2 = vec![0.0; batch * out];
    for row in c2.chunks_mut(out) {
        row.copy_from_slice(bias);
    }
    gemm(1.0, MatRef::new(c, batch, inp), MatRef::new(w, out, inp).t(), 1.0, &mut c2, out, 1)?;
    let mut r2 = vec![0.0; batch * out];
    gemm(1.0, MatRef::new(r, batch, inp), MatRef::new(abs_w, out, inp).t(), 0.0, &mut r2, out, 1)?;
    Ok((c2, r2))
}

/// The plain twin of [`affine_box`] in lower/upper form: `l' = W+ l + W- u + b`, `u' = W+ u + W- l + b`, for
/// `l = c - r`, `u = c + r`. Returns `(l', u')`, each `batch x out`. Panics on mismatched lengths.
pub fn affine_box_naive(
    w: &[f32],
    bias: &[f32],
    out: usize,
    inp: usize,
    c: &[f32],
    r: &[f32],
    batch: usize,
) -> (Vec<f32>, Vec<f32>) {
    let (wp, wn) = pos_neg(w);
    let mut lo = vec![0.0; batch * out];
    let mut hi = vec![0.0; batch * out];
    for b in 0..batch {
        for o in 0..out {
            let (mut l, mut u) = (bias[o] as f64, bias[o] as f64);
            for i in 0..inp {
                let xl = (c[b * inp + i] - r[b * inp + i]) as f64;
                let xu = (c[b * inp + i] + r[b * inp + i]) as f64;
                let (p, n) = (wp[o * inp + i] as f64, wn[o * inp + i] as f64);
                l += p * xl + n * xu;
                u += p * xu + n * xl;
            }
            lo[b * out + o] = l as f32;
            hi[b * out + o] = u as f32;
        }
    }
    (lo, hi)
}
