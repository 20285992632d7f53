//! The lab's small CNN on the crate's convolution kernels, forward and backward side by side.
//!
//! Legend: B batch, C1/C2 channels of the two convolutions, H hidden width (the penultimate layer, whose
//! activations are the embedding the k-NN distance is measured in), K = 10 classes.
//!
//! ```text
//! x   B x 1 x 28 x 28   pixels in [0, 1]
//! a1  B x C1 x 14 x 14  = conv1(x)   (4x4 kernel, stride 2, padding 1)     h1 = relu(a1)
//! a2  B x C2 x 7 x 7    = conv2(h1)  (4x4 kernel, stride 2, padding 1)     h2 = relu(a2)
//! a3  B x H             = h2 W3ᵀ + b3 (h2 flattened, C2·49)                 h3 = relu(a3)  (the embedding)
//! z   B x K             = h3 W4ᵀ + b4 (logits)
//! ```
//!
//! This is the shape of Wong & Kolter's small MNIST model (two stride-2 convolutions and two dense layers), far
//! smaller than Madry et al.'s (two 5x5 convolutions with 32 and 64 channels, max-pooling, 1,024 hidden units).
//! Weights are PyTorch layouts (`O x C x KH x KW`, `O x I`).

use std::collections::BTreeMap;

use ndarray::{aview1, Array2, ArrayView2};

use crate::data::mnist::{CLASSES, PIXELS, SIDE};
use crate::error::{Error, Result};
use crate::io;
use crate::kernels::conv::{conv2d_backward, ConvGrads, ConvShape};
use crate::nd;
use crate::nn::conv::Conv2d;
use crate::nn::layers::{linear_backward, linear_forward};
use crate::nn::rng::Rng;

/// Kernel size, stride and padding of both convolutions.
pub const KERNEL: usize = 4;
const SIDE1: usize = SIDE / 2; // 14
const SIDE2: usize = SIDE / 4; // 7

/// The CNN's weights (named tensors, PyTorch layouts).
#[derive(Clone, Debug, PartialEq)]
pub struct Cnn {
    /// Channels of conv1 (C1).
    pub c1: usize,
    /// Channels of conv2 (C2).
    pub c2: usize,
    /// Width of the penultimate layer (H).
    pub hidden: usize,
    /// conv1 weight, C1 x 1 x 4 x 4.
    pub w1: Vec<f32>,
    /// conv1 bias, C1.
    pub b1: Vec<f32>,
    /// conv2 weight, C2 x C1 x 4 x 4.
    pub w2: Vec<f32>,
    /// conv2 bias, C2.
    pub b2: Vec<f32>,
    /// Dense weight, H x (C2·49).
    pub w3: Vec<f32>,
    /// Dense bias, H.
    pub b3: Vec<f32>,
    /// Output weight, K x H.
    pub w4: Vec<f32>,
    /// Output bias, K.
    pub b4: Vec<f32>,
}

/// Gradients of [`Cnn`]'s tensors, same shapes.
#[derive(Clone, Debug)]
pub struct CnnGrads {
    /// d w1.
    pub w1: Vec<f32>,
    /// d b1.
    pub b1: Vec<f32>,
    /// d w2.
    pub w2: Vec<f32>,
    /// d b2.
    pub b2: Vec<f32>,
    /// d w3.
    pub w3: Vec<f32>,
    /// d b3.
    pub b3: Vec<f32>,
    /// d w4.
    pub w4: Vec<f32>,
    /// d b4.
    pub b4: Vec<f32>,
}

/// What the backward pass needs from the forward pass.
#[derive(Clone, Debug)]
pub struct CnnCache {
    batch: usize,
    x: Vec<f32>,
    a1: Vec<f32>,
    h1: Vec<f32>,
    a2: Vec<f32>,
    h2: Vec<f32>,
    a3: Vec<f32>,
    /// The embedding h3 = relu(a3), B x H.
    pub h3: Vec<f32>,
}

