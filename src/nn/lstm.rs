//! A single-layer LSTM (Hochreiter & Schmidhuber, 1997, with a forget gate), forward and backward through time.
//!
//! Legend: T time steps, B sequences in the batch, E input width, H hidden width; G = 4H gate pre-activations in
//! the order input i, forget f, cell g, output o. Sequences are time-major `ndarray` arrays T x B x E (so row
//! `t * B + b` of the flat buffer is sequence `b` at step `t`).
//!
//! ```text
//! a_t = x_t W_ih^T + h_{t-1} W_hh^T + bias          (B x 4H)
//! i = sigmoid(a_i), f = sigmoid(a_f), g = tanh(a_g), o = sigmoid(a_o)
//! c_t = f * c_{t-1} + i * g,   h_t = o * tanh(c_t)   (h_{-1} = c_{-1} = 0)
//! ```
//!
//! Shapes of the weights (PyTorch's `nn.LSTM` layout, one bias): `w_ih` 4H x E, `w_hh` 4H x H, `bias` 4H.
//! The input projection of all steps is one GEMM, as are the weight gradients; only `h_{t-1} W_hh^T` and its
//! transpose run step by step.

use ndarray::{Array3, ArrayView1, ArrayView2, ArrayView3, ArrayViewMut1, ArrayViewMut2};

use crate::error::{Error, Result};
use crate::kernels::act;
use crate::nd;
use crate::kernels::gemm::{gemm, MatRef};

/// Sizes of an LSTM call.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub struct LstmDims {
    /// Time steps T.
    pub t: usize,
    /// Batch B.
    pub b: usize,
    /// Input width E.
    pub e: usize,
    /// Hidden width H.
    pub h: usize,
}

/// What [`lstm_forward`] keeps for [`lstm_backward`].
#[derive(Clone, Debug)]
pub struct LstmCache {
    pub dims: LstmDims,
    /// Inputs, T*B x E.
    pub x: Vec<f32>,
    /// Activated gates `[i, f, g, o]`, T*B x 4H.
    pub gates: Vec<f32>,
    /// Cell states, T*B x H.
    pub c: Vec<f32>,
    /// `tanh(c)`, T*B x H.
    pub tc: Vec<f32>,
    /// Hidden states, T*B x H.
    pub hs: Vec<f32>,
}

fn check(d: LstmDims, x: usize, w_ih: usize, w_hh: usize, bias: usize) -> Result<()> {
    let g = 4 * d.h;
    if x != d.t * d.b * d.e || w_ih != g * d.e || w_hh != g * d.h || bias != g {
        return Err(Error::shape(
            "lstm",
            format!(
                "x must be {}x{}x{} (has {x}), W_ih {g}x{} (has {w_ih}), W_hh {g}x{} (has {w_hh}), bias {g} (has {bias})",
                d.t, d.b, d.e, d.e, d.h
            ),
        ));
    }
    Ok(())
}

/// Forward over T steps from a zero state. Shapes: `x` T x B x E (time-major), `w_ih` 4H x E, `w_hh` 4H x H,
/// `bias` 4H. Returns the hidden states T x B x H and the cache.
///
/// # Errors
/// [`Error::Shape`] when the weights do not fit `x` and each other.
pub fn lstm_forward(x: ArrayView3<f32>, w_ih: ArrayView2<f32>, w_hh: ArrayView2<f32>, bias: ArrayView1<f32>) -> Result<(Array3<f32>, LstmCache)> {
    let (t, b, e) = x.dim();
    let d = LstmDims { t, b, e, h: w_hh.ncols() };
    if w_ih.dim() != (4 * d.h, e) || w_hh.nrows() != 4 * d.h {
        return Err(Error::shape("lstm", format!("W_ih {:?} and W_hh {:?} must be 4H x {e} and 4H x H", w_ih.dim(), w_hh.dim())));
    }
    let (x, w_ih, w_hh, bias) = (nd::standard(x), nd::standard(w_ih), nd::standard(w_hh), nd::standard(bias));
    let (x, w_ih, w_hh, bias) = (nd::slice_of("lstm", &x)?, nd::slice_of("lstm", &w_ih)?, nd::slice_of("lstm", &w_hh)?, nd::slice_of("lstm", &bias)?);
    check(d, x.len(), w_ih.len(), w_hh.len(), bias.len())?;
    let (tb, g, h, b) = (d.t * d.b, 4 * d.h, d.h, d.b);
    let mut gates = vec![0.0; tb * g];
    for row in gates.chunks_mut(g) {
        row.copy_from_slice(bias);
    }
    gemm(1.0, MatRef::new(x, tb, d.e), MatRef::new(w_ih, g, d.e).t(), 1.0, &mut gates, g, 1)?;
    let mut c = vec![0.0; tb * h];
    let mut tc = vec![0.0; tb * h];
    let mut hs = vec![0.0; tb * h];
    for t in 0..d.t {
        if t > 0 {
            let prev = &hs[(t - 1) * b * h..t * b * h];
            gemm(1.0, MatRef::new(prev, b, h), MatRef::new(w_hh, g, h).t(), 1.0, &mut gates[t * b * g..(t + 1) * b * g], g, 1)?;
        }
        for r in t * b..(t + 1) * b {
            let a = &mut gates[r * g..(r + 1) * g];
            act::sigmoid_inplace(&mut a[..2 * h]);
            act::tanh_inplace(&mut a[2 * h..3 * h]);
            act::sigmoid_inplace(&mut a[3 * h..4 * h]);
            for j in 0..h {
                let cp = if t > 0 { c[(r - b) * h + j] } else { 0.0 };
                let cv = a[h + j] * cp + a[j] * a[2 * h + j];
                c[r * h + j] = cv;
                tc[r * h + j] = cv.tanh();
                hs[r * h + j] = a[3 * h + j] * tc[r * h + j];
            }
        }
    }
    let out = nd::array("lstm", hs.clone(), (d.t, d.b, d.h))?;
    Ok((out, LstmCache { dims: d, x: x.to_vec(), gates, c, tc, hs }))
}

