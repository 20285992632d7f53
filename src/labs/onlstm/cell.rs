//! The ON-LSTM layer (Shen et al., ICLR 2019, section 4), forward and backward through time.
//!
//! Legend: T time steps, B sequences, E input width, H hidden width (neurons), C chunk size, D = H / C master-gate
//! levels (the paper's D_m after chunking); G = 2D + 4H pre-activations per step in the order
//! `[f~ (D), i~ (D), f (H), i (H), o (H), c^ (H)]`. Tensors are time-major: row `t * B + b` is sequence `b` at step
//! `t`, as in [`crate::nn::lstm`].
//!
//! ```text
//! a_t   = x_t W_ih^T + h_{t-1} W_hh^T + bias                         (B x G)
//! f~_t  = cumax(a_f~)            master forget gate, eq. 9  (D, each level repeated over C neurons)
//! i~_t  = 1 - cumax(a_i~)        master input gate, eq. 10
//! f_t, i_t, o_t = sigmoid(.),  c^_t = tanh(.)                          eqs. 1-4
//! w_t   = f~_t * i~_t                                                 eq. 11 (overlap)
//! f^_t  = f_t * w_t + (f~_t - w_t),   i^_t = i_t * w_t + (i~_t - w_t) eqs. 12-13
//! c_t   = f^_t * c_{t-1} + i^_t * c^_t,   h_t = o_t * tanh(c_t)       eqs. 14, 5   (h_{-1} = c_{-1} = 0)
//! ```
//!
//! Weights: `w_ih` G x E, `w_hh` G x H, `bias` G. Input projections of all steps and the weight gradients are one
//! GEMM each; only the recurrent product runs step by step.

use ndarray::{Array3, ArrayView1, ArrayView2, ArrayView3, ArrayViewMut1, ArrayViewMut2};

use crate::error::{Error, Result};
use crate::kernels::cumax::{cumax_backward, cumax_rows};
use crate::nd;
use crate::kernels::gemm::{gemm, MatRef};

/// Sizes of an ON-LSTM call.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub struct OnDims {
    /// Time steps T.
    pub t: usize,
    /// Batch B.
    pub b: usize,
    /// Input width E.
    pub e: usize,
    /// Hidden width H (a multiple of the chunk size).
    pub h: usize,
    /// Chunk size C: neurons that share one master-gate level.
    pub chunk: usize,
}

impl OnDims {
    /// Master-gate levels D = H / C.
    pub fn levels(&self) -> usize {
        self.h / self.chunk
    }
    /// Pre-activations per step, G = 2D + 4H.
    pub fn gates(&self) -> usize {
        2 * self.levels() + 4 * self.h
    }
}

/// What [`onlstm_forward`] keeps for [`onlstm_backward`], and what the parser reads (the master forget gate).
#[derive(Clone, Debug)]
pub struct OnCache {
    pub dims: OnDims,
    /// Inputs, T*B x E.
    pub x: Vec<f32>,
    /// Activated gates, T*B x G: `[cumax(a_f~), cumax(a_i~), f, i, o, c^]` (note: the second block is
    /// `1 - i~`, the cumax output itself).
    pub gates: Vec<f32>,
    /// Cell states, T*B x H.
    pub c: Vec<f32>,
    /// `tanh(c)`, T*B x H.
    pub tc: Vec<f32>,
    /// Hidden states, T*B x H.
    pub hs: Vec<f32>,
}

impl OnCache {
    /// The master forget gate f~ (D values in `[0, 1]`, non-decreasing) of sequence `b` at step `t`.
    pub fn master_forget(&self, t: usize, b: usize) -> &[f32] {
        let (g, dm) = (self.dims.gates(), self.dims.levels());
        let r = t * self.dims.b + b;
        &self.gates[r * g..r * g + dm]
    }

    /// Syntactic distance of sequence `b` at step `t`: `d_t = D - sum_k f~_tk` (section 6.2; in `[0, D - 1]`, large
    /// when the step erases high-level memory, i.e. a high constituent boundary).
    pub fn distance(&self, t: usize, b: usize) -> f32 {
        let dm = self.dims.levels();
        dm as f32 - self.master_forget(t, b).iter().sum::<f32>()
    }
}

