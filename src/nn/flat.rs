//! Flat-buffer forms of the `ndarray` layer API, for lab code whose own tensors are still flat `Vec<f32>` with
//! explicit sizes. Each function is the ndarray function of the same name with its shapes given as numbers: it wraps
//! the buffers in views ([`crate::nd::view`]), calls it, and returns the result's buffer ([`crate::nd::into_vec`]),
//! so there is one implementation and no copy. New code uses the ndarray functions directly; a lab converted to
//! ndarray at its boundary stops using this module.

use crate::error::Result;
use crate::nd;
use crate::nn::conv::Conv2d;
use crate::nn::layers;
use crate::nn::lstm::{self, LstmCache, LstmDims};
use crate::nn::mlp::{Mlp, MlpCache, MlpGrads};
use crate::nn::sample;
use crate::nn::Rng;

/// [`layers::linear_forward`] on flat `x` (B x I), `w` (O x I), `b` (O); returns `y` B x O.
///
/// # Errors
/// [`crate::Error::Shape`] when a length does not fit its shape.
pub fn linear_forward(x: &[f32], w: &[f32], b: &[f32], batch: usize, inp: usize, out: usize) -> Result<Vec<f32>> {
    let y = layers::linear_forward(nd::view("linear_forward x", x, (batch, inp))?, nd::view("linear_forward W", w, (out, inp))?, nd::view("linear_forward b", b, out)?)?;
    Ok(nd::into_vec(y))
}

/// [`layers::linear_backward`] on flat buffers; returns `dx` (B x I), or an empty vector when `need_dx` is false.
///
/// # Errors
/// [`crate::Error::Shape`] when a length does not fit its shape.
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
    let dx = layers::linear_backward(
        nd::view("linear_backward dy", dy, (batch, out))?,
        nd::view("linear_backward x", x, (batch, inp))?,
        nd::view("linear_backward W", w, (out, inp))?,
        nd::view_mut("linear_backward dW", dw, (out, inp))?,
        nd::view_mut("linear_backward db", db, out)?,
        need_dx,
    )?;
    Ok(dx.map(nd::into_vec).unwrap_or_default())
}

/// [`layers::relu_forward`] on a flat buffer.
pub fn relu_forward(x: &[f32]) -> Vec<f32> {
    nd::into_vec(layers::relu_forward(ndarray::aview1(x)))
}

/// [`layers::relu_backward`] on flat buffers of equal length (the shorter length is used if they differ).
pub fn relu_backward(dy: &[f32], x: &[f32]) -> Vec<f32> {
    let n = dy.len().min(x.len());
    layers::relu_backward(ndarray::aview1(&dy[..n]), ndarray::aview1(&x[..n])).map(nd::into_vec).unwrap_or_default()
}

/// [`layers::softmax_cross_entropy`] on flat `logits` (B x K, B = `labels.len()`).
///
/// # Errors
/// [`crate::Error::Shape`] when `logits.len() != B * K`; [`crate::Error::Range`] for a label `>= K`.
pub fn softmax_cross_entropy(logits: &[f32], labels: &[u8], k: usize) -> Result<(f32, Vec<f32>)> {
    let (l, d) = layers::softmax_cross_entropy(nd::view("softmax_cross_entropy", logits, (labels.len(), k))?, ndarray::aview1(labels))?;
    Ok((l, nd::into_vec(d)))
}

/// [`layers::argmax_rows`] on a flat B x K buffer (a trailing partial row counts as a row, as `chunks` does).
pub fn argmax_rows(x: &[f32], k: usize) -> Vec<usize> {
    if k == 0 {
        return Vec::new();
    }
    x.chunks(k).flat_map(|r| layers::argmax_rows(ndarray::aview1(r).insert_axis(ndarray::Axis(0)))).collect()
}