impl CnnGrads {
    /// Zero gradients for `m`.
    pub fn zeros(m: &Cnn) -> Self {
        let z = |v: &Vec<f32>| vec![0.0; v.len()];
        CnnGrads { w1: z(&m.w1), b1: z(&m.b1), w2: z(&m.w2), b2: z(&m.b2), w3: z(&m.w3), b3: z(&m.b3), w4: z(&m.w4), b4: z(&m.b4) }
    }
    /// The tensors in [`Cnn::params_mut`] order.
    pub fn as_slices(&self) -> Vec<&[f32]> {
        vec![&self.w1, &self.b1, &self.w2, &self.b2, &self.w3, &self.b3, &self.w4, &self.b4]
    }
}

impl Cnn {
    /// A CNN with C1, C2 channels and H hidden units, Kaiming-uniform weights (PyTorch's default init) and zero
    /// biases from `rng`. Errors if a width is 0.
    pub fn new(c1: usize, c2: usize, hidden: usize, rng: &mut Rng) -> Result<Self> {
        if c1 == 0 || c2 == 0 || hidden == 0 {
            return Err(Error::range("CNN widths", format!("{c1}, {c2}, {hidden}: each must be at least 1")));
        }
        let mut init = |n: usize, fan_in: usize| -> Vec<f32> {
            let b = (1.0 / fan_in as f32).sqrt();
            (0..n).map(|_| rng.uniform_in(-b, b)).collect()
        };
        let k2 = KERNEL * KERNEL;
        let flat = c2 * SIDE2 * SIDE2;
        Ok(Cnn {
            c1,
            c2,
            hidden,
            w1: init(c1 * k2, k2),
            b1: vec![0.0; c1],
            w2: init(c2 * c1 * k2, c1 * k2),
            b2: vec![0.0; c2],
            w3: init(hidden * flat, flat),
            b3: vec![0.0; hidden],
            w4: init(CLASSES * hidden, hidden),
            b4: vec![0.0; CLASSES],
        })
    }

    /// conv1's geometry: 1 x 28 x 28 → C1 x 14 x 14.
    fn conv1(&self) -> Conv2d {
        Conv2d { c: 1, h: SIDE, w: SIDE, o: self.c1, kh: KERNEL, kw: KERNEL, stride: 2, pad: 1 }
    }
    /// conv2's geometry: C1 x 14 x 14 → C2 x 7 x 7.
    fn conv2(&self) -> Conv2d {
        Conv2d { c: self.c1, h: SIDE1, w: SIDE1, o: self.c2, kh: KERNEL, kw: KERNEL, stride: 2, pad: 1 }
    }
    fn flat(&self) -> usize {
        self.c2 * SIDE2 * SIDE2
    }

    /// Number of weights and biases.
    pub fn n_params(&self) -> usize {
        self.params().iter().map(|p| p.len()).sum()
    }

    fn params(&self) -> Vec<&[f32]> {
        vec![&self.w1, &self.b1, &self.w2, &self.b2, &self.w3, &self.b3, &self.w4, &self.b4]
    }

    /// The tensors, mutable, in a fixed order (w1, b1, w2, b2, w3, b3, w4, b4) for the optimiser.
    pub fn params_mut(&mut self) -> Vec<&mut [f32]> {
        vec![&mut self.w1, &mut self.b1, &mut self.w2, &mut self.b2, &mut self.w3, &mut self.b3, &mut self.w4, &mut self.b4]
    }

    /// Lengths of the tensors in [`Cnn::params_mut`] order.
    pub fn param_sizes(&self) -> Vec<usize> {
        self.params().iter().map(|p| p.len()).collect()
    }

