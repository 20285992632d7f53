//! 2-D convolution (cross-correlation, as PyTorch's `Conv2d`), forward and backward, NCHW, zero padding, and the
//! interval (IBP) and W⁺/W⁻ entry points bound propagation needs.
//!
//! Legend: N batch, C input channels, H x W input size, O output channels, KH x KW kernel, SH/SW strides, PH/PW
//! zero padding, OH = (H + 2 PH - KH) / SH + 1 and OW likewise. `x` is N x C x H x W, `w` is O x C x KH x KW (PyTorch's
//! `Conv2d.weight` layout), `bias` is O, `y` is N x O x OH x OW; all contiguous, row-major.
//!
//! `y[n, o, i, j] = bias[o] + sum_{c, ki, kj} w[o, c, ki, kj] * x[n, c, i*SH + ki - PH, j*SW + kj - PW]`
//! (out-of-range input reads as 0). Backward: `dx = conv_transpose(dy, w)`, `dw[o, c, ki, kj] = sum_{n, i, j}
//! dy[n, o, i, j] x[n, c, i*SH + ki - PH, j*SW + kj - PW]`, `db[o] = sum_{n, i, j} dy[n, o, i, j]`.
//!
//! Two algorithms, chosen per call by [`ConvAlgo::Auto`] from a measured size rule ([`DIRECT_MAX_CKK`]; on the
//! machines measured so far im2col + GEMM won on every lab shape):
//! - im2col + the crate's packed GEMM: each image's patches become a (C·KH·KW) x (OH·OW) matrix (skipped for 1x1
//!   stride-1 unpadded convolutions, where the image already is that matrix), then `y_n = W cols_n` (the weights are
//!   the GEMM's A, packed by it for each image: small next to the image's columns, but packing them once per call
//!   is still open), `dw += dy_n cols_nᵀ`, `dcols = Wᵀ dy_n` and its adjoint col2im; the column buffer is allocated
//!   once per thread and reused across images and calls;
//! - direct: the sum above as loops whose innermost runs along an output row (contiguous for stride 1, so it
//!   vectorises), meant for few input taps C·KH·KW, where im2col's copy could cost more than the product it feeds.
//!
//! Threads (feature `parallel`, through `crate::par::run_tasks`: the caller works too, helpers linger between
//! calls): im2col + GEMM calls are cut into tasks that each make only their own columns and run a one-thread GEMM:
//! the forward into (image, band of output rows), so a batch of 1 or 2 still has a task per thread and im2col is
//! not done by one thread; the input gradient into (image, block of input channels), each block writing its own
//! planes of dx (col2im included); the weight and bias gradients into (batch group, block of input channels), the
//! groups fixed by N alone and added in order. Every element is summed over the same K in the same order however
//! the tasks fall, so results are bit-identical on any number of threads. Calls under 2²⁰ multiply-adds stay on
//! one thread. The direct loops run in parallel over the batch.
//!
//! Outputs are written, never read: `y`, `dx`, `dw`, `db` may hold NaN on entry. Every function checks its shapes and
//! returns [`Error::Shape`] instead of panicking. [`conv2d_naive`] and [`conv2d_backward_naive`] (seven plain loops,
//! f64 sums) are the test oracles.

use crate::error::{Error, Result};
use crate::kernels::gemm::{gemm_serial, gemm_serial_ptr, MatRef, SendPtr};

/// The shape of one convolution call (batch included).
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub struct ConvShape {
    /// Batch N.
    pub n: usize,
    /// Input channels C (>= 1).
    pub c: usize,
    /// Input height H.
    pub h: usize,
    /// Input width W.
    pub w: usize,
    /// Output channels O (>= 1).
    pub o: usize,
    /// Kernel height KH (>= 1).
    pub kh: usize,
    /// Kernel width KW (>= 1).
    pub kw: usize,
    /// Strides `(SH, SW)`, each >= 1.
    pub stride: (usize, usize),
    /// Zero padding `(PH, PW)` on both sides.
    pub pad: (usize, usize),
}

/// Which algorithm a call runs; [`ConvAlgo::Auto`] applies the size rule, the others force one (tests, benchmarks).
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub enum ConvAlgo {
    /// Direct loops when `C·KH·KW <= DIRECT_MAX_CKK`, im2col + GEMM otherwise (see [`DIRECT_MAX_CKK`]).
    Auto,
    /// The direct loops.
    Direct,
    /// im2col + GEMM.
    Im2col,
}

/// The size rule: `Some(t)` runs the direct loops when `C·KH·KW <= t`. Measured with `make bench`
/// (examples/kernels_native.rs, docs/bench.md): im2col + GEMM beat the direct loops on every lab shape, down to
/// 16 taps (MNIST conv 1: 2.6 vs 0.28 GFLOP/s) and 27 (3x3 on 3 channels: 6.1 vs 3.2), so `None`: the direct loops
/// run only when asked for ([`ConvAlgo::Direct`]), and stay as the second, independent implementation the tests use.
pub const DIRECT_MAX_CKK: Option<usize> = None;

/// Images per batch group of the weight-gradient sum: the batch is split into at most this many groups.
const GROUPS: usize = 8;

/// Gradients a backward call writes; `None` skips one.
pub struct ConvGrads<'a> {
    /// Input gradient, N x C x H x W.
    pub dx: Option<&'a mut [f32]>,
    /// Weight gradient, O x C x KH x KW.
    pub dw: Option<&'a mut [f32]>,
    /// Bias gradient, O.
    pub db: Option<&'a mut [f32]>,
}

