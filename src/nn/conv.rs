//! 2-D convolution (cross-correlation, as in PyTorch's `Conv2d`) by im2col + GEMM, forward and backward.
//!
//! Shapes: input `x` B x C x H x W, weight `w` O x C x KH x KW, bias `b` O, output B x O x OH x OW with
//! `OH = (H + 2 pad - KH) / stride + 1` (and the same for OW). Zero padding.

use crate::error::{Error, Result};
use crate::kernels::gemm::{gemm, MatRef};

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
        (self.h + 2 * self.pad - self.kh) / self.stride + 1
    }
    /// Output width OW.
    pub fn ow(&self) -> usize {
        (self.w + 2 * self.pad - self.kw) / self.stride + 1
    }
    fn validate(&self) -> Result<()> {
        if self.stride == 0 || self.kh == 0 || self.kw == 0 || self.h + 2 * self.pad < self.kh || self.w + 2 * self.pad < self.kw
        {
            return Err(Error::shape("conv2d", format!("kernel {}x{} does not fit input {}x{} with padding {} (stride {})", self.kh, self.kw, self.h, self.w, self.pad, self.stride)));
        }
        Ok(())
    }

    /// im2col for one image: `x` C x H x W to `cols` (C*KH*KW) x (OH*OW).
    pub fn im2col(&self, x: &[f32], cols: &mut [f32]) {
        let (oh, ow) = (self.oh(), self.ow());
        let ohw = oh * ow;
        for c in 0..self.c {
            for ki in 0..self.kh {
                for kj in 0..self.kw {
                    let row = (c * self.kh + ki) * self.kw + kj;
                    let dst = &mut cols[row * ohw..(row + 1) * ohw];
                    for oi in 0..oh {
                        let ii = (oi * self.stride + ki) as isize - self.pad as isize;
                        for oj in 0..ow {
                            let jj = (oj * self.stride + kj) as isize - self.pad as isize;
                            dst[oi * ow + oj] = if ii >= 0 && jj >= 0 && (ii as usize) < self.h && (jj as usize) < self.w {
                                x[(c * self.h + ii as usize) * self.w + jj as usize]
                            } else {
                                0.0
                            };
                        }
                    }
                }
            }
        }
    }

    /// The adjoint of [`Conv2d::im2col`]: adds `cols` back into `dx` (C x H x W).
    pub fn col2im(&self, cols: &[f32], dx: &mut [f32]) {
        let (oh, ow) = (self.oh(), self.ow());
        let ohw = oh * ow;
        for c in 0..self.c {
            for ki in 0..self.kh {
                for kj in 0..self.kw {
                    let row = (c * self.kh + ki) * self.kw + kj;
                    let src = &cols[row * ohw..(row + 1) * ohw];
                    for oi in 0..oh {
                        let ii = (oi * self.stride + ki) as isize - self.pad as isize;
                        if ii < 0 || ii as usize >= self.h {
                            continue;
                        }
                        for oj in 0..ow {
                            let jj = (oj * self.stride + kj) as isize - self.pad as isize;
                            if jj >= 0 && (jj as usize) < self.w {
                                dx[(c * self.h + ii as usize) * self.w + jj as usize] += src[oi * ow + oj];
                            }
                        }
                    }
                }
            }
        }
    }

    /// Forward: returns `y` B x O x OH x OW.
    ///
    /// # Errors
    /// [`Error::Shape`] when the kernel does not fit or a length is wrong.
    pub fn forward(&self, x: &[f32], wt: &[f32], b: &[f32], batch: usize) -> Result<Vec<f32>> {
        self.validate()?;
        let (chw, ckk, ohw) = (self.c * self.h * self.w, self.c * self.kh * self.kw, self.oh() * self.ow());
        if x.len() != batch * chw || wt.len() != self.o * ckk || b.len() != self.o {
            return Err(Error::shape("conv2d", format!("x must be {batch}x{}x{}x{}, W {}x{}x{}x{}, b {}", self.c, self.h, self.w, self.o, self.c, self.kh, self.kw, self.o)));
        }
        let mut y = vec![0.0; batch * self.o * ohw];
        let mut cols = vec![0.0; ckk * ohw];
        for n in 0..batch {
            self.im2col(&x[n * chw..(n + 1) * chw], &mut cols);
            let yn = &mut y[n * self.o * ohw..(n + 1) * self.o * ohw];
            for (o, row) in yn.chunks_mut(ohw).enumerate() {
                row.fill(b[o]);
            }
            gemm(1.0, MatRef::new(wt, self.o, ckk), MatRef::new(&cols, ckk, ohw), 1.0, yn, ohw, 1)?;
        }
        Ok(y)
    }

    /// Backward: accumulates `dw += sum_n dy_n cols_n^T` and `db += sum dy`, returns `dx` (B x C x H x W).
    ///
    /// # Errors
    /// [`Error::Shape`] when a length is wrong.
    pub fn backward(&self, dy: &[f32], x: &[f32], wt: &[f32], dw: &mut [f32], db: &mut [f32], batch: usize) -> Result<Vec<f32>> {
        self.validate()?;
        let (chw, ckk, ohw) = (self.c * self.h * self.w, self.c * self.kh * self.kw, self.oh() * self.ow());
        if dy.len() != batch * self.o * ohw || x.len() != batch * chw || dw.len() != self.o * ckk || db.len() != self.o {
            return Err(Error::shape("conv2d backward", "dy, x, dW or db has the wrong length"));
        }
        let mut dx = vec![0.0; batch * chw];
        let mut cols = vec![0.0; ckk * ohw];
        let mut dcols = vec![0.0; ckk * ohw];
        for n in 0..batch {
            let dyn_ = &dy[n * self.o * ohw..(n + 1) * self.o * ohw];
            self.im2col(&x[n * chw..(n + 1) * chw], &mut cols);
            gemm(1.0, MatRef::new(dyn_, self.o, ohw), MatRef::new(&cols, ckk, ohw).t(), 1.0, dw, ckk, 1)?;
            for (o, row) in dyn_.chunks(ohw).enumerate() {
                db[o] += row.iter().sum::<f32>();
            }
            gemm(1.0, MatRef::new(wt, self.o, ckk).t(), MatRef::new(dyn_, self.o, ohw), 0.0, &mut dcols, ohw, 1)?;
            self.col2im(&dcols, &mut dx[n * chw..(n + 1) * chw]);
        }
        Ok(dx)
    }
}