    /// Checks that every tensor has the length its widths imply.
    ///
    /// # Errors
    /// [`Error::Model`] naming the first tensor that does not.
    pub fn validate(&self) -> Result<()> {
        let k2 = KERNEL * KERNEL;
        let want = [
            ("conv1.weight", self.c1 * k2, self.w1.len()),
            ("conv1.bias", self.c1, self.b1.len()),
            ("conv2.weight", self.c2 * self.c1 * k2, self.w2.len()),
            ("conv2.bias", self.c2, self.b2.len()),
            ("fc1.weight", self.hidden * self.flat(), self.w3.len()),
            ("fc1.bias", self.hidden, self.b3.len()),
            ("fc2.weight", CLASSES * self.hidden, self.w4.len()),
            ("fc2.bias", CLASSES, self.b4.len()),
        ];
        for (name, n, has) in want {
            if n != has {
                return Err(Error::Model(format!("CNN tensor {name} has {has} values, expected {n}")));
            }
        }
        Ok(())
    }

    fn check_x(&self, x: &[f32], batch: usize, op: &'static str) -> Result<()> {
        if x.len() != batch * PIXELS {
            return Err(Error::shape(op, format!("x must be {batch}x{PIXELS} pixels, has {} values", x.len())));
        }
        Ok(())
    }

    /// Forward pass: returns the logits (B x K) and the cache for [`Cnn::backward`]. `x` is B x 784, in [0, 1].
    ///
    /// # Errors
    /// [`Error::Shape`] when `x` is not B x 784.
    pub fn forward(&self, x: ArrayView2<f32>) -> Result<(Array2<f32>, CnnCache)> {
        let batch = x.nrows();
        if x.ncols() != PIXELS {
            return Err(Error::shape("CNN forward", format!("x must be B x {PIXELS} pixels, is {}x{}", x.nrows(), x.ncols())));
        }
        let xc = nd::standard(x);
        let x = nd::slice_of("CNN forward", &xc)?;
        self.check_x(x, batch, "CNN forward")?;
        let a1 = conv_forward(&self.conv1(), x, &self.w1, &self.b1, batch)?;
        let h1 = relu_forward(&a1);
        let a2 = conv_forward(&self.conv2(), &h1, &self.w2, &self.b2, batch)?;
        let h2 = relu_forward(&a2);
        let a3 = dense_forward(&h2, &self.w3, &self.b3, batch, self.flat(), self.hidden)?;
        let h3 = relu_forward(&a3);
        let z = dense_forward(&h3, &self.w4, &self.b4, batch, self.hidden, CLASSES)?;
        Ok((nd::array("CNN forward", z, (batch, CLASSES))?, CnnCache { batch, x: x.to_vec(), a1, h1, a2, h2, a3, h3 }))
    }

    /// Backward pass from `dz` (B x K): accumulates the weight gradients into `g` when given, and returns the input
    /// gradient (B x 784) when `need_dx` (else `None`). Without `g` (an attack) no weight gradient is computed for
    /// the convolutions.
    ///
    /// # Errors
    /// [`Error::Shape`] when `dz` does not match the cache.
    pub fn backward(&self, cache: &CnnCache, dz: ArrayView2<f32>, g: Option<&mut CnnGrads>, need_dx: bool) -> Result<Option<Array2<f32>>> {
        let b = cache.batch;
        if dz.dim() != (b, CLASSES) {
            return Err(Error::shape("CNN backward", format!("dz must be {b}x{CLASSES}, is {:?}", dz.dim())));
        }
        let dzc = nd::standard(dz);
        let dx = self.backward_flat(cache, nd::slice_of("CNN backward", &dzc)?, g, need_dx)?;
        Ok(if need_dx { Some(nd::array("CNN backward", dx, (b, PIXELS))?) } else { None })
    }