impl ConvShape {
    /// A square-kernel shape with the same stride and padding in both directions.
    #[allow(clippy::too_many_arguments)]
    pub fn new(n: usize, c: usize, h: usize, w: usize, o: usize, k: usize, stride: usize, pad: usize) -> Self {
        ConvShape { n, c, h, w, o, kh: k, kw: k, stride: (stride, stride), pad: (pad, pad) }
    }
    /// Output height OH (0 when the kernel does not fit; [`ConvShape::check`] refuses that).
    pub fn oh(&self) -> usize {
        out_len(self.h, self.kh, self.stride.0, self.pad.0)
    }
    /// Output width OW.
    pub fn ow(&self) -> usize {
        out_len(self.w, self.kw, self.stride.1, self.pad.1)
    }
    /// Input taps per output, `C·KH·KW`.
    pub fn ckk(&self) -> usize {
        self.c * self.kh * self.kw
    }
    /// Elements of `x`, N·C·H·W.
    pub fn x_len(&self) -> usize {
        self.n * self.c * self.h * self.w
    }
    /// Elements of `w`, O·C·KH·KW.
    pub fn w_len(&self) -> usize {
        self.o * self.ckk()
    }
    /// Elements of `y`, N·O·OH·OW.
    pub fn y_len(&self) -> usize {
        self.n * self.o * self.oh() * self.ow()
    }
    /// Multiply-adds of one forward pass, N·O·OH·OW·C·KH·KW.
    pub fn macs(&self) -> usize {
        self.y_len() * self.ckk()
    }
    /// The algorithm [`ConvAlgo::Auto`] picks for this shape.
    pub fn auto_algo(&self) -> ConvAlgo {
        match DIRECT_MAX_CKK {
            Some(t) if self.ckk() <= t => ConvAlgo::Direct,
            _ => ConvAlgo::Im2col,
        }
    }
    fn is_pointwise(&self) -> bool {
        self.kh == 1 && self.kw == 1 && self.stride == (1, 1) && self.pad == (0, 0)
    }

    /// Checks the geometry: strides and kernel at least 1, at least one channel in and out, the kernel fits the padded
    /// input, and every buffer size fits in memory.
    ///
    /// # Errors
    /// [`Error::Shape`] saying which condition fails.
    pub fn check(&self, op: &'static str) -> Result<()> {
        let s = self;
        if s.stride.0 == 0 || s.stride.1 == 0 {
            return Err(Error::shape(op, format!("stride {:?} must be at least 1 in both directions", s.stride)));
        }
        if s.kh == 0 || s.kw == 0 || s.c == 0 || s.o == 0 {
            return Err(Error::shape(
                op,
                format!("kernel {}x{} with {} input and {} output channels: each must be at least 1", s.kh, s.kw, s.c, s.o),
            ));
        }
        let fits = |len: usize, k: usize, p: usize| len.checked_add(p.saturating_mul(2)).is_some_and(|t| t >= k);
        if !fits(s.h, s.kh, s.pad.0) || !fits(s.w, s.kw, s.pad.1) {
            return Err(Error::shape(
                op,
                format!(
                    "kernel {}x{} does not fit input {}x{} with padding {:?}; pad more or use a smaller kernel",
                    s.kh, s.kw, s.h, s.w, s.pad
                ),
            ));
        }
        let prod = |v: &[usize]| v.iter().try_fold(1usize, |a, &b| a.checked_mul(b));
        let (oh, ow) = (s.oh(), s.ow());
        // What is allocated: x, w, y and one image's im2col columns; the multiply-add count only has to fit a usize
        // (on wasm32 a 3x3 64->64 layer on a batch of 16 at 28x28 is 4.6e8 multiply-adds, more than isize::MAX / 8).
        let sizes = [
            prod(&[s.n, s.c, s.h, s.w]),
            prod(&[s.o, s.c, s.kh, s.kw]),
            prod(&[s.n, s.o, oh, ow]),
            prod(&[s.c, s.kh, s.kw, oh, ow]),
        ];
        if sizes.iter().any(|x| x.is_none_or(|v| v > isize::MAX as usize / 8)) || prod(&[s.n, s.o, oh, ow, s.c, s.kh, s.kw]).is_none() {
            return Err(Error::shape(op, format!("shape {s:?} is too large to allocate")));
        }
        Ok(())
    }
}

fn out_len(len: usize, k: usize, s: usize, p: usize) -> usize {
    match len.saturating_add(p.saturating_mul(2)).checked_sub(k) {
        Some(d) if s > 0 => d / s + 1,
        _ => 0,
    }
}

fn check_len(op: &'static str, name: &str, got: usize, want: usize, what: &str) -> Result<()> {
    if got != want {
        return Err(Error::shape(op, format!("{name} must have {want} elements ({what}), has {got}")));
    }
    Ok(())
}

fn check_forward(op: &'static str, s: &ConvShape, x: &[f32], w: &[f32], bias: Option<&[f32]>, y: &[f32]) -> Result<()> {
    s.check(op)?;
    check_len(op, "x", x.len(), s.x_len(), &format!("{}x{}x{}x{}", s.n, s.c, s.h, s.w))?;
    check_len(op, "w", w.len(), s.w_len(), &format!("{}x{}x{}x{}", s.o, s.c, s.kh, s.kw))?;
    if let Some(b) = bias {
        check_len(op, "bias", b.len(), s.o, "one per output channel")?;
    }
    check_len(op, "y", y.len(), s.y_len(), &format!("{}x{}x{}x{}", s.n, s.o, s.oh(), s.ow()))
}

