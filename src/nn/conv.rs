//! 2-D convolution (cross-correlation, as in PyTorch's `Conv2d`), forward and backward: the layer's geometry over
//! [`crate::kernels::conv`] (im2col + GEMM or direct loops, parallel over the batch).
//!
//! Shapes: input `x` B x C x H x W, weight `w` O x C x KH x KW, bias `b` O, output B x O x OH x OW with
//! `OH = (H + 2 pad - KH) / stride + 1` (and the same for OW). Zero padding. Inputs and outputs are `ndarray` arrays
//! of those shapes ([`crate::nd`]); the kernels run on their buffers.

use ndarray::{Array4, ArrayView1, ArrayView2, ArrayView3, ArrayView4, ArrayViewMut1, ArrayViewMut2, ArrayViewMut3, ArrayViewMut4};

use crate::error::{Error, Result};
use crate::kernels::conv::{self, ConvGrads, ConvShape};
use crate::nd;

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
    ///
    /// # Errors
    /// [`Error::Shape`] when `x` is not C x H x W or `cols` not (C*KH*KW) x (OH*OW).
    pub fn im2col(&self, x: ArrayView3<f32>, mut cols: ArrayViewMut2<f32>) -> Result<()> {
        self.check_image("im2col", x.dim())?;
        if cols.dim() != (self.c * self.kh * self.kw, self.oh() * self.ow()) {
            return Err(Error::shape("im2col", format!("cols must be {}x{}, not {:?}", self.c * self.kh * self.kw, self.oh() * self.ow(), cols.dim())));
        }
        let x = nd::standard(x);
        let cs = nd::slice_mut("im2col", &mut cols)?;
        conv::im2col(&self.shape(1), nd::slice_of("im2col", &x)?, cs);
        Ok(())
    }

    /// The adjoint of [`Conv2d::im2col`]: adds `cols` back into `dx` (C x H x W).
    ///
    /// # Errors
    /// [`Error::Shape`] when the shapes differ from [`Conv2d::im2col`]'s.
    pub fn col2im(&self, cols: ArrayView2<f32>, mut dx: ArrayViewMut3<f32>) -> Result<()> {
        self.check_image("col2im", dx.dim())?;
        if cols.dim() != (self.c * self.kh * self.kw, self.oh() * self.ow()) {
            return Err(Error::shape("col2im", format!("cols must be {}x{}, not {:?}", self.c * self.kh * self.kw, self.oh() * self.ow(), cols.dim())));
        }
        let cols = nd::standard(cols);
        let ds = nd::slice_mut("col2im", &mut dx)?;
        conv::col2im(&self.shape(1), nd::slice_of("col2im", &cols)?, ds);
        Ok(())
    }

    fn check_image(&self, op: &'static str, (c, h, w): (usize, usize, usize)) -> Result<()> {
        if (c, h, w) != (self.c, self.h, self.w) {
            return Err(Error::shape(op, format!("the layer takes {}x{}x{} images, got {c}x{h}x{w}", self.c, self.h, self.w)));
        }
        Ok(())
    }

    fn check_weights(&self, op: &'static str, w: (usize, usize, usize, usize), b: usize) -> Result<()> {
        if w != (self.o, self.c, self.kh, self.kw) || b != self.o {
            return Err(Error::shape(
                op,
                format!("weight must be {}x{}x{}x{} and bias {} (have {w:?} and {b})", self.o, self.c, self.kh, self.kw, self.o),
            ));
        }
        Ok(())
    }

    /// Forward: `x` B x C x H x W, `wt` O x C x KH x KW, `b` O; returns `y` B x O x OH x OW.
    ///
    /// # Errors
    /// [`Error::Shape`](crate::Error::Shape) when the kernel does not fit the image or a shape differs from the layer's.
    pub fn forward(&self, x: ArrayView4<f32>, wt: ArrayView4<f32>, b: ArrayView1<f32>) -> Result<Array4<f32>> {
        let (batch, c, h, w) = x.dim();
        self.check_image("conv2d", (c, h, w))?;
        self.check_weights("conv2d", wt.dim(), b.len())?;
        let s = self.shape(batch);
        s.check("conv2d")?;
        let (x, wt, b) = (nd::standard(x), nd::standard(wt), nd::standard(b));
        let mut y = vec![0.0; s.y_len()];
        conv::conv2d(&s, nd::slice_of("conv2d", &x)?, nd::slice_of("conv2d", &wt)?, Some(nd::slice_of("conv2d", &b)?), &mut y)?;
        nd::array("conv2d", y, (batch, self.o, s.oh(), s.ow()))
    }

    /// Backward from `dy` (B x O x OH x OW) at input `x` (B x C x H x W): accumulates `dw += sum_n dy_n cols_n^T`
    /// (O x C x KH x KW) and `db += sum dy` (O), returns `dx` (B x C x H x W).
    ///
    /// # Errors
    /// [`Error::Shape`](crate::Error::Shape) when a shape differs from the layer's.
    pub fn backward(
        &self,
        dy: ArrayView4<f32>,
        x: ArrayView4<f32>,
        wt: ArrayView4<f32>,
        mut dw: ArrayViewMut4<f32>,
        mut db: ArrayViewMut1<f32>,
    ) -> Result<Array4<f32>> {
        let (batch, c, h, w) = x.dim();
        self.check_image("conv2d backward", (c, h, w))?;
        self.check_weights("conv2d backward", wt.dim(), db.len())?;
        self.check_weights("conv2d backward", dw.dim(), db.len())?;
        let s = self.shape(batch);
        s.check("conv2d backward")?;
        if dy.dim() != (batch, self.o, s.oh(), s.ow()) {
            return Err(Error::shape("conv2d backward", format!("dy must be {batch}x{}x{}x{}, not {:?}", self.o, s.oh(), s.ow(), dy.dim())));
        }
        let (x, wt, dy) = (nd::standard(x), nd::standard(wt), nd::standard(dy));
        let mut dx = vec![0.0; s.x_len()];
        let (mut gw, mut gb) = (vec![0.0; dw.len()], vec![0.0; db.len()]);
        conv::conv2d_backward(
            &s,
            nd::slice_of("conv2d backward", &x)?,
            nd::slice_of("conv2d backward", &wt)?,
            nd::slice_of("conv2d backward", &dy)?,
            ConvGrads { dx: Some(&mut dx), dw: Some(&mut gw), db: Some(&mut gb) },
        )?;
        for (a, g) in dw.iter_mut().zip(&gw) {
            *a += g;
        }
        for (a, g) in db.iter_mut().zip(&gb) {
            *a += g;
        }
        nd::array("conv2d backward", dx, (batch, c, h, w))
    }
}