    /// [`Cnn::backward`] on a flat, checked `dz`; returns `dx` (empty unless `need_dx`).
    fn backward_flat(&self, cache: &CnnCache, dz: &[f32], mut g: Option<&mut CnnGrads>, need_dx: bool) -> Result<Vec<f32>> {
        let b = cache.batch;
        let (h, flat) = (self.hidden, self.flat());
        let dh3 = dense_backward(dz, &cache.h3, &self.w4, g.as_deref_mut().map(|g| (&mut g.w4[..], &mut g.b4[..])), b, h, CLASSES)?;
        let da3 = relu_backward(&dh3, &cache.a3)?;
        let dh2 = dense_backward(&da3, &cache.h2, &self.w3, g.as_deref_mut().map(|g| (&mut g.w3[..], &mut g.b3[..])), b, flat, h)?;
        let da2 = relu_backward(&dh2, &cache.a2)?;
        let dh1 = conv_backward(&self.conv2().shape(b), &cache.h1, &self.w2, &da2, g.as_deref_mut().map(|g| (&mut g.w2[..], &mut g.b2[..])), true)?;
        let da1 = relu_backward(&dh1, &cache.a1)?;
        conv_backward(&self.conv1().shape(b), &cache.x, &self.w1, &da1, g.map(|g| (&mut g.w1[..], &mut g.b1[..])), need_dx)
    }

    /// Logits only (B x K).
    ///
    /// # Errors
    /// As [`Cnn::forward`].
    pub fn logits(&self, x: ArrayView2<f32>) -> Result<Array2<f32>> {
        Ok(self.forward(x)?.0)
    }

    /// Safetensors bytes: tensors `conv1.weight` ... `fc2.bias` in PyTorch names and shapes, plus `metadata`.
    ///
    /// # Errors
    /// As [`crate::io::save_f32`].
    pub fn to_safetensors(&self, metadata: &BTreeMap<String, String>) -> Result<Vec<u8>> {
        let k = KERNEL;
        let (s1, s2, s3, s4) = ([self.c1, 1, k, k], [self.c2, self.c1, k, k], [self.hidden, self.flat()], [CLASSES, self.hidden]);
        io::save_f32(
            &[
                ("conv1.weight", &s1, &self.w1),
                ("conv1.bias", &[self.c1], &self.b1),
                ("conv2.weight", &s2, &self.w2),
                ("conv2.bias", &[self.c2], &self.b2),
                ("fc1.weight", &s3, &self.w3),
                ("fc1.bias", &[self.hidden], &self.b3),
                ("fc2.weight", &s4, &self.w4),
                ("fc2.bias", &[CLASSES], &self.b4),
            ],
            metadata,
        )
    }

    /// Reads [`Cnn::to_safetensors`] bytes; returns the model and its metadata.
    ///
    /// # Errors
    /// [`Error::Format`] / [`Error::Model`] for bytes that are not such a file or tensors of the wrong shape.
    pub fn from_safetensors(bytes: &[u8]) -> Result<(Cnn, BTreeMap<String, String>)> {
        let f = io::load(bytes)?;
        let get = |n: &str| -> Result<(Vec<usize>, Vec<f32>)> {
            let t = f.f32(n)?;
            Ok((t.shape.clone(), t.data))
        };
        let (s1, w1) = get("conv1.weight")?;
        let (s2, w2) = get("conv2.weight")?;
        let (s3, w3) = get("fc1.weight")?;
        if s1.len() != 4 || s2.len() != 4 || s3.len() != 2 {
            return Err(Error::Model("CNN file: conv weights must be 4-D and fc1.weight 2-D".into()));
        }
        let m = Cnn {
            c1: s1[0],
            c2: s2[0],
            hidden: s3[0],
            w1,
            b1: get("conv1.bias")?.1,
            w2,
            b2: get("conv2.bias")?.1,
            w3,
            b3: get("fc1.bias")?.1,
            w4: get("fc2.weight")?.1,
            b4: get("fc2.bias")?.1,
        };
        m.validate()?;
        Ok((m, f.metadata().clone()))
    }
}

/// Backward of one dense layer `y = x W^T + b` (`x` B x I, `w` O x I, `dy` B x O): accumulates `dW`, `db` into
/// `g` when given (else into scratch that is dropped) and returns `dx` (B x I).
/// `max(x, 0)` of a flat buffer, by [`crate::nn::layers::relu_forward`].
fn relu_forward(x: &[f32]) -> Vec<f32> {
    nd::into_vec(crate::nn::layers::relu_forward(aview1(x)))
}