fn check_backward(op: &'static str, s: &ConvShape, x: &[f32], w: &[f32], dy: &[f32], g: &ConvGrads) -> Result<()> {
    s.check(op)?;
    check_len(op, "w", w.len(), s.w_len(), &format!("{}x{}x{}x{}", s.o, s.c, s.kh, s.kw))?;
    check_len(op, "dy", dy.len(), s.y_len(), &format!("{}x{}x{}x{}", s.n, s.o, s.oh(), s.ow()))?;
    let chw = format!("{}x{}x{}x{}", s.n, s.c, s.h, s.w);
    if g.dw.is_some() {
        check_len(op, "x", x.len(), s.x_len(), &chw)?;
    }
    if let Some(d) = &g.dx {
        check_len(op, "dx", d.len(), s.x_len(), &chw)?;
    }
    if let Some(d) = &g.dw {
        check_len(op, "dw", d.len(), s.w_len(), "the shape of w")?;
    }
    if let Some(d) = &g.db {
        check_len(op, "db", d.len(), s.o, "one per output channel")?;
    }
    Ok(())
}

/// The output indices `j` whose input index `j*s + k - p` lies in `0..len`: `lo..hi` (empty when none do).
#[inline]
fn valid(out: usize, len: usize, k: usize, s: usize, p: usize) -> (usize, usize) {
    let lo = if p > k { (p - k).div_ceil(s) } else { 0 };
    let hi = if len + p <= k { 0 } else { out.min((len + p - k).div_ceil(s)) };
    (lo.min(hi), hi)
}

/// im2col for one image: `x` C x H x W into `cols` (C·KH·KW) x (OH·OW), row `(c, ki, kj)` holding the input that
/// tap meets at every output position (0 in the padding). Every element of `cols` is written.
///
/// Panics if `x` or `cols` is shorter than that (internal; callers check shapes).
pub fn im2col(s: &ConvShape, x: &[f32], cols: &mut [f32]) {
    im2col_part(s, x, 0..s.c, 0..s.oh(), cols);
}

/// im2col of the input channels `cs` and the output rows `rows` only: `cols` is (|cs|·KH·KW) x (|rows|·OW), row
/// `(c - cs.start, ki, kj)`, column `(i - rows.start) * OW + j`. Every element of it is written.
fn im2col_part(s: &ConvShape, x: &[f32], cs: std::ops::Range<usize>, rows: std::ops::Range<usize>, cols: &mut [f32]) {
    let ow = s.ow();
    let len = rows.len() * ow;
    let (sh, sw) = s.stride;
    let (ph, pw) = s.pad;
    for c in cs.clone() {
        for ki in 0..s.kh {
            let (ilo, ihi) = valid(s.oh(), s.h, ki, sh, ph);
            for kj in 0..s.kw {
                let row = ((c - cs.start) * s.kh + ki) * s.kw + kj;
                let dst = &mut cols[row * len..(row + 1) * len];
                let (lo, hi) = valid(ow, s.w, kj, sw, pw);
                for (d, i) in dst.chunks_exact_mut(ow).zip(rows.clone()) {
                    if i < ilo || i >= ihi {
                        d.fill(0.0);
                        continue;
                    }
                    let ii = i * sh + ki - ph;
                    let xr = &x[(c * s.h + ii) * s.w..(c * s.h + ii + 1) * s.w];
                    d[..lo].fill(0.0);
                    d[hi..].fill(0.0);
                    if sw == 1 {
                        let off = lo + kj - pw;
                        d[lo..hi].copy_from_slice(&xr[off..off + hi - lo]);
                    } else {
                        for (j, v) in d[lo..hi].iter_mut().enumerate() {
                            *v = xr[(lo + j) * sw + kj - pw];
                        }
                    }
                }
            }
        }
    }
}

/// The adjoint of [`im2col`]: adds `cols` ((C·KH·KW) x (OH·OW)) back into `dx` (C x H x W); padding taps are dropped.
///
/// Panics if a buffer is too short (internal; callers check shapes).
pub fn col2im(s: &ConvShape, cols: &[f32], dx: &mut [f32]) {
    col2im_part(s, cols, 0..s.c, dx);
}

/// [`col2im`] of the input channels `cs` only: `cols` holds their (|cs|·KH·KW) rows, `dx` their |cs| x H x W
/// planes. Each channel's additions run in the same order as in the whole-image call.
fn col2im_part(s: &ConvShape, cols: &[f32], cs: std::ops::Range<usize>, dx: &mut [f32]) {
    let (oh, ow) = (s.oh(), s.ow());
    let ohw = oh * ow;
    let (sh, sw) = s.stride;
    let (ph, pw) = s.pad;
    for c in 0..cs.len() {
        for ki in 0..s.kh {
            let (ilo, ihi) = valid(oh, s.h, ki, sh, ph);
            for kj in 0..s.kw {
                let row = (c * s.kh + ki) * s.kw + kj;
                let src = &cols[row * ohw..(row + 1) * ohw];
                let (lo, hi) = valid(ow, s.w, kj, sw, pw);
                for i in ilo..ihi {
                    let ii = i * sh + ki - ph;
                    let xr = &mut dx[(c * s.h + ii) * s.w..(c * s.h + ii + 1) * s.w];
                    let d = &src[i * ow..(i + 1) * ow];
                    if sw == 1 {
                        let off = lo + kj - pw;
                        for (a, &b) in xr[off..off + hi - lo].iter_mut().zip(&d[lo..hi]) {
                            *a += b;
                        }
                    } else {
                        for (j, &b) in d[lo..hi].iter().enumerate() {
                            xr[(lo + j) * sw + kj - pw] += b;
                        }
                    }
                }
            }
        }
    }
}