/// Backward of [`lstm_forward`] from `dhs` (T x B x H, the loss gradient with respect to every hidden state).
/// Accumulates `dw_ih += ...` (4H x E), `dw_hh += ...` (4H x H), `dbias += ...` (4H); returns `dx` (T x B x E).
///
/// # Errors
/// [`Error::Shape`] when a shape does not match the cache's.
pub fn lstm_backward(
    dhs: ArrayView3<f32>,
    cache: &LstmCache,
    w_ih: ArrayView2<f32>,
    w_hh: ArrayView2<f32>,
    mut dw_ih: ArrayViewMut2<f32>,
    mut dw_hh: ArrayViewMut2<f32>,
    mut dbias: ArrayViewMut1<f32>,
) -> Result<Array3<f32>> {
    let d = cache.dims;
    if dhs.dim() != (d.t, d.b, d.h) || dw_ih.dim() != w_ih.dim() || dw_hh.dim() != w_hh.dim() {
        return Err(Error::shape("lstm_backward", format!("dh must be {}x{}x{}, dW_ih and dW_hh shaped as the weights", d.t, d.b, d.h)));
    }
    let (dhs, w_ih, w_hh) = (nd::standard(dhs), nd::standard(w_ih), nd::standard(w_hh));
    let (dhs, w_ih, w_hh) = (nd::slice_of("lstm_backward", &dhs)?, nd::slice_of("lstm_backward", &w_ih)?, nd::slice_of("lstm_backward", &w_hh)?);
    let (dw_ih, dw_hh, dbias) = (nd::slice_mut("lstm_backward", &mut dw_ih)?, nd::slice_mut("lstm_backward", &mut dw_hh)?, nd::slice_mut("lstm_backward", &mut dbias)?);
    check(d, cache.x.len(), w_ih.len(), w_hh.len(), dbias.len())?;
    let (tb, g, h, b) = (d.t * d.b, 4 * d.h, d.h, d.b);
    if dhs.len() != tb * h || dw_ih.len() != w_ih.len() || dw_hh.len() != w_hh.len() {
        return Err(Error::shape("lstm_backward", format!("dh must be {}x{}x{h}, dW_ih and dW_hh as the weights", d.t, b)));
    }
    let mut da = vec![0.0; tb * g];
    let mut dh_next = vec![0.0; b * h];
    let mut dc_next = vec![0.0; b * h];
    for t in (0..d.t).rev() {
        for bi in 0..b {
            let r = t * b + bi;
            let a = &cache.gates[r * g..(r + 1) * g];
            let dar = &mut da[r * g..(r + 1) * g];
            for j in 0..h {
                let dh = dhs[r * h + j] + dh_next[bi * h + j];
                let (i, f, gg, o) = (a[j], a[h + j], a[2 * h + j], a[3 * h + j]);
                let tcv = cache.tc[r * h + j];
                let dc = dh * o * (1.0 - tcv * tcv) + dc_next[bi * h + j];
                let cp = if t > 0 { cache.c[(r - b) * h + j] } else { 0.0 };
                dar[j] = dc * gg * i * (1.0 - i);
                dar[h + j] = dc * cp * f * (1.0 - f);
                dar[2 * h + j] = dc * i * (1.0 - gg * gg);
                dar[3 * h + j] = dh * tcv * o * (1.0 - o);
                dc_next[bi * h + j] = dc * f;
            }
        }
        // dh_{t-1} = da_t W_hh
        gemm(1.0, MatRef::new(&da[t * b * g..(t + 1) * b * g], b, g), MatRef::new(w_hh, g, h), 0.0, &mut dh_next, h, 1)?;
    }
    // Weight gradients over all steps at once: dW_ih += da^T x; dW_hh += da[1..]^T h[..T-1]; dbias += sum da.
    gemm(1.0, MatRef::new(&da, tb, g).t(), MatRef::new(&cache.x, tb, d.e), 1.0, dw_ih, d.e, 1)?;
    if d.t > 1 {
        gemm(1.0, MatRef::new(&da[b * g..], tb - b, g).t(), MatRef::new(&cache.hs, tb - b, h), 1.0, dw_hh, h, 1)?;
    }
    for row in da.chunks(g) {
        for (s, v) in dbias.iter_mut().zip(row) {
            *s += v;
        }
    }
    let mut dx = vec![0.0; tb * d.e];
    gemm(1.0, MatRef::new(&da, tb, g), MatRef::new(w_ih, g, d.e), 0.0, &mut dx, d.e, 1)?;
    nd::array("lstm_backward", dx, (d.t, d.b, d.e))
}