fn check(d: OnDims, x: usize, w_ih: usize, w_hh: usize, bias: usize) -> Result<()> {
    if d.chunk == 0 || d.h == 0 || d.h % d.chunk != 0 {
        return Err(Error::range("chunk size", format!("{} must divide the hidden width {}", d.chunk, d.h)));
    }
    let g = d.gates();
    if x != d.t * d.b * d.e || w_ih != g * d.e || w_hh != g * d.h || bias != g {
        return Err(Error::shape(
            "onlstm",
            format!(
                "x must be {}x{}x{} (has {x}), W_ih {g}x{} (has {w_ih}), W_hh {g}x{} (has {w_hh}), bias {g} (has {bias})",
                d.t, d.b, d.e, d.e, d.h
            ),
        ));
    }
    Ok(())
}

/// Forward over T steps from a zero state, chunk size C = `chunk`. Shapes: `x` T x B x E (time-major), `w_ih`
/// G x E, `w_hh` G x H, `bias` G, with G = 2H/C + 4H. Returns the hidden states T x B x H and the cache.
///
/// # Errors
/// [`Error::Shape`] when the shapes do not fit together; [`Error::Range`] when C does not divide H.
pub fn onlstm_forward(x: ArrayView3<f32>, w_ih: ArrayView2<f32>, w_hh: ArrayView2<f32>, bias: ArrayView1<f32>, chunk: usize) -> Result<(Array3<f32>, OnCache)> {
    let (t, b, e) = x.dim();
    let d = OnDims { t, b, e, h: w_hh.ncols(), chunk };
    if w_ih.ncols() != e || w_ih.nrows() != w_hh.nrows() {
        return Err(Error::shape("onlstm", format!("W_ih {:?} and W_hh {:?} must be G x {e} and G x H", w_ih.dim(), w_hh.dim())));
    }
    let (x, w_ih, w_hh, bias) = (nd::standard(x), nd::standard(w_ih), nd::standard(w_hh), nd::standard(bias));
    let (x, w_ih, w_hh, bias) = (nd::slice_of("onlstm", &x)?, nd::slice_of("onlstm", &w_ih)?, nd::slice_of("onlstm", &w_hh)?, nd::slice_of("onlstm", &bias)?);
    check(d, x.len(), w_ih.len(), w_hh.len(), bias.len())?;
    let (tb, g, h, b, dm, cs) = (d.t * d.b, d.gates(), d.h, d.b, d.levels(), d.chunk);
    let mut gates = vec![0.0; tb * g];
    for row in gates.chunks_mut(g) {
        row.copy_from_slice(bias);
    }
    gemm(1.0, MatRef::new(x, tb, d.e), MatRef::new(w_ih, g, d.e).t(), 1.0, &mut gates, g, 1)?;
    let mut c = vec![0.0; tb * h];
    let mut tc = vec![0.0; tb * h];
    let mut hs = vec![0.0; tb * h];
    let mut tmp = vec![0.0; 2 * dm];
    for t in 0..d.t {
        if t > 0 {
            let prev = &hs[(t - 1) * b * h..t * b * h];
            gemm(1.0, MatRef::new(prev, b, h), MatRef::new(w_hh, g, h).t(), 1.0, &mut gates[t * b * g..(t + 1) * b * g], g, 1)?;
        }
        for r in t * b..(t + 1) * b {
            let a = &mut gates[r * g..(r + 1) * g];
            tmp.copy_from_slice(&a[..2 * dm]);
            cumax_rows(&tmp, &mut a[..2 * dm], dm);
            crate::kernels::act::sigmoid_inplace(&mut a[2 * dm..2 * dm + 3 * h]);
            crate::kernels::act::tanh_inplace(&mut a[2 * dm + 3 * h..]);
            let (mf, rest) = a.split_at(dm);
            let (ci, rest) = rest.split_at(dm);
            let (f, rest) = rest.split_at(h);
            let (i, rest) = rest.split_at(h);
            let (o, gg) = rest.split_at(h);
            for j in 0..h {
                let k = j / cs;
                let (fm, im) = (mf[k], 1.0 - ci[k]);
                let w = fm * im;
                let fh = f[j] * w + (fm - w);
                let ih = i[j] * w + (im - w);
                let cp = if t > 0 { c[(r - b) * h + j] } else { 0.0 };
                let cv = fh * cp + ih * gg[j];
                c[r * h + j] = cv;
                tc[r * h + j] = cv.tanh();
                hs[r * h + j] = o[j] * tc[r * h + j];
            }
        }
    }
    let out = nd::array("onlstm", hs.clone(), (d.t, d.b, d.h))?;
    Ok((out, OnCache { dims: d, x: x.to_vec(), gates, c, tc, hs }))
}