/// Multiply-adds of a whole call below which it stays on one thread (a parallel region costs more than it saves).
const PAR_MIN_MACS: usize = 1 << 20;
/// With threads, aim for at least this many tasks per thread, so a thread that starts late evens out.
const TASKS_PER_THREAD: usize = 4;
/// Fewest output pixels in one band of an image (the forward's unit of work when the batch is small).
const BAND_MIN: usize = 64;
/// Fewest rows of dcols (input gradient) or columns of dW (weight gradient) in one block of input channels: a
/// thinner block wastes most of the GEMM's register tile and repacks the other operand for little work (measured:
/// a 1x1 64->64 backward on one image with 8-channel blocks ran 0.6-0.8x on 2 threads against 1).
const BLOCK_MIN: usize = 32;

/// Threads for a call of `macs` multiply-adds: 1 below [`PAR_MIN_MACS`].
fn call_threads(macs: usize) -> usize {
    if macs < PAR_MIN_MACS {
        1
    } else {
        crate::par::threads()
    }
}

/// Runs `f(t)` for `t` in `0..tasks`: on the calling thread and the pool's helpers when `threads > 1`, else in order.
fn tasks(threads: usize, n: usize, f: impl Fn(usize) + Sync + Send) {
    if threads > 1 && n > 1 {
        crate::par::run_tasks(n, f);
    } else {
        (0..n).for_each(f);
    }
}

/// Splits `len` items into `parts` near-equal contiguous ranges; range `p`.
fn part(len: usize, parts: usize, p: usize) -> std::ops::Range<usize> {
    let per = len.div_ceil(parts);
    (p * per).min(len)..((p + 1) * per).min(len)
}

/// How many pieces to cut each of `units` independent units into so that there are at least
/// `threads * TASKS_PER_THREAD` tasks, each piece at least `min_piece` of the `len` items in a unit.
fn pieces(threads: usize, units: usize, len: usize, min_piece: usize) -> usize {
    if threads <= 1 {
        return 1;
    }
    let want = (threads * TASKS_PER_THREAD).div_ceil(units.max(1));
    want.min(len / min_piece.max(1)).clamp(1, len.max(1))
}

thread_local! {
    static COLS: std::cell::RefCell<Vec<f32>> = const { std::cell::RefCell::new(Vec::new()) };
}

/// Runs `f` on this thread's scratch buffer of at least `len` floats (contents unspecified), or on a fresh one if it
/// is in use.
fn with_cols<R>(len: usize, f: impl FnOnce(&mut [f32]) -> R) -> R {
    COLS.with(|cell| match cell.try_borrow_mut() {
        Ok(mut v) => {
            if v.len() < len {
                v.resize(len, 0.0);
            }
            f(&mut v[..len])
        }
        Err(_) => f(&mut vec![0.0; len]),
    })
}

fn resolve(algo: ConvAlgo, s: &ConvShape) -> ConvAlgo {
    match algo {
        ConvAlgo::Auto => s.auto_algo(),
        a => a,
    }
}

/// Forward of one image by the direct loops: `xn` C x H x W to `yn` O x OH x OW (bias first, then the sum).
fn forward_image_direct(s: &ConvShape, xn: &[f32], w: &[f32], bias: Option<&[f32]>, yn: &mut [f32]) {
    let ohw = s.oh() * s.ow();
    match bias {
        Some(b) => {
            for (row, &bo) in yn.chunks_exact_mut(ohw).zip(b) {
                row.fill(bo);
            }
        }
        None => yn.fill(0.0),
    }
    direct_forward(s, xn, w, yn);
}

/// `yn += conv(xn, w)` for one image, by direct loops along output rows.
fn direct_forward(s: &ConvShape, xn: &[f32], w: &[f32], yn: &mut [f32]) {
    let (oh, ow) = (s.oh(), s.ow());
    let (sh, sw) = s.stride;
    let (ph, pw) = s.pad;
    for (o, yo) in yn.chunks_exact_mut(oh * ow).enumerate() {
        for c in 0..s.c {
            let xc = &xn[c * s.h * s.w..(c + 1) * s.h * s.w];
            for ki in 0..s.kh {
                let (ilo, ihi) = valid(oh, s.h, ki, sh, ph);
                for kj in 0..s.kw {
                    let wv = w[((o * s.c + c) * s.kh + ki) * s.kw + kj];
                    let (lo, hi) = valid(ow, s.w, kj, sw, pw);
                    for i in ilo..ihi {
                        let xr = &xc[(i * sh + ki - ph) * s.w..];
                        let yr = &mut yo[i * ow + lo..i * ow + hi];
                        if sw == 1 {
                            let xr = &xr[lo + kj - pw..lo + kj - pw + (hi - lo)];
                            for (y, &x) in yr.iter_mut().zip(xr) {
                                *y += wv * x;
                            }
                        } else {
                            for (j, y) in yr.iter_mut().enumerate() {
                                *y += wv * xr[(lo + j) * sw + kj - pw];
                            }
                        }
                    }
                }
            }
        }
    }
}