/// [`Conv2d::forward`] on flat `x` (B x C x H x W), `wt` (O x C x KH x KW), `b` (O); returns `y` B x O x OH x OW.
///
/// # Errors
/// [`crate::Error::Shape`] when a length does not fit the layer.
pub fn conv_forward(cv: &Conv2d, x: &[f32], wt: &[f32], b: &[f32], batch: usize) -> Result<Vec<f32>> {
    let y = cv.forward(
        nd::view("conv2d x", x, (batch, cv.c, cv.h, cv.w))?,
        nd::view("conv2d weight", wt, (cv.o, cv.c, cv.kh, cv.kw))?,
        nd::view("conv2d bias", b, cv.o)?,
    )?;
    Ok(nd::into_vec(y))
}

/// [`Conv2d::backward`] on flat buffers; returns `dx` (B x C x H x W).
///
/// # Errors
/// [`crate::Error::Shape`] when a length does not fit the layer.
pub fn conv_backward(cv: &Conv2d, dy: &[f32], x: &[f32], wt: &[f32], dw: &mut [f32], db: &mut [f32], batch: usize) -> Result<Vec<f32>> {
    let dx = cv.backward(
        nd::view("conv2d backward dy", dy, (batch, cv.o, cv.oh(), cv.ow()))?,
        nd::view("conv2d backward x", x, (batch, cv.c, cv.h, cv.w))?,
        nd::view("conv2d backward weight", wt, (cv.o, cv.c, cv.kh, cv.kw))?,
        nd::view_mut("conv2d backward dW", dw, (cv.o, cv.c, cv.kh, cv.kw))?,
        nd::view_mut("conv2d backward db", db, cv.o)?,
    )?;
    Ok(nd::into_vec(dx))
}

/// [`Mlp::forward`] on a flat `x` (B x I); returns flat logits (B x K) and the cache.
///
/// # Errors
/// [`crate::Error::Shape`] if `x.len() != B * I`.
pub fn mlp_forward(m: &Mlp, x: &[f32], batch: usize) -> Result<(Vec<f32>, MlpCache)> {
    let (z, c) = m.forward(nd::view("Mlp::forward", x, (batch, m.inputs()))?)?;
    Ok((nd::into_vec(z), c))
}

/// [`Mlp::logits`] on a flat `x` (B x I); returns flat logits (B x K).
///
/// # Errors
/// [`crate::Error::Shape`] if `x.len() != B * I`.
pub fn mlp_logits(m: &Mlp, x: &[f32], batch: usize) -> Result<Vec<f32>> {
    Ok(nd::into_vec(m.logits(nd::view("Mlp::logits", x, (batch, m.inputs()))?)?))
}

/// [`Mlp::backward`] from flat `dlogits` (B x K); returns flat `dx` (B x I), empty when `need_dx` is false.
///
/// # Errors
/// [`crate::Error::Shape`] on a length that does not fit.
pub fn mlp_backward(m: &Mlp, cache: &MlpCache, dlogits: &[f32], g: &mut MlpGrads, need_dx: bool) -> Result<Vec<f32>> {
    let d = m.backward(cache, nd::view("Mlp::backward", dlogits, (cache.batch, m.classes()))?, g, need_dx)?;
    Ok(d.map(nd::into_vec).unwrap_or_default())
}

/// [`lstm::lstm_forward`] on flat buffers (`x` T*B x E time-major); returns flat hidden states T*B x H.
///
/// # Errors
/// [`crate::Error::Shape`] when a length does not match `d`.
pub fn lstm_forward(x: &[f32], w_ih: &[f32], w_hh: &[f32], bias: &[f32], d: LstmDims) -> Result<(Vec<f32>, LstmCache)> {
    let (hs, c) = lstm::lstm_forward(
        nd::view("lstm x", x, (d.t, d.b, d.e))?,
        nd::view("lstm W_ih", w_ih, (4 * d.h, d.e))?,
        nd::view("lstm W_hh", w_hh, (4 * d.h, d.h))?,
        nd::view("lstm bias", bias, 4 * d.h)?,
    )?;
    Ok((nd::into_vec(hs), c))
}