/// Backward of [`onlstm_forward`] from `dhs` (T x B x H, the loss gradient with respect to every hidden state).
/// Accumulates `dw_ih += ...` (G x E), `dw_hh += ...` (G x H), `dbias += ...` (G); returns `dx` (T x B x E).
///
/// # Errors
/// [`Error::Shape`] when a shape does not match the cache's.
pub fn onlstm_backward(
    dhs: ArrayView3<f32>,
    cache: &OnCache,
    w_ih: ArrayView2<f32>,
    w_hh: ArrayView2<f32>,
    mut dw_ih: ArrayViewMut2<f32>,
    mut dw_hh: ArrayViewMut2<f32>,
    mut dbias: ArrayViewMut1<f32>,
) -> Result<Array3<f32>> {
    let d = cache.dims;
    if dhs.dim() != (d.t, d.b, d.h) || dw_ih.dim() != w_ih.dim() || dw_hh.dim() != w_hh.dim() {
        return Err(Error::shape("onlstm_backward", format!("dh must be {}x{}x{}, dW_ih and dW_hh shaped as the weights", d.t, d.b, d.h)));
    }
    let (dhs, w_ih, w_hh) = (nd::standard(dhs), nd::standard(w_ih), nd::standard(w_hh));
    let (dhs, w_ih, w_hh) = (nd::slice_of("onlstm_backward", &dhs)?, nd::slice_of("onlstm_backward", &w_ih)?, nd::slice_of("onlstm_backward", &w_hh)?);
    let (dw_ih, dw_hh, dbias) = (nd::slice_mut("onlstm_backward", &mut dw_ih)?, nd::slice_mut("onlstm_backward", &mut dw_hh)?, nd::slice_mut("onlstm_backward", &mut dbias)?);
    check(d, cache.x.len(), w_ih.len(), w_hh.len(), dbias.len())?;
    let (tb, g, h, b, dm, cs) = (d.t * d.b, d.gates(), d.h, d.b, d.levels(), d.chunk);
    if dhs.len() != tb * h || dw_ih.len() != w_ih.len() || dw_hh.len() != w_hh.len() {
        return Err(Error::shape("onlstm_backward", format!("dh must be {}x{}x{h}, dW_ih and dW_hh as the weights", d.t, b)));
    }
    let mut da = vec![0.0; tb * g];
    let mut dh_next = vec![0.0; b * h];
    let mut dc_next = vec![0.0; b * h];
    let mut dmf = vec![0.0; dm];
    let mut dmi = vec![0.0; dm];
    for t in (0..d.t).rev() {
        for bi in 0..b {
            let r = t * b + bi;
            let a = &cache.gates[r * g..(r + 1) * g];
            let dar = &mut da[r * g..(r + 1) * g];
            let (mf, ci) = (&a[..dm], &a[dm..2 * dm]);
            let off = 2 * dm;
            dmf.fill(0.0);
            dmi.fill(0.0);
            for j in 0..h {
                let k = j / cs;
                let (fm, im) = (mf[k], 1.0 - ci[k]);
                let w = fm * im;
                let (f, i, o, gg) = (a[off + j], a[off + h + j], a[off + 2 * h + j], a[off + 3 * h + j]);
                let fh = f * w + (fm - w);
                let ih = i * w + (im - w);
                let dh = dhs[r * h + j] + dh_next[bi * h + j];
                let tcv = cache.tc[r * h + j];
                let dc = dh * o * (1.0 - tcv * tcv) + dc_next[bi * h + j];
                let cp = if t > 0 { cache.c[(r - b) * h + j] } else { 0.0 };
                let dfh = dc * cp;
                let dih = dc * gg;
                dar[off + j] = dfh * w * f * (1.0 - f);
                dar[off + h + j] = dih * w * i * (1.0 - i);
                dar[off + 2 * h + j] = dh * tcv * o * (1.0 - o);
                dar[off + 3 * h + j] = dc * ih * (1.0 - gg * gg);
                let dw = dfh * (f - 1.0) + dih * (i - 1.0);
                dmf[k] += dfh + dw * im;
                dmi[k] += dih + dw * fm;
                dc_next[bi * h + j] = dc * fh;
            }
            // f~ = cumax(a_f~); i~ = 1 - cumax(a_i~), so d cumax(a_i~) = -d i~.
            for v in dmi.iter_mut() {
                *v = -*v;
            }
            let (daf, dai) = dar[..2 * dm].split_at_mut(dm);
            cumax_backward(mf, &dmf, daf, dm);
            cumax_backward(ci, &dmi, dai, dm);
        }
        gemm(1.0, MatRef::new(&da[t * b * g..(t + 1) * b * g], b, g), MatRef::new(w_hh, g, h), 0.0, &mut dh_next, h, 1)?;
    }
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
    nd::array("onlstm_backward", dx, (d.t, d.b, d.e))
}