/// Input gradient of one image, direct: `dxn += conv_transpose(dyn, w)`.
fn direct_dx(s: &ConvShape, dyn_: &[f32], w: &[f32], dxn: &mut [f32]) {
    let (oh, ow) = (s.oh(), s.ow());
    let (sh, sw) = s.stride;
    let (ph, pw) = s.pad;
    for (o, dyo) in dyn_.chunks_exact(oh * ow).enumerate() {
        for c in 0..s.c {
            let dxc = &mut dxn[c * s.h * s.w..(c + 1) * s.h * s.w];
            for ki in 0..s.kh {
                let (ilo, ihi) = valid(oh, s.h, ki, sh, ph);
                for kj in 0..s.kw {
                    let wv = w[((o * s.c + c) * s.kh + ki) * s.kw + kj];
                    let (lo, hi) = valid(ow, s.w, kj, sw, pw);
                    for i in ilo..ihi {
                        let xr = &mut dxc[(i * sh + ki - ph) * s.w..(i * sh + ki - ph + 1) * s.w];
                        let dr = &dyo[i * ow + lo..i * ow + hi];
                        if sw == 1 {
                            for (x, &d) in xr[lo + kj - pw..].iter_mut().zip(dr) {
                                *x += wv * d;
                            }
                        } else {
                            for (j, &d) in dr.iter().enumerate() {
                                xr[(lo + j) * sw + kj - pw] += wv * d;
                            }
                        }
                    }
                }
            }
        }
    }
}

/// Weight gradient of one image, direct: `dw += dyn ⋆ xn` (one dot product per tap).
fn direct_dw(s: &ConvShape, dyn_: &[f32], xn: &[f32], dw: &mut [f32]) {
    let (oh, ow) = (s.oh(), s.ow());
    let (sh, sw) = s.stride;
    let (ph, pw) = s.pad;
    for (o, dyo) in dyn_.chunks_exact(oh * ow).enumerate() {
        for c in 0..s.c {
            let xc = &xn[c * s.h * s.w..(c + 1) * s.h * s.w];
            for ki in 0..s.kh {
                let (ilo, ihi) = valid(oh, s.h, ki, sh, ph);
                for kj in 0..s.kw {
                    let (lo, hi) = valid(ow, s.w, kj, sw, pw);
                    let mut acc = 0.0f32;
                    for i in ilo..ihi {
                        let xr = &xc[(i * sh + ki - ph) * s.w..];
                        let dr = &dyo[i * ow + lo..i * ow + hi];
                        if sw == 1 {
                            acc += dr.iter().zip(&xr[lo + kj - pw..]).map(|(&d, &x)| d * x).sum::<f32>();
                        } else {
                            acc += dr.iter().enumerate().map(|(j, &d)| d * xr[(lo + j) * sw + kj - pw]).sum::<f32>();
                        }
                    }
                    dw[((o * s.c + c) * s.kh + ki) * s.kw + kj] += acc;
                }
            }
        }
    }
}

/// `y = conv(x, w) + bias` (bias optional). Shapes in the module header. `y` is only written.
///
/// # Errors
/// [`Error::Shape`] when the geometry is invalid (see [`ConvShape::check`]) or a length does not match.
pub fn conv2d(s: &ConvShape, x: &[f32], w: &[f32], bias: Option<&[f32]>, y: &mut [f32]) -> Result<()> {
    conv2d_with(ConvAlgo::Auto, s, x, w, bias, y)
}

/// [`conv2d`] with the algorithm chosen by the caller.
///
/// # Errors
/// As [`conv2d`].
pub fn conv2d_with(algo: ConvAlgo, s: &ConvShape, x: &[f32], w: &[f32], bias: Option<&[f32]>, y: &mut [f32]) -> Result<()> {
    check_forward("conv2d", s, x, w, bias, y)?;
    if s.n == 0 {
        return Ok(());
    }
    let algo = resolve(algo, s);
    let (chw, ohw) = (s.c * s.h * s.w, s.oh() * s.ow());
    if algo == ConvAlgo::Direct {
        crate::par::for_each_chunk_mut(y, s.o * ohw, |n, yn| {
            forward_image_direct(s, &x[n * chw..(n + 1) * chw], w, bias, yn);
        });
        return Ok(());
    }
    // im2col + GEMM: tasks are (image, band of output rows); a small batch is cut into bands so every thread has
    // work, and each task makes only its band's columns. Every output is summed over the same K in the same order
    // however the bands fall, so the result does not depend on the thread count.
    let threads = call_threads(s.macs());
    let (oh, ow, ckk) = (s.oh(), s.ow(), s.ckk());
    let bands = pieces(threads, s.n, oh, BAND_MIN.div_ceil(ow.max(1)));
    let yp = SendPtr(y.as_mut_ptr());
    let wv = MatRef::new(w, s.o, ckk);
    tasks(threads, s.n * bands, |t| {
        let (n, rows) = (t / bands, part(oh, bands, t % bands));
        if rows.is_empty() {
            return;
        }
        let xn = &x[n * chw..(n + 1) * chw];
        let (p0, len) = (rows.start * ow, rows.len() * ow);
        // SAFETY: task t writes y[n, :, p0..p0 + len] only (rows o at stride ohw), disjoint from every other task.
        let yb = unsafe { yp.get().add(n * s.o * ohw + p0) };
        for o in 0..s.o {
            let b = bias.map_or(0.0, |b| b[o]);
            // SAFETY: as above.
            unsafe { std::slice::from_raw_parts_mut(yb.add(o * ohw), len) }.fill(b);
        }
        // Shapes were checked by the caller, so the GEMMs cannot fail.
        if s.is_pointwise() {
            let xb = MatRef::strided(&xn[p0..], ckk, len, ohw, 1);
            let _ = unsafe { gemm_serial_ptr(1.0, wv, xb, 1.0, yb, ohw, 1) };
        } else {
            with_cols(ckk * len, |cols| {
                im2col_part(s, xn, 0..s.c, rows.clone(), cols);
                let _ = unsafe { gemm_serial_ptr(1.0, wv, MatRef::new(cols, ckk, len), 1.0, yb, ohw, 1) };
            });
        }
    });
    Ok(())
}