/// [`lstm::lstm_backward`] on flat buffers; returns flat `dx` T*B x E.
///
/// # Errors
/// [`crate::Error::Shape`] when a length does not match the cache.
pub fn lstm_backward(dhs: &[f32], cache: &LstmCache, w_ih: &[f32], w_hh: &[f32], dw_ih: &mut [f32], dw_hh: &mut [f32], dbias: &mut [f32]) -> Result<Vec<f32>> {
    let d = cache.dims;
    let dx = lstm::lstm_backward(
        nd::view("lstm_backward dh", dhs, (d.t, d.b, d.h))?,
        cache,
        nd::view("lstm_backward W_ih", w_ih, (4 * d.h, d.e))?,
        nd::view("lstm_backward W_hh", w_hh, (4 * d.h, d.h))?,
        nd::view_mut("lstm_backward dW_ih", dw_ih, (4 * d.h, d.e))?,
        nd::view_mut("lstm_backward dW_hh", dw_hh, (4 * d.h, d.h))?,
        nd::view_mut("lstm_backward dbias", dbias, 4 * d.h)?,
    )?;
    Ok(nd::into_vec(dx))
}

/// [`sample::probabilities`] on a flat logit vector.
///
/// # Errors
/// As [`sample::probabilities`].
pub fn probabilities(logits: &[f32], temperature: f32, banned: &[usize]) -> Result<Vec<f32>> {
    Ok(nd::into_vec(sample::probabilities(ndarray::aview1(logits), temperature, banned)?))
}

/// [`sample::sample_logits`] on a flat logit vector.
///
/// # Errors
/// As [`sample::probabilities`].
pub fn sample_logits(logits: &[f32], temperature: f32, banned: &[usize], rng: &mut Rng) -> Result<usize> {
    sample::sample_logits(ndarray::aview1(logits), temperature, banned, rng)
}

impl Mlp {
    /// [`mlp_forward`] as a method.
    ///
    /// # Errors
    /// As [`mlp_forward`].
    pub fn forward_flat(&self, x: &[f32], batch: usize) -> Result<(Vec<f32>, MlpCache)> {
        mlp_forward(self, x, batch)
    }
    /// [`mlp_logits`] as a method.
    ///
    /// # Errors
    /// As [`mlp_logits`].
    pub fn logits_flat(&self, x: &[f32], batch: usize) -> Result<Vec<f32>> {
        mlp_logits(self, x, batch)
    }
    /// [`mlp_backward`] as a method.
    ///
    /// # Errors
    /// As [`mlp_backward`].
    pub fn backward_flat(&self, cache: &MlpCache, dlogits: &[f32], g: &mut MlpGrads, need_dx: bool) -> Result<Vec<f32>> {
        mlp_backward(self, cache, dlogits, g, need_dx)
    }
}

impl Conv2d {
    /// [`conv_forward`] as a method.
    ///
    /// # Errors
    /// As [`conv_forward`].
    pub fn forward_flat(&self, x: &[f32], wt: &[f32], b: &[f32], batch: usize) -> Result<Vec<f32>> {
        conv_forward(self, x, wt, b, batch)
    }
    /// [`conv_backward`] as a method.
    ///
    /// # Errors
    /// As [`conv_backward`].
    pub fn backward_flat(&self, dy: &[f32], x: &[f32], wt: &[f32], dw: &mut [f32], db: &mut [f32], batch: usize) -> Result<Vec<f32>> {
        conv_backward(self, dy, x, wt, dw, db, batch)
    }
}

impl MlpCache {
    /// The layer inputs as flat row-major buffers (`acts[l]` is B x dims[l]).
    pub fn acts_flat(&self) -> Vec<&[f32]> {
        self.acts.iter().map(|a| a.as_slice().unwrap_or(&[])).collect()
    }
    /// The pre-activations as flat row-major buffers (`pre[l]` is B x dims[l+1]).
    pub fn pre_flat(&self) -> Vec<&[f32]> {
        self.pre.iter().map(|a| a.as_slice().unwrap_or(&[])).collect()
    }
}