/// `dy * [x > 0]` of flat buffers of one length, by [`crate::nn::layers::relu_backward`].
fn relu_backward(dy: &[f32], x: &[f32]) -> Result<Vec<f32>> {
    Ok(nd::into_vec(crate::nn::layers::relu_backward(aview1(dy), aview1(x))?))
}

/// One convolution of the flat `x` (B x C x H x W) by [`Conv2d::forward`]; returns the flat output.
fn conv_forward(cv: &Conv2d, x: &[f32], w: &[f32], b: &[f32], batch: usize) -> Result<Vec<f32>> {
    let y = cv.forward(
        nd::view("CNN conv x", x, (batch, cv.c, cv.h, cv.w))?,
        nd::view("CNN conv weight", w, (cv.o, cv.c, cv.kh, cv.kw))?,
        nd::view("CNN conv bias", b, cv.o)?,
    )?;
    Ok(nd::into_vec(y))
}

/// `x W^T + b` on flat `x` (B x I), `w` (O x I), `b` (O) by [`linear_forward`]; returns the flat B x O.
fn dense_forward(x: &[f32], w: &[f32], b: &[f32], batch: usize, inp: usize, out: usize) -> Result<Vec<f32>> {
    let y = linear_forward(nd::view("CNN dense x", x, (batch, inp))?, nd::view("CNN dense weight", w, (out, inp))?, nd::view("CNN dense bias", b, out)?)?;
    Ok(nd::into_vec(y))
}

fn dense_backward(dy: &[f32], x: &[f32], w: &[f32], g: Option<(&mut [f32], &mut [f32])>, batch: usize, inp: usize, out: usize) -> Result<Vec<f32>> {
    let (mut dw0, mut db0);
    let (dw, db) = match g {
        Some((dw, db)) => (dw, db),
        None => {
            (dw0, db0) = (vec![0.0; w.len()], vec![0.0; out]);
            (&mut dw0[..], &mut db0[..])
        }
    };
    let dx = linear_backward(
        nd::view("CNN dense dy", dy, (batch, out))?,
        nd::view("CNN dense x", x, (batch, inp))?,
        nd::view("CNN dense weight", w, (out, inp))?,
        nd::view_mut("CNN dense dW", dw, (out, inp))?,
        nd::view_mut("CNN dense db", db, out)?,
        true,
    )?;
    dx.map(nd::into_vec).ok_or_else(|| Error::shape("CNN dense backward", "no input gradient"))
}

/// Backward of one convolution of shape `s` on the crate's kernel: accumulates `dW`, `db` into `g` when given
/// (computing them only then) and returns `dx` (B x C x H x W) when `need_dx`, else an empty vector.
fn conv_backward(s: &ConvShape, x: &[f32], w: &[f32], dy: &[f32], g: Option<(&mut [f32], &mut [f32])>, need_dx: bool) -> Result<Vec<f32>> {
    let mut dx = if need_dx { vec![0.0; s.x_len()] } else { Vec::new() };
    let want_w = g.is_some();
    if !want_w && !need_dx {
        return Ok(dx);
    }
    let (mut gw, mut gb) = if want_w { (vec![0.0; w.len()], vec![0.0; s.o]) } else { (Vec::new(), Vec::new()) };
    conv2d_backward(
        s,
        x,
        w,
        dy,
        ConvGrads { dx: need_dx.then_some(&mut dx[..]), dw: want_w.then_some(&mut gw[..]), db: want_w.then_some(&mut gb[..]) },
    )?;
    if let Some((dw, db)) = g {
        for (acc, src) in [(dw, &gw), (db, &gb)] {
            for (a, v) in acc.iter_mut().zip(src) {
                *a += v;
            }
        }
    }
    Ok(dx)
}