/// Backward of [`conv2d`]: writes the gradients asked for in `grads` (each overwritten, never read) from the loss
/// gradient `dy` (N x O x OH x OW). `x` is needed only for `dw` (pass `&[]` otherwise).
///
/// # Errors
/// [`Error::Shape`] when the geometry is invalid or a length does not match.
pub fn conv2d_backward(s: &ConvShape, x: &[f32], w: &[f32], dy: &[f32], grads: ConvGrads) -> Result<()> {
    conv2d_backward_with(ConvAlgo::Auto, s, x, w, dy, grads)
}

/// The input gradient alone, `dx = conv_transpose(dy, w)` (N x C x H x W): the transposed convolution that linear
/// bound propagation (CROWN) runs backwards through a conv layer, on W⁺ and W⁻ (see [`crate::kernels::interval::pos_neg`]).
///
/// # Errors
/// As [`conv2d_backward`].
pub fn conv2d_transpose(s: &ConvShape, w: &[f32], dy: &[f32], dx: &mut [f32]) -> Result<()> {
    conv2d_backward(s, &[], w, dy, ConvGrads { dx: Some(dx), dw: None, db: None })
}

/// [`conv2d_backward`] with the algorithm chosen by the caller.
///
/// # Errors
/// As [`conv2d_backward`].
pub fn conv2d_backward_with(algo: ConvAlgo, s: &ConvShape, x: &[f32], w: &[f32], dy: &[f32], grads: ConvGrads) -> Result<()> {
    check_backward("conv2d_backward", s, x, w, dy, &grads)?;
    let ConvGrads { dx, dw, db } = grads;
    let algo = resolve(algo, s);
    let (chw, ohw, ckk) = (s.c * s.h * s.w, s.oh() * s.ow(), s.ckk());
    let (hw, kk) = (s.h * s.w, s.kh * s.kw);
    let threads = call_threads(s.macs());
    // Input gradient: tasks are (image, block of input channels), each writing its own contiguous planes of dx:
    // dcols = W[:, block]ᵀ dy_n, then col2im of those channels.
    if let Some(dx) = dx {
        if algo == ConvAlgo::Direct {
            if chw > 0 {
                crate::par::for_each_chunk_mut(dx, chw, |n, dxn| {
                    dxn.fill(0.0);
                    direct_dx(s, &dy[n * s.o * ohw..(n + 1) * s.o * ohw], w, dxn);
                });
            }
        } else {
            let blocks = pieces(threads, s.n, s.c, BLOCK_MIN.div_ceil(kk));
            let dxp = SendPtr(dx.as_mut_ptr());
            tasks(threads, s.n * blocks, |t| {
                let (n, cs) = (t / blocks, part(s.c, blocks, t % blocks));
                if cs.is_empty() {
                    return;
                }
                let dyn_ = MatRef::new(&dy[n * s.o * ohw..(n + 1) * s.o * ohw], s.o, ohw);
                let wt = MatRef::strided(&w[cs.start * kk..], cs.len() * kk, s.o, 1, ckk);
                // SAFETY: task t owns the planes cs of image n, a contiguous range no other task touches.
                let dxn = unsafe { std::slice::from_raw_parts_mut(dxp.get().add(n * chw + cs.start * hw), cs.len() * hw) };
                if s.is_pointwise() {
                    let _ = gemm_serial(1.0, wt, dyn_, 0.0, dxn, ohw, 1);
                } else {
                    dxn.fill(0.0);
                    with_cols(cs.len() * kk * ohw, |dcols| {
                        let _ = gemm_serial(1.0, wt, dyn_, 0.0, dcols, ohw, 1);
                        col2im_part(s, dcols, cs.clone(), dxn);
                    });
                }
            });
        }
    }
    if dw.is_none() && db.is_none() {
        return Ok(());
    }
    // Weight and bias gradients: partial sums over fixed batch groups (fixed by N alone), added in group order.
    let groups = s.n.clamp(1, GROUPS);
    let per = s.n.div_ceil(groups).max(1);
    let groups = s.n.div_ceil(per).max(1);
    let want_dw = dw.is_some();
    let part_len = if want_dw { s.w_len() } else { 0 } + s.o;
    let mut parts = vec![0.0f32; groups * part_len];
    let images = |g: usize| g * per..((g + 1) * per).min(s.n);
    let bias_sum = |g: usize, pb: &mut [f32]| {
        for n in images(g) {
            for (b, row) in pb.iter_mut().zip(dy[n * s.o * ohw..(n + 1) * s.o * ohw].chunks_exact(ohw)) {
                *b += row.iter().sum::<f32>();
            }
        }
    };
    if algo == ConvAlgo::Direct || !want_dw {
        crate::par::for_each_chunk_mut(&mut parts, part_len, |g, part| {
            let (pw_, pb) = part.split_at_mut(part_len - s.o);
            bias_sum(g, pb);
            if want_dw {
                for n in images(g) {
                    direct_dw(s, &dy[n * s.o * ohw..(n + 1) * s.o * ohw], &x[n * chw..(n + 1) * chw], pw_);
                }
            }
        });
    } else {
        // Tasks are (batch group, block of input channels): block cs of group g writes the columns
        // cs.start * KH * KW.. of its group's O x (C·KH·KW) partial sum, dw_g[:, block] += dy_n cols_n[block]ᵀ.
        let blocks = pieces(threads, groups, s.c, BLOCK_MIN.div_ceil(kk));
        let pp = SendPtr(parts.as_mut_ptr());
        tasks(threads, groups * blocks, |t| {
            let (g, cs) = (t / blocks, part(s.c, blocks, t % blocks));
            // SAFETY: group g's part starts at g * part_len; its bias tail is written by block 0 alone, and block
            // cs's columns of the O x ckk weight part by this task alone.
            let base = unsafe { pp.get().add(g * part_len) };
            if t % blocks == 0 {
                bias_sum(g, unsafe { std::slice::from_raw_parts_mut(base.add(part_len - s.o), s.o) });
            }
            if cs.is_empty() {
                return;
            }
            let cp = unsafe { base.add(cs.start * kk) };
            for n in images(g) {
                let dyn_ = MatRef::new(&dy[n * s.o * ohw..(n + 1) * s.o * ohw], s.o, ohw);
                let xn = &x[n * chw..(n + 1) * chw];
                if s.is_pointwise() {
                    let xb = MatRef::strided(&xn[cs.start * hw..], cs.len(), ohw, ohw, 1).t();
                    let _ = unsafe { gemm_serial_ptr(1.0, dyn_, xb, 1.0, cp, ckk, 1) };
                } else {
                    with_cols(cs.len() * kk * ohw, |cols| {
                        im2col_part(s, xn, cs.clone(), 0..s.oh(), cols);
                        let cb = MatRef::new(cols, cs.len() * kk, ohw).t();
                        let _ = unsafe { gemm_serial_ptr(1.0, dyn_, cb, 1.0, cp, ckk, 1) };
                    });
                }
            }
        });
    }
    let (first, rest) = parts.split_at(part_len);
    let mut total = first.to_vec();
    for part in rest.chunks_exact(part_len) {
        for (t, &p) in total.iter_mut().zip(part) {
            *t += p;
        }
    }
    if let Some(dw) = dw {
        dw.copy_from_slice(&total[..part_len - s.o]);
    }
    if let Some(db) = db {
        db.copy_from_slice(&total[part_len - s.o..]);
    }
    Ok(())
}

