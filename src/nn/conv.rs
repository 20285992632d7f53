//! 2-D convolution (cross-correlation, as in PyTorch's `Conv2d`), forward and backward: the layer's geometry over
//! [`crate::kernels::conv`] (im2col + GEMM or direct loops, parallel over the batch).
//!
//! Shapes: input `x` B x C x H x W, weight `w` O x C x KH x KW, bias `b` O, output B x O x OH x OW with
//! `OH = (H + 2 pad - KH) / stride + 1` (and the same for OW). Zero padding.

use crate::error::Result;
use crate::kernels::conv::{self, ConvGrads, ConvShape};

/// Geometry of one convolution.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub struct Conv2d {
    /// Input channels C.
    pub c: usize,
    /// Input height H.
    pub h: usize,
    /// Input width W.
    pub w: usize,
    /// Output channels O.
    pub o: usize,
    /// Kernel height KH.
    pub kh: usize,
    /// Kernel width KW.
    pub kw: usize,
    /// Stride (both directions), >= 1.
    pub stride: usize,
    /// Zero padding (both directions).
    pub pad: usize,
}

impl Conv2d {
    /// Output height OH.
    pub fn oh(&self) -> usize {
        self.shape(1).oh()
    }
    /// Output width OW.
    pub fn ow(&self) -> usize {
        self.shape(1).ow()
    }
    /// The kernel's shape of one call on `batch` images.
    pub fn shape(&self, batch: usize) -> ConvShape {
        ConvShape { n: batch, c: self.c, h: self.h, w: self.w, o: self.o, kh: self.kh, kw: self.kw, stride: (self.stride, self.stride), pad: (self.pad, self.pad) }
    }

    /// im2col for one image: `x` C x H x W to `cols` (C*KH*KW) x (OH*OW) (see [`crate::kernels::conv::im2col`]).
    pub fn im2col(&self, x: &[f32], cols: &mut [f32]) {
        conv::im2col(&self.shape(1), x, cols)
    }

    /// The adjoint of [`Conv2d::im2col`]: adds `cols` back into `dx` (C x H x W).
    pub fn col2im(&self, cols: &[f32], dx: &mut [f32]) {
        conv::col2im(&self.shape(1), cols, dx)
    }

    /// Forward: returns `y` B x O x OH x OW.
    ///
    /// # Errors
    /// [`Error::Shape`](crate::Error::Shape) when the kernel does not fit or a length is wrong.
    pub fn forward(&self, x: &[f32], wt: &[f32], b: &[f32], batch: usize) -> Result<Vec<f32>> {
        let s = self.shape(batch);
        s.check("conv2d")?;
        let mut y = vec![0.0; s.y_len()];
        conv::conv2d(&s, x, wt, Some(b), &mut y)?;
        Ok(y)
    }

    /// Backward: accumulates `dw += sum_n dy_n cols_n^T` and `db += sum dy`, returns `dx` (B x C x H x W).
    ///
    /// # Errors
    /// [`Error::Shape`](crate::Error::Shape) when a length is wrong.
    pub fn backward(&self, dy: &[f32], x: &[f32], wt: &[f32], dw: &mut [f32], db: &mut [f32], batch: usize) -> Result<Vec<f32>> {
        let s = self.shape(batch);
        s.check("conv2d backward")?;
        let mut dx = vec![0.0; s.x_len()];
        let (mut gw, mut gb) = (vec![0.0; dw.len()], vec![0.0; db.len()]);
        conv::conv2d_backward(&s, x, wt, dy, ConvGrads { dx: Some(&mut dx), dw: Some(&mut gw), db: Some(&mut gb) })?;
        for (a, g) in dw.iter_mut().zip(&gw) {
            *a += g;
        }
        for (a, g) in db.iter_mut().zip(&gb) {
            *a += g;
        }
        Ok(dx)
    }
}