/// The plain twin of [`conv2d`]: seven loops (n, o, i, j, c, ki, kj), each output summed in f64 from the bias. The
/// test oracle.
///
/// # Errors
/// As [`conv2d`].
pub fn conv2d_naive(s: &ConvShape, x: &[f32], w: &[f32], bias: Option<&[f32]>, y: &mut [f32]) -> Result<()> {
    check_forward("conv2d_naive", s, x, w, bias, y)?;
    let (oh, ow) = (s.oh(), s.ow());
    for n in 0..s.n {
        for o in 0..s.o {
            for i in 0..oh {
                for j in 0..ow {
                    let mut acc = bias.map_or(0.0, |b| b[o] as f64);
                    for c in 0..s.c {
                        for ki in 0..s.kh {
                            for kj in 0..s.kw {
                                if let Some(xv) = at(s, x, n, c, i, j, ki, kj) {
                                    acc += w[((o * s.c + c) * s.kh + ki) * s.kw + kj] as f64 * xv as f64;
                                }
                            }
                        }
                    }
                    y[((n * s.o + o) * oh + i) * ow + j] = acc as f32;
                }
            }
        }
    }
    Ok(())
}

/// The input element tap `(ki, kj)` of output `(i, j)` meets, `None` in the padding.
#[allow(clippy::too_many_arguments)]
#[inline]
fn at(s: &ConvShape, x: &[f32], n: usize, c: usize, i: usize, j: usize, ki: usize, kj: usize) -> Option<f32> {
    let ii = (i * s.stride.0 + ki).checked_sub(s.pad.0).filter(|&v| v < s.h)?;
    let jj = (j * s.stride.1 + kj).checked_sub(s.pad.1).filter(|&v| v < s.w)?;
    Some(x[((n * s.c + c) * s.h + ii) * s.w + jj])
}

/// The plain twin of [`conv2d_backward`]: the same seven loops, scattering `dy` into f64 sums of `dx`, `dw`, `db`.
///
/// # Errors
/// As [`conv2d_backward`].
pub fn conv2d_backward_naive(s: &ConvShape, x: &[f32], w: &[f32], dy: &[f32], grads: ConvGrads) -> Result<()> {
    check_backward("conv2d_backward_naive", s, x, w, dy, &grads)?;
    let (oh, ow) = (s.oh(), s.ow());
    let want_dw = grads.dw.is_some();
    let mut dx = vec![0.0f64; s.x_len()];
    let mut dw = vec![0.0f64; s.w_len()];
    let mut db = vec![0.0f64; s.o];
    for n in 0..s.n {
        for o in 0..s.o {
            for i in 0..oh {
                for j in 0..ow {
                    let d = dy[((n * s.o + o) * oh + i) * ow + j] as f64;
                    db[o] += d;
                    for c in 0..s.c {
                        for ki in 0..s.kh {
                            for kj in 0..s.kw {
                                let ii = (i * s.stride.0 + ki).checked_sub(s.pad.0).filter(|&v| v < s.h);
                                let jj = (j * s.stride.1 + kj).checked_sub(s.pad.1).filter(|&v| v < s.w);
                                if let (Some(ii), Some(jj)) = (ii, jj) {
                                    let wi = ((o * s.c + c) * s.kh + ki) * s.kw + kj;
                                    let xi = ((n * s.c + c) * s.h + ii) * s.w + jj;
                                    dx[xi] += w[wi] as f64 * d;
                                    if want_dw {
                                        dw[wi] += x[xi] as f64 * d;
                                    }
                                }
                            }
                        }
                    }
                }
            }
        }
    }
    let put = |out: Option<&mut [f32]>, src: &[f64]| {
        if let Some(out) = out {
            for (a, &b) in out.iter_mut().zip(src) {
                *a = b as f32;
            }
        }
    };
    put(grads.dx, &dx);
    put(grads.dw, &dw);
    put(grads.db, &db);
    Ok(())
}

/// Interval bound propagation through a convolution, centre/radius form: for the box `[c - r, c + r]` (each
/// N x C x H x W, `r >= 0`) returns `(c', r')`, each N x O x OH x OW, with `c' = conv(c, W) + bias` and
/// `r' = conv(r, |W|)` — the tightest box holding the image of the input box (Gowal et al. 2018; IBP in
/// CROWN-IBP, Zhang et al. 2020, eq. 5). Pass `abs_w = |W|` (see [`crate::kernels::interval::abs`]) so callers can
/// cache it. The convolution analogue of [`crate::kernels::interval::affine_box`].
///
/// # Errors
/// [`Error::Shape`] when a length does not match.
pub fn conv2d_ibp(s: &ConvShape, w: &[f32], abs_w: &[f32], bias: &[f32], c: &[f32], r: &[f32]) -> Result<(Vec<f32>, Vec<f32>)> {
    check_len("conv2d_ibp", "|W|", abs_w.len(), w.len(), "the shape of w")?;
    check_len("conv2d_ibp", "radius", r.len(), c.len(), "the shape of the centre")?;
    let mut c2 = vec![0.0; s.y_len()];
    conv2d(s, c, w, Some(bias), &mut c2)?;
    let mut r2 = vec![0.0; s.y_len()];
    conv2d(s, r, abs_w, None, &mut r2)?;
    Ok((c2, r2))
}

/// Interval propagation in lower/upper form with the W⁺/W⁻ split, on the fast kernel: for `l <= x <= u` (each
/// N x C x H x W) returns `(l', u')` with `l' = conv(l, W⁺) + conv(u, W⁻) + bias` and `u' = conv(u, W⁺) +
/// conv(l, W⁻) + bias`, where `(W⁺, W⁻) = interval::pos_neg(W)`.
///
/// # Errors
/// [`Error::Shape`] when a length does not match.
pub fn conv2d_pos_neg(s: &ConvShape, wp: &[f32], wn: &[f32], bias: &[f32], lo: &[f32], hi: &[f32]) -> Result<(Vec<f32>, Vec<f32>)> {
    check_len("conv2d_pos_neg", "W-", wn.len(), wp.len(), "the shape of W+")?;
    let len = s.y_len();
    let (mut a, mut b) = (vec![0.0; len], vec![0.0; len]);
    conv2d(s, lo, wp, Some(bias), &mut a)?;
    conv2d(s, hi, wn, None, &mut b)?;
    let l2: Vec<f32> = a.iter().zip(&b).map(|(p, q)| p + q).collect();
    conv2d(s, hi, wp, Some(bias), &mut a)?;
    conv2d(s, lo, wn, None, &mut b)?;
    let u2: Vec<f32> = a.iter().zip(&b).map(|(p, q)| p + q).collect();
    Ok((l2, u2))
}

/// The plain twin of [`conv2d_ibp`] in lower/upper form: per output, `l' = b + sum W⁺ l + W⁻ u` and `u' = b + sum W⁺ u
/// + W⁻ l` over the taps, in f64, for `l = c - r`, `u = c + r`. Returns `(l', u')`.
///
/// # Errors
/// As [`conv2d_naive`].
pub fn conv2d_ibp_naive(s: &ConvShape, w: &[f32], bias: &[f32], c: &[f32], r: &[f32]) -> Result<(Vec<f32>, Vec<f32>)> {
    let mut tmp = vec![0.0; s.y_len()];
    check_forward("conv2d_ibp_naive", s, c, w, Some(bias), &tmp)?;
    check_len("conv2d_ibp_naive", "radius", r.len(), c.len(), "the shape of the centre")?;
    let (oh, ow) = (s.oh(), s.ow());
    let mut hi = vec![0.0; s.y_len()];
    for n in 0..s.n {
        for o in 0..s.o {
            for i in 0..oh {
                for j in 0..ow {
                    let (mut l, mut u) = (bias[o] as f64, bias[o] as f64);
                    for ch in 0..s.c {
                        for ki in 0..s.kh {
                            for kj in 0..s.kw {
                                if let (Some(cv), Some(rv)) = (at(s, c, n, ch, i, j, ki, kj), at(s, r, n, ch, i, j, ki, kj)) {
                                    let (xl, xu) = ((cv - rv) as f64, (cv + rv) as f64);
                                    let wv = w[((o * s.c + ch) * s.kh + ki) * s.kw + kj] as f64;
                                    let (p, q) = (wv.max(0.0), wv.min(0.0));
                                    l += p * xl + q * xu;
                                    u += p * xu + q * xl;
                                }
                            }
                        }
                    }
                    let k = ((n * s.o + o) * oh + i) * ow + j;
                    tmp[k] = l as f32;
                    hi[k] = u as f32;
                }
            }
        }
    }
    Ok((tmp, hi))
}
